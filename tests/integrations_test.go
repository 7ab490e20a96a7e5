package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/connectors/freee/freeefake"
	"github.com/renkei-pos/renkei/shared/connectors/shopify/shopifyfake"
	"github.com/renkei-pos/renkei/shared/connectors/webhook/webhooktest"
	"github.com/renkei-pos/renkei/shared/integrations"
)

const connectMutation = `mutation($in: ConnectIntegrationInput!) { connectIntegration(input: $in) {
  integration { id provider name status settings pendingJobs failedJobs lastSuccessAt lastError lagSeconds warnings { code count items } }
  signingSecret userErrors { field code message } } }`

const integrationsQuery = `{ integrations { id provider status pendingJobs failedJobs lastSuccessAt lastError lagSeconds } }`

const jobsQuery = `query($id: ID!, $status: IntegrationJobStatus) { integrationJobs(integrationId: $id, status: $status, first: 50) {
  nodes { id kind status attempts lastError createdAt updatedAt } pageInfo { hasNextPage } } }`

// connect connects an integration and returns its id and signing secret.
func connect(tb testing.TB, token, provider, name string, settings map[string]any) (string, string) {
	tb.Helper()
	r := gql(tb, token, connectMutation, map[string]any{"in": map[string]any{"provider": provider, "name": name, "settings": settings}})
	mustOK(tb, r, "connectIntegration")
	secret, _ := field(tb, r.Data, "connectIntegration.signingSecret").(string)
	return str(tb, r.Data, "connectIntegration.integration.id"), secret
}

// integrationHealth returns the integration's row of `integrations`.
func integrationHealth(tb testing.TB, token, id string) map[string]any {
	tb.Helper()
	r := gql(tb, token, integrationsQuery, nil)
	mustOK(tb, r, "")
	for _, n := range field(tb, r.Data, "integrations").([]any) {
		if m := n.(map[string]any); m["id"] == id {
			return m
		}
	}
	tb.Fatalf("integration %s not listed", id)
	return nil
}

// jobsOf lists an integration's jobs (of status, "" for all).
func jobsOf(tb testing.TB, token, id, status string) []map[string]any {
	tb.Helper()
	vars := map[string]any{"id": id}
	if status != "" {
		vars["status"] = status
	}
	r := gql(tb, token, jobsQuery, vars)
	mustOK(tb, r, "")
	var out []map[string]any
	for _, n := range field(tb, r.Data, "integrationJobs.nodes").([]any) {
		out = append(out, n.(map[string]any))
	}
	return out
}

// eventually polls cond every 100 ms until it holds or timeout passes.
func eventually(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("after %s: %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitFor waits until a verified, accepted (2xx) delivery of type typ has
// arrived (at any time, in any order: jobs of one sale run concurrently)
// that an earlier waitFor of the same test did not return, and returns it.
func waitFor(tb testing.TB, rcv *webhooktest.Receiver, typ string, timeout time.Duration) webhooktest.Delivery {
	tb.Helper()
	var got webhooktest.Delivery
	eventually(tb, timeout, "a "+typ+" delivery", func() bool {
		for _, d := range rcv.Verified() {
			if d.Type == typ && d.Status < 300 && !taken(rcv, d) {
				got = d
				return true
			}
		}
		return false
	})
	return got
}

// takenDeliveries remembers, per receiver, the deliveries waitFor returned.
var takenDeliveries sync.Map // *webhooktest.Receiver → *sync.Map of event id + status

func taken(rcv *webhooktest.Receiver, d webhooktest.Delivery) bool {
	m, _ := takenDeliveries.LoadOrStore(rcv, &sync.Map{})
	_, seen := m.(*sync.Map).LoadOrStore(d.ID+"|"+d.Received.String(), true)
	return seen
}

func TestIntegrations_WebhookReceivesCheckoutSigned(t *testing.T) {
	s := newStore(t, "Hook", nil)
	rcv := webhooktest.New(t, "")
	id, secret := connect(t, s.m.token, "WEBHOOK", "ERP", map[string]any{"url": rcv.URL(), "events": []string{"order.completed", "inventory.changed"}})
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("signing secret %q", secret)
	}
	rcv.SetSecret(secret)
	// The secret is shown once: never in settings.
	if h := gql(t, s.m.token, `{ integrations { settings } }`, nil); strings.Contains(string(mustJSONBytes(t, h.Data)), secret) {
		t.Fatal("the signing secret is readable in settings")
	}

	start := time.Now()
	r := checkout(t, s.m.token, s.basket(stockKey("hook"), cashPayment(2185, 3000)))
	mustOK(t, r, "checkout")
	orderID := str(t, r.Data, "checkout.order.id")
	d := waitFor(t, rcv, "order.completed", 15*time.Second)
	t.Logf("checkout → signed delivery in %s", time.Since(start).Round(time.Millisecond))
	if d.Event.TenantID != s.m.tenantID || d.Event.ID != d.ID || d.Header.Get("Renkei-Event-Type") != "order.completed" {
		t.Fatalf("delivery %+v", d.Event)
	}
	var data struct {
		OrderID string `json:"orderId"`
		ID      string `json:"id"`
	}
	_ = json.Unmarshal(d.Event.Data, &data)
	if data.OrderID != orderID && data.ID != orderID {
		t.Fatalf("order.completed data %s is not order %s", d.Event.Data, orderID)
	}
	// The sale's stock changes are delivered too, each once.
	waitFor(t, rcv, "inventory.changed", 15*time.Second)
	eventually(t, 10*time.Second, "health shows the success and nothing pending", func() bool {
		h := integrationHealth(t, s.m.token, id)
		return h["status"] == "ACTIVE" && h["lastSuccessAt"] != nil && h["pendingJobs"] == float64(0) && h["lagSeconds"] == nil
	})
	if rcv.Rejected() != 0 {
		t.Fatalf("%d deliveries failed signature verification", rcv.Rejected())
	}
	seen := map[string]int{}
	for _, d := range rcv.Verified() {
		seen[d.ID]++
	}
	for evt, n := range seen {
		if n != 1 {
			t.Errorf("event %s delivered %d times", evt, n)
		}
	}
}

func TestIntegrations_WebhookRetriesThenFailsAndRetryRunsAgain(t *testing.T) {
	s := newStore(t, "Flaky", nil)
	rcv := webhooktest.New(t, "")
	id, secret := connect(t, s.m.token, "WEBHOOK", "CRM", map[string]any{"url": rcv.URL(), "events": []string{"order.completed"}})
	rcv.SetSecret(secret)
	// Every attempt (5) is refused: the job ends FAILED, visible, with the reason.
	faults := make([]webhooktest.Fault, integrations.MaxAttempts)
	for i := range faults {
		faults[i] = webhooktest.Fault{Status: 500}
	}
	rcv.Inject(faults...)
	mustOK(t, checkout(t, s.m.token, s.basket(stockKey("flaky"), cashPayment(2185, 3000))), "checkout")
	var failed []map[string]any
	eventually(t, 30*time.Second, "the job is FAILED after its attempts", func() bool {
		failed = jobsOf(t, s.m.token, id, "FAILED")
		return len(failed) == 1
	})
	job := failed[0]
	if job["attempts"] != float64(integrations.MaxAttempts) || !strings.Contains(fmt.Sprint(job["lastError"]), "500") || job["kind"] != "DELIVER_EVENT" {
		t.Fatalf("failed job %v", job)
	}
	h := integrationHealth(t, s.m.token, id)
	if h["status"] != "ERROR" || h["failedJobs"] != float64(1) || !strings.Contains(fmt.Sprint(h["lastError"]), "500") {
		t.Fatalf("health %v", h)
	}
	// The endpoint is fixed; the merchant retries the job: delivered once.
	r := gql(t, s.m.token, `mutation($in: RetryIntegrationJobInput!) { retryIntegrationJob(input: $in) { job { id status attempts } userErrors { code } } }`,
		map[string]any{"in": map[string]any{"id": job["id"]}})
	mustOK(t, r, "retryIntegrationJob")
	waitFor(t, rcv, "order.completed", 15*time.Second)
	eventually(t, 10*time.Second, "the retried job SUCCEEDED", func() bool {
		j := jobsOf(t, s.m.token, id, "SUCCEEDED")
		return len(j) == 1 && j[0]["id"] == job["id"]
	})
	eventually(t, 10*time.Second, "health is ACTIVE again", func() bool {
		h := integrationHealth(t, s.m.token, id)
		return h["status"] == "ACTIVE" && h["failedJobs"] == float64(0)
	})
	// A job that is not FAILED cannot be retried.
	r = gql(t, s.m.token, `mutation($in: RetryIntegrationJobInput!) { retryIntegrationJob(input: $in) { job { id } userErrors { field code } } }`,
		map[string]any{"in": map[string]any{"id": job["id"]}})
	userErrorAt(t, r, "retryIntegrationJob", "INVALID", "input.id")
}

// TestIntegrations_OneTenantsBacklogDoesNotDelayAnother: tenant A's
// endpoint hangs and A has a backlog of jobs; tenant B's sale still
// reaches B's endpoint within seconds.
func TestIntegrations_OneTenantsBacklogDoesNotDelayAnother(t *testing.T) {
	a := newStore(t, "Backlog", nil)
	var hung atomic.Int64
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hung.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); hang.Close() })
	connect(t, a.m.token, "WEBHOOK", "slow ERP", map[string]any{"url": hang.URL, "events": []string{"order.completed", "inventory.changed"}})
	// A's backlog: 40 sales, each an order.completed and two inventory.changed.
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mustOK(t, checkout(t, a.m.token, map[string]any{"idempotencyKey": stockKey(fmt.Sprint("bk", i)), "locationId": a.loc,
				"lines":    []any{map[string]any{"variantId": a.onigiri, "quantity": 1}, map[string]any{"variantId": a.mug, "quantity": 1}},
				"payments": []any{cashPayment(1645, 2000)}}), "checkout")
		}()
		if i%8 == 7 {
			wg.Wait()
		}
	}
	wg.Wait()
	eventually(t, 20*time.Second, "tenant A's endpoint is being called", func() bool { return hung.Load() > 0 })

	b := newStore(t, "Prompt", nil)
	rcv := webhooktest.New(t, "")
	_, secret := connect(t, b.m.token, "WEBHOOK", "B's ERP", map[string]any{"url": rcv.URL(), "events": []string{"order.completed"}})
	rcv.SetSecret(secret)
	start := time.Now()
	mustOK(t, checkout(t, b.m.token, b.basket(stockKey("prompt"), cashPayment(2185, 3000))), "checkout")
	waitFor(t, rcv, "order.completed", 10*time.Second)
	took := time.Since(start)
	pending := integrationHealthOfAll(t, a.m.token)
	t.Logf("tenant B delivered in %s while tenant A has %v jobs pending and its endpoint was called %d times", took.Round(time.Millisecond), pending, hung.Load())
	if pending < 20 {
		t.Fatalf("tenant A has only %v jobs pending: the backlog was not there to overtake", pending)
	}
}

// integrationHealthOfAll sums pendingJobs over the tenant's integrations.
func integrationHealthOfAll(tb testing.TB, token string) float64 {
	tb.Helper()
	r := gql(tb, token, integrationsQuery, nil)
	mustOK(tb, r, "")
	var n float64
	for _, in := range field(tb, r.Data, "integrations").([]any) {
		n += in.(map[string]any)["pendingJobs"].(float64)
	}
	return n
}

func freeeSettings(f *freeefake.Fake) map[string]any {
	access, refresh := f.Tokens(freeefake.DefaultCompanyID)
	return map[string]any{"companyId": freeefake.DefaultCompanyID, "accessToken": access, "refreshToken": refresh,
		"apiBaseUrl": f.URL, "tokenUrl": f.TokenURL,
		"accountMapping": map[string]any{"salesAccountItemId": 101, "taxCodes": map[string]any{"STANDARD": 129, "REDUCED": 156, "EXEMPT": 2},
			"walletables": map[string]any{"CASH": map[string]any{"type": "wallet", "id": 1}, "CARD": map[string]any{"type": "bank_account", "id": 2},
				"EXTERNAL": map[string]any{"type": "wallet", "id": 3}}}}
}

// TestIntegrations_FreeeCloseOnceDespiteCrash: a location's close reaches
// freee as exactly one deal, even when the worker dies after posting and
// before recording it, and the job's message comes again.
func TestIntegrations_FreeeCloseOnceDespiteCrash(t *testing.T) {
	f := freeefake.Start(t)
	s := newStore(t, "Books", nil)
	id, _ := connect(t, s.m.token, "FREEE", "freee", freeeSettings(f))
	mustOK(t, checkout(t, s.m.token, s.basket(stockKey("books"), cashPayment(2185, 3000))), "checkout")

	var crashes atomic.Int64
	crash := func(j integrations.Job) bool {
		return j.IntegrationID == id && j.Kind == integrations.KindPostDailySales && crashes.Add(1) == 1
	}
	crashAfterRun.Store(&crash)
	t.Cleanup(func() { crashAfterRun.Store(nil) })

	date := time.Now().In(tokyo).Format(time.DateOnly)
	mustOK(t, closeRegister(t, s.m.token, closeInput(s.loc, "", date, 2185)), "closeRegister")
	eventually(t, 30*time.Second, "the close's job SUCCEEDED after the crash", func() bool {
		j := jobsOf(t, s.m.token, id, "SUCCEEDED")
		return len(j) == 1 && j[0]["kind"] == "POST_DAILY_SALES"
	})
	if crashes.Load() < 1 {
		t.Fatal("the worker never crashed: the test proved nothing")
	}
	deals := f.Deals(freeefake.DefaultCompanyID)
	if len(deals) != 1 {
		t.Fatalf("%d deals posted, want exactly 1: %+v", len(deals), deals)
	}
	d := deals[0]
	if d.IssueDate != date || d.Type != "income" || d.Amount() != 2185 {
		t.Fatalf("deal %+v", d)
	}
	byCode := map[int64]freeefake.Detail{}
	for _, det := range d.Details {
		byCode[det.TaxCode] = det
	}
	if byCode[156].Amount != 1080 || byCode[156].Vat != 80 || byCode[129].Amount != 1105 || byCode[129].Vat != 100 || byCode[129].AccountItemID != 101 {
		t.Fatalf("deal details %+v", d.Details)
	}
	if len(d.Payments) != 1 || d.Payments[0].Amount != 2185 || d.Payments[0].WalletableType != "wallet" || d.Payments[0].WalletableID != 1 {
		t.Fatalf("deal payments %+v", d.Payments)
	}
	if errs := f.ValidationErrors(); len(errs) > 0 {
		t.Fatalf("requests broke freee's schema: %v", errs)
	}
	job := jobsOf(t, s.m.token, id, "SUCCEEDED")[0]
	if job["attempts"] != float64(2) {
		t.Fatalf("the crashed job ran %v times, want 2", job["attempts"])
	}
}

// TestIntegrations_ShopifyOrderTakesStoreStockAndPushes: an orders/create
// webhook becomes a sale that takes the shared stock of the mapped
// location, and the next push to Shopify carries the new number.
func TestIntegrations_ShopifyOrderTakesStoreStockAndPushes(t *testing.T) {
	s := newStore(t, "Shop", nil)
	shop := shopifyfake.New("shpat_test_token")
	t.Cleanup(shop.Close)
	gid := shop.AddLocation("Shibuya", true)
	shop.AddVariant(s.onigiriSKU)
	shop.AddVariant(s.mugSKU)
	const hookSecret = "shopify-webhook-secret-0123456789"
	id, _ := connect(t, s.m.token, "SHOPIFY", "online shop", map[string]any{"shopDomain": "renkei-test.myshopify.com", "accessToken": "shpat_test_token",
		"webhookSecret": hookSecret, "locationMap": map[string]any{s.loc: gid}, "apiBaseUrl": shop.URL()})

	// The merchant's first sync pushes every mapped level (100 each).
	mustOK(t, gql(t, s.m.token, `mutation($in: SyncIntegrationInput!) { syncIntegration(input: $in) { integration { id } userErrors { code } } }`,
		map[string]any{"in": map[string]any{"id": id}}), "syncIntegration")
	eventually(t, 20*time.Second, "the sync pushed the onigiri's 100", func() bool {
		n, ok := shop.Available(s.onigiriSKU, gid)
		return ok && n == 100
	})

	order := shopifyfake.Order{ID: 820982911946154508, Name: "#1001", CreatedAt: time.Now().Add(-time.Minute), Currency: "JPY", TaxesIncluded: true, TotalPrice: "1620",
		Lines: []shopifyfake.OrderLine{{SKU: s.onigiriSKU, Title: "Onigiri", Quantity: 3, Price: "540"}}}
	url := baseURL() + "/webhooks/shopify/" + id
	for range 2 { // Shopify retries: the same webhook id twice is one sale
		code, err := shopifyfake.SendOrderCreated(context.Background(), http.DefaultClient, url, hookSecret, "wh-1001", order)
		if err != nil || code != 200 {
			t.Fatalf("orders/create answered %d, %v", code, err)
		}
	}
	// A forged one is refused and changes nothing.
	if code, _ := shopifyfake.SendOrderCreated(context.Background(), http.DefaultClient, url, "not-the-secret", "wh-forged", order); code != http.StatusUnauthorized {
		t.Fatalf("a forged webhook answered %d, want 401", code)
	}
	eventually(t, 20*time.Second, "store stock is 97 and Shopify was told", func() bool {
		n, ok := shop.Available(s.onigiriSKU, gid)
		return onHand(t, s.m, s.loc, s.onigiri) == 97 && ok && n == 97
	})
	r := gql(t, s.m.token, `query($loc: ID!) { orders(filter: {locationId: $loc}, first: 10) { nodes { number source total { amount } } } }`, map[string]any{"loc": s.loc})
	mustOK(t, r, "")
	var ec []map[string]any
	for _, n := range field(t, r.Data, "orders.nodes").([]any) {
		if m := n.(map[string]any); m["source"] == "EC:SHOPIFY" {
			ec = append(ec, m)
		}
	}
	if len(ec) != 1 || !strings.Contains(fmt.Sprint(ec[0]["number"]), "-99-") || ec[0]["total"].(map[string]any)["amount"] != float64(1620) {
		t.Fatalf("EC orders %v", ec)
	}
	// A store sale then moves the same number: Shopify hears 95.
	mustOK(t, checkout(t, s.m.token, map[string]any{"idempotencyKey": stockKey("shop"), "locationId": s.loc,
		"lines": []any{map[string]any{"variantId": s.onigiri, "quantity": 2}}, "payments": []any{cashPayment(1080, 1080)}}), "checkout")
	eventually(t, 20*time.Second, "Shopify shows the store sale", func() bool {
		n, _ := shop.Available(s.onigiriSKU, gid)
		return n == 95
	})
	if rej := shop.Rejected(); len(rej) > 0 {
		t.Fatalf("the fake Shopify refused requests: %v", rej)
	}
}

func TestIntegrations_ConnectRefusesBadSettings(t *testing.T) {
	s := newStore(t, "Picky", nil)
	for name, c := range map[string]struct {
		provider string
		settings map[string]any
		path     string
	}{
		"unknown webhook key":     {"WEBHOOK", map[string]any{"url": "https://example.com/h", "events": []string{"order.completed"}, "colour": "red"}, "input.settings.colour"},
		"unknown event":           {"WEBHOOK", map[string]any{"url": "https://example.com/h", "events": []string{"order.shipped"}}, "input.settings.events.0"},
		"freee without a mapping": {"FREEE", map[string]any{"companyId": 1, "accessToken": "a", "refreshToken": "r"}, "input.settings.accountMapping"},
	} {
		t.Run(name, func(t *testing.T) {
			r := gql(t, s.m.token, connectMutation, map[string]any{"in": map[string]any{"provider": c.provider, "name": "x", "settings": c.settings}})
			userErrorAt(t, r, "connectIntegration", "INVALID", c.path)
		})
	}
	if r := gql(t, s.m.token, integrationsQuery, nil); len(field(t, r.Data, "integrations").([]any)) != 0 {
		t.Fatal("a refused connection was stored")
	}
}

func mustJSONBytes(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestIntegrations_OneByID: integration(id) answers what the list says of
// that integration; another tenant's id, or none, is null.
func TestIntegrations_OneByID(t *testing.T) {
	s := newStore(t, "One", nil)
	other := newStore(t, "Other", nil)
	rcv := webhooktest.New(t, "")
	id, _ := connect(t, s.m.token, "WEBHOOK", "ERP", map[string]any{"url": rcv.URL(), "events": []string{"order.completed"}})
	const one = `query($id: ID!) { integration(id: $id) { id provider status pendingJobs failedJobs lastSuccessAt lastError lagSeconds } }`
	r := gql(t, s.m.token, one, map[string]any{"id": id})
	mustOK(t, r, "")
	got, want := mustJSONBytes(t, field(t, r.Data, "integration")), mustJSONBytes(t, integrationHealth(t, s.m.token, id))
	if string(got) != string(want) {
		t.Fatalf("integration(id) %s, integrations lists %s", got, want)
	}
	for _, c := range []struct{ token, id string }{{other.m.token, id}, {s.m.token, "int_00000000000000000000000000"}} {
		r := gql(t, c.token, one, map[string]any{"id": c.id})
		mustOK(t, r, "")
		if v := field(t, r.Data, "integration"); v != nil {
			t.Fatalf("integration(%s) = %v, want null", c.id, v)
		}
	}
}
