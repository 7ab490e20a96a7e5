package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/giftcards"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/integrations"
)

// Gift cards (docs/data-model.md, Gift cards), one partition per card:
//
//   - the card: T#<tid>#GIFTCARD#<number> / CARD: number, state, balance
//     (only ever changed by ADD, with version ADD 1), customerId, issuedAt,
//     activatedAt, expiresAt (and expiresMs, unix ms, what conditions
//     compare), flaggedAt, updatedAt;
//   - its activities: same partition / ACT#<at, fixed-width RFC 3339>#<id>,
//     so a card's ledger is one Query, newest first when read backwards.
//
// Every balance change is one transaction of three actions, in this order:
// the card's Update, the activity's Put and the gift_card.activity outbox
// event. The builders below return those three for a sale, a refund or an
// offline sale to include in its own transaction.
const (
	pkGiftCardInfix    = "#GIFTCARD#"
	skGiftCard         = "CARD"
	skGiftActPrefix    = "ACT#"
	giftCardActLayout  = "2006-01-02T15:04:05.000000000Z07:00"
	giftCardItemType   = "GiftCard"
	giftCardActType    = "GiftCardActivity"
	giftCardActIDPrefx = "gca"
)

// EventGiftCardActivity is the outbox event written with every activity.
const EventGiftCardActivity = integrations.EventGiftCardActivity

// GiftCardCardAction is the index of the card's Update in the actions a
// builder returns: a cancellation whose reason at that position is
// ConditionalCheckFailed is the card's refusal (GiftCardRefusal tells which).
const GiftCardCardAction = 0

// GiftCardMove is one balance change of a card made as part of a bigger
// write (a sale, a refund, an offline sale).
type GiftCardMove struct {
	Number     string // validated (giftcards.ParseNumber)
	Amount     int64  // > 0: the yen loaded, spent or paid back
	By         string // user or API key id
	LocationID string
	RegisterID string
	OrderID    string
	RefundID   string
	Reason     string
	At         time.Time // when it happened (an offline sale: when it was made)
}

func giftCardPK(tpk, number string) string { return tpk + pkGiftCardInfix + number }

// giftCardItem is the card as stored.
type giftCardItem struct {
	PK          string `dynamodbav:"pk"`
	SK          string `dynamodbav:"sk"`
	Type        string `dynamodbav:"type"`
	Number      string `dynamodbav:"number"`
	State       string `dynamodbav:"state"`
	Balance     int64  `dynamodbav:"balance"`
	CustomerID  string `dynamodbav:"customerId,omitempty"`
	IssuedAt    string `dynamodbav:"issuedAt"`
	ActivatedAt string `dynamodbav:"activatedAt,omitempty"`
	ExpiresAt   string `dynamodbav:"expiresAt,omitempty"`
	ExpiresMs   int64  `dynamodbav:"expiresMs,omitempty"`
	FlaggedAt   string `dynamodbav:"flaggedAt,omitempty"`
	Version     int64  `dynamodbav:"version"`
	UpdatedAt   string `dynamodbav:"updatedAt,omitempty"`
}

func (it giftCardItem) domain() giftcards.Card {
	return giftcards.Card{Number: it.Number, State: giftcards.State(it.State), Balance: it.Balance, CustomerID: it.CustomerID,
		IssuedAt: optParse(it.IssuedAt), ExpiresAt: optParse(it.ExpiresAt), FlaggedAt: optParse(it.FlaggedAt),
		Version: it.Version, UpdatedAt: optParse(it.UpdatedAt)}
}

// giftActivityItem is one activity as stored.
type giftActivityItem struct {
	PK           string `dynamodbav:"pk"`
	SK           string `dynamodbav:"sk"`
	Type         string `dynamodbav:"type"`
	ID           string `dynamodbav:"id"`
	Kind         string `dynamodbav:"kind"`
	Amount       int64  `dynamodbav:"amount"`
	BalanceAfter *int64 `dynamodbav:"balanceAfter,omitempty"`
	By           string `dynamodbav:"who,omitempty"`
	LocationID   string `dynamodbav:"locationId,omitempty"`
	RegisterID   string `dynamodbav:"registerId,omitempty"`
	At           string `dynamodbav:"at"`
	OrderID      string `dynamodbav:"orderId,omitempty"`
	RefundID     string `dynamodbav:"refundId,omitempty"`
	Reason       string `dynamodbav:"reason,omitempty"`
}

func (it giftActivityItem) domain() giftcards.Activity {
	a := giftcards.Activity{ID: it.ID, Kind: giftcards.Kind(it.Kind), Amount: it.Amount, By: it.By, LocationID: it.LocationID,
		RegisterID: it.RegisterID, At: parseTime(it.At), OrderID: it.OrderID, RefundID: it.RefundID, Reason: it.Reason}
	if it.BalanceAfter != nil {
		a.BalanceAfter, a.HasBalanceAfter = *it.BalanceAfter, true
	}
	return a
}

// giftCardActivityData is the body of a gift_card.activity event: never the
// whole number.
type giftCardActivityData struct {
	Card       string `json:"card"` // masked to the last four digits
	Last4      string `json:"last4"`
	ActivityID string `json:"activityId"`
	Kind       string `json:"kind"`
	Amount     int64  `json:"amount"`
	LocationID string `json:"locationId,omitempty"`
	RegisterID string `json:"registerId,omitempty"`
	OrderID    string `json:"orderId,omitempty"`
	RefundID   string `json:"refundId,omitempty"`
	OccurredAt string `json:"occurredAt"`
}

// giftActivityWrites returns the activity's Put and its outbox event's Put.
func giftActivityWrites(ctx context.Context, t *Table, tpk, number string, kind giftcards.Kind, signed int64, balanceAfter *int64,
	m GiftCardMove, now time.Time) ([]types.TransactWriteItem, error) {
	at := m.At
	if at.IsZero() {
		at = now
	}
	id := ids.NewAt(giftCardActIDPrefx, at)
	it := giftActivityItem{PK: giftCardPK(tpk, number), SK: skGiftActPrefix + at.UTC().Format(giftCardActLayout) + "#" + id,
		Type: giftCardActType, ID: id, Kind: string(kind), Amount: signed, BalanceAfter: balanceAfter, By: m.By,
		LocationID: m.LocationID, RegisterID: m.RegisterID, At: fmtTime(at), OrderID: m.OrderID, RefundID: m.RefundID, Reason: m.Reason}
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return nil, fmt.Errorf("encode gift card activity: %w", err)
	}
	ev, _, err := outboxPut(ctx, t, EventGiftCardActivity, giftCardActivityData{Card: giftcards.Mask(number), Last4: giftcards.Last4(number),
		ActivityID: id, Kind: string(kind), Amount: signed, LocationID: m.LocationID, RegisterID: m.RegisterID, OrderID: m.OrderID,
		RefundID: m.RefundID, OccurredAt: fmtTime(at)}, now)
	if err != nil {
		return nil, err
	}
	put := types.TransactWriteItem{Put: &types.Put{TableName: &t.name, Item: av, ConditionExpression: aws.String("attribute_not_exists(pk)")}}
	return []types.TransactWriteItem{put, ev}, nil
}

func checkMove(m GiftCardMove) error {
	if m.Number == "" || m.Amount <= 0 {
		return fmt.Errorf("%w: a number and a positive amount are required (card %s, amount %d)", ErrGiftCardMove, giftcards.Mask(m.Number), m.Amount)
	}
	return nil
}

// giftCardMoveWrites assembles the card's Update with the activity and event.
func giftCardMoveWrites(ctx context.Context, t *Table, m GiftCardMove, kind giftcards.Kind, signed int64, upd *types.Update,
	now time.Time) ([]types.TransactWriteItem, error) {
	if err := checkMove(m); err != nil {
		return nil, err
	}
	tpk, err := tenantPK(ctx)
	if err != nil {
		return nil, err
	}
	upd.TableName = &t.name
	upd.Key = key(giftCardPK(tpk, m.Number), skGiftCard)
	upd.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	rest, err := giftActivityWrites(ctx, t, tpk, m.Number, kind, signed, nil, m, now)
	if err != nil {
		return nil, err
	}
	return append([]types.TransactWriteItem{{Update: upd}}, rest...), nil
}

// GiftCardLoadWrites returns the three actions of loading m.Amount onto a
// card (card Update, LOAD activity, outbox event; the Update first): it
// activates a PENDING card or creates an ACTIVE one never seen (a printed
// card's first load), setting expiresAt to m.At + validityMonths
// (giftcards.ExpiresAt) only at activation, and adds to an ACTIVE card that
// has not expired. A DEACTIVATED or expired card fails the Update's
// condition (GiftCardRefusal: INVALID).
func GiftCardLoadWrites(ctx context.Context, t *Table, m GiftCardMove, validityMonths int, now time.Time) ([]types.TransactWriteItem, error) {
	at := m.At
	if at.IsZero() {
		at = now
	}
	exp := giftcards.ExpiresAt(at, validityMonths)
	upd := &types.Update{
		UpdateExpression: aws.String("SET #type = :type, #num = :num, #st = :active, issuedAt = if_not_exists(issuedAt, :at), " +
			"activatedAt = if_not_exists(activatedAt, :at), expiresAt = if_not_exists(expiresAt, :exp), " +
			"expiresMs = if_not_exists(expiresMs, :expMs), updatedAt = :nowS ADD balance :a, version :one"),
		ConditionExpression:      aws.String("attribute_not_exists(pk) OR #st = :pending OR (#st = :active AND expiresMs > :nowMs)"),
		ExpressionAttributeNames: map[string]string{"#type": "type", "#num": "number", "#st": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":type": s(giftCardItemType), ":num": s(m.Number), ":active": s(string(giftcards.Active)), ":pending": s(string(giftcards.Pending)),
			":at": s(fmtTime(at)), ":exp": s(fmtTime(exp)), ":expMs": n(exp.UnixMilli()), ":nowS": s(fmtTime(now)),
			":nowMs": n(now.UnixMilli()), ":a": n(m.Amount), ":one": n(1),
		},
	}
	return giftCardMoveWrites(ctx, t, m, giftcards.Load, m.Amount, upd, now)
}

// GiftCardRedeemWrites returns the three actions of spending m.Amount from
// a card online (card Update first): ADD balance -amount, conditioned on
// balance >= amount, state ACTIVE and expiry after now, so concurrent
// spends never take more than the card holds. A failed condition is the
// card's refusal (GiftCardRefusal: INSUFFICIENT_BALANCE, INVALID or
// NOT_FOUND).
func GiftCardRedeemWrites(ctx context.Context, t *Table, m GiftCardMove, now time.Time) ([]types.TransactWriteItem, error) {
	upd := &types.Update{
		UpdateExpression:         aws.String("SET updatedAt = :nowS ADD balance :neg, version :one"),
		ConditionExpression:      aws.String("balance >= :a AND #st = :active AND expiresMs > :nowMs"),
		ExpressionAttributeNames: map[string]string{"#st": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":nowS": s(fmtTime(now)), ":neg": n(-m.Amount), ":one": n(1),
			":a": n(m.Amount), ":active": s(string(giftcards.Active)), ":nowMs": n(now.UnixMilli())},
	}
	return giftCardMoveWrites(ctx, t, m, giftcards.Redeem, -m.Amount, upd, now)
}

// GiftCardOfflineRedeemWrites returns the three actions of a redemption an
// offline register already made (card Update first): it always applies to
// an existing card whatever its state, expiry or balance (the balance may go
// below zero: call MarkGiftCardsFlagged after the transaction). Only a card
// that does not exist fails the condition (GiftCardRefusal: NOT_FOUND).
func GiftCardOfflineRedeemWrites(ctx context.Context, t *Table, m GiftCardMove, now time.Time) ([]types.TransactWriteItem, error) {
	upd := &types.Update{
		UpdateExpression:          aws.String("SET updatedAt = :nowS ADD balance :neg, version :one"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":nowS": s(fmtTime(now)), ":neg": n(-m.Amount), ":one": n(1)},
	}
	return giftCardMoveWrites(ctx, t, m, giftcards.Redeem, -m.Amount, upd, now)
}

// GiftCardRefundWrites returns the three actions of paying m.Amount back
// onto a card (card Update first; REFUND activity with m.RefundID): the
// card must exist and not be DEACTIVATED (GiftCardRefusal: NOT_FOUND or
// INVALID); an expired card takes it back too (its balance stays owed).
func GiftCardRefundWrites(ctx context.Context, t *Table, m GiftCardMove, now time.Time) ([]types.TransactWriteItem, error) {
	upd := &types.Update{
		UpdateExpression:         aws.String("SET updatedAt = :nowS ADD balance :a, version :one"),
		ConditionExpression:      aws.String("attribute_exists(pk) AND #st <> :deact"),
		ExpressionAttributeNames: map[string]string{"#st": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":nowS": s(fmtTime(now)), ":a": n(m.Amount), ":one": n(1),
			":deact": s(string(giftcards.Deactivated))},
	}
	return giftCardMoveWrites(ctx, t, m, giftcards.Refund, m.Amount, upd, now)
}

// ReasonCardPaymentFailed is the reason of the activity that gives a
// GIFT_CARD payment back when its sale's CARD payment failed.
const ReasonCardPaymentFailed = "card payment failed"

// GiftCardReversalWrites returns the three actions of giving back a
// redemption whose sale was cancelled before it was paid (a card sale
// declined, expired or whose intent was canceled; card Update first; REFUND
// activity with m.Reason, ReasonCardPaymentFailed when empty, and
// m.OrderID). It conditions only on the card existing: a balance given
// back to a card deactivated or expired meanwhile is still owed.
func GiftCardReversalWrites(ctx context.Context, t *Table, m GiftCardMove, now time.Time) ([]types.TransactWriteItem, error) {
	if m.Reason == "" {
		m.Reason = ReasonCardPaymentFailed
	}
	upd := &types.Update{
		UpdateExpression:          aws.String("SET updatedAt = :nowS ADD balance :a, version :one"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":nowS": s(fmtTime(now)), ":a": n(m.Amount), ":one": n(1)},
	}
	return giftCardMoveWrites(ctx, t, m, giftcards.Refund, m.Amount, upd, now)
}

// GiftCardRefusal explains a card Update's failed condition from the card
// as it was (CanceledError.Items[i]; nil when absent): NOT_FOUND for no card,
// INVALID for a card not ACTIVE (PENDING, DEACTIVATED) or expired, and
// INSUFFICIENT_BALANCE for one holding less than amount. field is the
// input path the userError names, e.g. ["input","payments","0","giftCardNumber"].
func GiftCardRefusal(old map[string]types.AttributeValue, amount int64, now time.Time, field ...string) error {
	if len(old) == 0 {
		return apperr.New(apperr.NotFound, "no such gift card", field...)
	}
	var it giftCardItem
	if err := attributevalue.UnmarshalMap(old, &it); err != nil {
		return fmt.Errorf("decode gift card: %w", err)
	}
	c := it.domain()
	switch {
	case c.State == giftcards.Deactivated:
		return apperr.New(apperr.Invalid, "the gift card "+giftcards.Mask(c.Number)+" is deactivated", field...)
	case c.State == giftcards.Pending:
		return apperr.New(apperr.Invalid, "the gift card "+giftcards.Mask(c.Number)+" is not activated", field...)
	case c.Expired(now):
		return apperr.New(apperr.Invalid, "the gift card "+giftcards.Mask(c.Number)+" has expired", field...)
	case c.Balance < amount:
		return apperr.New(apperr.InsufficientBalance, "the gift card "+giftcards.Mask(c.Number)+" holds "+strconv.FormatInt(c.Balance, 10)+" yen", field...)
	}
	return apperr.New(apperr.Conflict, "the gift card changed meanwhile; try again", field...)
}

// MarkGiftCardsFlagged marks the cards whose balance an offline sale took
// below zero (flaggedAt = at, once), after that sale's transaction.
func MarkGiftCardsFlagged(ctx context.Context, t *Table, numbers []string, at time.Time) error {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return err
	}
	for _, num := range numbers {
		cctx, cancel := t.call(ctx)
		_, err := t.client.UpdateItem(cctx, &dynamodb.UpdateItemInput{TableName: &t.name, Key: key(giftCardPK(tpk, num), skGiftCard),
			UpdateExpression:          aws.String("SET flaggedAt = :at"),
			ConditionExpression:       aws.String("attribute_exists(pk) AND balance < :zero AND attribute_not_exists(flaggedAt)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":at": s(fmtTime(at)), ":zero": n(0)}})
		cancel()
		var ccf *types.ConditionalCheckFailedException
		if err != nil && !errors.As(err, &ccf) {
			return fmt.Errorf("flag gift card %s: %w", giftcards.Mask(num), err)
		}
	}
	return nil
}

// ErrGiftCardMove is returned (wrapped) by the builders for a move without a
// number or a positive amount: a programming error, not bad input.
var ErrGiftCardMove = errors.New("invalid gift card move")
