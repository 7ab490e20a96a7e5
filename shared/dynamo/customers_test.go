package dynamo

import (
	"context"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/sales"
)

func TestSalesStore_Customers(t *testing.T) {
	tb := mustTable(t)
	st := NewSalesStore(tb)
	ctx := tenantCtx(t)
	for _, name := range []string{"Tanaka Hanako", "Tanabe Jiro", "Suzuki Ichiro"} {
		c, _ := sales.NewCustomer(ids.New("cus"), name, "", "", time.Now())
		if err := st.CreateCustomer(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	cs, next, err := st.ListCustomers(ctx, "tana", 1, "")
	if err != nil || len(cs) != 1 || cs[0].Name != "Tanabe Jiro" || next == "" {
		t.Fatalf("page 1: %+v %q %v", cs, next, err)
	}
	cs, next, err = st.ListCustomers(ctx, "tana", 1, next)
	if err != nil || len(cs) != 1 || cs[0].Name != "Tanaka Hanako" || next != "" {
		t.Fatalf("page 2: %+v %q %v", cs, next, err)
	}
	if other, _, _ := st.ListCustomers(tenantCtx(t), "", 50, ""); len(other) != 0 {
		t.Fatalf("other tenant sees %d customers", len(other))
	}
	for name, after := range map[string]string{"garbled": "!!", "another prefix's": next1(t, st, ctx, "suz"), "an orders cursor": bindCursor("orders||", "x#y")} {
		if _, _, err := st.ListCustomers(ctx, "tana", 1, after); apperr.CodeOf(err) != apperr.Invalid {
			t.Fatalf("%s cursor: err = %v, want INVALID", name, err)
		}
	}
}

// next1 is the cursor after the first customer matching query.
func next1(tb testing.TB, st *SalesStore, ctx context.Context, query string) string {
	tb.Helper()
	c, _ := sales.NewCustomer(ids.New(sales.CustomerIDPrefix), "Suzuki Jiro", "", "", time.Now())
	if err := st.CreateCustomer(ctx, c); err != nil {
		tb.Fatal(err)
	}
	_, next, err := st.ListCustomers(ctx, query, 1, "")
	if err != nil || next == "" {
		tb.Fatalf("next %q, %v", next, err)
	}
	return next
}
