package dynamo

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/integrations"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// outboxImage reads an outbox item as the stream would carry it.
func outboxImage(tb testing.TB, t *Table, tid, eventID string) (Event, bool) {
	tb.Helper()
	res, err := t.client.GetItem(tb.Context(), &dynamodb.GetItemInput{TableName: &t.name, Key: key(outboxPK(tid, eventID), skOutbox), ConsistentRead: aws.Bool(true)})
	if err != nil || res.Item == nil {
		tb.Fatalf("outbox item %s: %v", eventID, err)
	}
	e, ok, err := EventFromImage(res.Item)
	if err != nil {
		tb.Fatal(err)
	}
	return e, ok
}

func TestIntegrationStore_Undispatched(t *testing.T) {
	tbl := mustTable(t)
	st := NewIntegrationStore(tbl)
	sst := NewSalesStore(tbl)
	ctxA, ctxB := tenantCtx(t), tenantCtx(t)
	tidA, _ := tenant.IDFrom(ctxA)
	tidB, _ := tenant.IDFrom(ctxB)
	now := time.Now().UTC()
	// Yesterday's bucket, today's, and customers of two tenants.
	late := now.Truncate(24 * time.Hour).Add(-2 * time.Hour)
	iid := ids.New(ids.Integration)
	inbound := integrations.Event{ID: ids.NewAt("evt", late), Type: integrations.EventShopifyOrder, CreatedAt: late, Data: json.RawMessage(`{"order":1}`), IntegrationID: iid}
	if dup, err := st.RecordInbound(ctxA, inbound, "wh-1"); err != nil || dup {
		t.Fatalf("record inbound: %v %v", dup, err)
	}
	var customers []sales.Customer
	for i, ctx := range []context.Context{ctxA, ctxB} {
		c, err := sales.NewCustomer(ids.New(sales.CustomerIDPrefix), "Tanaka", "t@example.com", "", now.Add(time.Duration(i-3)*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if err := sst.CreateCustomer(ctx, c); err != nil {
			t.Fatal(err)
		}
		customers = append(customers, c)
	}

	list, err := st.Undispatched(context.Background(), now, 48*time.Hour, 10)
	if err != nil || len(list) != 3 {
		t.Fatalf("undispatched: %+v %v", list, err)
	}
	in, ca, cb := list[0], list[1], list[2]
	if in.ID != inbound.ID || in.TenantID != tidA || in.IntegrationID != iid || !in.FromOutbox || string(in.Data) != `{"order":1}` || !in.CreatedAt.Equal(late) {
		t.Fatalf("inbound event: %+v", in)
	}
	if ca.TenantID != tidA || cb.TenantID != tidB || ca.Type != integrations.EventCustomerCreated || ca.IntegrationID != "" {
		t.Fatalf("customer events: %+v %+v", ca, cb)
	}
	var data map[string]string
	if err := json.Unmarshal(cb.Data, &data); err != nil || data["customerId"] != customers[1].ID || data["name"] != "Tanaka" ||
		data["email"] != "t@example.com" || data["createdAt"] != fmtTime(customers[1].CreatedAt) {
		t.Fatalf("customer.created data %s (%v)", cb.Data, err)
	}

	t.Run("window and limit", func(t *testing.T) {
		if l, _ := st.Undispatched(context.Background(), now, time.Hour, 10); len(l) != 2 || l[0].ID != ca.ID {
			t.Fatalf("1h lookback: %+v", l)
		}
		if l, _ := st.Undispatched(context.Background(), now.Add(-2*time.Second), time.Hour, 10); len(l) != 1 || l[0].ID != ca.ID {
			t.Fatalf("before the second customer: %+v", l)
		}
		if l, _ := st.Undispatched(context.Background(), now, 48*time.Hour, 1); len(l) != 1 || l[0].ID != in.ID {
			t.Fatalf("limit 1: %+v", l)
		}
	})
	t.Run("marked events leave the index, once", func(t *testing.T) {
		if e, ok := outboxImage(t, tbl, tidA, ca.ID); !ok || e.ID != ca.ID || !e.FromOutbox {
			t.Fatalf("image before the mark: %+v %v", e, ok)
		}
		if err := st.MarkDispatched(ctxA, ca.ID, now); err != nil {
			t.Fatal(err)
		}
		if err := st.MarkDispatched(ctxA, ca.ID, now.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := st.MarkDispatched(ctxB, ca.ID, now); err != nil { // another tenant's id: nothing of B's
			t.Fatal(err)
		}
		if err := st.MarkDispatched(ctxA, ids.New("evt"), now); err != nil {
			t.Fatalf("mark of a missing event: %v", err)
		}
		l, err := st.Undispatched(context.Background(), now, 48*time.Hour, 10)
		if err != nil || len(l) != 2 || l[0].ID != in.ID || l[1].ID != cb.ID {
			t.Fatalf("after the mark: %+v %v", l, err)
		}
		if _, ok := outboxImage(t, tbl, tidA, ca.ID); ok {
			t.Fatal("the dispatched image carries the event again")
		}
		var it outboxItem
		if _, err := tbl.get(ctxA, key(outboxPK(tidA, ca.ID), skOutbox), &it); err != nil || it.DispatchedAt != fmtTime(now) {
			t.Fatalf("dispatchedAt %q (%v): the second mark wrote", it.DispatchedAt, err)
		}
	})
}

func TestIntegrationStore_RecordInbound(t *testing.T) {
	tbl := mustTable(t)
	st := NewIntegrationStore(tbl)
	ctx := tenantCtx(t)
	tid, _ := tenant.IDFrom(ctx)
	iid := ids.New(ids.Integration)
	ev := integrations.Event{Type: integrations.EventShopifyOrder, Data: json.RawMessage(`{"id":1}`), IntegrationID: iid}
	if dup, err := st.RecordInbound(ctx, ev, "delivery-1"); err != nil || dup {
		t.Fatalf("first: %v %v", dup, err)
	}
	if dup, err := st.RecordInbound(ctx, ev, "delivery-1"); err != nil || !dup {
		t.Fatalf("same delivery again: %v %v", dup, err)
	}
	if dup, err := st.RecordInbound(ctx, ev, "delivery-2"); err != nil || dup {
		t.Fatalf("another delivery: %v %v", dup, err)
	}
	other := ev
	other.IntegrationID = ids.New(ids.Integration)
	if dup, err := st.RecordInbound(ctx, other, "delivery-1"); err != nil || dup {
		t.Fatalf("same delivery id, another integration: %v %v", dup, err)
	}
	if dup, err := st.RecordInbound(tenantCtx(t), ev, "delivery-1"); err != nil || dup {
		t.Fatalf("same delivery id, another tenant: %v %v", dup, err)
	}
	l, err := st.Undispatched(context.Background(), time.Now().Add(time.Second), time.Hour, 10)
	if err != nil || len(l) != 4 {
		t.Fatalf("events written: %d %v", len(l), err)
	}
	n := 0
	for _, e := range l {
		if e.TenantID == tid && e.IntegrationID == iid {
			n++
			if e, ok := outboxImage(t, tbl, tid, e.ID); !ok || e.IntegrationID != iid || e.Integration().IntegrationID != iid {
				t.Fatalf("image of the inbound event: %+v", e)
			}
		}
	}
	if n != 2 {
		t.Fatalf("%d events for the integration, want 2", n)
	}
	bad := ev
	bad.IntegrationID = "int_x"
	if _, err := st.RecordInbound(ctx, bad, "delivery-3"); err == nil {
		t.Fatal("an event for a malformed integration id was recorded")
	}
}

func TestOutboxShard_StableAndSpread(t *testing.T) {
	counts := make([]int, undispatchedShard)
	for range 1600 {
		tid := ids.New(ids.Tenant)
		shard := outboxShard(tid)
		if again := outboxShard(string([]byte(tid))); again != shard {
			t.Fatal("shard not stable")
		}
		counts[shard]++
	}
	for shard, c := range counts {
		if c < 50 {
			t.Fatalf("shard %d got %d of 1600 tenants: %v", shard, c, counts)
		}
	}
	at := time.Date(2026, 11, 30, 23, 59, 59, 0, time.FixedZone("JST", 9*3600))
	if pk := undispatchedPK("tnt_x", at); pk[:len("OUTBOX#2026-11-30#")] != "OUTBOX#2026-11-30#" || len(pk) != len("OUTBOX#2026-11-30#00") {
		t.Fatalf("bucket %q (the UTC date, two-digit shard)", pk)
	}
}
