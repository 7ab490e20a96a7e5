package browser

import (
	"strings"
	"testing"
	"time"
)

// TestSignUpErrorsNextToFields: sign-up's userErrors land next to the
// field they name (an e-mail already taken), nothing else is marked, and
// the input is kept.
func TestSignUpErrorsNextToFields(t *testing.T) {
	taken := signUpAPI(t, "先客商店")
	tb := newTab(t)
	tb.open("/signup")
	tb.waitFor(testid("signup-form"), 10*time.Second)
	form := testid("signup-form")
	tb.fill(form+` input[name="businessName"]`, "れんけい珈琲")
	tb.fill(form+` input[name="ownerName"]`, "山田 花子")
	tb.fill(form+` input[name="email"]`, taken.email)
	tb.fill(form+` input[name="password"]`, testPassword)
	tb.click(testid("signup-submit"))
	// The API refuses the e-mail; its message sits next to the e-mail field.
	tb.waitJS("the e-mail field's error", `document.querySelector('[data-field-error="email"]').innerText.trim() !== ''`, 10*time.Second)
	for _, other := range []string{"businessName", "ownerName", "password"} {
		if msg := tb.text(`[data-field-error="` + other + `"]`); strings.TrimSpace(msg) != "" {
			t.Fatalf("an error next to %s: %q", other, msg)
		}
	}
	if eval[string](tb, `document.querySelector('[data-testid="signup-form"] input[name="email"]').getAttribute('aria-invalid')`) != "true" {
		t.Fatal("the e-mail field is not marked invalid")
	}
	if got := eval[string](tb, `location.pathname`); got != "/signup" {
		t.Fatalf("a refused sign-up left the page for %s", got)
	}
	if v := eval[string](tb, `document.querySelector('[data-testid="signup-form"] input[name="businessName"]').value`); v != "れんけい珈琲" {
		t.Fatalf("business name after the refusal = %q", v)
	}
	tb.screenshot("signup-error")
	// A password too short is flagged as it is typed, before any request.
	tb.fill(form+` input[name="password"]`, "short")
	if msg := tb.text(`[data-field-error="password"]`); !strings.Contains(msg, "10") {
		t.Fatalf("a 5-character password shows %q next to the field", msg)
	}
}

// TestSignUpAndOnboarding: sign-up → onboarding: a location, the invoice
// number checked as typed ("T123" shows the length error inline, a valid
// one saves), a first item → the checklist's progress.
func TestSignUpAndOnboarding(t *testing.T) {
	tb := newTab(t)
	tb.open("/signup")
	tb.waitFor(testid("signup-form"), 10*time.Second)
	form := testid("signup-form")
	tb.fill(form+` input[name="businessName"]`, "れんけい珈琲")
	tb.fill(form+` input[name="ownerName"]`, "山田 花子")
	tb.fill(form+` input[name="password"]`, testPassword)
	tb.screenshot("signup")
	email := uniqueEmail("onboarding")
	tb.fill(form+` input[name="email"]`, email)
	tb.click(testid("signup-submit"))
	tb.waitJS("the onboarding page", `location.pathname === '/onboarding' && !!document.querySelector('[data-testid="onboarding-progress"]')`, 15*time.Second)
	tb.waitText(testid("onboarding-progress"), "0 / 5", 5*time.Second)
	if name := tb.text(testid("tenant-name")); name != "れんけい珈琲" {
		t.Fatalf("tenant name in the top bar = %q", name)
	}

	// 1. A location (it comes with register 1).
	tb.fill(testid("location-form")+` input[name="name"]`, "渋谷店")
	tb.click(testid("location-create"))
	tb.waitFor(testid("step-location")+`[data-done="true"]`, 10*time.Second)
	tb.waitText(testid("location-registers"), "渋谷店", 5*time.Second)

	// 2. The invoice number, checked as it is typed.
	inv := testid("invoice-form") + ` input[name="invoiceRegistrationNumber"]`
	tb.fill(inv, "T123")
	msg := tb.text(`[data-testid="invoice-form"] [data-field-error="invoiceRegistrationNumber"]`)
	if !strings.Contains(msg, "13") {
		t.Fatalf("typing T123 shows %q next to the field, want the 13-digit length error", msg)
	}
	if eval[string](tb, `document.querySelector('[data-testid="invoice-form"] input[name="invoiceRegistrationNumber"]').getAttribute('aria-invalid')`) != "true" {
		t.Fatal("the invoice field is not marked invalid")
	}
	tb.fill(inv, "T1234567890123")
	if msg := tb.text(`[data-testid="invoice-form"] [data-field-error="invoiceRegistrationNumber"]`); strings.TrimSpace(msg) != "" {
		t.Fatalf("a valid number still shows %q", msg)
	}
	tb.click(testid("invoice-save"))
	tb.waitFor(testid("step-invoice")+`[data-done="true"]`, 10*time.Second)

	// 3. A first item.
	item := testid("item-form")
	tb.fill(item+` input[name="name"]`, "ブレンドコーヒー")
	tb.fill(item+` input[name="sku"]`, unique("BLEND"))
	tb.fill(item+` input[name="price"]`, "480")
	tb.choose(item+` select[name="taxCategory"]`, "REDUCED")
	tb.click(testid("item-create"))
	tb.waitFor(testid("step-items")+`[data-done="true"]`, 10*time.Second)
	tb.waitText(testid("onboarding-progress"), "3 / 5", 5*time.Second)
	if tb.count(`[data-done="true"]`) != 3 {
		t.Fatalf("%d steps done, want 3", tb.count(`[data-done="true"]`))
	}
	tb.do("scroll to the top", evalVoid(`window.scrollTo(0, 0)`))
	tb.screenshotFull("onboarding")

	// The API agrees.
	token := logInAPI(t, email, testPassword)
	d := gql(t, token, `{ me { tenant { businessName invoiceRegistrationNumber } } locations { name } items(first: 5) { nodes { name taxCategory } } }`, nil)
	if getStr(d, "me.tenant.invoiceRegistrationNumber") != "T1234567890123" || getStr(d, "locations.0.name") != "渋谷店" ||
		getStr(d, "items.nodes.0.name") != "ブレンドコーヒー" || getStr(d, "items.nodes.0.taxCategory") != "REDUCED" {
		t.Fatalf("the API has %v", d)
	}
}
