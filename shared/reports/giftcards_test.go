package reports

import (
	"testing"

	"github.com/renkei-pos/renkei/shared/tax"
)

// Gift card loads are kept apart from the sales figures: a sale of loads
// alone counts no order and no sales, only its loads; a mixed sale's loads
// split among its payments like its other figures.
func TestContributions_GiftCardLoads(t *testing.T) {
	loadOnly := Movement{GiftCardLoads: 5000, Payments: []MethodAmount{{Method: "CASH", Amount: 5000}}}
	for _, c := range Contributions(loadOnly) {
		if c.Figures.Orders != 0 || c.Figures.Gross != 0 || c.Figures.Net() != 0 {
			t.Fatalf("a load-only sale counts as a sale: %+v", c)
		}
		if (c.dim == dimTotal || c.dim == dimPayment) && c.Figures.GiftCardLoads != 5000 {
			t.Fatalf("%s: loads %d, want 5000", c.dim, c.Figures.GiftCardLoads)
		}
	}
	mixed := Movement{GiftCardLoads: 3000,
		Lines:    []MovementLine{{SKU: "A", Quantity: 1, Gross: 1100, Total: 1100, TaxCategory: tax.Standard}},
		Taxes:    []RateTax{{Category: tax.Standard, Tax: 100}},
		Payments: []MethodAmount{{Method: "CASH", Amount: 2050}, {Method: "GIFT_CARD", Amount: 2050}}}
	var loads, net int64
	for _, c := range Contributions(mixed) {
		switch c.dim {
		case dimTotal:
			if c.Figures.Orders != 1 || c.Figures.Net() != 1100 || c.Figures.GiftCardLoads != 3000 {
				t.Fatalf("total %+v", c.Figures)
			}
		case dimItem:
			if c.Figures.GiftCardLoads != 0 {
				t.Fatalf("an item carries loads: %+v", c.Figures)
			}
		case dimPayment:
			loads, net = loads+c.Figures.GiftCardLoads, net+c.Figures.Net()
		}
	}
	if loads != 3000 || net != 1100 {
		t.Fatalf("payment rows: loads %d net %d", loads, net)
	}
	f := Figures{GiftCardLoads: 7}
	if f.Add(f).Times(-1).GiftCardLoads != -14 {
		t.Fatal("Add/Times drop the loads")
	}
}
