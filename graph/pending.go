package graph

// NOT_IMPLEMENTED: the answer of a contract operation whose service this
// server was built without (the integration operations when
// Services.Integrations is nil). Each checks the permission the role table
// gives its operation first, so the answer to a caller without it is
// FORBIDDEN as it is from the service.

import (
	"context"

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
