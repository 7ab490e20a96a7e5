package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/idempotency"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// TestSalesStore_CloseRevisions: a close is computed from the day's orders
// and stored with its register.closed event; the same request returns it,
// the same figures under a new key too; a late sale makes revision 2, and
// a writer of a revision that exists gets CONFLICT.
func TestSalesStore_CloseRevisions(t *testing.T) {
	sh := newShop(t, mustTable(t), 100)
	svc := sh.offlineService()
	zone, _ := sh.loc.Zone()
	noon := time.Now().In(zone).AddDate(0, 0, -1)
	noon = time.Date(noon.Year(), noon.Month(), noon.Day(), 12, 0, 0, 0, zone)
	date := noon.Format(time.DateOnly)
	if _, err := svc.SyncOfflineSales(sh.ctx, []sales.OfflineSaleInput{sh.offlineSale("a", noon, 2), sh.offlineSale("b", noon.AddDate(0, 0, -1), 1)}); err != nil {
		t.Fatal(err)
	}
	reg := tenant.RegisterID(sh.loc.ID, 1)
	in := sales.CloseInput{IdempotencyKey: "close-1", LocationID: sh.loc.ID, RegisterID: reg, BusinessDate: date, CountedCash: sales.Money{Amount: 500, Currency: "JPY"}}
	c, err := svc.CloseRegister(sh.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if c.Revision != 1 || c.OrderCount != 1 || c.Gross != 600 || c.ExpectedCash != 600 || c.Difference != -100 || c.Currency != "JPY" {
		t.Fatalf("close %+v", c)
	}
	events := sh.outbox(t, EventRegisterClosed)
	if len(events) != 1 {
		t.Fatalf("%d register.closed events", len(events))
	}
	var data sales.CloseEvent
	if err := json.Unmarshal([]byte(events[0]["data"].(*types.AttributeValueMemberS).Value), &data); err != nil || data.CloseID != c.ID || data.NetSales != 600 || data.Revision != 1 || data.RegisterID != reg {
		t.Fatalf("event %+v %v", data, err)
	}
	if again, err := svc.CloseRegister(sh.ctx, in); err != nil || again.ID != c.ID {
		t.Fatalf("replay: %+v %v", again, err)
	}
	in2 := in
	in2.IdempotencyKey = "close-2"
	if same, err := svc.CloseRegister(sh.ctx, in2); err != nil || same.ID != c.ID {
		t.Fatalf("the same figures under a new key: %+v %v", same, err)
	}
	reused := in
	reused.CountedCash.Amount = 600
	if _, err := svc.CloseRegister(sh.ctx, reused); !apperr.Is(err, apperr.IdempotencyKeyReused) {
		t.Fatalf("a key reused: %v", err)
	}

	// A late sale of that date: the sync writes revision 2 itself.
	if _, err := svc.SyncOfflineSales(sh.ctx, []sales.OfflineSaleInput{sh.offlineSale("late", noon.Add(time.Hour), 1)}); err != nil {
		t.Fatal(err)
	}
	latest, err := sh.st.LatestCloses(sh.ctx, sh.loc.ID, date)
	if err != nil || len(latest) != 1 || latest[0].Revision != 2 || latest[0].OrderCount != 2 || latest[0].CountedCash != 500 || latest[0].Difference != 500-900 {
		t.Fatalf("after the late sale: %+v %v", latest, err)
	}
	if len(sh.outbox(t, EventRegisterClosed)) != 2 {
		t.Fatal("revision 2 without its event")
	}
	dup := latest[0]
	dup.ID = "cls_other"
	if _, _, err := sh.st.SaveClose(sh.ctx, dup, nil); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("a second writer of revision 2: %v", err)
	}
	future := in2
	future.IdempotencyKey, future.BusinessDate = "close-3", time.Now().In(zone).AddDate(0, 0, 2).Format(time.DateOnly)
	if _, err := svc.CloseRegister(sh.ctx, future); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("a future date: %v", err)
	}
}

// failingCloses is the close store with SaveClose down.
type failingCloses struct{ *SalesStore }

func (failingCloses) SaveClose(context.Context, sales.RegisterClose, *idempotency.Request) (sales.RegisterClose, bool, error) {
	return sales.RegisterClose{}, false, errors.New("storage down")
}

// TestSalesStore_LateSaleRevisionAfterARetry: a sync whose sales were
// written but whose revision failed answers an error; sent again, its
// sales are DUPLICATE and the revision is made then.
func TestSalesStore_LateSaleRevisionAfterARetry(t *testing.T) {
	sh := newShop(t, mustTable(t), 100)
	svc := sh.offlineService()
	zone, _ := sh.loc.Zone()
	at := time.Now().In(zone).AddDate(0, 0, -1)
	date := at.Format(time.DateOnly)
	c, err := svc.CloseRegister(sh.ctx, sales.CloseInput{IdempotencyKey: "close", LocationID: sh.loc.ID, BusinessDate: date, CountedCash: sales.Money{Currency: "JPY"}})
	if err != nil || c.OrderCount != 0 {
		t.Fatalf("%+v %v", c, err)
	}
	late := []sales.OfflineSaleInput{sh.offlineSale("late", at, 1)}
	down := &sales.Service{Store: sh.st, Offline: sh.st, Closes: failingCloses{sh.st}, Now: time.Now}
	if _, err := down.SyncOfflineSales(sh.ctx, late); err == nil {
		t.Fatal("the revision's failure was not reported")
	}
	res, err := svc.SyncOfflineSales(sh.ctx, late)
	if err != nil || res[0].Status != sales.OfflineDuplicate {
		t.Fatalf("%+v %v", res, err)
	}
	latest, err := sh.st.LatestCloses(sh.ctx, sh.loc.ID, date)
	if err != nil || len(latest) != 1 || latest[0].Revision != 2 || latest[0].OrderCount != 1 {
		t.Fatalf("after the retry: %+v %v", latest, err)
	}
}

// racingCloses runs a late sync right after the close's first read of the
// day: the sync finds no close yet, the close misses its sale.
type racingCloses struct {
	*SalesStore
	race func()
	once sync.Once
}

func (r *racingCloses) DayActivity(ctx context.Context, loc string, from, to time.Time) ([]sales.Order, []sales.Refund, error) {
	orders, refunds, err := r.SalesStore.DayActivity(ctx, loc, from, to)
	r.once.Do(r.race)
	return orders, refunds, err
}

// TestSalesStore_CloseSettlesARacingLateSync: a close that read the day
// just before a late sync wrote, and was written after the sync looked for
// closes, reads the day again and answers the revision that counts it.
func TestSalesStore_CloseSettlesARacingLateSync(t *testing.T) {
	sh := newShop(t, mustTable(t), 100)
	svc := sh.offlineService()
	zone, _ := sh.loc.Zone()
	at := time.Now().In(zone).AddDate(0, 0, -1)
	racing := &racingCloses{SalesStore: sh.st}
	racing.race = func() {
		if res, err := svc.SyncOfflineSales(sh.ctx, []sales.OfflineSaleInput{sh.offlineSale("racing", at, 1)}); err != nil || res[0].Status != sales.OfflineCreated {
			t.Errorf("racing sync: %+v %v", res, err)
		}
	}
	closing := &sales.Service{Store: sh.st, Offline: sh.st, Closes: racing, Now: time.Now}
	c, err := closing.CloseRegister(sh.ctx, sales.CloseInput{IdempotencyKey: "close", LocationID: sh.loc.ID, BusinessDate: at.Format(time.DateOnly), CountedCash: sales.Money{Amount: 300, Currency: "JPY"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Revision != 2 || c.OrderCount != 1 || c.Difference != 0 || c.CountedCash != 300 {
		t.Fatalf("close %+v: want revision 2 counting the racing sale", c)
	}
}
