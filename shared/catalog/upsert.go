package catalog

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/tax"
	"github.com/renkei-pos/renkei/shared/text"
)

// UpsertInput creates an item (ID "") or replaces an existing item's name,
// tax category and list of variants.
type UpsertInput struct {
	ID          string
	Name        string
	TaxCategory tax.Category
	Variants    []VariantInput
}

// VariantInput is one variant of an upsert. With an ID it updates that
// variant of the item; without one it creates a variant. Existing variants
// left out of the list are removed.
type VariantInput struct {
	ID         string
	Name       string
	SKU        string
	Barcode    string // "" for none
	Price      int64
	Currency   string
	TrackStock *bool // nil means true
}

// normalize trims the input and checks every rule that needs no stored
// state; currency is the tenant's. All failures are reported together.
func (in UpsertInput) normalize(currency string) (UpsertInput, error) {
	var errs apperr.List
	out := UpsertInput{ID: strings.TrimSpace(in.ID), TaxCategory: in.TaxCategory}
	out.Name = name.Check(&errs, in.Name, "input", "name")
	if !in.TaxCategory.Valid() {
		errs.Add(apperr.Invalid, "taxCategory must be STANDARD, REDUCED or EXEMPT", "input", "taxCategory")
	}
	if n := len(in.Variants); n < 1 || n > MaxVariants {
		errs = append(errs, apperr.Newf(apperr.Invalid, []string{"input", "variants"}, "an item has 1 to %d variants", MaxVariants))
		return out, errs
	}
	seenID, seenSKU, seenBarcode := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for i, v := range in.Variants {
		nv := VariantInput{ID: strings.TrimSpace(v.ID), SKU: strings.TrimSpace(v.SKU),
			Barcode: strings.TrimSpace(v.Barcode), Price: v.Price, Currency: v.Currency, TrackStock: v.TrackStock}
		nv.Name = name.Check(&errs, v.Name, VariantField(i, "name")...)
		if nv.ID != "" {
			if seenID[nv.ID] {
				errs.Add(apperr.Invalid, "this variant appears twice in the list", VariantField(i, "id")...)
			}
			seenID[nv.ID] = true
		}
		if checkSKU(&errs, nv.SKU, VariantField(i, "sku")) {
			if seenSKU[nv.SKU] {
				errs.Add(apperr.Invalid, "two variants in this request have the same SKU", VariantField(i, "sku")...)
			}
			seenSKU[nv.SKU] = true
		}
		if nv.Barcode != "" && checkBarcode(&errs, nv.Barcode, VariantField(i, "barcode")) {
			g, _ := GTIN14(nv.Barcode)
			if seenBarcode[g] {
				errs.Add(apperr.Invalid, "two variants in this request have the same barcode", VariantField(i, "barcode")...)
			}
			seenBarcode[g] = true
		}
		if nv.Price < 0 || nv.Price > tax.MaxAmount {
			errs = append(errs, apperr.Newf(apperr.Invalid, VariantField(i, "price", "amount"), "price must be between 0 and %d", tax.MaxAmount))
		}
		if nv.Currency != currency {
			errs = append(errs, apperr.Newf(apperr.Invalid, VariantField(i, "price", "currency"), "prices are in the tenant's currency, %s", currency))
		}
		out.Variants = append(out.Variants, nv)
	}
	return out, errs.Err()
}

// apply returns the item that the (normalized) input makes of current: the
// zero-variant item being created, or the stored item being updated.
// Variants with an id must be current's; the others get new ids.
func (in UpsertInput) apply(current Item, now time.Time) (Item, error) {
	existing := make(map[string]bool, len(current.Variants))
	for _, v := range current.Variants {
		existing[v.ID] = true
	}
	it := Item{ID: current.ID, Name: in.Name, TaxCategory: in.TaxCategory, CreatedAt: current.CreatedAt, UpdatedAt: now}
	var errs apperr.List
	for i, v := range in.Variants {
		id := v.ID
		switch {
		case id == "":
			id = ids.NewAt(VariantIDPrefix, now)
		case !existing[id]:
			// Another item's variant, another tenant's, or none: all look alike.
			errs.Add(apperr.NotFound, "this item has no variant with this id", VariantField(i, "id")...)
		}
		track := v.TrackStock == nil || *v.TrackStock
		it.Variants = append(it.Variants, Variant{ID: id, ItemID: it.ID, ItemName: it.Name, Name: v.Name, SKU: v.SKU, Barcode: v.Barcode,
			Price: v.Price, Currency: v.Currency, TrackStock: track, TaxCategory: it.TaxCategory, UpdatedAt: now})
	}
	return it, errs.Err()
}

// name is the rule of item and variant names.
var name = text.Rule{What: "name", Min: 1, Max: MaxNameLen}

func checkSKU(errs *apperr.List, s string, field []string) bool {
	n := utf8.RuneCountInString(s)
	switch {
	case n == 0:
		errs.Add(apperr.Invalid, "sku must not be empty", field...)
	case n > MaxSKULen:
		*errs = append(*errs, apperr.Newf(apperr.Invalid, field, "sku must be at most %d characters", MaxSKULen))
	case !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) || unicode.IsSpace(r) }) >= 0:
		errs.Add(apperr.Invalid, "sku must be printable characters without spaces", field...)
	default:
		return true
	}
	return false
}

func checkBarcode(errs *apperr.List, s string, field []string) bool {
	if !barcodeShape(s) {
		errs.Add(apperr.Invalid, "barcode must be 8, 12, 13 or 14 digits (JAN/EAN/UPC/GTIN)", field...)
		return false
	}
	if !ValidBarcode(s) {
		errs.Add(apperr.Invalid, "barcode check digit is wrong", field...)
		return false
	}
	return true
}
