package dynamo

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/integrations"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// TestSalesStore_CloseRevisionsInRange: every revision of every close (the
// location's and its registers') of the dates in the range, of that
// location and tenant only; CloseLocationIDs lists the tenant's locations.
func TestSalesStore_CloseRevisionsInRange(t *testing.T) {
	tbl := mustTable(t)
	st := NewSalesStore(tbl)
	ctx, other := tenantCtx(t), tenantCtx(t)
	locA, locB := ids.New(ids.Location), ids.New(ids.Location)
	for _, c := range []struct {
		ctx context.Context
		loc string
	}{{ctx, locA}, {ctx, locB}, {other, locA}} {
		tpk, _ := tenantPK(c.ctx)
		putRaw(t, tbl, locationItem{PK: tpk, SK: skLocPrefix + c.loc, Type: "Location", ID: c.loc, Name: "L", Timezone: "Asia/Tokyo", CreatedAt: fmtTime(time.Now())})
	}
	save := func(ctx context.Context, loc, reg, date string, rev int) {
		t.Helper()
		c := sales.RegisterClose{ID: ids.New("cls"), LocationID: loc, RegisterID: reg, BusinessDate: date, Revision: rev, Currency: "JPY", ClosedAt: time.Now().UTC()}
		if _, _, err := st.SaveClose(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
	}
	save(ctx, locA, "", "2026-11-27", 1)
	save(ctx, locA, "", "2026-11-28", 1)
	save(ctx, locA, "", "2026-11-28", 2)
	save(ctx, locA, tenant.RegisterID(locA, 1), "2026-11-28", 1)
	save(ctx, locA, "", "2026-11-30", 1)
	save(ctx, locA, "", "2026-12-01", 1)
	save(ctx, locB, "", "2026-11-29", 1)
	save(other, locA, "", "2026-11-29", 1)

	got, err := st.CloseRevisions(ctx, locA, "2026-11-28", "2026-11-30", 100)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, c := range got {
		seen = append(seen, fmt.Sprintf("%s %v r%d", c.BusinessDate, c.RegisterID != "", c.Revision))
	}
	slices.Sort(seen)
	want := []string{"2026-11-28 false r1", "2026-11-28 false r2", "2026-11-28 true r1", "2026-11-30 false r1"}
	if !slices.Equal(seen, want) {
		t.Fatalf("closes %v, want %v", seen, want)
	}
	if got, err := st.CloseRevisions(ctx, locA, "2026-11-28", "2026-11-30", 2); err != nil || len(got) != 2 {
		t.Fatalf("limit 2: %d closes, %v", len(got), err)
	}
	locs, err := st.CloseLocationIDs(ctx)
	if slices.Sort(locs); err != nil || !slices.Equal(locs, slices.Sorted(slices.Values([]string{locA, locB}))) {
		t.Fatalf("locations %v, %v", locs, err)
	}
}

// TestIntegrationStore_JobsCreatedBetween: the integration's jobs of a kind
// created in the window, its ends included; other kinds, integrations and
// tenants left out.
func TestIntegrationStore_JobsCreatedBetween(t *testing.T) {
	st := NewIntegrationStore(mustTable(t))
	ctx, other := tenantCtx(t), tenantCtx(t)
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	a, b := mustIntegration(t, st, ctx, t0), mustIntegration(t, st, ctx, t0)
	c := mustIntegration(t, st, other, t0)
	jobs := testJobs(ctx, a, 10, t0) // at t0 + 0…9 ms
	for i := range jobs {
		if i%3 != 0 {
			jobs[i].Kind = integrations.KindPostDailySales
		}
	}
	jobs = append(jobs, testJobs(ctx, b, 10, t0)...)
	for _, j := range testJobs(other, c, 10, t0) {
		if _, err := st.CreateJobs(other, []integrations.Job{j}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range jobs[10:] {
		jobs[10+i].Kind = integrations.KindPostDailySales
	}
	if _, err := st.CreateJobs(ctx, jobs); err != nil {
		t.Fatal(err)
	}
	got, err := st.JobsCreatedBetween(ctx, a.ID, integrations.KindPostDailySales, t0.Add(2*time.Millisecond), t0.Add(7*time.Millisecond), 100)
	if err != nil {
		t.Fatal(err)
	}
	var at []int64
	for _, j := range got {
		if j.IntegrationID != a.ID || j.Kind != integrations.KindPostDailySales {
			t.Fatalf("job %+v", j)
		}
		at = append(at, j.CreatedAt.Sub(t0).Milliseconds())
	}
	// 2…7 ms, less the DELIVER_EVENT jobs at 3 and 6 ms.
	if want := []int64{2, 4, 5, 7}; !slices.Equal(at, want) {
		t.Fatalf("jobs created at %v ms, want %v", at, want)
	}
	if _, err := st.JobsCreatedBetween(ctx, "int_bad", integrations.KindPostDailySales, t0, t0, 10); err == nil {
		t.Fatal("a malformed integration id was accepted")
	}
}
