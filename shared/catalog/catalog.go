// Package catalog holds what a tenant sells: items (a name and a tax
// category) and their variants (SKU, optional barcode, price, whether stock
// is tracked). SKUs are unique per tenant, and so are barcodes when set.
package catalog

import (
	"strconv"
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

// Variant is one sellable unit of an item. Its item's name and tax category
// are copied in, so a checkout needs the variant alone.
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
	// UpdatedAt is the item's last change: every upsert rewrites all of an
	// item's variants with the item's time, so it equals Item.UpdatedAt.
	UpdatedAt time.Time
}

// Id prefixes of items and variants (see package ids).
const (
	ItemIDPrefix    = "itm"
	VariantIDPrefix = "var"
)

// Limits of the catalog.
const (
	// MaxVariants per item keeps one upsert inside DynamoDB's 100 actions
	// per transaction (a variant costs up to three: its record, its SKU and
	// its barcode).
	MaxVariants = 20
	MaxNameLen  = 200 // characters, item and variant names
	MaxSKULen   = 64  // characters
	MaxQueryLen = 200 // characters of an items search
	MaxPageSize = 250 // items per page
)

// VariantField is the input path of a field of the i-th variant of an
// upsert, e.g. ["input", "variants", "2", "sku"].
func VariantField(i int, name ...string) []string {
	return append([]string{"input", "variants", strconv.Itoa(i)}, name...)
}
