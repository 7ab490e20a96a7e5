package sales

import "time"

// CloseEvent is the data of the register.closed event: the whole close
// revision, as written to the outbox (shared/dynamo) and as delivered to
// integrations (webhooks, the freee connector). One type for the producer
// and its consumers, so the shape cannot drift between them.
type CloseEvent struct {
	CloseID      string            `json:"closeId"`
	LocationID   string            `json:"locationId"`
	RegisterID   string            `json:"registerId,omitempty"` // "" for a whole-location close
	BusinessDate string            `json:"businessDate"`
	Revision     int               `json:"revision"`
	Currency     string            `json:"currency"`
	OrderCount   int               `json:"orderCount"`
	GrossSales   int64             `json:"grossSales"`
	Discounts    int64             `json:"discounts"`
	Refunds      int64             `json:"refunds"`
	NetSales     int64             `json:"netSales"`
	Taxes        []CloseEventTax   `json:"taxes"`
	Payments     []CloseEventTotal `json:"payments"`
	// GiftCardLoads is what was loaded onto gift cards (less loads given
	// back): a liability taken on, paid for by the payments above but not
	// in the sales (no tax, not in NetSales). Payments = sales + loads.
	// Redemptions are the GIFT_CARD payment method.
	GiftCardLoads int64     `json:"giftCardLoads"`
	ExpectedCash  int64     `json:"expectedCash"`
	CountedCash   int64     `json:"countedCash"`
	Difference    int64     `json:"difference"`
	ClosedAt      time.Time `json:"closedAt"`
}

// CloseEventTax is one tax rate's figures of a close.
type CloseEventTax struct {
	Category    string `json:"taxCategory"`
	RatePercent int    `json:"ratePercent"`
	// Taxable is in the tenant's price basis: tax included when prices
	// include tax, excluded otherwise.
	Taxable int64 `json:"taxableAmount"`
	Tax     int64 `json:"tax"`
}

// CloseEventTotal is one payment method's total of a close.
type CloseEventTotal struct {
	Method string `json:"method"`
	Amount int64  `json:"amount"`
}

// NewCloseEvent is the register.closed data of a close revision.
func NewCloseEvent(c RegisterClose) CloseEvent {
	d := CloseEvent{CloseID: c.ID, LocationID: c.LocationID, RegisterID: c.RegisterID, BusinessDate: c.BusinessDate, Revision: c.Revision,
		Currency: c.Currency, OrderCount: c.OrderCount, GrossSales: c.Gross, Discounts: c.Discounts, Refunds: c.Refunds, NetSales: c.Net,
		GiftCardLoads: c.GiftCardLoads, ExpectedCash: c.ExpectedCash, CountedCash: c.CountedCash, Difference: c.Difference, ClosedAt: c.ClosedAt,
		Taxes: []CloseEventTax{}, Payments: []CloseEventTotal{}}
	for _, t := range c.Taxes {
		d.Taxes = append(d.Taxes, CloseEventTax{Category: string(t.Category), RatePercent: t.RatePercent, Taxable: t.Taxable, Tax: t.Tax})
	}
	for _, p := range c.Payments {
		d.Payments = append(d.Payments, CloseEventTotal{Method: string(p.Method), Amount: p.Amount})
	}
	return d
}
