package dynamo

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/backoff"
)

// maxBatchGet is DynamoDB's limit of keys per BatchGetItem.
const maxBatchGet = 100

// BatchGet reads keys with strongly consistent BatchGetItem calls (100 keys
// each), re-asking for unprocessed keys (and after throttling) under
// backoff.Contention. Missing items are simply absent from the result.
func (t *Table) BatchGet(ctx context.Context, keys []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	return t.batchGet(ctx, keys, true)
}

// batchGetters bounds the BatchGetItem calls one batchGet has in flight.
const batchGetters = 8

// batchGet is BatchGet, strongly consistent or not (half the read units:
// for items found through an index, itself eventually consistent). More
// than 100 keys (a close reading its day's orders) are read in chunks of
// 100, batchGetters at a time.
func (t *Table) batchGet(ctx context.Context, keys []map[string]types.AttributeValue, consistent bool) ([]map[string]types.AttributeValue, error) {
	var (
		mu   sync.Mutex
		out  []map[string]types.AttributeValue
		errs []error
		wg   sync.WaitGroup
	)
	sem := make(chan struct{}, batchGetters)
	for start := 0; start < len(keys); start += maxBatchGet {
		pending := keys[start:min(start+maxBatchGet, len(keys))]
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			err := backoff.Contention.Retry(ctx, func(int) (bool, error) {
				cctx, cancel := t.call(ctx)
				res, err := t.client.BatchGetItem(cctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{t.name: {Keys: pending, ConsistentRead: aws.Bool(consistent)}}})
				cancel()
				if err != nil {
					return throttled(err), fmt.Errorf("batch get: %w", err)
				}
				mu.Lock()
				out = append(out, res.Responses[t.name]...)
				mu.Unlock()
				pending = res.UnprocessedKeys[t.name].Keys
				if len(pending) > 0 {
					return true, fmt.Errorf("batch get: %d keys unprocessed", len(pending))
				}
				return false, nil
			})
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return out, nil
}

// get reads one item with a strongly consistent GetItem and decodes it into
// out; false when there is none.
func (t *Table) get(ctx context.Context, k map[string]types.AttributeValue, out any) (bool, error) {
	cctx, cancel := t.call(ctx)
	defer cancel()
	res, err := t.client.GetItem(cctx, &dynamodb.GetItemInput{TableName: &t.name, Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return false, err
	}
	if res.Item == nil {
		return false, nil
	}
	return true, attributevalue.UnmarshalMap(res.Item, out)
}

// batchGetAs reads the items at keys with BatchGet (any order; missing
// keys are absent) and decodes each into an I: an error of the read is
// wrapped as "get <what>s", of a decode as "decode <what>".
func batchGetAs[I any](ctx context.Context, t *Table, keys []map[string]types.AttributeValue, what string) ([]I, error) {
	raws, err := t.BatchGet(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("get %ss: %w", what, err)
	}
	out := make([]I, len(raws))
	for i, raw := range raws {
		if err := attributevalue.UnmarshalMap(raw, &out[i]); err != nil {
			return nil, fmt.Errorf("decode %s: %w", what, err)
		}
	}
	return out, nil
}

// getOrNotFound reads the item at k into a T with get: an error of the read
// is wrapped as "get <what>", and notFound is answered when there is none.
func getOrNotFound[T any](ctx context.Context, t *Table, k map[string]types.AttributeValue, what string, notFound error) (T, error) {
	var it, zero T
	found, err := t.get(ctx, k, &it)
	if err != nil {
		return zero, fmt.Errorf("get %s: %w", what, err)
	}
	if !found {
		return zero, notFound
	}
	return it, nil
}
