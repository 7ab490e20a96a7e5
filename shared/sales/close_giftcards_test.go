package sales

import (
	"fmt"
	"testing"

	"github.com/renkei-pos/renkei/shared/tax"
)

// Gift card loads are a liability taken on, not a sale: they are counted
// apart from gross and net sales (their cash is in the drawer), redemptions
// are the GIFT_CARD payment method, and a refund paid back onto a card
// takes from it.
func TestComputeClose_GiftCards(t *testing.T) {
	// A ¥5,000 load paid in cash, alone; then ¥1,100 of goods and a ¥3,000
	// load paid ¥600 cash + ¥3,500 by gift card; a refund of ¥550 back onto
	// the card.
	load := Order{Status: StatusCompleted, GiftCardLoads: []GiftCardLoad{{Number: "4111111111111111", Amount: 5000}}, GiftCardLoadTotal: 5000,
		Payments: []Payment{{Method: Cash, Status: PaymentSucceeded, Amount: 5000}}}
	mixed := Order{Status: StatusPartiallyRefunded, Lines: []Line{{UnitPrice: 1100, Quantity: 1}},
		Taxes:             []TaxLine{{Category: tax.Standard, RatePercent: 10, Taxable: 1100, Tax: 100}},
		GiftCardLoads:     []GiftCardLoad{{Number: "4242424242424242", Amount: 3000}},
		GiftCardLoadTotal: 3000,
		Payments: []Payment{{Method: Cash, Status: PaymentSucceeded, Amount: 600},
			{Method: GiftCard, Status: PaymentPartiallyRefunded, Amount: 3500, GiftCardNumber: "4111111111111111"}}}
	refund := Refund{Amount: 550, Taxes: []TaxLine{{Category: tax.Standard, RatePercent: 10, Taxable: 550, Tax: 50}},
		Tenders: []RefundTender{{Method: GiftCard, Amount: 550, GiftCardNumber: "4111111111111111"}}}
	f, err := ComputeClose([]Order{load, mixed}, []Refund{refund}, "")
	if err != nil {
		t.Fatal(err)
	}
	want := CloseFigures{OrderCount: 1, Gross: 1100, Refunds: 550, Net: 550,
		Taxes:         []TaxLine{{Category: tax.Standard, RatePercent: 10, Taxable: 550, Tax: 50}},
		Payments:      []PaymentTotal{{Cash, 5600}, {GiftCard, 3500 - 550}},
		GiftCardLoads: 8000, ExpectedCash: 5600}
	if fmt.Sprint(f) != fmt.Sprint(want) {
		t.Fatalf("close:\n got %+v\nwant %+v", f, want)
	}
	var paid int64
	for _, p := range f.Payments {
		paid += p.Amount
	}
	if paid != f.Net+f.GiftCardLoads {
		t.Fatalf("payments %d ≠ net %d + loads %d", paid, f.Net, f.GiftCardLoads)
	}
	ev := NewCloseEvent(RegisterClose{CloseFigures: f})
	if ev.GiftCardLoads != 8000 || ev.NetSales != 550 || ev.Payments[1] != (CloseEventTotal{Method: "GIFT_CARD", Amount: 2950}) {
		t.Fatalf("close event: %+v", ev)
	}
	a, b := RegisterClose{CloseFigures: f}, RegisterClose{CloseFigures: f}
	b.GiftCardLoads++
	if sameFigures(a, b) {
		t.Fatal("a close whose loads changed says nothing new")
	}
}
