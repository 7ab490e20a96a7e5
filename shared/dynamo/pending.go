package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// Card sales waiting for their card (sales/card.go, sales/pending.go).
//
// Pending index: one platform item per PENDING_PAYMENT order, pk
// `PENDINGPAY#<UTC hour of createdAt>` (e.g. PENDINGPAY#2026-11-30T06), sk
// `<createdAt>#<tenantId>#<orderId>`, written in the sale's transaction and
// deleted in the one that settles it. The expiry job queries the hour
// buckets of its lookback window with sk < cutoff: no Scan, and writes
// spread over one partition per hour (card sales of every tenant in an hour
// stay far below a partition's 1,000 writes/s). The item carries the tenant
// id, the order id, the connected account and the intent id (when known),
// and a TTL a week on as a backstop.
//
// Event dedupe: `T#<tid>#PAYEVT#<evt id>` / `PAYEVT`, put (only if absent)
// in the transaction that applies a processor event; kept 30 days (Stripe
// retries an event for 3 days).

const (
	pkPendingPay    = "PENDINGPAY#"
	skPayEvent      = "PAYEVT"
	pendingBucket   = "2006-01-02T15"
	pendingIndexTTL = 7 * 24 * time.Hour
	payEventTTL     = 30 * 24 * time.Hour
)

// ReasonSaleCanceled is the ledger reason of stock given back by a card
// sale that was cancelled before it was paid.
const ReasonSaleCanceled = "SALE_CANCELED"

// PendingStore implements sales.PendingStore on the single table.
type PendingStore struct{ t *Table }

var _ sales.PendingStore = (*PendingStore)(nil)

// NewPendingStore returns the card payment state machine's store.
func NewPendingStore(t *Table) *PendingStore { return &PendingStore{t: t} }

type reservedItem struct {
	VariantID string `dynamodbav:"variantId"`
	Quantity  int64  `dynamodbav:"quantity"`
}

func reservedOf(sale sales.Sale) []reservedItem {
	out := make([]reservedItem, len(sale.Decrements))
	for i, d := range sale.Decrements {
		out[i] = reservedItem{VariantID: d.VariantID, Quantity: d.Quantity}
	}
	return out
}

type pendingItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	Type      string `dynamodbav:"type"`
	TenantID  string `dynamodbav:"tenantId"`
	OrderID   string `dynamodbav:"orderId"`
	AccountID string `dynamodbav:"accountId,omitempty"`
	IntentID  string `dynamodbav:"intentId,omitempty"`
	CreatedAt string `dynamodbav:"createdAt"`
	TTL       int64  `dynamodbav:"ttl"`
}

func pendingKey(tenantID string, o sales.Order) map[string]types.AttributeValue {
	at := o.CreatedAt.UTC()
	return key(pkPendingPay+at.Format(pendingBucket), at.Format(sortTime)+"#"+tenantID+"#"+o.ID)
}

// pendingPut is the pending index entry of a PENDING_PAYMENT order.
func pendingPut(ctx context.Context, t *Table, o sales.Order, accountID string) (types.TransactWriteItem, error) {
	tid, err := tenant.IDFrom(ctx)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	k := pendingKey(tid, o)
	it := pendingItem{PK: k[attrPK].(*types.AttributeValueMemberS).Value, SK: k[attrSK].(*types.AttributeValueMemberS).Value, Type: "PendingPayment",
		TenantID: tid, OrderID: o.ID, AccountID: accountID, CreatedAt: fmtTime(o.CreatedAt), TTL: o.CreatedAt.Add(pendingIndexTTL).Unix()}
	for _, p := range o.Payments {
		if p.Method == sales.Card {
			it.IntentID = p.Reference
		}
	}
	return putNew(t, it)
}

// Settle moves a PENDING_PAYMENT order (sales.PendingStore): a GetItem of
// the order (none when the caller knows it, set.Known), then one
// TransactWriteItems of the order (conditioned on still being pending), its
// pending index entry's delete, the dedupe record when an event is applied,
// and either the order.completed event or one level write per reserved
// level giving the stock back (levelWrite: each is an inventory.changed)
// plus each GIFT_CARD payment given back onto its card (giftCardReversals).
func (st *PendingStore) Settle(ctx context.Context, set sales.Settlement) (sales.Order, bool, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return sales.Order{}, false, err
	}
	tid, _ := tenant.IDFrom(ctx)
	var (
		o        sales.Order
		reserved []reservedItem
	)
	if k := set.Known; k != nil && k.Order.ID == set.OrderID && k.Order.Status == sales.StatusPendingPayment {
		// As written by this process; the status condition below proves it
		// is still so.
		o, reserved = k.Order, reservedOf(*k)
		o.Payments = append([]sales.Payment(nil), o.Payments...)
	} else {
		it, err := getOrNotFound[orderItem](ctx, st.t, key(orderPK(tpk, set.OrderID), skOrder), "order", apperr.New(apperr.NotFound, "order not found"))
		if err != nil {
			return sales.Order{}, false, err
		}
		o, reserved = it.domain(), it.Reserved
		if o.Status != sales.StatusPendingPayment {
			return o, false, nil
		}
	}
	if set.EventID != "" && !eventMatches(o, set) {
		return o, false, nil
	}
	o.Status = sales.StatusCanceled
	if set.Paid {
		o.Status = sales.StatusCompleted
	}
	for i, p := range o.Payments {
		if p.Method != sales.Card {
			continue
		}
		if set.IntentID != "" {
			o.Payments[i].Reference = set.IntentID
		}
		if set.Paid {
			o.Payments[i].Status = sales.PaymentSucceeded
		} else {
			o.Payments[i].Status, o.Payments[i].DeclineCode = sales.PaymentFailed, set.DeclineCode
		}
	}
	av, err := attributevalue.MarshalMap(orderToItem(tpk, o))
	if err != nil {
		return sales.Order{}, false, fmt.Errorf("marshal order: %w", err)
	}
	items := []types.TransactWriteItem{
		{Put: &types.Put{TableName: &st.t.name, Item: av, ConditionExpression: aws.String("#status = :pending"),
			ExpressionAttributeNames:  map[string]string{"#status": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":pending": s(string(sales.StatusPendingPayment))}}},
		{Delete: &types.Delete{TableName: &st.t.name, Key: pendingKey(tid, o)}},
	}
	if set.EventID != "" {
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &st.t.name, ConditionExpression: aws.String("attribute_not_exists(pk)"),
			Item: map[string]types.AttributeValue{attrPK: s(tpk + "#PAYEVT#" + set.EventID), attrSK: s(skPayEvent), "type": s("PaymentEvent"),
				"orderId": s(o.ID), "createdAt": s(fmtTime(set.At)), attrTTL: n(set.At.Add(payEventTTL).Unix())}}})
	}
	if set.Paid {
		event, _, err := outboxPut(ctx, st.t, EventOrderCompleted, newOrderCompletedData(o), set.At)
		if err != nil {
			return sales.Order{}, false, err
		}
		items = append(items, event)
	} else {
		for _, r := range reserved {
			entry := levelChangeItem{Reason: ReasonSaleCanceled, Delta: r.Quantity, Reference: o.ID, OccurredAt: fmtTime(set.At)}
			items = append(items, levelWrite(st.t, tpk, o.LocationID, r.VariantID, entry, levelOnHand{add: ":plus"}, "",
				map[string]types.AttributeValue{":plus": n(r.Quantity)}))
		}
		// The sale's GIFT_CARD payments were redeemed in its reservation:
		// each goes back onto its card in this same transaction.
		reversals, err := giftCardReversals(ctx, st.t, o, set.At)
		if err != nil {
			return sales.Order{}, false, err
		}
		items = append(items, reversals...)
	}
	err = st.t.Transact(ctx, items)
	var ce *CanceledError
	if errors.As(err, &ce) {
		// Another settlement (a webhook, the checkout, an expiry run) or
		// this very event got there first: the order is final now.
		var now orderItem
		if _, err := st.t.get(ctx, key(orderPK(tpk, set.OrderID), skOrder), &now); err != nil {
			return sales.Order{}, false, fmt.Errorf("get order: %w", err)
		}
		return now.domain(), false, nil
	}
	if err != nil {
		return sales.Order{}, false, fmt.Errorf("settle order %s: %w", set.OrderID, err)
	}
	return o, true, nil
}

// giftCardReversals gives each GIFT_CARD payment of a cancelled card sale
// back onto its card (GiftCardReversalWrites: three actions per card, which
// the reservation held too, so the cancel stays within its size).
func giftCardReversals(ctx context.Context, t *Table, o sales.Order, at time.Time) ([]types.TransactWriteItem, error) {
	by := o.StaffID
	if by == "" {
		by = o.APIKeyID
	}
	var out []types.TransactWriteItem
	for _, p := range o.Payments {
		if p.Method != sales.GiftCard || p.GiftCardNumber == "" || p.Amount <= 0 {
			continue
		}
		ws, err := GiftCardReversalWrites(ctx, t, GiftCardMove{Number: p.GiftCardNumber, Amount: p.Amount, By: by,
			LocationID: o.LocationID, RegisterID: o.RegisterID, OrderID: o.ID, At: at, Reason: ReasonCardPaymentFailed}, at)
		if err != nil {
			return nil, err
		}
		out = append(out, ws...)
	}
	return out, nil
}

// eventMatches reports whether a webhook's intent is the order's: the
// intent id the order holds (if any yet) and the card payment's amount.
func eventMatches(o sales.Order, set sales.Settlement) bool {
	for _, p := range o.Payments {
		if p.Method != sales.Card {
			continue
		}
		if p.Reference != "" && p.Reference != set.IntentID {
			return false
		}
		if set.Amount != 0 && p.Amount != set.Amount {
			return false
		}
	}
	return true
}

// ExpiredPending queries the pending index's hour buckets from
// before−lookback to before, oldest first, keeping entries created before
// `before` (sales.PendingStore).
func (st *PendingStore) ExpiredPending(ctx context.Context, before time.Time, lookback time.Duration, limit int) ([]sales.PendingRef, error) {
	before = before.UTC()
	cutoff := before.Format(sortTime)
	var out []sales.PendingRef
	for h := before.Add(-lookback).Truncate(time.Hour); !h.After(before) && len(out) < limit; h = h.Add(time.Hour) {
		items, err := queryItems[pendingItem](ctx, st.t, &dynamodb.QueryInput{
			TableName:                 &st.t.name,
			KeyConditionExpression:    aws.String("pk = :pk AND sk < :cutoff"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(pkPendingPay + h.Format(pendingBucket)), ":cutoff": s(cutoff)},
			ConsistentRead:            aws.Bool(true),
		}, limit-len(out), nil)
		if err != nil {
			return nil, fmt.Errorf("list pending payments: %w", err)
		}
		for _, it := range items {
			out = append(out, sales.PendingRef{TenantID: it.TenantID, OrderID: it.OrderID, AccountID: it.AccountID, IntentID: it.IntentID, CreatedAt: parseTime(it.CreatedAt)})
		}
	}
	return out, nil
}
