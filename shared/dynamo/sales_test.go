package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/catalog"
	"github.com/renkei-pos/renkei/shared/idempotency"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tax"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// shop is a tenant with a location (and its first register) and one
// tracked variant, selling through the sales service on this store (as the
// API does).
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
	sh := shop{ctx: ctx, tb: tb, st: st, svc: &sales.Service{Store: st, Now: time.Now}, loc: loc, variant: v}
	sh.registers(t, 1)
	return sh
}

// registers writes registers 1…n of the shop's location as the registers'
// store does (type, id, locationId, number, name, createdAt; no seq before
// the first sale) and returns their ids; a register already there is
// written again with no seq.
func (sh shop) registers(t testing.TB, count int) []string {
	t.Helper()
	tpk, _ := tenantPK(sh.ctx)
	var out []string
	for i := 1; i <= count; i++ {
		id := tenant.RegisterID(sh.loc.ID, i)
		item := map[string]types.AttributeValue{attrPK: s(registerPK(tpk, id)), attrSK: s(skRegister), "type": s("Register"), "id": s(id),
			"locationId": s(sh.loc.ID), "number": n(int64(i)), "name": s(fmt.Sprint("Register ", i)), "createdAt": s(fmtTime(time.Now()))}
		if _, err := sh.tb.client.PutItem(sh.ctx, &dynamodb.PutItemInput{TableName: &sh.tb.name, Item: item}); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	return out
}

// deactivate sets a register's deactivatedAt, as the registers' store does.
func (sh shop) deactivate(t testing.TB, registerID string) {
	t.Helper()
	tpk, _ := tenantPK(sh.ctx)
	_, err := sh.tb.client.UpdateItem(sh.ctx, &dynamodb.UpdateItemInput{TableName: &sh.tb.name, Key: key(registerPK(tpk, registerID), skRegister),
		UpdateExpression: aws.String("SET deactivatedAt = :at"), ExpressionAttributeValues: map[string]types.AttributeValue{":at": s(fmtTime(time.Now()))}})
	if err != nil {
		t.Fatal(err)
	}
}

// checkout sells qty of the shop's variant with an idempotency key, at the
// default register.
func (sh shop) checkout(t testing.TB, key string, qty int64) (sales.Order, error) {
	t.Helper()
	return sh.sell(t, key, "", qty)
}

// sell sells qty of the shop's variant at a register.
func (sh shop) sell(t testing.TB, key, registerID string, qty int64) (sales.Order, error) {
	t.Helper()
	return sh.svc.Checkout(sh.ctx, sh.input(key, registerID, qty))
}

// sellAsPOS is sell as a POS app does it: an UNAVAILABLE sale (a register
// too busy) is sent again with the same key, a few times.
func (sh shop) sellAsPOS(t testing.TB, key, registerID string, qty int64) (sales.Order, error) {
	t.Helper()
	for try := 0; ; try++ {
		o, err := sh.sell(t, key, registerID, qty)
		if apperr.CodeOf(err) != apperr.Unavailable || try == 5 {
			return o, err
		}
	}
}

func (sh shop) input(key, registerID string, qty int64) sales.CheckoutInput {
	return sales.CheckoutInput{IdempotencyKey: key, LocationID: sh.loc.ID, RegisterID: registerID,
		Lines:    []sales.CheckoutLine{{VariantID: sh.variant.ID, Quantity: qty}},
		Payments: []sales.PaymentInput{{Method: sales.Cash, Amount: sales.Money{Amount: 300 * qty, Currency: "JPY"}}}}
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

// outbox returns the outbox items of one event type, by scanning the
// test's own table.
func (sh shop) outbox(t testing.TB, eventType string) []map[string]types.AttributeValue {
	t.Helper()
	out, err := sh.tb.client.Scan(sh.ctx, &dynamodb.ScanInput{TableName: &sh.tb.name, ConsistentRead: aws.Bool(true),
		FilterExpression:          aws.String("eventType = :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": s(eventType)}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Items
}

// registerSeq reads a register's seq (0 when absent).
func (sh shop) registerSeq(t testing.TB, registerID string) int64 {
	t.Helper()
	tpk, _ := tenantPK(sh.ctx)
	out, err := sh.tb.client.GetItem(sh.ctx, &dynamodb.GetItemInput{TableName: &sh.tb.name, Key: key(registerPK(tpk, registerID), skRegister), ConsistentRead: aws.Bool(true)})
	if err != nil || out.Item == nil {
		t.Fatalf("register %s: %v", registerID, err)
	}
	var seq int64
	if v, ok := out.Item["seq"]; ok {
		if err := attributevalue.Unmarshal(v, &seq); err != nil {
			t.Fatal(err)
		}
	}
	return seq
}

func TestSalesStore_Checkout(t *testing.T) {
	sh := newShop(t, mustTable(t), 3)
	o, err := sh.checkout(t, "k1", 2)
	if err != nil {
		t.Fatal(err)
	}
	reg1 := tenant.RegisterID(sh.loc.ID, 1)
	if l := sh.level(t); l.OnHand != 1 || l.Version != 2 || l.Change == nil || *l.Change != (levelChangeItem{Reason: "SALE", Delta: -2, Reference: o.ID, OccurredAt: fmtTime(o.CreatedAt)}) {
		t.Fatalf("level = %+v (change %+v), want onHand 1 version 2 and the sale's entry", l, l.Change)
	}
	got, err := sh.st.GetOrder(sh.ctx, o.ID)
	if err != nil || got.Total != 600 || got.Number != "001-01-000001" || got.RegisterID != reg1 || len(got.Lines) != 1 || got.Lines[0].SKU != "TEA" || len(got.Taxes) != 1 || got.Taxes[0].Tax != 44 {
		t.Fatalf("order %+v %v", got, err)
	}
	if o.RegisterID != reg1 || o.Number != got.Number {
		t.Fatalf("returned order %s at %s", o.Number, o.RegisterID)
	}
	if seq := sh.registerSeq(t, reg1); seq != 1 {
		t.Fatalf("register seq = %d", seq)
	}
	if n := len(sh.outbox(t, EventInventoryChanged)); n != 0 {
		t.Fatalf("%d inventory.changed outbox items: the event is derived from the level now", n)
	}
	completed := sh.outbox(t, EventOrderCompleted)
	if len(completed) != 1 || !strings.Contains(completed[0]["data"].(*types.AttributeValueMemberS).Value, fmt.Sprintf(`"registerId":%q`, reg1)) {
		t.Fatalf("order.completed %v", completed)
	}
	changed := events(t, sh.tb, sh.ctx)
	if len(changed) != 1 || changed[0] != (inventoryChangedData{LocationID: sh.loc.ID, VariantID: sh.variant.ID, OnHand: 1, Version: 2, Delta: -2, Reason: "SALE", Reference: o.ID, OccurredAt: fmtTime(got.CreatedAt)}) {
		t.Fatalf("inventory.changed = %+v", changed)
	}
	t.Run("replay returns the first order and writes nothing", func(t *testing.T) {
		again, err := sh.checkout(t, "k1", 2)
		if err != nil || again.ID != o.ID || again.RegisterID != reg1 {
			t.Fatalf("replay: %v %v", again.ID, err)
		}
		if l := sh.level(t); l.OnHand != 1 || l.Version != 2 || sh.registerSeq(t, reg1) != 1 {
			t.Fatalf("replay wrote: level %+v", l)
		}
	})
	t.Run("same key, other request", func(t *testing.T) {
		if _, err := sh.checkout(t, "k1", 1); apperr.CodeOf(err) != apperr.IdempotencyKeyReused {
			t.Fatalf("err = %v", err)
		}
		if _, err := sh.sell(t, "k1", reg1, 2); apperr.CodeOf(err) != apperr.IdempotencyKeyReused {
			t.Fatalf("naming the register the first request defaulted to is another request: %v", err)
		}
	})
	t.Run("not enough stock writes nothing", func(t *testing.T) {
		_, err := sh.checkout(t, "k2", 2)
		if apperr.CodeOf(err) != apperr.OutOfStock || !strings.Contains(err.Error(), "on hand: 1") {
			t.Fatalf("err = %v", err)
		}
		if l := sh.level(t); l.OnHand != 1 || l.Version != 2 || sh.registerSeq(t, reg1) != 1 {
			t.Fatalf("level = %+v", l)
		}
		if _, ok, err := lookupIdempotency(t, sh.tb, sh.ctx, idempotency.Request{Operation: sales.OpCheckout, Key: "k2"}); ok || err != nil {
			t.Fatal("idempotency record written despite shortage")
		}
	})
	t.Run("negative stock when allowed", func(t *testing.T) {
		sh.allowNegative(t)
		o, err := sh.checkout(t, "k3", 5)
		if err != nil || o.Number != "001-01-000002" {
			t.Fatalf("%s %v", o.Number, err)
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
		l := sh.level(t)
		if want := (stockItem{PK: stockPK(tpk, sh.loc.ID, sh.variant.ID), SK: skStock, Type: "StockLevel", GSI1PK: stockListPK(tpk, sh.loc.ID), GSI1SK: sh.variant.ID,
			LocationID: sh.loc.ID, VariantID: sh.variant.ID, OnHand: -1, Version: 1, UpdatedAt: l.UpdatedAt, Change: l.Change}); l != want || l.UpdatedAt == "" {
			t.Fatalf("level created by a sale = %+v", l)
		}
	})
	t.Run("other tenant cannot read the order", func(t *testing.T) {
		if _, err := sh.st.GetOrder(tenantCtx(t), o.ID); apperr.CodeOf(err) != apperr.NotFound {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestSalesStore_CheckoutRegisters: which register a sale is numbered at,
// and the rules of the bad ones.
func TestSalesStore_CheckoutRegisters(t *testing.T) {
	tbl := mustTable(t)
	sh := newShop(t, tbl, 100)
	regs := sh.registers(t, 3)
	other := newShop(t, tbl, 100) // another tenant
	second := newShop(t, tbl, 0)  // another location of sh's tenant, with its register 1
	second.ctx, second.variant = sh.ctx, sh.variant
	loc2, _ := tenant.NewLocation(ids.New(ids.Location), "Annex", "", tenant.Tenant{Timezone: "Asia/Tokyo"}, time.Now())
	loc2, err := NewTenantStore(tbl).CreateLocation(sh.ctx, loc2)
	if err != nil {
		t.Fatal(err)
	}
	second.loc = loc2
	loc2Regs := second.registers(t, 2)

	t.Run("no registerId sells at the location's first register", func(t *testing.T) {
		o, err := sh.checkout(t, "d1", 1)
		if err != nil || o.RegisterID != regs[0] || o.Number != "001-01-000001" {
			t.Fatalf("%+v %v", o.Number, err)
		}
	})
	t.Run("a named register numbers its own orders", func(t *testing.T) {
		for i, want := range []string{"001-03-000001", "001-03-000002"} {
			o, err := sh.sell(t, fmt.Sprint("r3-", i), regs[2], 1)
			if err != nil || o.RegisterID != regs[2] || o.Number != want {
				t.Fatalf("sale %d: %s at %s, %v", i, o.Number, o.RegisterID, err)
			}
		}
		if o, err := sh.checkout(t, "d2", 1); err != nil || o.Number != "001-01-000002" {
			t.Fatalf("register 1 after register 3: %s %v", o.Number, err)
		}
	})
	t.Run("an API key bound to a register sells there by default", func(t *testing.T) {
		p, _ := identity.PrincipalFrom(sh.ctx)
		p.UserID, p.APIKeyID, p.RegisterID, p.Role, p.Scopes = "", "key_x", regs[1], "", []identity.Scope{identity.ScopeOrdersWrite}
		device := sh
		device.ctx = identity.WithPrincipal(sh.ctx, p)
		o, err := device.checkout(t, "dev1", 1)
		if err != nil || o.RegisterID != regs[1] || o.Number != "001-02-000001" || o.Source != "API" {
			t.Fatalf("%s at %s (%s), %v", o.Number, o.RegisterID, o.Source, err)
		}
		if o, err := device.sell(t, "dev2", regs[2], 1); err != nil || o.RegisterID != regs[2] {
			t.Fatalf("naming another register: %s %v", o.RegisterID, err)
		}
	})
	refused := []struct {
		name       string
		ctx        context.Context
		registerID string
		code       apperr.Code
		message    string
	}{
		{"malformed", sh.ctx, "reg_nope", apperr.NotFound, "register not found"},
		{"not a register id at all", sh.ctx, sh.loc.ID, apperr.NotFound, "register not found"},
		{"no such register at the location", sh.ctx, tenant.RegisterID(sh.loc.ID, 9), apperr.NotFound, "register not found"},
		{"another location's register that exists", sh.ctx, loc2Regs[1], apperr.Invalid, "another location"},
		{"another location's register that does not exist", sh.ctx, tenant.RegisterID(loc2.ID, 7), apperr.NotFound, "register not found"},
		{"another tenant's register", sh.ctx, tenant.RegisterID(other.loc.ID, 1), apperr.NotFound, "register not found"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sh.svc.Checkout(tc.ctx, sh.input("bad-"+tc.name, tc.registerID, 1))
			l, _ := apperr.Expected(err)
			if apperr.CodeOf(err) != tc.code || len(l) != 1 || !slices.Equal(l[0].Field, []string{"input", "registerId"}) || !strings.Contains(l[0].Message, tc.message) {
				t.Fatalf("err = %v (%+v)", err, l)
			}
		})
	}
	t.Run("a deactivated register is INVALID and writes nothing", func(t *testing.T) {
		sh.deactivate(t, regs[2])
		before := sh.level(t)
		_, err := sh.sell(t, "off", regs[2], 1)
		if apperr.CodeOf(err) != apperr.Invalid || !strings.Contains(err.Error(), "deactivated") {
			t.Fatalf("err = %v", err)
		}
		if after := sh.level(t); after.Version != before.Version || sh.registerSeq(t, regs[2]) != 3 {
			t.Fatalf("a refused sale wrote: %+v → %+v", before, after)
		}
	})
	t.Run("a register deactivated after the read refuses the write", func(t *testing.T) {
		loaded, err := sh.st.LoadSale(sh.ctx, sales.SaleQuery{LocationID: sh.loc.ID, RegisterID: regs[1], VariantIDs: []string{sh.variant.ID}, Idempotency: sh.input("late-off", regs[1], 1).Request()})
		if err != nil || loaded.Register == nil || !loaded.Register.Register.Active || loaded.Register.Seq != 1 {
			t.Fatalf("loaded %+v %v", loaded.Register, err)
		}
		sh.deactivate(t, regs[1])
		sale, err := sales.Price(sh.input("late-off", regs[1], 1), loaded.Snapshot, ids.New("ord"), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		sale.Order.RegisterID = regs[1]
		_, _, err = sh.st.SaveSale(sh.ctx, sale, 2, sh.input("late-off", regs[1], 1).Request())
		var stale *sales.StaleError
		if !errors.As(err, &stale) || !stale.RegisterMoved || stale.Register == nil || stale.Register.Register.Active || stale.Register.Seq != 1 {
			t.Fatalf("err = %v (%+v)", err, stale)
		}
	})
	t.Run("a location that does not exist is only the location's error", func(t *testing.T) {
		in := sh.input("noloc", "", 1)
		in.LocationID = ids.New(ids.Location)
		_, err := sh.svc.Checkout(sh.ctx, in)
		l, _ := apperr.Expected(err)
		if len(l) != 1 || l[0].Code != apperr.NotFound || !slices.Equal(l[0].Field, []string{"input", "locationId"}) {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestSalesStore_ConcurrentSalesAtOneRegister: sales racing for one
// register's next number all commit, numbered 1…n without gaps. Far more
// clients than one till ever has race here, so a sale may run out of
// attempts: it is UNAVAILABLE and, like a POS app, retried with its key.
func TestSalesStore_ConcurrentSalesAtOneRegister(t *testing.T) {
	const n = 12
	sh := newShop(t, mustTable(t), 1000)
	reg := sh.registers(t, 2)[1]
	var wg sync.WaitGroup
	numbers := make(chan string, n)
	for i := range n {
		wg.Go(func() {
			o, err := sh.sellAsPOS(t, fmt.Sprint("one-", i), reg, 1)
			if err != nil {
				t.Errorf("sale %d: %v", i, err)
				return
			}
			numbers <- o.Number
		})
	}
	wg.Wait()
	close(numbers)
	var got []string
	for num := range numbers {
		got = append(got, num)
	}
	slices.Sort(got)
	for i, num := range got {
		if want := sales.OrderNumber(sh.loc.Number, 2, int64(i+1)); num != want {
			t.Fatalf("numbers %v: want %s at %d", got, want, i)
		}
	}
	if len(got) != n || sh.registerSeq(t, reg) != n || sh.level(t).OnHand != 1000-n {
		t.Fatalf("%d numbers, seq %d, level %+v", len(got), sh.registerSeq(t, reg), sh.level(t))
	}
}

// transactCounter counts TransactWriteItems calls, the cancelled ones, and
// the actions of the last call.
type transactCounter struct {
	calls, cancelled, actions atomic.Int64
}

func (c *transactCounter) option(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("countTransactions",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				tw, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput)
				out, md, err := next.HandleInitialize(ctx, in)
				if ok {
					c.calls.Add(1)
					c.actions.Store(int64(len(tw.TransactItems)))
					var tce *types.TransactionCanceledException
					if errors.As(err, &tce) {
						c.cancelled.Add(1)
					}
				}
				return out, md, err
			}), middleware.Before)
	})
}

// TestSalesStore_CommutativeTakes: registers selling one item at once do
// not invalidate each other — every sale commits with its first
// transaction — and the level ends exact.
func TestSalesStore_CommutativeTakes(t *testing.T) {
	var c transactCounter
	sh := newShop(t, mustTable(t, c.option), 1000)
	regs := sh.registers(t, 8)
	c.calls.Store(0)
	var wg sync.WaitGroup
	for i, reg := range regs {
		wg.Go(func() {
			if _, err := sh.sell(t, fmt.Sprint("hot-", i), reg, 3); err != nil {
				t.Errorf("sale %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if c.calls.Load() != int64(len(regs)) || c.cancelled.Load() != 0 {
		t.Fatalf("%d transactions (%d cancelled) for %d sales: sales of one item cancelled each other", c.calls.Load(), c.cancelled.Load(), len(regs))
	}
	if l := sh.level(t); l.OnHand != 1000-3*int64(len(regs)) || l.Version != 1+int64(len(regs)) {
		t.Fatalf("level %+v", l)
	}
}

// TestSalesStore_CheckoutActions: a sale of three tracked variants is one
// BatchGetItem and one transaction of 7 actions (record, order,
// order.completed, register, three takes).
func TestSalesStore_CheckoutActions(t *testing.T) {
	var c transactCounter
	sh := newShop(t, mustTable(t, c.option), 10)
	tpk, _ := tenantPK(sh.ctx)
	in := sh.input("three", "", 1)
	for range 2 {
		id := putVariant(t, sh.tb, sh.ctx, ids.New("SKU"), true)
		putRaw(t, sh.tb, stockItem{PK: stockPK(tpk, sh.loc.ID, id), SK: skStock, Type: "StockLevel", GSI1PK: stockListPK(tpk, sh.loc.ID), GSI1SK: id, LocationID: sh.loc.ID, VariantID: id, OnHand: 5, Version: 1})
		in.Lines = append(in.Lines, sales.CheckoutLine{VariantID: id, Quantity: 1})
	}
	in.Payments[0].Amount.Amount = 300 + 2*500
	c.calls.Store(0)
	if _, err := sh.svc.Checkout(sh.ctx, in); err != nil {
		t.Fatal(err)
	}
	if c.calls.Load() != 1 || c.actions.Load() != 7 {
		t.Fatalf("%d transactions, last of %d actions; want 1 of 7", c.calls.Load(), c.actions.Load())
	}
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

// TestSalesStore_ConcurrentLastUnits: however the sales are spread over
// registers, stock never goes below zero: exactly as many sales as units.
func TestSalesStore_ConcurrentLastUnits(t *testing.T) {
	for _, tc := range []struct {
		name               string
		units, sales, regs int
	}{
		{"8 registers, the last 5 units", 5, 8, 8},
		{"1 register, 30 sales of 10 units", 10, 30, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sh := newShop(t, mustTable(t), int64(tc.units))
			regs := sh.registers(t, tc.regs)
			var wg sync.WaitGroup
			var sold, short atomic.Int64
			numbers := make(chan string, tc.sales)
			for i := range tc.sales {
				wg.Go(func() {
					o, err := sh.sellAsPOS(t, fmt.Sprint("c", i), regs[i%len(regs)], 1)
					switch {
					case err == nil:
						sold.Add(1)
						numbers <- o.Number
					case apperr.CodeOf(err) == apperr.OutOfStock:
						short.Add(1)
					default:
						t.Errorf("sale %d: %v", i, err)
					}
				})
			}
			wg.Wait()
			close(numbers)
			if l := sh.level(t); sold.Load() != int64(tc.units) || short.Load() != int64(tc.sales-tc.units) || l.OnHand != 0 || l.Version != int64(tc.units)+1 {
				t.Fatalf("sold %d short %d level %+v", sold.Load(), short.Load(), l)
			}
			// Per register, the numbers taken are 1…k without gaps.
			perRegister := map[string][]string{}
			for num := range numbers {
				perRegister[num[:7]] = append(perRegister[num[:7]], num)
			}
			for prefix, nums := range perRegister {
				slices.Sort(nums)
				for i, num := range nums {
					if want := fmt.Sprintf("%s%06d", prefix, i+1); num != want {
						t.Fatalf("register %s numbers %v have a gap", prefix, nums)
					}
				}
			}
			evs := events(t, sh.tb, sh.ctx)
			if len(evs) != tc.units {
				t.Fatalf("%d inventory.changed events, want %d", len(evs), tc.units)
			}
			for i, e := range evs {
				if e.Version != int64(i+2) || e.OnHand != int64(tc.units-i-1) {
					t.Fatalf("event %d = %+v", i, e)
				}
			}
		})
	}
}

func TestSalesStore_StaleRegister(t *testing.T) {
	sh := newShop(t, mustTable(t), 5)
	if _, err := sh.checkout(t, "first", 1); err != nil {
		t.Fatal(err)
	}
	// A sale computed from the state before "first": number 1.
	loaded := sales.Snapshot{Tenant: tenant.Tenant{Currency: "JPY", PricesIncludeTax: true, TaxRounding: tenant.RoundFloor}, Location: sh.loc,
		Variants: map[string]catalog.Variant{sh.variant.ID: sh.variant}}
	in := sh.input("late", "", 1)
	sale, err := sales.Price(in, loaded, ids.New("ord"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sale.Order.RegisterID = tenant.RegisterID(sh.loc.ID, 1)
	_, _, err = sh.st.SaveSale(sh.ctx, sale, 1, in.Request())
	var stale *sales.StaleError
	if !errors.As(err, &stale) || !stale.RegisterMoved || stale.Register == nil || stale.Register.Seq != 1 || len(stale.Levels) != 0 {
		t.Fatalf("err = %v (%+v)", err, stale)
	}
	if l := sh.level(t); l.OnHand != 4 {
		t.Fatalf("a stale sale wrote: %+v", l)
	}
	t.Run("a take that runs short reports the level as it is", func(t *testing.T) {
		sale.Decrements[0].Quantity = 9
		_, _, err = sh.st.SaveSale(sh.ctx, sale, 2, in.Request())
		if !errors.As(err, &stale) || stale.RegisterMoved || stale.Levels[sh.variant.ID].OnHand != 4 || stale.Levels[sh.variant.ID].Version != 2 {
			t.Fatalf("err = %v (%+v)", err, stale)
		}
	})
}
