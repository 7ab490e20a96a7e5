package dynamo

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/giftcards"
)

const testCard = "4000000000000002" // Luhn-valid

func readCard(tb testing.TB, ctx context.Context, tbl *Table, number string) (giftcards.Card, bool) {
	tb.Helper()
	tpk, err := tenantPK(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	var it giftCardItem
	found, err := tbl.get(ctx, key(giftCardPK(tpk, number), skGiftCard), &it)
	if err != nil {
		tb.Fatal(err)
	}
	return it.domain(), found
}

func countActivities(tb testing.TB, ctx context.Context, tbl *Table, number string) int {
	tb.Helper()
	acts, _, err := NewGiftCardStore(tbl).Activities(ctx, number, 100, "")
	if err != nil {
		tb.Fatal(err)
	}
	return len(acts)
}

func refusal(tb testing.TB, err error, amount int64, now time.Time) error {
	tb.Helper()
	var ce *CanceledError
	if !errors.As(err, &ce) || !ce.Failed(GiftCardCardAction) {
		tb.Fatalf("want the card's condition to fail, got %v", err)
	}
	return GiftCardRefusal(ce.Items[GiftCardCardAction], amount, now, "input", "payments", "0", "giftCardNumber")
}

func TestGiftCardWrites_LoadRedeemRefund(t *testing.T) {
	tbl := mustTable(t)
	ctx := tenantCtx(t)
	now := time.Date(2026, 8, 31, 10, 0, 0, 0, time.UTC)
	move := GiftCardMove{Number: testCard, Amount: 5000, By: "usr_1", LocationID: "loc_1", OrderID: "ord_1", At: now}

	// A redeem of a card never seen: NOT_FOUND, nothing written.
	items, err := GiftCardRedeemWrites(ctx, tbl, move, now)
	if err != nil || len(items) != 3 {
		t.Fatalf("redeem writes: %d %v", len(items), err)
	}
	if err := refusal(t, tbl.Transact(ctx, items), 5000, now); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("redeem of no card: %v", err)
	}

	// The first load creates the card ACTIVE with its expiry.
	items, err = GiftCardLoadWrites(ctx, tbl, move, 6, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := tbl.Transact(ctx, items); err != nil {
		t.Fatal(err)
	}
	c, _ := readCard(t, ctx, tbl, testCard)
	wantExp := time.Date(2027, 2, 28, 10, 0, 0, 0, time.UTC)
	if c.State != giftcards.Active || c.Balance != 5000 || c.Version != 1 || !c.ExpiresAt.Equal(wantExp) {
		t.Fatalf("after load: %+v", c)
	}
	// A reload adds but keeps the expiry.
	later := now.Add(24 * time.Hour)
	move.At = later
	items, _ = GiftCardLoadWrites(ctx, tbl, move, 6, later)
	if err := tbl.Transact(ctx, items); err != nil {
		t.Fatal(err)
	}
	// Redeem 8000 of 10000, then 3000 more is INSUFFICIENT_BALANCE.
	spend := move
	spend.Amount = 8000
	items, _ = GiftCardRedeemWrites(ctx, tbl, spend, later)
	if err := tbl.Transact(ctx, items); err != nil {
		t.Fatal(err)
	}
	spend.Amount = 3000
	items, _ = GiftCardRedeemWrites(ctx, tbl, spend, later)
	if err := refusal(t, tbl.Transact(ctx, items), 3000, later); !apperr.Is(err, apperr.InsufficientBalance) {
		t.Fatalf("overspend: %v", err)
	} else if e := (*apperr.Error)(nil); errors.As(err, &e) && len(e.Field) != 4 {
		t.Fatalf("field: %v", e.Field)
	}
	// A refund back onto the card.
	back := GiftCardMove{Number: testCard, Amount: 1000, RefundID: "ref_1", At: later}
	items, _ = GiftCardRefundWrites(ctx, tbl, back, later)
	if err := tbl.Transact(ctx, items); err != nil {
		t.Fatal(err)
	}
	c, _ = readCard(t, ctx, tbl, testCard)
	if c.Balance != 3000 || c.Version != 4 || !c.ExpiresAt.Equal(wantExp) {
		t.Fatalf("after reload, spend, refund: %+v", c)
	}
	if got := countActivities(t, ctx, tbl, testCard); got != 4 {
		t.Fatalf("activities: %d", got)
	}

	// Past its expiry the card neither pays nor loads: INVALID.
	expired := wantExp.Add(time.Second)
	spend.Amount = 1
	items, _ = GiftCardRedeemWrites(ctx, tbl, spend, expired)
	if err := refusal(t, tbl.Transact(ctx, items), 1, expired); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("expired redeem: %v", err)
	}
	items, _ = GiftCardLoadWrites(ctx, tbl, move, 6, expired)
	if err := refusal(t, tbl.Transact(ctx, items), 1, expired); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("expired load: %v", err)
	}
}

func TestGiftCardWrites_OfflineGoesNegativeAndFlags(t *testing.T) {
	tbl := mustTable(t)
	ctx := tenantCtx(t)
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	load := GiftCardMove{Number: testCard, Amount: 1000, At: now}
	items, _ := GiftCardLoadWrites(ctx, tbl, load, 6, now)
	if err := tbl.Transact(ctx, items); err != nil {
		t.Fatal(err)
	}
	spend := GiftCardMove{Number: testCard, Amount: 1500, OrderID: "ord_off", At: now.Add(-time.Hour)}
	items, _ = GiftCardOfflineRedeemWrites(ctx, tbl, spend, now)
	if err := tbl.Transact(ctx, items); err != nil {
		t.Fatal(err)
	}
	if err := MarkGiftCardsFlagged(ctx, tbl, []string{testCard}, now); err != nil {
		t.Fatal(err)
	}
	// Marking again keeps the first mark.
	if err := MarkGiftCardsFlagged(ctx, tbl, []string{testCard}, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	c, _ := readCard(t, ctx, tbl, testCard)
	if c.Balance != -500 || !c.Flagged() || !c.FlaggedAt.Equal(now) {
		t.Fatalf("after offline overspend: %+v", c)
	}
	// An offline redemption of a card that does not exist is refused.
	items, _ = GiftCardOfflineRedeemWrites(ctx, tbl, GiftCardMove{Number: "4000000000000010", Amount: 1, At: now}, now)
	if err := refusal(t, tbl.Transact(ctx, items), 1, now); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("offline redeem of no card: %v", err)
	}
}

func TestGiftCardWrites_EventIsMasked(t *testing.T) {
	tbl := mustTable(t)
	ctx := tenantCtx(t)
	now := time.Now().UTC()
	items, err := GiftCardLoadWrites(ctx, tbl, GiftCardMove{Number: testCard, Amount: 100, At: now}, 6, now)
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := attributevalue.UnmarshalMap(items[2].Put.Item, &ev); err != nil {
		t.Fatal(err)
	}
	data, _ := ev["data"].(string)
	if ev["eventType"] != EventGiftCardActivity || data == "" || contains(data, testCard) || !contains(data, `"card":"************0002"`) {
		t.Fatalf("event: %v", ev)
	}
	// The stream aggregator reads its ledger entry back from the image.
	e, ok, err := EventFromImage(items[2].Put.Item)
	if err != nil || !ok {
		t.Fatalf("event from image: %v %v", ok, err)
	}
	le, err := LedgerEntryFromEvent(e)
	if err != nil || le.Amount != 100 || le.EventID != e.ID || le.TenantID == "" || !le.OccurredAt.Equal(now) {
		t.Fatalf("ledger entry: %+v %v", le, err)
	}
	if _, err := GiftCardLoadWrites(ctx, tbl, GiftCardMove{Number: testCard}, 6, now); !errors.Is(err, ErrGiftCardMove) {
		t.Fatalf("zero amount: %v", err)
	}
}
