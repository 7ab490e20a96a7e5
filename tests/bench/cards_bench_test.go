package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/renkei-pos/renkei/shared/stack"
)

// BenchmarkCardCheckout compares a 3-line checkout paid in cash with the
// same checkout paid by card on the local stack's card simulator (no
// network to Stripe: the processor's own latency is not in these figures):
// card not present (pm_card_visa, charged during the checkout) and card
// reader (the sale is left PENDING_PAYMENT with a client secret). One
// register, one client at a time; it reports DynamoDB calls per checkout
// and latency percentiles.
func BenchmarkCardCheckout(b *testing.B) {
	meter := &storageMeter{}
	l, err := stack.StartLocal(b.Context(), stack.LocalConfig{Rates: stack.Rates{Public: 100000, Tenant: 100000}, DynamoDBOptions: []func(*dynamodb.Options){meter.option}})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close(context.Background())
	token, vars := newBenchTenant(b, l.URL, "cards")
	loc := newStockedLocation(b, l.URL, token, "Card store", vars)
	d := call(b, l.URL, token, `mutation { startCardPaymentsOnboarding { url userErrors { code message } } }`, nil)
	if ue := d["startCardPaymentsOnboarding"].(map[string]any)["userErrors"].([]any); len(ue) > 0 {
		b.Fatalf("onboarding: %v", ue)
	}
	const total = 100 + 200 + 300
	lines := make([]any, len(vars))
	for i, v := range vars {
		lines[i] = map[string]any{"variantId": v, "quantity": 1}
	}
	q := `mutation($in: CheckoutInput!) { checkout(input: $in) { order { id status } userErrors { code message } } }`
	sale := func(b *testing.B, payment map[string]any, status string) {
		in := map[string]any{"idempotencyKey": fmt.Sprintf("card-bench-%d-%d", time.Now().UnixNano(), seq.Add(1)), "locationId": loc,
			"lines": lines, "payments": []any{payment}}
		d := call(b, l.URL, token, q, map[string]any{"in": in})["checkout"].(map[string]any)
		if ue := d["userErrors"].([]any); len(ue) > 0 {
			b.Fatalf("checkout: %v", ue)
		}
		if got := d["order"].(map[string]any)["status"]; got != status {
			b.Fatalf("status %v, want %s", got, status)
		}
	}
	// DynamoDB Local is a JVM: its first few hundred transactions run
	// before the JIT has warmed up. Warm it with both kinds of sale first.
	cash := map[string]any{"method": "CASH", "amount": map[string]any{"amount": total, "currency": "JPY"}}
	visa := map[string]any{"method": "CARD", "amount": map[string]any{"amount": total, "currency": "JPY"}, "paymentMethodId": "pm_card_visa"}
	for range 200 {
		sale(b, cash, "COMPLETED")
		sale(b, visa, "COMPLETED")
	}
	for _, tender := range []struct {
		name    string
		payment map[string]any
		status  string
	}{
		{"cash", cash, "COMPLETED"},
		{"card-not-present", visa, "COMPLETED"},
		{"card-reader", map[string]any{"method": "CARD", "amount": map[string]any{"amount": total, "currency": "JPY"}}, "PENDING_PAYMENT"},
	} {
		b.Run(tender.name, func(b *testing.B) {
			meter.reset()
			measure(b, 1, func() { sale(b, tender.payment, tender.status) })
			// Every DynamoDB call of the process: the request's, and for a
			// card-not-present sale the simulator's payment_intent.succeeded
			// webhook that follows it (one GetItem finds the order final).
			b.ReportMetric(float64(meter.ops.Load())/float64(b.N), "storage-calls/op")
		})
	}
}
