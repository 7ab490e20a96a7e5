// Package graph is renkei's GraphQL gateway: the schema (schema/), one
// resolver file per area, and the HTTP handler with the request limits,
// authentication and error conventions of the client contract. Resolvers
// call a service and translate errors; nothing more. The services check the
// caller's permission, for reads (nested fields too, through the loaders)
// as for writes.
package graph

import (
	graphql "github.com/graph-gophers/graphql-go"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/catalog"
	"github.com/renkei-pos/renkei/shared/giftcards"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/integrations"
	"github.com/renkei-pos/renkei/shared/inventory"
	"github.com/renkei-pos/renkei/shared/payments"
	"github.com/renkei-pos/renkei/shared/reports"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tenant"
	"github.com/renkei-pos/renkei/shared/timecards"
)

// Services are the application services the resolvers call.
type Services struct {
	Identity  *identity.Service
	Tenants   *tenant.Service
	Catalog   *catalog.Service
	Inventory *inventory.Service
	Sales     *sales.Service
	Payments  *payments.Service // card onboarding and reader tokens (cards.go)
	Reports   *reports.Service
	// Integrations is the integration hub (integrations.go); nil answers
	// its operations NOT_IMPLEMENTED.
	Integrations *integrations.Service
	// Timecards records clock events and reads timecards (timecards.go);
	// nil answers its operations NOT_IMPLEMENTED.
	Timecards *timecards.Service
	// GiftCards reads gift cards and makes the managers' changes
	// (giftcards.go); nil answers its operations NOT_IMPLEMENTED.
	GiftCards *giftcards.Service
}

// Resolver is the root of Query and Mutation; each area adds its fields in
// its own file.
type Resolver struct {
	svc Services
}

// pageInfo is the contract's PageInfo.
type pageInfo struct {
	HasNextPage bool
	EndCursor   *string
}

// money is the contract's Money.
type money struct {
	Amount   Long
	Currency string
}

// moneyInput is the contract's MoneyInput.
type moneyInput struct {
	Amount   Long
	Currency string
}

// pageArgs validates connection arguments: first defaults to 50, at most 250.
func pageArgs(first *int32) (int, error) {
	if first == nil {
		return defaultPageSize, nil
	}
	if *first < 1 || *first > maxPageSize {
		return 0, apperr.Newf(apperr.Invalid, []string{"first"}, "first must be between 1 and %d", maxPageSize)
	}
	return int(*first), nil
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func timePtr(t graphql.Time) *graphql.Time { return &t }
