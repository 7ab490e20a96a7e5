package graph

import (
	"testing"

	"github.com/renkei-pos/renkei/graph/schema"
)

func TestQueryCost(t *testing.T) {
	paged, err := pagedFields(schema.String())
	if err != nil {
		t.Fatal(err)
	}
	m := costModel{paged}
	cases := []struct {
		name  string
		query string
		vars  map[string]any
		want  int
	}{
		{"flat", `{ me { tenant { id } } }`, nil, 3},
		{"connection default page", `{ items { nodes { id } } }`, nil, 1 + 50 + 50},
		{"connection literal page", `{ items(first: 10) { nodes { id name } pageInfo { hasNextPage } } }`, nil, 1 + 10*(1+2+1+1)},
		{"variable page", `query($n: Int) { items(first: $n) { nodes { id } } }`, map[string]any{"n": float64(5)}, 1 + 5 + 5},
		{"page capped at 250", `{ items(first: 100000) { nodes { id } } }`, nil, 1 + 250 + 250},
		{"fragments count", `{ ...F } fragment F on Query { me { tenant { id } } }`, nil, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := m.queryCost(tc.query, tc.vars)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("cost = %d, want %d", got, tc.want)
			}
		})
	}
	if _, err := m.queryCost(`{ me { `, nil); err == nil {
		t.Fatal("syntax error not reported")
	}
}

func TestLong_UnmarshalGraphQL(t *testing.T) {
	var l Long
	for _, ok := range []any{int32(5), float64(9007199254740992), int64(-3)} {
		if err := l.UnmarshalGraphQL(ok); err != nil {
			t.Errorf("%v: %v", ok, err)
		}
	}
	for _, bad := range []any{1.5, float64(1 << 60), "12", nil} {
		if err := l.UnmarshalGraphQL(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
