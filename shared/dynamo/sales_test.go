package dynamo

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/catalog"
	"github.com/renkei-pos/renkei/shared/idempotency"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tax"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// shop is a tenant with a location and one tracked variant, selling through
// the sales service on this store (as the API does).
type shop struct {
	ctx     context.Context // the owner's principal and tenant
	tb      *Table
	st      *SalesStore
	svc     *sales.Service
	loc     tenant.Location
	variant catalog.Variant
}

func newShop(t testing.TB, tb *Table, stock int64) shop {
	t.Helper()
	ctx, tn, u := newTenant(t, NewIdentityStore(tb), fmt.Sprintf("shop-%d@example.com", time.Now().UnixNano()))
	ctx = identity.WithPrincipal(ctx, identity.Principal{TenantID: tn.ID, UserID: u.ID, Role: identity.Owner})
	loc, _ := tenant.NewLocation(ids.New(ids.Location), "Main", "", tn, time.Now())
	loc, err := NewTenantStore(tb).CreateLocation(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	tpk, _ := tenantPK(ctx)
	v := catalog.Variant{ID: ids.New("var"), ItemID: ids.New("itm"), ItemName: "Tea", Name: "Tea", SKU: "TEA", Price: 300, Currency: "JPY", TrackStock: true, TaxCategory: tax.Reduced}
	av, _ := attributevalue.MarshalMap(variantToItem(tpk, v))
	if _, err := tb.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &tb.name, Item: av}); err != nil {
		t.Fatal(err)
	}
	if stock > 0 {
		av, _ := attributevalue.MarshalMap(stockItem{PK: stockPK(tpk, loc.ID, v.ID), SK: skStock, Type: "StockLevel", GSI1PK: stockListPK(tpk, loc.ID), GSI1SK: v.ID, LocationID: loc.ID, VariantID: v.ID, OnHand: stock, Version: 1})
		if _, err := tb.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &tb.name, Item: av}); err != nil {
			t.Fatal(err)
		}
	}
	st := NewSalesStore(tb)
	return shop{ctx: ctx, tb: tb, st: st, svc: &sales.Service{Store: st, Now: time.Now}, loc: loc, variant: v}
}

// checkout sells qty of the shop's variant with an idempotency key.
func (sh shop) checkout(t testing.TB, key string, qty int64) (sales.Order, error) {
	t.Helper()
	return sh.svc.Checkout(sh.ctx, sales.CheckoutInput{IdempotencyKey: key, LocationID: sh.loc.ID,
		Lines:    []sales.CheckoutLine{{VariantID: sh.variant.ID, Quantity: qty}},
		Payments: []sales.PaymentInput{{Method: sales.Cash, Amount: sales.Money{Amount: 300 * qty, Currency: "JPY"}}}})
}

func (sh shop) allowNegative(t testing.TB) {
	t.Helper()
	if _, err := NewTenantStore(sh.tb).UpdateTenant(sh.ctx, func(tn *tenant.Tenant) error { tn.AllowNegativeStock = true; return nil }); err != nil {
		t.Fatal(err)
	}
}

func (sh shop) level(t testing.TB) stockItem {
	t.Helper()
	tpk, _ := tenantPK(sh.ctx)
	var it stockItem
	if ok, err := sh.tb.get(sh.ctx, stockKey(tpk, sh.loc.ID, sh.variant.ID), &it); err != nil || !ok {
		t.Fatalf("stock level: %v %v", ok, err)
	}
	return it
}

// events returns the data of the outbox events of one type, by scanning the
// test's own table.
func (sh shop) events(t testing.TB, eventType string) []map[string]types.AttributeValue {
	t.Helper()
	out, err := sh.tb.client.Scan(sh.ctx, &dynamodb.ScanInput{TableName: &sh.tb.name, ConsistentRead: aws.Bool(true),
		FilterExpression:          aws.String("eventType = :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": s(eventType)}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Items
}

func TestSalesStore_Checkout(t *testing.T) {
	sh := newShop(t, mustTable(t), 3)
	o, err := sh.checkout(t, "k1", 2)
	if err != nil {
		t.Fatal(err)
	}
	if l := sh.level(t); l.OnHand != 1 || l.Version != 2 {
		t.Fatalf("level = %+v, want onHand 1 version 2", l)
	}
	got, err := sh.st.GetOrder(sh.ctx, o.ID)
	if err != nil || got.Total != 600 || got.Number != "001-000001" || len(got.Lines) != 1 || got.Lines[0].SKU != "TEA" || len(got.Taxes) != 1 || got.Taxes[0].Tax != 44 {
		t.Fatalf("order %+v %v", got, err)
	}
	changed := sh.events(t, EventInventoryChanged)
	if len(changed) != 1 || len(sh.events(t, EventOrderCompleted)) != 1 {
		t.Fatalf("events: %d inventory.changed", len(changed))
	}
	if data := changed[0]["data"].(*types.AttributeValueMemberS).Value; data != fmt.Sprintf(`{"locationId":%q,"variantId":%q,"onHand":1,"version":2,"delta":-2,"reason":"SALE","occurredAt":%q}`, sh.loc.ID, sh.variant.ID, fmtTime(got.CreatedAt)) {
		t.Fatalf("inventory.changed data = %s", data)
	}
	t.Run("replay returns the first order and writes nothing", func(t *testing.T) {
		again, err := sh.checkout(t, "k1", 2)
		if err != nil || again.ID != o.ID {
			t.Fatalf("replay: %v %v", again.ID, err)
		}
		if l := sh.level(t); l.OnHand != 1 || len(sh.events(t, EventInventoryChanged)) != 1 {
			t.Fatalf("replay wrote: level %+v", l)
		}
	})
	t.Run("same key, other request", func(t *testing.T) {
		if _, err := sh.checkout(t, "k1", 1); apperr.CodeOf(err) != apperr.IdempotencyKeyReused {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("not enough stock writes nothing", func(t *testing.T) {
		_, err := sh.checkout(t, "k2", 2)
		if apperr.CodeOf(err) != apperr.OutOfStock {
			t.Fatalf("err = %v", err)
		}
		if l := sh.level(t); l.OnHand != 1 || l.Version != 2 {
			t.Fatalf("level = %+v", l)
		}
		if _, ok, err := lookupIdempotency(t, sh.tb, sh.ctx, idempotency.Request{Operation: sales.OpCheckout, Key: "k2"}); ok || err != nil {
			t.Fatal("idempotency record written despite shortage")
		}
	})
	t.Run("negative stock when allowed", func(t *testing.T) {
		sh.allowNegative(t)
		if _, err := sh.checkout(t, "k3", 5); err != nil {
			t.Fatal(err)
		}
		if l := sh.level(t); l.OnHand != -4 || l.Version != 3 {
			t.Fatalf("level = %+v, want -4 at version 3", l)
		}
	})
	t.Run("a level never stocked, negative allowed", func(t *testing.T) {
		tpk, _ := tenantPK(sh.ctx)
		if _, err := sh.tb.client.DeleteItem(sh.ctx, &dynamodb.DeleteItemInput{TableName: &sh.tb.name, Key: stockKey(tpk, sh.loc.ID, sh.variant.ID)}); err != nil {
			t.Fatal(err)
		}
		if _, err := sh.checkout(t, "k4", 1); err != nil {
			t.Fatal(err)
		}
		if l := sh.level(t); l.OnHand != -1 || l.Version != 1 || l.GSI1PK == "" {
			t.Fatalf("level created by a sale = %+v", l)
		}
	})
	t.Run("other tenant cannot read the order", func(t *testing.T) {
		if _, err := sh.st.GetOrder(tenantCtx(t), o.ID); apperr.CodeOf(err) != apperr.NotFound {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestSalesStore_CheckoutRetriesConflicts(t *testing.T) {
	var calls, left atomic.Int64
	tb := mustTable(t, conflictInjector(&left, &calls))
	sh := newShop(t, tb, 5)
	calls.Store(0)
	left.Store(2)
	if _, err := sh.checkout(t, "c", 1); err != nil {
		t.Fatalf("checkout after injected conflicts: %v", err)
	}
	if calls.Load() != 3 {
		t.Fatalf("transactions = %d, want 2 conflicts + 1", calls.Load())
	}
	if l := sh.level(t); l.OnHand != 4 {
		t.Fatalf("onHand = %d, want exactly one decrement", l.OnHand)
	}
}

func TestSalesStore_ConcurrentLastUnits(t *testing.T) {
	sh := newShop(t, mustTable(t), 10)
	var wg sync.WaitGroup
	var sold, short atomic.Int64
	numbers := make(chan string, 30)
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o, err := sh.checkout(t, fmt.Sprint("c", i), 1)
			switch {
			case err == nil:
				sold.Add(1)
				numbers <- o.Number
			case apperr.CodeOf(err) == apperr.OutOfStock:
				short.Add(1)
			default:
				t.Errorf("sale %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	close(numbers)
	if l := sh.level(t); sold.Load() != 10 || short.Load() != 20 || l.OnHand != 0 || l.Version != 11 {
		t.Fatalf("sold %d short %d level %+v", sold.Load(), short.Load(), l)
	}
	seen := map[string]bool{}
	for n := range numbers {
		seen[n] = true
	}
	for i := int64(1); i <= 10; i++ {
		if !seen[sales.OrderNumber(sh.loc.Number, i)] {
			t.Fatalf("numbers %v are not 1..10 without gaps", seen)
		}
	}
	versions := map[string]bool{}
	for _, e := range sh.events(t, EventInventoryChanged) {
		versions[e["data"].(*types.AttributeValueMemberS).Value] = true
	}
	if len(versions) != 10 {
		t.Fatalf("%d distinct inventory.changed events, want 10", len(versions))
	}
}

func TestSalesStore_StaleCounterAndLevel(t *testing.T) {
	sh := newShop(t, mustTable(t), 5)
	if _, err := sh.checkout(t, "first", 1); err != nil {
		t.Fatal(err)
	}
	// A sale computed from the state before "first": number 1, level version 1.
	loaded := sales.Snapshot{Tenant: tenant.Tenant{Currency: "JPY", PricesIncludeTax: true, TaxRounding: tenant.RoundFloor}, Location: sh.loc,
		Variants: map[string]catalog.Variant{sh.variant.ID: sh.variant}}
	in := sales.CheckoutInput{IdempotencyKey: "late", LocationID: sh.loc.ID, Lines: []sales.CheckoutLine{{VariantID: sh.variant.ID, Quantity: 1}},
		Payments: []sales.PaymentInput{{Method: sales.Cash, Amount: sales.Money{Amount: 300, Currency: "JPY"}}}}
	sale, err := sales.Price(in, loaded, ids.New("ord"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sale.Decrements[0].Read.OnHand, sale.Decrements[0].Read.Version = 5, 1
	_, _, err = sh.st.SaveSale(sh.ctx, sale, 1, in.Request())
	var stale *sales.StaleError
	if !errors.As(err, &stale) || stale.Seq == nil || *stale.Seq != 1 || stale.Levels[sh.variant.ID].Version != 2 || stale.Levels[sh.variant.ID].OnHand != 4 {
		t.Fatalf("err = %v (%+v)", err, stale)
	}
	if l := sh.level(t); l.OnHand != 4 {
		t.Fatalf("a stale sale wrote: %+v", l)
	}
}
