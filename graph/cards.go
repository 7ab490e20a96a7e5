package graph

import (
	"context"

	graphql "github.com/graph-gophers/graphql-go"
)

// Card payments: the tenant's flag, onboarding and reader connection tokens.
// The payments service checks the caller.

// CardPaymentsEnabled is whether the tenant's connected account may take charges.
func (r *tenantResolver) CardPaymentsEnabled() bool { return r.t.CardPaymentsEnabled }

type cardOnboardingPayload struct {
	URL        *string
	UserErrors []*userError
}

// StartCardPaymentsOnboarding returns the hosted onboarding link (OWNER).
func (r *Resolver) StartCardPaymentsOnboarding(ctx context.Context) (*cardOnboardingPayload, error) {
	u, err := r.svc.Payments.StartOnboarding(ctx)
	if err != nil {
		ue, err := userErrors(ctx, err)
		return &cardOnboardingPayload{UserErrors: ue}, err
	}
	return &cardOnboardingPayload{URL: &u, UserErrors: []*userError{}}, nil
}

type terminalConnectionTokenArgs struct {
	Input struct {
		LocationID *graphql.ID
		RegisterID *graphql.ID
	}
}

type terminalConnectionTokenPayload struct {
	Secret     *string
	UserErrors []*userError
}

// TerminalConnectionToken returns a Terminal connection token (Sell).
func (r *Resolver) TerminalConnectionToken(ctx context.Context, args terminalConnectionTokenArgs) (*terminalConnectionTokenPayload, error) {
	var loc, reg string
	if args.Input.LocationID != nil {
		loc = string(*args.Input.LocationID)
	}
	if args.Input.RegisterID != nil {
		reg = string(*args.Input.RegisterID)
	}
	secret, err := r.svc.Payments.ConnectionToken(ctx, loc, reg)
	if err != nil {
		ue, err := userErrors(ctx, err)
		return &terminalConnectionTokenPayload{UserErrors: ue}, err
	}
	return &terminalConnectionTokenPayload{Secret: &secret, UserErrors: []*userError{}}, nil
}
