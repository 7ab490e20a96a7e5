package graph

import (
	"testing"

	"github.com/renkei-pos/renkei/shared/reports"
)

// A salesSummary without locationId reads every location the caller may
// see (capped at reports.MaxSummaryLocations): it is priced at that many.
func TestCostModel_SalesSummaryPricedByScope(t *testing.T) {
	m := servedModel(t)
	one := 1 + summaryLocationCost + reports.MaxRows
	all := 1 + reports.MaxSummaryLocations*summaryLocationCost + reports.MaxRows
	const doc = `query($in: SalesSummaryInput!) { salesSummary(input: $in) { key } }`
	in := func(loc any) map[string]any {
		m := map[string]any{"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z", "groupBy": "DAY"}
		if loc != "" {
			m["locationId"] = loc
		}
		return m
	}
	cases := []struct {
		name  string
		query string
		vars  map[string]any
		want  int
	}{
		{"literal location", `{ salesSummary(input: {from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z", locationId: "l", groupBy: DAY}) { key } }`, nil, one},
		{"literal without location", `{ salesSummary(input: {from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z", groupBy: DAY}) { key } }`, nil, all},
		{"literal null location", `{ salesSummary(input: {from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z", locationId: null, groupBy: DAY}) { key } }`, nil, all},
		{"location from a variable", `query($l: ID) { salesSummary(input: {from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z", locationId: $l, groupBy: DAY}) { key } }`, map[string]any{"l": "x"}, one},
		{"unset variable", `query($l: ID) { salesSummary(input: {from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z", locationId: $l, groupBy: DAY}) { key } }`, nil, all},
		{"variable default", `query($l: ID = "x") { salesSummary(input: {from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z", locationId: $l, groupBy: DAY}) { key } }`, nil, one},
		{"input variable with location", doc, map[string]any{"in": in("x")}, one},
		{"input variable without location", doc, map[string]any{"in": in("")}, all},
		{"input variable with null location", doc, map[string]any{"in": in(nil)}, all},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pl, err := m.plan(tc.query, "", tc.vars)
			if err != nil {
				t.Fatalf("%s: %s", err.code, err.message)
			}
			if pl.cost != tc.want {
				t.Fatalf("cost = %d, want %d", pl.cost, tc.want)
			}
		})
	}
	if all > MaxCost/2 {
		t.Fatalf("a tenant-wide summary costs %d: two of them should fit under %d", all, MaxCost)
	}
}
