package sales

import (
	"testing"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/tax"
)

// A gift card payment's part of a refund goes back onto the card it spent;
// with ToGiftCardNumber every part goes onto that card, still counted
// against the payment it refunds.
func TestPlanRefund_GiftCards(t *testing.T) {
	const paid, named = "4111111111111111", "4242424242424242"
	o := Order{ID: "ord_1", Status: StatusCompleted, PricesIncludeTax: true, TaxRounding: tax.Rounding("FLOOR"),
		Lines: []Line{{ID: "l1", SKU: "MUG", Quantity: 2, UnitPrice: 1100, Total: 2200, TaxCategory: tax.Standard, TaxRatePercent: 10}},
		Taxes: []TaxLine{{Category: tax.Standard, RatePercent: 10, Taxable: 2200, Tax: 200}},
		Payments: []Payment{{ID: "p1", Method: GiftCard, Status: PaymentSucceeded, Amount: 1500, GiftCardNumber: paid},
			{ID: "p2", Method: Cash, Status: PaymentSucceeded, Amount: 700}}}
	in := RefundInput{IdempotencyKey: "k", OrderID: "ord_1", Lines: []RefundLineInput{{LineID: "l1", Quantity: 2}}}
	p, err := PlanRefund(o, in, refundCtx(t, 1, tax.Rounding("FLOOR")))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Refund.Tenders) != 2 || p.Refund.Tenders[0] != (RefundTender{PaymentID: "p1", Method: GiftCard, Amount: 1500, GiftCardNumber: paid}) ||
		p.Refund.Tenders[1] != (RefundTender{PaymentID: "p2", Method: Cash, Amount: 700}) {
		t.Fatalf("default tenders %+v", p.Refund.Tenders)
	}

	// Cash tendered first (e.g. it also paid a load): the card still gets
	// its part back first, never cash for a card's balance.
	swapped := o
	swapped.Payments = []Payment{o.Payments[1], o.Payments[0]}
	swapped.Payments[0].Amount, swapped.Payments[1].Amount = 1700, 500
	one := RefundInput{IdempotencyKey: "k", OrderID: "ord_1", Lines: []RefundLineInput{{LineID: "l1", Quantity: 1}}}
	p, err = PlanRefund(swapped, one, refundCtx(t, 3, tax.Rounding("FLOOR")))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Refund.Tenders) != 2 || p.Refund.Tenders[0].Method != GiftCard || p.Refund.Tenders[0].Amount != 500 ||
		p.Refund.Tenders[1].Method != Cash || p.Refund.Tenders[1].Amount != 600 {
		t.Fatalf("tenders with cash first %+v", p.Refund.Tenders)
	}

	in.ToGiftCardNumber = named
	p, err = PlanRefund(o, in, refundCtx(t, 2, tax.Rounding("FLOOR")))
	if err != nil {
		t.Fatal(err)
	}
	for _, tn := range p.Refund.Tenders {
		if tn.Method != GiftCard || tn.GiftCardNumber != named {
			t.Fatalf("tenders onto a named card %+v", p.Refund.Tenders)
		}
	}
	if p.Order.Payments[1].Refunded != 700 || p.Order.Payments[1].Status != PaymentRefunded {
		t.Fatalf("the cash payment is not counted as refunded: %+v", p.Order.Payments[1])
	}

	// The number is checked like a checkout's, and is part of the request.
	in.ToGiftCardNumber = "4242424242424243"
	err = in.Validate()
	if l, ok := err.(apperr.List); !ok || len(l) != 1 || l[0].Field[len(l[0].Field)-1] != "toGiftCardNumber" {
		t.Fatalf("a wrong check digit: %v", err)
	}
	a, b := in, in
	a.ToGiftCardNumber, b.ToGiftCardNumber = "", named
	if a.Request().Hash == b.Request().Hash {
		t.Fatal("the refund's card is not part of its request")
	}
	spaced := RefundInput{ToGiftCardNumber: "4242 4242 4242 4242"}
	spaced.normalize()
	if spaced.ToGiftCardNumber != named {
		t.Fatalf("normalize: %q", spaced.ToGiftCardNumber)
	}
}

// An offline group writes a card once: a sale spending a card the group
// already spends starts the next group; each card costs 3 actions.
func TestGroupSize_GiftCards(t *testing.T) {
	sale := func(card string) sellAt {
		var s Sale
		s.Order.Payments = []Payment{{Method: GiftCard, Amount: 100, GiftCardNumber: card}}
		return sellAt{write: OfflineWrite{Sale: s}}
	}
	if n := groupSize([]sellAt{sale("A"), sale("B"), sale("A")}); n != 2 {
		t.Fatalf("groupSize with a card repeated = %d, want 2", n)
	}
	var many []sellAt
	for i := range 30 {
		many = append(many, sale(string(rune('a'+i))))
	}
	// 1 (register) + 6 per sale ≤ 100: 16 sales.
	if n := groupSize(many); n != 16 {
		t.Fatalf("groupSize of card sales = %d, want 16", n)
	}
}
