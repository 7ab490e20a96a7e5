package dynamo

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/giftcards"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// giftCardTenant creates a tenant and returns a context for a caller of role.
func giftCardTenant(tb testing.TB, tbl *Table, role identity.Role) (context.Context, string) {
	tb.Helper()
	tid := ids.New(ids.Tenant)
	tn, err := tenant.New(tid, "Shop", "JPY", "Asia/Tokyo", time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	ctx := identity.WithPrincipal(tb.Context(), identity.Principal{TenantID: tid, UserID: ids.New(ids.User), Role: role})
	put, err := putNew(tbl, tenantToItem(tn))
	if err != nil {
		tb.Fatal(err)
	}
	if err := tbl.Transact(ctx, []types.TransactWriteItem{put}); err != nil {
		tb.Fatal(err)
	}
	return ctx, tid
}

func asRole(ctx context.Context, role identity.Role) context.Context {
	p, _ := identity.PrincipalFrom(ctx)
	p.Role, p.UserID = role, ids.New(ids.User)
	return identity.WithPrincipal(ctx, p)
}

func loadCard(tb testing.TB, ctx context.Context, tbl *Table, number string, amount int64, at time.Time) {
	tb.Helper()
	items, err := GiftCardLoadWrites(ctx, tbl, GiftCardMove{Number: number, Amount: amount, At: at}, 6, at)
	if err != nil {
		tb.Fatal(err)
	}
	if err := tbl.Transact(ctx, items); err != nil {
		tb.Fatal(err)
	}
}

func TestGiftCardService_ManagersChanges(t *testing.T) {
	tbl := mustTable(t)
	ctx, _ := giftCardTenant(t, tbl, identity.Manager)
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	tick := now
	svc := &giftcards.Service{Store: NewGiftCardStore(tbl), Tenants: NewTenantStore(tbl), Now: func() time.Time { tick = tick.Add(time.Second); return tick }}
	loadCard(t, ctx, tbl, testCard, 3000, now)
	cashier := asRole(ctx, identity.Cashier)

	// A cashier may look up but not adjust.
	if _, err := svc.Adjust(cashier, giftcards.ChangeInput{Number: testCard, Amount: 100, Currency: "JPY", Reason: "x"}); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("cashier adjust: %v", err)
	}
	for _, tt := range []struct {
		name string
		in   giftcards.ChangeInput
		code apperr.Code
	}{
		{"no reason", giftcards.ChangeInput{Number: testCard, Amount: 100}, apperr.Invalid},
		{"bad number", giftcards.ChangeInput{Number: "4000000000000003", Amount: 100, Currency: "JPY", Reason: "r"}, apperr.Invalid},
		{"zero", giftcards.ChangeInput{Number: testCard, Currency: "JPY", Reason: "r"}, apperr.Invalid},
		{"below zero", giftcards.ChangeInput{Number: testCard, Amount: -3001, Currency: "JPY", Reason: "r"}, apperr.Invalid},
		{"no card", giftcards.ChangeInput{Number: "4000000000000010", Amount: 1, Currency: "JPY", Reason: "r"}, apperr.NotFound},
	} {
		if _, err := svc.Adjust(ctx, tt.in); !apperr.Is(err, tt.code) {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	c, err := svc.Adjust(ctx, giftcards.ChangeInput{Number: testCard, Amount: -500, Currency: "JPY", Reason: "damaged goods credited twice"})
	if err != nil || c.Balance != 2500 {
		t.Fatalf("adjust: %+v %v", c, err)
	}
	// Cash-out without the legal exception is refused; with it, paid.
	if _, err := svc.CashOut(ctx, giftcards.ChangeInput{Number: testCard, Amount: 500}); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("cash out without exception: %v", err)
	}
	if _, err := svc.CashOut(ctx, giftcards.ChangeInput{Number: testCard, Amount: 2501, Currency: "JPY", Reason: "business closing"}); !apperr.Is(err, apperr.InsufficientBalance) {
		t.Fatalf("cash out beyond balance: %v", err)
	}
	if c, err = svc.CashOut(ctx, giftcards.ChangeInput{Number: testCard, Amount: 500, Currency: "JPY", Reason: "business closing (資金決済法 20条)"}); err != nil || c.Balance != 2000 {
		t.Fatalf("cash out: %+v %v", c, err)
	}
	if c, err = svc.Deactivate(ctx, giftcards.ChangeInput{Number: testCard, Reason: "reported stolen"}); err != nil || c.State != giftcards.Deactivated {
		t.Fatalf("deactivate: %+v %v", c, err)
	}
	if _, err = svc.Deactivate(ctx, giftcards.ChangeInput{Number: testCard, Reason: "again"}); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("deactivate twice: %v", err)
	}
	// A load onto the deactivated card fails its condition.
	items, _ := GiftCardLoadWrites(ctx, tbl, GiftCardMove{Number: testCard, Amount: 1, At: now}, 6, now)
	if err := refusal(t, tbl.Transact(ctx, items), 1, now); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("load on deactivated: %v", err)
	}
	acts, _, err := svc.Activities(cashier, testCard, 10, "")
	if err != nil || len(acts) != 4 || acts[0].Kind != giftcards.Deactivate || acts[1].Kind != giftcards.CashOut ||
		!acts[1].HasBalanceAfter || acts[1].BalanceAfter != 2000 || acts[1].Amount != -500 || acts[3].Kind != giftcards.Load || acts[3].HasBalanceAfter {
		t.Fatalf("activities: %+v %v", acts, err)
	}
	// Paging: two and two, then the end.
	p1, next, err := svc.Activities(cashier, testCard, 2, "")
	if err != nil || len(p1) != 2 || next == "" {
		t.Fatalf("page 1: %v %q %v", len(p1), next, err)
	}
	p2, next2, err := svc.Activities(cashier, testCard, 2, next)
	if err != nil || len(p2) != 2 || next2 != "" || p2[0].ID != acts[2].ID {
		t.Fatalf("page 2: %+v %q %v", p2, next2, err)
	}
}

func TestGiftCardService_LookupLimitAndTenants(t *testing.T) {
	tbl := mustTable(t)
	ctx, _ := giftCardTenant(t, tbl, identity.Cashier)
	other, _ := giftCardTenant(t, tbl, identity.Owner)
	now := time.Date(2026, 11, 30, 9, 0, 30, 0, time.UTC)
	svc := &giftcards.Service{Store: NewGiftCardStore(tbl), Tenants: NewTenantStore(tbl), Now: func() time.Time { return now },
		Lookups: giftcards.LookupPolicy{Window: time.Minute, Max: 2}}
	loadCard(t, ctx, tbl, testCard, 1000, now)

	if c, err := svc.Lookup(ctx, "4000 0000 0000 0002"); err != nil || c.Balance != 1000 || c.State != giftcards.Active {
		t.Fatalf("lookup: %+v %v", c, err)
	}
	// Another tenant's card is NOT_FOUND, like a missing one.
	if _, err := svc.Lookup(other, testCard); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("other tenant: %v", err)
	}
	// A wrong check digit is INVALID and not counted.
	if _, err := svc.Lookup(ctx, "4000000000000003"); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("check digit: %v", err)
	}
	if _, err := svc.Lookup(ctx, "4000000000000010"); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("missing: %v", err)
	}
	if _, err := svc.Lookup(ctx, testCard); !apperr.Is(err, apperr.RateLimited) {
		t.Fatalf("third counted look-up in the minute: %v", err)
	}
	// Another caller has its own count; the next window starts afresh.
	if _, err := svc.Lookup(asRole(ctx, identity.Cashier), testCard); err != nil {
		t.Fatalf("another caller: %v", err)
	}
	now = now.Add(time.Minute)
	if _, err := svc.Lookup(ctx, testCard); err != nil {
		t.Fatalf("next window: %v", err)
	}
}

func TestGiftCardService_IssueAndLiability(t *testing.T) {
	tbl := mustTable(t)
	ctx, tid := giftCardTenant(t, tbl, identity.Owner)
	now := time.Date(2026, 3, 31, 14, 0, 0, 0, time.UTC) // 23:00 in Tokyo, 31 March
	svc := &giftcards.Service{Store: NewGiftCardStore(tbl), Tenants: NewTenantStore(tbl), Now: func() time.Time { return now }}
	c, err := svc.Issue(ctx, giftcards.IssueInput{})
	if err != nil || c.State != giftcards.Pending || !giftcards.LuhnValid(c.Number) {
		t.Fatalf("issue: %+v %v", c, err)
	}
	if _, err := svc.Issue(ctx, giftcards.IssueInput{CustomerID: "nope"}); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("bad customer: %v", err)
	}
	// Ledger entries: 31 March (Tokyo) +8,000,000 and +4,000,000, 1 April
	// (15:00 UTC on 31 March is 00:00 in Tokyo) -3,000,000; one redelivered.
	entries := []giftcards.LedgerEntry{
		{TenantID: tid, EventID: "evt_a1", Amount: 8_000_000, OccurredAt: now},
		{TenantID: tid, EventID: "evt_a2", Amount: 4_000_000, OccurredAt: now.Add(-20 * time.Hour)},
		{TenantID: tid, EventID: "evt_a2", Amount: 4_000_000, OccurredAt: now.Add(-20 * time.Hour)},
		{TenantID: tid, EventID: "evt_a3", Amount: -3_000_000, OccurredAt: now.Add(time.Hour)},
	}
	for _, e := range entries {
		if err := svc.ApplyLedger(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	l, err := svc.Liability(ctx, "2026-03-31")
	if err != nil || l.UnusedBalance != 12_000_000 || !l.ThresholdExceeded || l.DepositRequired != 6_000_000 || !l.ReferenceDate || l.Regulated {
		t.Fatalf("as of 31 March: %+v %v", l, err)
	}
	if l, err = svc.Liability(ctx, "2026-04-01"); err != nil || l.UnusedBalance != 9_000_000 || l.ThresholdExceeded {
		t.Fatalf("as of 1 April: %+v %v", l, err)
	}
	if l, err = svc.Liability(ctx, "2026-03-29"); err != nil || l.UnusedBalance != 0 {
		t.Fatalf("before: %+v %v", l, err)
	}
	if _, err := svc.Liability(ctx, "31/03/2026"); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("bad date: %v", err)
	}
	if _, err := svc.Liability(asRole(ctx, identity.Cashier), "2026-03-31"); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("cashier liability: %v", err)
	}
}
