package quota

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/tenant"
)

// The shared bucket is the generic cell rate algorithm: one number per
// tenant, tat (the theoretical arrival time, Unix nanoseconds), which each
// admitted token pushes forward by one emission interval. A token is
// available while tat stays within burst intervals of now. DynamoDB cannot
// take max(tat, now) in an expression, so a lease is one of two conditional
// updates:
//
//   - busy bucket (now - slack <= tat <= now + tolerance - n·interval):
//     ADD tat n·interval;
//   - idle bucket (tat < now - slack, or no item yet): SET tat = now + n·interval.
//
// The slack (half the tolerance) lets the one-call ADD serve a bucket that
// has just gone idle, at the price of up to Burst/2 extra tokens once when a
// tenant resumes: the sustained rate stays exact, the effective burst is at
// most 1.5 × Burst. The caller's last seen tat picks which update to try
// first, so a lease is usually one call; a failed condition returns the
// stored tat (ReturnValuesOnConditionCheckFailure), which decides the next.

const (
	attrPK  = "pk"
	attrSK  = "sk"
	attrTAT = "tat"
	attrTTL = "ttl"
	skQuota = "QUOTA"
	// itemTTL is how long an idle tenant's quota item is kept: its state is
	// worthless once tat is in the past.
	itemTTL = time.Hour
	// maxAttempts bounds the conditional updates of one lease (a lost race
	// or a partial grant); then the lease gives up and admits nothing.
	maxAttempts = 4
)

// table is the shared state: one item per tenant in the single table.
type table struct {
	client    *dynamodb.Client
	name      string
	interval  int64 // nanoseconds per token
	tolerance int64 // burst · interval
}

// slack is how far in the past tat may be for the busy update.
func (t *table) slack() int64 { return t.tolerance / 2 }

// grant is a lease's outcome: got tokens (0 when the bucket is empty), and
// the bucket's tat after it.
type grant struct {
	got int
	tat int64
}

// PK is the partition key of a tenant's quota item.
func PK(tenantID string) string { return "T#" + tenantID + "#QUOTA" }

// take leases up to n tokens of tenantID's bucket at now. lastTAT is the
// tat this instance last saw (0: unknown). It counts its storage calls in
// *calls.
func (t *table) take(ctx context.Context, tenantID string, n int, now time.Time, lastTAT int64, calls *int) (grant, error) {
	// The tenant's own credentials reach only its keys (dynamodb:LeadingKeys).
	ctx = tenant.WithID(ctx, tenantID)
	ns := now.UnixNano()
	busy := lastTAT >= ns-t.slack()
	for range maxAttempts {
		*calls++
		var tat int64
		var err error
		if busy {
			tat, err = t.add(ctx, tenantID, n, ns)
		} else {
			tat, err = t.set(ctx, tenantID, n, ns)
		}
		if err == nil {
			return grant{got: n, tat: tat}, nil
		}
		var failed *types.ConditionalCheckFailedException
		if !errors.As(err, &failed) {
			return grant{}, err
		}
		item := failed.Item
		if len(item) == 0 { // an engine that does not return the item, or no item yet
			*calls++
			if item, err = t.get(ctx, tenantID); err != nil {
				return grant{}, err
			}
		}
		stored, ok, err := storedTAT(item)
		if err != nil {
			return grant{}, err
		}
		if !ok || stored < ns-t.slack() {
			busy = false // idle (or gone): start again from now
			continue
		}
		busy = true
		avail := (ns + t.tolerance - stored) / t.interval
		if avail < int64(max(1, n/2)) {
			// Too little to be worth a call: the caller comes back when
			// its chunk is due. (Taking each token as it comes due would
			// cost busy instances a call per request.)
			return grant{tat: stored}, nil
		}
		n = int(min(avail, int64(n)))
	}
	return grant{tat: lastTAT}, nil
}

// add takes n tokens of a busy bucket.
func (t *table) add(ctx context.Context, tenantID string, n int, ns int64) (int64, error) {
	out, err := t.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           &t.name,
		Key:                                 t.key(tenantID),
		UpdateExpression:                    aws.String("ADD #tat :d SET #ttl = :ttl"),
		ConditionExpression:                 aws.String("#tat >= :min AND #tat <= :max"),
		ExpressionAttributeNames:            map[string]string{"#tat": attrTAT, "#ttl": attrTTL},
		ExpressionAttributeValues:           map[string]types.AttributeValue{":d": num(int64(n) * t.interval), ":min": num(ns - t.slack()), ":max": num(ns + t.tolerance - int64(n)*t.interval), ":ttl": t.ttl(ns)},
		ReturnValues:                        types.ReturnValueUpdatedNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err != nil {
		return 0, err
	}
	tat, ok, err := storedTAT(out.Attributes)
	if err == nil && !ok {
		err = errors.New("quota: update returned no tat")
	}
	return tat, err
}

// set starts an idle bucket again from now, taking n tokens.
func (t *table) set(ctx context.Context, tenantID string, n int, ns int64) (int64, error) {
	tat := ns + int64(n)*t.interval
	_, err := t.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           &t.name,
		Key:                                 t.key(tenantID),
		UpdateExpression:                    aws.String("SET #tat = :tat, #ttl = :ttl"),
		ConditionExpression:                 aws.String("attribute_not_exists(#tat) OR #tat < :min"),
		ExpressionAttributeNames:            map[string]string{"#tat": attrTAT, "#ttl": attrTTL},
		ExpressionAttributeValues:           map[string]types.AttributeValue{":tat": num(tat), ":min": num(ns - t.slack()), ":ttl": t.ttl(ns)},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	return tat, err
}

// get reads the item strongly consistently.
func (t *table) get(ctx context.Context, tenantID string) (map[string]types.AttributeValue, error) {
	out, err := t.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &t.name, Key: t.key(tenantID), ConsistentRead: aws.Bool(true),
		ProjectionExpression: aws.String("#tat"), ExpressionAttributeNames: map[string]string{"#tat": attrTAT}})
	if err != nil {
		return nil, err
	}
	return out.Item, nil
}

func (t *table) key(tenantID string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrPK: &types.AttributeValueMemberS{Value: PK(tenantID)}, attrSK: &types.AttributeValueMemberS{Value: skQuota}}
}

func (t *table) ttl(ns int64) types.AttributeValue {
	return num(time.Unix(0, ns).Add(itemTTL).Unix())
}

func num(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

// storedTAT reads tat from an item (false when the item or the attribute is
// absent).
func storedTAT(item map[string]types.AttributeValue) (int64, bool, error) {
	v, ok := item[attrTAT].(*types.AttributeValueMemberN)
	if !ok {
		return 0, false, nil
	}
	tat, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("quota: stored tat %q: %w", v.Value, err)
	}
	return tat, true, nil
}
