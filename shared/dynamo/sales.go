package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/catalog"
	"github.com/renkei-pos/renkei/shared/idempotency"
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
	idemKey, err := st.t.idempotencyKey(ctx, q.Idempotency)
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
			res, err := matchIdempotency(raw, q.Idempotency.Hash)
			if err != nil {
				return sales.Loaded{}, err
			}
			out.ReplayOrderID = string(res)
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
// *sales.StaleError carrying their current values; a record written
// meanwhile by the same request, as its order id and replayed=true.
func (st *SalesStore) SaveSale(ctx context.Context, sale sales.Sale, seq int64, idem idempotency.Request) (string, bool, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return "", false, err
	}
	o := sale.Order
	orderPut, err := putNew(st.t, orderToItem(tpk, o))
	if err != nil {
		return "", false, err
	}
	event, _, err := outboxPut(ctx, st.t, EventOrderCompleted, newOrderCompletedData(o), o.CreatedAt)
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
	stored, replayed, err := st.t.TransactIdempotent(ctx, idem, []byte(o.ID), items, o.CreatedAt)
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
	return string(stored), replayed, nil
}

func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}
