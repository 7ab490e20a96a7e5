package shopify

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/renkei-pos/renkei/shared/tax"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// Order is a Shopify orders/create reduced to what the import needs: the
// data of an integrations.EventShopifyOrder event. Amounts stay Shopify's
// decimal strings until the import converts them in the order's currency.
type Order struct {
	ID            string      `json:"id"`   // Shopify's numeric order id
	Name          string      `json:"name"` // "#1001"
	CreatedAt     time.Time   `json:"createdAt"`
	Currency      string      `json:"currency"`
	TaxesIncluded bool        `json:"taxesIncluded"`
	Total         string      `json:"total"`
	Lines         []OrderLine `json:"lines"`
}

// OrderLine is one line item.
type OrderLine struct {
	SKU      string `json:"sku"`
	Title    string `json:"title,omitempty"`
	Quantity int64  `json:"quantity"`
	Price    string `json:"price"`              // unit price
	Discount string `json:"discount,omitempty"` // total_discount of the line
}

// MaxOrderLines bounds the lines of an order the webhook accepts.
const MaxOrderLines = 100

// webhookOrder is the part of Shopify's order payload that is read.
type webhookOrder struct {
	ID            json.Number `json:"id"`
	Name          string      `json:"name"`
	CreatedAt     string      `json:"created_at"`
	Currency      string      `json:"currency"`
	TaxesIncluded bool        `json:"taxes_included"`
	TotalPrice    string      `json:"total_price"`
	LineItems     []struct {
		SKU           *string `json:"sku"`
		Title         string  `json:"title"`
		Quantity      int64   `json:"quantity"`
		Price         string  `json:"price"`
		TotalDiscount string  `json:"total_discount"`
	} `json:"line_items"`
}

// ReduceOrder reads an orders/create payload; an error says what is wrong
// with it (the webhook answers 400).
func ReduceOrder(body []byte) (Order, error) {
	var w webhookOrder
	if err := json.Unmarshal(body, &w); err != nil {
		return Order{}, errors.New("the body is not a Shopify order")
	}
	id := w.ID.String()
	if _, err := strconv.ParseUint(id, 10, 64); err != nil || id == "0" {
		return Order{}, errors.New("the order has no numeric id")
	}
	at, err := time.Parse(time.RFC3339, w.CreatedAt)
	if err != nil {
		return Order{}, errors.New("the order's created_at is not a time")
	}
	if _, ok := tenant.CurrencyExponent(w.Currency); !ok {
		return Order{}, fmt.Errorf("the order's currency %q is not one renkei sells in", clip(w.Currency))
	}
	if n := len(w.LineItems); n == 0 || n > MaxOrderLines {
		return Order{}, fmt.Errorf("an order has 1 to %d line items", MaxOrderLines)
	}
	o := Order{ID: id, Name: clip(w.Name), CreatedAt: at.UTC(), Currency: w.Currency, TaxesIncluded: w.TaxesIncluded, Total: w.TotalPrice}
	for i, li := range w.LineItems {
		l := OrderLine{Title: clip(li.Title), Quantity: li.Quantity, Price: li.Price, Discount: li.TotalDiscount}
		if li.SKU != nil {
			l.SKU = strings.TrimSpace(*li.SKU)
		}
		if li.Quantity < 1 {
			return Order{}, fmt.Errorf("line item %d has no quantity", i)
		}
		if _, err := minorUnits(li.Price, w.Currency); err != nil {
			return Order{}, fmt.Errorf("line item %d: %w", i, err)
		}
		o.Lines = append(o.Lines, l)
	}
	return o, nil
}

// minorUnits converts a decimal amount ("1080", "1080.00", "12.34") to
// minor units of currency; more decimals than the currency has (beyond
// zeros) or an amount past tax.MaxAmount is an error.
func minorUnits(amount, currency string) (int64, error) {
	if amount == "" {
		return 0, nil
	}
	exp, ok := tenant.CurrencyExponent(currency)
	if !ok {
		return 0, fmt.Errorf("currency %q is not supported", clip(currency))
	}
	r, ok := new(big.Rat).SetString(amount)
	if !ok || r.Sign() < 0 || strings.ContainsAny(amount, "eE/") {
		return 0, fmt.Errorf("amount %q is not a decimal", clip(amount))
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil)))
	if !r.IsInt() {
		return 0, fmt.Errorf("amount %q has more decimals than %s", clip(amount), currency)
	}
	n := r.Num()
	if !n.IsInt64() || n.Int64() > tax.MaxAmount {
		return 0, fmt.Errorf("amount %q is too large", clip(amount))
	}
	return n.Int64(), nil
}
