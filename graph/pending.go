package graph

// The contract's operations that later capabilities implement. The served
// schema must be a superset of the contract today, so these types exist with
// their final shapes; the root fields answer NOT_IMPLEMENTED (after checking
// the credential) until their capability lands. Each area moves out of this
// file into its own when it is built. Each checks the permission the role
// table gives its operation first, so the answer to a caller without it is
// FORBIDDEN today as it will be then.

import (
	"context"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/renkei-pos/renkei/shared/identity"
)

// notImplemented is the answer of an operation that is not built yet.
func notImplemented(ctx context.Context, op string, perm identity.Permission) error {
	return notImplementedPage(ctx, op, perm, nil)
}

// notImplementedPage also validates a connection's page size, so the limit
// holds for every connection from the start.
func notImplementedPage(ctx context.Context, op string, perm identity.Permission, first *int32) error {
	if _, err := identity.Require(ctx, perm); err != nil {
		return top(ctx, err)
	}
	if _, err := pageArgs(first); err != nil {
		return top(ctx, err)
	}
	return &topError{message: op + " is not available on this server yet", code: "NOT_IMPLEMENTED"}
}

type pageArgsIn struct {
	First *int32
	After *string
}

type searchArgs struct {
	First *int32
	After *string
	Query *string
}

// Integrations lists integrations.
func (r *Resolver) Integrations(ctx context.Context) ([]*integrationResolver, error) {
	return nil, notImplemented(ctx, "integrations", identity.ReadIntegrations)
}

// IntegrationJobs lists an integration's jobs.
func (r *Resolver) IntegrationJobs(ctx context.Context, args struct {
	IntegrationID graphql.ID
	Status        *string
	First         *int32
	After         *string
}) (*integrationJobConnectionResolver, error) {
	return nil, notImplementedPage(ctx, "integrationJobs", identity.ReadIntegrations, args.First)
}

// Refund refunds.
func (r *Resolver) Refund(ctx context.Context, _ struct{ Input refundInput }) (*refundPayloadResolver, error) {
	return nil, notImplemented(ctx, "refund", identity.Refund)
}

// SyncOfflineSales uploads offline sales.
func (r *Resolver) SyncOfflineSales(ctx context.Context, _ struct{ Input syncOfflineSalesInput }) (*syncOfflineSalesPayloadResolver, error) {
	return nil, notImplemented(ctx, "syncOfflineSales", identity.Sell)
}

// CloseRegister closes a business day.
func (r *Resolver) CloseRegister(ctx context.Context, _ struct{ Input closeRegisterInput }) (*closeRegisterPayloadResolver, error) {
	return nil, notImplemented(ctx, "closeRegister", identity.CloseRegister)
}

// ConnectIntegration connects an integration.
func (r *Resolver) ConnectIntegration(ctx context.Context, _ struct{ Input connectIntegrationInput }) (*integrationPayloadResolver, error) {
	return nil, notImplemented(ctx, "connectIntegration", identity.ManageIntegration)
}

// DisconnectIntegration disconnects an integration.
func (r *Resolver) DisconnectIntegration(ctx context.Context, _ struct{ Input disconnectIntegrationInput }) (*integrationPayloadResolver, error) {
	return nil, notImplemented(ctx, "disconnectIntegration", identity.ManageIntegration)
}

// SyncIntegration resyncs an integration.
func (r *Resolver) SyncIntegration(ctx context.Context, _ struct{ Input syncIntegrationInput }) (*integrationPayloadResolver, error) {
	return nil, notImplemented(ctx, "syncIntegration", identity.ManageIntegration)
}

// RetryIntegrationJob retries a failed job.
func (r *Resolver) RetryIntegrationJob(ctx context.Context, _ struct{ Input retryIntegrationJobInput }) (*integrationJobPayloadResolver, error) {
	return nil, notImplemented(ctx, "retryIntegrationJob", identity.ManageIntegration)
}

type refundResolver struct {
	ID        graphql.ID
	Amount    *money
	Reason    *string
	CreatedAt graphql.Time
}

type refundInput struct {
	IdempotencyKey string
	OrderID        graphql.ID
	Lines          []refundLineInput
	Restock        bool
	Reason         *string
}

type refundLineInput struct {
	LineID   graphql.ID
	Quantity Long
}

type refundPayloadResolver struct {
	Order      *orderResolver
	Refund     *refundResolver
	UserErrors []*userError
}

type syncOfflineSalesInput struct {
	Sales []offlineSaleInput
}

type offlineSaleInput struct {
	ClientSaleID  string
	OccurredAt    graphql.Time
	LocationID    graphql.ID
	RegisterID    *graphql.ID
	Lines         []checkoutLineInput
	OrderDiscount *discountInput
	CustomerID    *graphql.ID
	Payments      []paymentInput
}

type offlineSaleResultResolver struct {
	ClientSaleID string
	Status       string
	Order        *orderResolver
	UserErrors   []*userError
}

type syncOfflineSalesPayloadResolver struct {
	Results    []*offlineSaleResultResolver
	UserErrors []*userError
}

type closeRegisterInput struct {
	IdempotencyKey string
	LocationID     graphql.ID
	RegisterID     *graphql.ID
	BusinessDate   string
	CountedCash    moneyInput
}

type registerCloseResolver struct {
	ID            graphql.ID
	Location      *locationResolver
	BusinessDate  string
	OrderCount    int32
	NetSales      *money
	TaxBreakdown  []*taxLineResolver
	PaymentTotals []*paymentTotalResolver
	ExpectedCash  *money
	CountedCash   *money
	Difference    *money
	ClosedAt      graphql.Time
}

type paymentTotalResolver struct {
	Method string
	Amount *money
}

type closeRegisterPayloadResolver struct {
	RegisterClose *registerCloseResolver
	UserErrors    []*userError
}

type integrationResolver struct {
	ID            graphql.ID
	Provider      string
	Name          string
	Status        string
	Settings      JSON
	LastSuccessAt *graphql.Time
	LastError     *string
	PendingJobs   int32
	FailedJobs    int32
	LagSeconds    *float64
	CreatedAt     graphql.Time
}

type integrationJobResolver struct {
	ID        graphql.ID
	Kind      string
	Status    string
	Attempts  int32
	LastError *string
	CreatedAt graphql.Time
	UpdatedAt graphql.Time
}

type integrationJobConnectionResolver struct {
	Nodes    []*integrationJobResolver
	PageInfo *pageInfo
}

type connectIntegrationInput struct {
	Provider string
	Name     string
	Settings JSON
}

type disconnectIntegrationInput struct {
	ID graphql.ID
}

type syncIntegrationInput struct {
	ID graphql.ID
}

type retryIntegrationJobInput struct {
	ID graphql.ID
}

type integrationPayloadResolver struct {
	Integration   *integrationResolver
	SigningSecret *string
	UserErrors    []*userError
}

type integrationJobPayloadResolver struct {
	Job        *integrationJobResolver
	UserErrors []*userError
}
