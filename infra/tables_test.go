package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
)

// The table's indexes (tables.go): each projects its keys and exactly
// indexAttributes, the list the local table (shared/dynamo EnsureTable)
// uses too. Same pattern as stack_test.go: checks (tableChecks), each
// proved able to fail by a broken copy of the template
// (TestTableChecksDetectDefects).

// wantIndexAttributes is what the indexes must project, sorted.
var wantIndexAttributes = []string{"itemId", "itemName", "locationId", "status"}

var tableChecks = []struct {
	name  string
	check func(assertions.Template)
}{
	{"table GSIs project keys + index attributes only", func(t assertions.Template) {
		tmpl := templateJSON(t)
		gsis := listOf(tmpl["Resources"].(obj)[ids.table].(obj)["Properties"].(obj)["GlobalSecondaryIndexes"])
		var names []string
		for _, g := range gsis {
			g := g.(obj)
			names = append(names, g["IndexName"].(string))
			p, _ := g["Projection"].(obj)
			if p["ProjectionType"] != "INCLUDE" {
				fail("%s projects %v, want INCLUDE", g["IndexName"], p["ProjectionType"])
			}
			var got []string
			for _, a := range listOf(p["NonKeyAttributes"]) {
				got = append(got, a.(string))
			}
			slices.Sort(got)
			if !slices.Equal(got, wantIndexAttributes) {
				fail("%s projects %v, want exactly %v", g["IndexName"], got, wantIndexAttributes)
			}
		}
		if !slices.Equal(names, []string{"gsi1", "gsi2"}) {
			fail("indexes %v, want gsi1 and gsi2", names)
		}
	}},
}

func init() {
	checks = append(checks, tableChecks...) // run by TestStack
}

// TestTableChecksDetectDefects breaks the indexes' projection one way at a
// time and expects the check to fail.
func TestTableChecksDetectDefects(t *testing.T) {
	const check = "table GSIs project keys + index attributes only"
	gsi := func(i int, f func(p obj)) func(tmpl obj) {
		return func(tmpl obj) {
			g := listOf(tmpl["Resources"].(obj)[ids.table].(obj)["Properties"].(obj)["GlobalSecondaryIndexes"])[i].(obj)
			f(g["Projection"].(obj))
		}
	}
	cases := []struct {
		name   string
		mutate func(tmpl obj)
	}{
		{"gsi1 ALL again", gsi(0, func(p obj) { p["ProjectionType"] = "ALL"; delete(p, "NonKeyAttributes") })},
		{"gsi2 KEYS_ONLY (the filters read nothing)", gsi(1, func(p obj) { p["ProjectionType"] = "KEYS_ONLY"; delete(p, "NonKeyAttributes") })},
		{"gsi2 projects an order's lines", gsi(1, func(p obj) { p["NonKeyAttributes"] = append(listOf(p["NonKeyAttributes"]), "lines") })},
		{"gsi1 without status", gsi(0, func(p obj) {
			var kept []interface{}
			for _, a := range listOf(p["NonKeyAttributes"]) {
				if a != "status" {
					kept = append(kept, a)
				}
			}
			p["NonKeyAttributes"] = kept
		})},
	}
	raw, err := json.Marshal(synthesized.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var broken obj
			if err := json.Unmarshal(raw, &broken); err != nil {
				t.Fatal(err)
			}
			tc.mutate(broken)
			if err := runCheck(tableChecks[0].check, assertions.Template_FromJSON(&broken, nil)); err == nil || !strings.Contains(err.Error(), "project") && !strings.Contains(err.Error(), "indexes") {
				t.Fatalf("check %q passed (or failed otherwise: %v) on a template with the defect", check, err)
			}
		})
	}
}

// The local table (shared/dynamo) projects the same list as the stack.
func TestIndexAttributesMatchTheLocalTable(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(repoRoot, "shared", "dynamo", "table.go"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`var IndexAttributes = \[\]string\{([^}]*)\}`).FindSubmatch(src)
	if m == nil {
		t.Fatal("shared/dynamo/table.go declares no IndexAttributes list")
	}
	var local []string
	for _, a := range strings.Split(string(m[1]), ",") {
		local = append(local, strings.Trim(strings.TrimSpace(a), `"`))
	}
	slices.Sort(local)
	mine := slices.Sorted(slices.Values(indexAttributes))
	if !slices.Equal(local, mine) || !slices.Equal(mine, wantIndexAttributes) {
		t.Fatalf("local table projects %v, the stack %v, the checks want %v", local, mine, wantIndexAttributes)
	}
}
