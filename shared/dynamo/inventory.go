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
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/inventory"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// InventoryStore implements inventory.Store on the single table: stock
// levels (stockItem, one partition each), read together with the variant
// records, locations, tenant settings and idempotency record they depend on.
type InventoryStore struct{ t *Table }

var _ inventory.Store = (*InventoryStore)(nil)

// NewInventoryStore returns the inventory store.
func NewInventoryStore(t *Table) *InventoryStore { return &InventoryStore{t: t} }

// Load reads everything q names with BatchGetItem: one call for up to 100
// keys, concurrent calls beyond (an adjustment of 49 changes reads 101 keys).
// A write's lookup also reads the tenant's settings.
func (st *InventoryStore) Load(ctx context.Context, q inventory.Lookup) (inventory.Snapshot, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return inventory.Snapshot{}, err
	}
	var keys []map[string]types.AttributeValue
	seen := map[string]bool{}
	add := func(k map[string]types.AttributeValue) {
		id := k[attrPK].(*types.AttributeValueMemberS).Value + "\x00" + k[attrSK].(*types.AttributeValueMemberS).Value
		if !seen[id] {
			seen[id] = true
			keys = append(keys, k)
		}
	}
	var idemPK, hash string
	if q.Idempotency.Operation != "" {
		k, err := st.t.idempotencyKey(ctx, q.Idempotency)
		if err != nil {
			return inventory.Snapshot{}, err
		}
		idemPK, hash = k[attrPK].(*types.AttributeValueMemberS).Value, q.Idempotency.Hash
		add(k)
		add(key(tpk, skTenant))
	}
	for _, id := range q.LocationIDs {
		add(key(tpk, skLocPrefix+id))
	}
	for _, id := range q.VariantIDs {
		add(key(variantPK(tpk, id), skVariant))
	}
	for _, l := range q.Levels {
		add(stockKey(tpk, l.LocationID, l.VariantID))
	}
	raws, err := st.t.batchGetConcurrently(ctx, keys)
	if err != nil {
		return inventory.Snapshot{}, fmt.Errorf("load stock: %w", err)
	}
	snap := inventory.Snapshot{Locations: map[string]tenant.Location{}, Variants: map[string]inventory.Variant{}, Levels: map[inventory.LevelKey]inventory.StockLevel{}}
	for _, raw := range raws {
		if err := st.decodeInto(&snap, raw, idemPK, hash); err != nil {
			return inventory.Snapshot{}, err
		}
	}
	return snap, nil
}

func (st *InventoryStore) decodeInto(snap *inventory.Snapshot, raw map[string]types.AttributeValue, idemPK, hash string) error {
	pk, _ := raw[attrPK].(*types.AttributeValueMemberS)
	sk, _ := raw[attrSK].(*types.AttributeValueMemberS)
	if pk == nil || sk == nil {
		return errors.New("load stock: item without keys")
	}
	switch {
	case pk.Value == idemPK:
		res, err := matchIdempotency(raw, hash)
		if err != nil {
			return err
		}
		levels, err := decodeLevels(res)
		if err != nil {
			return err
		}
		snap.Replayed, snap.Replay = true, levels
	case sk.Value == skTenant:
		var it tenantItem
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return fmt.Errorf("decode tenant: %w", err)
		}
		snap.AllowNegativeStock = it.AllowNegativeStock
	case sk.Value == skVariant:
		var it variantItem
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return fmt.Errorf("decode variant: %w", err)
		}
		snap.Variants[it.ID] = inventory.Variant{ID: it.ID, SKU: it.SKU, TrackStock: it.TrackStock}
	case sk.Value == skStock:
		var it stockItem
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return fmt.Errorf("decode stock level: %w", err)
		}
		l := it.domain()
		snap.Levels[l.Key()] = l
	default: // LOC#<id>
		var it locationItem
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return fmt.Errorf("decode location: %w", err)
		}
		snap.Locations[it.ID] = it.domain()
	}
	return nil
}

// Apply writes the levels (each conditioned on the version read), one
// inventory.changed event per level and the idempotency record in one
// TransactWriteItems. Actions: the record, then the level updates, then the
// events — 2 per adjusted level plus 1.
func (st *InventoryStore) Apply(ctx context.Context, w inventory.Write) ([]inventory.StockLevel, bool, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return nil, false, err
	}
	levels := w.Levels()
	result, err := encodeLevels(levels)
	if err != nil {
		return nil, false, err
	}
	items := make([]types.TransactWriteItem, 0, 2*len(w.Updates))
	for _, u := range w.Updates {
		items = append(items, levelUpdate(st.t, tpk, u))
	}
	for _, u := range w.Updates {
		put, err := levelChanged(ctx, st.t, u, w.At)
		if err != nil {
			return nil, false, err
		}
		items = append(items, put)
	}
	res, replayed, err := st.t.TransactIdempotent(ctx, w.Idempotency, result, items, w.At)
	var ce *CanceledError
	if errors.As(err, &ce) {
		for i := range w.Updates {
			if ce.Failed(i) {
				return nil, false, fmt.Errorf("%w (%s)", inventory.ErrStale, ce.Error())
			}
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("write stock: %w", err)
	}
	if replayed {
		levels, err := decodeLevels(res)
		return levels, true, err
	}
	return levels, false, nil
}

// levelUpdate sets a level to its new state if it still has the read version
// (a level never written must still not exist). It writes every attribute of
// stockItem, so the first write creates a complete, listable item. Adjustments,
// transfers and checkouts all change levels this way; a failed condition
// returns the level as it is now.
func levelUpdate(t *Table, tpk string, u inventory.Update) types.TransactWriteItem {
	l := u.Level
	n := func(v int64) types.AttributeValue {
		return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
	}
	values := map[string]types.AttributeValue{
		":onHand": n(l.OnHand), ":version": n(l.Version), ":updatedAt": s(fmtTime(l.UpdatedAt)), ":type": s("StockLevel"),
		":gsi1pk": s(stockListPK(tpk, l.LocationID)), ":variantId": s(l.VariantID), ":locationId": s(l.LocationID),
	}
	cond := "attribute_not_exists(pk)"
	if v := u.ReadVersion(); v > 0 {
		cond = "version = :read"
		values[":read"] = n(v)
	}
	return types.TransactWriteItem{Update: &types.Update{
		TableName: &t.name, Key: stockKey(tpk, l.LocationID, l.VariantID),
		UpdateExpression: aws.String("SET onHand = :onHand, version = :version, updatedAt = :updatedAt, #type = :type, " +
			"gsi1pk = :gsi1pk, gsi1sk = :variantId, locationId = :locationId, variantId = :variantId"),
		ConditionExpression:                 aws.String(cond),
		ExpressionAttributeNames:            map[string]string{"#type": "type"},
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}
}

// levelChanged is the inventory.changed outbox event of one level update.
func levelChanged(ctx context.Context, t *Table, u inventory.Update, at time.Time) (types.TransactWriteItem, error) {
	put, _, err := outboxPut(ctx, t, EventInventoryChanged, inventoryChangedData{
		LocationID: u.Level.LocationID, VariantID: u.Level.VariantID, OnHand: u.Level.OnHand, Version: u.Level.Version,
		Delta: u.Delta, Reason: string(u.Reason), OccurredAt: fmtTime(at),
	}, at)
	return put, err
}

// ListLevels queries gsi1 (`T#<tid>#STOCKLOC#<loc>`, sorted by variant id)
// page by page until limit levels. The index is eventually consistent: a
// change made a moment ago may not be listed yet.
func (st *InventoryStore) ListLevels(ctx context.Context, locationID string, limit int) ([]inventory.StockLevel, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return nil, err
	}
	items, err := queryItems[stockItem](ctx, st.t, &dynamodb.QueryInput{
		TableName: &st.t.name, IndexName: aws.String(IndexGSI1),
		KeyConditionExpression:    aws.String("gsi1pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(stockListPK(tpk, locationID))},
	}, limit, nil)
	if err != nil {
		return nil, fmt.Errorf("list stock levels: %w", err)
	}
	out := make([]inventory.StockLevel, len(items))
	for i, it := range items {
		out[i] = it.domain()
	}
	return out, nil
}

// batchGetConcurrently is BatchGet with its 100-key calls made at once, so a
// read of up to a few hundred keys costs one round trip of latency.
func (t *Table) batchGetConcurrently(ctx context.Context, keys []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	if len(keys) <= maxBatchGet {
		return t.BatchGet(ctx, keys)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		out  []map[string]types.AttributeValue
		errs []error
	)
	for start := 0; start < len(keys); start += maxBatchGet {
		chunk := keys[start:min(start+maxBatchGet, len(keys))]
		wg.Go(func() {
			got, err := t.BatchGet(ctx, chunk)
			mu.Lock()
			defer mu.Unlock()
			out = append(out, got...)
			errs = append(errs, err)
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// inventoryChangedData is the `data` of an inventory.changed event. Version
// orders the events of one level: a consumer keeps only the newest.
type inventoryChangedData struct {
	LocationID string `json:"locationId"`
	VariantID  string `json:"variantId"`
	OnHand     int64  `json:"onHand"`
	Version    int64  `json:"version"`
	Delta      int64  `json:"delta"`
	Reason     string `json:"reason"`
	OccurredAt string `json:"occurredAt"`
}

// levelJSON is a stock level in an idempotency record's stored result.
type levelJSON struct {
	LocationID string `json:"locationId"`
	VariantID  string `json:"variantId"`
	OnHand     int64  `json:"onHand"`
	Version    int64  `json:"version"`
	UpdatedAt  string `json:"updatedAt"`
}

func encodeLevels(levels []inventory.StockLevel) ([]byte, error) {
	out := make([]levelJSON, len(levels))
	for i, l := range levels {
		out[i] = levelJSON{LocationID: l.LocationID, VariantID: l.VariantID, OnHand: l.OnHand, Version: l.Version, UpdatedAt: fmtTime(l.UpdatedAt)}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encode stock result: %w", err)
	}
	return b, nil
}

func decodeLevels(b []byte) ([]inventory.StockLevel, error) {
	var in []levelJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("decode stored stock result: %w", err)
	}
	out := make([]inventory.StockLevel, len(in))
	for i, l := range in {
		out[i] = inventory.StockLevel{LocationID: l.LocationID, VariantID: l.VariantID, OnHand: l.OnHand, Version: l.Version, UpdatedAt: parseTime(l.UpdatedAt)}
	}
	return out, nil
}
