package dynamo

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
)

// catalogFixture is a catalog service on a fresh table and one tenant.
func catalogFixture(tb testing.TB) (*catalog.Service, *CatalogStore, context.Context) {
	tb.Helper()
	t := mustTable(tb)
	ctx, tn, u := newTenant(tb, NewIdentityStore(t), fmt.Sprintf("cat-%d@example.com", time.Now().UnixNano()))
	ctx = identity.WithPrincipal(ctx, identity.Principal{TenantID: tn.ID, UserID: u.ID, Role: identity.Owner})
	st := NewCatalogStore(t)
	return &catalog.Service{Store: st, Tenants: NewTenantStore(t)}, st, ctx
}

func vin(name, sku, barcode string, price int64) catalog.VariantInput {
	return catalog.VariantInput{Name: name, SKU: sku, Barcode: barcode, Price: price, Currency: "JPY"}
}

func mustUpsert(tb testing.TB, svc *catalog.Service, ctx context.Context, in catalog.UpsertInput) catalog.Item {
	tb.Helper()
	it, err := svc.Upsert(ctx, in)
	if err != nil {
		tb.Fatalf("upsert %q: %v", in.Name, err)
	}
	return it
}

// wantErr checks err's code and the field path of its first error.
func wantErr(tb testing.TB, err error, code apperr.Code, field ...string) {
	tb.Helper()
	l, ok := apperr.Expected(err)
	if !ok || l[0].Code != code || !slices.Equal(l[0].Field, field) {
		tb.Fatalf("err = %v, want %s on %v", err, code, field)
	}
}

// Barcodes with valid check digits.
const (
	jan1 = "4901234567894"
	jan2 = "4912345678904"
	jan3 = "4512345678906"
	upcA = "012345678905"  // UPC-A
	ean0 = "0012345678905" // the same GTIN as EAN-13
)

func TestCatalogStore_CreateUpdateRemove(t *testing.T) {
	svc, _, ctx := catalogFixture(t)
	it := mustUpsert(t, svc, ctx, catalog.UpsertInput{Name: "Green Tea", TaxCategory: tax.Reduced, Variants: []catalog.VariantInput{
		vin("350ml", "TEA-350", jan1, 150), vin("500ml", "TEA-500", "", 200),
	}})
	if !ids.Valid(catalog.ItemIDPrefix, it.ID) || len(it.Variants) != 2 || !ids.Valid(catalog.VariantIDPrefix, it.Variants[0].ID) {
		t.Fatalf("created %+v", it)
	}
	small, large := it.Variants[0], it.Variants[1]

	t.Run("reads back", func(t *testing.T) {
		got, err := svc.GetItems(ctx, []string{it.ID, it.ID, ids.New(catalog.ItemIDPrefix), "junk"})
		if err != nil || len(got) != 1 || got[0].Name != "Green Tea" || len(got[0].Variants) != 2 || got[0].Variants[1].SKU != "TEA-500" {
			t.Fatalf("GetItems = %+v, %v", got, err)
		}
		vs, err := svc.GetVariants(ctx, []string{large.ID, small.ID})
		if err != nil || len(vs) != 2 || vs[0].ID != large.ID || vs[1].ItemName != "Green Tea" || vs[1].TaxCategory != tax.Reduced || !vs[1].TrackStock {
			t.Fatalf("GetVariants = %+v, %v", vs, err)
		}
		v, err := svc.ByBarcode(ctx, jan1)
		if err != nil || v.ID != small.ID || v.Price != 150 || v.ItemID != it.ID {
			t.Fatalf("ByBarcode = %+v, %v", v, err)
		}
		if _, err := svc.ByBarcode(ctx, jan2); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("unknown barcode: %v", err)
		}
	})

	t.Run("update renames, reprices, removes and adds", func(t *testing.T) {
		no := false
		up := mustUpsert(t, svc, ctx, catalog.UpsertInput{ID: it.ID, Name: "Matcha", TaxCategory: tax.Standard, Variants: []catalog.VariantInput{
			{ID: small.ID, Name: "350ml", SKU: "TEA-350", Barcode: jan1, Price: 180, Currency: "JPY"},
			{Name: "1L", SKU: "TEA-1L", Barcode: jan2, Price: 300, Currency: "JPY", TrackStock: &no},
		}})
		if up.Variants[0].ID != small.ID || up.Variants[1].ID == large.ID || up.Variants[1].TrackStock {
			t.Fatalf("updated %+v", up)
		}
		got, _ := svc.GetItems(ctx, []string{it.ID})
		if got[0].Name != "Matcha" || got[0].TaxCategory != tax.Standard || len(got[0].Variants) != 2 || !got[0].CreatedAt.Equal(it.CreatedAt) {
			t.Fatalf("stored %+v", got[0])
		}
		vs, _ := svc.GetVariants(ctx, []string{small.ID, large.ID, up.Variants[1].ID})
		if len(vs) != 2 || vs[0].Price != 180 || vs[0].ItemName != "Matcha" || vs[0].TaxCategory != tax.Standard {
			t.Fatalf("variants after update %+v (the removed one must be gone)", vs)
		}
		if !vs[0].UpdatedAt.Equal(got[0].UpdatedAt) {
			t.Fatalf("variant updatedAt %v != item updatedAt %v", vs[0].UpdatedAt, got[0].UpdatedAt)
		}
		if v, err := svc.ByBarcode(ctx, jan1); err != nil || v.Price != 180 || v.ItemName != "Matcha" {
			t.Fatalf("barcode copy not rewritten: %+v, %v", v, err)
		}
		// The removed variant's SKU is free again.
		mustUpsert(t, svc, ctx, catalog.UpsertInput{Name: "Other", TaxCategory: tax.Standard, Variants: []catalog.VariantInput{vin("x", "TEA-500", "", 1)}})
	})

	t.Run("variant ids must be the item's", func(t *testing.T) {
		other := mustUpsert(t, svc, ctx, catalog.UpsertInput{Name: "Coffee", TaxCategory: tax.Reduced, Variants: []catalog.VariantInput{vin("S", "COF-S", "", 300)}})
		_, err := svc.Upsert(ctx, catalog.UpsertInput{ID: it.ID, Name: "Matcha", TaxCategory: tax.Standard, Variants: []catalog.VariantInput{
			{ID: other.Variants[0].ID, Name: "S", SKU: "COF-S", Price: 1, Currency: "JPY"},
		}})
		wantErr(t, err, apperr.NotFound, "input", "variants", "0", "id")
		_, err = svc.Upsert(ctx, catalog.UpsertInput{ID: ids.New(catalog.ItemIDPrefix), Name: "Ghost", TaxCategory: tax.Standard, Variants: []catalog.VariantInput{vin("a", "GHOST", "", 1)}})
		wantErr(t, err, apperr.NotFound, "input", "id")
	})

	t.Run("a SKU moves between variants of the item in one request", func(t *testing.T) {
		cur, _ := svc.GetItems(ctx, []string{it.ID})
		v0 := cur[0].Variants[0]
		up := mustUpsert(t, svc, ctx, catalog.UpsertInput{ID: it.ID, Name: "Matcha", TaxCategory: tax.Standard, Variants: []catalog.VariantInput{
			{ID: v0.ID, Name: v0.Name, SKU: "TEA-350-OLD", Price: 180, Currency: "JPY"},
			vin("350ml new", "TEA-350", jan1, 190),
		}})
		if v, err := svc.ByBarcode(ctx, jan1); err != nil || v.ID != up.Variants[1].ID {
			t.Fatalf("barcode moved to %+v, %v", v, err)
		}
	})
}

func TestCatalogStore_Taken(t *testing.T) {
	svc, _, ctx := catalogFixture(t)
	a := mustUpsert(t, svc, ctx, catalog.UpsertInput{Name: "A", TaxCategory: tax.Standard, Variants: []catalog.VariantInput{vin("a", "SKU-A", jan1, 100), vin("a2", "SKU-A2", upcA, 100)}})

	cases := []struct {
		name  string
		in    catalog.UpsertInput
		field []string
	}{
		{"SKU of another item", catalog.UpsertInput{Name: "B", TaxCategory: tax.Standard, Variants: []catalog.VariantInput{vin("b", "SKU-B", "", 1), vin("b2", "SKU-A", "", 1)}},
			[]string{"input", "variants", "1", "sku"}},
		{"barcode of another item", catalog.UpsertInput{Name: "B", TaxCategory: tax.Standard, Variants: []catalog.VariantInput{vin("b", "SKU-B", jan1, 1)}},
			[]string{"input", "variants", "0", "barcode"}},
		{"same GTIN written as EAN-13", catalog.UpsertInput{Name: "B", TaxCategory: tax.Standard, Variants: []catalog.VariantInput{vin("b", "SKU-B", ean0, 1)}},
			[]string{"input", "variants", "0", "barcode"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.Upsert(ctx, tc.in)
			wantErr(t, err, apperr.Taken, tc.field...)
			items, _, _ := svc.List(ctx, "", 10, "")
			if len(items) != 1 || items[0].ID != a.ID {
				t.Fatalf("a failed upsert wrote something: %+v", items)
			}
			if _, err := svc.ByBarcode(ctx, jan1); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("an update taking another item's SKU leaves both unchanged", func(t *testing.T) {
		b := mustUpsert(t, svc, ctx, catalog.UpsertInput{Name: "B", TaxCategory: tax.Standard, Variants: []catalog.VariantInput{vin("b", "SKU-B", jan2, 1)}})
		_, err := svc.Upsert(ctx, catalog.UpsertInput{ID: b.ID, Name: "B2", TaxCategory: tax.Standard, Variants: []catalog.VariantInput{
			{ID: b.Variants[0].ID, Name: "b", SKU: "SKU-A2", Barcode: jan2, Price: 1, Currency: "JPY"}}})
		wantErr(t, err, apperr.Taken, "input", "variants", "0", "sku")
		got, _ := svc.GetItems(ctx, []string{b.ID})
		if got[0].Name != "B" || got[0].Variants[0].SKU != "SKU-B" {
			t.Fatalf("b changed: %+v", got[0])
		}
	})
	t.Run("a removed variant's barcode is free", func(t *testing.T) {
		mustUpsert(t, svc, ctx, catalog.UpsertInput{ID: a.ID, Name: "A", TaxCategory: tax.Standard, Variants: []catalog.VariantInput{
			{ID: a.Variants[0].ID, Name: "a", SKU: "SKU-A", Barcode: jan1, Price: 100, Currency: "JPY"}}})
		if _, err := svc.ByBarcode(ctx, upcA); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("removed barcode still found: %v", err)
		}
		c := mustUpsert(t, svc, ctx, catalog.UpsertInput{Name: "C", TaxCategory: tax.Standard, Variants: []catalog.VariantInput{vin("c", "SKU-A2", ean0, 5)}})
		if v, err := svc.ByBarcode(ctx, upcA); err != nil || v.ItemID != c.ID {
			t.Fatalf("reused barcode: %+v, %v", v, err)
		}
	})
}

func TestCatalogStore_TooManyActions(t *testing.T) {
	svc, _, ctx := catalogFixture(t)
	variants := func(prefix string, base int64) []catalog.VariantInput {
		var out []catalog.VariantInput
		for i := range catalog.MaxVariants {
			out = append(out, vin(fmt.Sprint(i), fmt.Sprintf("%s-%d", prefix, i), gtin13(base+int64(i)), 1))
		}
		return out
	}
	it := mustUpsert(t, svc, ctx, catalog.UpsertInput{Name: "Big", TaxCategory: tax.Standard, Variants: variants("OLD", 490000000000)})
	// Replacing 20 variants with barcodes by 20 new ones: 1 + 20×3 puts + 20×3 deletes.
	_, err := svc.Upsert(ctx, catalog.UpsertInput{ID: it.ID, Name: "Big", TaxCategory: tax.Standard, Variants: variants("NEW", 491000000000)})
	wantErr(t, err, apperr.Invalid, "input", "variants")
	got, _ := svc.GetItems(ctx, []string{it.ID})
	if got[0].Variants[0].SKU != "OLD-0" {
		t.Fatal("the refused upsert wrote")
	}
}

// gtin13 appends the check digit to 12 digits.
func gtin13(n int64) string {
	s := fmt.Sprintf("%012d", n)
	for d := '0'; d <= '9'; d++ {
		if catalog.ValidBarcode(s + string(d)) {
			return s + string(d)
		}
	}
	panic("unreachable")
}

func TestCatalogStore_UpdateRetriesOnVersion(t *testing.T) {
	svc, st, ctx := catalogFixture(t)
	it := mustUpsert(t, svc, ctx, catalog.UpsertInput{Name: "Race", TaxCategory: tax.Standard, Variants: []catalog.VariantInput{vin("a", "RACE", "", 1)}})
	calls := 0
	got, err := st.UpdateItem(ctx, it.ID, func(cur catalog.Item) (catalog.Item, error) {
		calls++
		if calls == 1 { // another writer wins between our read and our write
			mustUpsert(t, svc, ctx, catalog.UpsertInput{ID: it.ID, Name: "Race (theirs)", TaxCategory: tax.Standard, Variants: []catalog.VariantInput{
				{ID: it.Variants[0].ID, Name: "a", SKU: "RACE", Price: 2, Currency: "JPY"}}})
		}
		cur.Name += " + ours"
		return cur, nil
	})
	if err != nil || calls != 2 || got.Name != "Race (theirs) + ours" {
		t.Fatalf("UpdateItem = %+v, %v after %d calls", got, err, calls)
	}
	_, err = st.UpdateItem(ctx, it.ID, func(cur catalog.Item) (catalog.Item, error) {
		mustUpsert(t, svc, ctx, catalog.UpsertInput{ID: it.ID, Name: "again", TaxCategory: tax.Standard, Variants: []catalog.VariantInput{
			{ID: it.Variants[0].ID, Name: "a", SKU: "RACE", Price: 2, Currency: "JPY"}}})
		return cur, nil
	})
	if apperr.CodeOf(err) != apperr.Unavailable {
		t.Fatalf("err = %v, want UNAVAILABLE after losing every race", err)
	}
}

func TestCatalogStore_TenantIsolation(t *testing.T) {
	svc, st, ctxA := catalogFixture(t)
	ctxB, tnB, uB := newTenant(t, NewIdentityStore(st.t), "b-catalog@example.com")
	ctxB = identity.WithPrincipal(ctxB, identity.Principal{TenantID: tnB.ID, UserID: uB.ID, Role: identity.Owner})
	a := mustUpsert(t, svc, ctxA, catalog.UpsertInput{Name: "Secret", TaxCategory: tax.Standard, Variants: []catalog.VariantInput{vin("a", "SHARED-SKU", jan1, 1)}})

	if got, err := svc.GetItems(ctxB, []string{a.ID}); err != nil || len(got) != 0 {
		t.Fatalf("B reads A's item: %+v, %v", got, err)
	}
	if got, err := svc.GetVariants(ctxB, []string{a.Variants[0].ID}); err != nil || len(got) != 0 {
		t.Fatalf("B reads A's variant: %+v, %v", got, err)
	}
	if _, err := svc.ByBarcode(ctxB, jan1); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("B finds A's barcode: %v", err)
	}
	for _, q := range []string{"", "sec", "SHARED", "4901"} {
		if items, _, err := svc.List(ctxB, q, 10, ""); err != nil || len(items) != 0 {
			t.Fatalf("B lists A's items with %q: %+v, %v", q, items, err)
		}
	}
	_, err := svc.Upsert(ctxB, catalog.UpsertInput{ID: a.ID, Name: "Mine now", TaxCategory: tax.Standard, Variants: []catalog.VariantInput{
		{ID: a.Variants[0].ID, Name: "a", SKU: "X", Price: 1, Currency: "JPY"}}})
	wantErr(t, err, apperr.NotFound, "input", "id")
	// The same SKU and barcode are free in another tenant.
	b := mustUpsert(t, svc, ctxB, catalog.UpsertInput{Name: "Mine", TaxCategory: tax.Standard, Variants: []catalog.VariantInput{vin("b", "SHARED-SKU", jan1, 1)}})
	if v, err := svc.ByBarcode(ctxA, jan1); err != nil || v.ItemID != a.ID {
		t.Fatalf("A's barcode now %+v, %v", v, err)
	}
	if v, err := svc.ByBarcode(ctxB, jan1); err != nil || v.ItemID != b.ID {
		t.Fatalf("B's barcode %+v, %v", v, err)
	}
	if _, err := st.GetItems(context.Background(), []string{a.ID}); !apperr.Is(err, apperr.Unauthenticated) {
		t.Fatalf("no tenant in context: %v", err)
	}
}

func TestCatalogStore_ListAndSearch(t *testing.T) {
	svc, _, ctx := catalogFixture(t)
	names := []string{"banana", "Apple", "cherry", "apricot", "Blueberry", "avocado", "Tea", "tea#x"}
	byName := map[string]catalog.Item{}
	for i, n := range names {
		byName[n] = mustUpsert(t, svc, ctx, catalog.UpsertInput{Name: n, TaxCategory: tax.Reduced, Variants: []catalog.VariantInput{
			vin("one", fmt.Sprintf("FR-%02d", i), gtin13(450000000000+int64(i)*1000), 100),
		}})
	}
	// Items with SKUs and barcodes that do not match their names.
	mustUpsert(t, svc, ctx, catalog.UpsertInput{Name: "Zucchini", TaxCategory: tax.Reduced, Variants: []catalog.VariantInput{vin("z", "APPLE-LOOKALIKE", "", 1)}})

	nameList := func(items []catalog.Item) string {
		var out []string
		for _, it := range items {
			out = append(out, it.Name)
		}
		return strings.Join(out, ",")
	}
	pages := func(t *testing.T, query string, first int) []string {
		t.Helper()
		var out []string
		after := ""
		for range 20 {
			items, next, err := svc.List(ctx, query, first, after)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, nameList(items))
			if next == "" {
				return out
			}
			after = next
		}
		t.Fatal("pagination does not end")
		return nil
	}

	cases := []struct {
		name, query string
		first       int
		want        []string
	}{
		{"all, name order, case-insensitive", "", 3, []string{"Apple,apricot,avocado", "banana,Blueberry,cherry", "Tea,tea#x,Zucchini"}},
		{"one page exactly", "", 9, []string{"Apple,apricot,avocado,banana,Blueberry,cherry,Tea,tea#x,Zucchini"}},
		{"name prefix", "aP", 1, []string{"Apple", "apricot"}},
		{"name prefix is on the name, not the key", "tea#", 5, []string{"tea#x"}},
		{"SKU prefix", "FR-0", 4, []string{"Apple,apricot,avocado,banana", "Blueberry,cherry,Tea,tea#x"}},
		{"name and SKU prefixes together", "APPLE", 5, []string{"Apple,Zucchini"}},
		{"barcode prefix", gtin13(450000000000 + 2000)[:11], 5, []string{"cherry"}},
		{"barcode prefix, several", "4500000", 3, []string{"Apple,apricot,avocado", "banana,Blueberry,cherry", "Tea,tea#x"}},
		{"no match", "kiwi", 5, []string{""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := pages(t, tc.query, tc.first); !slices.Equal(got, tc.want) {
				t.Fatalf("pages = %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("items carry their variants", func(t *testing.T) {
		items, _, _ := svc.List(ctx, "banana", 1, "")
		if len(items) != 1 || len(items[0].Variants) != 1 || items[0].Variants[0].SKU != "FR-00" || items[0].ID != byName["banana"].ID {
			t.Fatalf("%+v", items)
		}
	})
	t.Run("cursors that are not this query's are INVALID", func(t *testing.T) {
		_, fromSearch, err := svc.List(ctx, "a", 1, "")
		if err != nil || fromSearch == "" {
			t.Fatalf("search page: %q %v", fromSearch, err)
		}
		_, fromAll, _ := svc.List(ctx, "", 1, "")
		id := byName["banana"].ID
		for name, c := range map[string]string{
			"garbled":                  "!!!",
			"not base64 of a cursor":   "Zm9v",
			"too long":                 strings.Repeat("A", 3000),
			"a bare sort key (forged)": encodeCursor("banana#" + id),
			"another search's":         fromSearch,
			"a customers cursor":       bindCursor("customers|", "banana#"+id),
			"bound, but no item id":    bindCursor("items|", "apple#itm_x"),
			"truncated":                fromAll[:len(fromAll)-3],
		} {
			if _, _, err := svc.List(ctx, "", 2, c); apperr.CodeOf(err) != apperr.Invalid {
				t.Errorf("%s: err = %v, want INVALID", name, err)
			}
		}
		if _, _, err := svc.List(ctx, "a", 1, fromSearch); err != nil {
			t.Fatalf("the search's own cursor: %v", err)
		}
	})
}
