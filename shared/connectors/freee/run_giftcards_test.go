package freee_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/connectors/freee"
	"github.com/renkei-pos/renkei/shared/connectors/freee/freeefake"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/integrations"
)

// withLoads adds the close's giftCardLoads to a register.closed event.
func withLoads(tb testing.TB, ev integrations.Event, loads int64) integrations.Event {
	tb.Helper()
	var d map[string]any
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		tb.Fatal(err)
	}
	d["giftCardLoads"] = loads
	ev.Data = mustJSON(tb, d)
	return ev
}

// A close with gift card loads posts them on the mapped liability account
// (対象外), apart from the sales details, and its GIFT_CARD payment from
// the mapped walletable; unmapped, the job fails for good naming the key.
func TestRun_GiftCardLoadsAndRedemptions(t *testing.T) {
	// ¥1,100 of 10% goods paid ¥600 cash + ¥500 gift card, and a ¥5,000
	// load paid in cash.
	ev := withLoads(t, closeEvent(t, testLocation, "2026-11-30", 1, []tx{{"STANDARD", 10, 1100, 100}},
		[]pay{{"CASH", 5600}, {"GIFT_CARD", 500}}), 5000)

	r := newRig(t)
	err := r.run(t, ev)
	if err == nil || !integrations.IsPermanent(err) || !strings.Contains(err.Error(), "giftCardLiabilityAccountItemId") {
		t.Fatalf("run without the liability account: %v, want a permanent failure naming it", err)
	}
	if len(r.f.Deals(freeefake.DefaultCompanyID)) != 0 {
		t.Fatal("a deal was posted")
	}

	f := freeefake.Start(t)
	c := freee.New(nil, nil, testApp).WithTimeout(2 * time.Second)
	s := connectSettings(t, f)
	mapping(s)["giftCardLiabilityAccountItemId"] = 103
	mapping(s)["walletables"].(map[string]any)["GIFT_CARD"] = map[string]any{"type": "credit_card", "id": 4}
	conn, err := c.Connect(t.Context(), integrations.ConnectRequest{TenantID: ids.New(ids.Tenant), IntegrationID: ids.New(ids.Integration),
		Settings: mustJSON(t, s), Local: true})
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	mapped := &rig{f: f, c: c, in: integrations.Integration{ID: ids.New(ids.Integration), TenantID: ids.New(ids.Tenant), Provider: integrations.Freee,
		Settings: conn.Settings}, marks: &memMarks{m: map[string]int64{}}, secrets: conn.Secrets}
	if err := mapped.run(t, ev); err != nil {
		t.Fatalf("run: %v", err)
	}
	d := oneDeal(t, f)
	sales, loads := detailOf(t, d, 129), detailOf(t, d, 2)
	if sales.AccountItemID != 101 || sales.Amount != 1100 || loads.AccountItemID != 103 || loads.Amount != 5000 || loads.Vat != 0 {
		t.Fatalf("details %+v", d.Details)
	}
	if p := paymentOf(t, d, "credit_card", 4); p.Amount != 500 {
		t.Fatalf("GIFT_CARD payment %+v", p)
	}
	if p := paymentOf(t, d, "wallet", 1); p.Amount != 5600 {
		t.Fatalf("CASH payment %+v", p)
	}
	// Posted once: the same event again changes nothing.
	if err := mapped.run(t, ev); err != nil || len(f.Deals(freeefake.DefaultCompanyID)) != 1 {
		t.Fatalf("rerun: %v", err)
	}
}
