package tests

import (
	"fmt"
	"slices"
	"testing"
)

const registerFields = `id number name kind active location { id }`

const registersQuery = `query($loc: ID!) { registers(locationId: $loc) { ` + registerFields + ` } }`

func createRegister(tb testing.TB, token, loc, name string) gqlResponse {
	tb.Helper()
	return gql(tb, token, `mutation($in: CreateRegisterInput!) { createRegister(input: $in) { register { `+registerFields+` } userErrors { field message code } } }`,
		map[string]any{"in": map[string]any{"locationId": loc, "name": name}})
}

func deactivateRegister(tb testing.TB, token, id string) gqlResponse {
	tb.Helper()
	return gql(tb, token, `mutation($in: DeactivateRegisterInput!) { deactivateRegister(input: $in) { register { `+registerFields+` } userErrors { field message code } } }`,
		map[string]any{"in": map[string]any{"id": id}})
}

// registerNumbers lists a location's POS registers as "<number> <name>
// <active>", and fails unless the list ends with the location's integration
// register, number 99.
func registerNumbers(tb testing.TB, token, loc string) []string {
	tb.Helper()
	r := gql(tb, token, registersQuery, map[string]any{"loc": loc})
	mustOK(tb, r, "")
	var out []string
	regs := field(tb, r.Data, "registers").([]any)
	if len(regs) == 0 {
		tb.Fatalf("registers at %s: none", loc)
	}
	for i, v := range regs {
		reg := v.(map[string]any)
		if reg["location"].(map[string]any)["id"] != loc {
			tb.Fatalf("register %v is not at %s", reg, loc)
		}
		if last := i == len(regs)-1; last != (reg["kind"] == "INTEGRATION") || (last && (reg["number"] != float64(99) || reg["name"] != "EC" || reg["active"] != true)) {
			tb.Fatalf("register %d of %d is %v: want POS registers, then the active integration register 99", i+1, len(regs), reg)
		}
		if reg["kind"] == "INTEGRATION" {
			continue
		}
		active := "active"
		if reg["active"] != true {
			active = "inactive"
		}
		out = append(out, fmt.Sprintf("%v %s %s", reg["number"], reg["name"], active))
	}
	return out
}

// forbidden fails unless payload's only userError is FORBIDDEN.
func forbidden(tb testing.TB, r gqlResponse, payload string) {
	tb.Helper()
	if len(r.Errors) > 0 {
		tb.Fatalf("top-level errors %+v", r.Errors)
	}
	if codes := userErrorCodes(tb, r.Data, payload); !slices.Equal(codes, []string{"FORBIDDEN"}) {
		tb.Fatalf("%s userErrors %v, want FORBIDDEN", payload, codes)
	}
}

func TestRegisters_Lifecycle(t *testing.T) {
	m := signUp(t, "registers")
	r := gql(t, m.token, `mutation { createLocation(input: {name: "Shibuya"}) { location { id registers { `+registerFields+` } } userErrors { code } } }`, nil)
	mustOK(t, r, "createLocation")
	loc := str(t, r.Data, "createLocation.location.id")
	if n := len(field(t, r.Data, "createLocation.location.registers").([]any)); n != 2 || num(t, r.Data, "createLocation.location.registers.0.number") != 1 ||
		num(t, r.Data, "createLocation.location.registers.1.number") != 99 || str(t, r.Data, "createLocation.location.registers.1.kind") != "INTEGRATION" {
		t.Fatalf("createLocation's location.registers: %v", r.Data)
	}
	if got := registerNumbers(t, m.token, loc); !slices.Equal(got, []string{"1 Register 1 active"}) {
		t.Fatalf("a new location's registers: %q", got)
	}
	for i, name := range []string{"Front till", "  レジ3 "} {
		r := createRegister(t, m.token, loc, name)
		mustOK(t, r, "createRegister")
		if n := num(t, r.Data, "createRegister.register.number"); n != int64(i+2) {
			t.Fatalf("createRegister number %d, want %d", n, i+2)
		}
	}
	want := []string{"1 Register 1 active", "2 Front till active", "3 レジ3 active"}
	if got := registerNumbers(t, m.token, loc); !slices.Equal(got, want) {
		t.Fatalf("registers %q, want %q", got, want)
	}

	// Location.registers under one location (under `locations`, it would
	// price 500 locations of 99 registers: refused, see docs/api.md).
	r = gql(t, m.token, `query($loc: ID!) { registers(locationId: $loc) { number location { registers { number } } } }`, map[string]any{"loc": loc})
	mustOK(t, r, "")
	if n := len(field(t, r.Data, "registers.0.location.registers").([]any)); n != 4 {
		t.Fatalf("Location.registers holds %d", n)
	}
	if r := gql(t, m.token, `{ locations { registers { id } } }`, nil); r.code() != "QUERY_TOO_COMPLEX" {
		t.Fatalf("locations { registers }: %+v", r.Errors)
	}

	third := str(t, gql(t, m.token, registersQuery, map[string]any{"loc": loc}).Data, "registers.2.id")
	for range 2 { // idempotent
		r := deactivateRegister(t, m.token, third)
		mustOK(t, r, "deactivateRegister")
		if field(t, r.Data, "deactivateRegister.register.active") != false {
			t.Fatalf("deactivated register: %v", r.Data)
		}
	}
	want[2] = "3 レジ3 inactive"
	if got := registerNumbers(t, m.token, loc); !slices.Equal(got, want) {
		t.Fatalf("after deactivating: %q", got)
	}
	// Numbers are never reused: a deactivated register keeps its number.
	r = createRegister(t, m.token, loc, "Till 4")
	mustOK(t, r, "createRegister")
	if n := num(t, r.Data, "createRegister.register.number"); n != 4 {
		t.Fatalf("next number %d, want 4", n)
	}
}

func TestRegisters_BadInputWritesNothing(t *testing.T) {
	m := signUp(t, "registers-bad")
	loc := createLocation(t, m, "Shibuya")
	other := signUp(t, "registers-bad-other")
	otherLoc := createLocation(t, other, "Umeda")
	otherRegister := str(t, gql(t, other.token, registersQuery, map[string]any{"loc": otherLoc}).Data, "registers.0.id")

	for _, c := range []struct {
		name, loc, regName, code, path string
	}{
		{"a control character", loc, "Till\u0007", "INVALID", "input.name"},
		{"a line break", loc, "Till\n2", "INVALID", "input.name"},
		{"a bidi override", loc, "\u202eTill", "INVALID", "input.name"},
		{"no name", loc, "  ", "INVALID", "input.name"},
		{"an unknown location", "loc_00000000000000000000000000", "Till", "NOT_FOUND", "input.locationId"},
		{"a malformed location id", "Shibuya", "Till", "NOT_FOUND", "input.locationId"},
		{"another tenant's location", otherLoc, "Till", "NOT_FOUND", "input.locationId"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := createRegister(t, m.token, c.loc, c.regName)
			userErrorAt(t, r, "createRegister", c.code, c.path)
			if field(t, r.Data, "createRegister.register") != nil {
				t.Fatal("a refused createRegister returned a register")
			}
		})
	}
	if got := registerNumbers(t, m.token, loc); len(got) != 1 {
		t.Fatalf("registers after refused creates: %q", got)
	}
	if got := registerNumbers(t, other.token, otherLoc); len(got) != 1 {
		t.Fatalf("the other tenant's registers: %q", got)
	}

	for _, id := range []string{otherRegister, "reg_nope", loc} {
		userErrorAt(t, deactivateRegister(t, m.token, id), "deactivateRegister", "NOT_FOUND", "input.id")
	}
	if got := registerNumbers(t, other.token, otherLoc); !slices.Equal(got, []string{"1 Register 1 active"}) {
		t.Fatalf("another tenant deactivated a register: %q", got)
	}

	for _, l := range []string{otherLoc, "loc_00000000000000000000000000", "x"} {
		r := gql(t, m.token, registersQuery, map[string]any{"loc": l})
		if r.code() != "NOT_FOUND" || r.Data["registers"] != nil {
			t.Fatalf("registers(%s): errors %+v, data %v", l, r.Errors, r.Data)
		}
	}
}

func TestRegisters_Access(t *testing.T) {
	m := signUp(t, "registers-access")
	loc1, loc2 := createLocation(t, m, "Shibuya"), createLocation(t, m, "Umeda")
	cashier, _ := createStaff(t, m, "CASHIER", nil)
	manager, _ := createStaff(t, m, "MANAGER", nil)
	at1, _ := createStaff(t, m, "CASHIER", []string{loc1})

	for name, token := range map[string]string{"CASHIER": cashier, "MANAGER": manager} {
		forbidden(t, createRegister(t, token, loc1, "Till"), "createRegister")
		reg1 := str(t, gql(t, token, registersQuery, map[string]any{"loc": loc1}).Data, "registers.0.id")
		if reg1 == "" {
			t.Fatalf("%s cannot read registers", name)
		}
		forbidden(t, deactivateRegister(t, token, reg1), "deactivateRegister")
	}
	if got := registerNumbers(t, m.token, loc1); !slices.Equal(got, []string{"1 Register 1 active"}) {
		t.Fatalf("registers after refused writes: %q", got)
	}

	// A cashier restricted to loc1: loc2 and its registers do not exist.
	if got := registerNumbers(t, at1, loc1); len(got) != 1 {
		t.Fatalf("restricted cashier at its location: %q", got)
	}
	if r := gql(t, at1, registersQuery, map[string]any{"loc": loc2}); r.code() != "NOT_FOUND" {
		t.Fatalf("restricted cashier, registers at another location: %+v", r.Errors)
	}
	r := gql(t, at1, `{ locations { id } }`, nil)
	mustOK(t, r, "")
	if ls := field(t, r.Data, "locations").([]any); len(ls) != 1 || str(t, r.Data, "locations.0.id") != loc1 {
		t.Fatalf("restricted cashier's locations: %v", r.Data)
	}
}

const apiKeyWithRegister = `mutation($in: CreateApiKeyInput!) { createApiKey(input: $in) {
  apiKey { id register { id number location { id } } } secret userErrors { field message code } } }`

func TestRegisters_APIKeyBoundToARegister(t *testing.T) {
	s := newStore(t, "registers-key", nil)
	m := s.m
	loc2 := createLocation(t, m, "Umeda")
	r := createRegister(t, m.token, s.loc, "iPad till")
	mustOK(t, r, "createRegister")
	till := str(t, r.Data, "createRegister.register.id")

	r = gql(t, m.token, apiKeyWithRegister, map[string]any{"in": map[string]any{"name": "iPad", "scopes": []string{"ORDERS_WRITE", "INVENTORY_READ"}, "registerId": till}})
	mustOK(t, r, "createApiKey")
	if str(t, r.Data, "createApiKey.apiKey.register.id") != till || num(t, r.Data, "createApiKey.apiKey.register.number") != 2 ||
		str(t, r.Data, "createApiKey.apiKey.register.location.id") != s.loc {
		t.Fatalf("createApiKey: %v", r.Data)
	}
	key := str(t, r.Data, "createApiKey.secret")

	me := gql(t, key, `{ me { apiKey { register { id name } } } locations { id } }`, nil)
	mustOK(t, me, "")
	if str(t, me.Data, "me.apiKey.register.id") != till || str(t, me.Data, "me.apiKey.register.name") != "iPad till" {
		t.Fatalf("me: %v", me.Data)
	}
	if ls := field(t, me.Data, "locations").([]any); len(ls) != 1 || str(t, me.Data, "locations.0.id") != s.loc {
		t.Fatalf("the key sees locations %v, want only its register's", ls)
	}

	// The key acts only where its register is.
	if r := gql(t, key, registersQuery, map[string]any{"loc": loc2}); r.code() != "NOT_FOUND" {
		t.Fatalf("registers at another location: %+v", r.Errors)
	}
	if r := gql(t, key, `query($loc: ID!, $ids: [ID!]) { inventory(locationId: $loc, variantIds: $ids) { onHand } }`, map[string]any{"loc": loc2, "ids": []string{s.onigiri}}); r.code() != "NOT_FOUND" {
		t.Fatalf("inventory at another location: %+v", r.Errors)
	}
	in := s.basket(stockKey("key-elsewhere"), cashPayment(2185, 2185))
	in["locationId"] = loc2
	userErrorAt(t, checkout(t, key, in), "checkout", "FORBIDDEN", "input.locationId")
	sale := checkout(t, key, s.basket(stockKey("key-here"), cashPayment(2185, 2185)))
	mustOK(t, sale, "checkout")

	// The key's sales default to its register, which the order names.
	o := gql(t, key, `query($id: ID!) { order(id: $id) { register { id number location { id } } } }`, map[string]any{"id": str(t, sale.Data, "checkout.order.id")})
	mustOK(t, o, "")
	if str(t, o.Data, "order.register.id") != till || num(t, o.Data, "order.register.number") != 2 || str(t, o.Data, "order.register.location.id") != s.loc {
		t.Fatalf("order.register = %v, want the key's register", field(t, o.Data, "order.register"))
	}
	page := gql(t, m.token, `{ orders { nodes { register { id } } } }`, nil)
	mustOK(t, page, "")
	if str(t, page.Data, "orders.nodes.0.register.id") != till {
		t.Fatalf("orders page: %v", page.Data)
	}

	// Refused bindings: nothing created.
	mustOK(t, deactivateRegister(t, m.token, str(t, gql(t, m.token, registersQuery, map[string]any{"loc": loc2}).Data, "registers.0.id")), "deactivateRegister")
	other := signUp(t, "registers-key-other")
	otherReg := str(t, gql(t, other.token, registersQuery, map[string]any{"loc": createLocation(t, other, "Elsewhere")}).Data, "registers.0.id")
	deactivated := str(t, gql(t, m.token, registersQuery, map[string]any{"loc": loc2}).Data, "registers.0.id")
	for _, c := range []struct{ register, code string }{
		{otherReg, "NOT_FOUND"}, {"reg_nope", "NOT_FOUND"}, {deactivated, "INVALID"},
	} {
		r := gql(t, m.token, apiKeyWithRegister, map[string]any{"in": map[string]any{"name": "iPad", "scopes": []string{"ORDERS_WRITE"}, "registerId": c.register}})
		userErrorAt(t, r, "createApiKey", c.code, "input.registerId")
		if field(t, r.Data, "createApiKey.secret") != nil {
			t.Fatal("a refused createApiKey returned a secret")
		}
	}
}

// Each location has one INTEGRATION register (number 99) whose numbers are
// for orders from integrations (EC): POS checkout there is refused and
// writes nothing, it cannot be deactivated or bound to an API key, and POS
// registers keep their own numbers.
func TestRegisters_IntegrationRegister(t *testing.T) {
	s := newStore(t, "registers-ec", nil)
	m := s.m
	r := gql(t, m.token, registersQuery, map[string]any{"loc": s.loc})
	mustOK(t, r, "")
	if n := len(field(t, r.Data, "registers").([]any)); n != 2 ||
		str(t, r.Data, "registers.0.kind") != "POS" || num(t, r.Data, "registers.0.number") != 1 ||
		str(t, r.Data, "registers.1.kind") != "INTEGRATION" || num(t, r.Data, "registers.1.number") != 99 || str(t, r.Data, "registers.1.name") != "EC" {
		t.Fatalf("a new location's registers: %v", r.Data)
	}
	reg1, ec := str(t, r.Data, "registers.0.id"), str(t, r.Data, "registers.1.id")

	sale := func(key, register string) gqlResponse {
		in := s.basket(key, cashPayment(2185, 2185))
		if register != "" {
			in["registerId"] = register
		}
		return checkout(t, m.token, in)
	}
	first := sale("ec-before", reg1)
	mustOK(t, first, "checkout")
	if got := str(t, first.Data, "checkout.order.number"); got != "001-01-000001" {
		t.Fatalf("first order at register 1: %q", got)
	}

	for range 2 { // the same key again: still refused, still nothing written
		userErrorAt(t, sale("ec-pos", ec), "checkout", "INVALID", "input.registerId")
	}
	if got := onHand(t, m, s.loc, s.mug); got != 99 {
		t.Fatalf("onHand = %d after one sale and a refused one, want 99", got)
	}
	page := gql(t, m.token, `{ orders { nodes { number register { id } } } }`, nil)
	mustOK(t, page, "")
	if nodes := field(t, page.Data, "orders.nodes").([]any); len(nodes) != 1 || str(t, page.Data, "orders.nodes.0.register.id") != reg1 {
		t.Fatalf("orders after the refused checkout: %v", page.Data)
	}

	// Register 1's numbers go on as if nothing happened.
	second := sale("ec-after", "")
	mustOK(t, second, "checkout")
	if got := str(t, second.Data, "checkout.order.number"); got != "001-01-000002" {
		t.Fatalf("second order at register 1: %q", got)
	}

	dr := deactivateRegister(t, m.token, ec)
	userErrorAt(t, dr, "deactivateRegister", "INVALID", "input.id")
	key := gql(t, m.token, apiKeyWithRegister, map[string]any{"in": map[string]any{"name": "EC", "scopes": []string{"ORDERS_WRITE"}, "registerId": ec}})
	userErrorAt(t, key, "createApiKey", "INVALID", "input.registerId")
	if field(t, key.Data, "createApiKey.secret") != nil {
		t.Fatal("a refused createApiKey returned a secret")
	}
	if got := registerNumbers(t, m.token, s.loc); !slices.Equal(got, []string{"1 Register 1 active"}) {
		t.Fatalf("registers after the refusals: %q", got)
	}

	// POS registers are numbered around 99: the next is 2.
	cr := createRegister(t, m.token, s.loc, "Till 2")
	mustOK(t, cr, "createRegister")
	if n, kind := num(t, cr.Data, "createRegister.register.number"), str(t, cr.Data, "createRegister.register.kind"); n != 2 || kind != "POS" {
		t.Fatalf("createRegister: number %d kind %s", n, kind)
	}
}
