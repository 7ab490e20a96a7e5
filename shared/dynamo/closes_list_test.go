package dynamo

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// TestSalesStore_LocationCloses: the newest revision of each whole-location
// close in the date range, every location of the tenant and no other's;
// register closes and dates outside the range left out.
func TestSalesStore_LocationCloses(t *testing.T) {
	tbl := mustTable(t)
	st := NewSalesStore(tbl)
	ctx, other := tenantCtx(t), tenantCtx(t)
	locA, locB := ids.New(ids.Location), ids.New(ids.Location)
	for _, c := range []struct {
		ctx context.Context
		loc string
	}{{ctx, locA}, {ctx, locB}, {other, locA}} {
		tpk, err := tenantPK(c.ctx)
		if err != nil {
			t.Fatal(err)
		}
		putRaw(t, tbl, locationItem{PK: tpk, SK: skLocPrefix + c.loc, Type: "Location", ID: c.loc, Name: "L", Timezone: "Asia/Tokyo", CreatedAt: fmtTime(time.Now())})
	}
	save := func(ctx context.Context, loc, reg, date string, rev int, net int64) {
		t.Helper()
		c := sales.RegisterClose{ID: ids.New("cls"), LocationID: loc, RegisterID: reg, BusinessDate: date, Revision: rev, Currency: "JPY",
			CloseFigures: sales.CloseFigures{Net: net, Payments: []sales.PaymentTotal{{Method: sales.Cash, Amount: net}}}, ClosedAt: time.Now().UTC()}
		if _, _, err := st.SaveClose(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
	}
	save(ctx, locA, "", "2026-11-27", 1, 1)
	save(ctx, locA, "", "2026-11-28", 1, 100)
	save(ctx, locA, "", "2026-11-29", 1, 200)
	save(ctx, locA, "", "2026-11-29", 2, 210)
	save(ctx, locA, tenant.RegisterID(locA, 1), "2026-11-29", 1, 50)
	save(ctx, locA, "", "2026-12-05", 1, 1)
	save(ctx, locB, "", "2026-11-30", 1, 300)
	save(other, locA, "", "2026-11-29", 1, 999)

	got, err := st.LocationCloses(ctx, "2026-11-28", "2026-11-30")
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, c := range got {
		seen = append(seen, fmt.Sprintf("%s %s r%d %d", map[string]string{locA: "A", locB: "B"}[c.LocationID], c.BusinessDate, c.Revision, c.Net))
		if c.RegisterID != "" {
			t.Errorf("register close %+v listed", c)
		}
	}
	want := map[string]bool{"A 2026-11-28 r1 100": true, "A 2026-11-29 r2 210": true, "B 2026-11-30 r1 300": true}
	if len(seen) != len(want) {
		t.Fatalf("closes %v, want %v", seen, want)
	}
	for _, s := range seen {
		if !want[s] {
			t.Fatalf("closes %v, want %v", seen, want)
		}
	}
	if _, err := st.LocationCloses(ctx, "2026-11", "2026-11-30"); err == nil {
		t.Fatal("a malformed date was accepted")
	}
}
