package catalog_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/catalog"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/tax"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// as returns a context authenticated as p in a fresh tenant.
func as(tb testing.TB, p identity.Principal) context.Context {
	tb.Helper()
	p.TenantID = ids.New(ids.Tenant)
	return identity.WithPrincipal(tb.Context(), p)
}

func manager(tb testing.TB) context.Context {
	tb.Helper()
	return as(tb, identity.Principal{UserID: "usr_1", Role: identity.Manager})
}

func TestService_Authorization(t *testing.T) {
	svc, st := newService()
	ordersKey := as(t, identity.Principal{APIKeyID: "key_1", Scopes: []identity.Scope{identity.ScopeOrdersRead, identity.ScopeInventoryRead}})
	cashier := as(t, identity.Principal{UserID: "usr_2", Role: identity.Cashier})
	up := catalog.UpsertInput{Name: "Tea", TaxCategory: tax.Standard, Variants: []catalog.VariantInput{variant("", "TEA", "", 100)}}
	for _, tc := range []struct {
		name string
		call func() error
		want apperr.Code
	}{
		{"list without a credential", func() error { _, _, err := svc.List(t.Context(), "", 10, ""); return err }, apperr.Unauthenticated},
		{"list", func() error { _, _, err := svc.List(ordersKey, "", 10, ""); return err }, apperr.Forbidden},
		{"barcode", func() error { _, err := svc.ByBarcode(ordersKey, "4901234567894"); return err }, apperr.Forbidden},
		{"items by id", func() error { _, err := svc.GetItems(ordersKey, []string{ids.New(catalog.ItemIDPrefix)}); return err }, apperr.Forbidden},
		{"variants by id", func() error {
			_, err := svc.GetVariants(ordersKey, []string{ids.New(catalog.VariantIDPrefix)})
			return err
		}, apperr.Forbidden},
		{"a cashier upserting", func() error { _, err := svc.Upsert(cashier, up); return err }, apperr.Forbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); apperr.CodeOf(err) != tc.want {
				t.Fatalf("err %v, want %s", err, tc.want)
			}
		})
	}
	if len(st.calls) != 0 {
		t.Fatalf("the store was asked: %v", st.calls)
	}
}

func TestValidBarcode(t *testing.T) {
	cases := []struct {
		code string
		want bool
	}{
		{"96385074", true},        // EAN-8
		{"036000291452", true},    // UPC-A
		{"4901234567894", true},   // JAN (EAN-13)
		{"10012345678902", true},  // GTIN-14
		{"4901234567890", false},  // wrong check digit
		{"036000291453", false},   // wrong check digit
		{"490123456789", false},   // 12 digits, check digit wrong for UPC
		{"4901234", false},        // 7 digits
		{"49012345678941", false}, // 14 digits, wrong check digit
		{"490123456789a", false},
		{"", false},
		{"４９０１２３４５６７８９４", false}, // full-width digits
	}
	for _, tc := range cases {
		if got := catalog.ValidBarcode(tc.code); got != tc.want {
			t.Errorf("ValidBarcode(%q) = %v, want %v", tc.code, got, tc.want)
		}
	}
}

func TestGTIN14(t *testing.T) {
	a, _ := catalog.GTIN14("012345678905")
	b, _ := catalog.GTIN14("0012345678905")
	if a != "00012345678905" || a != b {
		t.Fatalf("UPC-A %q and EAN-13 %q must be one GTIN", a, b)
	}
	if _, ok := catalog.GTIN14("123"); ok {
		t.Fatal("3 digits accepted")
	}
}

// FuzzValidBarcode: for every body, exactly one check digit is valid.
func FuzzValidBarcode(f *testing.F) {
	f.Add(uint64(490123456789), uint8(13))
	f.Add(uint64(9638507), uint8(8))
	f.Fuzz(func(t *testing.T, body uint64, n uint8) {
		lengths := []int{8, 12, 13, 14}
		l := lengths[int(n)%len(lengths)]
		digits := fmt.Sprintf("%0*d", l-1, body)
		if len(digits) != l-1 {
			return
		}
		valid := 0
		for d := '0'; d <= '9'; d++ {
			if catalog.ValidBarcode(digits + string(d)) {
				valid++
			}
		}
		if valid != 1 {
			t.Fatalf("%s?: %d valid check digits", digits, valid)
		}
	})
}

// fakeStore records calls; only what the service tests need.
type fakeStore struct {
	created []catalog.Item
	current map[string]catalog.Item
	calls   []string
}

func (f *fakeStore) CreateItem(_ context.Context, it catalog.Item) error {
	f.calls = append(f.calls, "CreateItem")
	f.created = append(f.created, it)
	return nil
}
func (f *fakeStore) UpdateItem(_ context.Context, id string, update func(catalog.Item) (catalog.Item, error)) (catalog.Item, error) {
	f.calls = append(f.calls, "UpdateItem")
	cur, ok := f.current[id]
	if !ok {
		return catalog.Item{}, catalog.ErrItemNotFound
	}
	return update(cur)
}
func (f *fakeStore) ListItems(_ context.Context, q string, first int, after string) ([]catalog.Item, string, error) {
	f.calls = append(f.calls, fmt.Sprintf("ListItems(%q,%d,%q)", q, first, after))
	return nil, "", nil
}
func (f *fakeStore) VariantByBarcode(_ context.Context, b string) (catalog.Variant, error) {
	f.calls = append(f.calls, "VariantByBarcode("+b+")")
	return catalog.Variant{Barcode: b}, nil
}
func (f *fakeStore) GetItems(_ context.Context, ids []string) ([]catalog.Item, error) {
	f.calls = append(f.calls, "GetItems")
	var out []catalog.Item
	for i := len(ids) - 1; i >= 0; i-- { // stores answer in any order
		if it, ok := f.current[ids[i]]; ok {
			out = append(out, it)
		}
	}
	return out, nil
}
func (f *fakeStore) GetVariants(_ context.Context, ids []string) ([]catalog.Variant, error) {
	f.calls = append(f.calls, fmt.Sprintf("GetVariants(%d)", len(ids)))
	return nil, nil
}

type jpyTenant struct{}

func (jpyTenant) GetTenant(context.Context) (tenant.Tenant, error) {
	return tenant.Tenant{ID: ids.New(ids.Tenant), Currency: "JPY"}, nil
}

var now = time.Date(2026, 11, 27, 1, 2, 3, 0, time.UTC)

func newService() (*catalog.Service, *fakeStore) {
	st := &fakeStore{current: map[string]catalog.Item{}}
	return &catalog.Service{Store: st, Tenants: jpyTenant{}, Now: func() time.Time { return now }}, st
}

func variant(name, sku, barcode string, price int64) catalog.VariantInput {
	return catalog.VariantInput{Name: name, SKU: sku, Barcode: barcode, Price: price, Currency: "JPY"}
}

func TestService_UpsertValidation(t *testing.T) {
	ok := func() catalog.UpsertInput {
		return catalog.UpsertInput{Name: "Onigiri", TaxCategory: tax.Reduced, Variants: []catalog.VariantInput{variant("Salmon", "ONI-1", "4901234567894", 150)}}
	}
	with := func(f func(*catalog.UpsertInput)) catalog.UpsertInput { in := ok(); f(&in); return in }
	many := func(n int) []catalog.VariantInput {
		var out []catalog.VariantInput
		for i := range n {
			out = append(out, variant("v", fmt.Sprintf("S%d", i), "", 1))
		}
		return out
	}
	cases := []struct {
		name  string
		in    catalog.UpsertInput
		code  apperr.Code
		field string
	}{
		{"empty name", with(func(in *catalog.UpsertInput) { in.Name = "  " }), apperr.Invalid, "input.name"},
		{"long name", with(func(in *catalog.UpsertInput) { in.Name = strings.Repeat("お", 201) }), apperr.Invalid, "input.name"},
		{"control character", with(func(in *catalog.UpsertInput) { in.Name = "a\nb" }), apperr.Invalid, "input.name"},
		{"bad category", with(func(in *catalog.UpsertInput) { in.TaxCategory = "LUXURY" }), apperr.Invalid, "input.taxCategory"},
		{"no variants", with(func(in *catalog.UpsertInput) { in.Variants = nil }), apperr.Invalid, "input.variants"},
		{"21 variants", with(func(in *catalog.UpsertInput) { in.Variants = many(21) }), apperr.Invalid, "input.variants"},
		{"empty variant name", with(func(in *catalog.UpsertInput) { in.Variants[0].Name = "" }), apperr.Invalid, "input.variants.0.name"},
		{"empty sku", with(func(in *catalog.UpsertInput) { in.Variants[0].SKU = " " }), apperr.Invalid, "input.variants.0.sku"},
		{"sku with space", with(func(in *catalog.UpsertInput) { in.Variants[0].SKU = "A B" }), apperr.Invalid, "input.variants.0.sku"},
		{"long sku", with(func(in *catalog.UpsertInput) { in.Variants[0].SKU = strings.Repeat("X", 65) }), apperr.Invalid, "input.variants.0.sku"},
		{"barcode letters", with(func(in *catalog.UpsertInput) { in.Variants[0].Barcode = "49012345678a" }), apperr.Invalid, "input.variants.0.barcode"},
		{"barcode check digit", with(func(in *catalog.UpsertInput) { in.Variants[0].Barcode = "4901234567890" }), apperr.Invalid, "input.variants.0.barcode"},
		{"negative price", with(func(in *catalog.UpsertInput) { in.Variants[0].Price = -1 }), apperr.Invalid, "input.variants.0.price.amount"},
		{"price over max", with(func(in *catalog.UpsertInput) { in.Variants[0].Price = tax.MaxAmount + 1 }), apperr.Invalid, "input.variants.0.price.amount"},
		{"wrong currency", with(func(in *catalog.UpsertInput) { in.Variants[0].Currency = "USD" }), apperr.Invalid, "input.variants.0.price.currency"},
		{"duplicate sku", with(func(in *catalog.UpsertInput) { in.Variants = append(in.Variants, variant("b", "ONI-1", "", 1)) }), apperr.Invalid, "input.variants.1.sku"},
		{"duplicate GTIN", with(func(in *catalog.UpsertInput) {
			in.Variants = []catalog.VariantInput{variant("a", "A", "012345678905", 1), variant("b", "B", "0012345678905", 1)}
		}), apperr.Invalid, "input.variants.1.barcode"},
		{"variant id on create", with(func(in *catalog.UpsertInput) { in.Variants[0].ID = ids.New(catalog.VariantIDPrefix) }), apperr.NotFound, "input.variants.0.id"},
		{"malformed item id", with(func(in *catalog.UpsertInput) { in.ID = "itm_nope" }), apperr.NotFound, "input.id"},
		{"unknown item id", with(func(in *catalog.UpsertInput) { in.ID = ids.New(catalog.ItemIDPrefix) }), apperr.NotFound, "input.id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc, st := newService()
			_, err := svc.Upsert(manager(t), tc.in)
			l, ok := apperr.Expected(err)
			if !ok || l[0].Code != tc.code || strings.Join(l[0].Field, ".") != tc.field {
				t.Fatalf("err = %v, want %s on %s", err, tc.code, tc.field)
			}
			if len(st.created) > 0 {
				t.Fatal("an invalid upsert was written")
			}
		})
	}
	t.Run("every failure reported at once", func(t *testing.T) {
		svc, _ := newService()
		_, err := svc.Upsert(manager(t), catalog.UpsertInput{Name: "", TaxCategory: "X", Variants: []catalog.VariantInput{{SKU: "", Price: -5, Currency: "EUR"}}})
		l, _ := apperr.Expected(err)
		if len(l) != 6 {
			t.Fatalf("got %d errors: %v", len(l), err)
		}
	})
}

func TestService_Upsert(t *testing.T) {
	svc, st := newService()
	no := false
	it, err := svc.Upsert(manager(t), catalog.UpsertInput{Name: "  Onigiri ", TaxCategory: tax.Reduced, Variants: []catalog.VariantInput{
		variant(" Salmon ", " ONI-1 ", " 4901234567894 ", 150),
		{Name: "Kelp", SKU: "ONI-2", Price: 0, Currency: "JPY", TrackStock: &no},
	}})
	if err != nil {
		t.Fatal(err)
	}
	v := it.Variants[0]
	if it.Name != "Onigiri" || v.Name != "Salmon" || v.SKU != "ONI-1" || v.Barcode != "4901234567894" || !v.TrackStock || it.Variants[1].TrackStock {
		t.Fatalf("not normalized: %+v", it)
	}
	if v.ItemID != it.ID || v.ItemName != "Onigiri" || v.TaxCategory != tax.Reduced || !v.UpdatedAt.Equal(now) || !it.CreatedAt.Equal(now) {
		t.Fatalf("variant not denormalized: %+v", v)
	}
	if !ids.Valid(catalog.ItemIDPrefix, it.ID) || !ids.Valid(catalog.VariantIDPrefix, v.ID) || len(st.created) != 1 {
		t.Fatalf("ids %s %s, created %d", it.ID, v.ID, len(st.created))
	}

	st.current[it.ID] = it
	up, err := svc.Upsert(manager(t), catalog.UpsertInput{ID: it.ID, Name: "Onigiri", TaxCategory: tax.Reduced, Variants: []catalog.VariantInput{
		variant("Tuna", "ONI-3", "", 180), {ID: v.ID, Name: "Salmon", SKU: "ONI-1", Price: 160, Currency: "JPY"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(up.Variants) != 2 || up.Variants[1].ID != v.ID || up.Variants[1].Price != 160 || up.Variants[0].ID == v.ID || !up.CreatedAt.Equal(it.CreatedAt) {
		t.Fatalf("update %+v", up)
	}
	_, err = svc.Upsert(manager(t), catalog.UpsertInput{ID: it.ID, Name: "Onigiri", TaxCategory: tax.Reduced, Variants: []catalog.VariantInput{
		{ID: ids.New(catalog.VariantIDPrefix), Name: "Ghost", SKU: "G", Price: 1, Currency: "JPY"},
	}})
	if l, ok := apperr.Expected(err); !ok || l[0].Code != apperr.NotFound || strings.Join(l[0].Field, ".") != "input.variants.0.id" {
		t.Fatalf("foreign variant id: %v", err)
	}
}

func TestService_Reads(t *testing.T) {
	t.Run("list arguments", func(t *testing.T) {
		svc, st := newService()
		for _, tc := range []struct {
			first int
			query string
			field string
		}{{0, "", "first"}, {251, "", "first"}, {10, strings.Repeat("q", 201), "query"}} {
			_, _, err := svc.List(manager(t), tc.query, tc.first, "")
			if l, ok := apperr.Expected(err); !ok || l[0].Code != apperr.Invalid || l[0].Field[0] != tc.field {
				t.Fatalf("List(%d, %d chars) = %v", tc.first, len(tc.query), err)
			}
		}
		if _, _, err := svc.List(manager(t), "  tea ", 250, "c"); err != nil {
			t.Fatal(err)
		}
		if want := []string{`ListItems("tea",250,"c")`}; !slices.Equal(st.calls, want) {
			t.Fatalf("calls %v", st.calls)
		}
	})
	t.Run("a barcode that cannot exist costs no read", func(t *testing.T) {
		svc, st := newService()
		for _, b := range []string{"4901234567890", "abc", strings.Repeat("9", 3000)} {
			if _, err := svc.ByBarcode(manager(t), b); !apperr.Is(err, apperr.NotFound) {
				t.Fatalf("ByBarcode(%q) = %v", b, err)
			}
		}
		if _, err := svc.ByBarcode(manager(t), " 4901234567894 "); err != nil {
			t.Fatal(err)
		}
		if want := []string{"VariantByBarcode(4901234567894)"}; !slices.Equal(st.calls, want) {
			t.Fatalf("calls %v", st.calls)
		}
	})
	t.Run("by id: request order, once each, junk dropped", func(t *testing.T) {
		svc, st := newService()
		a, b := ids.New(catalog.ItemIDPrefix), ids.New(catalog.ItemIDPrefix)
		st.current[a], st.current[b] = catalog.Item{ID: a}, catalog.Item{ID: b}
		got, err := svc.GetItems(manager(t), []string{a, "junk", b, a, ids.New(catalog.ItemIDPrefix)})
		if err != nil || len(got) != 2 || got[0].ID != a || got[1].ID != b {
			t.Fatalf("GetItems = %+v, %v", got, err)
		}
		if vs, err := svc.GetVariants(manager(t), []string{"junk", a}); err != nil || len(vs) != 0 {
			t.Fatalf("GetVariants = %+v, %v", vs, err)
		}
		if want := []string{"GetItems"}; !slices.Equal(st.calls, want) {
			t.Fatalf("calls %v (nothing to read must cost no read)", st.calls)
		}
	})
}
