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
	"github.com/renkei-pos/renkei/shared/tenant"
)

// Offline sync: one read of everything a batch needs (BatchGetItem, 100
// keys a call, the calls at once), then a few transactions of many sales
// each. A group's transaction holds per sale its idempotency record, order
// and order.completed event, one update of the register's sequence for the
// whole group, and per stock level ONE take: the group's takes of a level
// are merged into one levelWrite whose delta is their sum and whose
// reference lists the group's orders that took it (space-separated). Two
// actions of a transaction may not touch one item, and merging (rather than
// spreading sales of a popular item over many groups) keeps a 500-sale sync
// at ~20 transactions however the sales overlap. The ledger stays exact:
// each version of the level is one change whose delta is what it did, and
// each order names its own quantities.

var _ sales.OfflineStore = (*SalesStore)(nil)

// offlineReadWave is how many keys a sync reads at once (8 BatchGetItem
// calls in parallel). A typical sync of 500 sales needs fewer; what bounds
// the keys of one is its body (1 MiB of lines naming variants), so a sync
// naming thousands of variants reads them in waves rather than in hundreds
// of calls at once.
const offlineReadWave = 8 * maxBatchGet

// LoadOffline reads the tenant, locations, registers, customers, variants,
// stock levels and idempotency records of a sync.
func (st *SalesStore) LoadOffline(ctx context.Context, q sales.OfflineQuery) (sales.OfflineLoaded, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return sales.OfflineLoaded{}, err
	}
	keys := []map[string]types.AttributeValue{key(tpk, skTenant)}
	for _, id := range q.LocationIDs {
		keys = append(keys, key(tpk, skLocPrefix+id))
	}
	for _, id := range q.RegisterIDs {
		if _, _, ok := tenant.ParseRegisterID(id); ok { // checked again: it becomes part of a key
			keys = append(keys, key(registerPK(tpk, id), skRegister))
		}
	}
	for _, id := range q.CustomerIDs {
		keys = append(keys, key(customerPK(tpk, id), skCustomer))
	}
	for _, id := range q.VariantIDs {
		keys = append(keys, key(variantPK(tpk, id), skVariant))
	}
	for _, l := range q.Levels {
		keys = append(keys, stockKey(tpk, l.LocationID, l.VariantID))
	}
	hashes := map[string]string{} // record pk → request hash
	keyOf := map[string]string{}  // record pk → clientSaleId
	for _, r := range q.Requests {
		k, err := st.t.idempotencyKey(ctx, r)
		if err != nil {
			return sales.OfflineLoaded{}, err
		}
		pk := k[attrPK].(*types.AttributeValueMemberS).Value
		hashes[pk], keyOf[pk] = r.Hash, r.Key
		keys = append(keys, k)
	}
	var raws []map[string]types.AttributeValue
	for start := 0; start < len(keys); start += offlineReadWave {
		got, err := st.t.batchGetConcurrently(ctx, keys[start:min(start+offlineReadWave, len(keys))])
		if err != nil {
			return sales.OfflineLoaded{}, fmt.Errorf("load offline sales: %w", err)
		}
		raws = append(raws, got...)
	}
	out := sales.OfflineLoaded{Locations: map[string]tenant.Location{}, Registers: map[string]sales.RegisterState{}, Customers: map[string]sales.Customer{},
		Variants: map[string]catalog.Variant{}, Levels: map[inventory.LevelKey]inventory.StockLevel{}, Replays: map[string]sales.Replay{}}
	tenantFound := false
	for _, raw := range raws {
		pk, sk := raw[attrPK].(*types.AttributeValueMemberS).Value, raw[attrSK].(*types.AttributeValueMemberS).Value
		var derr error
		switch {
		case hashes[pk] != "":
			res, err := matchIdempotency(raw, hashes[pk])
			out.Replays[keyOf[pk]] = sales.Replay{ID: string(res), Err: err}
		case sk == skRegister:
			var rs *sales.RegisterState
			if rs, derr = registerState(raw); derr == nil {
				out.Registers[rs.Register.ID] = *rs
			}
		case pk == tpk && sk == skTenant:
			var it tenantItem
			derr = attributevalue.UnmarshalMap(raw, &it)
			out.Tenant, tenantFound = it.domain(), true
		case pk == tpk:
			var it locationItem
			derr = attributevalue.UnmarshalMap(raw, &it)
			out.Locations[it.ID] = it.domain()
		case sk == skCustomer:
			var it customerItem
			derr = attributevalue.UnmarshalMap(raw, &it)
			out.Customers[it.ID] = it.domain()
		case sk == skStock:
			var it stockItem
			derr = attributevalue.UnmarshalMap(raw, &it)
			out.Levels[inventory.LevelKey{LocationID: it.LocationID, VariantID: it.VariantID}] = it.domain()
		case sk == skVariant:
			var it variantItem
			derr = attributevalue.UnmarshalMap(raw, &it)
			out.Variants[it.ID] = it.domain()
		}
		if derr != nil {
			return sales.OfflineLoaded{}, fmt.Errorf("load offline sales: decode %s: %w", sk, derr)
		}
	}
	if !tenantFound {
		return sales.OfflineLoaded{}, errors.New("load offline sales: tenant record missing")
	}
	return out, nil
}

// SaveOfflineGroup writes a group of one register's sales in one
// transaction: 3 actions per sale (record, order, event), then the
// register's sequence, then one merged take per level.
func (st *SalesStore) SaveOfflineGroup(ctx context.Context, g sales.OfflineGroup, now time.Time) error {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return err
	}
	var items []types.TransactWriteItem
	type merged struct {
		take inventory.Take
		refs []string
	}
	takes := map[inventory.LevelKey]*merged{}
	var order []inventory.LevelKey
	for _, w := range g.Sales {
		o := w.Sale.Order
		record, err := st.t.idempotencyPut(ctx, w.Idempotency, []byte(o.ID), now)
		if err != nil {
			return err
		}
		orderPut, err := putNew(st.t, orderToItem(tpk, o))
		if err != nil {
			return err
		}
		event, _, err := outboxPut(ctx, st.t, EventOrderCompleted, newOrderCompletedData(o), now)
		if err != nil {
			return err
		}
		items = append(items, record, orderPut, event)
		for _, k := range w.Sale.Takes() {
			lk := inventory.LevelKey{LocationID: k.LocationID, VariantID: k.VariantID}
			m := takes[lk]
			if m == nil {
				m = &merged{take: k}
				m.take.Quantity = 0
				takes[lk] = m
				order = append(order, lk)
			}
			m.take.Quantity += k.Quantity
			m.take.AllowNegative = true // a sale that happened is never refused for stock
			m.take.At = maxTime(m.take.At, k.At)
			m.refs = append(m.refs, k.Reference)
		}
	}
	registerAt := len(items)
	last := g.Register.Seq + int64(len(g.Sales))
	register := &types.Update{
		TableName: &st.t.name, Key: key(registerPK(tpk, g.Register.Register.ID), skRegister),
		UpdateExpression:                    aws.String("SET seq = :seq"),
		ConditionExpression:                 aws.String("attribute_exists(pk) AND attribute_not_exists(deactivatedAt) AND "),
		ExpressionAttributeValues:           map[string]types.AttributeValue{":seq": n(last)},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	if g.Register.Seq == 0 {
		*register.ConditionExpression += "attribute_not_exists(seq)"
	} else {
		*register.ConditionExpression += "seq = :prev"
		register.ExpressionAttributeValues[":prev"] = n(g.Register.Seq)
	}
	items = append(items, types.TransactWriteItem{Update: register})
	for _, lk := range order {
		m := takes[lk]
		m.take.Reference = strings.Join(m.refs, " ")
		items = append(items, levelTake(st.t, tpk, m.take))
	}
	// Gift card payments a register took offline always apply (the card
	// may go below zero; the sync flags it after): 3 actions per card,
	// last. A group spends a card once (sales.groupSize).
	type cardAt struct{ sale, payment, at int }
	var cards []cardAt
	for i, w := range g.Sales {
		o := w.Sale.Order
		for _, r := range w.Sale.Redeems() {
			writes, err := GiftCardOfflineRedeemWrites(ctx, st.t, GiftCardMove{Number: r.Number, Amount: r.Amount, By: staffKey(o.StaffID, o.APIKeyID),
				LocationID: o.LocationID, RegisterID: o.RegisterID, OrderID: o.ID, At: o.CreatedAt}, now)
			if err != nil {
				return err
			}
			cards = append(cards, cardAt{sale: i, payment: r.PaymentIndex, at: len(items) + GiftCardCardAction})
			items = append(items, writes...)
		}
	}
	err = st.t.Transact(ctx, items)
	var ce *CanceledError
	if !errors.As(err, &ce) {
		return err
	}
	conflict := &sales.OfflineConflict{Replays: map[int]sales.Replay{}}
	for i, w := range g.Sales {
		if ce.Failed(3 * i) {
			if ce.Items[3*i] == nil {
				return errors.New("save offline sales: a record exists but the cancellation did not return it")
			}
			res, err := matchIdempotency(ce.Items[3*i], w.Idempotency.Hash)
			conflict.Replays[i] = sales.Replay{ID: string(res), Err: err}
		}
	}
	if ce.Failed(registerAt) {
		conflict.RegisterMoved = true
		if old := ce.Items[registerAt]; old != nil {
			if conflict.Register, err = registerState(old); err != nil {
				return err
			}
		}
	}
	for _, c := range cards {
		if ce.Failed(c.at) {
			if conflict.Rejected == nil {
				conflict.Rejected = map[int]error{}
			}
			conflict.Rejected[c.sale] = apperr.New(apperr.NotFound, "no such gift card", "input", "payments", strconv.Itoa(c.payment), "giftCardNumber")
		}
	}
	if !conflict.RegisterMoved && len(conflict.Replays) == 0 && len(conflict.Rejected) == 0 {
		return fmt.Errorf("save offline sales: %w", ce)
	}
	return conflict
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// GetOrders reads orders by id with BatchGetItem.
func (st *SalesStore) GetOrders(ctx context.Context, ids []string) (map[string]sales.Order, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return nil, err
	}
	keys := make([]map[string]types.AttributeValue, 0, len(ids))
	seen := map[string]bool{}
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			keys = append(keys, key(orderPK(tpk, id), skOrder))
		}
	}
	raws, err := st.t.batchGetConcurrently(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("get orders: %w", err)
	}
	out := make(map[string]sales.Order, len(raws))
	for _, raw := range raws {
		var it orderItem
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return nil, fmt.Errorf("decode order: %w", err)
		}
		out[it.ID] = it.domain()
	}
	return out, nil
}

// How a level is known to be oversold: after a sync's transactions, one
// conditional UpdateItem per level it took from sets `oversoldAt` only if
// `onHand < 0` (and it is not set already). The condition is evaluated on
// the level as it is then, so concurrent sales and syncs cannot hide a
// level that went negative, as a projection from the read level could. The
// mark is not a stock change: it leaves onHand, version and change as they
// are (a stream reader derives the same inventory.changed, with the same
// id, from the new image, and drops it as a duplicate); a write that sets
// the level to a counted value (levelUpdate) clears it.
const markOversoldAtOnce = 16

// MarkGiftCardsFlagged flags the cards whose balance is below zero now
// (an offline sale spent more than they held).
func (st *SalesStore) MarkGiftCardsFlagged(ctx context.Context, numbers []string, at time.Time) error {
	return MarkGiftCardsFlagged(ctx, st.t, numbers, at)
}

// MarkOversold marks the levels below zero as oversold at at.
func (st *SalesStore) MarkOversold(ctx context.Context, levels []inventory.LevelKey, at time.Time) error {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return err
	}
	sort.Slice(levels, func(i, j int) bool { return levels[i].VariantID < levels[j].VariantID })
	var wg sync.WaitGroup
	sem := make(chan struct{}, markOversoldAtOnce)
	errs := make([]error, len(levels))
	for i, l := range levels {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			cctx, cancel := st.t.call(ctx)
			defer cancel()
			_, err := st.t.client.UpdateItem(cctx, &dynamodb.UpdateItemInput{
				TableName: &st.t.name, Key: stockKey(tpk, l.LocationID, l.VariantID),
				UpdateExpression:          aws.String("SET oversoldAt = :at"),
				ConditionExpression:       aws.String("onHand < :zero AND attribute_not_exists(oversoldAt)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":at": s(fmtTime(at)), ":zero": n(0)},
			})
			var ccf *types.ConditionalCheckFailedException
			if err != nil && !errors.As(err, &ccf) {
				errs[i] = fmt.Errorf("mark level %s/%s oversold: %w", l.LocationID, l.VariantID, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
