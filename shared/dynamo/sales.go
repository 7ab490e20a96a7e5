package dynamo

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/catalog"
	"github.com/renkei-pos/renkei/shared/inventory"
	"github.com/renkei-pos/renkei/shared/sales"
)

// SalesStore implements sales.Store on the single table.
type SalesStore struct {
	t   *Table
	Now func() time.Time
}

var _ sales.Store = (*SalesStore)(nil)

// NewSalesStore returns the sales store.
func NewSalesStore(t *Table) *SalesStore { return &SalesStore{t: t, Now: time.Now} }

// LoadSale reads everything a checkout depends on in one BatchGetItem.
func (st *SalesStore) LoadSale(ctx context.Context, q sales.SaleQuery) (sales.Loaded, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return sales.Loaded{}, err
	}
	idemKey, err := st.t.idempotencyKey(ctx, opCheckout, q.Idempotency.Key)
	if err != nil {
		return sales.Loaded{}, err
	}
	keys := []map[string]types.AttributeValue{key(tpk, skTenant), key(tpk, skLocPrefix+q.LocationID), idemKey, key(orderSeqPK(tpk, q.LocationID), skOrderSeq)}
	if q.CustomerID != "" {
		keys = append(keys, key(customerPK(tpk, q.CustomerID), skCustomer))
	}
	for _, id := range q.VariantIDs {
		keys = append(keys, key(variantPK(tpk, id), skVariant), stockKey(tpk, q.LocationID, id))
	}
	raws, err := st.t.BatchGet(ctx, keys)
	if err != nil {
		return sales.Loaded{}, fmt.Errorf("load sale: %w", err)
	}
	out := sales.Loaded{Snapshot: sales.Snapshot{Variants: map[string]catalog.Variant{}, Levels: map[string]inventory.StockLevel{}}}
	idemPK := idemKey[attrPK].(*types.AttributeValueMemberS).Value
	tenantFound := false
	for _, raw := range raws {
		pk, sk := raw[attrPK].(*types.AttributeValueMemberS).Value, raw[attrSK].(*types.AttributeValueMemberS).Value
		switch {
		case pk == idemPK:
			res, ok, err := matchIdempotency(raw, q.Idempotency.RequestHash)
			if err != nil {
				return sales.Loaded{}, err
			}
			if ok {
				out.ReplayOrderID = string(res)
			}
		case sk == skOrderSeq:
			if err := attributevalue.Unmarshal(raw["seq"], &out.OrderSeq); err != nil {
				return sales.Loaded{}, fmt.Errorf("decode order counter: %w", err)
			}
		case pk == tpk && sk == skTenant:
			var it tenantItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return sales.Loaded{}, fmt.Errorf("decode tenant: %w", err)
			}
			out.Snapshot.Tenant, tenantFound = it.domain(), true
		case pk == tpk:
			var it locationItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return sales.Loaded{}, fmt.Errorf("decode location: %w", err)
			}
			out.Snapshot.Location, out.LocationFound = it.domain(), true
		case sk == skCustomer:
			var it customerItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return sales.Loaded{}, fmt.Errorf("decode customer: %w", err)
			}
			c := it.domain()
			out.Snapshot.Customer, out.CustomerFound = &c, true
		case sk == skStock:
			var it stockItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return sales.Loaded{}, fmt.Errorf("decode stock level: %w", err)
			}
			out.Snapshot.Levels[it.VariantID] = it.domain()
		case sk == skVariant:
			var it variantItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return sales.Loaded{}, fmt.Errorf("decode variant: %w", err)
			}
			out.Snapshot.Variants[it.ID] = it.domain()
		}
	}
	if !tenantFound {
		return sales.Loaded{}, errors.New("load sale: tenant record missing")
	}
	return out, nil
}

// SaveSale writes the sale in one transaction: idempotency record, order,
// order.completed event, the location's order counter (seq-1 → seq) and, per
// decrement, the stock level conditioned on the version read plus its
// inventory.changed event. A counter or level that moved comes back as a
// *sales.StaleError carrying their current values.
func (st *SalesStore) SaveSale(ctx context.Context, sale sales.Sale, seq int64, idem sales.Idempotency) (string, bool, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return "", false, err
	}
	o := sale.Order
	orderPut, err := putNew(st.t, orderToItem(tpk, o))
	if err != nil {
		return "", false, err
	}
	event, _, err := outboxPut(ctx, st.t, EventOrderCompleted, orderCompletedEvent(o), o.CreatedAt)
	if err != nil {
		return "", false, err
	}
	counter := &types.Update{
		TableName: &st.t.name, Key: key(orderSeqPK(tpk, o.LocationID), skOrderSeq),
		UpdateExpression:                    aws.String("SET seq = :seq"),
		ConditionExpression:                 aws.String("attribute_not_exists(seq) AND :prev = :zero OR seq = :prev"),
		ExpressionAttributeValues:           map[string]types.AttributeValue{":seq": n(seq), ":prev": n(seq - 1), ":zero": n(0)},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	items := []types.TransactWriteItem{orderPut, event, {Update: counter}}
	const counterAt, firstLevel = 2, 3
	for _, d := range sale.Decrements {
		items = append(items, levelUpdate(st.t, tpk, d.Update(o.CreatedAt)))
	}
	for _, d := range sale.Decrements {
		put, err := levelChanged(ctx, st.t, d.Update(o.CreatedAt), o.CreatedAt)
		if err != nil {
			return "", false, err
		}
		items = append(items, put)
	}
	_, replayed, err := st.t.TransactIdempotent(ctx, Idempotency{Operation: opCheckout, Key: idem.Key, RequestHash: idem.RequestHash, Result: []byte(o.ID)}, items, o.CreatedAt)
	var ce *CanceledError
	if errors.As(err, &ce) {
		stale := &sales.StaleError{Levels: map[string]inventory.StockLevel{}}
		moved := false
		if ce.Failed(counterAt) {
			var current int64
			if old := ce.Items[counterAt]; old != nil {
				if err := attributevalue.Unmarshal(old["seq"], &current); err != nil {
					return "", false, fmt.Errorf("decode order counter: %w", err)
				}
			}
			stale.Seq, moved = &current, true
		}
		for i, d := range sale.Decrements {
			if !ce.Failed(firstLevel + i) {
				continue
			}
			moved = true
			var it stockItem
			if old := ce.Items[firstLevel+i]; old != nil {
				if err := attributevalue.UnmarshalMap(old, &it); err != nil {
					return "", false, fmt.Errorf("decode stock level: %w", err)
				}
				stale.Levels[d.VariantID] = it.domain()
			}
		}
		if moved {
			return "", false, stale
		}
		return "", false, fmt.Errorf("save sale: %w", err)
	}
	if err != nil {
		return "", false, err
	}
	if replayed {
		res, _, lerr := st.t.LookupIdempotency(ctx, Idempotency{Operation: opCheckout, Key: idem.Key, RequestHash: idem.RequestHash})
		if lerr != nil {
			return "", false, lerr
		}
		return string(res), true, nil
	}
	return o.ID, false, nil
}

func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

// GetOrder reads one order of the tenant in ctx.
func (st *SalesStore) GetOrder(ctx context.Context, id string) (sales.Order, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return sales.Order{}, err
	}
	var it orderItem
	found, err := st.t.get(ctx, key(orderPK(tpk, id), skOrder), &it)
	if err != nil {
		return sales.Order{}, fmt.Errorf("get order: %w", err)
	}
	if !found {
		return sales.Order{}, apperr.New(apperr.NotFound, "order not found")
	}
	return it.domain(), nil
}

// maxOrderPages bounds the pages read per partition for one listing when a
// status filter skips items.
const maxOrderPages = 20

// ListOrders pages newest first through one location's (or one customer's)
// orders, or merges every location's partition when no location is given.
func (st *SalesStore) ListOrders(ctx context.Context, f sales.OrderFilter, first int, after string) ([]sales.Order, string, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return nil, "", err
	}
	lo, hi, cursor := "0", "9", ""
	if !f.From.IsZero() {
		lo = f.From.UTC().Format(sortTime)
	}
	if !f.To.IsZero() {
		hi = f.To.UTC().Format(sortTime) + "#~"
	}
	if after != "" {
		c, err := decodeCursor(after)
		if err != nil || len(c) < len(sortTime) {
			return nil, "", apperr.New(apperr.Invalid, "after is not a cursor from this list", "after")
		}
		cursor = c
		if c < hi {
			hi = c
		}
	}
	type part struct{ index, pk string }
	var parts []part
	switch {
	case f.CustomerID != "":
		parts = []part{{IndexGSI2, customerOrdersPK(tpk, f.CustomerID)}}
	case f.LocationID != "":
		parts = []part{{IndexGSI1, orderListPK(tpk, f.LocationID)}}
	default:
		locs, err := NewTenantStore(st.t).ListLocations(ctx)
		if err != nil {
			return nil, "", err
		}
		for _, l := range locs {
			parts = append(parts, part{IndexGSI1, orderListPK(tpk, l.ID)})
		}
	}
	var mu sync.Mutex
	var all []orderItem
	var firstErr error
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, p := range parts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			items, err := st.queryOrders(ctx, p.index, p.pk, lo, hi, cursor, f, first+1)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			all = append(all, items...)
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, "", firstErr
	}
	sort.Slice(all, func(i, j int) bool { return all[i].GSI1SK > all[j].GSI1SK })
	all, next := cutPage(all, first, func(it orderItem) string { return it.GSI1SK })
	out := make([]sales.Order, len(all))
	for i, it := range all {
		out[i] = it.domain()
	}
	return out, next, nil
}

func (st *SalesStore) queryOrders(ctx context.Context, index, pk, lo, hi, cursor string, f sales.OrderFilter, want int) ([]orderItem, error) {
	pkAttr, skAttr := "gsi1pk", "gsi1sk"
	if index == IndexGSI2 {
		pkAttr, skAttr = "gsi2pk", "gsi2sk"
	}
	in := &dynamodb.QueryInput{
		TableName: &st.t.name, IndexName: aws.String(index), ScanIndexForward: aws.Bool(false), Limit: aws.Int32(int32(want)),
		KeyConditionExpression:    aws.String(fmt.Sprintf("%s = :pk AND %s BETWEEN :lo AND :hi", pkAttr, skAttr)),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(pk), ":lo": s(lo), ":hi": s(hi)},
	}
	var filters []string
	names := map[string]string{}
	if f.Status != "" {
		filters = append(filters, "#st = :st")
		names["#st"] = "status"
		in.ExpressionAttributeValues[":st"] = s(string(f.Status))
	}
	if f.CustomerID != "" && f.LocationID != "" {
		filters = append(filters, "locationId = :loc")
		in.ExpressionAttributeValues[":loc"] = s(f.LocationID)
	}
	if len(filters) > 0 {
		in.FilterExpression = aws.String(strings.Join(filters, " AND "))
		in.Limit = aws.Int32(100)
	}
	if len(names) > 0 {
		in.ExpressionAttributeNames = names
	}
	var out []orderItem
	for page := 0; page < maxOrderPages; page++ {
		cctx, cancel := st.t.call(ctx)
		res, err := st.t.client.Query(cctx, in)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("list orders: %w", err)
		}
		for _, raw := range res.Items {
			var it orderItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return nil, fmt.Errorf("decode order: %w", err)
			}
			if it.GSI1SK == cursor {
				continue // BETWEEN is inclusive; the cursor's own order was on the last page
			}
			out = append(out, it)
			if len(out) >= want {
				return out, nil
			}
		}
		if res.LastEvaluatedKey == nil {
			break
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
	return out, nil
}
