package tests

import (
	"strings"
	"testing"
	"time"
)

// Gift card look-ups, the per-caller look-up limit, tenant isolation, the
// managers' changes (adjust, deactivate, cash-out as the law's exception)
// and the liability's threshold as of a reference date, over HTTP.

const giftCardQuery = `query($n: String!, $after: String) { giftCard(number: $n) {
  number state balance { amount currency } flagged customerId issuedAt expiresAt expired
  activities(first: 2, after: $after) { nodes { id kind amount { amount } balanceAfter { amount } staffId apiKeyId locationId registerId occurredAt orderId refundId reason }
    pageInfo { hasNextPage endCursor } } } }`

func lookUpCard(tb testing.TB, token, number string) gqlResponse {
	tb.Helper()
	return gql(tb, token, giftCardQuery, map[string]any{"n": number})
}

const giftChangeFields = `giftCard { number state balance { amount } } userErrors { field message code }`

func giftChange(tb testing.TB, token, op, inputType string, in map[string]any) gqlResponse {
	tb.Helper()
	return gql(tb, token, `mutation($in: `+inputType+`!) { `+op+`(input: $in) { `+giftChangeFields+` } }`, map[string]any{"in": in})
}

// wantUserError asserts payload's userErrors hold code at path, and no card.
func wantGiftUserError(tb testing.TB, r gqlResponse, payload, code, path string) {
	tb.Helper()
	if len(r.Errors) > 0 {
		tb.Fatalf("%s: top-level errors %+v", payload, r.Errors)
	}
	list, _ := field(tb, r.Data, payload+".userErrors").([]any)
	for _, e := range list {
		em := e.(map[string]any)
		var parts []string
		fs, _ := em["field"].([]any)
		for _, p := range fs {
			parts = append(parts, p.(string))
		}
		if em["code"] == code && strings.Join(parts, ".") == path {
			if c := field(tb, r.Data, payload+".giftCard"); c != nil {
				tb.Fatalf("%s: a card with a userError: %v", payload, c)
			}
			return
		}
	}
	tb.Fatalf("%s: want %s at %s, got %v", payload, code, path, list)
}

// waitMinuteStart waits, when the current minute has less than need left,
// for the next one: the look-up limit counts per calendar minute.
func waitMinuteStart(need time.Duration) {
	now := time.Now()
	if left := now.Truncate(time.Minute).Add(time.Minute).Sub(now); left < need {
		time.Sleep(left + 50*time.Millisecond)
	}
}

func TestGiftCardCore_LookUpWithItsLedger(t *testing.T) {
	s := newStore(t, "gc-lookup", map[string]any{"giftCardValidityMonths": 12})
	n := newCardNumber(t)
	order := loadCard(t, s, stockKey("load"), n, 5000)
	loadCard(t, s, stockKey("reload"), n, 1000)

	spaced := n[0:4] + " " + n[4:8] + "-" + n[8:12] + " " + n[12:]
	r := lookUpCard(t, s.m.token, spaced)
	mustOK(t, r, "")
	c := field(t, r.Data, "giftCard").(map[string]any)
	if c["number"] != n || c["state"] != "ACTIVE" || num(t, r.Data, "giftCard.balance.amount") != 6000 || c["flagged"] != false || c["expired"] != false {
		t.Fatalf("card: %v", c)
	}
	// Activated by the first load: valid 12 months (the tenant's setting).
	exp, err := time.Parse(time.RFC3339, c["expiresAt"].(string))
	if err != nil || exp.Before(time.Now().AddDate(1, 0, -2)) || exp.After(time.Now().AddDate(1, 0, 1)) {
		t.Fatalf("expiresAt %v (%v), want a year from now", c["expiresAt"], err)
	}
	// The ledger, newest first, two a page: the reload, then the load.
	if str(t, r.Data, "giftCard.activities.nodes.0.kind") != "LOAD" || num(t, r.Data, "giftCard.activities.nodes.0.amount.amount") != 1000 ||
		num(t, r.Data, "giftCard.activities.nodes.1.amount.amount") != 5000 || str(t, r.Data, "giftCard.activities.nodes.1.orderId") != order["id"] ||
		field(t, r.Data, "giftCard.activities.nodes.1.balanceAfter") != nil || str(t, r.Data, "giftCard.activities.nodes.1.locationId") != s.loc {
		t.Fatalf("activities: %v", field(t, r.Data, "giftCard.activities"))
	}
	if field(t, r.Data, "giftCard.activities.pageInfo.hasNextPage") != false {
		t.Fatalf("two activities fill the page: %v", field(t, r.Data, "giftCard.activities.pageInfo"))
	}

	// A manager's adjustment records its reason, who and the balance after.
	adj := giftChange(t, s.m.token, "adjustGiftCard", "AdjustGiftCardInput", map[string]any{"number": n, "amount": yen(-500),
		"reason": "double-loaded at the till", "locationId": s.loc})
	mustOK(t, adj, "adjustGiftCard")
	if num(t, adj.Data, "adjustGiftCard.giftCard.balance.amount") != 5500 {
		t.Fatalf("adjusted: %v", adj.Data)
	}
	r = lookUpCard(t, s.m.token, n)
	mustOK(t, r, "")
	if str(t, r.Data, "giftCard.activities.nodes.0.kind") != "ADJUST" || num(t, r.Data, "giftCard.activities.nodes.0.balanceAfter.amount") != 5500 ||
		str(t, r.Data, "giftCard.activities.nodes.0.reason") != "double-loaded at the till" || str(t, r.Data, "giftCard.activities.nodes.0.staffId") != s.m.userID {
		t.Fatalf("adjust activity: %v", field(t, r.Data, "giftCard.activities.nodes.0"))
	}
	cursor := str(t, r.Data, "giftCard.activities.pageInfo.endCursor")
	r = gql(t, s.m.token, giftCardQuery, map[string]any{"n": n, "after": cursor})
	mustOK(t, r, "")
	if num(t, r.Data, "giftCard.activities.nodes.0.amount.amount") != 5000 || field(t, r.Data, "giftCard.activities.pageInfo.hasNextPage") != false {
		t.Fatalf("second page: %v", field(t, r.Data, "giftCard.activities"))
	}

	// Bad numbers: a wrong check digit and a wrong length are INVALID; a
	// valid number that is no card NOT_FOUND.
	bad := n[:15] + string('0'+(n[15]-'0'+1)%10)
	for _, tt := range []struct{ number, code string }{{bad, "INVALID"}, {n[:15], "INVALID"}, {newCardNumber(t), "NOT_FOUND"}} {
		if r := lookUpCard(t, s.m.token, tt.number); r.code() != tt.code || field(t, r.Data, "giftCard") != nil {
			t.Errorf("look-up of %s…: %+v, want %s", tt.number[:4], r.Errors, tt.code)
		}
	}
	// The setting's bounds.
	rs := gql(t, s.m.token, `mutation { updateTenantSettings(input: {giftCardValidityMonths: 121}) { tenant { giftCardValidityMonths } userErrors { field code } } }`, nil)
	if codes := userErrorCodes(t, rs.Data, "updateTenantSettings"); len(codes) != 1 || codes[0] != "INVALID" {
		t.Fatalf("validity 121: %v", rs.Data)
	}
}

func TestGiftCardCore_LookUpsAreLimitedPerCaller(t *testing.T) {
	s := newStore(t, "gc-limit", nil)
	n := newCardNumber(t)
	loadCard(t, s, stockKey("load"), n, 1000)
	cashier, _ := createStaff(t, s.m, "CASHIER", nil)

	waitMinuteStart(15 * time.Second)
	// Guessing: 20 numbers that are no card, then the real one is refused too.
	for i := range 20 {
		if r := lookUpCard(t, cashier, newCardNumber(t)); r.code() != "NOT_FOUND" {
			t.Fatalf("guess %d: %+v", i, r.Errors)
		}
	}
	if r := lookUpCard(t, cashier, n); r.code() != "RATE_LIMITED" || field(t, r.Data, "giftCard") != nil {
		t.Fatalf("the 21st look-up in a minute: %+v", r.Errors)
	}
	// Another caller of the same tenant has a count of its own.
	if r := lookUpCard(t, s.m.token, n); r.code() != "" {
		t.Fatalf("the owner's look-up: %+v", r.Errors)
	}
}

func TestGiftCardCore_AnotherTenantsCardIsNotFound(t *testing.T) {
	a := newStore(t, "gc-tenant-a", nil)
	b := signUp(t, "gc-tenant-b")
	n := newCardNumber(t)
	loadCard(t, a, stockKey("load"), n, 3000)

	if r := lookUpCard(t, b.token, n); r.code() != "NOT_FOUND" || field(t, r.Data, "giftCard") != nil {
		t.Fatalf("B looks up A's card: %+v %v", r.Errors, r.Data)
	}
	wantGiftUserError(t, giftChange(t, b.token, "adjustGiftCard", "AdjustGiftCardInput", map[string]any{"number": n, "amount": yen(100), "reason": "x"}),
		"adjustGiftCard", "NOT_FOUND", "input.number")
	wantGiftUserError(t, giftChange(t, b.token, "deactivateGiftCard", "DeactivateGiftCardInput", map[string]any{"number": n, "reason": "x"}),
		"deactivateGiftCard", "NOT_FOUND", "input.number")
	if bal, state, acts := cardState(t, a.m, n); bal != 3000 || state != "ACTIVE" || acts != 1 {
		t.Fatalf("A's card after B's attempts: %d %s %d", bal, state, acts)
	}
}

func TestGiftCardCore_ManagersChanges(t *testing.T) {
	s := newStore(t, "gc-manage", nil)
	n := newCardNumber(t)
	loadCard(t, s, stockKey("load"), n, 3000)
	cashier, _ := createStaff(t, s.m, "CASHIER", nil)
	manager, _ := createStaff(t, s.m, "MANAGER", nil)
	unchanged := func(tb testing.TB, wantBal int64, wantState string, wantActs int) {
		tb.Helper()
		if bal, state, acts := cardState(tb, s.m, n); bal != wantBal || state != wantState || acts != wantActs {
			tb.Fatalf("card: %d %s %d activities, want %d %s %d", bal, state, acts, wantBal, wantState, wantActs)
		}
	}

	// A cashier may not change a card.
	for _, op := range []struct{ name, typ string }{{"adjustGiftCard", "AdjustGiftCardInput"}, {"cashOutGiftCard", "CashOutGiftCardInput"}, {"deactivateGiftCard", "DeactivateGiftCardInput"}} {
		in := map[string]any{"number": n, "amount": yen(100), "reason": "x", "legalException": "x"}
		switch op.name {
		case "deactivateGiftCard":
			delete(in, "amount")
			delete(in, "legalException")
		case "cashOutGiftCard":
			delete(in, "reason")
		default:
			delete(in, "legalException")
		}
		r := giftChange(t, cashier, op.name, op.typ, in)
		if r.code() != "FORBIDDEN" && !strings.Contains(strings.Join(userErrorCodes(t, r.Data, op.name), ","), "FORBIDDEN") {
			t.Fatalf("cashier %s: %+v %v", op.name, r.Errors, r.Data)
		}
	}
	// Bad inputs: userErrors with their field, nothing written.
	wantGiftUserError(t, giftChange(t, manager, "adjustGiftCard", "AdjustGiftCardInput", map[string]any{"number": n, "amount": yen(-3001), "reason": "r"}),
		"adjustGiftCard", "INVALID", "input.amount")
	wantGiftUserError(t, giftChange(t, manager, "adjustGiftCard", "AdjustGiftCardInput", map[string]any{"number": n, "amount": yen(100), "reason": " "}),
		"adjustGiftCard", "INVALID", "input.reason")
	wantGiftUserError(t, giftChange(t, manager, "adjustGiftCard", "AdjustGiftCardInput", map[string]any{"number": n, "amount": map[string]any{"amount": 100, "currency": "USD"}, "reason": "r"}),
		"adjustGiftCard", "INVALID", "input.amount.currency")
	wantGiftUserError(t, giftChange(t, manager, "cashOutGiftCard", "CashOutGiftCardInput", map[string]any{"number": n, "amount": yen(500), "legalException": ""}),
		"cashOutGiftCard", "INVALID", "input.legalException")
	wantGiftUserError(t, giftChange(t, manager, "cashOutGiftCard", "CashOutGiftCardInput", map[string]any{"number": n, "amount": yen(3001), "legalException": "business closing"}),
		"cashOutGiftCard", "INSUFFICIENT_BALANCE", "input.amount")
	bad := n[:15] + string('0'+(n[15]-'0'+1)%10)
	wantGiftUserError(t, giftChange(t, manager, "deactivateGiftCard", "DeactivateGiftCardInput", map[string]any{"number": bad, "reason": "r"}),
		"deactivateGiftCard", "INVALID", "input.number")
	unchanged(t, 3000, "ACTIVE", 1)

	// A cash-out recorded as the law's exception, then a deactivation.
	r := giftChange(t, manager, "cashOutGiftCard", "CashOutGiftCardInput", map[string]any{"number": n, "amount": yen(1000),
		"legalException": "事業の廃止 (資金決済法 20条)"})
	mustOK(t, r, "cashOutGiftCard")
	if num(t, r.Data, "cashOutGiftCard.giftCard.balance.amount") != 2000 {
		t.Fatalf("cash out: %v", r.Data)
	}
	r = giftChange(t, manager, "deactivateGiftCard", "DeactivateGiftCardInput", map[string]any{"number": n, "reason": "reported stolen"})
	mustOK(t, r, "deactivateGiftCard")
	if str(t, r.Data, "deactivateGiftCard.giftCard.state") != "DEACTIVATED" {
		t.Fatalf("deactivate: %v", r.Data)
	}
	unchanged(t, 2000, "DEACTIVATED", 3)
	wantGiftUserError(t, giftChange(t, manager, "deactivateGiftCard", "DeactivateGiftCardInput", map[string]any{"number": n, "reason": "again"}),
		"deactivateGiftCard", "INVALID", "input.number")
	// A deactivated card takes no load and pays nothing.
	wantCheckoutError(t, giftCheckout(t, s.m.token, map[string]any{"idempotencyKey": stockKey("reload"), "locationId": s.loc, "lines": []any{},
		"giftCardLoads": []any{giftLoad(n, 500)}, "payments": []any{cashPayment(500, 500)}}), "INVALID", "input.giftCardLoads.0.number")
	unchanged(t, 2000, "DEACTIVATED", 3)

	// An issued e-gift card is PENDING with no expiry until its first load.
	r = gql(t, cashier, `mutation { issueGiftCard(input: {}) { giftCard { number state expiresAt balance { amount } } userErrors { code } } }`, nil)
	mustOK(t, r, "issueGiftCard")
	if str(t, r.Data, "issueGiftCard.giftCard.state") != "PENDING" || field(t, r.Data, "issueGiftCard.giftCard.expiresAt") != nil {
		t.Fatalf("issued: %v", r.Data)
	}
	egift := str(t, r.Data, "issueGiftCard.giftCard.number")
	wantGiftUserError(t, giftChange(t, manager, "adjustGiftCard", "AdjustGiftCardInput", map[string]any{"number": egift, "amount": yen(100), "reason": "r"}),
		"adjustGiftCard", "INVALID", "input.number")
	loadCard(t, s, stockKey("egift"), egift, 2000)
	if r := lookUpCard(t, s.m.token, egift); str(t, r.Data, "giftCard.state") != "ACTIVE" || field(t, r.Data, "giftCard.expiresAt") == nil {
		t.Fatalf("e-gift after its load: %v %+v", r.Data, r.Errors)
	}
}

// Past 10,000,000 yen of unused balance on a reference date, the merchant
// files and deposits half: the API says so, from the stream-built ledger.
func TestGiftCardCore_LiabilityThresholdOnAReferenceDate(t *testing.T) {
	s := newStore(t, "gc-threshold", map[string]any{"giftCardValidityMonths": 12})
	n := newCardNumber(t)
	loadCard(t, s, stockKey("load"), n, 1000)
	r := giftChange(t, s.m.token, "adjustGiftCard", "AdjustGiftCardInput", map[string]any{"number": n, "amount": yen(11_000_000),
		"reason": "migrated balances from the previous POS"})
	mustOK(t, r, "adjustGiftCard")

	today := time.Now().In(tokyo).Format(time.DateOnly)
	next := str(t, map[string]any{"l": liability(t, s.m.token, today)}, "l.nextReferenceDate")
	const q = `query($d: String!) { giftCardLiability(asOf: $d) { asOf unusedBalance { amount currency } regulated thresholdExceeded depositRequired { amount } referenceDate } }`
	deadline := time.Now().Add(20 * time.Second)
	var l map[string]any
	for {
		rr := gql(t, s.m.token, q, map[string]any{"d": next})
		mustOK(t, rr, "")
		l = field(t, rr.Data, "giftCardLiability").(map[string]any)
		if num(t, rr.Data, "giftCardLiability.unusedBalance.amount") == 11_001_000 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	um := l["unusedBalance"].(map[string]any)
	if um["amount"].(float64) != 11_001_000 || um["currency"] != "JPY" || l["thresholdExceeded"] != true || l["regulated"] != true ||
		l["depositRequired"].(map[string]any)["amount"].(float64) != 5_500_500 || l["referenceDate"] != true || l["asOf"] != next {
		t.Fatalf("liability as of %s: %v", next, l)
	}
	// A cashier does not read it; a date that is no date is INVALID.
	cashier, _ := createStaff(t, s.m, "CASHIER", nil)
	if rr := gql(t, cashier, q, map[string]any{"d": next}); rr.code() != "FORBIDDEN" {
		t.Fatalf("cashier: %+v", rr.Errors)
	}
	if rr := gql(t, s.m.token, q, map[string]any{"d": "2026/03/31"}); rr.code() != "INVALID" {
		t.Fatalf("bad date: %+v", rr.Errors)
	}
}
