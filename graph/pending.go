package graph

// The contract's operations that later capabilities implement. The served
// schema must be a superset of the contract today, so these types exist with
// their final shapes; the root fields answer NOT_IMPLEMENTED (after checking
// the credential) until their capability lands. Each area moves out of this
// file into its own when it is built.

import (
	"context"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/renkei-pos/renkei/shared/identity"
)

// notImplemented is the answer of an operation that is not built yet.
func notImplemented(ctx context.Context, op string) error {
	return notImplementedPage(ctx, op, nil)
}

// notImplementedPage also validates a connection's page size, so the limit
// holds for every connection from the start.
func notImplementedPage(ctx context.Context, op string, first *int32) error {
	if _, err := identity.PrincipalFrom(ctx); err != nil {
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

// Order reads one order.
func (r *Resolver) Order(ctx context.Context, _ struct{ ID graphql.ID }) (*orderResolver, error) {
	return nil, notImplemented(ctx, "order")
}

// Orders lists orders.
func (r *Resolver) Orders(ctx context.Context, args struct {
	Filter *orderFilterInput
	First  *int32
	After  *string
}) (*orderConnectionResolver, error) {
	return nil, notImplementedPage(ctx, "orders", args.First)
}

// Customers lists customers.
func (r *Resolver) Customers(ctx context.Context, args searchArgs) (*customerConnectionResolver, error) {
	return nil, notImplementedPage(ctx, "customers", args.First)
}

// SalesSummary reports sales.
func (r *Resolver) SalesSummary(ctx context.Context, _ struct{ Input salesSummaryInput }) ([]*salesRowResolver, error) {
	return nil, notImplemented(ctx, "salesSummary")
}

// Integrations lists integrations.
func (r *Resolver) Integrations(ctx context.Context) ([]*integrationResolver, error) {
	return nil, notImplemented(ctx, "integrations")
}

// IntegrationJobs lists an integration's jobs.
func (r *Resolver) IntegrationJobs(ctx context.Context, args struct {
	IntegrationID graphql.ID
	Status        *string
	First         *int32
	After         *string
}) (*integrationJobConnectionResolver, error) {
	return nil, notImplementedPage(ctx, "integrationJobs", args.First)
}

// CreateCustomer adds a customer.
func (r *Resolver) CreateCustomer(ctx context.Context, _ struct{ Input createCustomerInput }) (*customerPayloadResolver, error) {
	return nil, notImplemented(ctx, "createCustomer")
}

// Checkout sells.
func (r *Resolver) Checkout(ctx context.Context, _ struct{ Input checkoutInput }) (*checkoutPayloadResolver, error) {
	return nil, notImplemented(ctx, "checkout")
}

// Refund refunds.
func (r *Resolver) Refund(ctx context.Context, _ struct{ Input refundInput }) (*refundPayloadResolver, error) {
	return nil, notImplemented(ctx, "refund")
}

// SyncOfflineSales uploads offline sales.
func (r *Resolver) SyncOfflineSales(ctx context.Context, _ struct{ Input syncOfflineSalesInput }) (*syncOfflineSalesPayloadResolver, error) {
	return nil, notImplemented(ctx, "syncOfflineSales")
}

// CloseRegister closes a business day.
func (r *Resolver) CloseRegister(ctx context.Context, _ struct{ Input closeRegisterInput }) (*closeRegisterPayloadResolver, error) {
	return nil, notImplemented(ctx, "closeRegister")
}

// ConnectIntegration connects an integration.
func (r *Resolver) ConnectIntegration(ctx context.Context, _ struct{ Input connectIntegrationInput }) (*integrationPayloadResolver, error) {
	return nil, notImplemented(ctx, "connectIntegration")
}

// DisconnectIntegration disconnects an integration.
func (r *Resolver) DisconnectIntegration(ctx context.Context, _ struct{ Input disconnectIntegrationInput }) (*integrationPayloadResolver, error) {
	return nil, notImplemented(ctx, "disconnectIntegration")
}

// SyncIntegration resyncs an integration.
func (r *Resolver) SyncIntegration(ctx context.Context, _ struct{ Input syncIntegrationInput }) (*integrationPayloadResolver, error) {
	return nil, notImplemented(ctx, "syncIntegration")
}

// RetryIntegrationJob retries a failed job.
func (r *Resolver) RetryIntegrationJob(ctx context.Context, _ struct{ Input retryIntegrationJobInput }) (*integrationJobPayloadResolver, error) {
	return nil, notImplemented(ctx, "retryIntegrationJob")
}

// Orders of a customer.
func (c *customerResolver) Orders(ctx context.Context, args pageArgsIn) (*orderConnectionResolver, error) {
	return nil, notImplementedPage(ctx, "Customer.orders", args.First)
}

type customerResolver struct {
	ID    graphql.ID
	Name  string
	Email *string
	Phone *string
	// orders has arguments; see its method
}

type customerConnectionResolver struct {
	Nodes    []*customerResolver
	PageInfo *pageInfo
}

type createCustomerInput struct {
	Name  string
	Email *string
	Phone *string
}

type customerPayloadResolver struct {
	Customer   *customerResolver
	UserErrors []*userError
}

type orderResolver struct {
	ID            graphql.ID
	Number        string
	Location      *locationResolver
	Status        string
	Source        string
	Customer      *customerResolver
	Staff         *userResolver
	Lines         []*orderLineResolver
	Subtotal      *money
	DiscountTotal *money
	TaxTotal      *money
	Total         *money
	TaxBreakdown  []*taxLineResolver
	Payments      []*paymentResolver
	Refunds       []*refundResolver
	Receipt       *receiptResolver
	CreatedAt     graphql.Time
}

type orderLineResolver struct {
	ID               graphql.ID
	Variant          *variantResolver
	Name             string
	Sku              string
	Quantity         Long
	UnitPrice        *money
	Discount         *money
	Total            *money
	TaxCategory      string
	TaxRatePercent   int32
	RefundedQuantity Long
}

type taxLineResolver struct {
	TaxCategory   string
	RatePercent   int32
	TaxableAmount *money
	Tax           *money
}

type paymentResolver struct {
	ID           graphql.ID
	Method       string
	Status       string
	Amount       *money
	Tendered     *money
	Change       *money
	Reference    *string
	ClientSecret *string
}

type refundResolver struct {
	ID        graphql.ID
	Amount    *money
	Reason    *string
	CreatedAt graphql.Time
}

type receiptResolver struct {
	IssuerName                string
	InvoiceRegistrationNumber *string
	IssuedAt                  graphql.Time
	Text                      string
}

type orderConnectionResolver struct {
	Nodes    []*orderResolver
	PageInfo *pageInfo
}

type orderFilterInput struct {
	LocationID *graphql.ID
	From       *graphql.Time
	To         *graphql.Time
	Status     *string
}

type checkoutInput struct {
	IdempotencyKey string
	LocationID     graphql.ID
	Lines          []checkoutLineInput
	OrderDiscount  *discountInput
	CustomerID     *graphql.ID
	Payments       []paymentInput
}

type checkoutLineInput struct {
	VariantID graphql.ID
	Quantity  Long
	Discount  *discountInput
}

type discountInput struct {
	Percent *int32
	Amount  *moneyInput
}

type paymentInput struct {
	Method          string
	Amount          moneyInput
	Tendered        *moneyInput
	PaymentMethodID *string
	Reference       *string
}

type checkoutPayloadResolver struct {
	Order      *orderResolver
	UserErrors []*userError
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

type salesSummaryInput struct {
	From       graphql.Time
	To         graphql.Time
	LocationID *graphql.ID
	GroupBy    string
}

type salesRowResolver struct {
	Key        string
	OrderCount int32
	Quantity   Long
	GrossSales *money
	Discounts  *money
	Refunds    *money
	NetSales   *money
	Tax        *money
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
