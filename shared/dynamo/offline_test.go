package dynamo

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tenant"
)

func (sh shop) offlineService() *sales.Service {
	return &sales.Service{Store: sh.st, Offline: sh.st, Closes: sh.st, Now: time.Now}
}

func (sh shop) offlineSale(id string, at time.Time, qty int64) sales.OfflineSaleInput {
	in := sh.input(id, "", qty)
	return sales.OfflineSaleInput{ClientSaleID: id, OccurredAt: at, LocationID: in.LocationID, Lines: in.Lines, Payments: in.Payments}
}

// TestSalesStore_OfflineSyncGroups: 40 sales of one item at one register
// are 2 transactions (32 + 8 sales), each taking the level once by the
// group's total; numbers are gap-free; the level goes below zero and is
// marked; the same batch again writes nothing.
func TestSalesStore_OfflineSyncGroups(t *testing.T) {
	var c transactCounter
	sh := newShop(t, mustTable(t, c.option), 5)
	svc := sh.offlineService()
	at := time.Now().Add(-time.Hour)
	batch := make([]sales.OfflineSaleInput, 40)
	for i := range batch {
		batch[i] = sh.offlineSale(fmt.Sprint("sale-", i), at.Add(time.Duration(i)*time.Second), 1)
	}
	before := c.calls.Load()
	res, err := svc.SyncOfflineSales(sh.ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Status != sales.OfflineCreated || r.Order.Number != sales.OrderNumber(sh.loc.Number, 1, int64(i+1)) || !r.Order.CreatedAt.Equal(batch[i].OccurredAt) || r.Order.Source != "OFFLINE" {
			t.Fatalf("sale %d: %+v %+v", i, r, r.Order)
		}
	}
	if got := c.calls.Load() - before; got != 2 {
		t.Fatalf("%d transactions for 40 sales of one item, want 2 (32 + 8)", got)
	}
	l := sh.level(t)
	if l.OnHand != 5-40 || l.Version != 1+2 || l.OversoldAt == "" {
		t.Fatalf("level %+v: want onHand -35, version 3 (one change per group), oversold", l)
	}
	if l.Change.Delta != -8 || len(strings.Fields(l.Change.Reference)) != 8 || l.Change.Reason != "SALE" {
		t.Fatalf("the second group's change %+v: want delta -8 naming its 8 orders", l.Change)
	}
	if sh.registerSeq(t, tenant.RegisterID(sh.loc.ID, 1)) != 40 || len(sh.outbox(t, EventOrderCompleted)) != 40 {
		t.Fatal("register seq or order.completed events")
	}

	before = c.calls.Load()
	again, err := svc.SyncOfflineSales(sh.ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range again {
		if r.Status != sales.OfflineDuplicate || r.Order.ID != res[i].Order.ID {
			t.Fatalf("replayed sale %d: %+v", i, r)
		}
	}
	if c.calls.Load() != before || sh.level(t).OnHand != -35 {
		t.Fatal("a replayed batch wrote")
	}
}

// TestSalesStore_OfflineGroupConflict: a group written against a register
// that moved, or holding a sale whose record exists, is cancelled whole
// and says why; the service then writes its sales one by one.
func TestSalesStore_OfflineGroupConflict(t *testing.T) {
	sh := newShop(t, mustTable(t), 100)
	svc := sh.offlineService()
	at := time.Now().Add(-time.Hour)
	if res, err := svc.SyncOfflineSales(sh.ctx, []sales.OfflineSaleInput{sh.offlineSale("first", at, 1)}); err != nil || res[0].Status != sales.OfflineCreated {
		t.Fatalf("%+v %v", res, err)
	}
	// A checkout takes number 2 meanwhile.
	if _, err := sh.checkout(t, "till", 1); err != nil {
		t.Fatal(err)
	}
	loaded, err := sh.st.LoadOffline(sh.ctx, sales.OfflineQuery{RegisterIDs: []string{tenant.RegisterID(sh.loc.ID, 1)}})
	if err != nil {
		t.Fatal(err)
	}
	reg := loaded.Registers[tenant.RegisterID(sh.loc.ID, 1)]
	if reg.Seq != 2 {
		t.Fatalf("seq %d", reg.Seq)
	}
	stale := reg
	stale.Seq = 1
	first, changed, fresh := sh.offlineSale("first", at, 1), sh.offlineSale("first", at, 2), sh.offlineSale("fresh", at, 1)
	group := func(r sales.RegisterState, ins ...sales.OfflineSaleInput) sales.OfflineGroup {
		g := sales.OfflineGroup{Register: r}
		for i, in := range ins {
			o := sales.Order{ID: fmt.Sprint("ord_test", i), Number: fmt.Sprint(i), LocationID: sh.loc.ID, RegisterID: r.Register.ID, Status: sales.StatusCompleted, Source: "OFFLINE", Currency: "JPY", CreatedAt: at}
			g.Sales = append(g.Sales, sales.OfflineWrite{Sale: sales.Sale{Order: o, AllowNegativeStock: true,
				Decrements: []sales.StockDecrement{{VariantID: sh.variant.ID, Quantity: 1}}}, Idempotency: in.Request()})
		}
		return g
	}

	err = sh.st.SaveOfflineGroup(sh.ctx, group(stale, fresh), time.Now())
	c, ok := err.(*sales.OfflineConflict)
	if !ok || !c.RegisterMoved || c.Register == nil || c.Register.Seq != 2 {
		t.Fatalf("stale register: %v", err)
	}
	err = sh.st.SaveOfflineGroup(sh.ctx, group(reg, fresh, first, changed), time.Now())
	c, ok = err.(*sales.OfflineConflict)
	if !ok || c.RegisterMoved || len(c.Replays) != 2 || c.Replays[1].ID == "" || !apperr.Is(c.Replays[2].Err, apperr.IdempotencyKeyReused) {
		t.Fatalf("records that exist: %+v", err)
	}
	if sh.registerSeq(t, reg.Register.ID) != 2 || sh.level(t).OnHand != 100-2 {
		t.Fatal("a cancelled group wrote")
	}

	// Through the service: one result per sale, whatever the others are.
	res, err := svc.SyncOfflineSales(sh.ctx, []sales.OfflineSaleInput{fresh, first, changed})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Status != sales.OfflineCreated || res[0].Order.Number != sales.OrderNumber(sh.loc.Number, 1, 3) ||
		res[1].Status != sales.OfflineDuplicate || res[2].Status != sales.OfflineRejected || res[2].Errors[0].Code != apperr.IdempotencyKeyReused {
		t.Fatalf("%+v", res)
	}
}

// TestSalesStore_OfflineConcurrentSyncs: three devices send the same batch
// at once while the register also sells online. Groups cancelled by the
// race fall back to one sale per transaction: every sale is one order,
// every device gets that order for it, numbers stay gap-free.
func TestSalesStore_OfflineConcurrentSyncs(t *testing.T) {
	var c transactCounter
	sh := newShop(t, mustTable(t, c.option), 1000)
	svc := sh.offlineService()
	at := time.Now().Add(-time.Hour)
	batch := make([]sales.OfflineSaleInput, 60)
	for i := range batch {
		batch[i] = sh.offlineSale(fmt.Sprint("dev-", i), at.Add(time.Duration(i)*time.Second), 1)
	}
	const devices, checkouts = 3, 10
	results := make([][]sales.OfflineResult, devices)
	errs := make([]error, devices+1)
	var wg sync.WaitGroup
	for d := range devices {
		wg.Go(func() {
			for try := 0; try < 5; try++ { // as a POS app: UNAVAILABLE is sent again
				results[d], errs[d] = svc.SyncOfflineSales(sh.ctx, batch)
				if apperr.CodeOf(errs[d]) != apperr.Unavailable {
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := range checkouts {
			if _, err := sh.sellAsPOS(t, fmt.Sprint("till-", i), "", 1); err != nil {
				errs[devices] = err
				return
			}
		}
	})
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range batch {
		created := 0
		for d := range devices {
			r := results[d][i]
			if r.Status == sales.OfflineCreated {
				created++
			}
			if r.Order == nil || r.Order.ID != results[0][i].Order.ID {
				t.Fatalf("sale %d: device %d got %+v, device 0 %+v", i, d, r, results[0][i])
			}
		}
		if created != 1 {
			t.Fatalf("sale %d created %d times", i, created)
		}
	}
	orders, _, err := sh.st.DayActivity(sh.ctx, sh.loc.ID, at.Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	numbers := map[string]bool{}
	for _, o := range orders {
		numbers[o.Number] = true
	}
	if len(orders) != len(batch)+checkouts || len(numbers) != len(orders) || sh.registerSeq(t, tenant.RegisterID(sh.loc.ID, 1)) != int64(len(orders)) {
		t.Fatalf("%d orders, %d numbers, seq %d", len(orders), len(numbers), sh.registerSeq(t, tenant.RegisterID(sh.loc.ID, 1)))
	}
	if l := sh.level(t); l.OnHand != 1000-int64(len(orders)) || l.OversoldAt != "" {
		t.Fatalf("level %+v", l)
	}
	t.Logf("%d transactions, %d cancelled by the race", c.calls.Load(), c.cancelled.Load())
}

// TestSalesStore_OfflineReadInWaves: a sync naming more keys than one wave
// (500 records, 500 variants, 500 levels) reads them all: each sale is
// answered, here NOT_FOUND for its unknown variant, and one good sale is
// created among them.
func TestSalesStore_OfflineReadInWaves(t *testing.T) {
	sh := newShop(t, mustTable(t), 100)
	at := time.Now().Add(-time.Hour)
	batch := make([]sales.OfflineSaleInput, 500)
	for i := range batch {
		batch[i] = sh.offlineSale(fmt.Sprint("wave-", i), at, 1)
		if i != 250 {
			batch[i].Lines[0].VariantID = fmt.Sprintf("var_%026d", i)
		}
	}
	res, err := sh.offlineService().SyncOfflineSales(sh.ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		want := sales.OfflineRejected
		if i == 250 {
			want = sales.OfflineCreated
		}
		if r.Status != want || (want == sales.OfflineRejected && r.Errors[0].Code != apperr.NotFound) {
			t.Fatalf("sale %d: %+v", i, r)
		}
	}
}
