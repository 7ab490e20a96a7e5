package tax

import "math/bits"

// Rounding is how a fractional tax amount becomes whole minor units. Its
// values are those of the GraphQL enum TaxRounding.
type Rounding string

const (
	// Floor rounds down (切り捨て); tenants start with it.
	Floor Rounding = "FLOOR"
	// HalfUp rounds to the nearest minor unit, halves up (四捨五入).
	HalfUp Rounding = "HALF_UP"
	// Ceiling rounds up (切り上げ).
	Ceiling Rounding = "CEILING"
)

// Valid reports whether r is a known rounding mode. The empty string is not:
// a tenant always has a mode, and silently defaulting would hide a caller
// that forgot to pass it.
func (r Rounding) Valid() bool {
	switch r {
	case Floor, HalfUp, Ceiling:
		return true
	}
	return false
}

// mulDivRound returns a × b / c rounded by r, for a, b ≥ 0, c > 0, a valid r
// and a quotient that fits in int64.
func mulDivRound(a, b, c int64, r Rounding) int64 {
	q, rem := mulDivRem(a, b, c)
	switch {
	case rem == 0:
	case r == Ceiling:
		q++
	case r == HalfUp && rem >= c-rem:
		q++
	}
	return q
}

// mulDivRem returns the quotient and remainder of a × b / c, for a, b ≥ 0 and
// c > 0, with the product in 128 bits so it cannot overflow. The caller
// guarantees the quotient fits in int64 (a ≤ c or b ≤ c is enough).
func mulDivRem(a, b, c int64) (q, rem int64) {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	uq, urem := bits.Div64(hi, lo, uint64(c))
	return int64(uq), int64(urem)
}
