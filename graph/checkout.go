package graph

import (
	"context"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/renkei-pos/renkei/shared/sales"
)

// Checkout: the mutation that turns a basket into an order.

type checkoutInput struct {
	IdempotencyKey string
	LocationID     graphql.ID
	RegisterID     *graphql.ID
	Lines          []checkoutLineInput
	OrderDiscount  *discountInput
	CustomerID     *graphql.ID
	Payments       []paymentInput
	GiftCardLoads  *[]giftCardLoadInput
}

type giftCardLoadInput struct {
	Number string
	Amount moneyInput
}

type checkoutLineInput struct {
	VariantID graphql.ID
	Quantity  Long
	Discount  *discountInput
}

type discountInput struct {
	Percent *int32
	Amount  *moneyInput
}

type paymentInput struct {
	Method          string
	Amount          moneyInput
	Tendered        *moneyInput
	PaymentMethodID *string
	Reference       *string
	GiftCardNumber  *string
}

func (in checkoutInput) domain() sales.CheckoutInput {
	out := sales.CheckoutInput{IdempotencyKey: in.IdempotencyKey, LocationID: string(in.LocationID), OrderDiscount: in.OrderDiscount.domain()}
	if in.RegisterID != nil {
		out.RegisterID = string(*in.RegisterID)
	}
	if in.CustomerID != nil {
		out.CustomerID = string(*in.CustomerID)
	}
	for _, l := range in.Lines {
		out.Lines = append(out.Lines, sales.CheckoutLine{VariantID: string(l.VariantID), Quantity: int64(l.Quantity), Discount: l.Discount.domain()})
	}
	for _, p := range in.Payments {
		pi := sales.PaymentInput{Method: sales.PaymentMethod(p.Method), Amount: p.Amount.domain(), PaymentMethodID: deref(p.PaymentMethodID), Reference: deref(p.Reference),
			GiftCardNumber: deref(p.GiftCardNumber)}
		if p.Tendered != nil {
			t := p.Tendered.domain()
			pi.Tendered = &t
		}
		out.Payments = append(out.Payments, pi)
	}
	if in.GiftCardLoads != nil {
		for _, l := range *in.GiftCardLoads {
			out.GiftCardLoads = append(out.GiftCardLoads, sales.GiftCardLoadInput{Number: l.Number, Amount: l.Amount.domain()})
		}
	}
	return out
}

func (d *discountInput) domain() *sales.DiscountInput {
	if d == nil {
		return nil
	}
	out := &sales.DiscountInput{}
	if d.Percent != nil {
		p := int64(*d.Percent)
		out.Percent = &p
	}
	if d.Amount != nil {
		m := d.Amount.domain()
		out.Amount = &m
	}
	return out
}

func (m moneyInput) domain() sales.Money {
	return sales.Money{Amount: int64(m.Amount), Currency: m.Currency}
}

type checkoutPayloadResolver struct {
	Order      *orderResolver
	UserErrors []*userError
}

// Checkout sells (sell: CASHIER and up at their locations, ORDERS_WRITE; the
// service checks).
func (r *Resolver) Checkout(ctx context.Context, args struct{ Input checkoutInput }) (*checkoutPayloadResolver, error) {
	o, err := r.svc.Sales.Checkout(ctx, args.Input.domain())
	if err != nil {
		ue, err := userErrors(ctx, err)
		return &checkoutPayloadResolver{UserErrors: ue}, err
	}
	return &checkoutPayloadResolver{Order: r.newOrderResolvers(ctx, []sales.Order{o})[0], UserErrors: []*userError{}}, nil
}
