package dynamo

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/giftcards"
)

// GiftCardStore reads gift cards and writes the managers' changes.
type GiftCardStore struct{ t *Table }

// NewGiftCardStore returns the gift card store.
func NewGiftCardStore(t *Table) *GiftCardStore { return &GiftCardStore{t: t} }

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
