package graph

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// storeAccess lists where a Go file reaches storage other than through a
// service method: a selector ending in "Store" (svc.Tenants.Store,
// sales.Store, dynamo.NewSalesStore) or an import of the storage adapter or
// the AWS SDK. The graph layer calls services, which check the caller's
// permission before they touch a store (docs/api.md, Read authorization).
func storeAccess(fset *token.FileSet, f *ast.File) []string {
	var found []string
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if strings.HasSuffix(path, "/shared/dynamo") || strings.HasPrefix(path, "github.com/aws/") {
			found = append(found, fset.Position(imp.Pos()).String()+": imports "+path)
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok && strings.HasSuffix(sel.Sel.Name, "Store") {
			found = append(found, fset.Position(sel.Pos()).String()+": ."+sel.Sel.Name)
		}
		return true
	})
	return found
}

func TestGraph_ReachesDataOnlyThroughServices(t *testing.T) {
	t.Run("the check finds a store", func(t *testing.T) {
		src := `package graph
import _ "github.com/renkei-pos/renkei/shared/dynamo"
func f(s *orderSet) { s.r.svc.Tenants.Store.GetLocations(nil, nil); var _ sales.Store }`
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, "bad.go", src, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := storeAccess(fset, f); len(got) != 3 {
			t.Fatalf("found %q, want the import and two selectors", got)
		}
	})
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no sources: %v", err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, where := range storeAccess(fset, f) {
			t.Errorf("%s: the graph layer reaches storage; call a service method that checks the caller's permission", where)
		}
	}
}
