package payments_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/dynamo"
	"github.com/renkei-pos/renkei/shared/dynamo/dynamotest"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/payments"
	"github.com/renkei-pos/renkei/shared/stripepay"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// counting wraps the simulator and counts what it creates at the processor.
type counting struct {
	*stripepay.Simulator
	accounts, locations atomic.Int32
}

func (c *counting) CreateAccount(ctx context.Context, req payments.AccountRequest) (payments.Account, error) {
	c.accounts.Add(1)
	return c.Simulator.CreateAccount(ctx, req)
}

func (c *counting) CreateTerminalLocation(ctx context.Context, req payments.TerminalLocationRequest) (string, error) {
	c.locations.Add(1)
	return c.Simulator.CreateTerminalLocation(ctx, req)
}

type shop struct {
	svc     *payments.Service
	tenants *tenant.Service
	gw      *counting
	tid     string
	loc1    tenant.Location
	loc2    tenant.Location
}

func newShop(t *testing.T) shop {
	t.Helper()
	table := dynamotest.MustTable(t, "payments")
	tn := dynamotest.MustTenant(t, table, "喫茶 連携")
	sim, err := stripepay.NewSimulator(stripepay.SimulatorConfig{WebhookSecret: "whsec_test", ConnectReturnURL: "http://127.0.0.1:8080/cards/done"})
	if err != nil {
		t.Fatal(err)
	}
	ts := dynamo.NewTenantStore(table)
	sh := shop{gw: &counting{Simulator: sim}, tid: tn.ID, tenants: &tenant.Service{Store: ts, Access: identity.TenantAccess{}, Now: time.Now}}
	sh.svc = &payments.Service{Store: dynamo.NewPaymentStore(table), Tenants: ts, Gateway: sh.gw}
	if sh.loc1, err = sh.tenants.CreateLocation(sh.as(identity.Owner), "Shibuya", ""); err != nil {
		t.Fatal(err)
	}
	if sh.loc2, err = sh.tenants.CreateLocation(sh.as(identity.Owner), "Umeda", ""); err != nil {
		t.Fatal(err)
	}
	return sh
}

func (sh shop) as(role identity.Role, locs ...string) context.Context {
	return identity.WithPrincipal(context.Background(), identity.Principal{TenantID: sh.tid, UserID: "usr_x", Role: role, LocationIDs: locs})
}

func (sh shop) tenant(t *testing.T) tenant.Tenant {
	t.Helper()
	tn, err := sh.tenants.Get(sh.as(identity.Owner))
	if err != nil {
		t.Fatal(err)
	}
	return tn
}

func TestService_StartOnboarding(t *testing.T) {
	sh := newShop(t)
	for _, role := range []identity.Role{identity.Cashier, identity.Manager} {
		if _, err := sh.svc.StartOnboarding(sh.as(role)); apperr.CodeOf(err) != apperr.Forbidden {
			t.Fatalf("%s: err = %v, want FORBIDDEN", role, err)
		}
	}
	if sh.gw.accounts.Load() != 0 {
		t.Fatal("a refused caller reached the processor")
	}
	// Two owners click at once: one account, both get a link to it.
	var wg sync.WaitGroup
	urls := make([]string, 2)
	for i := range urls {
		wg.Go(func() {
			u, err := sh.svc.StartOnboarding(sh.as(identity.Owner))
			if err != nil {
				t.Error(err)
			}
			urls[i] = u
		})
	}
	wg.Wait()
	tn := sh.tenant(t)
	if tn.StripeAccountID == "" || !tn.CardPaymentsEnabled || urls[0] != urls[1] || urls[0] == "" {
		t.Fatalf("tenant %+v, links %q", tn, urls)
	}
	if _, err := sh.svc.StartOnboarding(sh.as(identity.Owner)); err != nil {
		t.Fatal(err)
	}
	if n := sh.gw.accounts.Load(); n > 2 {
		t.Fatalf("%d account creations; the stored account must be reused", n)
	}
	// A settings change keeps the account.
	name := "喫茶 連携 本店"
	if _, err := sh.tenants.UpdateSettings(sh.as(identity.Owner), tenant.Settings{BusinessName: &name}); err != nil {
		t.Fatal(err)
	}
	if after := sh.tenant(t); after.StripeAccountID != tn.StripeAccountID || !after.CardPaymentsEnabled {
		t.Fatalf("settings update lost the account: %+v", after)
	}
}

func TestService_ApplyAccountUpdate(t *testing.T) {
	sh := newShop(t)
	ctx := context.Background()
	if _, err := sh.svc.StartOnboarding(sh.as(identity.Owner)); err != nil {
		t.Fatal(err)
	}
	acct := sh.tenant(t).StripeAccountID
	t0 := time.Unix(1764460800, 0)
	steps := []struct {
		name    string
		asOf    time.Time
		enabled bool
		want    bool
	}{
		{"newer: disabled", t0, false, false},
		{"older event arrives late", t0.Add(-time.Minute), true, false},
		{"same second again", t0, true, false},
		{"newer: enabled", t0.Add(time.Minute), true, true},
		{"replay of the first", t0, false, true},
	}
	for _, st := range steps {
		if err := sh.svc.ApplyAccountUpdate(ctx, payments.Account{ID: acct, ChargesEnabled: st.enabled, AsOf: st.asOf}); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := sh.tenant(t).CardPaymentsEnabled; got != st.want {
			t.Fatalf("%s: enabled = %v, want %v", st.name, got, st.want)
		}
	}
	if err := sh.svc.ApplyAccountUpdate(ctx, payments.Account{ID: "acct_unknown", ChargesEnabled: true, AsOf: t0}); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("unknown account: %v, want NOT_FOUND", err)
	}
}

func TestService_ConnectionToken(t *testing.T) {
	sh := newShop(t)
	cashier := sh.as(identity.Cashier)
	if _, err := sh.svc.ConnectionToken(cashier, sh.loc1.ID, ""); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("before onboarding: %v, want INVALID", err)
	}
	if _, err := sh.svc.StartOnboarding(sh.as(identity.Owner)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		tok, err := sh.svc.ConnectionToken(cashier, sh.loc1.ID, "")
		if err != nil || tok == "" {
			t.Fatalf("token = %q, %v", tok, err)
		}
	}
	if n := sh.gw.locations.Load(); n != 1 {
		t.Fatalf("%d Terminal locations created for one location", n)
	}
	if tml, err := sh.svc.TerminalLocation(cashier, sh.loc1.ID); err != nil || tml == "" {
		t.Fatalf("terminal location = %q, %v", tml, err)
	}
	if tok, err := sh.svc.ConnectionToken(sh.as(identity.Cashier, sh.loc2.ID), "", sh.loc2.RegisterIDs()[0]); err != nil || tok == "" {
		t.Fatalf("by register: %q, %v", tok, err)
	}
	cases := []struct {
		name          string
		ctx           context.Context
		loc, register string
		want          apperr.Code
	}{
		{"another location's cashier", sh.as(identity.Cashier, sh.loc2.ID), sh.loc1.ID, "", apperr.Forbidden},
		{"another location's register", sh.as(identity.Cashier, sh.loc2.ID), "", sh.loc1.RegisterIDs()[0], apperr.Forbidden},
		{"both", cashier, sh.loc1.ID, sh.loc1.RegisterIDs()[0], apperr.Invalid},
		{"neither", cashier, "", "", apperr.Invalid},
		{"unknown location", cashier, ids.New(ids.Location), "", apperr.NotFound},
		{"unknown register", cashier, "", tenant.RegisterID(sh.loc1.ID, 7), apperr.NotFound},
		{"anonymous", context.Background(), sh.loc1.ID, "", apperr.Unauthenticated},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := sh.svc.ConnectionToken(tc.ctx, tc.loc, tc.register); apperr.CodeOf(err) != tc.want {
				t.Fatalf("err = %v, want %s", err, tc.want)
			}
		})
	}
	if _, err := sh.tenants.DeactivateRegister(sh.as(identity.Owner), sh.loc1.RegisterIDs()[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := sh.svc.ConnectionToken(cashier, "", sh.loc1.RegisterIDs()[0]); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("deactivated register: %v, want INVALID", err)
	}
}
