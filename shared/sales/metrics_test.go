package sales

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/idempotency"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/metrics"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// fakeSales is a Store whose register moves under the first `moves` saves
// and which answers replayed for a replay key.
type fakeSales struct {
	Store
	moves    int
	replayed bool
	saves    int
}

func (f *fakeSales) LoadSale(_ context.Context, q SaleQuery) (Loaded, error) {
	return Loaded{Snapshot: snapshot(true, tenant.RoundFloor), LocationFound: true,
		Register: &RegisterState{Register: tenant.Register{ID: q.RegisterID, LocationID: "loc_1", Number: 1, Kind: tenant.RegisterPOS, Active: true}}}, nil
}

func (f *fakeSales) SaveSale(_ context.Context, sale Sale, seq int64, _ idempotency.Request) (string, bool, error) {
	f.saves++
	if f.moves > 0 {
		f.moves--
		return "", false, &StaleError{RegisterMoved: true, Register: &RegisterState{Register: tenant.Register{ID: sale.Order.RegisterID, LocationID: "loc_1", Number: 1, Kind: tenant.RegisterPOS, Active: true}, Seq: seq}}
	}
	return sale.Order.ID, f.replayed, nil
}

func (f *fakeSales) GetOrder(_ context.Context, id string) (Order, error) { return Order{ID: id}, nil }

var testTenant = ids.New(ids.Tenant)

// bagSale sells one untracked bag (no stock to check).
func bagSale(amount int64) CheckoutInput {
	return CheckoutInput{IdempotencyKey: "k1", LocationID: "loc_1", Lines: []CheckoutLine{{VariantID: "bag", Quantity: 1}}, Payments: []PaymentInput{cash(amount, amount)}}
}

func checkoutLines(t *testing.T, store *fakeSales, in CheckoutInput) []metrics.Line {
	t.Helper()
	var buf bytes.Buffer
	s := &Service{Store: store, Now: time.Now, Metrics: &metrics.Emitter{W: &buf}}
	ctx := identity.WithPrincipal(t.Context(), identity.Principal{TenantID: testTenant, UserID: "usr_1", Role: identity.Owner})
	_, _ = s.Checkout(ctx, in)
	lines, err := metrics.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 {
		t.Fatalf("%d metric lines, want 1: %s", len(lines), buf.String())
	}
	return lines
}

func TestCheckoutMetrics(t *testing.T) {
	l := checkoutLines(t, &fakeSales{}, bagSale(105))[0]
	if l.Namespace != "Renkei" || l.Values[metrics.Checkouts] != 1 || l.Values[metrics.CheckoutConflicts] != 0 || l.Props["tenant"] != testTenant || l.Props["outcome"] != "ok" {
		t.Fatalf("a plain sale: %+v", l)
	}
	if l.Units[metrics.CheckoutLatency] != metrics.Milliseconds || l.Values[metrics.CheckoutLatency] <= 0 {
		t.Fatalf("latency %+v", l)
	}

	st := &fakeSales{moves: 2}
	l = checkoutLines(t, st, bagSale(105))[0]
	if st.saves != 3 || l.Values[metrics.Checkouts] != 1 || l.Values[metrics.CheckoutConflicts] != 2 || l.Values[metrics.CheckoutSequenceRetries] != 2 {
		t.Fatalf("two sequence retries (%d saves): %+v", st.saves, l)
	}

	l = checkoutLines(t, &fakeSales{replayed: true}, bagSale(105))[0]
	if l.Values[metrics.Checkouts] != 0 || l.Props["outcome"] != "replayed" {
		t.Fatalf("a replay is no new sale: %+v", l)
	}

	// Refused input: latency and the code, no checkout.
	l = checkoutLines(t, &fakeSales{}, bagSale(1))[0]
	if l.Values[metrics.Checkouts] != 0 || l.Props["outcome"] == "ok" || l.Props["outcome"] == "" {
		t.Fatalf("a refused sale: %+v", l)
	}
}
