package dynamo

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/idempotency"
)

// IdempotencyTTL is how long a record is kept: at least the 7 days promised
// to clients, plus a day of margin (TTL deletion is also lazy).
const IdempotencyTTL = 8 * 24 * time.Hour

// Idempotency records: pk `T#<tid>#IDEM#<operation>#<key>`, sk `IDEM`, with
// the request's hash and the write's result (an order id, a JSON list of
// stock levels). A write's record is read in the batched read before it and
// put in its transaction only if it still does not exist.

// idempotencyKey is the key of req's record in the tenant of ctx. The key
// is validated again here: it becomes part of a storage key.
func (t *Table) idempotencyKey(ctx context.Context, req idempotency.Request) (map[string]types.AttributeValue, error) {
	if err := idempotency.ValidateKey(req.Key); err != nil {
		return nil, err
	}
	pk, err := tenantPK(ctx)
	if err != nil {
		return nil, err
	}
	return key(pk+pkIdempotency+req.Operation+"#"+req.Key, "IDEM"), nil
}

// matchIdempotency compares a stored record with a request's hash: the
// stored result for the same request, IDEMPOTENCY_KEY_REUSED for another.
func matchIdempotency(item map[string]types.AttributeValue, hash string) ([]byte, error) {
	h, _ := item["requestHash"].(*types.AttributeValueMemberS)
	if h == nil || h.Value != hash {
		return nil, apperr.New(apperr.IdempotencyKeyReused, "this idempotencyKey was already used with a different request", "input", "idempotencyKey")
	}
	r, _ := item["result"].(*types.AttributeValueMemberB)
	if r == nil {
		return nil, nil
	}
	return r.Value, nil
}

// TransactIdempotent runs items plus req's record (holding result) in one
// transaction, the record conditioned on not existing. If it exists — a
// concurrent request with the same key won since the caller's read — the
// cancellation carries it: the same request returns its stored result and
// replayed=true, another one IDEMPOTENCY_KEY_REUSED; nothing is looked up
// again. A *CanceledError it returns indexes the caller's items from 0.
func (t *Table) TransactIdempotent(ctx context.Context, req idempotency.Request, result []byte, items []types.TransactWriteItem, now time.Time) (stored []byte, replayed bool, err error) {
	put, err := t.idempotencyPut(ctx, req, result, now)
	if err != nil {
		return nil, false, err
	}
	err = t.Transact(ctx, append([]types.TransactWriteItem{put}, items...))
	var ce *CanceledError
	switch {
	case errors.As(err, &ce) && ce.Failed(0):
		// The first request's own effects can make later conditions fail
		// too: the record decides.
		if ce.Items[0] == nil {
			return nil, false, errors.New("idempotency record exists but the cancellation did not return it")
		}
		res, err := matchIdempotency(ce.Items[0], req.Hash)
		return res, err == nil, err
	case errors.As(err, &ce):
		return nil, false, &CanceledError{Reasons: ce.Reasons[1:], Items: ce.Items[1:]}
	case err != nil:
		return nil, false, err
	}
	return result, false, nil
}

// idempotencyPut is the Put of req's record holding result, conditioned on
// there being none (a failed condition returns the record there).
func (t *Table) idempotencyPut(ctx context.Context, req idempotency.Request, result []byte, now time.Time) (types.TransactWriteItem, error) {
	k, err := t.idempotencyKey(ctx, req)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	item := map[string]types.AttributeValue{
		"type":        s("Idempotency"),
		"requestHash": s(req.Hash),
		"result":      &types.AttributeValueMemberB{Value: result},
		"createdAt":   s(now.UTC().Format(time.RFC3339Nano)),
		attrTTL:       &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(IdempotencyTTL).Unix(), 10)},
	}
	for a, v := range k {
		item[a] = v
	}
	return types.TransactWriteItem{Put: &types.Put{
		TableName: &t.name, Item: item,
		ConditionExpression:                 aws.String("attribute_not_exists(pk)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}, nil
}
