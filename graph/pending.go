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
