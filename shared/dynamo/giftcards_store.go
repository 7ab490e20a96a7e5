package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/giftcards"
)

// GiftCardStore reads gift cards and writes the managers' changes.
type GiftCardStore struct {
	t *Table
	// Now stamps the ledger markers' expiry (tests pin it).
	Now func() time.Time
}

// NewGiftCardStore returns the gift card store.
func NewGiftCardStore(t *Table) *GiftCardStore { return &GiftCardStore{t: t, Now: time.Now} }

// errNoGiftCard is the answer for a number the tenant in ctx has no card
// under: another tenant's card is the same answer.
func errNoGiftCard() error { return apperr.New(apperr.NotFound, "no such gift card", "number") }

// GiftCardKey is the key of a card of the tenant in ctx, for a caller that
// reads it in its own BatchGetItem (decode with DecodeGiftCard).
func GiftCardKey(ctx context.Context, number string) (map[string]types.AttributeValue, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return nil, err
	}
	return key(giftCardPK(tpk, number), skGiftCard), nil
}

// DecodeGiftCard decodes a card item read at GiftCardKey.
func DecodeGiftCard(raw map[string]types.AttributeValue) (giftcards.Card, error) {
	var it giftCardItem
	if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
		return giftcards.Card{}, fmt.Errorf("decode gift card: %w", err)
	}
	return it.domain(), nil
}

// GetCard reads one card; NOT_FOUND when the tenant in ctx has none under number.
func (st *GiftCardStore) GetCard(ctx context.Context, number string) (giftcards.Card, error) {
	k, err := GiftCardKey(ctx, number)
	if err != nil {
		return giftcards.Card{}, err
	}
	it, err := getOrNotFound[giftCardItem](ctx, st.t, k, "gift card", errNoGiftCard())
	if err != nil {
		return giftcards.Card{}, err
	}
	return it.domain(), nil
}

// Activities returns a card's activities newest first, at most first, and
// the cursor of the next page ("" at the end).
func (st *GiftCardStore) Activities(ctx context.Context, number string, first int, after string) ([]giftcards.Activity, string, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return nil, "", err
	}
	query := "giftCardActivities|" + number
	hi := skGiftActPrefix + "~"
	if after != "" {
		c, ok := unbindCursor(query, after)
		if !ok || !strings.HasPrefix(c, skGiftActPrefix) {
			return nil, "", errCursor()
		}
		hi = c
	}
	in := &dynamodb.QueryInput{TableName: &st.t.name,
		KeyConditionExpression:    aws.String("pk = :pk AND sk BETWEEN :lo AND :hi"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(giftCardPK(tpk, number)), ":lo": s(skGiftActPrefix), ":hi": s(hi)},
		ScanIndexForward:          aws.Bool(false),
	}
	got, err := queryItems[giftActivityItem](ctx, st.t, in, first+1, func(it *giftActivityItem) bool { return it.SK != hi })
	if err != nil {
		return nil, "", err
	}
	page, next := cutPage(got, first, query, func(it giftActivityItem) string { return it.SK })
	out := make([]giftcards.Activity, len(page))
	for i, it := range page {
		out[i] = it.domain()
	}
	return out, next, nil
}

var _ giftcards.Store = (*GiftCardStore)(nil)

// CreateCard stores a new card (an e-gift, PENDING); CONFLICT when the
// number is taken.
func (st *GiftCardStore) CreateCard(ctx context.Context, c giftcards.Card) error {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return err
	}
	it := giftCardItem{PK: giftCardPK(tpk, c.Number), SK: skGiftCard, Type: giftCardItemType, Number: c.Number, State: string(c.State),
		Balance: c.Balance, CustomerID: c.CustomerID, IssuedAt: fmtTime(c.IssuedAt), Version: c.Version, UpdatedAt: fmtTime(c.UpdatedAt)}
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return fmt.Errorf("encode gift card: %w", err)
	}
	cctx, cancel := st.t.call(ctx)
	defer cancel()
	_, err = st.t.client.PutItem(cctx, &dynamodb.PutItemInput{TableName: &st.t.name, Item: av, ConditionExpression: aws.String("attribute_not_exists(pk)")})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return apperr.New(apperr.Conflict, "the gift card number is taken", "number")
	}
	if err != nil {
		return fmt.Errorf("put gift card %s: %w", giftcards.Mask(c.Number), err)
	}
	return nil
}

// Change writes a manager's change: the card's new state and balance
// (conditioned on prev's version), the activity with its balance after,
// and the gift_card.activity event, in one transaction.
func (st *GiftCardStore) Change(ctx context.Context, prev, next giftcards.Card, act giftcards.Activity, now time.Time) error {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return err
	}
	upd := types.TransactWriteItem{Update: &types.Update{TableName: &st.t.name, Key: key(giftCardPK(tpk, prev.Number), skGiftCard),
		UpdateExpression:         aws.String("SET #st = :st, balance = :b, version = :next, updatedAt = :now"),
		ConditionExpression:      aws.String("version = :prev"),
		ExpressionAttributeNames: map[string]string{"#st": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":st": s(string(next.State)), ":b": n(next.Balance),
			":next": n(prev.Version + 1), ":prev": n(prev.Version), ":now": s(fmtTime(now))},
	}}
	after := next.Balance
	rest, err := giftActivityWrites(ctx, st.t, tpk, prev.Number, act.Kind, act.Amount, &after,
		GiftCardMove{Number: prev.Number, By: act.By, LocationID: act.LocationID, RegisterID: act.RegisterID, Reason: act.Reason, At: act.At}, now)
	if err != nil {
		return err
	}
	err = st.t.Transact(ctx, append([]types.TransactWriteItem{upd}, rest...))
	var ce *CanceledError
	if errors.As(err, &ce) && ce.Failed(0) {
		return apperr.New(apperr.Conflict, "the gift card changed meanwhile; try again", "input", "number")
	}
	if err != nil {
		return fmt.Errorf("change gift card %s: %w", giftcards.Mask(prev.Number), err)
	}
	return nil
}

// giftCardLookupKey is the key of a caller's look-up count in the window
// starting at start (CountLookup writes it; a checkout naming a gift card
// reads it in its one BatchGetItem).
func giftCardLookupKey(tpk, caller string, start time.Time) map[string]types.AttributeValue {
	return key(tpk+"#GCLOOKUP#"+caller, strconv.FormatInt(start.Unix(), 10))
}

// CountLookup counts a look-up by number: T#<tid>#GCLOOKUP#<caller> /
// <window start, unix s>, ADD 1 while under max, kept two windows (TTL).
func (st *GiftCardStore) CountLookup(ctx context.Context, caller string, at time.Time, window time.Duration, max int) error {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return err
	}
	start := at.Truncate(window)
	cctx, cancel := st.t.call(ctx)
	defer cancel()
	_, err = st.t.client.UpdateItem(cctx, &dynamodb.UpdateItemInput{TableName: &st.t.name,
		Key:                       giftCardLookupKey(tpk, caller, start),
		UpdateExpression:          aws.String("ADD #c :one SET #ttl = :ttl"),
		ConditionExpression:       aws.String("attribute_not_exists(#c) OR #c < :max"),
		ExpressionAttributeNames:  map[string]string{"#c": "count", "#ttl": attrTTL},
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": n(1), ":max": n(int64(max)), ":ttl": n(start.Add(2 * window).Unix())},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return apperr.Newf(apperr.RateLimited, []string{"number"}, "too many gift card look-ups: at most %d a %s; try again later", max, window)
	}
	if err != nil {
		return fmt.Errorf("count gift card look-up: %w", err)
	}
	return nil
}
