package dynamo

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/deadline"
)

// Throttling is DynamoDB refusing work for capacity, not a fault: the SDK's
// retryer has already retried it when it reaches us, and whatever still
// fails is UNAVAILABLE (retry the request), never INTERNAL. Transactions
// cancelled for throttling are retried by Transact itself. So is a call
// that ran out of time — its own timeout, the request's budget, a network
// timeout (deadline.Exceeded): whether a write landed is unknown, and the
// same idempotency key settles it.

// throttleCodes are the error codes DynamoDB uses for capacity refusals.
var throttleCodes = map[string]bool{
	"ThrottlingException":                    true,
	"ProvisionedThroughputExceededException": true,
	"RequestLimitExceeded":                   true,
	"ThrottlingError":                        true, // a transaction's cancellation reason
}

// throttled reports whether err is a capacity refusal.
func throttled(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && throttleCodes[ae.ErrorCode()]
}

// withThrottleAsUnavailable returns a client like c whose every operation
// reports a capacity refusal or a timeout as an UNAVAILABLE *apperr.Error
// wrapping the SDK's error (so errors.As still finds the SDK type). The
// middleware is outermost: it sees the error after the SDK's own retries.
func withThrottleAsUnavailable(c *dynamodb.Client) *dynamodb.Client {
	return dynamodb.New(c.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Initialize.Add(middleware.InitializeMiddlewareFunc("renkeiThrottleAsUnavailable",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					out, md, err := next.HandleInitialize(ctx, in)
					switch {
					case err == nil:
					case throttled(err):
						err = apperr.Wrap(err, apperr.Unavailable, "the store is over capacity; retry the request")
					case deadline.Exceeded(err):
						err = apperr.Wrap(err, apperr.Unavailable, deadline.Message)
					}
					return out, md, err
				}), middleware.Before)
		})
	})
}

// cancellation is why a transaction was cancelled, decided from its
// per-action reasons.
type cancellation int

const (
	cancelledOther     cancellation = iota // validation and the like: a bug, not an answer
	cancelledCondition                     // a condition failed: a business answer
	cancelledTransient                     // conflicts or throttling only: retry
)

func classify(tce *types.TransactionCanceledException) (*CanceledError, cancellation) {
	ce := &CanceledError{}
	condition, transient, other := false, false, false
	for _, r := range tce.CancellationReasons {
		code := ""
		if r.Code != nil {
			code = *r.Code
		}
		ce.Reasons = append(ce.Reasons, code)
		ce.Items = append(ce.Items, r.Item)
		switch {
		case code == "None" || code == "":
		case code == "ConditionalCheckFailed":
			condition = true
		case code == "TransactionConflict" || throttleCodes[code]:
			transient = true
		default:
			other = true
		}
	}
	switch {
	case condition:
		return ce, cancelledCondition
	case transient && !other:
		return ce, cancelledTransient
	}
	return ce, cancelledOther
}
