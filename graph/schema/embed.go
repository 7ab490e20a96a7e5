// Package schema holds the served GraphQL schema, one file per area. It must
// stay a superset of the client contract (../../../shared/api/contract.graphql).
package schema

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
)

//go:embed *.graphql
var files embed.FS

// String returns the whole schema: schema.graphql first, then the areas in name order.
func String() string {
	names, err := fs.Glob(files, "*.graphql")
	if err != nil {
		panic(err) // the pattern is constant
	}
	sort.Slice(names, func(i, j int) bool {
		if names[i] == "schema.graphql" || names[j] == "schema.graphql" {
			return names[i] == "schema.graphql"
		}
		return names[i] < names[j]
	})
	var b strings.Builder
	for _, n := range names {
		data, err := files.ReadFile(n)
		if err != nil {
			panic(err)
		}
		b.Write(data)
		b.WriteString("\n")
	}
	return b.String()
}
