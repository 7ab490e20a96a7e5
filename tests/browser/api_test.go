package browser

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The API side of the tests: what a POS app does over GraphQL (no cookie
// mode), to make sales and closes the console must then show.

const testPassword = "correct horse battery"

var seq atomic.Int64

func unique(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano(), seq.Add(1))
}

func uniqueEmail(prefix string) string { return unique(prefix) + "@example.com" }

// gql posts one operation as token ("" for none) and returns data; any
// top-level error fails the test.
func gql(tb testing.TB, token, query string, vars map[string]any) map[string]any {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, local.URL, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out struct {
		Data   map[string]any
		Errors []map[string]any
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		tb.Fatalf("status %d, not JSON: %q", res.StatusCode, raw)
	}
	if len(out.Errors) > 0 {
		tb.Fatalf("GraphQL errors: %v", out.Errors)
	}
	return out.Data
}

// mustOK fails the test if the payload has userErrors.
func mustOK(tb testing.TB, data map[string]any, payload string) map[string]any {
	tb.Helper()
	p, _ := data[payload].(map[string]any)
	if p == nil {
		tb.Fatalf("no %s in %v", payload, data)
	}
	if ue, _ := p["userErrors"].([]any); len(ue) > 0 {
		tb.Fatalf("%s userErrors: %v", payload, ue)
	}
	return p
}

// get walks a decoded JSON value along a dotted path.
func get(v any, path string) any {
	for _, p := range strings.Split(path, ".") {
		switch c := v.(type) {
		case map[string]any:
			v = c[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	return v
}

func getStr(v any, path string) string { s, _ := get(v, path).(string); return s }

// merchant is a tenant's owner, signed up over the API.
type merchant struct {
	email, token, tenantID, userID, name string
}

func signUpAPI(tb testing.TB, name string) merchant {
	tb.Helper()
	email := uniqueEmail(strings.ToLower(strings.ReplaceAll(name, " ", "")))
	d := gql(tb, "", `mutation($in: SignUpInput!) { signUp(input: $in) { accessToken user { id } tenant { id } userErrors { field code message } } }`,
		map[string]any{"in": map[string]any{"businessName": name, "email": email, "password": testPassword, "ownerName": name + " オーナー", "currency": "JPY", "timezone": "Asia/Tokyo"}})
	p := mustOK(tb, d, "signUp")
	return merchant{email: email, token: getStr(p, "accessToken"), tenantID: getStr(p, "tenant.id"), userID: getStr(p, "user.id"), name: name}
}

// logInAPI logs in over GraphQL without cookie mode (as a POS app) and
// returns the access token.
func logInAPI(tb testing.TB, email, password string) string {
	tb.Helper()
	d := gql(tb, "", `mutation($in: LogInInput!) { logIn(input: $in) { accessToken userErrors { field code message } } }`,
		map[string]any{"in": map[string]any{"email": email, "password": password}})
	return getStr(mustOK(tb, d, "logIn"), "accessToken")
}

// shop is a merchant's location and one item to sell.
type shop struct {
	locationID, variantID string
	price                 int64
}

// setUpShop gives the merchant (by token) a location and an item.
func setUpShop(tb testing.TB, token, locName string, price int64) shop {
	tb.Helper()
	d := gql(tb, token, `mutation($in: CreateLocationInput!) { createLocation(input: $in) { location { id } userErrors { field code message } } }`,
		map[string]any{"in": map[string]any{"name": locName, "timezone": "Asia/Tokyo"}})
	loc := getStr(mustOK(tb, d, "createLocation"), "location.id")
	d = gql(tb, token, `mutation($in: UpsertItemInput!) { upsertItem(input: $in) { item { id variants { id } } userErrors { field code message } } }`,
		map[string]any{"in": map[string]any{"name": "抹茶ラテ", "taxCategory": "STANDARD", "variants": []any{map[string]any{"name": "抹茶ラテ", "sku": unique("LATTE"),
			"price": map[string]any{"amount": price, "currency": "JPY"}, "trackStock": false}}}})
	return shop{locationID: loc, variantID: getStr(mustOK(tb, d, "upsertItem"), "item.variants.0.id"), price: price}
}

// sell checks out qty of the shop's item for cash; returns the order id.
func sell(tb testing.TB, token string, s shop, qty int) string {
	tb.Helper()
	total := s.price * int64(qty)
	d := gql(tb, token, `mutation($in: CheckoutInput!) { checkout(input: $in) { order { id total { amount } } userErrors { field code message } } }`,
		map[string]any{"in": map[string]any{"idempotencyKey": unique("sale"), "locationId": s.locationID,
			"lines": []any{map[string]any{"variantId": s.variantID, "quantity": qty}},
			"payments": []any{map[string]any{"method": "CASH", "amount": map[string]any{"amount": total, "currency": "JPY"},
				"tendered": map[string]any{"amount": total, "currency": "JPY"}}}}})
	p := mustOK(tb, d, "checkout")
	if got := int64(get(p, "order.total.amount").(float64)); got != total {
		tb.Fatalf("checkout total %d, want %d", got, total)
	}
	return getStr(p, "order.id")
}

var tokyo = func() *time.Location {
	z, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		panic(err)
	}
	return z
}()

// closeDay closes the location's business day (today in Tokyo) over the API.
func closeDay(tb testing.TB, token string, s shop, counted int64) string {
	tb.Helper()
	d := gql(tb, token, `mutation($in: CloseRegisterInput!) { closeRegister(input: $in) { registerClose { id } userErrors { field code message } } }`,
		map[string]any{"in": map[string]any{"idempotencyKey": unique("close"), "locationId": s.locationID,
			"businessDate": time.Now().In(tokyo).Format(time.DateOnly), "countedCash": map[string]any{"amount": counted, "currency": "JPY"}}})
	return getStr(mustOK(tb, d, "closeRegister"), "registerClose.id")
}

// eventually polls cond every 200 ms until it holds or timeout passes.
func eventually(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("after %s: %s", timeout, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
