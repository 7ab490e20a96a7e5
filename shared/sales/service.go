package sales

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
)

// Service is the selling use cases.
type Service struct {
	Store Store
	Now   func() time.Time
}

// Checkout sells: validate, read once, price server-side, write once.
func (s *Service) Checkout(ctx context.Context, in CheckoutInput) (Order, error) {
	p, err := identity.Require(ctx, identity.Sell)
	if err != nil {
		return Order{}, err
	}
	if err := in.Validate(); err != nil {
		return Order{}, err
	}
	if !p.CanUseLocation(in.LocationID) {
		return Order{}, apperr.New(apperr.Forbidden, "you may not sell at this location", "input", "locationId")
	}
	idem := in.Request()
	loaded, err := s.Store.LoadSale(ctx, SaleQuery{LocationID: in.LocationID, CustomerID: in.CustomerID, VariantIDs: in.VariantIDs(), Idempotency: idem})
	if err != nil {
		return Order{}, err
	}
	if loaded.ReplayOrderID != "" {
		return s.Store.GetOrder(ctx, loaded.ReplayOrderID)
	}
	var errs apperr.List
	if !loaded.LocationFound {
		errs.Add(apperr.NotFound, "location not found", "input", "locationId")
	}
	if in.CustomerID != "" && !loaded.CustomerFound {
		errs.Add(apperr.NotFound, "customer not found", "input", "customerId")
	}
	if err := errs.Err(); err != nil {
		return Order{}, err
	}
	now := s.Now().UTC()
	sale, err := Price(in, loaded.Snapshot, ids.NewAt("ord", now), now)
	if err != nil {
		return Order{}, err
	}
	o := &sale.Order
	o.StaffID, o.APIKeyID = p.UserID, p.APIKeyID
	if p.IsAPIKey() {
		o.Source = "API"
	}
	return s.save(ctx, sale, loaded, idem)
}

// OrderNumber formats a human-readable order number: the location's number
// and the sequence within the location, e.g. 001-000042.
func OrderNumber(location int, seq int64) string {
	return fmt.Sprintf("%03d-%06d", location, seq)
}

func outOfStock(short []StockDecrement) error {
	skus := make([]string, len(short))
	var errs apperr.List
	for i, d := range short {
		skus[i] = d.SKU
		errs.Add(apperr.OutOfStock, fmt.Sprintf("not enough stock of %s for %d (on hand: %d)", d.SKU, d.Quantity, d.Read.OnHand), "input", "lines", fmt.Sprint(d.LineIndex), "quantity")
	}
	errs[0].Message = "out of stock: " + strings.Join(skus, ", ") + " — " + errs[0].Message
	return errs
}
