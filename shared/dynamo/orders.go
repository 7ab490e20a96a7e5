package dynamo

import (
	"time"

	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tax"
)

// Order items: pk `T#<tid>#ORDER#<orderId>`, sk `ORDER`, the lines and
// payments inside. gsi1 lists a location's orders newest first
// (`T#<tid>#ORDERS#<loc>`, `<createdAt>#<orderId>`); gsi2 a customer's
// (`T#<tid>#CUSTORDERS#<customerId>`, same sort key). Order numbers come
// from the register's `seq` (registers.go, sales.go), so no item shared by
// a location's registers, let alone the tenant's, is written by every sale.

const (
	skOrder  = "ORDER"
	sortTime = "2006-01-02T15:04:05.000000000Z" // fixed width: sorts as text
)

func orderPK(tpk, id string) string         { return tpk + "#ORDER#" + id }
func orderListPK(tpk, loc string) string    { return tpk + "#ORDERS#" + loc }
func customerOrdersPK(tpk, c string) string { return tpk + "#CUSTORDERS#" + c }
func orderSortKey(o sales.Order) string     { return o.CreatedAt.UTC().Format(sortTime) + "#" + o.ID }

type orderItem struct {
	PK               string          `dynamodbav:"pk"`
	SK               string          `dynamodbav:"sk"`
	Type             string          `dynamodbav:"type"`
	GSI1PK           string          `dynamodbav:"gsi1pk"`
	GSI1SK           string          `dynamodbav:"gsi1sk"`
	GSI2PK           string          `dynamodbav:"gsi2pk,omitempty"`
	GSI2SK           string          `dynamodbav:"gsi2sk,omitempty"`
	ID               string          `dynamodbav:"id"`
	Number           string          `dynamodbav:"number"`
	LocationID       string          `dynamodbav:"locationId"`
	RegisterID       string          `dynamodbav:"registerId,omitempty"` // absent on orders taken before registers
	Status           string          `dynamodbav:"status"`
	Source           string          `dynamodbav:"source"`
	CustomerID       string          `dynamodbav:"customerId,omitempty"`
	StaffID          string          `dynamodbav:"staffId,omitempty"`
	APIKeyID         string          `dynamodbav:"apiKeyId,omitempty"`
	Currency         string          `dynamodbav:"currency"`
	PricesIncludeTax bool            `dynamodbav:"pricesIncludeTax"`
	TaxRounding      string          `dynamodbav:"taxRounding,omitempty"` // absent on orders taken before orders kept it
	Subtotal         int64           `dynamodbav:"subtotal"`
	OrderDiscount    int64           `dynamodbav:"orderDiscount"`
	DiscountTotal    int64           `dynamodbav:"discountTotal"`
	TaxTotal         int64           `dynamodbav:"taxTotal"`
	Total            int64           `dynamodbav:"total"`
	CreatedAt        string          `dynamodbav:"createdAt"`
	BusinessDate     string          `dynamodbav:"businessDate"`
	Lines            []orderLineItem `dynamodbav:"lines"`
	Taxes            []taxLineItem   `dynamodbav:"taxes"`
	Payments         []paymentItem   `dynamodbav:"payments"`
	// Gift card load lines (absent on orders without): not in total.
	GiftCardLoads     []giftCardLoadItem `dynamodbav:"giftCardLoads,omitempty"`
	GiftCardLoadTotal int64              `dynamodbav:"giftCardLoadTotal,omitempty"`
	// The refund attributes, written only by a refund's transaction (refunds.go).
	orderRefundsItem
	// Reserved is the stock a PENDING_PAYMENT order holds (what its sale
	// took), given back if it is cancelled; dropped when it settles.
	Reserved []reservedItem `dynamodbav:"reserved,omitempty"`
}

type orderLineItem struct {
	ID               string `dynamodbav:"id"`
	VariantID        string `dynamodbav:"variantId"`
	Name             string `dynamodbav:"name"`
	SKU              string `dynamodbav:"sku"`
	Quantity         int64  `dynamodbav:"quantity"`
	UnitPrice        int64  `dynamodbav:"unitPrice"`
	Discount         int64  `dynamodbav:"discount"`
	Total            int64  `dynamodbav:"total"`
	TaxCategory      string `dynamodbav:"taxCategory"`
	TaxRatePercent   int    `dynamodbav:"taxRatePercent"`
	RefundedQuantity int64  `dynamodbav:"refundedQuantity"`
}

type taxLineItem struct {
	Category    string `dynamodbav:"category"`
	RatePercent int    `dynamodbav:"ratePercent"`
	Taxable     int64  `dynamodbav:"taxable"`
	Tax         int64  `dynamodbav:"tax"`
}

type paymentItem struct {
	ID        string `dynamodbav:"id"`
	Method    string `dynamodbav:"method"`
	Status    string `dynamodbav:"status"`
	Amount    int64  `dynamodbav:"amount"`
	Tendered  *int64 `dynamodbav:"tendered,omitempty"`
	Change    *int64 `dynamodbav:"change,omitempty"`
	Reference string `dynamodbav:"reference,omitempty"`
	Refunded  int64  `dynamodbav:"refunded,omitempty"` // what refunds gave back of it (refunds.go)
	// DeclineCode is why a CARD payment FAILED.
	DeclineCode string `dynamodbav:"declineCode,omitempty"`
	// GiftCardNumber is the card a GIFT_CARD payment spent.
	GiftCardNumber string `dynamodbav:"giftCardNumber,omitempty"`
}

// giftCardLoadItem is one gift card load line of an order.
type giftCardLoadItem struct {
	ID     string `dynamodbav:"id"`
	Number string `dynamodbav:"number"`
	Amount int64  `dynamodbav:"amount"`
}

func orderToItem(tpk string, o sales.Order) orderItem {
	it := orderItem{
		PK: orderPK(tpk, o.ID), SK: skOrder, Type: "Order", GSI1PK: orderListPK(tpk, o.LocationID), GSI1SK: orderSortKey(o),
		ID: o.ID, Number: o.Number, LocationID: o.LocationID, RegisterID: o.RegisterID, Status: string(o.Status), Source: o.Source, CustomerID: o.CustomerID,
		StaffID: o.StaffID, APIKeyID: o.APIKeyID, Currency: o.Currency, PricesIncludeTax: o.PricesIncludeTax,
		Subtotal: o.Subtotal, OrderDiscount: o.OrderDiscount, DiscountTotal: o.DiscountTotal, TaxTotal: o.TaxTotal, Total: o.Total,
		CreatedAt: fmtTime(o.CreatedAt), BusinessDate: o.BusinessDate, TaxRounding: string(o.TaxRounding),
	}
	if o.CustomerID != "" {
		it.GSI2PK, it.GSI2SK = customerOrdersPK(tpk, o.CustomerID), it.GSI1SK
	}
	for _, l := range o.Lines {
		it.Lines = append(it.Lines, orderLineItem{ID: l.ID, VariantID: l.VariantID, Name: l.Name, SKU: l.SKU, Quantity: l.Quantity, UnitPrice: l.UnitPrice,
			Discount: l.Discount, Total: l.Total, TaxCategory: string(l.TaxCategory), TaxRatePercent: l.TaxRatePercent, RefundedQuantity: l.RefundedQuantity})
	}
	for _, t := range o.Taxes {
		it.Taxes = append(it.Taxes, taxLineItem{Category: string(t.Category), RatePercent: t.RatePercent, Taxable: t.Taxable, Tax: t.Tax})
	}
	for _, p := range o.Payments {
		it.Payments = append(it.Payments, paymentItem{ID: p.ID, Method: string(p.Method), Status: string(p.Status), Amount: p.Amount, Tendered: p.Tendered, Change: p.Change, Reference: p.Reference, DeclineCode: p.DeclineCode,
			GiftCardNumber: p.GiftCardNumber})
	}
	for _, l := range o.GiftCardLoads {
		it.GiftCardLoads = append(it.GiftCardLoads, giftCardLoadItem{ID: l.ID, Number: l.Number, Amount: l.Amount})
	}
	it.GiftCardLoadTotal = o.GiftCardLoadTotal
	it.orderRefundsItem = refundStateToItem(o, it.Payments)
	return it
}

func (it orderItem) domain() sales.Order {
	o := sales.Order{
		ID: it.ID, Number: it.Number, LocationID: it.LocationID, RegisterID: it.RegisterID, Status: sales.OrderStatus(it.Status), Source: it.Source, CustomerID: it.CustomerID,
		StaffID: it.StaffID, APIKeyID: it.APIKeyID, Currency: it.Currency, PricesIncludeTax: it.PricesIncludeTax,
		Subtotal: it.Subtotal, OrderDiscount: it.OrderDiscount, DiscountTotal: it.DiscountTotal, TaxTotal: it.TaxTotal, Total: it.Total,
		CreatedAt: parseTime(it.CreatedAt), BusinessDate: it.BusinessDate, TaxRounding: tax.Rounding(it.TaxRounding),
	}
	for _, l := range it.Lines {
		o.Lines = append(o.Lines, sales.Line{ID: l.ID, VariantID: l.VariantID, Name: l.Name, SKU: l.SKU, Quantity: l.Quantity, UnitPrice: l.UnitPrice,
			Discount: l.Discount, Total: l.Total, TaxCategory: tax.Category(l.TaxCategory), TaxRatePercent: l.TaxRatePercent, RefundedQuantity: l.RefundedQuantity})
	}
	for _, t := range it.Taxes {
		o.Taxes = append(o.Taxes, sales.TaxLine{Category: tax.Category(t.Category), RatePercent: t.RatePercent, Taxable: t.Taxable, Tax: t.Tax})
	}
	for _, p := range it.Payments {
		o.Payments = append(o.Payments, sales.Payment{ID: p.ID, Method: sales.PaymentMethod(p.Method), Status: sales.PaymentStatus(p.Status), Amount: p.Amount, Tendered: p.Tendered, Change: p.Change, Reference: p.Reference, DeclineCode: p.DeclineCode,
			GiftCardNumber: p.GiftCardNumber})
	}
	for _, l := range it.GiftCardLoads {
		o.GiftCardLoads = append(o.GiftCardLoads, sales.GiftCardLoad{ID: l.ID, Number: l.Number, Amount: l.Amount})
	}
	o.GiftCardLoadTotal = it.GiftCardLoadTotal
	it.orderRefundsItem.applyTo(&o, it.Payments)
	return o
}

// orderCompletedData is the data of the order.completed outbox event. Its
// lists are never null: a sale of total 0 has an empty payments list.
type orderCompletedData struct {
	OrderID      string                      `json:"orderId"`
	Number       string                      `json:"number"`
	LocationID   string                      `json:"locationId"`
	RegisterID   string                      `json:"registerId"`
	CustomerID   string                      `json:"customerId,omitempty"`
	BusinessDate string                      `json:"businessDate"`
	Currency     string                      `json:"currency"`
	Total        int64                       `json:"total"`
	TaxTotal     int64                       `json:"taxTotal"`
	Lines        []orderCompletedLineData    `json:"lines"`
	Payments     []orderCompletedPaymentData `json:"payments"`
	OccurredAt   time.Time                   `json:"occurredAt"`
	// Who sold and the order's figures per rate, for reports (added in
	// issue 8; events written before carry none of them).
	StaffID       string                  `json:"staffId,omitempty"`
	APIKeyID      string                  `json:"apiKeyId,omitempty"`
	DiscountTotal int64                   `json:"discountTotal"`
	Taxes         []orderCompletedTaxData `json:"taxes"`
	// GiftCardLoadTotal is what the sale loaded onto gift cards (not in
	// total: a liability, not revenue; the payments cover both). Absent
	// when the sale loaded none.
	GiftCardLoadTotal int64 `json:"giftCardLoadTotal,omitempty"`
}

type orderCompletedLineData struct {
	VariantID   string `json:"variantId"`
	SKU         string `json:"sku"`
	Quantity    int64  `json:"quantity"`
	UnitPrice   int64  `json:"unitPrice"`
	Discount    int64  `json:"discount"` // the line's discount and its share of the order's
	Total       int64  `json:"total"`
	TaxCategory string `json:"taxCategory"`
}

// orderCompletedTaxData is the order's tax of one rate (computed once per
// rate, qualified invoice rule).
type orderCompletedTaxData struct {
	Category    string `json:"category"`
	RatePercent int    `json:"ratePercent"`
	Taxable     int64  `json:"taxable"`
	Tax         int64  `json:"tax"`
}

type orderCompletedPaymentData struct {
	Method string `json:"method"`
	Amount int64  `json:"amount"`
}

func newOrderCompletedData(o sales.Order) orderCompletedData {
	e := orderCompletedData{OrderID: o.ID, Number: o.Number, LocationID: o.LocationID, RegisterID: o.RegisterID, CustomerID: o.CustomerID, BusinessDate: o.BusinessDate,
		Currency: o.Currency, Total: o.Total, TaxTotal: o.TaxTotal, OccurredAt: o.CreatedAt,
		StaffID: o.StaffID, APIKeyID: o.APIKeyID, DiscountTotal: o.DiscountTotal, GiftCardLoadTotal: o.GiftCardLoadTotal, Taxes: make([]orderCompletedTaxData, 0, len(o.Taxes)),
		Lines: make([]orderCompletedLineData, 0, len(o.Lines)), Payments: make([]orderCompletedPaymentData, 0, len(o.Payments))}
	for _, l := range o.Lines {
		e.Lines = append(e.Lines, orderCompletedLineData{VariantID: l.VariantID, SKU: l.SKU, Quantity: l.Quantity, UnitPrice: l.UnitPrice,
			Discount: l.Discount, Total: l.Total, TaxCategory: string(l.TaxCategory)})
	}
	for _, t := range o.Taxes {
		e.Taxes = append(e.Taxes, orderCompletedTaxData{Category: string(t.Category), RatePercent: t.RatePercent, Taxable: t.Taxable, Tax: t.Tax})
	}
	for _, p := range o.Payments {
		e.Payments = append(e.Payments, orderCompletedPaymentData{Method: string(p.Method), Amount: p.Amount})
	}
	return e
}
