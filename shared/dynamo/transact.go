package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/backoff"
)

// Transaction conflict retries: DynamoDB cancels a transaction that touches
// an item another transaction is writing. That is contention, not a business
// answer, so it is retried with full-jitter exponential backoff (also used for
// unprocessed BatchGetItem keys).
const conflictAttempts = 8

var conflictBackoff = backoff.Policy{Base: 15 * time.Millisecond, Cap: 400 * time.Millisecond}

// CanceledError is a transaction cancelled because a condition failed. Reasons
// holds one code per action, in order ("None", "ConditionalCheckFailed", ...),
// and Items the current item for failed conditions when requested.
type CanceledError struct {
	Reasons []string
	Items   []map[string]types.AttributeValue
}

func (e *CanceledError) Error() string {
	return "transaction canceled: " + strings.Join(e.Reasons, ",")
}

// Failed reports whether action i's condition failed.
func (e *CanceledError) Failed(i int) bool {
	return i < len(e.Reasons) && e.Reasons[i] == "ConditionalCheckFailed"
}

// Transact runs one TransactWriteItems, retrying transaction conflicts. A
// failed condition comes back as *CanceledError.
func (t *Table) Transact(ctx context.Context, items []types.TransactWriteItem) error {
	for attempt := 0; ; attempt++ {
		err := t.transactOnce(ctx, items)
		var tce *types.TransactionCanceledException
		if !errors.As(err, &tce) {
			if err != nil {
				return fmt.Errorf("transact write: %w", err)
			}
			return nil
		}
		ce := &CanceledError{}
		conflict, failed := false, false
		for _, r := range tce.CancellationReasons {
			code := aws.ToString(r.Code)
			ce.Reasons = append(ce.Reasons, code)
			ce.Items = append(ce.Items, r.Item)
			switch code {
			case "ConditionalCheckFailed":
				failed = true
			case "TransactionConflict":
				conflict = true
			}
		}
		if failed || !conflict {
			if !failed {
				return fmt.Errorf("transact write: %w", err) // throttling, validation: not a business answer
			}
			return ce
		}
		if attempt+1 >= conflictAttempts {
			return apperr.Wrap(err, apperr.Unavailable, "the store is busy; retry the request")
		}
		if err := conflictBackoff.Wait(ctx, attempt); err != nil {
			return err
		}
	}
}

func (t *Table) transactOnce(ctx context.Context, items []types.TransactWriteItem) error {
	ctx, cancel := t.call(ctx)
	defer cancel()
	_, err := t.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	return err
}
