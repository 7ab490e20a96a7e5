package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/giftcards"
)

// The gift card ledger: the sum of every activity's amount per date (the
// tenant's clock), written only by the stream aggregator from
// gift_card.activity events, by ADD with the event's marker
// (T#<tid>#AGGDONE#<eventId>#GC, conditioned on its absence, the sales
// aggregates' pattern) in one transaction: a redelivered event adds
// nothing. Items: T#<tid>#GCLEDGER#<shard> / <yyyy-mm-dd>, delta; the shard
// (the event id's last character, mod giftLedgerShards) spreads a busy
// day's writes over several partitions. The unused balance as of a date is
// the sum of every shard's items up to it.
const (
	giftLedgerShards = 4
	skGiftLedgerDone = "#GC"
)

func giftLedgerPK(tpk string, shard int) string { return tpk + "#GCLEDGER#" + strconv.Itoa(shard) }

// ApplyLedger adds delta to date's ledger once per event id.
func (st *GiftCardStore) ApplyLedger(ctx context.Context, eventID, date string, delta int64) error {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return err
	}
	if eventID == "" || len(date) != len("2006-01-02") {
		return errors.New("apply gift card ledger: an event id and a date are required")
	}
	shard := int(eventID[len(eventID)-1]) % giftLedgerShards
	ttl := strconv.FormatInt(st.Now().Add(AggregateMarkerTTL).Unix(), 10)
	err = st.t.Transact(ctx, []types.TransactWriteItem{
		{Put: &types.Put{TableName: &st.t.name, Item: map[string]types.AttributeValue{
			attrPK: s(tpk + "#AGGDONE#" + eventID + skGiftLedgerDone), attrSK: s(skAggMarker), "type": s("AggregateMarker"),
			attrTTL: &types.AttributeValueMemberN{Value: ttl}},
			ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		{Update: &types.Update{TableName: &st.t.name, Key: key(giftLedgerPK(tpk, shard), date),
			UpdateExpression:          aws.String("SET #type = :type ADD delta :d"),
			ExpressionAttributeNames:  map[string]string{"#type": "type"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":type": s("GiftCardLedger"), ":d": n(delta)}}},
	})
	var ce *CanceledError
	if errors.As(err, &ce) && ce.Failed(0) {
		return nil // applied by an earlier delivery
	}
	if err != nil {
		return fmt.Errorf("apply event %s to the gift card ledger: %w", eventID, err)
	}
	return nil
}

// giftLedgerItem is one date of one shard.
type giftLedgerItem struct {
	Delta int64 `dynamodbav:"delta"`
}

// UnusedBalance sums every shard's deltas of the dates up to asOf.
func (st *GiftCardStore) UnusedBalance(ctx context.Context, asOf string) (int64, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return 0, err
	}
	sums := make([]int64, giftLedgerShards)
	errs := make([]error, giftLedgerShards)
	var wg sync.WaitGroup
	for shard := range giftLedgerShards {
		wg.Go(func() {
			in := &dynamodb.QueryInput{TableName: &st.t.name,
				KeyConditionExpression:    aws.String("pk = :pk AND sk <= :asOf"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(giftLedgerPK(tpk, shard)), ":asOf": s(asOf)},
				ProjectionExpression:      aws.String("delta"),
				Limit:                     aws.Int32(1000),
			}
			// A date is one item per shard: a century is 36,525.
			items, err := queryItems[giftLedgerItem](ctx, st.t, in, 40000, nil)
			if err != nil {
				errs[shard] = fmt.Errorf("read gift card ledger: %w", err)
				return
			}
			for _, it := range items {
				sums[shard] += it.Delta
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	var total int64
	for _, v := range sums {
		total += v
	}
	return total, nil
}

// LedgerEntryFromEvent reads the ledger entry of a gift_card.activity event.
func LedgerEntryFromEvent(e Event) (giftcards.LedgerEntry, error) {
	var d giftCardActivityData
	if err := json.Unmarshal(e.Data, &d); err != nil {
		return giftcards.LedgerEntry{}, fmt.Errorf("decode %s event %s: %w", e.Type, e.ID, err)
	}
	at, err := time.Parse(time.RFC3339Nano, d.OccurredAt)
	if err != nil || e.TenantID == "" || e.ID == "" {
		return giftcards.LedgerEntry{}, fmt.Errorf("%s event %s: no tenant, id or occurredAt", e.Type, e.ID)
	}
	return giftcards.LedgerEntry{TenantID: e.TenantID, EventID: e.ID, Amount: d.Amount, OccurredAt: at}, nil
}
