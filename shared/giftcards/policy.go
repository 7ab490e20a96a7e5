package giftcards

import "time"

// Validity policy (資金決済法): a card valid for six months or less from
// issue is outside the Act; a longer one is a 自家型前払式支払手段, and the
// merchant must file and deposit once the unused balance on a reference
// date passes LiabilityThreshold. The tenant sets the validity
// (tenant.Tenant.GiftCardValidityMonths, bounded there).
const (
	DefaultValidityMonths = 6
	// ExemptValidityMonths is the longest validity outside the Act.
	ExemptValidityMonths = 6
)

// EffectiveValidityMonths is the setting, or the default when unset (0).
func EffectiveValidityMonths(months int) int {
	if months == 0 {
		return DefaultValidityMonths
	}
	return months
}

// Regulated reports whether cards of this validity are prepaid payment
// instruments under the Act (more than six months).
func Regulated(months int) bool { return EffectiveValidityMonths(months) > ExemptValidityMonths }

// ExpiresAt is a card's expiry when activated at activation: the same day
// and time months later, clamped to the last day of a shorter month (31
// August + 6 months is 28 or 29 February, not 2 March), so a six-month card
// never outlives six months and stays outside the Act.
func ExpiresAt(activation time.Time, months int) time.Time {
	months = EffectiveValidityMonths(months)
	y, m, d := activation.Date()
	first := time.Date(y, m+time.Month(months), 1, 0, 0, 0, 0, activation.Location())
	last := first.AddDate(0, 1, -1).Day()
	if d > last {
		d = last
	}
	h, mi, s := activation.Clock()
	return time.Date(first.Year(), first.Month(), d, h, mi, s, activation.Nanosecond(), activation.Location())
}
