package dynamo

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/deadline"
)

// hang makes every TransactWriteItems wait for its context (a storage that
// does not answer) while hanging is set, and counts the calls sent.
type hang struct {
	on   atomic.Bool
	sent atomic.Int32
}

func (h *hang) option(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("hang",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if middleware.GetOperationName(ctx) == "TransactWriteItems" {
					h.sent.Add(1)
					if h.on.Load() {
						<-ctx.Done()
						return middleware.FinalizeOutput{}, middleware.Metadata{}, ctx.Err()
					}
				}
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	})
}

func putItem(table, pk string) []types.TransactWriteItem {
	return []types.TransactWriteItem{{Put: &types.Put{TableName: aws.String(table), Item: map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: pk}, attrSK: &types.AttributeValueMemberS{Value: "x"}}}}}
}

// A storage call that outlives its own timeout — with budget to spare — is
// UNAVAILABLE, not an internal fault; one whose request budget is all but
// spent is not sent at all.
func TestTable_CallTimeoutsAreUnavailable(t *testing.T) {
	h := &hang{}
	tbl := mustTable(t, h.option)
	tbl.callTimeout = 200 * time.Millisecond
	items := putItem(tbl.Name(), "T#deadline")

	h.on.Store(true)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	err := tbl.Transact(ctx, items)
	if apperr.CodeOf(err) != apperr.Unavailable || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a timed-out call: %v (code %q), want UNAVAILABLE", err, apperr.CodeOf(err))
	}
	if ctx.Err() != nil {
		t.Fatal("the call timeout did not bound the call")
	}

	h.on.Store(false)
	before := h.sent.Load()
	short, scancel := context.WithTimeout(t.Context(), deadline.MinCall/2)
	defer scancel()
	err = tbl.Transact(short, items)
	if apperr.CodeOf(err) != apperr.Unavailable {
		t.Fatalf("a call without budget: %v, want UNAVAILABLE", err)
	}
	if h.sent.Load() != before {
		t.Fatal("a call with less than deadline.MinCall left was sent")
	}
	if err := tbl.Transact(t.Context(), items); err != nil {
		t.Fatalf("a healthy call: %v", err)
	}
}
