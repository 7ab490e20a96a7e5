package tax

// MaxAmount is the largest amount, in minor units, the engine accepts for a
// unit price, a line, an order, or TaxOf: 10^13 (¥10 trillion). The bound
// keeps every sum, and every product with a rate or percent, inside int64.
const MaxAmount int64 = 10_000_000_000_000

// TaxOf returns the consumption tax on one amount at ratePercent (0–100),
// rounded by r: the tax contained in the amount when inclusive
// (amount × rate / (100 + rate)), the tax to add to it otherwise
// (amount × rate / 100). Compute uses it once per rate per order; refunds
// and reports use it on their own bases. A negative amount (money going
// back) gets the negation of the tax on its absolute value, so rounding
// never makes a refund's tax larger than the sale's.
func TaxOf(amount int64, ratePercent int, inclusive bool, r Rounding) (int64, error) {
	if !r.Valid() {
		return 0, invalid([]string{"taxRounding"}, "unknown tax rounding %q", r)
	}
	if ratePercent < 0 || ratePercent > 100 {
		return 0, invalid([]string{"ratePercent"}, "rate must be between 0 and 100 percent")
	}
	if amount < -MaxAmount || amount > MaxAmount {
		return 0, invalid([]string{"amount"}, "amount must be within ±%d", MaxAmount)
	}
	if amount < 0 {
		return -taxOf(-amount, ratePercent, inclusive, r), nil
	}
	return taxOf(amount, ratePercent, inclusive, r), nil
}

// taxOf is TaxOf for a validated amount ≥ 0, rate and rounding.
func taxOf(amount int64, ratePercent int, inclusive bool, r Rounding) int64 {
	rate := int64(ratePercent)
	den := int64(100)
	if inclusive {
		den += rate
	}
	return mulDivRound(amount, rate, den, r)
}
