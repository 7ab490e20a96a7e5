package dynamo

import (
	"testing"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/giftcards"
	"github.com/renkei-pos/renkei/shared/sales"
)

func newCard(t *testing.T) string {
	t.Helper()
	n, err := giftcards.NewNumber()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (sh shop) giftCard(t *testing.T, number string) (giftCardItem, bool) {
	t.Helper()
	tpk, _ := tenantPK(sh.ctx)
	var it giftCardItem
	ok, err := sh.tb.get(sh.ctx, key(giftCardPK(tpk, number), skGiftCard), &it)
	if err != nil {
		t.Fatal(err)
	}
	return it, ok
}

// TestSalesStore_GiftCardCheckoutActions: a sale spending one card and
// loading another is still one transaction: 4 + 1 take + 3 per card = 11
// actions; the cards' balances move and the order keeps the load apart.
func TestSalesStore_GiftCardCheckoutActions(t *testing.T) {
	var c transactCounter
	sh := newShop(t, mustTable(t, c.option), 10)
	spent, loaded := newCard(t), newCard(t)
	in := sh.input("fund", "", 1)
	in.Lines = nil
	in.GiftCardLoads = []sales.GiftCardLoadInput{{Number: spent, Amount: sales.Money{Amount: 1000, Currency: "JPY"}}}
	in.Payments[0].Amount.Amount = 1000
	if _, err := sh.svc.Checkout(sh.ctx, in); err != nil {
		t.Fatal(err)
	}

	in = sh.input("spend", "", 1) // ¥300 of tea + ¥500 onto another card
	in.GiftCardLoads = []sales.GiftCardLoadInput{{Number: loaded, Amount: sales.Money{Amount: 500, Currency: "JPY"}}}
	in.Payments = []sales.PaymentInput{{Method: sales.GiftCard, Amount: sales.Money{Amount: 800, Currency: "JPY"}, GiftCardNumber: spent}}
	c.calls.Store(0)
	o, err := sh.svc.Checkout(sh.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if c.calls.Load() != 1 || c.actions.Load() != 11 {
		t.Fatalf("%d transactions, last of %d actions; want 1 of 11", c.calls.Load(), c.actions.Load())
	}
	if o.Total != 300 || o.GiftCardLoadTotal != 500 {
		t.Fatalf("order total %d, loads %d", o.Total, o.GiftCardLoadTotal)
	}
	got, err := sh.st.GetOrder(sh.ctx, o.ID)
	if err != nil || len(got.GiftCardLoads) != 1 || got.GiftCardLoads[0].Number != loaded || got.Payments[0].GiftCardNumber != spent {
		t.Fatalf("order read back: %+v %v", got, err)
	}
	if a, _ := sh.giftCard(t, spent); a.Balance != 200 || a.State != "ACTIVE" {
		t.Fatalf("spent card %+v", a)
	}
	if b, _ := sh.giftCard(t, loaded); b.Balance != 500 || b.State != "ACTIVE" || b.ExpiresAt == "" {
		t.Fatalf("loaded card %+v", b)
	}
	if n := len(sh.outbox(t, EventGiftCardActivity)); n != 3 {
		t.Fatalf("%d gift_card.activity events, want 3", n)
	}
}

// TestSalesStore_GiftCardRefusalNamesItsInput: the refusal names the input
// of the card whose condition failed, whatever its place in the
// transaction, and nothing is written.
func TestSalesStore_GiftCardRefusalNamesItsInput(t *testing.T) {
	sh := newShop(t, mustTable(t), 10)
	a, b := newCard(t), newCard(t)
	in := sh.input("fund", "", 1)
	in.Lines = nil
	in.GiftCardLoads = []sales.GiftCardLoadInput{{Number: a, Amount: sales.Money{Amount: 100, Currency: "JPY"}}}
	in.Payments[0].Amount.Amount = 100
	if _, err := sh.svc.Checkout(sh.ctx, in); err != nil {
		t.Fatal(err)
	}
	in = sh.input("short", "", 1) // tea ¥300 + a load of ¥1,000 onto b: ¥100 from a (all it has) would do; ¥200 is too much
	in.GiftCardLoads = []sales.GiftCardLoadInput{{Number: b, Amount: sales.Money{Amount: 1000, Currency: "JPY"}}}
	in.Payments = []sales.PaymentInput{{Method: sales.Cash, Amount: sales.Money{Amount: 1100, Currency: "JPY"}},
		{Method: sales.GiftCard, Amount: sales.Money{Amount: 200, Currency: "JPY"}, GiftCardNumber: a}}
	_, err := sh.svc.Checkout(sh.ctx, in)
	list, _ := apperr.Expected(err)
	if len(list) != 1 || list[0].Code != apperr.InsufficientBalance || len(list[0].Field) != 4 || list[0].Field[1] != "payments" || list[0].Field[2] != "1" {
		t.Fatalf("want INSUFFICIENT_BALANCE at input.payments.1.giftCardNumber, got %v", err)
	}
	if _, ok := sh.giftCard(t, b); ok {
		t.Fatal("the refused sale's load created the card")
	}
	if ca, _ := sh.giftCard(t, a); ca.Balance != 100 {
		t.Fatalf("card a balance %d", ca.Balance)
	}
	if sh.level(t).OnHand != 10 {
		t.Fatal("the refused sale took stock")
	}
}
