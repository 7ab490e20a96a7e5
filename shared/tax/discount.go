package tax

// Discount reduces a line or an order. Exactly one of Percent (0–100) or
// Amount (minor units, from 0 to what it discounts) is set, as in the
// GraphQL DiscountInput. A percent discount's amount is floored.
type Discount struct {
	Percent *int64
	Amount  *int64
}

// PercentOff returns a discount of p percent.
func PercentOff(p int64) *Discount { return &Discount{Percent: &p} }

// AmountOff returns a discount of amount minor units.
func AmountOff(amount int64) *Discount { return &Discount{Amount: &amount} }

// amountOf returns how much d takes off base (0 ≤ base ≤ MaxAmount); a nil d
// takes off nothing. what names the base in messages; path locates d.
func (d *Discount) amountOf(base int64, what string, path []string) (int64, error) {
	switch {
	case d == nil:
		return 0, nil
	case d.Percent != nil && d.Amount != nil:
		return 0, invalid(path, "set either percent or amount, not both")
	case d.Percent != nil:
		p := *d.Percent
		if p < 0 || p > 100 {
			return 0, invalid(append(path, "percent"), "percent must be between 0 and 100")
		}
		q, _ := mulDivRem(base, p, 100)
		return q, nil
	case d.Amount != nil:
		a := *d.Amount
		if a < 0 {
			return 0, invalid(append(path, "amount"), "amount must not be negative")
		}
		if a > base {
			return 0, invalid(append(path, "amount"), "amount must not exceed %s (%d)", what, base)
		}
		return a, nil
	}
	return 0, invalid(path, "set either percent or amount")
}
