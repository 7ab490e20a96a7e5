package sales

import (
	"fmt"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/tax"
)

func TestComputeClose(t *testing.T) {
	// Register 1: a cash sale (2 × ¥540 reduced, ¥1,105 standard, ¥185 off)
	// and a card sale; register 2: an external sale. A pending card sale and
	// a cancelled one do not count; a refund of ¥540 cash at register 1 does.
	cash := Order{RegisterID: "r1", Status: StatusPartiallyRefunded, DiscountTotal: 185,
		Lines:    []Line{{UnitPrice: 540, Quantity: 2}, {UnitPrice: 1105, Quantity: 1}},
		Taxes:    []TaxLine{{Category: tax.Reduced, RatePercent: 8, Taxable: 988, Tax: 73}, {Category: tax.Standard, RatePercent: 10, Taxable: 1012, Tax: 92}},
		Payments: []Payment{{Method: Cash, Status: PaymentPartiallyRefunded, Amount: 2000}}}
	card := Order{RegisterID: "r1", Status: StatusCompleted, Lines: []Line{{UnitPrice: 1105, Quantity: 1}},
		Taxes:    []TaxLine{{Category: tax.Standard, RatePercent: 10, Taxable: 1105, Tax: 100}},
		Payments: []Payment{{Method: Card, Status: PaymentSucceeded, Amount: 1105}}}
	ext := Order{RegisterID: "r2", Status: StatusCompleted, Lines: []Line{{UnitPrice: 540, Quantity: 1}},
		Taxes:    []TaxLine{{Category: tax.Reduced, RatePercent: 8, Taxable: 540, Tax: 40}},
		Payments: []Payment{{Method: External, Status: PaymentSucceeded, Amount: 540}}}
	pending := card
	pending.Status, pending.Payments = StatusPendingPayment, []Payment{{Method: Card, Status: PaymentPending, Amount: 1105}}
	canceled := pending
	canceled.Status = StatusCanceled
	refund := Refund{RegisterID: "r1", Amount: 494, Taxes: []TaxLine{{Category: tax.Reduced, RatePercent: 8, Taxable: 494, Tax: 36}},
		Tenders: []RefundTender{{Method: Cash, Amount: 494}}}
	orders, refunds := []Order{cash, card, ext, pending, canceled}, []Refund{refund}

	r1, err := ComputeClose(orders, refunds, "r1")
	if err != nil {
		t.Fatal(err)
	}
	want := CloseFigures{OrderCount: 2, Gross: 2185 + 1105, Discounts: 185, Refunds: 494, Net: 2185 + 1105 - 185 - 494,
		Taxes:        []TaxLine{{Category: tax.Standard, RatePercent: 10, Taxable: 1012 + 1105, Tax: 192}, {Category: tax.Reduced, RatePercent: 8, Taxable: 988 - 494, Tax: 73 - 36}},
		Payments:     []PaymentTotal{{Cash, 2000 - 494}, {Card, 1105}},
		ExpectedCash: 2000 - 494}
	if fmt.Sprint(r1) != fmt.Sprint(want) {
		t.Fatalf("register 1:\n got %+v\nwant %+v", r1, want)
	}
	all, _ := ComputeClose(orders, refunds, "")
	if all.OrderCount != 3 || all.Net != want.Net+540 || len(all.Payments) != 3 || all.Payments[2] != (PaymentTotal{External, 540}) {
		t.Fatalf("location: %+v", all)
	}
	r2, _ := ComputeClose(orders, refunds, "r2")
	if r2.Refunds != 0 || r2.ExpectedCash != 0 || r2.OrderCount != 1 {
		t.Fatalf("register 2: %+v", r2)
	}
	huge := Order{Status: StatusCompleted, Lines: []Line{{UnitPrice: tax.MaxAmount, Quantity: 1 << 40}}}
	if _, err := ComputeClose([]Order{huge}, nil, ""); err == nil {
		t.Fatal("an overflowing close was computed")
	}
}

func TestCloseInput_Validate(t *testing.T) {
	ok := CloseInput{IdempotencyKey: "k", LocationID: "loc_01", BusinessDate: "2026-11-29", CountedCash: Money{Amount: 0, Currency: "JPY"}}
	for _, tc := range []struct {
		date string
		good bool
	}{{"2026-11-29", true}, {"2026-02-29", false}, {"2026-1-9", false}, {"2026-11-29T00:00:00Z", false}, {"", false}} {
		in := ok
		in.BusinessDate = tc.date
		if err := in.Validate(); (err == nil) != tc.good || (err != nil && apperr.CodeOf(err) != apperr.Invalid) {
			t.Fatalf("%q: %v", tc.date, err)
		}
	}
	in := ok
	in.RegisterID = "reg_0000000000000000000000000_01" // another location's, or malformed
	if apperr.CodeOf(in.Validate()) != apperr.NotFound {
		t.Fatal("a register of another location")
	}
}

func TestDayBounds(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	from, to, err := DayBounds("2026-11-29", tokyo)
	if err != nil || !from.Equal(time.Date(2026, 11, 28, 15, 0, 0, 0, time.UTC)) || to.Sub(from) != 24*time.Hour {
		t.Fatalf("%v %v %v", from, to, err)
	}
}

func TestNextClose_Revisions(t *testing.T) {
	now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	k := CloseKey{LocationID: "loc", RegisterID: "r1", BusinessDate: "2026-11-29"}
	sale := Order{RegisterID: "r1", Status: StatusCompleted, Lines: []Line{{UnitPrice: 100, Quantity: 1}}, Payments: []Payment{{Method: Cash, Status: PaymentSucceeded, Amount: 100}}}
	first, prev, err := nextClose(k, nil, []Order{sale}, nil, 100, now)
	if err != nil || prev != nil || first.Revision != 1 || first.Difference != 0 {
		t.Fatalf("%+v %v %v", first, prev, err)
	}
	other := first
	other.RegisterID = "" // the location's close of the same date
	again, prev, _ := nextClose(k, []RegisterClose{other, first}, []Order{sale}, nil, 100, now)
	if prev == nil || prev.ID != first.ID || again.Revision != 2 || !sameFigures(*prev, again) {
		t.Fatalf("a repeat: %+v (prev %+v)", again, prev)
	}
	late, _, _ := nextClose(k, []RegisterClose{first}, []Order{sale, sale}, nil, 100, now)
	if sameFigures(first, late) || late.Revision != 2 || late.Difference != -100 {
		t.Fatalf("a late sale: %+v", late)
	}
}
