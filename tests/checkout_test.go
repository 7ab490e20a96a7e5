package tests

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

const checkoutMutation = `mutation($in: CheckoutInput!) { checkout(input: $in) {
  order { id number status source total { amount currency } subtotal { amount } discountTotal { amount } taxTotal { amount }
    location { id } customer { id } staff { id }
    taxBreakdown { taxCategory ratePercent taxableAmount { amount } tax { amount } }
    lines { id name sku quantity unitPrice { amount } discount { amount } total { amount } taxCategory taxRatePercent variant { id sku } }
    payments { method status amount { amount } tendered { amount } change { amount } reference }
    receipt { issuerName invoiceRegistrationNumber text } createdAt }
  userErrors { field message code } } }`

// store is a merchant with a location, a reduced-rate and a standard-rate item.
type store struct {
	m                  merchant
	loc                string
	onigiri, mug       string
	onigiriSKU, mugSKU string
}

func newStore(tb testing.TB, name string, settings map[string]any) store {
	tb.Helper()
	m := signUp(tb, name)
	if settings != nil {
		r := gql(tb, m.token, `mutation($in: TenantSettingsInput!) { updateTenantSettings(input: $in) { userErrors { code } } }`, map[string]any{"in": settings})
		mustOK(tb, r, "updateTenantSettings")
	}
	s := store{m: m, loc: createLocation(tb, m, name+" Shibuya"), onigiriSKU: "ONI-" + name, mugSKU: "MUG-" + name}
	_, v1 := createItem(tb, m, "Onigiri", "REDUCED", variantSpec{Name: "Salmon", SKU: s.onigiriSKU, Price: 540, TrackStock: true})
	_, v2 := createItem(tb, m, "Mug", "STANDARD", variantSpec{Name: "Mug", SKU: s.mugSKU, Price: 1105, TrackStock: true})
	s.onigiri, s.mug = v1[0], v2[0]
	setStock(tb, m, s.loc, s.onigiri, 100)
	setStock(tb, m, s.loc, s.mug, 100)
	return s
}

func cashPayment(amount, tendered int64) map[string]any {
	return map[string]any{"method": "CASH", "amount": map[string]any{"amount": amount, "currency": "JPY"}, "tendered": map[string]any{"amount": tendered, "currency": "JPY"}}
}

func (s store) basket(key string, payments ...map[string]any) map[string]any {
	return map[string]any{"idempotencyKey": key, "locationId": s.loc,
		"lines":    []any{map[string]any{"variantId": s.onigiri, "quantity": 2}, map[string]any{"variantId": s.mug, "quantity": 1}},
		"payments": payments}
}

func checkout(tb testing.TB, token string, in map[string]any) gqlResponse {
	tb.Helper()
	return gql(tb, token, checkoutMutation, map[string]any{"in": in})
}

func num(tb testing.TB, data map[string]any, path string) int64 {
	tb.Helper()
	f, ok := field(tb, data, path).(float64)
	if !ok {
		tb.Fatalf("%s is not a number: %v", path, field(tb, data, path))
	}
	return int64(f)
}

func TestCheckout_KnownBasketTotals(t *testing.T) {
	// Onigiri (REDUCED 8%) 2 × ¥540 = 1080 and a mug (STANDARD 10%) ¥1,105.
	// Inclusive: reduced 1080×8/108 = 80 exactly; standard 1105×10/110 = 100.45.
	// Exclusive: reduced 1080×8/100 = 86.4; standard 1105×10/100 = 110.5.
	cases := []struct {
		inclusive          bool
		rounding           string
		reducedTax, stdTax int64
		total              int64
	}{
		{true, "FLOOR", 80, 100, 2185},
		{true, "HALF_UP", 80, 100, 2185},
		{true, "CEILING", 80, 101, 2185},
		{false, "FLOOR", 86, 110, 2185 + 196},
		{false, "HALF_UP", 86, 111, 2185 + 197},
		{false, "CEILING", 87, 111, 2185 + 198},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("inclusive=%v/%s", tc.inclusive, tc.rounding), func(t *testing.T) {
			s := newStore(t, "basket", map[string]any{"pricesIncludeTax": tc.inclusive, "taxRounding": tc.rounding, "invoiceRegistrationNumber": "T1234567890123"})
			r := checkout(t, s.m.token, s.basket("k1", cashPayment(tc.total, 5000)))
			mustOK(t, r, "checkout")
			d := r.Data
			if got := num(t, d, "checkout.order.total.amount"); got != tc.total {
				t.Fatalf("total = %d, want %d", got, tc.total)
			}
			if got := num(t, d, "checkout.order.taxTotal.amount"); got != tc.reducedTax+tc.stdTax {
				t.Fatalf("taxTotal = %d", got)
			}
			rows := field(t, d, "checkout.order.taxBreakdown").([]any)
			if len(rows) != 2 {
				t.Fatalf("taxBreakdown = %v", rows)
			}
			for _, row := range rows {
				m := row.(map[string]any)
				tax := int64(m["tax"].(map[string]any)["amount"].(float64))
				switch m["taxCategory"] {
				case "STANDARD":
					if tax != tc.stdTax || m["ratePercent"].(float64) != 10 || m["taxableAmount"].(map[string]any)["amount"].(float64) != 1105 {
						t.Fatalf("standard row %v", m)
					}
				case "REDUCED":
					if tax != tc.reducedTax || m["ratePercent"].(float64) != 8 || m["taxableAmount"].(map[string]any)["amount"].(float64) != 1080 {
						t.Fatalf("reduced row %v", m)
					}
				}
			}
			if got := num(t, d, "checkout.order.payments.0.change.amount"); got != 5000-tc.total {
				t.Fatalf("change = %d", got)
			}
			if onHand(t, s.m, s.loc, s.onigiri) != 98 || onHand(t, s.m, s.loc, s.mug) != 99 {
				t.Fatal("stock not decremented")
			}
			text := str(t, d, "checkout.order.receipt.text")
			for _, want := range []string{"T1234567890123", "Onigiri Salmon ※", "8%対象", "10%対象", "※は軽減税率", "レジ番号", "取引番号           001-01-000001"} {
				if !strings.Contains(text, want) {
					t.Fatalf("receipt lacks %q:\n%s", want, text)
				}
			}
			if str(t, d, "checkout.order.number") != "001-01-000001" {
				t.Fatalf("first order number = %q", str(t, d, "checkout.order.number"))
			}
		})
	}
}

func TestCheckout_ConcurrentLastUnits(t *testing.T) {
	s := newStore(t, "rush", nil)
	setStock(t, s.m, s.loc, s.mug, 10)
	var wg sync.WaitGroup
	var mu sync.Mutex
	orders, outOfStock, other := map[string]bool{}, 0, []string{}
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := checkout(t, s.m.token, map[string]any{"idempotencyKey": fmt.Sprint("rush-", i), "locationId": s.loc,
				"lines": []any{map[string]any{"variantId": s.mug, "quantity": 1}}, "payments": []any{cashPayment(1105, 1105)}})
			mu.Lock()
			defer mu.Unlock()
			codes := userErrorCodes(t, r.Data, "checkout")
			switch {
			case len(r.Errors) == 0 && len(codes) == 0:
				orders[str(t, r.Data, "checkout.order.id")] = true
			case len(codes) == 1 && codes[0] == "OUT_OF_STOCK":
				outOfStock++
			default:
				other = append(other, fmt.Sprint(r.Errors, codes))
			}
		}()
	}
	wg.Wait()
	if len(orders) != 10 || outOfStock != 40 || len(other) > 0 {
		t.Fatalf("orders %d, out of stock %d, other %v", len(orders), outOfStock, other)
	}
	if got := onHand(t, s.m, s.loc, s.mug); got != 0 {
		t.Fatalf("onHand = %d, want 0", got)
	}
}

func TestCheckout_Idempotency(t *testing.T) {
	s := newStore(t, "idem", nil)
	in := s.basket("same-key", cashPayment(2185, 3000))
	var wg sync.WaitGroup
	ids := make([]string, 20)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := checkout(t, s.m.token, in)
			if len(r.Errors) == 0 && len(userErrorCodes(t, r.Data, "checkout")) == 0 {
				ids[i] = str(t, r.Data, "checkout.order.id")
			} else {
				ids[i] = fmt.Sprint(r.Errors, field(t, r.Data, "checkout.userErrors"))
			}
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] || !strings.HasPrefix(id, "ord_") {
			t.Fatalf("replays returned different results: %v", ids)
		}
	}
	if onHand(t, s.m, s.loc, s.onigiri) != 98 {
		t.Fatalf("stock decremented more than once: %d", onHand(t, s.m, s.loc, s.onigiri))
	}
	orders := gql(t, s.m.token, `{ orders { nodes { id } } }`, nil)
	if n := len(field(t, orders.Data, "orders.nodes").([]any)); n != 1 {
		t.Fatalf("%d orders, want 1", n)
	}
	t.Run("same key, different input", func(t *testing.T) {
		other := s.basket("same-key", cashPayment(2185, 5000))
		r := checkout(t, s.m.token, other)
		if codes := userErrorCodes(t, r.Data, "checkout"); len(codes) != 1 || codes[0] != "IDEMPOTENCY_KEY_REUSED" {
			t.Fatalf("codes = %v", codes)
		}
	})
}

func TestCheckout_BadInputWritesNothing(t *testing.T) {
	s := newStore(t, "bad", nil)
	line := func(v string, q int64, d map[string]any) map[string]any {
		m := map[string]any{"variantId": v, "quantity": q}
		if d != nil {
			m["discount"] = d
		}
		return m
	}
	cases := []struct {
		name  string
		in    map[string]any
		code  string
		field string
	}{
		{"quantity zero", map[string]any{"idempotencyKey": "b1", "locationId": s.loc, "lines": []any{line(s.mug, 0, nil)}, "payments": []any{cashPayment(1105, 1105)}}, "INVALID", "input.lines.0.quantity"},
		{"percent over 100", map[string]any{"idempotencyKey": "b2", "locationId": s.loc, "lines": []any{line(s.mug, 1, map[string]any{"percent": 101})}, "payments": []any{cashPayment(1105, 1105)}}, "INVALID", "input.lines.0.discount.percent"},
		{"discount larger than the line", map[string]any{"idempotencyKey": "b3", "locationId": s.loc, "lines": []any{line(s.mug, 1, map[string]any{"amount": map[string]any{"amount": 2000, "currency": "JPY"}})}, "payments": []any{cashPayment(1105, 1105)}}, "INVALID", "input.lines.0.discount.amount"},
		{"wrong currency", map[string]any{"idempotencyKey": "b4", "locationId": s.loc, "lines": []any{line(s.mug, 1, nil)}, "payments": []any{map[string]any{"method": "CASH", "amount": map[string]any{"amount": 1105, "currency": "USD"}}}}, "INVALID", "input.payments.0.amount.currency"},
		{"payments short", map[string]any{"idempotencyKey": "b5", "locationId": s.loc, "lines": []any{line(s.mug, 1, nil)}, "payments": []any{cashPayment(1000, 1000)}}, "INVALID", "input.payments"},
		{"unknown variant", map[string]any{"idempotencyKey": "b6", "locationId": s.loc, "lines": []any{line("var_nope", 1, nil)}, "payments": []any{cashPayment(1105, 1105)}}, "NOT_FOUND", "input.lines.0.variantId"},
		{"unknown location", map[string]any{"idempotencyKey": "b7", "locationId": "loc_nope", "lines": []any{line(s.mug, 1, nil)}, "payments": []any{cashPayment(1105, 1105)}}, "NOT_FOUND", "input.locationId"},
		{"unknown customer", map[string]any{"idempotencyKey": "b8", "locationId": s.loc, "customerId": "cus_nope", "lines": []any{line(s.mug, 1, nil)}, "payments": []any{cashPayment(1105, 1105)}}, "NOT_FOUND", "input.customerId"},
		{"external without reference", map[string]any{"idempotencyKey": "b9", "locationId": s.loc, "lines": []any{line(s.mug, 1, nil)}, "payments": []any{map[string]any{"method": "EXTERNAL", "amount": map[string]any{"amount": 1105, "currency": "JPY"}}}}, "INVALID", "input.payments.0.reference"},
		{"more than the stock", map[string]any{"idempotencyKey": "b10", "locationId": s.loc, "lines": []any{line(s.mug, 101, nil)}, "payments": []any{cashPayment(101*1105, 101*1105)}}, "OUT_OF_STOCK", "input.lines.0.quantity"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := checkout(t, s.m.token, tc.in)
			if len(r.Errors) > 0 {
				t.Fatalf("top-level errors %+v", r.Errors)
			}
			ues, _ := field(t, r.Data, "checkout.userErrors").([]any)
			found := false
			for _, u := range ues {
				m := u.(map[string]any)
				var path []string
				for _, p := range m["field"].([]any) {
					path = append(path, p.(string))
				}
				if m["code"] == tc.code && strings.Join(path, ".") == tc.field {
					found = true
				}
			}
			if !found {
				t.Fatalf("userErrors %v, want %s at %s", ues, tc.code, tc.field)
			}
			if field(t, r.Data, "checkout.order") != nil {
				t.Fatal("an order was returned")
			}
		})
	}
	if got := onHand(t, s.m, s.loc, s.mug); got != 100 {
		t.Fatalf("stock changed to %d", got)
	}
	if r := gql(t, s.m.token, `{ orders { nodes { id } } }`, nil); len(field(t, r.Data, "orders.nodes").([]any)) != 0 {
		t.Fatal("an order was written")
	}
	if r := checkout(t, s.m.token, map[string]any{"idempotencyKey": "b1", "locationId": s.loc, "lines": []any{line(s.mug, 1, nil)}, "payments": []any{cashPayment(1105, 1105)}}); len(userErrorCodes(t, r.Data, "checkout")) != 0 {
		t.Fatalf("a key used by a refused request cannot be reused: %v", field(t, r.Data, "checkout.userErrors"))
	}
}

func TestCheckout_OrdersCustomersAndNumbers(t *testing.T) {
	s := newStore(t, "orders", nil)
	c := gql(t, s.m.token, `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { customer { id name email phone } userErrors { code field } } }`,
		map[string]any{"in": map[string]any{"name": "Tanaka Hanako", "email": "hanako@example.com", "phone": "090-1234-5678"}})
	mustOK(t, c, "createCustomer")
	cust := str(t, c.Data, "createCustomer.customer.id")
	var numbers []string
	for i := 0; i < 3; i++ {
		in := s.basket(fmt.Sprint("o", i), cashPayment(2185, 2185))
		if i == 1 {
			in["customerId"] = cust
		}
		r := checkout(t, s.m.token, in)
		mustOK(t, r, "checkout")
		numbers = append(numbers, str(t, r.Data, "checkout.order.number"))
		if i == 1 && str(t, r.Data, "checkout.order.customer.id") != cust {
			t.Fatal("customer not on the order")
		}
		if str(t, r.Data, "checkout.order.staff.id") != s.m.userID || str(t, r.Data, "checkout.order.source") != "POS" {
			t.Fatal("staff/source not recorded")
		}
	}
	if fmt.Sprint(numbers) != "[001-01-000001 001-01-000002 001-01-000003]" {
		t.Fatalf("numbers %v", numbers)
	}
	list := gql(t, s.m.token, `query($f: OrderFilter) { orders(filter: $f, first: 2) { nodes { number } pageInfo { hasNextPage endCursor } } }`, map[string]any{"f": map[string]any{"locationId": s.loc, "status": "COMPLETED"}})
	mustOK(t, list, "")
	if got := fmt.Sprint(field(t, list.Data, "orders.nodes")); got != "[map[number:001-01-000003] map[number:001-01-000002]]" || field(t, list.Data, "orders.pageInfo.hasNextPage") != true {
		t.Fatalf("page 1: %s", got)
	}
	page2 := gql(t, s.m.token, `query($f: OrderFilter, $a: String) { orders(filter: $f, first: 2, after: $a) { nodes { number } pageInfo { hasNextPage } } }`, map[string]any{"f": map[string]any{"locationId": s.loc, "status": "COMPLETED"}, "a": str(t, list.Data, "orders.pageInfo.endCursor")})
	if got := fmt.Sprint(field(t, page2.Data, "orders.nodes")); got != "[map[number:001-01-000001]]" || field(t, page2.Data, "orders.pageInfo.hasNextPage") != false {
		t.Fatalf("page 2: %s", got)
	}
	future := gql(t, s.m.token, `query($f: OrderFilter) { orders(filter: $f) { nodes { id } } }`, map[string]any{"f": map[string]any{"from": time.Now().Add(time.Hour).Format(time.RFC3339)}})
	if n := len(field(t, future.Data, "orders.nodes").([]any)); n != 0 {
		t.Fatalf("time filter returned %d", n)
	}
	co := gql(t, s.m.token, `query { customers(query: "tana") { nodes { id name orders { nodes { number } } } } }`, nil)
	mustOK(t, co, "")
	if got := fmt.Sprint(field(t, co.Data, "customers.nodes")); !strings.Contains(got, "001-01-000002") || strings.Contains(got, "001-01-000001") {
		t.Fatalf("customer orders %s", got)
	}
	one := gql(t, s.m.token, `query($id: ID!) { order(id: $id) { number lines { variant { sku } } receipt { text } } }`, map[string]any{"id": str(t, list.Data, "orders.nodes.0.number")})
	if field(t, one.Data, "order") != nil {
		t.Fatal("order looked up by number instead of id")
	}
}

func TestCheckout_AccessAndIsolation(t *testing.T) {
	a := newStore(t, "alpha-shop", nil)
	b := newStore(t, "beta-shop", nil)
	r := checkout(t, a.m.token, a.basket("a1", cashPayment(2185, 2185)))
	mustOK(t, r, "checkout")
	aOrder := str(t, r.Data, "checkout.order.id")
	ac := gql(t, a.m.token, `mutation { createCustomer(input: {name: "Alpha Customer"}) { customer { id } userErrors { code } } }`, nil)
	aCust := str(t, ac.Data, "createCustomer.customer.id")

	t.Run("another tenant's variant, location and customer are NOT_FOUND", func(t *testing.T) {
		for name, in := range map[string]map[string]any{
			"variant":  {"idempotencyKey": "x1", "locationId": b.loc, "lines": []any{map[string]any{"variantId": a.mug, "quantity": 1}}, "payments": []any{cashPayment(1105, 1105)}},
			"location": {"idempotencyKey": "x2", "locationId": a.loc, "lines": []any{map[string]any{"variantId": b.mug, "quantity": 1}}, "payments": []any{cashPayment(1105, 1105)}},
			"customer": {"idempotencyKey": "x3", "locationId": b.loc, "customerId": aCust, "lines": []any{map[string]any{"variantId": b.mug, "quantity": 1}}, "payments": []any{cashPayment(1105, 1105)}},
		} {
			r := checkout(t, b.m.token, in)
			if codes := userErrorCodes(t, r.Data, "checkout"); len(codes) == 0 || codes[0] != "NOT_FOUND" {
				t.Fatalf("%s: codes %v", name, codes)
			}
		}
		if onHand(t, a.m, a.loc, a.mug) != 99 {
			t.Fatal("tenant A's stock changed")
		}
	})
	t.Run("another tenant's order and customers are invisible", func(t *testing.T) {
		if r := gql(t, b.m.token, `query($id: ID!) { order(id: $id) { id } }`, map[string]any{"id": aOrder}); field(t, r.Data, "order") != nil {
			t.Fatal("B read A's order")
		}
		if r := gql(t, b.m.token, `{ orders { nodes { id } } customers { nodes { id } } }`, nil); len(field(t, r.Data, "orders.nodes").([]any)) != 0 || len(field(t, r.Data, "customers.nodes").([]any)) != 0 {
			t.Fatalf("B lists A's data: %v", r.Data)
		}
		if r := gql(t, b.m.token, `query($f: OrderFilter) { orders(filter: $f) { nodes { id } } }`, map[string]any{"f": map[string]any{"locationId": a.loc}}); len(field(t, r.Data, "orders.nodes").([]any)) != 0 {
			t.Fatal("B lists orders of A's location")
		}
	})
	t.Run("roles and scopes", func(t *testing.T) {
		readOnly, _ := createAPIKey(t, a.m, "ORDERS_READ")
		if r := checkout(t, readOnly, a.basket("s1", cashPayment(2185, 2185))); fmt.Sprint(userErrorCodes(t, r.Data, "checkout")) != "[FORBIDDEN]" {
			t.Fatalf("ORDERS_READ key: %v", r.Data)
		}
		writer, _ := createAPIKey(t, a.m, "ORDERS_WRITE")
		r := checkout(t, writer, a.basket("s2", cashPayment(2185, 2185)))
		mustOK(t, r, "checkout")
		if str(t, r.Data, "checkout.order.source") != "API" || field(t, r.Data, "checkout.order.staff") != nil {
			t.Fatalf("API key order: %v", r.Data)
		}
		other := createLocation(t, a.m, "Elsewhere")
		cashier, _ := createStaff(t, a.m, "CASHIER", []string{a.loc})
		in := a.basket("s3", cashPayment(2185, 2185))
		in["locationId"] = other
		if r := checkout(t, cashier, in); fmt.Sprint(userErrorCodes(t, r.Data, "checkout")) != "[FORBIDDEN]" {
			t.Fatalf("cashier at another location: %v", r.Data)
		}
		catalogOnly, _ := createAPIKey(t, a.m, "CATALOG_READ")
		if r := gql(t, catalogOnly, `{ orders { nodes { id } } }`, nil); r.code() != "FORBIDDEN" {
			t.Fatalf("orders with CATALOG_READ: %+v", r.Errors)
		}
		if r := gql(t, catalogOnly, `mutation { createCustomer(input: {name: "X"}) { userErrors { code } } }`, nil); fmt.Sprint(userErrorCodes(t, r.Data, "createCustomer")) != "[FORBIDDEN]" {
			t.Fatalf("createCustomer with CATALOG_READ: %v", r.Data)
		}
	})
}
