package tenant_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/dynamo"
	"github.com/renkei-pos/renkei/shared/dynamo/dynamotest"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// shop is a tenant on DynamoDB Local with two locations, served by the
// tenant service with the real role table.
type shop struct {
	svc        *tenant.Service
	tenantID   string
	loc1, loc2 tenant.Location
}

func newShop(t *testing.T) shop {
	t.Helper()
	table := dynamotest.MustTable(t, "tenants")
	tn := dynamotest.MustTenant(t, table, "Shop")
	sh := shop{svc: &tenant.Service{Store: dynamo.NewTenantStore(table), Access: identity.TenantAccess{}, Now: time.Now}, tenantID: tn.ID}
	ctx := sh.as(identity.Owner)
	var err error
	if sh.loc1, err = sh.svc.CreateLocation(ctx, "Shibuya", ""); err != nil {
		t.Fatal(err)
	}
	if sh.loc2, err = sh.svc.CreateLocation(ctx, "Umeda", ""); err != nil {
		t.Fatal(err)
	}
	return sh
}

// as is a user of the shop with a role, restricted to locs when given.
func (sh shop) as(role identity.Role, locs ...string) context.Context {
	return identity.WithPrincipal(context.Background(), identity.Principal{TenantID: sh.tenantID, UserID: "usr_x", Role: role, LocationIDs: locs})
}

func numbers(rs []tenant.Register) []int {
	out := make([]int, len(rs))
	for i, r := range rs {
		out[i] = r.Number
	}
	return out
}

func wantCode(t *testing.T, err error, code apperr.Code, field string) {
	t.Helper()
	if apperr.CodeOf(err) != code {
		t.Fatalf("err = %v, want %s", err, code)
	}
	if field == "" {
		return
	}
	list, _ := apperr.Expected(err)
	if len(list) == 0 || strings.Join(list[0].Field, ".") != field {
		t.Fatalf("err = %v, want %s at %s", err, code, field)
	}
}

func TestService_Registers(t *testing.T) {
	sh := newShop(t)
	owner := sh.as(identity.Owner)

	t.Run("a new location has register 1 and the integration register", func(t *testing.T) {
		rs, err := sh.svc.Registers(sh.as(identity.Cashier), sh.loc1.ID)
		if err != nil || len(rs) != 2 || rs[0].Name != tenant.DefaultRegisterName(1) || rs[0].Kind != tenant.RegisterPOS || !rs[0].Active || rs[0].LocationID != sh.loc1.ID {
			t.Fatalf("Registers = %+v, %v", rs, err)
		}
		ec := rs[1]
		if ec.ID != tenant.IntegrationRegisterID(sh.loc1.ID) || ec.Number != 99 || ec.Kind != tenant.RegisterIntegration || ec.Name != "EC" || !ec.Active || ec.LocationID != sh.loc1.ID {
			t.Fatalf("integration register = %+v", ec)
		}
	})

	t.Run("createRegister numbers 2, 3 and they are listed by number", func(t *testing.T) {
		for i, name := range []string{"  Till 2 ", "レジ3"} {
			r, err := sh.svc.CreateRegister(owner, sh.loc1.ID, name)
			if err != nil || r.Number != i+2 {
				t.Fatalf("CreateRegister = %+v, %v", r, err)
			}
		}
		rs, err := sh.svc.Registers(owner, sh.loc1.ID)
		if err != nil || !slices.Equal(numbers(rs), []int{1, 2, 3, 99}) {
			t.Fatalf("Registers = %+v, %v", rs, err)
		}
		if rs[1].Name != "Till 2" || rs[2].Name != "レジ3" {
			t.Fatalf("names %q, %q: trimmed, as given", rs[1].Name, rs[2].Name)
		}
	})

	t.Run("bad input writes nothing", func(t *testing.T) {
		for _, c := range []struct {
			loc, name string
			code      apperr.Code
			field     string
		}{
			{sh.loc2.ID, "Till\x00", apperr.Invalid, "input.name"},
			{sh.loc2.ID, "\u202eTill", apperr.Invalid, "input.name"},
			{sh.loc2.ID, "   ", apperr.Invalid, "input.name"},
			{sh.loc2.ID, strings.Repeat("x", 201), apperr.Invalid, "input.name"},
			{"loc_nonsense", "Till", apperr.NotFound, "input.locationId"},
			{ids.New(ids.Location), "Till", apperr.NotFound, "input.locationId"},
		} {
			_, err := sh.svc.CreateRegister(owner, c.loc, c.name)
			wantCode(t, err, c.code, c.field)
		}
		if rs, _ := sh.svc.Registers(owner, sh.loc2.ID); len(rs) != 2 {
			t.Fatalf("registers at loc2: %+v", rs)
		}
	})

	t.Run("only who may add locations adds registers", func(t *testing.T) {
		for _, role := range []identity.Role{identity.Cashier, identity.Manager} {
			_, err := sh.svc.CreateRegister(sh.as(role), sh.loc2.ID, "Till")
			wantCode(t, err, apperr.Forbidden, "")
			_, err = sh.svc.DeactivateRegister(sh.as(role), tenant.RegisterID(sh.loc2.ID, 1))
			wantCode(t, err, apperr.Forbidden, "")
		}
		key := identity.WithPrincipal(context.Background(), identity.Principal{TenantID: sh.tenantID, APIKeyID: "key_x", Scopes: identity.AllScopes})
		_, err := sh.svc.CreateRegister(key, sh.loc2.ID, "Till")
		wantCode(t, err, apperr.Forbidden, "")
		_, err = sh.svc.CreateRegister(sh.as(identity.Owner, sh.loc1.ID), sh.loc2.ID, "Till")
		wantCode(t, err, apperr.Forbidden, "input.locationId")
	})

	t.Run("a restricted caller sees only its locations' registers", func(t *testing.T) {
		only1 := sh.as(identity.Cashier, sh.loc1.ID)
		_, err := sh.svc.Registers(only1, sh.loc2.ID)
		wantCode(t, err, apperr.NotFound, "")
		got, err := sh.svc.GetRegisters(only1, []string{tenant.RegisterID(sh.loc2.ID, 1), tenant.RegisterID(sh.loc1.ID, 2), "garbage", tenant.RegisterID(sh.loc1.ID, 2), tenant.RegisterID(sh.loc1.ID, 1)})
		if err != nil || !slices.Equal(numbers(got), []int{2, 1}) || got[0].LocationID != sh.loc1.ID {
			t.Fatalf("GetRegisters = %+v, %v", got, err)
		}
	})

	t.Run("deactivate", func(t *testing.T) {
		id := tenant.RegisterID(sh.loc1.ID, 3)
		r, err := sh.svc.DeactivateRegister(owner, id)
		if err != nil || r.Active || r.Number != 3 {
			t.Fatalf("DeactivateRegister = %+v, %v", r, err)
		}
		if r, err = sh.svc.DeactivateRegister(owner, id); err != nil || r.Active {
			t.Fatalf("again = %+v, %v", r, err)
		}
		rs, _ := sh.svc.Registers(owner, sh.loc1.ID)
		if len(rs) != 4 || rs[2].Active || !rs[0].Active {
			t.Fatalf("after deactivating 3: %+v", rs)
		}
		for _, bad := range []string{"reg_x", tenant.RegisterID(sh.loc1.ID, 50), sh.loc1.ID} {
			_, err := sh.svc.DeactivateRegister(owner, bad)
			wantCode(t, err, apperr.NotFound, "input.id")
		}
		_, err = sh.svc.DeactivateRegister(sh.as(identity.Owner, sh.loc2.ID), id)
		wantCode(t, err, apperr.Forbidden, "input.id")
		_, err = sh.svc.DeactivateRegister(owner, tenant.IntegrationRegisterID(sh.loc1.ID))
		wantCode(t, err, apperr.Invalid, "input.id")
		if rs, _ := sh.svc.Registers(owner, sh.loc1.ID); !rs[len(rs)-1].Active {
			t.Fatalf("the integration register was deactivated: %+v", rs[len(rs)-1])
		}
	})

	t.Run("another tenant's registers do not exist", func(t *testing.T) {
		other := identity.WithPrincipal(context.Background(), identity.Principal{TenantID: ids.New(ids.Tenant), UserID: "usr_y", Role: identity.Owner})
		_, err := sh.svc.Registers(other, sh.loc1.ID)
		wantCode(t, err, apperr.NotFound, "")
		if got, err := sh.svc.GetRegisters(other, []string{tenant.RegisterID(sh.loc1.ID, 1)}); err != nil || len(got) != 0 {
			t.Fatalf("GetRegisters = %+v, %v", got, err)
		}
		_, err = sh.svc.CreateRegister(other, sh.loc1.ID, "Till")
		wantCode(t, err, apperr.NotFound, "input.locationId")
		_, err = sh.svc.DeactivateRegister(other, tenant.RegisterID(sh.loc1.ID, 1))
		wantCode(t, err, apperr.NotFound, "input.id")
	})
}
