// Package catalog holds what a tenant sells: items (a name and a tax
// category) and their variants (SKU, optional barcode, price, whether stock
// is tracked). SKUs are unique per tenant, and so are barcodes when set.
package catalog

import (
	"time"

	"github.com/renkei-pos/renkei/shared/tax"
)

// Item is a product with one or more variants.
type Item struct {
	ID          string
	Name        string
	TaxCategory tax.Category
	Variants    []Variant
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Variant is one sellable unit of an item.
type Variant struct {
	ID          string
	ItemID      string
	ItemName    string
	Name        string
	SKU         string
	Barcode     string // "" when none
	Price       int64  // minor units of Currency; tax-inclusive or not per the tenant
	Currency    string
	TrackStock  bool
	TaxCategory tax.Category // the item's
	UpdatedAt   time.Time
}
