package dynamo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
)

// IdempotencyTTL is how long a record is kept: at least the 7 days promised
// to clients, plus a day of margin (TTL deletion is also lazy).
const IdempotencyTTL = 8 * 24 * time.Hour

// Idempotency identifies one client-retryable write: the operation, the
// client's key, and a hash of the request that must match on replay.
type Idempotency struct {
	Operation   string
	Key         string
	RequestHash string
	Result      []byte // what a replay returns (e.g. the created order's id)
}

// HashRequest returns a stable hash of a canonical request encoding.
func HashRequest(canonical []byte) string {
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:])
}

// ValidIdempotencyKey checks the contract's 1–128 characters.
func ValidIdempotencyKey(k string) error {
	if len(k) < 1 || len(k) > 128 {
		return apperr.New(apperr.Invalid, "idempotencyKey must be 1 to 128 characters", "input", "idempotencyKey")
	}
	return nil
}

func (t *Table) idempotencyKey(ctx context.Context, op, k string) (map[string]types.AttributeValue, error) {
	pk, err := tenantPK(ctx)
	if err != nil {
		return nil, err
	}
	return key(pk+pkIdempotency+op+"#"+k, "IDEM"), nil
}

// LookupIdempotency returns a stored result for (tenant, op, key): the
// result and true when the same request was already done; an
// IDEMPOTENCY_KEY_REUSED error when the key was used with another request;
// false when the key is unused. It is the cheap pre-check before a write.
func (t *Table) LookupIdempotency(ctx context.Context, rec Idempotency) ([]byte, bool, error) {
	k, err := t.idempotencyKey(ctx, rec.Operation, rec.Key)
	if err != nil {
		return nil, false, err
	}
	cctx, cancel := t.call(ctx)
	defer cancel()
	out, err := t.client.GetItem(cctx, &dynamodb.GetItemInput{TableName: &t.name, Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, false, fmt.Errorf("get idempotency record: %w", err)
	}
	if out.Item == nil {
		return nil, false, nil
	}
	return matchIdempotency(out.Item, rec.RequestHash)
}

func matchIdempotency(item map[string]types.AttributeValue, hash string) ([]byte, bool, error) {
	h, _ := item["requestHash"].(*types.AttributeValueMemberS)
	if h == nil || h.Value != hash {
		return nil, false, apperr.New(apperr.IdempotencyKeyReused, "this idempotencyKey was already used with a different request", "input", "idempotencyKey")
	}
	r, _ := item["result"].(*types.AttributeValueMemberB)
	if r == nil {
		return nil, true, nil
	}
	return r.Value, true, nil
}

// TransactIdempotent runs items plus the idempotency record in one
// transaction. If the record already exists (a replay, or a concurrent
// request with the same key that won), it returns the stored result and
// replayed=true instead of writing. A *CanceledError it returns indexes the
// caller's items from 0 — whatever else in the transaction failed,
// since the first request's own effects can make later conditions fail.
func (t *Table) TransactIdempotent(ctx context.Context, rec Idempotency, items []types.TransactWriteItem, now time.Time) (result []byte, replayed bool, err error) {
	k, err := t.idempotencyKey(ctx, rec.Operation, rec.Key)
	if err != nil {
		return nil, false, err
	}
	item := map[string]types.AttributeValue{
		"requestHash": s(rec.RequestHash),
		"result":      &types.AttributeValueMemberB{Value: rec.Result},
		"createdAt":   s(now.UTC().Format(time.RFC3339Nano)),
		attrTTL:       &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(IdempotencyTTL).Unix(), 10)},
	}
	for a, v := range k {
		item[a] = v
	}
	put := types.TransactWriteItem{Put: &types.Put{
		TableName: &t.name, Item: item,
		ConditionExpression:                 aws.String("attribute_not_exists(pk)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}
	err = t.Transact(ctx, append([]types.TransactWriteItem{put}, items...))
	var ce *CanceledError
	if errors.As(err, &ce) && ce.Failed(0) {
		if ce.Items[0] != nil {
			res, ok, err := matchIdempotency(ce.Items[0], rec.RequestHash)
			return res, ok, err
		}
		res, ok, lerr := t.LookupIdempotency(ctx, rec)
		if lerr != nil {
			return nil, false, lerr
		}
		if ok {
			return res, true, nil
		}
	}
	if errors.As(err, &ce) {
		// Report the caller's own actions with the caller's own indexes.
		return nil, false, &CanceledError{Reasons: ce.Reasons[1:], Items: ce.Items[1:]}
	}
	if err != nil {
		return nil, false, err
	}
	return rec.Result, false, nil
}
