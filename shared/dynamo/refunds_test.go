package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/payments"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tax"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// refundShop is a shop whose service also refunds, through this store and
// a fake card processor.
func refundShop(t testing.TB, tbl *Table, stock int64) (shop, *fakeCards) {
	t.Helper()
	sh := newShop(t, tbl, stock)
	cards := &fakeCards{ids: map[string]string{}}
	sh.svc.Refunds, sh.svc.Payments = NewRefundStore(tbl), cards
	return sh, cards
}

// fakeCards is the card processor's refund as Stripe behaves: the same
// idempotency key with the same amount answers the first refund again;
// with another amount it is refused; fail makes the next calls fail.
type fakeCards struct {
	payments.Gateway
	mu      sync.Mutex
	ids     map[string]string // idempotency key → refund id
	amounts map[string]int64
	calls   []payments.RefundRequest
	fail    error
	during  func() // called once, before the next refund is answered
}

func (f *fakeCards) Refund(_ context.Context, req payments.RefundRequest) (payments.RefundResult, error) {
	if f.during != nil {
		during := f.during
		f.during = nil
		during()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, req)
	if f.fail != nil {
		return payments.RefundResult{}, f.fail
	}
	if f.amounts == nil {
		f.amounts = map[string]int64{}
	}
	if id, ok := f.ids[req.IdempotencyKey]; ok {
		if f.amounts[req.IdempotencyKey] != req.Amount {
			return payments.RefundResult{}, apperr.New(apperr.Conflict, "idempotency key reused with other parameters")
		}
		return payments.RefundResult{ID: id, Status: "succeeded", Amount: req.Amount}, nil
	}
	id := fmt.Sprintf("re_%d", len(f.ids)+1)
	f.ids[req.IdempotencyKey], f.amounts[req.IdempotencyKey] = id, req.Amount
	return payments.RefundResult{ID: id, Status: "succeeded", Amount: req.Amount}, nil
}

func (sh shop) refund(key, orderID string, qty int64, restock bool) (sales.Order, sales.Refund, error) {
	return sh.svc.Refund(sh.ctx, refundRequest(key, orderID, qty, restock))
}

func refundRequest(key, orderID string, qty int64, restock bool) sales.RefundInput {
	return sales.RefundInput{IdempotencyKey: key, OrderID: orderID, Restock: restock, Lines: []sales.RefundLineInput{{LineID: orderID + "-1", Quantity: qty}}}
}

// refundItems reads the refund items of the test's table.
func (sh shop) refundItems(t testing.TB) []refundItem {
	t.Helper()
	out, err := sh.tb.client.Scan(sh.ctx, &dynamodb.ScanInput{TableName: &sh.tb.name, ConsistentRead: aws.Bool(true),
		FilterExpression: aws.String("#type = :t"), ExpressionAttributeNames: map[string]string{"#type": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": s("Refund")}})
	if err != nil {
		t.Fatal(err)
	}
	var items []refundItem
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
		t.Fatal(err)
	}
	return items
}

func TestRefundStore_Refund(t *testing.T) {
	var transacts transactCounter
	sh, _ := refundShop(t, mustTable(t, transacts.option), 5)
	o, err := sh.checkout(t, "sale", 3)
	if err != nil {
		t.Fatal(err)
	}
	before := transacts.calls.Load()
	got, r, err := sh.refund("r1", o.ID, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	if transacts.calls.Load()-before != 1 || transacts.actions.Load() != 5 {
		t.Fatalf("%d transactions, the last of %d actions; want 1 of 5 (record, refund, order, event, level)", transacts.calls.Load()-before, transacts.actions.Load())
	}
	// 3 × 300 reduced, tax-inclusive: one unit is 300, tax ⌊300×8/108⌋ = 22.
	if r.Amount != 300 || r.TaxTotal != 22 || len(r.Tenders) != 1 || r.Tenders[0].Method != sales.Cash || r.RegisterID != o.RegisterID {
		t.Fatalf("refund %+v", r)
	}
	if got.Status != sales.StatusPartiallyRefunded || got.Lines[0].RefundedQuantity != 1 || len(got.Refunds) != 1 {
		t.Fatalf("order after refund %+v", got)
	}
	stored, err := sh.st.GetOrder(sh.ctx, o.ID)
	if err != nil || stored.Status != sales.StatusPartiallyRefunded || stored.Lines[0].RefundedQuantity != 1 || stored.RefundedTotal != 300 ||
		len(stored.Refunds) != 1 || stored.Refunds[0].ID != r.ID || stored.Payments[0].Refunded != 300 || stored.Payments[0].Status != sales.PaymentPartiallyRefunded ||
		len(stored.RefundedTaxes) != 1 || stored.RefundedTaxes[0].Tax != 22 {
		t.Fatalf("stored order %+v %v", stored, err)
	}
	if l := sh.level(t); l.OnHand != 3 || l.Change == nil || *l.Change != (levelChangeItem{Reason: "REFUND", Delta: 1, Reference: r.ID, OccurredAt: fmtTime(r.CreatedAt)}) {
		t.Fatalf("level %+v change %+v: want the unit back, recorded as REFUND of the refund", l, l.Change)
	}
	changed := events(t, sh.tb, sh.ctx)
	if last := changed[len(changed)-1]; last.Reason != "REFUND" || last.Delta != 1 || last.OnHand != 3 || last.Reference != r.ID {
		t.Fatalf("inventory.changed from the level's stream image: %+v", changed)
	}
	items := sh.refundItems(t)
	tpk, _ := tenantPK(sh.ctx)
	if len(items) != 1 || items[0].GSI1PK != refundListPK(tpk, sh.loc.ID) || !strings.HasSuffix(items[0].GSI1SK, "#"+r.ID) || items[0].BusinessDate == "" ||
		items[0].OrderBusinessDate != o.BusinessDate || items[0].RegisterID != o.RegisterID || len(items[0].Lines) != 1 || !items[0].Lines[0].Restocked {
		t.Fatalf("refund items %+v", items)
	}
	evs := sh.outbox(t, EventOrderRefunded)
	if len(evs) != 1 {
		t.Fatalf("%d order.refunded events", len(evs))
	}
	var data orderRefundedData
	if err := json.Unmarshal([]byte(evs[0]["data"].(*types.AttributeValueMemberS).Value), &data); err != nil {
		t.Fatal(err)
	}
	if data.RefundID != r.ID || data.Amount != 300 || data.TaxTotal != 22 || len(data.Taxes) != 1 || data.Taxes[0].Tax != 22 ||
		len(data.Tenders) != 1 || data.Tenders[0].Method != "CASH" || len(data.Lines) != 1 || data.Lines[0].Quantity != 1 || data.OrderStatus != "PARTIALLY_REFUNDED" {
		t.Fatalf("order.refunded %+v", data)
	}

	t.Run("replay returns the same refund and writes nothing", func(t *testing.T) {
		again, r2, err := sh.refund("r1", o.ID, 1, true)
		if err != nil || r2.ID != r.ID || r2.Amount != 300 || again.Lines[0].RefundedQuantity != 1 {
			t.Fatalf("replay %+v %v", r2, err)
		}
		if l := sh.level(t); l.OnHand != 3 || len(sh.refundItems(t)) != 1 {
			t.Fatalf("replay wrote: level %+v", l)
		}
	})
	t.Run("same key, other request", func(t *testing.T) {
		if _, _, err := sh.refund("r1", o.ID, 2, true); apperr.CodeOf(err) != apperr.IdempotencyKeyReused {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("over-refund writes nothing", func(t *testing.T) {
		if _, _, err := sh.refund("r2", o.ID, 3, true); apperr.CodeOf(err) != apperr.Invalid || !strings.Contains(err.Error(), "only 2") {
			t.Fatalf("err = %v", err)
		}
		if l := sh.level(t); l.OnHand != 3 || len(sh.refundItems(t)) != 1 {
			t.Fatalf("refused refund wrote: level %+v", l)
		}
		if _, ok, err := lookupIdempotency(t, sh.tb, sh.ctx, sales.RefundInput{IdempotencyKey: "r2"}.Request()); ok || err != nil {
			t.Fatal("a refused refund consumed its key")
		}
	})
	t.Run("another tenant's order is NOT_FOUND", func(t *testing.T) {
		other, _ := refundShop(t, sh.tb, 1)
		if _, _, err := other.refund("r3", o.ID, 1, false); apperr.CodeOf(err) != apperr.NotFound {
			t.Fatalf("err = %v", err)
		}
		if len(sh.refundItems(t)) != 1 {
			t.Fatal("written")
		}
	})
	t.Run("a cashier is FORBIDDEN", func(t *testing.T) {
		p, _ := identity.PrincipalFrom(sh.ctx)
		p.Role = identity.Cashier
		_, _, err := sh.svc.Refund(identity.WithPrincipal(sh.ctx, p), sales.RefundInput{IdempotencyKey: "r4", OrderID: o.ID, Lines: []sales.RefundLineInput{{LineID: o.ID + "-1", Quantity: 1}}})
		if apperr.CodeOf(err) != apperr.Forbidden {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a manager of another location does not find it", func(t *testing.T) {
		p, _ := identity.PrincipalFrom(sh.ctx)
		p.Role, p.LocationIDs = identity.Manager, []string{ids.New(ids.Location)}
		_, _, err := sh.svc.Refund(identity.WithPrincipal(sh.ctx, p), sales.RefundInput{IdempotencyKey: "r5", OrderID: o.ID, Lines: []sales.RefundLineInput{{LineID: o.ID + "-1", Quantity: 1}}})
		if apperr.CodeOf(err) != apperr.NotFound {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("the rest without restock, then nothing is left", func(t *testing.T) {
		got, r, err := sh.refund("r6", o.ID, 2, false)
		if err != nil || got.Status != sales.StatusRefunded || r.Amount != 600 || r.TaxTotal != 66-22 {
			t.Fatalf("refund %+v order %s: %v", r, got.Status, err)
		}
		if l := sh.level(t); l.OnHand != 3 {
			t.Fatalf("level %+v: restocked without restock", l)
		}
		stored, _ := sh.st.GetOrder(sh.ctx, o.ID)
		if stored.RefundedTotal != stored.Total || stored.RefundedTaxes[0].Tax != stored.Taxes[0].Tax || stored.Payments[0].Status != sales.PaymentRefunded {
			t.Fatalf("stored %+v", stored)
		}
		if _, _, err := sh.refund("r7", o.ID, 1, false); apperr.CodeOf(err) != apperr.Invalid {
			t.Fatalf("refund of a refunded order: %v", err)
		}
	})
}

// TestRefundStore_ConcurrentLastUnit: two refunds of the order's last unit
// at once (different keys): one refunds it, the other is INVALID, and the
// stock comes back once.
func TestRefundStore_ConcurrentLastUnit(t *testing.T) {
	sh, _ := refundShop(t, mustTable(t), 5)
	o, err := sh.checkout(t, "sale", 1)
	if err != nil {
		t.Fatal(err)
	}
	for round := range 5 {
		if round > 0 {
			if o, err = sh.checkout(t, fmt.Sprint("sale", round), 1); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		var won, refused atomic.Int64
		for i := range 2 {
			wg.Go(func() {
				_, _, err := sh.refund(fmt.Sprintf("r%d-%d", round, i), o.ID, 1, true)
				switch {
				case err == nil:
					won.Add(1)
				case apperr.CodeOf(err) == apperr.Invalid:
					refused.Add(1)
				default:
					t.Errorf("refund %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		if won.Load() != 1 || refused.Load() != 1 {
			t.Fatalf("round %d: %d refunds won, %d refused", round, won.Load(), refused.Load())
		}
	}
	if l := sh.level(t); l.OnHand != 5 || len(sh.refundItems(t)) != 5 || len(sh.outbox(t, EventOrderRefunded)) != 5 {
		t.Fatalf("level %+v, %d refunds", l, len(sh.refundItems(t)))
	}
}

// cardOrder writes a completed order paid 1000 by card (intent pi_1) and
// 200 in cash, as card checkout leaves one.
func cardOrder(t testing.TB, sh shop) sales.Order {
	t.Helper()
	tpk, _ := tenantPK(sh.ctx)
	now := time.Now().UTC()
	id := ids.NewAt("ord", now)
	o := sales.Order{ID: id, Number: "001-01-999999", LocationID: sh.loc.ID, Status: sales.StatusCompleted, Source: "POS", Currency: "JPY", PricesIncludeTax: true,
		Lines:    []sales.Line{{ID: id + "-1", VariantID: sh.variant.ID, Name: "Tea", SKU: "TEA", Quantity: 4, UnitPrice: 300, Total: 1200, TaxCategory: tax.Reduced, TaxRatePercent: 8}},
		Subtotal: 1200, TaxTotal: 88, Total: 1200, Taxes: []sales.TaxLine{{Category: tax.Reduced, RatePercent: 8, Taxable: 1200, Tax: 88}},
		Payments: []sales.Payment{{ID: ids.NewAt("pay", now), Method: sales.Card, Status: sales.PaymentSucceeded, Amount: 1000, Reference: "pi_1"},
			{ID: ids.NewAt("pay", now), Method: sales.Cash, Status: sales.PaymentSucceeded, Amount: 200}},
		CreatedAt: now, BusinessDate: now.Format("2006-01-02")}
	put, err := putNew(sh.tb, orderToItem(tpk, o))
	if err != nil {
		t.Fatal(err)
	}
	if err := sh.tb.Transact(sh.ctx, []types.TransactWriteItem{put}); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestRefundStore_Card(t *testing.T) {
	left, calls := &atomic.Int64{}, &atomic.Int64{}
	sh, cards := refundShop(t, mustTable(t, conflictInjector(left, calls)), 0)
	o := cardOrder(t, sh)

	t.Run("an outage writes nothing", func(t *testing.T) {
		cards.fail = apperr.New(apperr.Unavailable, "the card processor did not answer")
		_, _, err := sh.refund("c1", o.ID, 1, false)
		cards.fail = nil
		if apperr.CodeOf(err) != apperr.Unavailable || len(sh.refundItems(t)) != 0 {
			t.Fatalf("err = %v, %d refunds", err, len(sh.refundItems(t)))
		}
	})
	t.Run("the card first, then the write; a retry after a failed write refunds once", func(t *testing.T) {
		cards.calls = nil
		left.Store(10) // every try of the write is a conflict: UNAVAILABLE
		_, _, err := sh.refund("c1", o.ID, 1, false)
		if apperr.CodeOf(err) != apperr.Unavailable || len(sh.refundItems(t)) != 0 || len(cards.calls) == 0 {
			t.Fatalf("err = %v, %d refunds, %d card calls", err, len(sh.refundItems(t)), len(cards.calls))
		}
		left.Store(0)
		_, r, err := sh.refund("c1", o.ID, 1, false)
		if err != nil {
			t.Fatal(err)
		}
		keys := map[string]bool{}
		for _, c := range cards.calls {
			keys[c.IdempotencyKey] = true
			if c.PaymentIntentID != "pi_1" || c.Amount != 300 {
				t.Fatalf("card refund %+v", c)
			}
		}
		if len(keys) != 1 || !keys[sales.CardRefundKey(o.ID, o.Payments[0].ID, refundRequest("c1", o.ID, 1, false).Request().Hash)] || len(cards.ids) != 1 {
			t.Fatalf("processor keys %v, %d refunds at the processor: want one", keys, len(cards.ids))
		}
		if len(r.Tenders) != 1 || r.Tenders[0].Method != sales.Card || r.Tenders[0].Reference != "re_1" {
			t.Fatalf("tenders %+v", r.Tenders)
		}
	})
	t.Run("past the card, cash", func(t *testing.T) {
		// 1000 by card: 300 went back; 3 more units (900) are 700 by card and 200 in cash.
		_, r, err := sh.refund("c2", o.ID, 3, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Tenders) != 2 || r.Tenders[0].Amount != 700 || r.Tenders[0].Reference != "re_2" || r.Tenders[1].Method != sales.Cash || r.Tenders[1].Amount != 200 {
			t.Fatalf("tenders %+v", r.Tenders)
		}
		stored, _ := sh.st.GetOrder(sh.ctx, o.ID)
		if stored.Status != sales.StatusRefunded || stored.RefundedTaxes[0].Tax != 88 || stored.Payments[0].Status != sales.PaymentRefunded {
			t.Fatalf("order %+v", stored)
		}
		if last := cards.calls[len(cards.calls)-1]; last.IdempotencyKey != sales.CardRefundKey(o.ID, o.Payments[0].ID, refundRequest("c2", o.ID, 3, false).Request().Hash) {
			t.Fatalf("second refund's processor key %s", last.IdempotencyKey)
		}
	})
}

// TestRefundStore_NothingToPay: a sale of total 0 (no payments) refunds to
// nothing, tenders nothing, and still moves the order and the stock.
func TestRefundStore_NothingToPay(t *testing.T) {
	sh, cards := refundShop(t, mustTable(t), 0)
	tpk, _ := tenantPK(sh.ctx)
	now := time.Now().UTC()
	id := ids.NewAt("ord", now)
	o := sales.Order{ID: id, Number: "001-01-999998", LocationID: sh.loc.ID, Status: sales.StatusCompleted, Source: "POS", Currency: "JPY", PricesIncludeTax: true,
		Lines:     []sales.Line{{ID: id + "-1", VariantID: sh.variant.ID, Name: "Tea", SKU: "TEA", Quantity: 2, TaxCategory: tax.Reduced, TaxRatePercent: 8}},
		Taxes:     []sales.TaxLine{{Category: tax.Reduced, RatePercent: 8}},
		CreatedAt: now, BusinessDate: now.Format("2006-01-02")}
	put, err := putNew(sh.tb, orderToItem(tpk, o))
	if err != nil {
		t.Fatal(err)
	}
	if err := sh.tb.Transact(sh.ctx, []types.TransactWriteItem{put}); err != nil {
		t.Fatal(err)
	}
	got, r, err := sh.refund("z1", id, 2, true)
	if err != nil || r.Amount != 0 || len(r.Tenders) != 0 || got.Status != sales.StatusRefunded || len(cards.calls) != 0 {
		t.Fatalf("refund %+v order %s: %v", r, got.Status, err)
	}
	if l := sh.level(t); l.OnHand != 2 {
		t.Fatalf("level %+v", l)
	}
}

// TestOrderItem_RefundsRoundTrip: an order written whole keeps its refund
// state (a write of the domain order loses nothing a refund set).
func TestOrderItem_RefundsRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 28, 1, 2, 3, 0, time.UTC)
	o := sales.Order{ID: "ord_1", Status: sales.StatusPartiallyRefunded, CreatedAt: at,
		Lines:         []sales.Line{{ID: "ord_1-1", Quantity: 3, RefundedQuantity: 1, TaxCategory: tax.Reduced}},
		Payments:      []sales.Payment{{ID: "pay_1", Method: sales.Cash, Status: sales.PaymentPartiallyRefunded, Amount: 900, Refunded: 300}},
		Refunds:       []sales.RefundSummary{{ID: "rfd_1", Amount: 300, Reason: "broken", CreatedAt: at}},
		RefundedTotal: 300, RefundedTaxes: []sales.TaxLine{{Category: tax.Reduced, RatePercent: 8, Taxable: 300, Tax: 22}}}
	av, err := attributevalue.MarshalMap(orderToItem("T#tnt", o))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := av["refundCount"]; !ok {
		t.Fatalf("no refundCount in %v", av)
	}
	var it orderItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		t.Fatal(err)
	}
	got := it.domain()
	if fmt.Sprint(got.Refunds, got.RefundedTotal, got.RefundedTaxes, got.Payments[0].Refunded, got.Lines[0].RefundedQuantity) !=
		fmt.Sprint(o.Refunds, o.RefundedTotal, o.RefundedTaxes, o.Payments[0].Refunded, o.Lines[0].RefundedQuantity) {
		t.Fatalf("round trip: %+v", got)
	}
}

// TestRefundStore_SameKeyAtOnce: two requests with one key at once are one
// refund; both answer with it.
func TestRefundStore_SameKeyAtOnce(t *testing.T) {
	sh, _ := refundShop(t, mustTable(t), 5)
	o, err := sh.checkout(t, "sale", 3)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	got := make([]string, 4)
	for i := range got {
		wg.Go(func() {
			_, r, err := sh.refund("same", o.ID, 1, true)
			if err != nil {
				t.Errorf("request %d: %v", i, err)
			}
			got[i] = r.ID
		})
	}
	wg.Wait()
	for _, id := range got {
		if id != got[0] {
			t.Fatalf("refund ids %v: want one refund", got)
		}
	}
	if l := sh.level(t); l.OnHand != 3 || len(sh.refundItems(t)) != 1 {
		t.Fatalf("level %+v, %d refunds", l, len(sh.refundItems(t)))
	}
}

// TestRefundStore_RegisterKey: cash refunded by an API key bound to a
// register at the order's location goes out of that register's drawer.
func TestRefundStore_RegisterKey(t *testing.T) {
	sh, _ := refundShop(t, mustTable(t), 5)
	regs := sh.registers(t, 2)
	o, err := sh.checkout(t, "sale", 1)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := identity.PrincipalFrom(sh.ctx)
	key := identity.Principal{TenantID: p.TenantID, APIKeyID: "key_1", RegisterID: regs[1], LocationIDs: []string{sh.loc.ID}, Scopes: []identity.Scope{identity.ScopeOrdersWrite}}
	_, r, err := sh.svc.Refund(identity.WithPrincipal(sh.ctx, key), sales.RefundInput{IdempotencyKey: "k", OrderID: o.ID, Lines: []sales.RefundLineInput{{LineID: o.ID + "-1", Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if r.RegisterID != regs[1] || o.RegisterID != regs[0] || r.APIKeyID != "key_1" || r.StaffID != "" {
		t.Fatalf("refund at %s by %q/%q; the sale was at %s", r.RegisterID, r.APIKeyID, r.StaffID, o.RegisterID)
	}
	if items := sh.refundItems(t); len(items) != 1 || items[0].RegisterID != regs[1] {
		t.Fatalf("stored %+v", items)
	}
}

// TestRefundStore_ConcurrentCardRefunds: two refunds of one card order at
// once (other keys, other amounts): one claims the order first, the other
// waits for its write (or is planned again after it), and the card is
// refunded exactly what the two refunds say.
func TestRefundStore_ConcurrentCardRefunds(t *testing.T) {
	for round := range 3 {
		sh, cards := refundShop(t, mustTable(t), 0)
		o := cardOrder(t, sh)
		var wg sync.WaitGroup
		refs := make([]sales.Refund, 2)
		for i, qty := range []int64{1, 2} {
			wg.Go(func() {
				var err error
				if _, refs[i], err = sh.refund(fmt.Sprintf("c%d-%d", round, i), o.ID, qty, false); err != nil {
					t.Errorf("refund %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		var atProcessor int64
		for _, a := range cards.amounts {
			atProcessor += a
		}
		if len(cards.ids) != 2 || atProcessor != 900 || refs[0].Tenders[0].Reference == refs[1].Tenders[0].Reference {
			t.Fatalf("round %d: processor refunds %v (%d), tenders %+v / %+v", round, cards.amounts, atProcessor, refs[0].Tenders, refs[1].Tenders)
		}
		stored, _ := sh.st.GetOrder(sh.ctx, o.ID)
		if stored.Payments[0].Refunded != 900 || stored.Lines[0].RefundedQuantity != 3 || len(stored.Refunds) != 2 {
			t.Fatalf("round %d: order %+v", round, stored)
		}
	}
}

// TestRefundStore_SaleRounding: a refund rounds its tax the way its sale
// did, even after the tenant changed its rounding.
func TestRefundStore_SaleRounding(t *testing.T) {
	sh, _ := refundShop(t, mustTable(t), 5)
	o, err := sh.checkout(t, "sale", 3) // FLOOR, the tenant's default
	if err != nil {
		t.Fatal(err)
	}
	if stored, _ := sh.st.GetOrder(sh.ctx, o.ID); stored.TaxRounding != tax.Floor {
		t.Fatalf("order rounding %q", stored.TaxRounding)
	}
	if _, err := NewTenantStore(sh.tb).UpdateTenant(sh.ctx, func(tn *tenant.Tenant) error { tn.TaxRounding = tenant.RoundCeiling; return nil }); err != nil {
		t.Fatal(err)
	}
	// One unit of 300 at 8 %, tax-inclusive: 22.2 — 22 by FLOOR, 23 by CEILING.
	if _, r, err := sh.refund("r1", o.ID, 1, false); err != nil || r.TaxTotal != 22 {
		t.Fatalf("refund tax %d (%v), want 22: the sale's FLOOR", r.TaxTotal, err)
	}
}

// TestRefundStore_RetriesConflicts: DynamoDB cancels a transaction with
// TransactionConflict under contention (DynamoDB Local never does: it is
// injected); the refund is retried and written once.
func TestRefundStore_RetriesConflicts(t *testing.T) {
	left, calls := &atomic.Int64{}, &atomic.Int64{}
	sh, _ := refundShop(t, mustTable(t, conflictInjector(left, calls)), 5)
	o, err := sh.checkout(t, "sale", 2)
	if err != nil {
		t.Fatal(err)
	}
	before := calls.Load()
	left.Store(2)
	if _, _, err := sh.refund("r1", o.ID, 1, true); err != nil {
		t.Fatal(err)
	}
	if calls.Load()-before != 3 || sh.level(t).OnHand != 4 || len(sh.refundItems(t)) != 1 {
		t.Fatalf("%d transactions, level %+v, %d refunds", calls.Load()-before, sh.level(t), len(sh.refundItems(t)))
	}
}

// TestRefundStore_CardClaim: while a refund with a card part is between the
// processor and its write, no other refund of the order commits (it would
// change what the card part should have been): a cash refund asked then is
// UNAVAILABLE and writes nothing; asked again afterwards it is planned from
// the order as the card refund left it.
func TestRefundStore_CardClaim(t *testing.T) {
	sh, cards := refundShop(t, mustTable(t), 0)
	tpk, _ := tenantPK(sh.ctx)
	now := time.Now().UTC()
	id := ids.NewAt("ord", now)
	o := sales.Order{ID: id, Number: "001-01-999997", LocationID: sh.loc.ID, Status: sales.StatusCompleted, Source: "POS", Currency: "JPY", PricesIncludeTax: true,
		Lines:    []sales.Line{{ID: id + "-1", VariantID: sh.variant.ID, Name: "Tea", SKU: "TEA", Quantity: 4, UnitPrice: 300, Total: 1200, TaxCategory: tax.Reduced, TaxRatePercent: 8}},
		Subtotal: 1200, TaxTotal: 88, Total: 1200, Taxes: []sales.TaxLine{{Category: tax.Reduced, RatePercent: 8, Taxable: 1200, Tax: 88}},
		Payments: []sales.Payment{{ID: ids.NewAt("pay", now), Method: sales.Cash, Status: sales.PaymentSucceeded, Amount: 500},
			{ID: ids.NewAt("pay", now), Method: sales.Card, Status: sales.PaymentSucceeded, Amount: 700, Reference: "pi_2"}},
		CreatedAt: now, BusinessDate: now.Format("2006-01-02")}
	put, err := putNew(sh.tb, orderToItem(tpk, o))
	if err != nil {
		t.Fatal(err)
	}
	if err := sh.tb.Transact(sh.ctx, []types.TransactWriteItem{put}); err != nil {
		t.Fatal(err)
	}
	var during error
	cards.during = func() { // 300 in cash, asked while the card refund is at the processor
		_, _, during = sh.refund("cash", id, 1, false)
	}
	_, card, err := sh.refund("card", id, 2, false) // 600: 500 cash, 100 card
	if err != nil {
		t.Fatal(err)
	}
	if apperr.CodeOf(during) != apperr.Unavailable || len(card.Tenders) != 2 || card.Tenders[1].Amount != 100 {
		t.Fatalf("refund asked meanwhile: %v; card refund tenders %+v", during, card.Tenders)
	}
	_, cash, err := sh.refund("cash", id, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(cash.Tenders) != 1 || cash.Tenders[0].Method != sales.Card || cash.Tenders[0].Amount != 300 {
		t.Fatalf("second refund's tenders %+v: the cash is spent, the card pays", cash.Tenders)
	}
	var atProcessor int64
	for _, a := range cards.amounts {
		atProcessor += a
	}
	stored, _ := sh.st.GetOrder(sh.ctx, id)
	if atProcessor != 400 || stored.Payments[1].Refunded != 400 || stored.Payments[0].Refunded != 500 {
		t.Fatalf("processor refunded %d, order %+v", atProcessor, stored.Payments)
	}
}
