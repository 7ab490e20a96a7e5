package dynamo

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// newRegister builds register n of loc named name (the service's builder).
func newRegister(loc, name string) func(int) (tenant.Register, error) {
	return func(n int) (tenant.Register, error) { return tenant.NewRegister(loc, n, name, time.Now().UTC()) }
}

func locationWithRegisters(t *testing.T) (*TenantStore, context.Context, tenant.Location) {
	t.Helper()
	tb := mustTable(t)
	st := NewTenantStore(tb)
	ctx, tn, _ := newTenant(t, NewIdentityStore(tb), "r@example.com")
	l, err := tenant.NewLocation(ids.New(ids.Location), "Shibuya", "", tn, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	l, err = st.CreateLocation(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	return st, ctx, l
}

func TestTenantStore_CreateLocationWritesRegisterOne(t *testing.T) {
	st, ctx, l := locationWithRegisters(t)
	if l.RegisterCount != 1 {
		t.Fatalf("created location's RegisterCount = %d", l.RegisterCount)
	}
	got, err := st.GetLocations(ctx, []string{l.ID})
	if err != nil || len(got) != 1 || got[0].RegisterCount != 1 {
		t.Fatalf("GetLocations = %+v, %v", got, err)
	}
	rs, err := st.GetRegisters(ctx, got[0].RegisterIDs())
	if err != nil || len(rs) != 2 {
		t.Fatalf("GetRegisters = %+v, %v", rs, err)
	}
	slices.SortFunc(rs, func(a, b tenant.Register) int { return a.Number - b.Number })
	r := rs[0]
	if r.ID != tenant.RegisterID(l.ID, 1) || r.LocationID != l.ID || r.Number != 1 || r.Name != "Register 1" || r.Kind != tenant.RegisterPOS || !r.Active || r.CreatedAt.IsZero() {
		t.Fatalf("first register = %+v", r)
	}
	ec := rs[1]
	if ec.ID != tenant.IntegrationRegisterID(l.ID) || ec.LocationID != l.ID || ec.Number != tenant.IntegrationRegisterNumber || ec.Kind != tenant.RegisterIntegration || !ec.Active || ec.CreatedAt.IsZero() {
		t.Fatalf("integration register = %+v", ec)
	}
}

func TestTenantStore_CreateRegister(t *testing.T) {
	st, ctx, l := locationWithRegisters(t)

	t.Run("numbers after the last", func(t *testing.T) {
		for want := 2; want <= 3; want++ {
			r, err := st.CreateRegister(ctx, l.ID, newRegister(l.ID, "Till"))
			if err != nil || r.Number != want || r.ID != tenant.RegisterID(l.ID, want) {
				t.Fatalf("CreateRegister = %+v, %v; want number %d", r, err, want)
			}
		}
	})

	t.Run("concurrent creates take distinct numbers", func(t *testing.T) {
		const n = 6
		var wg sync.WaitGroup
		got := make([]int, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := st.CreateRegister(ctx, l.ID, newRegister(l.ID, "Busy"))
				if err != nil {
					t.Errorf("create %d: %v", i, err)
					return
				}
				got[i] = r.Number
			}()
		}
		wg.Wait()
		slices.Sort(got)
		if !slices.Equal(got, []int{4, 5, 6, 7, 8, 9}) {
			t.Fatalf("numbers %v, want 4…9 once each", got)
		}
		ls, _ := st.GetLocations(ctx, []string{l.ID})
		if ls[0].RegisterCount != 9 {
			t.Fatalf("registerCount = %d, want 9", ls[0].RegisterCount)
		}
		rs, err := st.GetRegisters(ctx, ls[0].RegisterIDs())
		if err != nil || len(rs) != 10 {
			t.Fatalf("GetRegisters = %d registers, %v", len(rs), err)
		}
	})

	t.Run("a refused build writes nothing", func(t *testing.T) {
		_, err := st.CreateRegister(ctx, l.ID, func(int) (tenant.Register, error) {
			return tenant.Register{}, apperr.New(apperr.Invalid, "no")
		})
		if apperr.CodeOf(err) != apperr.Invalid {
			t.Fatalf("err = %v", err)
		}
		if ls, _ := st.GetLocations(ctx, []string{l.ID}); ls[0].RegisterCount != 9 {
			t.Fatalf("registerCount moved to %d", ls[0].RegisterCount)
		}
	})

	t.Run("POS registers stop at 98: 99 is the integration register's", func(t *testing.T) {
		tpk, _ := tenantPK(ctx)
		setRegisterCount(t, st.t, ctx, key(tpk, skLocPrefix+l.ID), tenant.MaxPOSRegisters-1)
		r, err := st.CreateRegister(ctx, l.ID, newRegister(l.ID, "Last"))
		if err != nil || r.Number != 98 || r.Kind != tenant.RegisterPOS {
			t.Fatalf("register 98 = %+v, %v", r, err)
		}
		_, err = st.CreateRegister(ctx, l.ID, newRegister(l.ID, "One too many"))
		if apperr.CodeOf(err) != apperr.Invalid {
			t.Fatalf("register 99: err = %v, want INVALID", err)
		}
		ls, _ := st.GetLocations(ctx, []string{l.ID})
		if ls[0].RegisterCount != 98 {
			t.Fatalf("registerCount = %d, want 98", ls[0].RegisterCount)
		}
		rs, _ := st.GetRegisters(ctx, []string{tenant.IntegrationRegisterID(l.ID)})
		if len(rs) != 1 || rs[0].Kind != tenant.RegisterIntegration || rs[0].Name != tenant.IntegrationRegisterName {
			t.Fatalf("integration register after 98 POS registers = %+v", rs)
		}
	})

	t.Run("unknown or another tenant's location", func(t *testing.T) {
		for name, c := range map[string]struct {
			ctx context.Context
			loc string
		}{"unknown": {ctx, ids.New(ids.Location)}, "another tenant's": {tenantCtx(t), l.ID}} {
			_, err := st.CreateRegister(c.ctx, c.loc, newRegister(c.loc, "X"))
			if apperr.CodeOf(err) != apperr.NotFound {
				t.Errorf("%s: err = %v, want NOT_FOUND", name, err)
			}
		}
	})
}

// setRegisterCount overwrites a location's registerCount.
func setRegisterCount(t *testing.T, tbl *Table, ctx context.Context, k map[string]types.AttributeValue, count int) {
	t.Helper()
	_, err := tbl.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &tbl.name, Key: k,
		UpdateExpression:          aws.String("SET registerCount = :n"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": n(int64(count))}})
	if err != nil {
		t.Fatal(err)
	}
}

// A location written before registers has no registerCount and no
// register item: its first createRegister makes register 1.
func TestTenantStore_CreateRegisterAtLocationFromBeforeRegisters(t *testing.T) {
	tbl := mustTable(t)
	st := NewTenantStore(tbl)
	ctx, _, _ := newTenant(t, NewIdentityStore(tbl), "old@example.com")
	tpk, _ := tenantPK(ctx)
	id := ids.New(ids.Location)
	putRaw(t, tbl, locationItem{PK: tpk, SK: skLocPrefix + id, Type: "Location", ID: id, Name: "Old", Timezone: "Asia/Tokyo", Number: 1, CreatedAt: fmtTime(time.Now())})
	ls, err := st.GetLocations(ctx, []string{id})
	if err != nil || len(ls) != 1 || ls[0].RegisterCount != 0 {
		t.Fatalf("old location = %+v, %v", ls, err)
	}
	if rs, err := st.GetRegisters(ctx, ls[0].RegisterIDs()); err != nil || len(rs) != 0 {
		t.Fatalf("old location's registers = %+v, %v", rs, err)
	}
	r, err := st.CreateRegister(ctx, id, newRegister(id, "Register 1"))
	if err != nil || r.Number != 1 {
		t.Fatalf("CreateRegister = %+v, %v", r, err)
	}
	r, err = st.CreateRegister(ctx, id, newRegister(id, "Register 2"))
	if err != nil || r.Number != 2 {
		t.Fatalf("second CreateRegister = %+v, %v", r, err)
	}
	// Its integration register is written on first need, once.
	for range 2 {
		ec, err := st.EnsureIntegrationRegister(ctx, ls[0])
		if err != nil || ec.ID != tenant.IntegrationRegisterID(id) || ec.Kind != tenant.RegisterIntegration || ec.Number != 99 {
			t.Fatalf("EnsureIntegrationRegister = %+v, %v", ec, err)
		}
	}
	if rs, err := st.GetRegisters(ctx, ls[0].RegisterIDs()); err != nil || len(rs) != 1 || rs[0].Kind != tenant.RegisterIntegration {
		t.Fatalf("after EnsureIntegrationRegister: %+v, %v", rs, err)
	}
}

func TestTenantStore_DeactivateRegister(t *testing.T) {
	st, ctx, l := locationWithRegisters(t)
	id := tenant.RegisterID(l.ID, 1)
	// Checkout keeps the register's order sequence on the same item.
	tpk, _ := tenantPK(ctx)
	_, err := st.t.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &st.t.name, Key: key(registerPK(tpk, id), skRegister),
		UpdateExpression: aws.String("SET seq = :n"), ExpressionAttributeValues: map[string]types.AttributeValue{":n": n(41)}})
	if err != nil {
		t.Fatal(err)
	}
	first := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	r, err := st.DeactivateRegister(ctx, id, first)
	if err != nil || r.Active || r.Number != 1 || r.Name != "Register 1" {
		t.Fatalf("DeactivateRegister = %+v, %v", r, err)
	}
	if _, err := st.DeactivateRegister(ctx, id, first.Add(time.Hour)); err != nil {
		t.Fatalf("again: %v", err)
	}
	out, err := st.t.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &st.t.name, Key: key(registerPK(tpk, id), skRegister)})
	if err != nil {
		t.Fatal(err)
	}
	if at := out.Item["deactivatedAt"].(*types.AttributeValueMemberS).Value; at != fmtTime(first) {
		t.Errorf("deactivatedAt = %s, want the first time %s", at, fmtTime(first))
	}
	if seq, ok := out.Item["seq"].(*types.AttributeValueMemberN); !ok || seq.Value != "41" {
		t.Errorf("seq = %v, want it kept", out.Item["seq"])
	}
	for name, c := range map[string]struct {
		ctx context.Context
		id  string
	}{"unknown": {ctx, tenant.RegisterID(l.ID, 7)}, "another tenant's": {tenantCtx(t), id}} {
		if _, err := st.DeactivateRegister(c.ctx, c.id, first); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("%s: err = %v, want NOT_FOUND", name, err)
		}
	}
	if rs, err := st.GetRegisters(tenantCtx(t), []string{id}); err != nil || len(rs) != 0 {
		t.Errorf("another tenant reads %+v, %v", rs, err)
	}
}
