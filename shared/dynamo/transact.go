package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/backoff"
)

// A transaction DynamoDB cancels for contention (TransactionConflict: it
// touched an item another transaction was writing) or for capacity
// (ThrottlingError, or a throttling exception) is not a business answer: it
// is retried under backoff.Contention, and UNAVAILABLE when that runs out.

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

// Transact runs one TransactWriteItems, retrying conflicts and throttling.
// A failed condition comes back as *CanceledError; contention that outlasts
// the retries as UNAVAILABLE.
func (t *Table) Transact(ctx context.Context, items []types.TransactWriteItem) error {
	return backoff.Contention.Retry(ctx, func(int) (bool, error) {
		err := t.transactOnce(ctx, items)
		var tce *types.TransactionCanceledException
		switch {
		case err == nil:
			return false, nil
		case !errors.As(err, &tce):
			return throttled(err), fmt.Errorf("transact write: %w", err)
		}
		ce, why := classify(tce)
		if why == cancelledCondition {
			return false, ce
		}
		return why == cancelledTransient, fmt.Errorf("transact write: %w", err)
	})
}

func (t *Table) transactOnce(ctx context.Context, items []types.TransactWriteItem) error {
	ctx, cancel := t.call(ctx)
	defer cancel()
	_, err := t.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	return err
}
