package graph

import (
	"context"
	"log/slog"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/deadline"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// topError is the only error type that reaches graphql-go from a resolver.
// graphql-go reads extensions by type assertion on exactly this value, so it
// must never be wrapped.
type topError struct {
	message   string
	code      apperr.Code
	requestID string
}

func (e *topError) Error() string { return e.message }

// Extensions carries the stable code (and the request id of internal faults).
func (e *topError) Extensions() map[string]any {
	m := map[string]any{"code": string(e.code)}
	if e.requestID != "" {
		m["requestId"] = e.requestID
	}
	return m
}

func internalError(requestID string) *topError {
	return &topError{message: "internal error; quote requestId " + requestID + " when reporting it", code: apperr.Internal, requestID: requestID}
}

// top turns an error a resolver cannot express as userErrors into a
// top-level error: credential problems keep their code and message; every
// other fault is logged with the request id and shown generically.
func top(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	rq := requestFrom(ctx)
	err = deadline.Unavailable(err) // ran out of time: retryable, never INTERNAL
	switch code := apperr.CodeOf(err); code {
	case apperr.Unauthenticated, apperr.Forbidden, apperr.RateLimited, apperr.NotFound, apperr.Invalid:
		msg := "request refused"
		if l, ok := apperr.Expected(err); ok {
			msg = l[0].Message
		} else if ae := firstAppErr(err); ae != nil {
			msg = ae.Message
		}
		return &topError{message: msg, code: code}
	case apperr.Unavailable:
		logFault(ctx, err)
		return unavailableError(ctx)
	default:
		logFault(ctx, err)
		return internalError(rq.id)
	}
}

// unavailableError is the top-level UNAVAILABLE answer: retry with the same key.
func unavailableError(ctx context.Context) *topError {
	return &topError{message: "temporarily unavailable; retry with the same idempotency key", code: apperr.Unavailable, requestID: requestFrom(ctx).id}
}

func firstAppErr(err error) *apperr.Error {
	for err != nil {
		if ae, ok := err.(*apperr.Error); ok {
			return ae
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return nil
		}
		err = u.Unwrap()
	}
	return nil
}

func logFault(ctx context.Context, err error) {
	rq := requestFrom(ctx)
	attrs := []any{slog.String("requestId", rq.id), slog.String("error", err.Error())}
	if tid, terr := tenant.IDFrom(ctx); terr == nil {
		attrs = append(attrs, slog.String("tenantId", tid))
	}
	rq.log.ErrorContext(ctx, "request failed", attrs...)
}

// userError is the contract's UserError.
type userError struct {
	field   []string
	message string
	code    string
}

func (u *userError) Field() *[]string {
	if len(u.field) == 0 {
		return nil
	}
	return &u.field
}
func (u *userError) Message() string { return u.message }
func (u *userError) Code() string    { return u.code }

// userErrors splits err into the payload's userErrors (expected business
// failures) or a top-level error (credentials, internal faults). A payload
// carries at most maxUserErrors of them: the cost model counts on it.
func userErrors(ctx context.Context, err error) ([]*userError, error) {
	l, ok := apperr.Expected(err)
	if !ok {
		return nil, top(ctx, err)
	}
	l = l[:min(len(l), maxUserErrors)]
	out := make([]*userError, len(l))
	for i, e := range l {
		out[i] = &userError{field: e.Field, message: e.Message, code: string(e.Code)}
	}
	return out, nil
}
