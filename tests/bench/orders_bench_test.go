package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/renkei-pos/renkei/shared/stack"
)

// ordersPageQ reads a page of orders with everything an order refers to:
// each reference is a service call through a per-request loader, and the
// page must cost a fixed number of storage calls whatever its size.
const ordersPageQ = `query($n: Int) { orders(first: $n) { nodes { number location { name } customer { name } staff { name }
  lines { variant { sku price { amount } } } receipt { text } } } }`

// BenchmarkOrdersPage reads pages of 50 orders (2 staff, 5 customers, 3
// lines each) and reports the latency and the DynamoDB calls per page.
func BenchmarkOrdersPage(b *testing.B) {
	meter := &storageMeter{}
	l, err := stack.StartLocal(b.Context(), stack.LocalConfig{Rates: stack.Rates{Public: 100000, Tenant: 100000}, DynamoDBOptions: []func(*dynamodb.Options){meter.option}})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close(context.Background())
	reg := setUpRegisters(b, l.URL)[0]
	sellers := []string{reg.token}
	for i := range 1 {
		email := fmt.Sprintf("bench-staff-%d-%d@example.com", i, seq.Add(1))
		call(b, l.URL, reg.token, `mutation($in: CreateStaffInput!) { createStaff(input: $in) { user { id } } }`,
			map[string]any{"in": map[string]any{"email": email, "name": "Cashier", "role": "CASHIER", "password": "benchmark password"}})
		d := call(b, l.URL, "", `mutation($in: LogInInput!) { logIn(input: $in) { accessToken } }`, map[string]any{"in": map[string]any{"email": email, "password": "benchmark password"}})
		sellers = append(sellers, d["logIn"].(map[string]any)["accessToken"].(string))
	}
	var customers []string
	for i := range 5 {
		d := call(b, l.URL, reg.token, `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { customer { id } } }`, map[string]any{"in": map[string]any{"name": fmt.Sprint("Customer ", i)}})
		customers = append(customers, d["createCustomer"].(map[string]any)["customer"].(map[string]any)["id"].(string))
	}
	for i := range 50 {
		var lines []any
		for _, v := range reg.variants {
			lines = append(lines, map[string]any{"variantId": v, "quantity": 1})
		}
		in := map[string]any{"idempotencyKey": fmt.Sprint("page-", i, "-", seq.Add(1)), "locationId": reg.loc, "lines": lines, "customerId": customers[i%len(customers)],
			"payments": []any{map[string]any{"method": "CASH", "amount": map[string]any{"amount": reg.price, "currency": "JPY"}, "tendered": map[string]any{"amount": 1000, "currency": "JPY"}}}}
		call(b, l.URL, sellers[i%len(sellers)], checkoutQ, map[string]any{"in": in})
	}
	for _, n := range []int{10, 50} {
		b.Run(fmt.Sprintf("orders=%d", n), func(b *testing.B) {
			meter.ops.Store(0)
			measure(b, 1, func() {
				d := call(b, l.URL, reg.token, ordersPageQ, map[string]any{"n": n})
				if got := len(d["orders"].(map[string]any)["nodes"].([]any)); got != n {
					b.Fatalf("%d orders, want %d", got, n)
				}
			})
			b.ReportMetric(float64(meter.ops.Load())/float64(b.N), "ddb-calls/page")
		})
	}
}
