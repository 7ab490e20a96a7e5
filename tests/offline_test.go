package tests

import (
	"fmt"
	"testing"
	"time"
)

// syncMutation asks what a POS app needs of each result; it reads an
// order's details with order(id) (a full sync is priced for 500 results).
const syncMutation = `mutation($in: SyncOfflineSalesInput!) { syncOfflineSales(input: $in) {
  results { clientSaleId status userErrors { field code message } order { id number } }
  userErrors { field code message } } }`

const offlineOrderQuery = `query($id: ID!) { order(id: $id) { id number source createdAt total { amount } register { id }
  payments { method status amount { amount } reference } } }`

func syncOffline(tb testing.TB, token string, sales []any) gqlResponse {
	tb.Helper()
	return gql(tb, token, syncMutation, map[string]any{"in": map[string]any{"sales": sales}})
}

// offlineSale is one onigiri (¥540) and qty mugs (¥1,105) paid in cash, at at.
func (s store) offlineSale(id string, at time.Time, qty int) map[string]any {
	total := int64(540 + 1105*qty)
	return map[string]any{"clientSaleId": id, "occurredAt": at.UTC().Format(time.RFC3339Nano), "locationId": s.loc,
		"lines":    []any{map[string]any{"variantId": s.onigiri, "quantity": 1}, map[string]any{"variantId": s.mug, "quantity": qty}},
		"payments": []any{cashPayment(total, total)}}
}

type offlineResult struct {
	id, status, order, number string
	codes                     []string
}

func offlineResults(tb testing.TB, r gqlResponse) []offlineResult {
	tb.Helper()
	mustOK(tb, r, "syncOfflineSales")
	var out []offlineResult
	for _, x := range field(tb, r.Data, "syncOfflineSales.results").([]any) {
		m := x.(map[string]any)
		res := offlineResult{id: m["clientSaleId"].(string), status: m["status"].(string)}
		if o, ok := m["order"].(map[string]any); ok {
			res.order, res.number = o["id"].(string), o["number"].(string)
		}
		for _, e := range m["userErrors"].([]any) {
			res.codes = append(res.codes, e.(map[string]any)["code"].(string))
		}
		out = append(out, res)
	}
	return out
}

func TestOfflineSync_SameBatchTwiceCreatesEachSaleOnce(t *testing.T) {
	s := newStore(t, "offline-twice", nil)
	at := time.Now().Add(-2 * time.Hour).Truncate(time.Millisecond)
	card := s.offlineSale("card-1", at.Add(time.Minute), 1)
	card["payments"] = []any{map[string]any{"method": "CARD", "amount": map[string]any{"amount": 1645, "currency": "JPY"}, "reference": "pi_3OfflineCaptured"}}
	batch := []any{s.offlineSale("sale-1", at, 1), card, s.offlineSale("sale-3", at.Add(2*time.Minute), 2)}

	r := syncOffline(t, s.m.token, batch)
	first := offlineResults(t, r)
	if len(first) != 3 {
		t.Fatalf("results = %+v", first)
	}
	for i, res := range first {
		if res.status != "CREATED" || res.order == "" {
			t.Fatalf("sale %d: %+v", i, res)
		}
		if want := fmt.Sprintf("001-01-%06d", i+1); res.number != want {
			t.Fatalf("sale %d numbered %s, want %s", i, res.number, want)
		}
	}
	or := gql(t, s.m.token, offlineOrderQuery, map[string]any{"id": first[1].order})
	mustOK(t, or, "")
	o := field(t, or.Data, "order").(map[string]any)
	if o["source"] != "OFFLINE" {
		t.Fatalf("source = %v", o["source"])
	}
	if got, _ := time.Parse(time.RFC3339Nano, o["createdAt"].(string)); !got.Equal(at.Add(time.Minute)) {
		t.Fatalf("createdAt = %v, want the sale's occurredAt %v", o["createdAt"], at.Add(time.Minute))
	}
	pay := o["payments"].([]any)[0].(map[string]any)
	if pay["method"] != "CARD" || pay["status"] != "SUCCEEDED" || pay["reference"] != "pi_3OfflineCaptured" {
		t.Fatalf("card captured offline recorded as %v", pay)
	}
	if got := onHand(t, s.m, s.loc, s.mug); got != 100-4 {
		t.Fatalf("mugs on hand after the sync = %d, want 96", got)
	}

	again := offlineResults(t, syncOffline(t, s.m.token, batch))
	for i, res := range again {
		if res.status != "DUPLICATE" || res.order != first[i].order || res.number != first[i].number {
			t.Fatalf("replayed sale %d: %+v, first %+v", i, res, first[i])
		}
	}
	if got := onHand(t, s.m, s.loc, s.mug); got != 96 {
		t.Fatalf("mugs on hand after the replay = %d, want 96", got)
	}
	if n := len(field(t, gql(t, s.m.token, `{ orders(first: 50) { nodes { id } } }`, nil).Data, "orders.nodes").([]any)); n != 3 {
		t.Fatalf("%d orders after two syncs of 3 sales", n)
	}

	// The same clientSaleId with another sale is refused; the batch's own
	// repeat of a key is answered like its first.
	changed := s.offlineSale("sale-1", at, 3)
	res := offlineResults(t, syncOffline(t, s.m.token, []any{changed, s.offlineSale("sale-4", at, 1), s.offlineSale("sale-4", at, 1)}))
	if res[0].status != "REJECTED" || res[0].codes[0] != "IDEMPOTENCY_KEY_REUSED" {
		t.Fatalf("key reused: %+v", res[0])
	}
	if res[1].status != "CREATED" || res[2].status != "DUPLICATE" || res[2].order != res[1].order {
		t.Fatalf("a key twice in one batch: %+v %+v", res[1], res[2])
	}
}

func TestOfflineSync_BadSaleIsRejectedAlone(t *testing.T) {
	s := newStore(t, "offline-bad", nil)
	at := time.Now().Add(-time.Hour)
	unknown := s.offlineSale("bad-variant", at, 1)
	unknown["lines"] = []any{map[string]any{"variantId": "var_00000000000000000000000000", "quantity": 1}}
	future := s.offlineSale("future", time.Now().Add(time.Hour), 1)
	old := s.offlineSale("too-old", time.Now().Add(-40*24*time.Hour), 1)
	short := s.offlineSale("underpaid", at, 1)
	short["payments"] = []any{cashPayment(100, 100)}
	cardToCharge := s.offlineSale("card-method", at, 1)
	cardToCharge["payments"] = []any{map[string]any{"method": "CARD", "amount": map[string]any{"amount": 1645, "currency": "JPY"}, "paymentMethodId": "pm_card_visa"}}

	res := offlineResults(t, syncOffline(t, s.m.token, []any{s.offlineSale("good-1", at, 1), unknown, future, old, short, cardToCharge, s.offlineSale("good-2", at, 1)}))
	want := []struct{ status, code string }{{"CREATED", ""}, {"REJECTED", "NOT_FOUND"}, {"REJECTED", "INVALID"}, {"REJECTED", "INVALID"},
		{"REJECTED", "INVALID"}, {"REJECTED", "INVALID"}, {"CREATED", ""}}
	for i, w := range want {
		if res[i].status != w.status || (w.code != "" && (len(res[i].codes) == 0 || res[i].codes[0] != w.code)) {
			t.Fatalf("sale %d (%s): %+v, want %s %s", i, res[i].id, res[i], w.status, w.code)
		}
	}
	if res[0].number != "001-01-000001" || res[6].number != "001-01-000002" {
		t.Fatalf("numbers %s, %s: a rejected sale must take no number", res[0].number, res[6].number)
	}
	if got := onHand(t, s.m, s.loc, s.mug); got != 98 {
		t.Fatalf("mugs on hand = %d, want 98 (only the created sales take stock)", got)
	}
}

func TestOfflineSync_MoreThan500IsInvalidAndWritesNothing(t *testing.T) {
	s := newStore(t, "offline-501", nil)
	at := time.Now().Add(-time.Hour)
	batch := make([]any, 501)
	for i := range batch {
		batch[i] = s.offlineSale(fmt.Sprintf("s-%d", i), at, 1)
	}
	r := syncOffline(t, s.m.token, batch)
	if codes := userErrorCodes(t, r.Data, "syncOfflineSales"); len(codes) != 1 || codes[0] != "INVALID" {
		t.Fatalf("userErrors = %v", codes)
	}
	if n := len(field(t, r.Data, "syncOfflineSales.results").([]any)); n != 0 {
		t.Fatalf("%d results for a refused batch", n)
	}
	if n := len(field(t, gql(t, s.m.token, `{ orders(first: 5) { nodes { id } } }`, nil).Data, "orders.nodes").([]any)); n != 0 {
		t.Fatalf("%d orders written by a refused batch", n)
	}
	if got := onHand(t, s.m, s.loc, s.mug); got != 100 {
		t.Fatalf("stock moved: %d", got)
	}
}

const oversoldQuery = `query($loc: ID!, $ids: [ID!]) { inventory(locationId: $loc, variantIds: $ids) { onHand oversold } }`

func TestOfflineSync_OversellsAndMarksTheLevel(t *testing.T) {
	s := newStore(t, "offline-oversell", nil)
	setStock(t, s.m, s.loc, s.mug, 2)
	at := time.Now().Add(-time.Hour)
	res := offlineResults(t, syncOffline(t, s.m.token, []any{s.offlineSale("a", at, 2), s.offlineSale("b", at.Add(time.Minute), 3)}))
	if res[0].status != "CREATED" || res[1].status != "CREATED" {
		t.Fatalf("a sale that happened was refused: %+v", res)
	}
	level := func() map[string]any {
		r := gql(t, s.m.token, oversoldQuery, map[string]any{"loc": s.loc, "ids": []string{s.mug}})
		mustOK(t, r, "")
		return field(t, r.Data, "inventory.0").(map[string]any)
	}
	if l := level(); l["onHand"].(float64) != -3 || l["oversold"] != true {
		t.Fatalf("mug level after overselling = %v, want onHand -3 and oversold", l)
	}
	if r := gql(t, s.m.token, oversoldQuery, map[string]any{"loc": s.loc, "ids": []string{s.onigiri}}); field(t, r.Data, "inventory.0.oversold") != false {
		t.Fatalf("onigiri (98 left) marked oversold: %v", r.Data)
	}
	setStock(t, s.m, s.loc, s.mug, 10)
	if l := level(); l["onHand"].(float64) != 10 || l["oversold"] != false {
		t.Fatalf("after a count: %v, want the mark cleared", l)
	}
}
