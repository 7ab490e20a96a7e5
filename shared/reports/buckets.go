package reports

import (
	"strings"
	"time"
)

// Aggregate items are kept at three resolutions of the location's clock —
// the hour, the day and the month — so that any range of whole hours is
// covered exactly by a few long buckets in the middle and short ones at the
// edges. Their sort key is `<dimension>#<level>#<bucket>#<key>`, e.g.
// `I#D#2026-11-26#TSHIRT-M`, in a partition per location and month of its
// clock: a year of one location is at most 13 partitions, each read by one
// Query per level it needs.
type level byte

const (
	levelHour  level = 'H'
	levelDay   level = 'D'
	levelMonth level = 'M'
)

const (
	hourLayout  = "2006-01-02T15"
	dayLayout   = "2006-01-02"
	monthLayout = "2006-01"
)

func (l level) layout() string {
	switch l {
	case levelHour:
		return hourLayout
	case levelDay:
		return dayLayout
	}
	return monthLayout
}

// Delta is what one movement adds to one aggregate item: Month names the
// location's month partition (yyyy-mm), SK the item within it.
type Delta struct {
	Month   string
	SK      string
	Figures Figures
}

// Deltas returns every aggregate item m adds to, at each resolution of the
// location's clock in zone.
func Deltas(m Movement, zone *time.Location) []Delta {
	local := m.At.In(zone)
	month := local.Format(monthLayout)
	var out []Delta
	for _, c := range Contributions(m) {
		for _, l := range []level{levelHour, levelDay, levelMonth} {
			out = append(out, Delta{Month: month, SK: sortKey(c.dim, l, local.Format(l.layout()), c.Key), Figures: c.Figures})
		}
	}
	return out
}

func sortKey(d dimension, l level, bucket, key string) string {
	return string(d) + "#" + string(l) + "#" + bucket + "#" + key
}

// Query is one read of a location's month partition: the items whose sort
// keys lie between From and To inclusive.
type Query struct {
	Month    string
	From, To string
}

// Plan covers [from, to) with the fewest buckets of the location's clock
// in zone — whole months, then whole days, then hours at the edges, no
// coarser than the grouping needs (HOUR reads hours, DAY days and hours) —
// and returns the queries that read them: per month partition, one per
// level with a contiguous run of buckets. A bucket is read when its start
// lies in [from, to): for ranges of whole hours of the location's clock that
// is exact.
func Plan(from, to time.Time, zone *time.Location, g Grouping) []Query {
	coarsest := levelMonth
	switch g {
	case ByHour:
		coarsest = levelHour
	case ByDay:
		coarsest = levelDay
	}
	d := g.dimension()
	var out []Query
	type run struct {
		month      string
		l          level
		first, end string
	}
	var cur *run
	flush := func() {
		if cur != nil {
			out = append(out, Query{Month: cur.month, From: sortKey(d, cur.l, cur.first, ""), To: sortKey(d, cur.l, cur.end, "\uffff")})
			cur = nil
		}
	}
	at := from.In(zone)
	// A start inside an hour (a zone whose offset is not whole hours)
	// begins at the next hour of the location's clock.
	if t := at.Truncate(time.Hour); t.Before(at) {
		at = t.Add(time.Hour)
	}
	for at.Before(to) {
		l, next := levelHour, at.Add(time.Hour)
		y, mo, day := at.Date()
		startOfDay := at.Hour() == 0 && at.Minute() == 0
		if coarsest == levelMonth && startOfDay && day == 1 {
			if n := time.Date(y, mo+1, 1, 0, 0, 0, 0, zone); !n.After(to) {
				l, next = levelMonth, n
			}
		}
		if l == levelHour && coarsest != levelHour && startOfDay {
			if n := time.Date(y, mo, day+1, 0, 0, 0, 0, zone); !n.After(to) {
				l, next = levelDay, n
			}
		}
		month, bucket := at.Format(monthLayout), at.Format(l.layout())
		if cur == nil || cur.month != month || cur.l != l {
			flush()
			cur = &run{month: month, l: l, first: bucket}
		}
		cur.end = bucket
		at = next
	}
	flush()
	return out
}

// RowKey returns the key of the row an aggregate item (by its sort key)
// belongs to under grouping g, at locationID.
func RowKey(g Grouping, locationID, sk string) (string, bool) {
	parts := strings.SplitN(sk, "#", 4)
	if len(parts) != 4 {
		return "", false
	}
	bucket := parts[2]
	switch g {
	case ByLocation:
		return locationID, true
	case ByDay:
		if len(bucket) < len(dayLayout) {
			return "", false
		}
		return bucket[:len(dayLayout)], true
	case ByHour:
		if len(bucket) != len(hourLayout) {
			return "", false
		}
		return bucket[len(dayLayout)+1:], true
	}
	return parts[3], true
}
