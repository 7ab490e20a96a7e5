package dynamo

import (
	"sync"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/tenant"
)

func TestTenantStore_UpdateTenantConcurrently(t *testing.T) {
	tb := mustTable(t)
	ctx, _, _ := newTenant(t, NewIdentityStore(tb), "u@example.com")
	st := NewTenantStore(tb)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := st.UpdateTenant(ctx, func(tn *tenant.Tenant) error {
				tn.BusinessName += "x"
				return nil
			})
			if err != nil && apperr.CodeOf(err) != apperr.Unavailable {
				t.Errorf("update %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	got, err := st.GetTenant(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Every successful update appended exactly one x: none was lost.
	if n := len(got.BusinessName) - len("Shop"); n < 1 || n > 4 {
		t.Fatalf("business name %q", got.BusinessName)
	}
}

func TestTenantStore_Locations(t *testing.T) {
	tb := mustTable(t)
	st := NewTenantStore(tb)
	ctx, tn, _ := newTenant(t, NewIdentityStore(tb), "l@example.com")
	var made []string
	for _, name := range []string{"Shibuya", "Umeda"} {
		l, err := tenant.NewLocation(ids.New(ids.Location), name, "", tn, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		l, err = st.CreateLocation(ctx, l)
		if err != nil {
			t.Fatal(err)
		}
		if l.Number != len(made)+1 {
			t.Fatalf("location number = %d, want %d", l.Number, len(made)+1)
		}
		made = append(made, l.ID)
	}
	ls, err := st.ListLocations(ctx)
	if err != nil || len(ls) != 2 || ls[0].Name != "Shibuya" || ls[0].Timezone != "Asia/Tokyo" {
		t.Fatalf("ListLocations = %+v, %v", ls, err)
	}
	got, err := st.GetLocations(ctx, []string{made[1], made[0], made[0], ids.New(ids.Location)})
	if err != nil || len(got) != 2 {
		t.Fatalf("GetLocations = %+v, %v", got, err)
	}
	other := tenantCtx(t)
	if ls, _ := st.ListLocations(other); len(ls) != 0 {
		t.Fatalf("other tenant sees %d locations", len(ls))
	}
	if got, _ := st.GetLocations(other, made); len(got) != 0 {
		t.Fatalf("other tenant reads %d locations by id", len(got))
	}
}
