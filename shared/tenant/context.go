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

// IDFrom returns the tenant of the request. Storage adapters build every
// tenant-owned key from it, so a request without one can touch nothing.
func IDFrom(ctx context.Context) (string, error) {
	id, _ := ctx.Value(ctxKey{}).(string)
	if !ids.Valid(ids.Tenant, id) {
		return "", apperr.New(apperr.Unauthenticated, "no tenant in request context")
	}
	return id, nil
}
