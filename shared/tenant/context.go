package tenant

import (
	"context"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/ids"
)

type ctxKey struct{}

// WithID returns a context scoped to one tenant. Only authentication (and
// sign-up, which creates the tenant) call it.
func WithID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// Without returns ctx without its tenant, for calls on platform items that
// no tenant owns (log-in e-mails and their attempt counters): a request
// that carries a credential still makes them as the platform does, so in
// AWS they are signed with the function's own role, not the tenant's
// session (shared/tenantcreds), which may not read them.
func Without(ctx context.Context) context.Context {
	return context.WithValue(ctx, ctxKey{}, "")
}

// IDFrom returns the tenant of the request. Storage adapters build every
// tenant-owned key from it, so a request without one can touch nothing.
func IDFrom(ctx context.Context) (string, error) {
	id, _ := ctx.Value(ctxKey{}).(string)
	if !ids.Valid(ids.Tenant, id) {
		return "", apperr.New(apperr.Unauthenticated, "no tenant in request context")
	}
	return id, nil
}
