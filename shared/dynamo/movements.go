package dynamo

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/reports"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tax"
)

// MovementFromEvent returns the sales movement an event carries: an
// order.completed's sale, or an order.refunded's refund (counted when it
// was made, as the contract's refunds are). ok is false for events that
// move no sales figures.
func MovementFromEvent(e Event) (m reports.Movement, ok bool, err error) {
	switch e.Type {
	case EventOrderCompleted:
		var d orderCompletedData
		if err := json.Unmarshal(e.Data, &d); err != nil {
			return reports.Movement{}, false, fmt.Errorf("decode %s %s: %w", e.Type, e.ID, err)
		}
		return saleMovement(e, d), true, nil
	case eventOrderRefunded:
		var d refundMovementData
		if err := json.Unmarshal(e.Data, &d); err != nil {
			return reports.Movement{}, false, fmt.Errorf("decode %s %s: %w", e.Type, e.ID, err)
		}
		return refundMovement(e, d), true, nil
	}
	return reports.Movement{}, false, nil
}

func saleMovement(e Event, d orderCompletedData) reports.Movement {
	m := reports.Movement{EventID: e.ID, TenantID: e.TenantID, LocationID: d.LocationID, StaffKey: staffKey(d.StaffID, d.APIKeyID),
		RegisterID: d.RegisterID, At: d.OccurredAt}
	if m.At.IsZero() {
		m.At = e.CreatedAt
	}
	for _, l := range d.Lines {
		m.Lines = append(m.Lines, reports.MovementLine{SKU: l.SKU, Quantity: l.Quantity, Gross: l.Total + l.Discount, Discount: l.Discount,
			Total: l.Total, TaxCategory: tax.Category(l.TaxCategory)})
	}
	for _, t := range d.Taxes {
		m.Taxes = append(m.Taxes, reports.RateTax{Category: tax.Category(t.Category), Tax: t.Tax})
	}
	for _, p := range d.Payments {
		m.Payments = append(m.Payments, reports.MethodAmount{Method: p.Method, Amount: p.Amount})
	}
	m.GiftCardLoads = d.GiftCardLoadTotal
	return m
}

// staffKey is a STAFF row's key: the user who sold, else the API key.
func staffKey(staffID, apiKeyID string) string {
	if staffID != "" {
		return staffID
	}
	return apiKeyID
}

// eventOrderRefunded is the refund's outbox event (refunds.go).
const eventOrderRefunded = "order.refunded"

// refundMovementData is what reports read of an order.refunded event (its
// documented shape, docs/data-model.md): the lines' amounts (the line
// totals' share, in the order's price basis), the tax per rate, the
// tenders, who refunded, from which register's drawer, and when.
type refundMovementData struct {
	LocationID string `json:"locationId"`
	RegisterID string `json:"registerId"` // the drawer the money went out of
	StaffID    string `json:"staffId"`
	APIKeyID   string `json:"apiKeyId"`
	Lines      []struct {
		SKU         string `json:"sku"`
		Quantity    int64  `json:"quantity"`
		Amount      int64  `json:"amount"`
		TaxCategory string `json:"taxCategory"`
	} `json:"lines"`
	Taxes []struct {
		TaxCategory string `json:"taxCategory"`
		Tax         int64  `json:"tax"`
	} `json:"taxes"`
	Tenders []struct {
		Method string `json:"method"`
		Amount int64  `json:"amount"`
	} `json:"tenders"`
	OccurredAt time.Time `json:"occurredAt"`
}

func refundMovement(e Event, d refundMovementData) reports.Movement {
	m := reports.Movement{EventID: e.ID, TenantID: e.TenantID, LocationID: d.LocationID, StaffKey: staffKey(d.StaffID, d.APIKeyID),
		RegisterID: d.RegisterID, At: d.OccurredAt, Refund: true}
	if m.At.IsZero() {
		m.At = e.CreatedAt
	}
	for _, l := range d.Lines {
		m.Lines = append(m.Lines, reports.MovementLine{SKU: l.SKU, Quantity: l.Quantity, Gross: l.Amount, Total: l.Amount, TaxCategory: tax.Category(l.TaxCategory)})
	}
	for _, t := range d.Taxes {
		m.Taxes = append(m.Taxes, reports.RateTax{Category: tax.Category(t.TaxCategory), Tax: t.Tax})
	}
	for _, t := range d.Tenders {
		m.Payments = append(m.Payments, reports.MethodAmount{Method: t.Method, Amount: t.Amount})
	}
	return m
}

// OrderCompletedEvent returns the order.completed event checkout writes to
// the outbox for o (same data, a fresh event id): benchmarks generate a
// history of sales through the aggregator from it.
func OrderCompletedEvent(tenantID string, o sales.Order) (Event, error) {
	data, err := json.Marshal(newOrderCompletedData(o))
	if err != nil {
		return Event{}, fmt.Errorf("encode order.completed: %w", err)
	}
	return Event{ID: ids.NewAt("evt", o.CreatedAt), Type: EventOrderCompleted, TenantID: tenantID, CreatedAt: o.CreatedAt, Data: data}, nil
}
