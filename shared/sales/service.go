package sales

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/giftcards"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/metrics"
	"github.com/renkei-pos/renkei/shared/payments"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// Service is the selling use cases.
type Service struct {
	Store Store
	Now   func() time.Time

	// Offline writes offline syncs (offline.go), Closes daily closes (close.go).
	Offline OfflineStore
	Closes  CloseStore

	// Payments is the card processor and Pending the card payment state
	// machine's storage (card.go, pending.go); without them CARD payments
	// are refused.
	Payments payments.Gateway
	Pending  PendingStore
	// PendingTTL is how long a card sale may wait for its card
	// (DefaultPendingTTL when 0).
	PendingTTL time.Duration
	Logger     *slog.Logger
	// Metrics receives checkout metrics (metrics.go); nil: metrics.Default.
	Metrics *metrics.Emitter
	// Refunds stores refunds (refund_service.go); card refunds go through
	// Payments.
	Refunds RefundStore
	// GiftCardLookups counts gift card numbers that named no card against
	// the caller's look-up limit (nil: not counted).
	GiftCardLookups GiftCardLookups
}

// checkout sells: validate, read once, price server-side, write once
// (Checkout, metrics.go, measures it).
func (s *Service) checkout(ctx context.Context, in CheckoutInput) (Order, error) {
	p, err := identity.Require(ctx, identity.Sell)
	if err != nil {
		return Order{}, err
	}
	in.normalizeGiftCards()
	if err := in.Validate(); err != nil {
		return Order{}, err
	}
	if !p.CanUseLocation(in.LocationID) {
		return Order{}, apperr.New(apperr.Forbidden, "you may not sell at this location", "input", "locationId")
	}
	idem := in.Request()
	registerID, named := in.RegisterID, in.RegisterID != ""
	if !named {
		registerID = p.RegisterID
		if registerID == "" {
			registerID = tenant.RegisterID(in.LocationID, 1)
		}
	}
	q := SaleQuery{LocationID: in.LocationID, CustomerID: in.CustomerID, VariantIDs: in.VariantIDs(), Idempotency: idem}
	if in.namesGiftCard() {
		// A number that names no card counts against the caller's look-up
		// limit, as giftCard(number:) does, so checkout cannot enumerate
		// card numbers; the count is read in the sale's one BatchGetItem.
		q.GiftCardCaller, q.GiftCardWindow = giftcards.CallerKey(p), s.Now().UTC().Truncate(giftcards.DefaultLookupPolicy.Window)
	}
	if _, _, ok := tenant.ParseRegisterID(registerID); ok {
		q.RegisterID = registerID
	}
	loaded, err := s.Store.LoadSale(ctx, q)
	if err != nil {
		return Order{}, err
	}
	if loaded.ReplayOrderID != "" {
		o, err := s.Store.GetOrder(ctx, loaded.ReplayOrderID)
		if err != nil || cardIndex(in.Payments) < 0 {
			return o, err
		}
		return s.resumeCard(ctx, in, loaded.Snapshot, o)
	}
	var errs apperr.List
	if !loaded.LocationFound {
		errs.Add(apperr.NotFound, "location not found", "input", "locationId")
	}
	// Without a location, the register it would default to says nothing more.
	if err := checkRegister(loaded.Register, in.LocationID); err != nil && (loaded.LocationFound || named) {
		errs = append(errs, err)
	}
	if in.CustomerID != "" && !loaded.CustomerFound {
		errs.Add(apperr.NotFound, "customer not found", "input", "customerId")
	}
	if err := errs.Err(); err != nil {
		return Order{}, err
	}
	if q.GiftCardCaller != "" && loaded.GiftCardLookups >= giftcards.DefaultLookupPolicy.Max {
		return Order{}, apperr.Newf(apperr.RateLimited, []string{"input", "payments"},
			"too many gift card numbers that named no card: at most %d a %s; try again later", giftcards.DefaultLookupPolicy.Max, giftcards.DefaultLookupPolicy.Window)
	}
	now := s.Now().UTC()
	sale, err := Price(in, loaded.Snapshot, ids.NewAt("ord", now), now)
	if err != nil {
		return Order{}, err
	}
	o := &sale.Order
	o.RegisterID, o.StaffID, o.APIKeyID = loaded.Register.Register.ID, p.UserID, p.APIKeyID
	if p.IsAPIKey() {
		o.Source = "API"
	}
	if i := cardIndex(in.Payments); i >= 0 {
		return s.checkoutCard(ctx, in, sale, loaded, idem, i)
	}
	saved, err := s.save(ctx, sale, loaded, idem)
	if q.GiftCardCaller != "" && s.GiftCardLookups != nil && giftCardNotFound(err) {
		pol := giftcards.DefaultLookupPolicy
		if cerr := s.GiftCardLookups.CountLookup(ctx, q.GiftCardCaller, now, pol.Window, pol.Max); cerr != nil && !apperr.Is(cerr, apperr.RateLimited) {
			s.logger().Warn("gift card look-up not counted", slog.String("error", cerr.Error()))
		}
	}
	return saved, err
}

// GiftCardLookups counts look-ups of gift cards by number per caller
// (giftcards.Store's CountLookup): checkout counts a number that named no
// card.
type GiftCardLookups interface {
	CountLookup(ctx context.Context, caller string, at time.Time, window time.Duration, max int) error
}

// giftCardNotFound reports a sale refused because a gift card number named
// no card (the probe checkout counts).
func giftCardNotFound(err error) bool {
	list, ok := apperr.Expected(err)
	if !ok {
		return false
	}
	for _, e := range list {
		if e.Code == apperr.NotFound && len(e.Field) >= 2 && (e.Field[1] == "giftCardLoads" || slices.Contains(e.Field, "giftCardNumber")) {
			return true
		}
	}
	return false
}

// namesGiftCard reports whether the sale loads or spends a gift card.
func (in CheckoutInput) namesGiftCard() bool {
	if len(in.GiftCardLoads) > 0 {
		return true
	}
	return slices.ContainsFunc(in.Payments, func(p PaymentInput) bool { return p.Method == GiftCard })
}

// checkRegister decides whether a sale at locationID may be numbered at
// reg (nil: no such register in the tenant): a register of another tenant,
// or one that does not exist, is NOT_FOUND; one of another location of the
// tenant, the location's integration register (its numbers are for orders
// from integrations), or a deactivated one, is INVALID.
func checkRegister(reg *RegisterState, locationID string) *apperr.Error {
	switch {
	case reg == nil:
		return apperr.New(apperr.NotFound, "register not found", "input", "registerId")
	case reg.Register.LocationID != locationID:
		return apperr.New(apperr.Invalid, "the register belongs to another location", "input", "registerId")
	case reg.Register.Kind == tenant.RegisterIntegration:
		return apperr.New(apperr.Invalid, "the integration register takes only orders from integrations", "input", "registerId")
	case !reg.Register.Active:
		return apperr.New(apperr.Invalid, "the register is deactivated", "input", "registerId")
	}
	return nil
}

// OrderNumber formats a human-readable order number: the location's
// number, the register's number within it and the register's sequence,
// e.g. 001-02-000042 (LLL-RR-NNNNNN; the sequence takes more digits past
// 999,999).
func OrderNumber(location, register int, seq int64) string {
	return fmt.Sprintf("%03d-%02d-%06d", location, register, seq)
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
