package dynamo

import (
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tax"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// TestSalesService_ImportOrder: a Shopify order becomes a sale at the
// location's INTEGRATION register (LLL-99-NNNNNN), at the shop's price and
// the variant's tax category, paid by one EXTERNAL tender, dated when the
// shop took it; stock goes down (below zero: marked oversold);
// order.completed is in the outbox; a replay answers the same order and
// writes nothing; only the integration may import.
func TestSalesService_ImportOrder(t *testing.T) {
	sh := newShop(t, mustTable(t), 5)
	svc := sh.offlineService()
	owner, err := identity.PrincipalFrom(sh.ctx)
	if err != nil {
		t.Fatal(err)
	}
	ctx := identity.WithPrincipal(sh.ctx, identity.IntegrationPrincipal(owner.TenantID, "int_shopify"))
	at := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	order := func(id string, qty int64) sales.ImportedOrder {
		return sales.ImportedOrder{Source: "EC:SHOPIFY", ExternalID: id, Reference: "#" + id, LocationID: sh.loc.ID, OccurredAt: at,
			Currency: "JPY", PricesIncludeTax: true, Lines: []sales.ImportedLine{{VariantID: sh.variant.ID, Quantity: qty, UnitPrice: 280}}}
	}

	if _, err := svc.ImportOrder(sh.ctx, order("1001", 2)); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("an owner imported an order: %v", err)
	}
	o, err := svc.ImportOrder(ctx, order("1001", 2))
	if err != nil {
		t.Fatal(err)
	}
	if o.Number != sales.OrderNumber(sh.loc.Number, tenant.IntegrationRegisterNumber, 1) || o.RegisterID != tenant.IntegrationRegisterID(sh.loc.ID) ||
		o.Source != "EC:SHOPIFY" || !o.CreatedAt.Equal(at) || o.Total != 560 || o.StaffID != "" || o.APIKeyID != "" {
		t.Fatalf("order %+v", o)
	}
	if len(o.Lines) != 1 || o.Lines[0].UnitPrice != 280 || o.Lines[0].TaxCategory != tax.Reduced || o.Lines[0].SKU != "TEA" {
		t.Fatalf("lines %+v", o.Lines)
	}
	if len(o.Payments) != 1 || o.Payments[0].Method != sales.External || o.Payments[0].Amount != 560 || o.Payments[0].Reference != "#1001" {
		t.Fatalf("payments %+v", o.Payments)
	}
	if l := sh.level(t); l.OnHand != 3 || l.OversoldAt != "" {
		t.Fatalf("level %+v: want 3, not oversold", l)
	}
	if n := len(sh.outbox(t, EventOrderCompleted)); n != 1 {
		t.Fatalf("%d order.completed events", n)
	}

	t.Run("a replay answers the same order and writes nothing", func(t *testing.T) {
		again, err := svc.ImportOrder(ctx, order("1001", 2))
		if err != nil || again.ID != o.ID || again.Number != o.Number {
			t.Fatalf("replay %+v %v", again, err)
		}
		edited := order("1001", 1) // the shop edited the order since: still the first import's order
		if again, err = svc.ImportOrder(ctx, edited); err != nil || again.ID != o.ID {
			t.Fatalf("edited replay %+v %v", again, err)
		}
		if sh.level(t).OnHand != 3 || len(sh.outbox(t, EventOrderCompleted)) != 1 || sh.registerSeq(t, o.RegisterID) != 1 {
			t.Fatal("a replay wrote")
		}
	})
	t.Run("an order the stock cannot cover is recorded and flagged", func(t *testing.T) {
		o2, err := svc.ImportOrder(ctx, order("1002", 10))
		if err != nil {
			t.Fatal(err)
		}
		if o2.Number != sales.OrderNumber(sh.loc.Number, tenant.IntegrationRegisterNumber, 2) {
			t.Fatalf("number %s", o2.Number)
		}
		if l := sh.level(t); l.OnHand != -7 || l.OversoldAt == "" {
			t.Fatalf("level %+v: want -7, oversold", l)
		}
	})
	t.Run("bad orders", func(t *testing.T) {
		unknown := order("1003", 1)
		unknown.Lines[0].VariantID = "var_unknown"
		if _, err := svc.ImportOrder(ctx, unknown); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("unknown variant: %v", err)
		}
		usd := order("1004", 1)
		usd.Currency = "USD"
		if _, err := svc.ImportOrder(ctx, usd); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("another currency: %v", err)
		}
		if sh.level(t).OnHand != -7 {
			t.Fatal("a refused order took stock")
		}
	})
}
