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
	"github.com/renkei-pos/renkei/shared/tenant"
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
	keys := []map[string]types.AttributeValue{key(tpk, skTenant), key(tpk, skLocPrefix+q.LocationID), idemKey}
	regPK := ""
	if _, _, ok := tenant.ParseRegisterID(q.RegisterID); ok { // checked again: it becomes part of a key
		regPK = registerPK(tpk, q.RegisterID)
		keys = append(keys, key(regPK, skRegister))
	}
	if q.CustomerID != "" {
		keys = append(keys, key(customerPK(tpk, q.CustomerID), skCustomer))
	}
	for _, id := range q.VariantIDs {
		keys = append(keys, key(variantPK(tpk, id), skVariant), stockKey(tpk, q.LocationID, id))
	}
	lookupPK := ""
	if q.GiftCardCaller != "" {
		k := giftCardLookupKey(tpk, q.GiftCardCaller, q.GiftCardWindow)
		lookupPK = k[attrPK].(*types.AttributeValueMemberS).Value
		keys = append(keys, k)
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
		case pk == lookupPK:
			var it struct {
				Count int `dynamodbav:"count"`
			}
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return sales.Loaded{}, fmt.Errorf("decode gift card look-ups: %w", err)
			}
			out.GiftCardLookups = it.Count
		case pk == idemPK:
			res, err := matchIdempotency(raw, q.Idempotency.Hash)
			if err != nil {
				return sales.Loaded{}, err
			}
			out.ReplayOrderID = string(res)
		case pk == regPK && sk == skRegister:
			if out.Register, err = registerState(raw); err != nil {
				return sales.Loaded{}, err
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

// registerState decodes a register item with its order sequence (`seq`,
// which registerItem leaves out: only checkout writes it).
func registerState(raw map[string]types.AttributeValue) (*sales.RegisterState, error) {
	var it registerItem
	if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
		return nil, fmt.Errorf("decode register: %w", err)
	}
	rs := &sales.RegisterState{Register: it.domain()}
	if v, ok := raw["seq"]; ok {
		if err := attributevalue.Unmarshal(v, &rs.Seq); err != nil {
			return nil, fmt.Errorf("decode register sequence: %w", err)
		}
	}
	return rs, nil
}

// SaveSale writes the sale in one transaction: the idempotency record
// (TransactIdempotent puts it first), the order, its order.completed event,
// the register's sequence (seq-1 → seq, only while the register exists and
// is active) and one commutative take per stock level (levelTake). That is
// 4 + levels actions — 7 for a sale of 3 tracked variants. The only items
// another sale at the store can touch are the stock levels, and takes
// commute: a sale is cancelled by another only at the same register (the
// next number) or when stock really runs out. A register that moved comes
// back as a *sales.StaleError with its current state, levels that ran
// short with theirs; a record written meanwhile by the same request as its
// order id and replayed=true.
func (st *SalesStore) SaveSale(ctx context.Context, sale sales.Sale, seq int64, idem idempotency.Request) (string, bool, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return "", false, err
	}
	o := sale.Order
	oit := orderToItem(tpk, o)
	var event types.TransactWriteItem
	if o.Status == sales.StatusPendingPayment {
		// A card sale waiting for its card: its stock is reserved on the
		// order, and the pending index entry takes the event's place
		// (order.completed is written when it settles: pending.go).
		oit.Reserved = reservedOf(sale)
		event, err = pendingPut(ctx, st.t, o, sale.CardAccountID)
	} else {
		event, _, err = outboxPut(ctx, st.t, EventOrderCompleted, newOrderCompletedData(o), o.CreatedAt)
	}
	if err != nil {
		return "", false, err
	}
	orderPut, err := putNew(st.t, oit)
	if err != nil {
		return "", false, err
	}
	register := &types.Update{
		TableName: &st.t.name, Key: key(registerPK(tpk, o.RegisterID), skRegister),
		UpdateExpression:                    aws.String("SET seq = :seq"),
		ConditionExpression:                 aws.String("attribute_exists(pk) AND attribute_not_exists(deactivatedAt) AND "),
		ExpressionAttributeValues:           map[string]types.AttributeValue{":seq": n(seq)},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	if seq == 1 {
		*register.ConditionExpression += "attribute_not_exists(seq)"
	} else {
		*register.ConditionExpression += "seq = :prev"
		register.ExpressionAttributeValues[":prev"] = n(seq - 1)
	}
	items := []types.TransactWriteItem{orderPut, event, {Update: register}}
	const registerAt, firstTake = 2, 3
	takes := sale.Takes()
	for _, k := range takes {
		items = append(items, levelTake(st.t, tpk, k))
	}
	items, cards, err := st.giftCardWrites(ctx, sale, items)
	if err != nil {
		return "", false, err
	}
	stored, replayed, err := st.t.TransactIdempotent(ctx, idem, []byte(o.ID), items, o.CreatedAt)
	var ce *CanceledError
	if errors.As(err, &ce) {
		for _, c := range cards { // a card's refusal is the answer: nothing was written
			if ce.Failed(c.at) {
				return "", false, GiftCardRefusal(ce.Items[c.at], c.amount, o.CreatedAt, c.field...)
			}
		}
		stale := &sales.StaleError{Levels: map[string]inventory.StockLevel{}}
		if ce.Failed(registerAt) {
			stale.RegisterMoved = true
			if old := ce.Items[registerAt]; old != nil {
				if stale.Register, err = registerState(old); err != nil {
					return "", false, err
				}
			}
		}
		for i, k := range takes {
			if !ce.Failed(firstTake + i) {
				continue
			}
			l := inventory.StockLevel{LocationID: k.LocationID, VariantID: k.VariantID}
			if old := ce.Items[firstTake+i]; old != nil {
				var it stockItem
				if err := attributevalue.UnmarshalMap(old, &it); err != nil {
					return "", false, fmt.Errorf("decode stock level: %w", err)
				}
				l = it.domain()
			}
			stale.Levels[k.VariantID] = l
		}
		if stale.RegisterMoved || len(stale.Levels) > 0 {
			return "", false, stale
		}
		return "", false, fmt.Errorf("save sale: %w", err)
	}
	if err != nil {
		return "", false, err
	}
	return string(stored), replayed, nil
}

// giftCardAction is where a card's Update sits in a sale's transaction,
// and the input field and amount its refusal names.
type giftCardAction struct {
	at     int
	amount int64
	field  []string
}

// giftCardWrites appends to items the sale's gift card loads and redeems
// (three actions each, GiftCardLoadWrites / GiftCardRedeemWrites: the card's
// conditioned Update, its activity, its gift_card.activity event) and says
// where each card's Update is. Loads set a first-activated card's expiry
// from the tenant's validity policy.
func (st *SalesStore) giftCardWrites(ctx context.Context, sale sales.Sale, items []types.TransactWriteItem) ([]types.TransactWriteItem, []giftCardAction, error) {
	o := sale.Order
	redeems := sale.Redeems()
	if len(o.GiftCardLoads) == 0 && len(redeems) == 0 {
		return items, nil, nil
	}
	by := o.StaffID
	if by == "" {
		by = o.APIKeyID
	}
	move := func(number string, amount int64) GiftCardMove {
		return GiftCardMove{Number: number, Amount: amount, By: by, LocationID: o.LocationID, RegisterID: o.RegisterID, OrderID: o.ID, At: o.CreatedAt}
	}
	var cards []giftCardAction
	for i, l := range o.GiftCardLoads {
		ws, err := GiftCardLoadWrites(ctx, st.t, move(l.Number, l.Amount), sale.GiftCardValidityMonths, o.CreatedAt)
		if err != nil {
			return nil, nil, err
		}
		cards = append(cards, giftCardAction{at: len(items) + GiftCardCardAction, amount: l.Amount,
			field: []string{"input", "giftCardLoads", strconv.Itoa(i), "number"}})
		items = append(items, ws...)
	}
	for _, r := range redeems {
		ws, err := GiftCardRedeemWrites(ctx, st.t, move(r.Number, r.Amount), o.CreatedAt)
		if err != nil {
			return nil, nil, err
		}
		cards = append(cards, giftCardAction{at: len(items) + GiftCardCardAction, amount: r.Amount,
			field: []string{"input", "payments", strconv.Itoa(r.PaymentIndex), "giftCardNumber"}})
		items = append(items, ws...)
	}
	return items, cards, nil
}

func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}
