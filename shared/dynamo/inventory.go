package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// Apply writes the levels (each conditioned on the version read, each
// leaving its ledger entry for inventory.changed) and the idempotency
// record in one TransactWriteItems: the record, then one update per level.
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
	items := make([]types.TransactWriteItem, 0, len(w.Updates))
	for _, u := range w.Updates {
		items = append(items, levelUpdate(st.t, tpk, u, w.At))
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

// levelOnHand is how a level write changes onHand: SET to the value named by
// set, or ADD the value named by add. clearOversold removes the oversold
// mark (a write that sets a level to zero or more).
type levelOnHand struct {
	set, add      string
	clearOversold bool
}

// Every write of a stock level goes through levelWrite: it sets every
// attribute of stockItem but onHand and version (so whichever write comes
// first creates a complete, listable item), records the write's ledger
// entry in `change`, and increments `version` by one. The stream's new
// image of the level is therefore exactly one change: its version, the
// on-hand it left, and the entry (InventoryChangedFromImage). Two ways to
// set onHand use it:
//
//   - levelUpdate (adjustments, transfers, counts): SET onHand to the
//     planned value, only if the level still has the version read — the
//     writer knows the exact result and returns it;
//   - levelTake (sales): ADD onHand −quantity whatever the version, only
//     if onHand >= quantity when the level may not go negative — takes of
//     one level commute, so concurrent sales never cancel each other.
//
// A failed condition returns the level as it is now (ALL_OLD).
func levelWrite(t *Table, tpk, locationID, variantID string, entry levelChangeItem, onHand levelOnHand, condition string, values map[string]types.AttributeValue) types.TransactWriteItem {
	values[":type"], values[":gsi1pk"], values[":variantId"], values[":locationId"] = s("StockLevel"), s(stockListPK(tpk, locationID)), s(variantID), s(locationID)
	values[":updatedAt"], values[":change"], values[":one"] = s(entry.OccurredAt), entry.attributeValue(), n(1)
	set := "SET #type = :type, gsi1pk = :gsi1pk, gsi1sk = :variantId, locationId = :locationId, variantId = :variantId, updatedAt = :updatedAt, #change = :change"
	add := " ADD version :one"
	if onHand.set != "" {
		set += ", onHand = " + onHand.set
	}
	if onHand.add != "" {
		add += ", onHand " + onHand.add
	}
	if onHand.clearOversold {
		add += " REMOVE oversoldAt"
	}
	u := &types.Update{
		TableName: &t.name, Key: stockKey(tpk, locationID, variantID),
		UpdateExpression:                    aws.String(set + add),
		ExpressionAttributeNames:            map[string]string{"#type": "type", "#change": "change"},
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	if condition != "" {
		u.ConditionExpression = aws.String(condition)
	}
	return types.TransactWriteItem{Update: u}
}

// levelUpdate sets a level to u's new state if it still has the read
// version (a level never written must still not exist).
func levelUpdate(t *Table, tpk string, u inventory.Update, at time.Time) types.TransactWriteItem {
	l := u.Level
	values := map[string]types.AttributeValue{":onHand": n(l.OnHand)}
	cond := "attribute_not_exists(pk)"
	if v := u.ReadVersion(); v > 0 {
		cond = "version = :read"
		values[":read"] = n(v)
	}
	entry := levelChangeItem{Reason: string(u.Reason), Delta: u.Delta, OccurredAt: fmtTime(at)}
	return levelWrite(t, tpk, l.LocationID, l.VariantID, entry, levelOnHand{set: ":onHand", clearOversold: l.OnHand >= 0}, cond, values)
}

// levelTake subtracts a take's quantity from the level as it is when the
// transaction lands, refusing only a level that would go below zero when
// negative stock is not allowed (a level never written has no onHand and
// so fails that condition too).
func levelTake(t *Table, tpk string, k inventory.Take) types.TransactWriteItem {
	values := map[string]types.AttributeValue{":minus": n(-k.Quantity)}
	cond := ""
	if !k.AllowNegative {
		cond = "onHand >= :qty"
		values[":qty"] = n(k.Quantity)
	}
	entry := levelChangeItem{Reason: string(k.Reason), Delta: -k.Quantity, Reference: k.Reference, OccurredAt: fmtTime(k.At)}
	return levelWrite(t, tpk, k.LocationID, k.VariantID, entry, levelOnHand{add: ":minus"}, cond, values)
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
