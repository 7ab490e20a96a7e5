package sales

import (
	"time"

	"github.com/renkei-pos/renkei/shared/tax"
)

// OrderStatus is the lifecycle state of an order.
type OrderStatus string

// The order statuses of the contract.
const (
	StatusPendingPayment    OrderStatus = "PENDING_PAYMENT"
	StatusCompleted         OrderStatus = "COMPLETED"
	StatusCanceled          OrderStatus = "CANCELED"
	StatusPartiallyRefunded OrderStatus = "PARTIALLY_REFUNDED"
	StatusRefunded          OrderStatus = "REFUNDED"
)

// Valid reports whether s is a known status.
func (s OrderStatus) Valid() bool {
	switch s {
	case StatusPendingPayment, StatusCompleted, StatusCanceled, StatusPartiallyRefunded, StatusRefunded:
		return true
	}
	return false
}

// PaymentMethod is how a payment was made.
type PaymentMethod string

// The payment methods of the contract.
const (
	Cash     PaymentMethod = "CASH"
	Card     PaymentMethod = "CARD"
	External PaymentMethod = "EXTERNAL"
	// GiftCard (GIFT_CARD) is in giftcard.go.
)

// PaymentStatus is the state of one payment.
type PaymentStatus string

// The payment statuses used so far. A CARD payment is PENDING while its
// PaymentIntent is collected, then SUCCEEDED or FAILED (card.go).
const (
	PaymentPending   PaymentStatus = "PENDING"
	PaymentSucceeded PaymentStatus = "SUCCEEDED"
	PaymentFailed    PaymentStatus = "FAILED"
	// A payment some (all) of which went back in refunds (refund_plan.go).
	PaymentPartiallyRefunded PaymentStatus = "PARTIALLY_REFUNDED"
	PaymentRefunded          PaymentStatus = "REFUNDED"
)

// Order is a completed sale. Amounts are minor units of Currency, in the
// tenant's price basis (tax-inclusive or not) at the time of the sale.
type Order struct {
	ID               string
	Number           string // "<location>-<register>-<sequence>", e.g. 001-02-000042 (LLL-RR-NNNNNN)
	LocationID       string
	RegisterID       string // the register that took the sale and numbered it
	Status           OrderStatus
	Source           string // POS, API (later OFFLINE, EC:<provider>)
	CustomerID       string
	StaffID          string // the user who sold; "" for API keys
	APIKeyID         string
	Currency         string
	PricesIncludeTax bool
	Lines            []Line
	Subtotal         int64 // after line discounts, before the order discount
	OrderDiscount    int64
	DiscountTotal    int64 // line discounts + order discount
	TaxTotal         int64
	Total            int64 // what the customer pays
	Taxes            []TaxLine
	Payments         []Payment
	// GiftCardLoads are the sale's gift card loads (giftcard.go): not in
	// Subtotal, TaxTotal or Total; the payments cover Total +
	// GiftCardLoadTotal.
	GiftCardLoads     []GiftCardLoad
	GiftCardLoadTotal int64
	CreatedAt         time.Time
	BusinessDate      string // YYYY-MM-DD in the location's timezone
	// Refunds so far (refund.go): a summary of each, oldest first (at most
	// MaxRefunds), what they returned in all, and per rate the base and
	// tax they returned.
	Refunds       []RefundSummary
	RefundedTotal int64
	RefundedTaxes []TaxLine
	// TaxRounding is how the sale's tax was rounded; its refunds round the
	// same way ("" on orders taken before orders kept it).
	TaxRounding tax.Rounding
}

// Line is one line of an order, a snapshot of the variant when sold.
type Line struct {
	ID               string
	VariantID        string
	Name             string // item name, plus the variant name when it adds something
	SKU              string
	Quantity         int64
	UnitPrice        int64
	Discount         int64 // line discount + share of the order discount
	Total            int64
	TaxCategory      tax.Category
	TaxRatePercent   int
	RefundedQuantity int64
}

// TaxLine is the tax of one rate in an order (qualified invoice: once per rate).
type TaxLine struct {
	Category    tax.Category
	RatePercent int
	Taxable     int64
	Tax         int64
}

// Payment is one tender of an order.
type Payment struct {
	ID        string
	Method    PaymentMethod
	Status    PaymentStatus
	Amount    int64
	Tendered  *int64 // cash handed over
	Change    *int64
	Reference string // CARD: the PaymentIntent id
	// DeclineCode is the processor's reason a CARD payment FAILED.
	DeclineCode string
	// ClientSecret is the PaymentIntent's client secret of a PENDING CARD
	// payment collected on a card reader; returned by checkout, never stored.
	ClientSecret string
	// Refunded is how much of Amount went back in refunds.
	Refunded int64
	// GiftCardNumber is the card a GIFT_CARD payment spent (whole: refunds
	// go back to it; shown masked).
	GiftCardNumber string
}

// OrderFilter narrows a listing of orders.
type OrderFilter struct {
	LocationIDs []string  // orders at these locations; empty: every location
	From, To    time.Time // zero: unbounded
	Status      OrderStatus
	CustomerID  string
}
