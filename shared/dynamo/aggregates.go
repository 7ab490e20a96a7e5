package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/backoff"
	"github.com/renkei-pos/renkei/shared/reports"
)

// Sales aggregates (reports.Deltas): `T#<tid>#AGG#<locationId>#<yyyy-mm>`
// (the location's month on its clock) / `<dim>#<level>#<bucket>#<key>`,
// holding orders, qty, gross, disc, refunds, tax and gcl (gift card loads,
// absent until a movement has some), only ever changed by
// ADD, so movements apply in any order. A movement's ADDs and its marker
// `T#<tid>#AGGDONE#<eventId>#<chunk>` (conditioned on its absence, kept
// AggregateMarkerTTL) are one transaction: a redelivered event finds its
// marker and adds nothing.

// AggregateMarkerTTL keeps a movement's marker well past the stream's 24
// hours of retention, the longest a record can be redelivered.
const AggregateMarkerTTL = 7 * 24 * time.Hour

// aggregateChunk is how many item updates one transaction carries with its
// marker (the limit is 100 actions): an order of many SKUs is applied in
// several transactions, each once.
const aggregateChunk = 99

// maxAggregateItems bounds one query of a summary: past it, the summary
// has more keys than it could show.
const maxAggregateItems = 20000

const skAggMarker = "AGGDONE"

// aggregateItem is one aggregate item as read.
type aggregateItem struct {
	SK        string `dynamodbav:"sk"`
	Orders    int64  `dynamodbav:"orders"`
	Quantity  int64  `dynamodbav:"qty"`
	Gross     int64  `dynamodbav:"gross"`
	Discounts int64  `dynamodbav:"disc"`
	Refunds   int64  `dynamodbav:"refunds"`
	Tax       int64  `dynamodbav:"tax"`
	// GiftCardLoads: gift card loads sold (absent on items without any).
	GiftCardLoads int64 `dynamodbav:"gcl"`
}

// AggregateStore is the reports store on the table.
type AggregateStore struct {
	t *Table
	// Now stamps markers' expiry (tests pin it).
	Now func() time.Time
}

var _ reports.Store = (*AggregateStore)(nil)

// NewAggregateStore returns the aggregates store.
func NewAggregateStore(t *Table) *AggregateStore { return &AggregateStore{t: t, Now: time.Now} }

func aggregatePK(tpk, locationID, month string) string {
	return tpk + "#AGG#" + locationID + "#" + month
}

// ApplyMovement adds deltas once per event id (per chunk of 99 items).
func (st *AggregateStore) ApplyMovement(ctx context.Context, locationID, eventID string, deltas []reports.Delta) error {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return err
	}
	if eventID == "" || locationID == "" {
		return errors.New("apply movement: an event id and a location are required")
	}
	ttl := strconv.FormatInt(st.Now().Add(AggregateMarkerTTL).Unix(), 10)
	for chunk := 0; chunk*aggregateChunk < len(deltas); chunk++ {
		part := deltas[chunk*aggregateChunk : min((chunk+1)*aggregateChunk, len(deltas))]
		items := make([]types.TransactWriteItem, 0, len(part)+1)
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &st.t.name,
			Item: map[string]types.AttributeValue{
				attrPK: s(tpk + "#AGGDONE#" + eventID + "#" + strconv.Itoa(chunk)), attrSK: s(skAggMarker), "type": s("AggregateMarker"),
				attrTTL: &types.AttributeValueMemberN{Value: ttl},
			},
			ConditionExpression: aws.String("attribute_not_exists(pk)")}})
		for _, d := range part {
			f := d.Figures
			items = append(items, types.TransactWriteItem{Update: &types.Update{TableName: &st.t.name,
				Key:                      key(aggregatePK(tpk, locationID, d.Month), d.SK),
				UpdateExpression:         aws.String("SET #type = :type ADD orders :o, qty :q, gross :g, disc :d, refunds :r, tax :t" + gclAdd(f)),
				ExpressionAttributeNames: map[string]string{"#type": "type"},
				ExpressionAttributeValues: map[string]types.AttributeValue{":type": s("Aggregate"),
					":o": n(f.Orders), ":q": n(f.Quantity), ":g": n(f.Gross), ":d": n(f.Discounts), ":r": n(f.Refunds), ":t": n(f.Tax)},
			}})
			if f.GiftCardLoads != 0 {
				items[len(items)-1].Update.ExpressionAttributeValues[":l"] = n(f.GiftCardLoads)
			}
		}
		err := st.t.Transact(ctx, items)
		var ce *CanceledError
		if errors.As(err, &ce) && ce.Failed(0) {
			continue // applied by an earlier delivery
		}
		if err != nil {
			return fmt.Errorf("apply event %s to the aggregates (part %d): %w", eventID, chunk, err)
		}
	}
	return nil
}

// gclAdd is the ADD of a delta's gift card loads, only when it has any (the
// items of a tenant that sells no gift cards stay as they were).
func gclAdd(f reports.Figures) string {
	if f.GiftCardLoads == 0 {
		return ""
	}
	return ", gcl :l"
}

// Aggregates reads the items of one query of a location's month partition.
func (st *AggregateStore) Aggregates(ctx context.Context, locationID string, q reports.Query) ([]reports.Item, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return nil, err
	}
	in := &dynamodb.QueryInput{TableName: &st.t.name,
		KeyConditionExpression:    aws.String("pk = :pk AND sk BETWEEN :a AND :b"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(aggregatePK(tpk, locationID, q.Month)), ":a": s(q.From), ":b": s(q.To)},
		ProjectionExpression:      aws.String("sk, orders, qty, gross, disc, refunds, tax, gcl"),
		Limit:                     aws.Int32(1000),
	}
	got, err := queryItems[aggregateItem](ctx, st.t, in, maxAggregateItems+1, nil)
	if err != nil {
		return nil, err
	}
	if len(got) > maxAggregateItems {
		return nil, apperr.Newf(apperr.Invalid, []string{"input"}, "the summary has more than %d rows; narrow the range or ask for one location", reports.MaxRows)
	}
	out := make([]reports.Item, len(got))
	for i, it := range got {
		out[i] = reports.Item{SK: it.SK, Figures: reports.Figures{Orders: it.Orders, Quantity: it.Quantity, Gross: it.Gross,
			Discounts: it.Discounts, Refunds: it.Refunds, Tax: it.Tax, GiftCardLoads: it.GiftCardLoads}}
	}
	return out, nil
}

// Backfill writes aggregate items of a location with the figures given,
// replacing what they held: rebuilding aggregates from the orders (e.g.
// after a fix to how movements count) and seeding benchmarks with a year
// of history. It writes no markers and is not the stream's path: replaying
// it is harmless only because it replaces rather than adds.
func (st *AggregateStore) Backfill(ctx context.Context, locationID string, items []reports.Delta) error {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return err
	}
	for start := 0; start < len(items); start += 25 {
		var reqs []types.WriteRequest
		for _, d := range items[start:min(start+25, len(items))] {
			f := d.Figures
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
				attrPK: s(aggregatePK(tpk, locationID, d.Month)), attrSK: s(d.SK), "type": s("Aggregate"),
				"orders": n(f.Orders), "qty": n(f.Quantity), "gross": n(f.Gross), "disc": n(f.Discounts), "refunds": n(f.Refunds), "tax": n(f.Tax),
				"gcl": n(f.GiftCardLoads),
			}}})
		}
		err := backoff.Contention.Retry(ctx, func(int) (bool, error) {
			cctx, cancel := st.t.call(ctx)
			out, err := st.t.client.BatchWriteItem(cctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{st.t.name: reqs}})
			cancel()
			if err != nil {
				return throttled(err), fmt.Errorf("backfill aggregates: %w", err)
			}
			if reqs = out.UnprocessedItems[st.t.name]; len(reqs) > 0 {
				return true, errors.New("backfill aggregates: unprocessed items")
			}
			return false, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
