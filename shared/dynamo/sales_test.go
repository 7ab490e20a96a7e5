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

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/catalog"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tax"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// shop is a tenant with a location and one tracked variant.
type shop struct {
	ctx     context.Context
	tb      *Table
	st      *SalesStore
	loc     tenant.Location
	variant catalog.Variant
}

func newShop(t testing.TB, tb *Table, stock int64) shop {
	t.Helper()
	ctx, tn, _ := newTenant(t, NewIdentityStore(tb), fmt.Sprintf("shop-%d@example.com", time.Now().UnixNano()))
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
	return shop{ctx: ctx, tb: tb, st: NewSalesStore(tb), loc: loc, variant: v}
}

func (s shop) sale(t testing.TB, qty int64, at time.Time) sales.Sale {
	t.Helper()
	snap := sales.Snapshot{Tenant: tenant.Tenant{Currency: "JPY", PricesIncludeTax: true, TaxRounding: tenant.RoundFloor}, Location: s.loc, Variants: map[string]catalog.Variant{s.variant.ID: s.variant}}
	in := sales.CheckoutInput{IdempotencyKey: "k", LocationID: s.loc.ID, Lines: []sales.CheckoutLine{{VariantID: s.variant.ID, Quantity: qty}},
		Payments: []sales.PaymentInput{{Method: sales.Cash, Amount: sales.Money{Amount: 300 * qty, Currency: "JPY"}}}}
	sale, err := sales.Price(in, snap, ids.NewAt("ord", at), at)
	if err != nil {
		t.Fatal(err)
	}
	sale.Order.Number = "001-000001"
	return sale
}

// save writes a sale the way the service does: take the location's next
// number from the counter read, and retry with the next one when another
// sale took it first.
func (s shop) save(t testing.TB, sale sales.Sale, idem sales.Idempotency, allowNegative bool) (string, bool, error) {
	t.Helper()
	loaded, err := s.st.LoadSale(s.ctx, sales.SaleQuery{LocationID: s.loc.ID, Idempotency: idem})
	if err != nil {
		return "", false, err
	}
	seq := loaded.OrderSeq
	for {
		sale.Order.Number = sales.OrderNumber(s.loc.Number, seq+1)
		id, replayed, err := s.st.SaveSale(s.ctx, sale, seq+1, idem, allowNegative)
		var stale *sales.StaleSequenceError
		if errors.As(err, &stale) {
			seq = stale.Current
			continue
		}
		return id, replayed, err
	}
}

func (s shop) onHand(t *testing.T) int64 {
	t.Helper()
	tpk, _ := tenantPK(s.ctx)
	out, err := s.tb.client.GetItem(s.ctx, &dynamodb.GetItemInput{TableName: &s.tb.name, Key: stockKey(tpk, s.loc.ID, s.variant.ID), ConsistentRead: aws.Bool(true)})
	if err != nil || out.Item == nil {
		t.Fatalf("stock: %v", err)
	}
	var it stockItem
	_ = attributevalue.UnmarshalMap(out.Item, &it)
	return it.OnHand
}

func TestSalesStore_SaveSale(t *testing.T) {
	s := newShop(t, mustTable(t), 3)
	idem := sales.Idempotency{Key: "k1", RequestHash: "h1"}
	sale := s.sale(t, 2, time.Now())
	id, replayed, err := s.save(t, sale, idem, false)
	if err != nil || replayed || id != sale.Order.ID {
		t.Fatalf("save: %q %v %v", id, replayed, err)
	}
	if got := s.onHand(t); got != 1 {
		t.Fatalf("onHand = %d, want 1", got)
	}
	o, err := s.st.GetOrder(s.ctx, id)
	if err != nil || o.Total != 600 || len(o.Lines) != 1 || o.Lines[0].SKU != "TEA" || len(o.Taxes) != 1 || o.Taxes[0].Tax != 44 {
		t.Fatalf("order %+v %v", o, err)
	}
	t.Run("replay returns the first order and writes nothing", func(t *testing.T) {
		again := s.sale(t, 2, time.Now())
		id2, replayed, err := s.save(t, again, idem, false)
		if err != nil || !replayed || id2 != id {
			t.Fatalf("replay: %q %v %v", id2, replayed, err)
		}
		if got := s.onHand(t); got != 1 {
			t.Fatalf("onHand after replay = %d", got)
		}
		loaded, err := s.st.LoadSale(s.ctx, sales.SaleQuery{LocationID: s.loc.ID, VariantIDs: []string{s.variant.ID}, Idempotency: idem})
		if err != nil || loaded.ReplayOrderID != id {
			t.Fatalf("LoadSale replay = %q %v", loaded.ReplayOrderID, err)
		}
		if _, err := s.st.LoadSale(s.ctx, sales.SaleQuery{LocationID: s.loc.ID, Idempotency: sales.Idempotency{Key: "k1", RequestHash: "other"}}); apperr.CodeOf(err) != apperr.IdempotencyKeyReused {
			t.Fatalf("reused key err = %v", err)
		}
	})
	t.Run("not enough stock writes nothing", func(t *testing.T) {
		big := s.sale(t, 2, time.Now())
		_, _, err := s.save(t, big, sales.Idempotency{Key: "k2", RequestHash: "h2"}, false)
		var sh *sales.ShortageError
		if !errors.As(err, &sh) || len(sh.Short) != 1 || sh.Short[0].SKU != "TEA" {
			t.Fatalf("err = %v", err)
		}
		if _, err := s.st.GetOrder(s.ctx, big.Order.ID); apperr.CodeOf(err) != apperr.NotFound {
			t.Fatal("order written despite shortage")
		}
		if got := s.onHand(t); got != 1 {
			t.Fatalf("onHand = %d", got)
		}
		if _, ok, _ := s.tb.LookupIdempotency(s.ctx, Idempotency{Operation: opCheckout, Key: "k2", RequestHash: "h2"}); ok {
			t.Fatal("idempotency record written despite shortage")
		}
	})
	t.Run("negative stock when allowed", func(t *testing.T) {
		big := s.sale(t, 5, time.Now())
		if _, _, err := s.save(t, big, sales.Idempotency{Key: "k3", RequestHash: "h3"}, true); err != nil {
			t.Fatal(err)
		}
		if got := s.onHand(t); got != -4 {
			t.Fatalf("onHand = %d, want -4", got)
		}
	})
	t.Run("other tenant cannot read the order", func(t *testing.T) {
		if _, err := s.st.GetOrder(tenantCtx(t), id); apperr.CodeOf(err) != apperr.NotFound {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestSalesStore_SaveSaleRetriesConflicts(t *testing.T) {
	var calls, left atomic.Int64
	tb := mustTable(t, conflictInjector(&left, &calls))
	s := newShop(t, tb, 5)
	calls.Store(0)
	left.Store(2)
	if _, _, err := s.save(t, s.sale(t, 1, time.Now()), sales.Idempotency{Key: "c", RequestHash: "h"}, false); err != nil {
		t.Fatalf("save after injected conflicts: %v", err)
	}
	if calls.Load() != 3 {
		t.Fatalf("transactions = %d, want 2 conflicts + 1", calls.Load())
	}
	if got := s.onHand(t); got != 4 {
		t.Fatalf("onHand = %d, want exactly one decrement", got)
	}
}

func TestSalesStore_ConcurrentLastUnits(t *testing.T) {
	s := newShop(t, mustTable(t), 10)
	var wg sync.WaitGroup
	var sold, short atomic.Int64
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := s.save(t, s.sale(t, 1, time.Now()), sales.Idempotency{Key: fmt.Sprint("c", i), RequestHash: "h"}, false)
			var sh *sales.ShortageError
			switch {
			case err == nil:
				sold.Add(1)
			case errors.As(err, &sh):
				short.Add(1)
			default:
				t.Errorf("sale %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if sold.Load() != 10 || short.Load() != 20 || s.onHand(t) != 0 {
		t.Fatalf("sold %d short %d onHand %d", sold.Load(), short.Load(), s.onHand(t))
	}
}

func TestSalesStore_ListOrders(t *testing.T) {
	s := newShop(t, mustTable(t), 0)
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var want []string
	for i := 0; i < 5; i++ {
		sale := s.sale(t, 1, base.Add(time.Duration(i)*time.Hour))
		if _, _, err := s.save(t, sale, sales.Idempotency{Key: fmt.Sprint("l", i), RequestHash: "h"}, true); err != nil {
			t.Fatal(err)
		}
		want = append([]string{sale.Order.ID}, want...) // newest first
	}
	var got []string
	after := ""
	for page := 0; page < 5; page++ {
		os, next, err := s.st.ListOrders(s.ctx, sales.OrderFilter{}, 2, after)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range os {
			got = append(got, o.ID)
		}
		if next == "" {
			break
		}
		after = next
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("pages = %v, want %v", got, want)
	}
	ranged, _, err := s.st.ListOrders(s.ctx, sales.OrderFilter{LocationID: s.loc.ID, From: base.Add(time.Hour), To: base.Add(3 * time.Hour)}, 50, "")
	if err != nil || len(ranged) != 3 || ranged[0].ID != want[1] {
		t.Fatalf("range: %d orders, %v", len(ranged), err)
	}
	if none, _, _ := s.st.ListOrders(s.ctx, sales.OrderFilter{Status: sales.StatusRefunded}, 50, ""); len(none) != 0 {
		t.Fatalf("status filter returned %d", len(none))
	}
	if other, _, _ := s.st.ListOrders(tenantCtx(t), sales.OrderFilter{LocationID: s.loc.ID}, 50, ""); len(other) != 0 {
		t.Fatalf("another tenant listed %d orders", len(other))
	}
	if _, _, err := s.st.ListOrders(s.ctx, sales.OrderFilter{}, 2, "%%%"); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("bad cursor err = %v", err)
	}
}

func TestSalesStore_Customers(t *testing.T) {
	tb := mustTable(t)
	st := NewSalesStore(tb)
	ctx := tenantCtx(t)
	for _, name := range []string{"Tanaka Hanako", "Tanabe Jiro", "Suzuki Ichiro"} {
		c, _ := sales.NewCustomer(ids.New("cus"), name, "", "", time.Now())
		if err := st.CreateCustomer(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	cs, next, err := st.ListCustomers(ctx, "tana", 1, "")
	if err != nil || len(cs) != 1 || cs[0].Name != "Tanabe Jiro" || next == "" {
		t.Fatalf("page 1: %+v %q %v", cs, next, err)
	}
	cs, next, err = st.ListCustomers(ctx, "tana", 1, next)
	if err != nil || len(cs) != 1 || cs[0].Name != "Tanaka Hanako" || next != "" {
		t.Fatalf("page 2: %+v %q %v", cs, next, err)
	}
	if other, _, _ := st.ListCustomers(tenantCtx(t), "", 50, ""); len(other) != 0 {
		t.Fatalf("other tenant sees %d customers", len(other))
	}
}

func TestSalesStore_OrderNumbersHaveNoGaps(t *testing.T) {
	s := newShop(t, mustTable(t), 0)
	var wg sync.WaitGroup
	numbers := make(chan string, 12)
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sale := s.sale(t, 1, time.Now())
			id, _, err := s.save(t, sale, sales.Idempotency{Key: fmt.Sprint("n", i), RequestHash: "h"}, true)
			if err != nil {
				t.Errorf("save: %v", err)
				return
			}
			o, err := s.st.GetOrder(s.ctx, id)
			if err != nil {
				t.Errorf("get: %v", err)
				return
			}
			numbers <- o.Number
		}()
	}
	wg.Wait()
	close(numbers)
	seen := map[string]bool{}
	for n := range numbers {
		seen[n] = true
	}
	for i := 1; i <= 12; i++ {
		if want := sales.OrderNumber(s.loc.Number, int64(i)); !seen[want] {
			t.Fatalf("numbers %v lack %s", seen, want)
		}
	}
	t.Run("a stale number is refused with the current one", func(t *testing.T) {
		_, _, err := s.st.SaveSale(s.ctx, s.sale(t, 1, time.Now()), 5, sales.Idempotency{Key: "stale", RequestHash: "h"}, true)
		var stale *sales.StaleSequenceError
		if !errors.As(err, &stale) || stale.Current != 12 {
			t.Fatalf("err = %v", err)
		}
	})
}
