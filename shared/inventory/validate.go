package inventory

import (
	"fmt"
	"strconv"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/idempotency"
)

// Validate checks an adjustment's shape before anything is read: counts,
// one change per variant, exactly one of delta/setTo, ranges and reasons.
// Whether the location and variants exist is decided against a Snapshot.
func (in AdjustInput) Validate() error {
	var errs apperr.List
	if err := idempotency.ValidateKey(in.IdempotencyKey); err != nil {
		errs = append(errs, err.(*apperr.Error))
	}
	if n := len(in.Changes); n < 1 || n > MaxAdjustChanges {
		errs = append(errs, apperr.Newf(apperr.Invalid, []string{"input", "changes"}, "changes must hold 1 to %d changes", MaxAdjustChanges))
	}
	seen := make(map[string]bool, len(in.Changes))
	for i, c := range in.Changes {
		f := func(name ...string) []string { return append([]string{"input", "changes", strconv.Itoa(i)}, name...) }
		if seen[c.VariantID] {
			errs = append(errs, apperr.New(apperr.Invalid, "give one change per variant", f("variantId")...))
		}
		seen[c.VariantID] = true
		switch {
		case (c.Delta == nil) == (c.SetTo == nil):
			errs = append(errs, apperr.New(apperr.Invalid, "give exactly one of delta and setTo", f()...))
		case c.Delta != nil && *c.Delta == 0:
			errs = append(errs, apperr.New(apperr.Invalid, "delta must not be 0", f("delta")...))
		case c.Delta != nil && (*c.Delta > MaxQuantity || *c.Delta < -MaxQuantity):
			errs = append(errs, apperr.Newf(apperr.Invalid, f("delta"), "delta must be between %d and %d", -MaxQuantity, MaxQuantity))
		case c.SetTo != nil && (*c.SetTo < 0 || *c.SetTo > MaxQuantity):
			errs = append(errs, apperr.Newf(apperr.Invalid, f("setTo"), "setTo must be between 0 and %d", MaxQuantity))
		}
		if !c.Reason.ValidAdjustment() {
			errs = append(errs, apperr.New(apperr.Invalid, "reason must be an AdjustmentReason", f("reason")...))
		}
	}
	return errs.Err()
}

// Validate checks a transfer's shape before anything is read.
func (in TransferInput) Validate() error {
	var errs apperr.List
	if err := idempotency.ValidateKey(in.IdempotencyKey); err != nil {
		errs = append(errs, err.(*apperr.Error))
	}
	if in.FromLocationID == in.ToLocationID {
		errs.Add(apperr.Invalid, "toLocationId must differ from fromLocationId", "input", "toLocationId")
	}
	if n := len(in.Lines); n < 1 || n > MaxTransferLines {
		errs = append(errs, apperr.Newf(apperr.Invalid, []string{"input", "lines"}, "lines must hold 1 to %d lines", MaxTransferLines))
	}
	seen := make(map[string]bool, len(in.Lines))
	for i, l := range in.Lines {
		f := func(name string) []string { return []string{"input", "lines", strconv.Itoa(i), name} }
		if seen[l.VariantID] {
			errs = append(errs, apperr.New(apperr.Invalid, "give one line per variant", f("variantId")...))
		}
		seen[l.VariantID] = true
		if l.Quantity < 1 || l.Quantity > MaxQuantity {
			errs = append(errs, apperr.Newf(apperr.Invalid, f("quantity"), "quantity must be between 1 and %d", MaxQuantity))
		}
	}
	return errs.Err()
}

// validateRead checks the variantIds of an inventory query and returns them
// deduplicated, in first-seen order.
func validateRead(variantIDs []string) ([]string, error) {
	out := make([]string, 0, len(variantIDs))
	seen := make(map[string]bool, len(variantIDs))
	for _, id := range variantIDs {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	if len(out) > MaxReadVariants {
		return nil, apperr.New(apperr.Invalid, fmt.Sprintf("variantIds may hold at most %d distinct ids", MaxReadVariants), "variantIds")
	}
	return out, nil
}

// plausibleID reports whether s can be an id renkei issued. Other strings
// cannot exist, so they are never put into a storage key: they are simply
// not found.
func plausibleID(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
