package reports

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// memStore serves the aggregates of Deltas from memory, by location.
type memStore struct {
	items map[string]map[string]Figures // location|month → sk → figures
	reads atomic.Int64
}

func (m *memStore) ApplyMovement(_ context.Context, loc, _ string, ds []Delta) error {
	for _, d := range ds {
		k := loc + "|" + d.Month
		if m.items[k] == nil {
			m.items[k] = map[string]Figures{}
		}
		m.items[k][d.SK] = m.items[k][d.SK].Add(d.Figures)
	}
	return nil
}

func (m *memStore) Aggregates(_ context.Context, loc string, q Query) ([]Item, error) {
	m.reads.Add(1)
	var out []Item
	for sk, f := range m.items[loc+"|"+q.Month] {
		if sk >= q.From && sk <= q.To {
			out = append(out, Item{SK: sk, Figures: f})
		}
	}
	return out, nil
}

func (m *memStore) AsOf(context.Context) (time.Time, error) { return time.Unix(1700000000, 0), nil }

type memTenants struct{ locs []tenant.Location }

func (t memTenants) GetTenant(context.Context) (tenant.Tenant, error) {
	return tenant.Tenant{Currency: "JPY"}, nil
}
func (t memTenants) ListLocations(context.Context) ([]tenant.Location, error) {
	return slices.Clone(t.locs), nil
}
func (t memTenants) GetLocations(_ context.Context, ids []string) ([]tenant.Location, error) {
	var out []tenant.Location
	for _, l := range t.locs {
		if slices.Contains(ids, l.ID) {
			out = append(out, l)
		}
	}
	return out, nil
}

func TestService_SalesSummary(t *testing.T) {
	st := &memStore{items: map[string]map[string]Figures{}}
	svc := &Service{Store: st, Tenants: memTenants{locs: []tenant.Location{{ID: "loc_a", Timezone: "Asia/Tokyo"}, {ID: "loc_b", Timezone: "Asia/Tokyo"}}}}
	as := func(p identity.Principal) context.Context {
		p.TenantID = "tnt_x"
		return identity.WithPrincipal(context.Background(), p)
	}
	owner := as(identity.Principal{UserID: "usr_o", Role: identity.Owner})
	at := time.Date(2026, 11, 26, 4, 0, 0, 0, time.UTC)
	for i, loc := range []string{"loc_a", "loc_a", "loc_b"} {
		m := sale()
		m.EventID, m.TenantID, m.LocationID, m.At = fmt.Sprint("evt_", i), "tnt_x", loc, at
		if err := svc.Aggregate(owner, m); err != nil {
			t.Fatal(err)
		}
	}
	year := SummaryInput{From: at.Truncate(time.Hour).AddDate(-1, 0, 1), To: at.Truncate(time.Hour).Add(time.Hour), GroupBy: ByLocation}
	sum, err := svc.SalesSummary(owner, year)
	if err != nil {
		t.Fatal(err)
	}
	one := byKey(Contributions(sale()), dimTotal)[""]
	if len(sum.Rows) != 2 || sum.Rows[0].Figures != one.Add(one) || sum.Rows[1].Figures != one || sum.Currency != "JPY" || sum.AsOf.IsZero() {
		t.Fatalf("%+v", sum)
	}

	t.Run("a restricted caller sees its locations only", func(t *testing.T) {
		b := as(identity.Principal{UserID: "usr_m", Role: identity.Manager, LocationIDs: []string{"loc_b"}})
		sum, err := svc.SalesSummary(b, year)
		if err != nil || len(sum.Rows) != 1 || sum.Rows[0].Key != "loc_b" {
			t.Fatalf("%+v %v", sum, err)
		}
		in := year
		in.LocationID = "loc_a"
		if _, err := svc.SalesSummary(b, in); apperr.CodeOf(err) != apperr.Forbidden {
			t.Fatalf("%v", err)
		}
	})
	t.Run("refused before any read", func(t *testing.T) {
		before := st.reads.Load()
		cashier := as(identity.Principal{UserID: "usr_c", Role: identity.Cashier})
		unknown := year
		unknown.LocationID = "loc_zz"
		for name, c := range map[string]struct {
			ctx  context.Context
			in   SummaryInput
			code apperr.Code
		}{
			"cashier":          {cashier, year, apperr.Forbidden},
			"367 days":         {owner, SummaryInput{From: year.To.AddDate(0, 0, -367), To: year.To, GroupBy: ByDay}, apperr.Invalid},
			"half an hour":     {owner, SummaryInput{From: year.From.Add(30 * time.Minute), To: year.To, GroupBy: ByDay}, apperr.Invalid},
			"empty range":      {owner, SummaryInput{From: year.To, To: year.To, GroupBy: ByDay}, apperr.Invalid},
			"unknown grouping": {owner, SummaryInput{From: year.From, To: year.To, GroupBy: "WEEK"}, apperr.Invalid},
			"unknown location": {owner, unknown, apperr.NotFound},
		} {
			if _, err := svc.SalesSummary(c.ctx, c.in); apperr.CodeOf(err) != c.code {
				t.Errorf("%s: %v, want %s", name, err, c.code)
			}
		}
		if n := st.reads.Load() - before; n != 0 {
			t.Fatalf("%d aggregate reads for refused summaries", n)
		}
	})
	t.Run("more than MaxRows rows is INVALID", func(t *testing.T) {
		m := sale()
		m.EventID, m.TenantID, m.LocationID, m.At, m.Lines, m.Taxes = "evt_many", "tnt_x", "loc_a", at, nil, nil
		for i := range MaxRows + 1 {
			m.Lines = append(m.Lines, MovementLine{SKU: fmt.Sprintf("S%04d", i), Quantity: 1, Gross: 1, Total: 1, TaxCategory: "STANDARD"})
		}
		if err := svc.Aggregate(owner, m); err != nil {
			t.Fatal(err)
		}
		in := year
		in.GroupBy, in.LocationID = ByItem, "loc_a"
		if _, err := svc.SalesSummary(owner, in); apperr.CodeOf(err) != apperr.Invalid {
			t.Fatalf("%v", err)
		}
	})
}

// TestService_SalesSummaryExact: movements at random hours over two years
// and a half, summed by random ranges of whole hours, are exactly the
// contributions of the movements in each range — ITEM through year items
// less their outside months, the others through months.
func TestService_SalesSummaryExact(t *testing.T) {
	st := &memStore{items: map[string]map[string]Figures{}}
	svc := &Service{Store: st, Tenants: memTenants{locs: []tenant.Location{{ID: "loc_a", Timezone: "Asia/Tokyo"}}}}
	ctx := identity.WithPrincipal(context.Background(), identity.Principal{UserID: "usr_o", Role: identity.Owner, TenantID: "tnt_x"})
	r := rand.New(rand.NewPCG(3, 4))
	start := time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC)
	span := 30 * 30 * 24 // hours
	var ms []Movement
	for i := range 400 {
		m := sale()
		m.EventID, m.TenantID, m.LocationID = fmt.Sprint("evt_x", i), "tnt_x", "loc_a"
		m.At = start.Add(time.Duration(r.IntN(span))*time.Hour + time.Duration(r.IntN(3600))*time.Second)
		m.Lines[0].SKU = fmt.Sprint("SKU", r.IntN(5))
		m.RegisterID = fmt.Sprint("reg_", r.IntN(3))
		m.Refund = r.IntN(5) == 0
		if err := svc.Aggregate(ctx, m); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	dims := map[Grouping]dimension{ByItem: dimItem, ByRegister: dimRegister, ByPaymentMethod: dimPayment}
	for range 60 {
		from := start.Add(time.Duration(r.IntN(span)) * time.Hour)
		to := from.Add(time.Duration(1+r.IntN(MaxRangeDays*24)) * time.Hour)
		for g, d := range dims {
			want := map[string]Figures{}
			for _, m := range ms {
				if !m.At.Before(from) && m.At.Before(to) {
					for k, f := range byKey(Contributions(m), d) {
						want[k] = want[k].Add(f)
					}
				}
			}
			sum, err := svc.SalesSummary(ctx, SummaryInput{From: from, To: to, LocationID: "loc_a", GroupBy: g})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]Figures{}
			for _, row := range sum.Rows {
				got[row.Key] = row.Figures
			}
			for k, f := range want {
				if f == (Figures{}) {
					delete(want, k)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%s [%s, %s): got %v\nwant %v", g, from, to, got, want)
			}
		}
	}
}
