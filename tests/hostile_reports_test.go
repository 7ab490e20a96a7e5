package tests

import (
	"fmt"
	"strings"
	"testing"

	"github.com/renkei-pos/renkei/shared/reports"
)

// Hostile salesSummary requests (issue 8): a summary without locationId
// reads every location the caller may see. The cost model prices it at
// reports.MaxSummaryLocations locations, and the reports service refuses
// it when the caller may see more, so what runs is never more than what
// was priced.
func TestHostile_TenantWideSummaryIsPricedOrRefused(t *testing.T) {
	m := signUp(t, "hostile-reports")
	countLocations := func() int {
		r := gql(t, m.token, `{ locations { id } }`, nil)
		mustOK(t, r, "")
		return len(field(t, r.Data, "locations").([]any))
	}
	var locs []string
	for i := countLocations(); i <= reports.MaxSummaryLocations; i++ {
		locs = append(locs, createLocation(t, m, fmt.Sprintf("Store %d", i)))
	}
	if n := countLocations(); n != reports.MaxSummaryLocations+1 {
		t.Fatalf("%d locations, want %d", n, reports.MaxSummaryLocations+1)
	}
	rng := func(in map[string]any) map[string]any {
		in["from"], in["to"] = "2026-01-01T00:00:00Z", "2026-12-01T00:00:00Z"
		return in
	}

	t.Run("over the cap the tenant-wide form is INVALID and reads nothing", func(t *testing.T) {
		for _, g := range []string{"ITEM", "LOCATION", "DAY"} {
			_, _, r := summary(t, m.token, rng(map[string]any{"groupBy": g}))
			if r.code() != "INVALID" || !strings.Contains(r.Errors[0].Message, "locationId") {
				t.Fatalf("%s: errors %+v, data %v", g, r.Errors, r.Data)
			}
		}
	})
	t.Run("an explicit null locationId is the tenant-wide form", func(t *testing.T) {
		_, _, r := summary(t, m.token, rng(map[string]any{"groupBy": "ITEM", "locationId": nil}))
		if r.code() != "INVALID" {
			t.Fatalf("errors %+v, data %v", r.Errors, r.Data)
		}
	})
	t.Run("per location it runs", func(t *testing.T) {
		_, _, r := summary(t, m.token, rng(map[string]any{"groupBy": "ITEM", "locationId": locs[0]}))
		mustOK(t, r, "")
	})
	t.Run("a manager who sees fewer locations gets the tenant-wide form", func(t *testing.T) {
		token, _ := createStaff(t, m, "MANAGER", locs[:3])
		_, _, r := summary(t, token, rng(map[string]any{"groupBy": "LOCATION"}))
		mustOK(t, r, "")
	})
	t.Run("the tenant-wide form is priced at the cap's locations", func(t *testing.T) {
		one := `salesSummary(input: {from: "2026-01-01T00:00:00Z", to: "2026-12-01T00:00:00Z", groupBy: ITEM}) { key }`
		doc := func(n int, loc string) string {
			var b strings.Builder
			b.WriteString("{ ")
			for i := range n {
				q := one
				if loc != "" {
					q = strings.Replace(q, "groupBy:", `locationId: "`+loc+`", groupBy:`, 1)
				}
				fmt.Fprintf(&b, "a%d: %s ", i, q)
			}
			b.WriteString("}")
			return b.String()
		}
		// 1 + 50 locations × 300 + 1,000 rows × 1 = 16,001 each: four are
		// 64,004, over the limit, refused before anything runs.
		if r := gql(t, m.token, doc(4, ""), nil); r.code() != "QUERY_TOO_COMPLEX" {
			t.Fatalf("four tenant-wide summaries: errors %+v", r.Errors)
		}
		// The same four per location cost 1,301 each.
		r := gql(t, m.token, doc(4, locs[0]), nil)
		mustOK(t, r, "")
		// As a variable without locationId the price is the tenant-wide one.
		vars := map[string]any{}
		var b strings.Builder
		b.WriteString("query(")
		for i := range 4 {
			fmt.Fprintf(&b, "$in%d: SalesSummaryInput! ", i)
			vars[fmt.Sprintf("in%d", i)] = rng(map[string]any{"groupBy": "ITEM"})
		}
		b.WriteString(") { ")
		for i := range 4 {
			fmt.Fprintf(&b, "a%d: salesSummary(input: $in%d) { key } ", i, i)
		}
		b.WriteString("}")
		if r := gql(t, m.token, b.String(), vars); r.code() != "QUERY_TOO_COMPLEX" {
			t.Fatalf("four tenant-wide summaries by variables: errors %+v", r.Errors)
		}
	})
}
