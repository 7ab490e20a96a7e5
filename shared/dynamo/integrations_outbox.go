package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/integrations"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// The undispatched index. Stream records live 24 hours, so an outbox event
// the dispatcher never saw (an outage, a poison record) would be lost with
// them. Every outbox item is therefore written with gsi2 keys
//
//	gsi2pk = OUTBOX#<UTC date of createdAt, yyyy-mm-dd>#<shard 00..15>
//	gsi2sk = <createdAt, fixed width>#<tenantId>#<eventId>
//
// and MarkDispatched removes them, so the index is sparse: it holds only
// the events not dispatched yet — normally the last second's — and the
// sweeper (Undispatched) reads just those, oldest first.
//
// Why not a Scan: a Scan reads the whole table (every tenant's orders,
// stock and jobs) to find a handful of events; the index reads only them.
//
// Why platform partitions: the sweeper finds every tenant's stragglers
// without knowing the tenants. Why day buckets: a partition per day keeps
// each Query's range narrow and lets a bucket fall idle. Why 16 shards
// (a stable hash of the tenant id, fnv-1a mod 16): every outbox write of
// every tenant also writes the index, and one GSI partition takes about
// 1,000 writes per second — a throttled GSI throttles the business
// transactions that write it — so a day's writes spread over 16 partitions
// (~16,000 events/s) and one tenant's burst stays on its own shard. The
// cost is on the read side: the sweeper's lookback of d days is
// (d+1)×16 Queries, each of them nearly empty (32 for a 24-hour lookback).

const (
	skOutbox          = "EVT"
	pkUndispatched    = "OUTBOX#"
	undispatchedDay   = "2006-01-02"
	undispatchedShard = 16
	// sweepQueryers bounds the shard Queries run at once.
	sweepQueryers = 8
)

func outboxPK(tid, eventID string) string { return "T#" + tid + "#EVT#" + eventID }

// outboxShard is the tenant's shard of the undispatched index.
func outboxShard(tid string) int {
	h := fnv.New32a()
	h.Write([]byte(tid))
	return int(h.Sum32() % undispatchedShard)
}

func undispatchedBucket(day time.Time, shard int) string {
	return fmt.Sprintf("%s%s#%02d", pkUndispatched, day.UTC().Format(undispatchedDay), shard)
}

func undispatchedPK(tid string, createdAt time.Time) string {
	return undispatchedBucket(createdAt, outboxShard(tid))
}

func undispatchedSK(tid, eventID string, createdAt time.Time) string {
	return fmtSortTime(createdAt) + "#" + tid + "#" + eventID
}

// outboxItem is an outbox event as stored (outboxEventPut).
type outboxItem struct {
	ID            string `dynamodbav:"id"`
	EventType     string `dynamodbav:"eventType"`
	TenantID      string `dynamodbav:"tenantId"`
	CreatedAt     string `dynamodbav:"createdAt"`
	Data          string `dynamodbav:"data"`
	IntegrationID string `dynamodbav:"integrationId,omitempty"`
	DispatchedAt  string `dynamodbav:"dispatchedAt,omitempty"`
	GSI2SK        string `dynamodbav:"gsi2sk,omitempty"`
}

func (it outboxItem) event() (Event, error) {
	at, err := time.Parse(timeLayout, it.CreatedAt)
	if err != nil {
		return Event{}, fmt.Errorf("outbox event %s: createdAt %q: %w", it.ID, it.CreatedAt, err)
	}
	return Event{ID: it.ID, Type: it.EventType, TenantID: it.TenantID, CreatedAt: at, Data: json.RawMessage(it.Data),
		IntegrationID: it.IntegrationID, FromOutbox: true}, nil
}

// MarkDispatched takes the outbox event out of the undispatched index and
// records when. Only the first mark writes (the condition is that the event
// is still indexed): each write of the item is a stream record, and the
// stream is what the dispatcher reads. A missing item — an event that
// expired, or one derived from a stock level — is nothing to mark.
func (st *IntegrationStore) MarkDispatched(ctx context.Context, eventID string, at time.Time) error {
	tid, err := tenant.IDFrom(ctx)
	if err != nil {
		return err
	}
	if !ids.Valid("evt", eventID) {
		return nil
	}
	_, err = st.t.updateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &st.t.name, Key: key(outboxPK(tid, eventID), skOutbox),
		UpdateExpression:          aws.String("SET dispatchedAt = :at REMOVE gsi2pk, gsi2sk"),
		ConditionExpression:       aws.String("attribute_exists(gsi2pk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": s(fmtTime(at))},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("mark event dispatched: %w", err)
	}
	return nil
}

// Undispatched returns up to limit outbox events of every tenant created in
// [before−lookback, before) and not marked dispatched, oldest first. It
// reads the window's day buckets in order, each bucket's 16 shards at once
// (at most limit items per shard), and stops at the first bucket that fills
// the limit. The index is a GSI, eventually consistent: an event marked a
// moment ago may still be listed (dispatching is idempotent). lookback is
// capped at OutboxTTL, beyond which events are gone anyway.
func (st *IntegrationStore) Undispatched(ctx context.Context, before time.Time, lookback time.Duration, limit int) ([]integrations.Event, error) {
	if limit < 1 {
		return []integrations.Event{}, nil
	}
	lookback = min(max(lookback, 0), OutboxTTL)
	before = before.UTC()
	from := before.Add(-lookback)
	lo, hi := fmtSortTime(from), fmtSortTime(before.Add(-time.Nanosecond))+"#~"
	out := []integrations.Event{}
	for day := from.Truncate(24 * time.Hour); !day.After(before) && len(out) < limit; day = day.Add(24 * time.Hour) {
		items, err := st.undispatchedDay(ctx, day, lo, hi, limit-len(out))
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			e, err := it.event()
			if err != nil {
				return nil, err
			}
			out = append(out, e.Integration())
		}
	}
	return out, nil
}

// undispatchedDay reads one day's shards within [lo, hi] and returns the
// oldest want items among them.
func (st *IntegrationStore) undispatchedDay(ctx context.Context, day time.Time, lo, hi string, want int) ([]outboxItem, error) {
	found := make([][]outboxItem, undispatchedShard)
	errs := make([]error, undispatchedShard)
	var wg sync.WaitGroup
	sem := make(chan struct{}, sweepQueryers)
	for shard := range undispatchedShard {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			found[shard], errs[shard] = queryItems[outboxItem](ctx, st.t, &dynamodb.QueryInput{
				TableName: &st.t.name, IndexName: aws.String(IndexGSI2),
				KeyConditionExpression: aws.String("gsi2pk = :pk AND gsi2sk BETWEEN :lo AND :hi"),
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":pk": s(undispatchedBucket(day, shard)), ":lo": s(lo), ":hi": s(hi),
				},
			}, want, nil)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("list undispatched events: %w", err)
	}
	var all []outboxItem
	for _, f := range found {
		all = append(all, f...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].GSI2SK < all[j].GSI2SK })
	return all[:min(want, len(all))], nil
}

// inboundTTL is how long an inbound delivery's id is remembered (Shopify
// retries a webhook for 48 hours).
const inboundTTL = 30 * 24 * time.Hour

// maxDedupeKey bounds a dedupe key (a provider's delivery id).
const maxDedupeKey = 256

const skInbound = "INBOUND"

// inboundItem remembers one inbound delivery (by the provider's id) and the
// outbox event it became.
type inboundItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	Type      string `dynamodbav:"type"`
	EventID   string `dynamodbav:"eventId"`
	CreatedAt string `dynamodbav:"createdAt"`
	TTL       int64  `dynamodbav:"ttl"`
}

func inboundPK(tid, integrationID, dedupeKey string) string {
	return "T#" + tid + "#INBOUND#" + integrationID + "#" + dedupeKey
}

// RecordInbound writes ev to the outbox, addressed to ev.IntegrationID,
// with a dedupe item for dedupeKey in the same transaction: both or
// neither. duplicate is true, and nothing is written, when the key (or the
// event id) was seen before. ev.ID is kept when set (evt_…), made
// otherwise; ev.CreatedAt is the outbox time (now when zero).
func (st *IntegrationStore) RecordInbound(ctx context.Context, ev integrations.Event, dedupeKey string) (bool, error) {
	tid, err := tenant.IDFrom(ctx)
	if err != nil {
		return false, err
	}
	if ev.Type == "" || !ids.Valid(ids.Integration, ev.IntegrationID) || dedupeKey == "" || len(dedupeKey) > maxDedupeKey ||
		(ev.TenantID != "" && ev.TenantID != tid) || (ev.ID != "" && !ids.Valid("evt", ev.ID)) {
		return false, fmt.Errorf("record inbound event: malformed event (type %q, integration %q) or dedupe key", ev.Type, ev.IntegrationID)
	}
	at := ev.CreatedAt
	if at.IsZero() {
		at = time.Now()
	}
	id := ev.ID
	if id == "" {
		id = ids.NewAt("evt", at)
	}
	data := string(ev.Data)
	if data == "" {
		data = "null"
	}
	dedupe, err := putNew(st.t, inboundItem{PK: inboundPK(tid, ev.IntegrationID, dedupeKey), SK: skInbound, Type: "InboundDedupe",
		EventID: id, CreatedAt: fmtTime(at), TTL: at.Add(inboundTTL).Unix()})
	if err != nil {
		return false, err
	}
	err = st.t.Transact(ctx, []types.TransactWriteItem{outboxEventPut(st.t, tid, id, ev.Type, data, ev.IntegrationID, at), dedupe})
	var ce *CanceledError
	if errors.As(err, &ce) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("record inbound event: %w", err)
	}
	return false, nil
}
