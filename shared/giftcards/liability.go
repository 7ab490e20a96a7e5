package giftcards

import "time"

// LiabilityThreshold is the unused balance on a reference date above which
// the merchant must file and deposit (資金決済法: 10 million yen).
const LiabilityThreshold int64 = 10_000_000

// Liability is a tenant's unused gift card balance as of the end of a date.
type Liability struct {
	AsOf              time.Time // the date (midnight in the business zone)
	UnusedBalance     int64
	Currency          string
	Regulated         bool // the tenant's validity is longer than six months
	ThresholdExceeded bool
	// DepositRequired is half the unused balance when the threshold is
	// exceeded on a reference date, rounded up; 0 otherwise.
	DepositRequired int64
	ReferenceDate   bool // asOf is 31 March or 30 September
	// PreviousReferenceDate and NextReferenceDate bracket asOf (the next
	// is asOf itself when it is one).
	PreviousReferenceDate time.Time
	NextReferenceDate     time.Time
}

// IsReferenceDate reports whether d is a reference date (基準日): 31 March or 30 September.
func IsReferenceDate(d time.Time) bool {
	_, m, day := d.Date()
	return (m == time.March && day == 31) || (m == time.September && day == 30)
}

// ReferenceDates returns the last reference date before d and the first on
// or after it, at midnight in d's location.
func ReferenceDates(d time.Time) (prev, next time.Time) {
	y := d.Year()
	cands := []time.Time{
		time.Date(y-1, time.September, 30, 0, 0, 0, 0, d.Location()),
		time.Date(y, time.March, 31, 0, 0, 0, 0, d.Location()),
		time.Date(y, time.September, 30, 0, 0, 0, 0, d.Location()),
		time.Date(y+1, time.March, 31, 0, 0, 0, 0, d.Location()),
	}
	day := time.Date(y, d.Month(), d.Day(), 0, 0, 0, 0, d.Location())
	for i := 1; i < len(cands); i++ {
		if !cands[i].Before(day) {
			return cands[i-1], cands[i]
		}
	}
	return cands[len(cands)-2], cands[len(cands)-1]
}

// NewLiability is the liability of unused balance as of date asOf for a
// tenant whose cards are valid months months.
func NewLiability(asOf time.Time, unused int64, months int) Liability {
	l := Liability{AsOf: asOf, UnusedBalance: unused, Regulated: Regulated(months), ReferenceDate: IsReferenceDate(asOf)}
	l.PreviousReferenceDate, l.NextReferenceDate = ReferenceDates(asOf)
	l.ThresholdExceeded = unused > LiabilityThreshold
	if l.ThresholdExceeded {
		l.DepositRequired = (unused + 1) / 2
	}
	return l
}
