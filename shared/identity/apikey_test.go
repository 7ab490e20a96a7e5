package identity_test

import (
	"slices"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/dynamo"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/tenant"
)

func TestService_APIKeyBoundToARegister(t *testing.T) {
	in := newInstances(t, identity.Config{})
	svc := in.service()
	tenants := dynamo.NewTenantStore(in.table)
	svc.Registers = tenants
	owner := signUp(t, svc)
	ctx := mustAs(t, svc, owner.AccessToken)
	loc := func(name string) tenant.Location {
		l, err := tenant.NewLocation(ids.New(ids.Location), name, "", owner.Tenant, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if l, err = tenants.CreateLocation(ctx, l); err != nil {
			t.Fatal(err)
		}
		return l
	}
	shibuya, umeda := loc("Shibuya"), loc("Umeda")
	till := tenant.RegisterID(shibuya.ID, 1)

	k, secret, err := svc.CreateAPIKey(ctx, identity.APIKeyInput{Name: "iPad 1", Scopes: []identity.Scope{identity.ScopeOrdersWrite}, RegisterID: till})
	if err != nil || k.RegisterID != till {
		t.Fatalf("CreateAPIKey = %+v, %v", k, err)
	}
	p, err := svc.Authenticate(t.Context(), secret)
	if err != nil || p.RegisterID != till || !slices.Equal(p.LocationIDs, []string{shibuya.ID}) {
		t.Fatalf("Authenticate = %+v, %v: want the register and its location only", p, err)
	}
	if !p.CanUseLocation(shibuya.ID) || p.CanUseLocation(umeda.ID) {
		t.Fatal("a register's key must act only at its location")
	}
	if got, err := in.store.GetAPIKey(ctx, k.ID); err != nil || got.RegisterID != till {
		t.Fatalf("GetAPIKey = %+v, %v", got, err)
	}

	plain, secret2, err := svc.CreateAPIKey(ctx, identity.APIKeyInput{Name: "ERP", Scopes: []identity.Scope{identity.ScopeOrdersRead}})
	if err != nil || plain.RegisterID != "" {
		t.Fatalf("CreateAPIKey without a register = %+v, %v", plain, err)
	}
	if p, err := svc.Authenticate(t.Context(), secret2); err != nil || p.RegisterID != "" || len(p.LocationIDs) != 0 {
		t.Fatalf("a key of no register = %+v, %v", p, err)
	}

	if _, err := tenants.DeactivateRegister(ctx, tenant.RegisterID(umeda.ID, 1), time.Now()); err != nil {
		t.Fatal(err)
	}
	other := signUp(t, svc)
	for _, c := range []struct {
		name, register string
		as             string
		want           apperr.Code
	}{
		{"malformed", "reg_nope", owner.AccessToken, apperr.NotFound},
		{"no such register", tenant.RegisterID(shibuya.ID, 2), owner.AccessToken, apperr.NotFound},
		{"another tenant's", till, other.AccessToken, apperr.NotFound},
		{"deactivated", tenant.RegisterID(umeda.ID, 1), owner.AccessToken, apperr.Invalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := svc.CreateAPIKey(mustAs(t, svc, c.as), identity.APIKeyInput{Name: "k", Scopes: []identity.Scope{identity.ScopeOrdersWrite}, RegisterID: c.register})
			if apperr.CodeOf(err) != c.want {
				t.Fatalf("err = %v, want %s", err, c.want)
			}
			if l, _ := apperr.Expected(err); len(l) == 0 || !slices.Equal(l[0].Field, []string{"input", "registerId"}) {
				t.Fatalf("err = %v, want it on input.registerId", err)
			}
		})
	}
}
