package dynamo

import (
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/payments"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// A settings update rewrites the tenant item whole: what the payment store
// keeps on it, and the location counter, must survive it.
func TestTenantStore_UpdateTenantKeepsWhatOthersWrote(t *testing.T) {
	tb := mustTable(t)
	ctx, _, _ := newTenant(t, NewIdentityStore(tb), "pay@example.com")
	st, ps := NewTenantStore(tb), NewPaymentStore(tb)
	now := time.Now().UTC()
	for i := 1; i <= 2; i++ {
		if _, err := st.CreateLocation(ctx, tenant.Location{ID: ids.New(ids.Location), Name: "L", Timezone: "Asia/Tokyo", CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ps.LinkAccount(ctx, payments.Account{ID: "acct_1", ChargesEnabled: false}); err != nil {
		t.Fatal(err)
	}
	if ok, err := ps.ApplyAccount(ctx, payments.Account{ID: "acct_1", ChargesEnabled: true, AsOf: now}); err != nil || !ok {
		t.Fatalf("apply = %v, %v", ok, err)
	}
	if _, err := st.UpdateTenant(ctx, func(tn *tenant.Tenant) error { tn.BusinessName = "Renamed"; return nil }); err != nil {
		t.Fatal(err)
	}
	got, err := st.GetTenant(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.StripeAccountID != "acct_1" || !got.CardPaymentsEnabled || got.StripeAccountAsOf.Unix() != now.Unix() {
		t.Fatalf("tenant after a settings update: %+v", got)
	}
	third, err := st.CreateLocation(ctx, tenant.Location{ID: ids.New(ids.Location), Name: "L3", Timezone: "Asia/Tokyo", CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	if third.Number != 3 {
		t.Fatalf("third location numbered %d after a settings update, want 3", third.Number)
	}
}

func TestPaymentStore_LinkAccountOnce(t *testing.T) {
	tb := mustTable(t)
	ctx, _, _ := newTenant(t, NewIdentityStore(tb), "link@example.com")
	ps := NewPaymentStore(tb)
	first, err := ps.LinkAccount(ctx, payments.Account{ID: "acct_a", ChargesEnabled: true})
	if err != nil || first.ID != "acct_a" {
		t.Fatalf("first = %+v, %v", first, err)
	}
	second, err := ps.LinkAccount(ctx, payments.Account{ID: "acct_b"})
	if err != nil || second.ID != "acct_a" || !second.ChargesEnabled {
		t.Fatalf("second = %+v, %v; want the stored acct_a", second, err)
	}
	tid, _ := tenant.IDFrom(ctx)
	if got, err := ps.TenantOfAccount(t.Context(), "acct_a"); err != nil || got != tid {
		t.Fatalf("lookup = %q, %v", got, err)
	}
	if _, err := ps.TenantOfAccount(t.Context(), "acct_b"); err == nil {
		t.Fatal("the losing account has a lookup")
	}
}
