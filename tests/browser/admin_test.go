package browser

import (
	"strings"
	"testing"
	"time"
)

// TestAdminPages: the staff, registers, API keys, gift cards and timecards
// pages load their lists for an owner (no error banner, no console error),
// and an API key's secret is shown the one time the API returns it.
func TestAdminPages(t *testing.T) {
	o := newOwner(t, "管理画面商店")
	tb := o.tab
	noError := func(page string) {
		t.Helper()
		if tb.count(`.banner.error`) != 0 {
			t.Fatalf("%s shows an error: %s", page, tb.text(`.banner.error`))
		}
	}

	tb.open("/staff")
	tb.waitFor(testid("staff-table"), 10*time.Second)
	tb.waitText(testid("staff-table"), o.email, 5*time.Second)
	noError("/staff")
	tb.screenshot("staff")

	tb.open("/registers")
	tb.waitFor(testid("registers-table"), 10*time.Second)
	tb.waitText(testid("registers-table"), "管理画面商店 本店", 5*time.Second)
	noError("/registers")
	tb.screenshot("registers")

	tb.open("/api-keys")
	tb.waitFor(testid("apikey-create-form"), 10*time.Second)
	tb.fill(testid("apikey-create-form")+` input[name="name"]`, "レジ端末 1")
	tb.click(testid("apikey-scopes") + ` input[type="checkbox"]`)
	tb.click(testid("apikey-create-submit"))
	tb.waitFor(testid("secret-value"), 10*time.Second)
	secret := strings.TrimSpace(tb.text(testid("secret-value")))
	if !strings.HasPrefix(secret, "rk_") {
		t.Fatalf("API key secret shown: %q", secret)
	}
	tb.click(testid("secret-once") + " button.primary")
	tb.waitJS("the secret box to close", `!document.querySelector('[data-testid="secret-once"]')`, 5*time.Second)
	tb.open("/api-keys")
	tb.waitFor(testid("apikeys-table"), 10*time.Second)
	if strings.Contains(eval[string](tb, `document.documentElement.outerHTML + JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])`), secret) {
		t.Fatal("the API key's secret is shown or kept after closing its box")
	}
	noError("/api-keys")
	tb.screenshot("api-keys")

	tb.open("/gift-cards")
	tb.waitFor(testid("giftcard-lookup"), 10*time.Second)
	noError("/gift-cards")
	tb.screenshot("gift-cards")

	tb.open("/timecards")
	tb.waitJS("the timecards page", `!!document.querySelector('[data-testid="timecards-table"]') || !!document.querySelector('main .empty')`, 10*time.Second)
	noError("/timecards")
	tb.screenshot("timecards")
}
