package dynamo

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/giftcards"
)

// A redemption of a card sale cancelled before it was paid goes back onto
// its card even when the card was deactivated meanwhile (the balance stays
// owed); only a card that does not exist refuses it.
func TestGiftCardWrites_ReversalAppliesToADeactivatedCard(t *testing.T) {
	tbl := mustTable(t)
	ctx := tenantCtx(t)
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	items, _ := GiftCardLoadWrites(ctx, tbl, GiftCardMove{Number: testCard, Amount: 1000, At: now}, 6, now)
	if err := tbl.Transact(ctx, items); err != nil {
		t.Fatal(err)
	}
	items, _ = GiftCardRedeemWrites(ctx, tbl, GiftCardMove{Number: testCard, Amount: 300, OrderID: "ord_1", At: now}, now)
	if err := tbl.Transact(ctx, items); err != nil {
		t.Fatal(err)
	}
	tpk, _ := tenantPK(ctx)
	deact := types.TransactWriteItem{Update: &types.Update{TableName: &tbl.name, Key: key(giftCardPK(tpk, testCard), skGiftCard),
		UpdateExpression: aws.String("SET #st = :d"), ExpressionAttributeNames: map[string]string{"#st": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":d": s(string(giftcards.Deactivated))}}}
	if err := tbl.Transact(ctx, []types.TransactWriteItem{deact}); err != nil {
		t.Fatal(err)
	}
	later := now.Add(15 * time.Minute)
	items, err := GiftCardReversalWrites(ctx, tbl, GiftCardMove{Number: testCard, Amount: 300, OrderID: "ord_1", At: later}, later)
	if err != nil || len(items) != 3 {
		t.Fatalf("reversal writes: %d %v", len(items), err)
	}
	var ev map[string]any
	if err := attributevalue.UnmarshalMap(items[2].Put.Item, &ev); err != nil {
		t.Fatal(err)
	}
	if ev["eventType"] != EventGiftCardActivity || !contains(ev["data"].(string), `"kind":"REFUND"`) || contains(ev["data"].(string), testCard) {
		t.Fatalf("event: %v", ev)
	}
	if err := tbl.Transact(ctx, items); err != nil {
		t.Fatal(err)
	}
	c, _ := readCard(t, ctx, tbl, testCard)
	if c.Balance != 1000 || c.State != giftcards.Deactivated {
		t.Fatalf("after reversal: %+v", c)
	}
	acts, _, err := NewGiftCardStore(tbl).Activities(ctx, testCard, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, a := range acts {
		if a.Kind == giftcards.Refund && a.Amount == 300 && a.Reason == ReasonCardPaymentFailed && a.OrderID == "ord_1" {
			found = true
		}
	}
	if !found || len(acts) != 3 {
		t.Fatalf("activities: %+v", acts)
	}
	// A card that does not exist is refused (NOT_FOUND), nothing written.
	items, _ = GiftCardReversalWrites(ctx, tbl, GiftCardMove{Number: "4000000000000010", Amount: 1, At: later}, later)
	if err := refusal(t, tbl.Transact(ctx, items), 1, later); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("reversal onto no card: %v", err)
	}
}
