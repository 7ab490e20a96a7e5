package tax

import (
	"cmp"
	"slices"
)

// allocate splits amount over weights in proportion, by the largest-remainder
// method: each weight gets floor(amount × w / sum), and the units left over
// go one each to the largest remainders, the lower index first on a tie.
// The shares sum to amount exactly. It requires weights ≥ 0 with a sum ≤
// MaxAmount, and 0 ≤ amount ≤ sum; then no share exceeds its weight, because
// a weight whose floor share already equals it has no remainder.
func allocate(amount int64, weights []int64) []int64 {
	shares := make([]int64, len(weights))
	var sum int64
	for _, w := range weights {
		sum += w
	}
	if amount == 0 || sum == 0 {
		return shares
	}
	type remainder struct {
		index int
		rem   int64
	}
	rems := make([]remainder, 0, len(weights))
	left := amount
	for i, w := range weights {
		q, rem := mulDivRem(amount, w, sum)
		shares[i] = q
		left -= q
		if rem > 0 {
			rems = append(rems, remainder{i, rem})
		}
	}
	slices.SortFunc(rems, func(a, b remainder) int {
		if c := cmp.Compare(b.rem, a.rem); c != 0 {
			return c
		}
		return cmp.Compare(a.index, b.index)
	})
	// The remainders sum to left × sum and each is below sum, so left is
	// smaller than len(rems): every extra unit lands on a distinct line.
	for _, r := range rems[:left] {
		shares[r.index]++
	}
	return shares
}

// Allocate splits amount ≥ 0 over weights ≥ 0 in proportion, by the same
// largest-remainder rule as discounts: the shares sum to amount exactly
// (all zero when the weights sum to 0). Reports use it to give each line
// its part of a rate's tax and each payment method its part of an order.
func Allocate(amount int64, weights []int64) []int64 { return allocate(amount, weights) }
