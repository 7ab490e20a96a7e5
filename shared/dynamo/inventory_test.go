package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/catalog"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/inventory"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// stockShop is a tenant with two locations and variants, ready for stock tests.
type stockShop struct {
	ctx        context.Context
	tenantID   string
	loc1, loc2 string
	tracked    []string // SKU-0, SKU-1, ... all tracking stock
	untracked  string
	svc        *inventory.Service
}

func newStockShop(tb testing.TB, tbl *Table, variants int) stockShop {
	tb.Helper()
	ctx, tn, u := newTenant(tb, NewIdentityStore(tbl), ids.New("u")+"@example.com")
	ctx = identity.WithPrincipal(ctx, identity.Principal{TenantID: tn.ID, UserID: u.ID, Role: identity.Owner})
	sh := stockShop{ctx: ctx, tenantID: tn.ID, svc: &inventory.Service{Store: NewInventoryStore(tbl), Now: time.Now}}
	sh.loc1, sh.loc2 = putLocation(tb, tbl, ctx, "Shibuya"), putLocation(tb, tbl, ctx, "Umeda")
	for i := range variants {
		sh.tracked = append(sh.tracked, putVariant(tb, tbl, ctx, fmt.Sprintf("SKU-%d", i), true))
	}
	sh.untracked = putVariant(tb, tbl, ctx, "GIFT", false)
	return sh
}

func putRaw(tb testing.TB, tbl *Table, v any) {
	tb.Helper()
	av, err := attributevalue.MarshalMap(v)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := tbl.client.PutItem(tb.Context(), &dynamodb.PutItemInput{TableName: &tbl.name, Item: av}); err != nil {
		tb.Fatal(err)
	}
}

func putLocation(tb testing.TB, tbl *Table, ctx context.Context, name string) string {
	tb.Helper()
	tpk, _ := tenantPK(ctx)
	id := ids.New(ids.Location)
	putRaw(tb, tbl, locationItem{PK: tpk, SK: skLocPrefix + id, Type: "Location", ID: id, Name: name, Timezone: "Asia/Tokyo", CreatedAt: fmtTime(time.Now())})
	return id
}

// putVariant writes a variant record the way the catalog does.
func putVariant(tb testing.TB, tbl *Table, ctx context.Context, sku string, track bool) string {
	tb.Helper()
	tpk, _ := tenantPK(ctx)
	v := catalog.Variant{ID: ids.New("var"), ItemID: ids.New("itm"), ItemName: "Tea", Name: sku, SKU: sku, Price: 500, Currency: "JPY", TrackStock: track, TaxCategory: "REDUCED", UpdatedAt: time.Now()}
	putRaw(tb, tbl, variantToItem(tpk, v))
	return v.ID
}

func delta(n int64) *int64 { return &n }

// level reads one level through the service (consistent read).
func (sh stockShop) level(tb testing.TB, loc, variant string) inventory.StockLevel {
	tb.Helper()
	got, err := sh.svc.Levels(sh.ctx, loc, []string{variant})
	if err != nil || len(got.Levels) != 1 {
		tb.Fatalf("Levels(%s, %s) = %+v, %v", loc, variant, got, err)
	}
	return got.Levels[0]
}

func (sh stockShop) adjust(loc string, key string, changes ...inventory.Change) (inventory.Stock, error) {
	return sh.svc.Adjust(sh.ctx, inventory.AdjustInput{IdempotencyKey: key, LocationID: loc, Changes: changes})
}

func codes(err error) []string {
	l, ok := apperr.Expected(err)
	if !ok {
		return []string{fmt.Sprint("unexpected: ", err)}
	}
	var out []string
	for _, e := range l {
		out = append(out, string(e.Code))
	}
	return out
}

func TestInventoryStore_Adjust(t *testing.T) {
	tbl := mustTable(t)
	sh := newStockShop(t, tbl, 2)
	a, b := sh.tracked[0], sh.tracked[1]

	res, err := sh.adjust(sh.loc1, "k1",
		inventory.Change{VariantID: a, Delta: delta(7), Reason: inventory.ReasonReceived},
		inventory.Change{VariantID: b, SetTo: delta(3), Reason: inventory.ReasonCount})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Levels) != 2 || res.Levels[0].OnHand != 7 || res.Levels[0].Version != 1 || res.Levels[1].OnHand != 3 || res.Levels[1].Version != 1 {
		t.Fatalf("result %+v", res.Levels)
	}
	if res.Locations[sh.loc1].Name != "Shibuya" {
		t.Fatalf("locations %+v", res.Locations)
	}
	res, err = sh.adjust(sh.loc1, "k2",
		inventory.Change{VariantID: a, Delta: delta(-2), Reason: inventory.ReasonDamaged},
		inventory.Change{VariantID: b, SetTo: delta(10), Reason: inventory.ReasonCount})
	if err != nil {
		t.Fatal(err)
	}
	if res.Levels[0].OnHand != 5 || res.Levels[0].Version != 2 || res.Levels[1].OnHand != 10 || res.Levels[1].Version != 2 {
		t.Fatalf("second result %+v", res.Levels)
	}

	t.Run("levels read back with their versions", func(t *testing.T) {
		if l := sh.level(t, sh.loc1, a); l.OnHand != 5 || l.Version != 2 || l.UpdatedAt.IsZero() {
			t.Fatalf("level a = %+v", l)
		}
		if l := sh.level(t, sh.loc2, a); l.OnHand != 0 || l.Version != 0 {
			t.Fatalf("unwritten level = %+v", l)
		}
	})
	t.Run("one event per change with the new on-hand and version", func(t *testing.T) {
		got := events(t, tbl, sh.ctx)
		var summary []string
		for _, e := range got {
			summary = append(summary, fmt.Sprintf("%s %d v%d %+d %s", e.VariantID, e.OnHand, e.Version, e.Delta, e.Reason))
			if e.LocationID != sh.loc1 || e.OccurredAt == "" {
				t.Errorf("event %+v", e)
			}
		}
		want := []string{a + " 7 v1 +7 RECEIVED", a + " 5 v2 -2 DAMAGED", b + " 3 v1 +3 COUNT", b + " 10 v2 +7 COUNT"}
		sort.Strings(want)
		sort.Strings(summary)
		if !slices.Equal(summary, want) {
			t.Fatalf("events\n got %v\nwant %v", summary, want)
		}
	})
	t.Run("the location lists its levels by variant", func(t *testing.T) {
		got, err := sh.svc.Levels(sh.ctx, sh.loc1, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{a, b}
		sort.Strings(want)
		var ids []string
		for _, l := range got.Levels {
			ids = append(ids, l.VariantID)
		}
		if !slices.Equal(ids, want) {
			t.Fatalf("listed %v, want %v", ids, want)
		}
		if other, err := sh.svc.Levels(sh.ctx, sh.loc2, nil); err != nil || len(other.Levels) != 0 {
			t.Fatalf("empty location lists %+v, %v", other.Levels, err)
		}
	})
	t.Run("the stored item has every attribute checkout and the index need", func(t *testing.T) {
		tpk, _ := tenantPK(sh.ctx)
		out, err := tbl.client.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: &tbl.name, Key: stockKey(tpk, sh.loc1, a), ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		var it stockItem
		if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
			t.Fatal(err)
		}
		want := stockItem{PK: stockPK(tpk, sh.loc1, a), SK: skStock, Type: "StockLevel", GSI1PK: stockListPK(tpk, sh.loc1), GSI1SK: a, LocationID: sh.loc1, VariantID: a, OnHand: 5, Version: 2, UpdatedAt: it.UpdatedAt, Change: it.Change}
		if it != want || it.UpdatedAt == "" {
			t.Fatalf("item\n got %+v\nwant %+v", it, want)
		}
		if it.Change == nil || *it.Change != (levelChangeItem{Reason: "DAMAGED", Delta: -2, OccurredAt: it.UpdatedAt}) {
			t.Fatalf("the level's ledger entry = %+v, want the last change", it.Change)
		}
	})
}

func TestInventoryStore_AdjustIdempotency(t *testing.T) {
	tbl := mustTable(t)
	sh := newStockShop(t, tbl, 1)
	a := sh.tracked[0]
	in := inventory.Change{VariantID: a, Delta: delta(4), Reason: inventory.ReasonReceived}
	first, err := sh.adjust(sh.loc1, "same-key", in)
	if err != nil {
		t.Fatal(err)
	}
	// Another change in between: a replay must still answer the original result.
	if _, err := sh.adjust(sh.loc1, "other-key", inventory.Change{VariantID: a, Delta: delta(-4), Reason: inventory.ReasonLost}); err != nil {
		t.Fatal(err)
	}

	t.Run("a replay returns the original levels and writes nothing", func(t *testing.T) {
		again, err := sh.adjust(sh.loc1, "same-key", in)
		if err != nil {
			t.Fatal(err)
		}
		if len(again.Levels) != 1 || again.Levels[0].OnHand != 4 || again.Levels[0].Version != 1 || !again.Levels[0].UpdatedAt.Equal(first.Levels[0].UpdatedAt) {
			t.Fatalf("replay = %+v, first = %+v", again.Levels, first.Levels)
		}
		if again.Locations[sh.loc1].ID != sh.loc1 {
			t.Fatalf("replay locations %+v", again.Locations)
		}
		if l := sh.level(t, sh.loc1, a); l.OnHand != 0 || l.Version != 2 {
			t.Fatalf("level after replay = %+v", l)
		}
		if n := len(events(t, tbl, sh.ctx)); n != 2 {
			t.Fatalf("%d events, want 2", n)
		}
	})
	t.Run("a replay that would now be refused still replays", func(t *testing.T) {
		dec := inventory.Change{VariantID: a, Delta: delta(-1), Reason: inventory.ReasonLost}
		if _, err := sh.adjust(sh.loc1, "dec", inventory.Change{VariantID: a, Delta: delta(1), Reason: inventory.ReasonReceived}); err != nil {
			t.Fatal(err)
		}
		if _, err := sh.adjust(sh.loc1, "dec-1", dec); err != nil {
			t.Fatal(err)
		}
		if res, err := sh.adjust(sh.loc1, "dec-1", dec); err != nil || res.Levels[0].OnHand != 0 {
			t.Fatalf("replay at zero = %+v, %v", res, err)
		}
	})
	t.Run("the same key with another input is IDEMPOTENCY_KEY_REUSED", func(t *testing.T) {
		before := sh.level(t, sh.loc1, a)
		_, err := sh.adjust(sh.loc1, "same-key", inventory.Change{VariantID: a, Delta: delta(5), Reason: inventory.ReasonReceived})
		if apperr.CodeOf(err) != apperr.IdempotencyKeyReused {
			t.Fatalf("err = %v", err)
		}
		if after := sh.level(t, sh.loc1, a); after != before {
			t.Fatalf("level changed: %+v → %+v", before, after)
		}
	})
	t.Run("keys are per operation", func(t *testing.T) {
		_, err := sh.svc.Transfer(sh.ctx, inventory.TransferInput{IdempotencyKey: "same-key", FromLocationID: sh.loc2, ToLocationID: sh.loc1, Lines: []inventory.TransferLine{{VariantID: a, Quantity: 1}}})
		if apperr.CodeOf(err) != apperr.OutOfStock { // not KEY_REUSED: the transfer's key space is its own
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a race lost on the record replays inside Apply", func(t *testing.T) {
		st := NewInventoryStore(tbl)
		q := inventory.AdjustInput{IdempotencyKey: "raced", LocationID: sh.loc1, Changes: []inventory.Change{{VariantID: a, Delta: delta(2), Reason: inventory.ReasonReturned}}}
		snap, err := st.Load(sh.ctx, q.Lookup())
		if err != nil {
			t.Fatal(err)
		}
		w, err := inventory.PlanAdjust(q, snap, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		first, replayed, err := st.Apply(sh.ctx, w)
		if err != nil || replayed {
			t.Fatalf("first apply: %v, replayed %v", err, replayed)
		}
		// The same write again (as a concurrent request with the key would):
		// its level condition now fails too, but the record decides.
		second, replayed, err := st.Apply(sh.ctx, w)
		if err != nil || !replayed || len(second) != 1 || second[0].OnHand != first[0].OnHand || second[0].Version != first[0].Version || !second[0].UpdatedAt.Equal(first[0].UpdatedAt) {
			t.Fatalf("second apply = %+v, replayed %v, %v", second, replayed, err)
		}
	})
	t.Run("a bad key is refused before any read", func(t *testing.T) {
		for _, k := range []string{"", string(make([]byte, 129))} {
			if _, err := sh.adjust(sh.loc1, k, in); apperr.CodeOf(err) != apperr.Invalid {
				t.Fatalf("key of %d bytes: %v", len(k), err)
			}
		}
	})
}

func TestInventoryStore_NegativeStock(t *testing.T) {
	tbl := mustTable(t)
	sh := newStockShop(t, tbl, 2)
	a, b := sh.tracked[0], sh.tracked[1]
	if _, err := sh.adjust(sh.loc1, "seed", inventory.Change{VariantID: a, SetTo: delta(2), Reason: inventory.ReasonCount}); err != nil {
		t.Fatal(err)
	}
	take := []inventory.Change{{VariantID: a, Delta: delta(-3), Reason: inventory.ReasonLost}, {VariantID: b, Delta: delta(-1), Reason: inventory.ReasonLost}}

	_, err := sh.adjust(sh.loc1, "neg-1", take...)
	l, _ := apperr.Expected(err)
	if apperr.CodeOf(err) != apperr.OutOfStock || len(l) != 2 || !slices.Equal(l[1].Field, []string{"input", "changes", "1", "delta"}) {
		t.Fatalf("err = %v", err)
	}
	if !containsAll(l[0].Message, "SKU-0") || !containsAll(l[1].Message, "SKU-1") {
		t.Fatalf("messages %q, %q do not name the SKUs", l[0].Message, l[1].Message)
	}
	if got := sh.level(t, sh.loc1, a); got.OnHand != 2 || got.Version != 1 {
		t.Fatalf("refused change wrote: %+v", got)
	}
	if n := len(events(t, tbl, sh.ctx)); n != 1 {
		t.Fatalf("%d events after a refusal, want 1", n)
	}

	allowNegative(t, tbl, sh.ctx)
	res, err := sh.adjust(sh.loc1, "neg-2", take...)
	if err != nil {
		t.Fatal(err)
	}
	if res.Levels[0].OnHand != -1 || res.Levels[1].OnHand != -1 {
		t.Fatalf("allowed negative: %+v", res.Levels)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func TestInventoryStore_Transfer(t *testing.T) {
	tbl := mustTable(t)
	sh := newStockShop(t, tbl, 2)
	a, b := sh.tracked[0], sh.tracked[1]
	if _, err := sh.adjust(sh.loc1, "seed", inventory.Change{VariantID: a, SetTo: delta(10), Reason: inventory.ReasonCount}, inventory.Change{VariantID: b, SetTo: delta(1), Reason: inventory.ReasonCount}); err != nil {
		t.Fatal(err)
	}
	in := inventory.TransferInput{IdempotencyKey: "t1", FromLocationID: sh.loc1, ToLocationID: sh.loc2, Lines: []inventory.TransferLine{{VariantID: a, Quantity: 4}, {VariantID: b, Quantity: 1}}}
	res, err := sh.svc.Transfer(sh.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range res.Levels {
		got = append(got, fmt.Sprintf("%s/%s=%d v%d", l.LocationID, l.VariantID, l.OnHand, l.Version))
	}
	want := []string{sh.loc1 + "/" + a + "=6 v2", sh.loc1 + "/" + b + "=0 v2", sh.loc2 + "/" + a + "=4 v1", sh.loc2 + "/" + b + "=1 v1"}
	if !slices.Equal(got, want) {
		t.Fatalf("result\n got %v\nwant %v", got, want)
	}
	if len(res.Locations) != 2 {
		t.Fatalf("locations %+v", res.Locations)
	}
	if l := sh.level(t, sh.loc2, a); l.OnHand != 4 {
		t.Fatalf("destination %+v", l)
	}
	if n := len(events(t, tbl, sh.ctx)); n != 6 {
		t.Fatalf("%d events, want 2 seed + 4 transfer", n)
	}

	t.Run("replay writes nothing", func(t *testing.T) {
		again, err := sh.svc.Transfer(sh.ctx, in)
		if err != nil || len(again.Levels) != 4 || again.Levels[0].OnHand != 6 {
			t.Fatalf("replay = %+v, %v", again, err)
		}
		if n := len(events(t, tbl, sh.ctx)); n != 6 {
			t.Fatalf("%d events after replay", n)
		}
	})
	t.Run("refused when the source runs out; neither side changes", func(t *testing.T) {
		_, err := sh.svc.Transfer(sh.ctx, inventory.TransferInput{IdempotencyKey: "t2", FromLocationID: sh.loc1, ToLocationID: sh.loc2, Lines: []inventory.TransferLine{{VariantID: a, Quantity: 1}, {VariantID: b, Quantity: 1}}})
		if apperr.CodeOf(err) != apperr.OutOfStock || !containsAll(err.Error(), "SKU-1") || containsAll(err.Error(), "SKU-0") {
			t.Fatalf("err = %v", err)
		}
		if l := sh.level(t, sh.loc1, a); l.OnHand != 6 {
			t.Fatalf("source changed: %+v", l)
		}
		if l := sh.level(t, sh.loc2, a); l.OnHand != 4 {
			t.Fatalf("destination changed: %+v", l)
		}
	})
	t.Run("a stale destination cancels the source too", func(t *testing.T) {
		st := NewInventoryStore(tbl)
		tin := inventory.TransferInput{IdempotencyKey: "t3", FromLocationID: sh.loc1, ToLocationID: sh.loc2, Lines: []inventory.TransferLine{{VariantID: a, Quantity: 1}}}
		snap, err := st.Load(sh.ctx, tin.Lookup())
		if err != nil {
			t.Fatal(err)
		}
		// The destination changes after the read.
		if _, err := sh.adjust(sh.loc2, "sneak", inventory.Change{VariantID: a, Delta: delta(1), Reason: inventory.ReasonReceived}); err != nil {
			t.Fatal(err)
		}
		w, err := inventory.PlanTransfer(tin, snap, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.Apply(sh.ctx, w); !errors.Is(err, inventory.ErrStale) {
			t.Fatalf("Apply = %v, want ErrStale", err)
		}
		if l := sh.level(t, sh.loc1, a); l.OnHand != 6 || l.Version != 2 {
			t.Fatalf("source written by a cancelled transfer: %+v", l)
		}
		// Through the service the same transfer re-reads and succeeds.
		res, err := sh.svc.Transfer(sh.ctx, tin)
		if err != nil || res.Levels[0].OnHand != 5 || res.Levels[1].OnHand != 6 {
			t.Fatalf("retried transfer = %+v, %v", res, err)
		}
	})
	t.Run("the largest transfer fits one transaction", func(t *testing.T) {
		big := newStockShop(t, tbl, inventory.MaxTransferLines)
		var lines []inventory.TransferLine
		for _, v := range big.tracked {
			lines = append(lines, inventory.TransferLine{VariantID: v, Quantity: 2})
		}
		allowNegative(t, tbl, big.ctx)
		res, err := big.svc.Transfer(big.ctx, inventory.TransferInput{IdempotencyKey: "big", FromLocationID: big.loc1, ToLocationID: big.loc2, Lines: lines})
		if err != nil || len(res.Levels) != 2*inventory.MaxTransferLines {
			t.Fatalf("big transfer: %d levels, %v", len(res.Levels), err)
		}
	})
}

func allowNegative(tb testing.TB, tbl *Table, ctx context.Context) {
	tb.Helper()
	if _, err := NewTenantStore(tbl).UpdateTenant(ctx, func(tn *tenant.Tenant) error { tn.AllowNegativeStock = true; return nil }); err != nil {
		tb.Fatal(err)
	}
}

func TestInventoryStore_LargestAdjustment(t *testing.T) {
	tbl := mustTable(t)
	sh := newStockShop(t, tbl, inventory.MaxAdjustChanges)
	var changes []inventory.Change
	for _, v := range sh.tracked {
		changes = append(changes, inventory.Change{VariantID: v, Delta: delta(1), Reason: inventory.ReasonReceived})
	}
	// 49 levels + 49 variants + location + tenant + record = 101 keys: two concurrent BatchGetItem calls.
	res, err := sh.adjust(sh.loc1, "big", changes...)
	if err != nil || len(res.Levels) != inventory.MaxAdjustChanges {
		t.Fatalf("%d levels, %v", len(res.Levels), err)
	}
	if n := len(events(t, tbl, sh.ctx)); n != inventory.MaxAdjustChanges {
		t.Fatalf("%d events", n)
	}
	if again, err := sh.adjust(sh.loc1, "big", changes...); err != nil || len(again.Levels) != inventory.MaxAdjustChanges {
		t.Fatalf("replay of the largest adjustment: %v", err)
	}
}

func TestInventoryStore_ConcurrentAdjusts(t *testing.T) {
	tbl := mustTable(t)
	sh := newStockShop(t, tbl, 1)
	counting := &staleCounter{Store: NewInventoryStore(tbl)}
	sh.svc.Store = counting
	a := sh.tracked[0]
	const n = 10
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if _, err := sh.adjust(sh.loc1, fmt.Sprintf("c-%d", i), inventory.Change{VariantID: a, Delta: delta(1), Reason: inventory.ReasonReceived}); err != nil {
				t.Errorf("adjust %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if l := sh.level(t, sh.loc1, a); l.OnHand != n || l.Version != n {
		t.Fatalf("level = %+v, want %d at version %d", l, n, n)
	}
	t.Logf("%d writes lost a race and were re-read and retried", counting.stale.Load())
	evs := events(t, tbl, sh.ctx)
	if len(evs) != n {
		t.Fatalf("%d events, want %d", len(evs), n)
	}
	for i, e := range evs {
		if e.Version != int64(i+1) || e.OnHand != int64(i+1) || e.Delta != 1 {
			t.Fatalf("event %d = %+v: versions must be 1..%d, each one step", i, e, n)
		}
	}
}

// staleCounter counts the writes that lost a race on a level's version.
type staleCounter struct {
	inventory.Store
	stale atomic.Int64
}

func (c *staleCounter) Apply(ctx context.Context, w inventory.Write) ([]inventory.StockLevel, bool, error) {
	levels, replayed, err := c.Store.Apply(ctx, w)
	if errors.Is(err, inventory.ErrStale) {
		c.stale.Add(1)
	}
	return levels, replayed, err
}

func TestInventoryStore_TenantIsolation(t *testing.T) {
	tbl := mustTable(t)
	a := newStockShop(t, tbl, 1)
	b := newStockShop(t, tbl, 1)
	va, vb := a.tracked[0], b.tracked[0]
	if _, err := a.adjust(a.loc1, "seed", inventory.Change{VariantID: va, SetTo: delta(8), Reason: inventory.ReasonCount}); err != nil {
		t.Fatal(err)
	}

	t.Run("another tenant's location is not found", func(t *testing.T) {
		if _, err := b.svc.Levels(b.ctx, a.loc1, nil); apperr.CodeOf(err) != apperr.NotFound {
			t.Fatalf("list: %v", err)
		}
		if _, err := b.svc.Levels(b.ctx, a.loc1, []string{va}); apperr.CodeOf(err) != apperr.NotFound {
			t.Fatalf("read: %v", err)
		}
		_, err := b.adjust(a.loc1, "x1", inventory.Change{VariantID: vb, Delta: delta(1), Reason: inventory.ReasonOther})
		if got := codes(err); !slices.Equal(got, []string{"NOT_FOUND"}) {
			t.Fatalf("adjust at A's location: %v", got)
		}
	})
	t.Run("another tenant's variant is not found and invisible", func(t *testing.T) {
		got, err := b.svc.Levels(b.ctx, b.loc1, []string{va, vb})
		if err != nil || len(got.Levels) != 1 || got.Levels[0].VariantID != vb {
			t.Fatalf("read = %+v, %v", got, err)
		}
		_, err = b.adjust(b.loc1, "x2", inventory.Change{VariantID: va, Delta: delta(1), Reason: inventory.ReasonOther})
		l, _ := apperr.Expected(err)
		if len(l) != 1 || l[0].Code != apperr.NotFound || !slices.Equal(l[0].Field, []string{"input", "changes", "0", "variantId"}) {
			t.Fatalf("adjust of A's variant: %v", err)
		}
		_, err = b.svc.Transfer(b.ctx, inventory.TransferInput{IdempotencyKey: "x3", FromLocationID: a.loc1, ToLocationID: b.loc1, Lines: []inventory.TransferLine{{VariantID: va, Quantity: 1}}})
		if got := codes(err); !slices.Equal(got, []string{"NOT_FOUND", "NOT_FOUND"}) {
			t.Fatalf("transfer from A: %v", got)
		}
	})
	t.Run("A's stock is untouched and B wrote no level", func(t *testing.T) {
		if l := a.level(t, a.loc1, va); l.OnHand != 8 || l.Version != 1 {
			t.Fatalf("A's level %+v", l)
		}
		if got, err := b.svc.Levels(b.ctx, b.loc1, nil); err != nil || len(got.Levels) != 0 {
			t.Fatalf("B's levels %+v, %v", got, err)
		}
		if n := len(events(t, tbl, b.ctx)); n != 0 {
			t.Fatalf("B has %d events", n)
		}
	})
	t.Run("the same idempotency key in two tenants is two keys", func(t *testing.T) {
		if _, err := b.adjust(b.loc1, "seed", inventory.Change{VariantID: vb, SetTo: delta(8), Reason: inventory.ReasonCount}); err != nil {
			t.Fatalf("B's first use of A's key: %v", err)
		}
	})
	t.Run("no tenant in the context reads nothing", func(t *testing.T) {
		st := NewInventoryStore(tbl)
		if _, err := st.Load(t.Context(), inventory.Lookup{LocationIDs: []string{a.loc1}}); apperr.CodeOf(err) != apperr.Unauthenticated {
			t.Fatalf("Load without tenant: %v", err)
		}
		if _, err := st.ListLevels(t.Context(), a.loc1, 10); apperr.CodeOf(err) != apperr.Unauthenticated {
			t.Fatalf("ListLevels without tenant: %v", err)
		}
	})
}
