// Package shopifyfake is a local stand-in for one Shopify shop's Admin
// GraphQL endpoint, for tests and the local stack (settings apiBaseUrl). It
// parses and validates every request against a subset of the 2025-01 Admin
// schema (schema.graphql) with gqlparser — the document, the operation and
// the variables' types — checks the access token and the API version in
// the path, answers shop, locations and productVariants from configured
// data, applies inventorySetQuantities (recording every quantity pushed per
// inventory item and location), and can be told to answer 429, 500, a
// THROTTLED error or a userError, or to hang.
package shopifyfake

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"
)

//go:embed schema.graphql
var sdl string

var schema = gqlparser.MustLoadSchema(&ast.Source{Name: "admin-2025-01.graphql", Input: sdl})

// Version is the API version the fake serves; other paths are 404.
const Version = "2025-01"

// Path is where the fake serves GraphQL.
const Path = "/admin/api/" + Version + "/graphql.json"

// Location is one of the shop's locations.
type Location struct {
	ID       string // gid://shopify/Location/<n>
	Name     string
	Inactive bool
}

// Variant is one product variant and its inventory item.
type Variant struct {
	ID              string // gid://shopify/ProductVariant/<n>
	SKU             string
	InventoryItemID string // gid://shopify/InventoryItem/<n>
}

// Push is one quantity inventorySetQuantities set.
type Push struct {
	InventoryItemID string
	LocationID      string
	Name            string // available
	Reason          string
	Quantity        int64
	At              time.Time
}

// Failure is how the fake answers a coming request instead of serving it.
type Failure struct {
	// Operation limits the failure to requests selecting this root field
	// (e.g. "inventorySetQuantities"); "" matches any request.
	Operation string
	Status    int // 429, 500, 401…: answered with this status
	// RetryAfter is the Retry-After header of a 429 ("" none).
	RetryAfter string
	// Throttled answers 200 with a THROTTLED GraphQL error and the cost
	// extension (the bucket empty, restoring 50 a second).
	Throttled bool
	// UserError answers inventorySetQuantities with this userError.
	UserError string
	// Hang holds the request until the client gives up or the fake closes.
	Hang bool
}

// Request is one request the fake parsed.
type Request struct {
	Operation string // the root field selected, e.g. "productVariants"
	Variables map[string]any
}

// Fake is a running fake shop.
type Fake struct {
	srv   *httptest.Server
	Token string

	mu         sync.Mutex
	shopName   string
	locations  []Location
	variants   []Variant
	quantities map[string]int64 // item + " " + location → available
	pushes     []Push
	failures   []Failure
	requests   []Request
	rejected   []string
	closing    chan struct{}
	nextID     int
}

// New starts a fake shop that accepts token.
func New(token string) *Fake {
	f := &Fake{Token: token, shopName: "renkei test shop", quantities: map[string]int64{}, closing: make(chan struct{}), nextID: 1000}
	f.srv = httptest.NewServer(f)
	return f
}

// URL is the fake's base URL (settings apiBaseUrl).
func (f *Fake) URL() string { return f.srv.URL }

// Close releases hanging requests and stops the server.
func (f *Fake) Close() {
	f.mu.Lock()
	select {
	case <-f.closing:
	default:
		close(f.closing)
	}
	f.mu.Unlock()
	f.srv.Close()
}

// AddLocation adds a location and returns its gid.
func (f *Fake) AddLocation(name string, active bool) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	id := fmt.Sprintf("gid://shopify/Location/%d", f.nextID)
	f.locations = append(f.locations, Location{ID: id, Name: name, Inactive: !active})
	return id
}

// AddVariant adds a variant with sku and returns it.
func (f *Fake) AddVariant(sku string) Variant {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	v := Variant{ID: fmt.Sprintf("gid://shopify/ProductVariant/%d", f.nextID), SKU: sku, InventoryItemID: fmt.Sprintf("gid://shopify/InventoryItem/%d", f.nextID)}
	f.variants = append(f.variants, v)
	return v
}

// Available returns the available quantity last set for sku at a location
// (ok false when never set).
func (f *Fake) Available(sku, locationID string) (int64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, v := range f.variants {
		if v.SKU == sku {
			q, ok := f.quantities[v.InventoryItemID+" "+locationID]
			return q, ok
		}
	}
	return 0, false
}

// Pushes returns every quantity set so far, in order.
func (f *Fake) Pushes() []Push {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.pushes)
}

// Requests returns every request parsed so far, in order.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

// Rejected returns why requests were refused as malformed (a document or
// variables the schema does not allow, a wrong path, a missing token).
// A correct client leaves it empty.
func (f *Fake) Rejected() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.rejected)
}

// Fail queues failures: each answers one coming request it matches.
func (f *Fake) Fail(failures ...Failure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, failures...)
}

func (f *Fake) reject(w http.ResponseWriter, status int, why string) {
	f.mu.Lock()
	f.rejected = append(f.rejected, why)
	f.mu.Unlock()
	writeJSON(w, status, map[string]any{"errors": why})
}

func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method != http.MethodPost:
		f.reject(w, http.StatusMethodNotAllowed, "use POST")
		return
	case r.URL.Path != Path:
		f.reject(w, http.StatusNotFound, "not found: "+r.URL.Path)
		return
	case r.Header.Get("X-Shopify-Access-Token") != f.Token:
		f.reject(w, http.StatusUnauthorized, "[API] Invalid API key or access token (unrecognized login or wrong password)")
		return
	case !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json"):
		f.reject(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return
	}
	var body struct {
		Query         string         `json:"query"`
		Variables     map[string]any `json:"variables"`
		OperationName string         `json:"operationName"`
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || json.Unmarshal(raw, &body) != nil {
		f.reject(w, http.StatusBadRequest, "the body is not a GraphQL request")
		return
	}
	doc, gerrs := gqlparser.LoadQueryWithRules(schema, body.Query, nil) // nil: the default rules
	if len(gerrs) > 0 {
		f.gqlReject(w, "query: "+gerrs.Error())
		return
	}
	if len(doc.Operations) != 1 {
		f.gqlReject(w, "one operation per request")
		return
	}
	op := doc.Operations[0]
	vars, err := validator.VariableValues(schema, op, body.Variables)
	if err != nil {
		f.gqlReject(w, "variables: "+err.Error())
		return
	}
	for name, val := range body.Variables {
		def := op.VariableDefinitions.ForName(name)
		if def == nil {
			f.gqlReject(w, "variables: $"+name+" is not declared")
			return
		}
		if err := strictScalars(def.Type, val, "variables."+name); err != nil {
			f.gqlReject(w, err.Error())
			return
		}
	}
	root := rootField(op)
	f.mu.Lock()
	f.requests = append(f.requests, Request{Operation: root, Variables: vars})
	failure, failing := f.takeFailure(root)
	f.mu.Unlock()
	if failing && f.fail(w, r, failure) {
		return
	}
	data := map[string]any{}
	for _, sel := range op.SelectionSet {
		field, ok := sel.(*ast.Field)
		if !ok {
			continue
		}
		val := f.resolve(field, vars, failure.UserError)
		data[responseKey(field)] = project(field.SelectionSet, val)
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "extensions": cost(1000, 50)})
}

func (f *Fake) gqlReject(w http.ResponseWriter, why string) {
	f.mu.Lock()
	f.rejected = append(f.rejected, why)
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"errors": []any{map[string]any{"message": why}}})
}

func (f *Fake) takeFailure(root string) (Failure, bool) {
	for i, fl := range f.failures {
		if fl.Operation == "" || fl.Operation == root {
			f.failures = slices.Delete(f.failures, i, i+1)
			return fl, true
		}
	}
	return Failure{}, false
}

// fail answers a failure; false when the request is to be served (a
// userError is part of the answer).
func (f *Fake) fail(w http.ResponseWriter, r *http.Request, fl Failure) bool {
	switch {
	case fl.Hang:
		select {
		case <-r.Context().Done():
		case <-f.closing:
		}
		return true
	case fl.Throttled:
		ext := cost(0, 50)
		ext["cost"].(map[string]any)["requestedQueryCost"] = 100
		writeJSON(w, http.StatusOK, map[string]any{"errors": []any{map[string]any{"message": "Throttled", "extensions": map[string]any{"code": "THROTTLED"}}}, "extensions": ext})
		return true
	case fl.Status != 0:
		if fl.RetryAfter != "" {
			w.Header().Set("Retry-After", fl.RetryAfter)
		}
		writeJSON(w, fl.Status, map[string]any{"errors": http.StatusText(fl.Status)})
		return true
	}
	return false
}

func cost(available, restore float64) map[string]any {
	return map[string]any{"cost": map[string]any{"requestedQueryCost": 10, "actualQueryCost": 10,
		"throttleStatus": map[string]any{"maximumAvailable": 2000.0, "currentlyAvailable": available, "restoreRate": restore}}}
}

func rootField(op *ast.OperationDefinition) string {
	for _, sel := range op.SelectionSet {
		if f, ok := sel.(*ast.Field); ok && f.Name != "__typename" {
			return f.Name
		}
	}
	return ""
}

func responseKey(f *ast.Field) string {
	if f.Alias != "" {
		return f.Alias
	}
	return f.Name
}

// project keeps of a resolved value what the selection set asks for.
func project(sel ast.SelectionSet, v any) any {
	switch t := v.(type) {
	case map[string]any:
		if len(sel) == 0 {
			return t
		}
		out := map[string]any{}
		for _, s := range sel {
			switch s := s.(type) {
			case *ast.Field:
				if s.Name == "__typename" {
					out[responseKey(s)] = t["__typename"]
					continue
				}
				out[responseKey(s)] = project(s.SelectionSet, t[s.Name])
			case *ast.InlineFragment:
				if s.TypeCondition == "" || s.TypeCondition == t["__typename"] {
					for k, val := range project(s.SelectionSet, t).(map[string]any) {
						out[k] = val
					}
				}
			}
		}
		return out
	case []map[string]any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = project(sel, e)
		}
		return out
	}
	return v
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case float64:
		return int64(n), n == float64(int64(n))
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

func toStr(v any) string {
	s, _ := v.(string)
	return s
}

func itoa(i int) string { return strconv.Itoa(i) }

// strictScalars refuses what gqlparser's coercion lets through but Shopify
// (graphql-ruby) does not: numbers or booleans sent as strings, strings
// sent as numbers. val is the variable as the client sent it (JSON).
func strictScalars(t *ast.Type, val any, path string) error {
	if val == nil {
		return nil
	}
	if t.Elem != nil {
		list, ok := val.([]any)
		if !ok {
			return strictScalars(t.Elem, val, path)
		}
		for i, e := range list {
			if err := strictScalars(t.Elem, e, path+"."+itoa(i)); err != nil {
				return err
			}
		}
		return nil
	}
	def := schema.Types[t.NamedType]
	switch {
	case def == nil:
		return nil
	case def.Kind == ast.InputObject:
		m, ok := val.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: expected an object", path)
		}
		for _, fd := range def.Fields {
			if err := strictScalars(fd.Type, m[fd.Name], path+"."+fd.Name); err != nil {
				return err
			}
		}
		return nil
	}
	var ok bool
	switch t.NamedType {
	case "Int":
		var n float64
		n, ok = val.(float64)
		ok = ok && n == float64(int64(n)) && n >= -2147483648 && n <= 2147483647
	case "Float":
		_, ok = val.(float64)
	case "Boolean":
		_, ok = val.(bool)
	case "String", "ID", "DateTime":
		_, ok = val.(string)
	default: // enums
		_, ok = val.(string)
	}
	if !ok {
		return fmt.Errorf("%s: Could not coerce value %v to %s", path, val, t.NamedType)
	}
	return nil
}
