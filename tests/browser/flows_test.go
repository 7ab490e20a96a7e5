package browser

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/renkei-pos/renkei/shared/connectors/freee/freeefake"
	"github.com/renkei-pos/renkei/shared/connectors/shopify/shopifyfake"
	"github.com/renkei-pos/renkei/shared/connectors/webhook/webhooktest"
)

// owner is a merchant signed up over the API with a location and an item,
// logged in to the console in a fresh tab.
type owner struct {
	merchant
	shop shop
	pos  string // a second session's access token, as a POS app holds
	tab  *tab
}

func newOwner(t *testing.T, name string) owner {
	t.Helper()
	m := signUpAPI(t, name)
	s := setUpShop(t, m.token, name+" 本店", 480)
	o := owner{merchant: m, shop: s, pos: logInAPI(t, m.email, testPassword), tab: newTab(t)}
	o.tab.logInUI(m.email, testPassword)
	return o
}

// TestDashboardShowsASale: a sale made through the API (a POS app's
// session) appears in the dashboard's net sales KPI; the figures trail the
// sale by the stream, so the test reloads until they do.
func TestDashboardShowsASale(t *testing.T) {
	o := newOwner(t, "ダッシュボード商店")
	tb := o.tab
	tb.open("/")
	tb.waitFor(testid("dashboard-net-sales"), 15*time.Second)
	sell(t, o.pos, o.shop, 2) // ¥960
	sell(t, o.pos, o.shop, 1) // ¥480
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(tb.text(testid("dashboard-net-sales")), "1,440") {
		if time.Now().After(deadline) {
			t.Fatalf("net sales still %q after 30 s (orders %q)", tb.text(testid("dashboard-net-sales")), tb.text(testid("dashboard-order-count")))
		}
		time.Sleep(time.Second)
		tb.click(testid("dashboard-reload"))
		time.Sleep(500 * time.Millisecond)
	}
	if got := strings.TrimSpace(tb.text(testid("dashboard-order-count"))); got != "2" {
		t.Fatalf("order count %q, want 2", got)
	}
	tb.waitFor(testid("chart-hourly")+" canvas", 10*time.Second)
	tb.waitFor(testid("chart-methods")+" canvas", 10*time.Second)
	tb.waitFor(testid("top-item"), 10*time.Second)
	tb.screenshotFull("dashboard")
	// The same page on a tablet (1024×768, touch).
	tb.do("tablet viewport", chromedp.EmulateViewport(1024, 768, chromedp.EmulateTouch), chromedp.Reload())
	tb.waitText(testid("dashboard-net-sales"), "1,440", 20*time.Second)
	tb.waitFor(testid("location-row"), 10*time.Second)
	tb.screenshotFull("dashboard-tablet")
	// Usable on a tablet: no table cell squeezed below a few characters'
	// width (text one character per line), no sideways scrolling of the
	// page, touch targets at least 44 px high.
	if squeezed := eval[[]string](tb, `[...document.querySelectorAll('main td, main th')].map(c => {
	      const text = c.innerText.trim(), r = document.createRange(); r.selectNodeContents(c);
	      const lines = new Set([...r.getClientRects()].map(x => Math.round(x.top))).size;
	      return text.length >= 4 && lines * 2 >= text.length ? text.replace(/\s+/g, '').slice(0, 24) + ' (' + lines + ' lines)' : '';
	    }).filter(Boolean)`); len(squeezed) > 0 {
		t.Errorf("on a 1024×768 tablet these table cells are squeezed to a character or two per line: %v", squeezed)
	}
	if w := eval[[]int](tb, `[document.scrollingElement.scrollWidth, window.innerWidth]`); w[0] > w[1] {
		t.Errorf("on a 1024×768 tablet the page scrolls sideways (%d px wide)", w[0])
	}
	if small := eval[[]string](tb, `[...document.querySelectorAll('main button, main select, main input')]
	    .filter(e => e.getClientRects().length > 0 && e.getBoundingClientRect().height < 44)
	    .map(e => (e.dataset.testid || e.name || e.innerText.trim()) + ' (' + Math.round(e.getBoundingClientRect().height) + 'px)')`); len(small) > 0 {
		t.Errorf("touch targets under 44 px high on the dashboard: %v", small)
	}
}

// TestWebhookConnectedInTheConsole: a webhook connected through the form
// to a receiver; its signing secret is shown once (gone after closing and
// reloading, stored nowhere in the page); the receiver gets the next
// sale's order.completed, signed with that secret.
func TestWebhookConnectedInTheConsole(t *testing.T) {
	o := newOwner(t, "Webhook商店")
	tb := o.tab
	rcv := webhooktest.New(t, "")
	tb.open("/integrations")
	tb.click(testid("connect-webhook"))
	tb.fill(`[data-testid="webhook-form"] input[name="name"]`, "社内ERP")
	// The API's userError on the URL lands next to the URL field.
	tb.fill(testid("webhook-url"), "ftp://erp.example.com/hooks")
	tb.click(testid("webhook-connect-submit"))
	tb.waitJS("the URL field's error", `document.querySelector('[data-field-error="settings.url"]').innerText.trim() !== ''`, 10*time.Second)
	if tb.count(testid("secret-once")) != 0 {
		t.Fatal("a refused webhook shows a secret")
	}
	tb.fill(testid("webhook-url"), rcv.URL())
	tb.click(testid("webhook-connect-submit"))
	tb.waitFor(testid("secret-value"), 10*time.Second)
	secret := strings.TrimSpace(tb.text(testid("secret-value")))
	if len(secret) < 20 {
		t.Fatalf("signing secret shown: %q", secret)
	}
	rcv.SetSecret(secret)
	tb.screenshotFull("webhook-secret-once")
	if stored := eval[string](tb, `JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), location.href, document.cookie])`); strings.Contains(stored, secret) {
		t.Fatalf("the secret is kept by the page: %s", stored)
	}
	tb.click(testid("secret-once") + " button.primary")
	tb.waitJS("the secret box to close", `!document.querySelector('[data-testid="secret-once"]')`, 5*time.Second)
	if strings.Contains(tb.bodyText(), secret) {
		t.Fatal("the secret is still on the page after closing its box")
	}
	tb.open("/integrations")
	tb.waitFor(testid("integration-row")+`[data-provider="WEBHOOK"]`, 10*time.Second)
	if strings.Contains(eval[string](tb, `document.documentElement.outerHTML`), secret) || tb.count(testid("secret-value")) != 0 {
		t.Fatal("the secret is shown again after a reload")
	}
	id := eval[string](tb, `document.querySelector('[data-testid="integration-row"][data-provider="WEBHOOK"]').dataset.id`)
	tb.open("/integrations/" + id)
	tb.waitFor(testid("health-status"), 10*time.Second)
	if strings.Contains(eval[string](tb, `document.documentElement.outerHTML`), secret) {
		t.Fatal("the detail page shows the secret")
	}

	order := sell(t, o.pos, o.shop, 1)
	d := rcv.Wait(t, 20*time.Second)
	for d.Type != "order.completed" {
		d = rcv.Wait(t, 20*time.Second)
	}
	var data struct {
		Order struct{ ID string } `json:"order"`
		ID    string              `json:"id"`
	}
	_ = json.Unmarshal(d.Event.Data, &data)
	if data.Order.ID != order && data.ID != order && !strings.Contains(string(d.Event.Data), order) {
		t.Fatalf("order.completed carries %s, want order %s", d.Event.Data, order)
	}
	tb.open("/integrations/" + id)
	tb.waitFor(testid("health-status")+`[data-status="ACTIVE"]`, 10*time.Second)
	tb.screenshotFull("integration-health")
}

// TestFreeeConnectedThroughOAuth: freee connected in the console through
// the authorization-code flow (the fake's consent page), the company and
// the mapping picked from freee's own masters; a close made through the
// API becomes one deal in freee, and the closes page says it got there.
func TestFreeeConnectedThroughOAuth(t *testing.T) {
	o := newOwner(t, "freee商店")
	tb := o.tab
	before := len(freee.Deals(freeefake.DefaultCompanyID))
	sell(t, o.pos, o.shop, 3) // ¥1,440 cash

	// A callback whose state this tab did not send is refused before any
	// exchange: a clear error, no call to freee's token endpoint.
	exchanges := freee.Count("POST " + strings.TrimPrefix(freee.TokenURL, freee.URL))
	tb.open("/integrations/freee/callback?code=forged-code&state=forged-state-0123456789")
	tb.waitFor(testid("freee-callback-error"), 10*time.Second)
	if n := freee.Count("POST " + strings.TrimPrefix(freee.TokenURL, freee.URL)); n != exchanges {
		t.Fatalf("a forged callback reached freee's token endpoint (%d calls)", n-exchanges)
	}

	tb.open("/integrations")
	tb.click(testid("connect-freee"))
	// freee's consent page (the fake's, another origin).
	tb.waitJS("freee's consent page", fmt.Sprintf(`location.href.startsWith(%s) && !!document.querySelector('#allow')`, q(freee.AuthorizeURL)), 15*time.Second)
	tb.screenshot("freee-consent")
	tb.do("allow", chromedp.Click(chromedp.CSS("#allow"), chromedp.NodeVisible))
	tb.waitJS("back on the console's callback", fmt.Sprintf(`location.href.startsWith(%s) && !!document.querySelector('[data-testid="freee-choose"]')`, q(local.BaseURL+"/integrations/freee/callback")), 15*time.Second)
	if strings.Contains(eval[string](tb, `location.href`), "code=") {
		t.Fatal("the spent authorization code stays in the address bar")
	}
	tb.choose(testid("freee-company"), fmt.Sprint(freeefake.DefaultCompanyID))
	tb.click(testid("freee-load-options"))
	tb.waitFor(testid("freee-mapping-form"), 15*time.Second)
	// The choices are freee's own (names, not typed ids).
	if opts := eval[string](tb, `[...document.querySelector('[data-testid="freee-salesAccountItemId"]').options].map(o => o.text).join('|')`); !strings.Contains(opts, "売上高") {
		t.Fatalf("sales account options %q do not come from freee", opts)
	}
	tb.choose(testid("freee-salesAccountItemId"), "101")
	tb.choose(testid("freee-taxCodes-STANDARD"), "129")
	tb.choose(testid("freee-taxCodes-REDUCED"), "156")
	tb.choose(testid("freee-taxCodes-EXEMPT"), "2")
	tb.choose(testid("freee-walletables-CASH"), "wallet:1")
	tb.choose(testid("freee-walletables-CARD"), "bank_account:2")
	tb.choose(testid("freee-walletables-EXTERNAL"), "wallet:3")
	tb.screenshotFull("freee-mapping")
	tb.click(testid("freee-connect-submit"))
	tb.waitJS("the new integration's page", `/^\/integrations\/[^/]+$/.test(location.pathname) && location.pathname !== '/integrations/freee/callback' && !!document.querySelector('[data-testid="health-status"]')`, 15*time.Second)

	closeID := closeDay(t, o.pos, o.shop, 1440)
	eventually(t, 30*time.Second, "the close's deal in freee", func() bool { return len(freee.Deals(freeefake.DefaultCompanyID)) > before })
	deals := freee.Deals(freeefake.DefaultCompanyID)[before:]
	if len(deals) != 1 || deals[0].Amount() != 1440 {
		t.Fatalf("freee got %+v, want one deal of ¥1,440", deals)
	}
	tb.open("/closes")
	row := fmt.Sprintf(`[data-testid="close-row"][data-close-id=%q]`, closeID)
	deadline := time.Now().Add(20 * time.Second)
	for tb.count(row+` [data-testid="close-accounting"][data-status="SUCCEEDED"]`) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the close's row does not show it reached freee: %q", tb.text(testid("closes-table")))
		}
		time.Sleep(time.Second)
		tb.click(testid("closes-reload"))
		time.Sleep(300 * time.Millisecond)
	}
	tb.screenshotFull("closes")
}

// TestProviderFailureShownAndRetried: freee refuses a close's deal (a
// permanent 400 with its message); the integration's health page shows the
// failed job with freee's readable reason; once the fault is gone, the
// retry button posts it and the failure clears.
func TestProviderFailureShownAndRetried(t *testing.T) {
	company := freeefake.DefaultCompany()
	company.ID, company.Name = 3001, "失敗テスト商店"
	freee.AddCompany(company)
	o := newOwner(t, "再送商店")
	tb := o.tab
	access, refresh := freee.Tokens(company.ID)
	d := gql(t, o.token, `mutation($in: ConnectIntegrationInput!) { connectIntegration(input: $in) { integration { id } userErrors { field code message } } }`,
		map[string]any{"in": map[string]any{"provider": "FREEE", "name": "freee会計", "settings": map[string]any{
			"companyId": company.ID, "accessToken": access, "refreshToken": refresh, "apiBaseUrl": freee.URL, "tokenUrl": freee.TokenURL,
			"accountMapping": map[string]any{"salesAccountItemId": 101, "taxCodes": map[string]any{"STANDARD": 129, "REDUCED": 156, "EXEMPT": 2},
				"walletables": map[string]any{"CASH": map[string]any{"type": "wallet", "id": 1}, "CARD": map[string]any{"type": "bank_account", "id": 2},
					"EXTERNAL": map[string]any{"type": "wallet", "id": 3}}}}}})
	id := getStr(mustOK(t, d, "connectIntegration"), "integration.id")

	const reason = "勘定科目が存在しません。"
	freee.Inject(freeefake.Fault{Match: "POST /api/1/deals", Status: 400, Message: reason})
	sell(t, o.pos, o.shop, 1)
	closeDay(t, o.pos, o.shop, 480)

	tb.open("/integrations/" + id)
	job := `[data-testid="failed-job"]`
	deadline := time.Now().Add(30 * time.Second)
	// The job fails at once (freee's 400 is permanent); the integration's
	// counters follow it.
	for tb.count(job) == 0 || strings.TrimSpace(tb.text(testid("health-failed-count"))) != "1" {
		if time.Now().After(deadline) {
			t.Fatalf("no failed job on the health page (failed count %q): %s", tb.text(testid("health-failed-count")), tb.bodyText())
		}
		time.Sleep(time.Second)
		tb.open("/integrations/" + id)
	}
	if msg := tb.text(job + ` [data-testid="job-error"]`); !strings.Contains(msg, reason) {
		t.Fatalf("the failed job says %q, want freee's reason %q", msg, reason)
	}
	if msg := tb.text(testid("integration-error")); !strings.Contains(msg, reason) {
		t.Fatalf("the integration's last error says %q, want freee's reason %q", msg, reason)
	}
	if len(freee.Deals(company.ID)) != 0 {
		t.Fatal("freee has a deal although it refused it")
	}
	tb.screenshotFull("integration-failed-job")

	// The fault was one-shot: freee accepts the next post. Retry.
	tb.click(job + ` button[data-testid="job-retry"]`)
	eventually(t, 30*time.Second, "the retried deal in freee", func() bool { return len(freee.Deals(company.ID)) == 1 })
	deadline = time.Now().Add(20 * time.Second)
	for tb.count(job) != 0 || strings.TrimSpace(tb.text(testid("health-failed-count"))) != "0" {
		if time.Now().After(deadline) {
			t.Fatalf("the failure did not clear after the retry: %s", tb.bodyText())
		}
		time.Sleep(time.Second)
		tb.open("/integrations/" + id)
	}
}

// TestCashierSeesManagersOnly: a CASHIER who logs in sees that the
// console is for managers, not a blank page.
func TestCashierSeesManagersOnly(t *testing.T) {
	m := signUpAPI(t, "レジ係の店")
	s := setUpShop(t, m.token, "レジ係の店 本店", 300)
	email := uniqueEmail("cashier")
	d := gql(t, m.token, `mutation($in: CreateStaffInput!) { createStaff(input: $in) { user { id } userErrors { field code message } } }`,
		map[string]any{"in": map[string]any{"email": email, "name": "佐藤 レジ", "role": "CASHIER", "password": testPassword, "locationIds": []string{s.locationID}}})
	mustOK(t, d, "createStaff")
	tb := newTab(t)
	tb.logInUI(email, testPassword)
	tb.waitFor(testid("managers-only"), 10*time.Second)
	if txt := tb.text(testid("managers-only")); !strings.Contains(txt, "佐藤 レジ") || !strings.Contains(txt, "オーナー") {
		t.Fatalf("the managers-only page says %q", txt)
	}
	if tb.count(".shell") != 0 || tb.count("nav.sidenav") != 0 {
		t.Fatal("a cashier gets the console's pages")
	}
	tb.screenshot("managers-only")
}

// TestShopifyConnectedWithSKUReport: Shopify connected through the form (the
// fake shop behind the local-testing API base URL), a wrong token refused
// next to its field, and the connect-time SKU report shown: our SKU that
// the shop lacks, named.
func TestShopifyConnectedWithSKUReport(t *testing.T) {
	o := newOwner(t, "Shopify商店")
	tb := o.tab
	d := gql(t, o.token, `{ items(first: 1) { nodes { variants { sku } } } }`, nil)
	ours := getStr(d, "items.nodes.0.variants.0.sku")
	shop := shopifyfake.New("shpat_browser_test")
	t.Cleanup(shop.Close)
	gid := shop.AddLocation("渋谷", true)
	shop.AddVariant("ONLY-IN-SHOPIFY")

	tb.open("/integrations")
	tb.click(testid("connect-shopify"))
	tb.fill(testid("shopify-domain"), "renkei-browser.myshopify.com")
	tb.fill(testid("shopify-token"), "shpat_wrong_token")
	tb.fill(testid("shopify-webhook-secret"), "shopify-app-secret-0123456789")
	tb.fill(fmt.Sprintf(`[data-testid="shopify-location"][data-location-id=%q]`, o.shop.locationID), gid)
	tb.click(`[data-testid="shopify-form"] details.advanced summary`)
	tb.fill(testid("shopify-api-base-url"), shop.URL())
	tb.click(testid("shopify-connect-submit"))
	// Shopify refuses the token: the error sits next to the token field.
	tb.waitJS("the token field's error", `document.querySelector('[data-field-error="settings.accessToken"]').innerText.trim() !== ''`, 15*time.Second)
	if tb.count(testid("shopify-connected")) != 0 {
		t.Fatal("a refused token connected")
	}
	tb.fill(testid("shopify-token"), "shpat_browser_test")
	tb.click(testid("shopify-connect-submit"))
	tb.waitFor(testid("shopify-connected"), 15*time.Second)
	if v := eval[string](tb, `document.documentElement.outerHTML + [...document.querySelectorAll('input')].map(i => i.value).join(' ') + JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])`); strings.Contains(v, "shpat_browser_test") {
		t.Fatal("the access token stays in the page after connecting")
	}
	report := tb.text(testid("shopify-connected"))
	if !strings.Contains(report, ours) {
		t.Fatalf("the SKU report does not name our SKU %s missing from Shopify: %q", ours, report)
	}
	if tb.count(`[data-testid="warning"][data-code="SKU_NOT_IN_SHOPIFY"]`) != 1 {
		t.Fatalf("warnings shown: %q", report)
	}
	tb.screenshotFull("shopify-sku-report")
}
