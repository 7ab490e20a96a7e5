package graph

import (
	"context"
	"time"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/renkei-pos/renkei/shared/giftcards"
	"github.com/renkei-pos/renkei/shared/identity"
)

// Gift cards: look-up by number (rate-limited by the service), the ledger,
// the liability, and the managers' changes. Loads, redemptions and refunds
// onto a card happen in checkout and refunds. Every read goes through the
// gift card service, activities too.

type giftCardResolver struct {
	c   giftcards.Card
	svc *giftcards.Service
}

func (r *giftCardResolver) Number() string { return r.c.Number }
func (r *giftCardResolver) State() string  { return string(r.c.State) }
func (r *giftCardResolver) Balance() *money {
	return &money{Amount: Long(r.c.Balance), Currency: r.c.Currency}
}
func (r *giftCardResolver) Flagged() bool { return r.c.Flagged() }
func (r *giftCardResolver) CustomerID() *graphql.ID {
	if r.c.CustomerID == "" {
		return nil
	}
	id := graphql.ID(r.c.CustomerID)
	return &id
}
func (r *giftCardResolver) IssuedAt() graphql.Time   { return graphql.Time{Time: r.c.IssuedAt} }
func (r *giftCardResolver) ExpiresAt() *graphql.Time { return optTime(r.c.ExpiresAt) }
func (r *giftCardResolver) Expired() bool            { return r.c.Expired(time.Now()) }

type giftCardActivitiesArgs struct {
	First *int32
	After *string
}

// Activities reads a page of the card's ledger through the service.
func (r *giftCardResolver) Activities(ctx context.Context, args giftCardActivitiesArgs) (*giftCardActivityConnection, error) {
	first := 20
	if args.First != nil {
		first = int(*args.First)
	}
	after := ""
	if args.After != nil {
		after = *args.After
	}
	acts, next, err := r.svc.Activities(ctx, r.c.Number, first, after)
	if err != nil {
		return nil, top(ctx, err)
	}
	out := &giftCardActivityConnection{Nodes: make([]*giftCardActivityResolver, len(acts)), PageInfo: pageInfo{HasNextPage: next != ""}}
	if next != "" {
		out.PageInfo.EndCursor = &next
	}
	for i, a := range acts {
		out.Nodes[i] = &giftCardActivityResolver{a: a, currency: r.c.Currency}
	}
	return out, nil
}

type giftCardActivityConnection struct {
	Nodes    []*giftCardActivityResolver
	PageInfo pageInfo
}

type giftCardActivityResolver struct {
	a        giftcards.Activity
	currency string
}

func (r *giftCardActivityResolver) ID() graphql.ID { return graphql.ID(r.a.ID) }
func (r *giftCardActivityResolver) Kind() string   { return string(r.a.Kind) }
func (r *giftCardActivityResolver) Amount() *money {
	return &money{Amount: Long(r.a.Amount), Currency: r.currency}
}
func (r *giftCardActivityResolver) BalanceAfter() *money {
	if !r.a.HasBalanceAfter {
		return nil
	}
	return &money{Amount: Long(r.a.BalanceAfter), Currency: r.currency}
}

// StaffID and APIKeyID split who: a user id or an API key id.
func (r *giftCardActivityResolver) StaffID() *graphql.ID {
	if len(r.a.By) < 4 || r.a.By[:4] != "usr_" {
		return nil
	}
	return optID(r.a.By)
}
func (r *giftCardActivityResolver) APIKeyID() *graphql.ID {
	if len(r.a.By) < 4 || r.a.By[:4] != "key_" {
		return nil
	}
	return optID(r.a.By)
}
func (r *giftCardActivityResolver) LocationID() *graphql.ID { return optID(r.a.LocationID) }
func (r *giftCardActivityResolver) RegisterID() *graphql.ID { return optID(r.a.RegisterID) }
func (r *giftCardActivityResolver) OccurredAt() graphql.Time {
	return graphql.Time{Time: r.a.At}
}
func (r *giftCardActivityResolver) OrderID() *graphql.ID  { return optID(r.a.OrderID) }
func (r *giftCardActivityResolver) RefundID() *graphql.ID { return optID(r.a.RefundID) }
func (r *giftCardActivityResolver) Reason() *string       { return strPtr(r.a.Reason) }

func optID(s string) *graphql.ID {
	if s == "" {
		return nil
	}
	id := graphql.ID(s)
	return &id
}

type giftCardLiabilityResolver struct{ l giftcards.Liability }

func (r *giftCardLiabilityResolver) AsOf() string { return r.l.AsOf.Format(time.DateOnly) }
func (r *giftCardLiabilityResolver) UnusedBalance() *money {
	return &money{Amount: Long(r.l.UnusedBalance), Currency: r.l.Currency}
}
func (r *giftCardLiabilityResolver) Regulated() bool         { return r.l.Regulated }
func (r *giftCardLiabilityResolver) ThresholdExceeded() bool { return r.l.ThresholdExceeded }
func (r *giftCardLiabilityResolver) DepositRequired() *money {
	return &money{Amount: Long(r.l.DepositRequired), Currency: r.l.Currency}
}
func (r *giftCardLiabilityResolver) ReferenceDate() bool { return r.l.ReferenceDate }
func (r *giftCardLiabilityResolver) PreviousReferenceDate() string {
	return r.l.PreviousReferenceDate.Format(time.DateOnly)
}
func (r *giftCardLiabilityResolver) NextReferenceDate() string {
	return r.l.NextReferenceDate.Format(time.DateOnly)
}

// giftCardsService is the service, or NOT_IMPLEMENTED (after the caller's
// permission) on a server built without it.
func (r *Resolver) giftCardsService(ctx context.Context, op string, perm identity.Permission) (*giftcards.Service, error) {
	if r.svc.GiftCards == nil {
		return nil, notImplemented(ctx, op, perm)
	}
	return r.svc.GiftCards, nil
}

// GiftCard looks one card up by number (rate-limited per caller).
func (r *Resolver) GiftCard(ctx context.Context, args struct{ Number string }) (*giftCardResolver, error) {
	svc, err := r.giftCardsService(ctx, "giftCard", identity.ReadGiftCards)
	if err != nil {
		return nil, top(ctx, err)
	}
	c, err := svc.Lookup(ctx, args.Number)
	if err != nil {
		return nil, top(ctx, err)
	}
	return &giftCardResolver{c: c, svc: svc}, nil
}

// GiftCardLiability is the unused balance as of the end of a date.
func (r *Resolver) GiftCardLiability(ctx context.Context, args struct{ AsOf string }) (*giftCardLiabilityResolver, error) {
	svc, err := r.giftCardsService(ctx, "giftCardLiability", identity.ReadReports)
	if err != nil {
		return nil, top(ctx, err)
	}
	l, err := svc.Liability(ctx, args.AsOf)
	if err != nil {
		return nil, top(ctx, err)
	}
	return &giftCardLiabilityResolver{l}, nil
}

type giftCardPayload struct {
	GiftCard   *giftCardResolver
	UserErrors []*userError
}

func (r *Resolver) giftCardPayload(ctx context.Context, svc *giftcards.Service, c giftcards.Card, err error) (*giftCardPayload, error) {
	if err != nil {
		ue, err := userErrors(ctx, err)
		return &giftCardPayload{UserErrors: ue}, err
	}
	return &giftCardPayload{GiftCard: &giftCardResolver{c: c, svc: svc}, UserErrors: []*userError{}}, nil
}

// IssueGiftCard issues an e-gift card (PENDING until loaded in a checkout).
func (r *Resolver) IssueGiftCard(ctx context.Context, args struct {
	Input struct{ CustomerID *graphql.ID }
}) (*giftCardPayload, error) {
	svc, err := r.giftCardsService(ctx, "issueGiftCard", identity.Sell)
	if err != nil {
		return nil, top(ctx, err)
	}
	c, err := svc.Issue(ctx, giftcards.IssueInput{CustomerID: idOrEmpty(args.Input.CustomerID)})
	return r.giftCardPayload(ctx, svc, c, err)
}

type adjustGiftCardArgs struct {
	Input struct {
		Number     string
		Amount     moneyInput
		Reason     string
		LocationID *graphql.ID
	}
}

// AdjustGiftCard corrects a card's balance (MANAGER, OWNER).
func (r *Resolver) AdjustGiftCard(ctx context.Context, args adjustGiftCardArgs) (*giftCardPayload, error) {
	svc, err := r.giftCardsService(ctx, "adjustGiftCard", identity.ManageGiftCards)
	if err != nil {
		return nil, top(ctx, err)
	}
	in := args.Input
	c, err := svc.Adjust(ctx, giftcards.ChangeInput{Number: in.Number, Amount: int64(in.Amount.Amount), Currency: in.Amount.Currency,
		Reason: in.Reason, LocationID: idOrEmpty(in.LocationID)})
	return r.giftCardPayload(ctx, svc, c, err)
}

type deactivateGiftCardArgs struct {
	Input struct {
		Number     string
		Reason     string
		LocationID *graphql.ID
	}
}

// DeactivateGiftCard stops a card for good (MANAGER, OWNER).
func (r *Resolver) DeactivateGiftCard(ctx context.Context, args deactivateGiftCardArgs) (*giftCardPayload, error) {
	svc, err := r.giftCardsService(ctx, "deactivateGiftCard", identity.ManageGiftCards)
	if err != nil {
		return nil, top(ctx, err)
	}
	in := args.Input
	c, err := svc.Deactivate(ctx, giftcards.ChangeInput{Number: in.Number, Reason: in.Reason, LocationID: idOrEmpty(in.LocationID)})
	return r.giftCardPayload(ctx, svc, c, err)
}

type cashOutGiftCardArgs struct {
	Input struct {
		Number         string
		Amount         moneyInput
		LegalException string
		LocationID     *graphql.ID
	}
}

// CashOutGiftCard pays part of a balance out as the law's exception (MANAGER, OWNER).
func (r *Resolver) CashOutGiftCard(ctx context.Context, args cashOutGiftCardArgs) (*giftCardPayload, error) {
	svc, err := r.giftCardsService(ctx, "cashOutGiftCard", identity.ManageGiftCards)
	if err != nil {
		return nil, top(ctx, err)
	}
	in := args.Input
	c, err := svc.CashOut(ctx, giftcards.ChangeInput{Number: in.Number, Amount: int64(in.Amount.Amount), Currency: in.Amount.Currency,
		Reason: in.LegalException, LocationID: idOrEmpty(in.LocationID)})
	return r.giftCardPayload(ctx, svc, c, err)
}
