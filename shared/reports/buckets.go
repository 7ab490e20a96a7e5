package reports

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Aggregate items are kept at three resolutions of the location's clock —
// the hour, the day and the month (and the location's totals also per
// month and hour of day, for HOUR) — so that any range of whole hours is
// covered exactly by a few long buckets, with short ones added or taken
// away at the edges. Their sort key is `<dimension>#<level>#<bucket>#<key>`, e.g.
// `I#D#2026-11-26#TSHIRT-M`, in a partition per location and month of its
// clock: a year of one location is at most 13 partitions, each read by one
// Query per level it needs.
type level byte

const (
	levelHour  level = 'H'
	levelDay   level = 'D'
	levelMonth level = 'M'
	// levelHourOfMonth keeps a month's totals per hour of the day
	// (`T#O#2026-11T13#`): 24 items answer HOUR for a whole month.
	levelHourOfMonth level = 'O'
	// levelYear keeps a calendar year per SKU (`I#Y#2026#TSHIRT-M`), in a
	// partition per location and year: a year ending now is the current
	// year less the (empty) rest of it, plus last year's last months,
	// instead of twelve months of every SKU.
	levelYear level = 'Y'
)

// hasYears reports whether the dimension keeps year items: only ITEM,
// whose many keys make twelve month items per key the bulk of a year's
// read; the others have a few keys each.
func (d dimension) hasYears() bool { return d == dimItem }

const (
	hourLayout  = "2006-01-02T15"
	dayLayout   = "2006-01-02"
	monthLayout = "2006-01"
	yearLayout  = "2006"
)

func (l level) layout() string {
	switch l {
	case levelHour:
		return hourLayout
	case levelDay:
		return dayLayout
	case levelYear:
		return yearLayout
	}
	return monthLayout
}

// Delta is what one movement adds to one aggregate item: Month names the
// location's month partition (yyyy-mm; yyyy for year items), SK the item
// within it.
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
		if c.dim == dimTotal {
			out = append(out, Delta{Month: month, SK: sortKey(c.dim, levelHourOfMonth, month+"T"+local.Format("15"), ""), Figures: c.Figures})
		}
		if c.dim.hasYears() {
			year := local.Format(yearLayout)
			out = append(out, Delta{Month: year, SK: sortKey(c.dim, levelYear, year, c.Key), Figures: c.Figures})
		}
	}
	return out
}

func sortKey(d dimension, l level, bucket, key string) string {
	return string(d) + "#" + string(l) + "#" + bucket + "#" + key
}

// Query is one read of a location's month (or year) partition: the items whose sort
// keys lie between From and To inclusive, added to the summary (Sign 1) or
// taken from it (Sign −1: the part of a longer bucket outside the range).
type Query struct {
	Month    string
	From, To string
	Sign     int64
}

// piece is one bucket a plan reads, added or taken away.
type piece struct {
	l     level
	start time.Time // the bucket's start on the location's clock
	sign  int64
}

// cost is how many items per key a bucket is.
func (p piece) cost() int {
	if p.l == levelHourOfMonth {
		return 24
	}
	return 1
}

func costOf(ps []piece) int {
	n := 0
	for _, p := range ps {
		n += p.cost()
	}
	return n
}

func negate(ps []piece) []piece {
	out := make([]piece, len(ps))
	for i, p := range ps {
		out[i] = piece{p.l, p.start, -p.sign}
	}
	return out
}

// cheaper returns the option with fewer items per key (the first on a tie).
func cheaper(a, b []piece) []piece {
	if costOf(b) < costOf(a) {
		return b
	}
	return a
}

// Plan covers [from, to) with buckets of the location's clock in zone and
// returns the queries that read them. Each month of the range is covered
// either by its parts (whole days, and hours at the edges) or, when that
// reads fewer items, by the whole month less the parts outside the range —
// so a year ending now reads twelve months and the few hours left of
// today. A day is covered the same way by hours, or by the day less the
// hours outside. No bucket is coarser than the grouping's keys allow: DAY
// reads days and hours, HOUR hours and months by hour of day. A bucket is
// read when its start lies in [from, to): for ranges of whole hours of the
// location's clock that is exact.
func Plan(from, to time.Time, zone *time.Location, g Grouping) []Query {
	at := from.In(zone)
	// A start inside an hour (a zone whose offset is not whole hours)
	// begins at the next hour of the location's clock.
	if t := at.Truncate(time.Hour); t.Before(at) {
		at = t.Add(time.Hour)
	}
	to = to.In(zone)
	if !g.dimension().hasYears() {
		return queries(g.dimension(), coverMonths(g, at, to))
	}
	var pieces []piece
	for y := yearStart(at); y.Before(to); y = y.AddDate(1, 0, 0) {
		end := y.AddDate(1, 0, 0)
		pieces = append(pieces, coverYear(g, y, end, latest(at, y), earliest(to, end))...)
	}
	return queries(g.dimension(), pieces)
}

// coverMonths covers [a, b) month by month.
func coverMonths(g Grouping, a, b time.Time) []piece {
	var out []piece
	for m := monthStart(a); m.Before(b); m = m.AddDate(0, 1, 0) {
		end := m.AddDate(0, 1, 0)
		out = append(out, coverMonth(g, m, end, latest(a, m), earliest(b, end))...)
	}
	return out
}

// coverYear covers [a, b) inside the year [y, end): by its months, or, when
// that reads fewer items, by the whole year less the months (and their
// parts) outside the range.
func coverYear(g Grouping, y, end, a, b time.Time) []piece {
	if !a.Before(b) {
		return nil
	}
	if a.Equal(y) && b.Equal(end) {
		return []piece{{levelYear, y, 1}}
	}
	whole := append([]piece{{levelYear, y, 1}}, negate(append(coverMonths(g, y, a), coverMonths(g, b, end)...))...)
	return cheaper(coverMonths(g, a, b), whole)
}

func yearStart(t time.Time) time.Time {
	return time.Date(t.Year(), 1, 1, 0, 0, 0, 0, t.Location())
}

func monthStart(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, t.Location())
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// coverMonth covers [a, b) inside the month [m, end).
func coverMonth(g Grouping, m, end, a, b time.Time) []piece {
	if !a.Before(b) {
		return nil
	}
	switch g {
	case ByHour:
		whole := append([]piece{{levelHourOfMonth, m, 1}}, negate(append(hours(m, a), hours(b, end)...))...)
		return cheaper(hours(a, b), whole)
	case ByDay:
		return days(a, b)
	}
	if a.Equal(m) && b.Equal(end) {
		return []piece{{levelMonth, m, 1}}
	}
	whole := append([]piece{{levelMonth, m, 1}}, negate(append(days(m, a), days(b, end)...))...)
	return cheaper(days(a, b), whole)
}

// days covers [a, b) by whole days and, for partial days, by hours or by
// the day less the hours outside.
func days(a, b time.Time) []piece {
	var out []piece
	for d := dayStart(a); d.Before(b); d = d.AddDate(0, 0, 1) {
		end := d.AddDate(0, 0, 1)
		x, y := latest(a, d), earliest(b, end)
		if x.Equal(d) && y.Equal(end) {
			out = append(out, piece{levelDay, d, 1})
			continue
		}
		whole := append([]piece{{levelDay, d, 1}}, negate(append(hours(d, x), hours(y, end)...))...)
		out = append(out, cheaper(hours(x, y), whole)...)
	}
	return out
}

func dayStart(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

func hours(a, b time.Time) []piece {
	var out []piece
	for h := a; h.Before(b); h = h.Add(time.Hour) {
		out = append(out, piece{levelHour, h, 1})
	}
	return out
}

// queries merges pieces into reads: one per run of adjacent buckets of
// one level and sign in one month (or year) partition.
func queries(d dimension, pieces []piece) []Query {
	slices.SortStableFunc(pieces, func(x, y piece) int {
		return cmp.Or(cmp.Compare(x.sign, y.sign), cmp.Compare(x.l, y.l), x.start.Compare(y.start))
	})
	var out []Query
	for i := 0; i < len(pieces); {
		p := pieces[i]
		month := p.partition()
		last := p
		j := i + 1
		for ; j < len(pieces); j++ {
			q := pieces[j]
			if q.sign != p.sign || q.l != p.l || q.partition() != month || !q.start.Equal(last.next()) {
				break
			}
			last = q
		}
		out = append(out, Query{Month: month, From: sortKey(d, p.l, p.label(), ""), To: sortKey(d, p.l, last.lastLabel(), "\uffff"), Sign: p.sign})
		i = j
	}
	return out
}

// partition is the label of the partition p's items are in: its month,
// or its year for a year item.
func (p piece) partition() string {
	if p.l == levelYear {
		return p.start.Format(yearLayout)
	}
	return p.start.Format(monthLayout)
}

// next is the start of the bucket after p's.
func (p piece) next() time.Time {
	switch p.l {
	case levelYear:
		return p.start.AddDate(1, 0, 0)
	case levelHour:
		return p.start.Add(time.Hour)
	case levelDay:
		return p.start.AddDate(0, 0, 1)
	}
	return p.start.AddDate(0, 1, 0)
}

// label is the bucket's label; lastLabel the label of its last item (a
// month by hour of day is 24 items).
func (p piece) label() string {
	if p.l == levelHourOfMonth {
		return p.start.Format(monthLayout) + "T00"
	}
	return p.start.Format(p.l.layout())
}

func (p piece) lastLabel() string {
	if p.l == levelHourOfMonth {
		return p.start.Format(monthLayout) + "T23"
	}
	return p.label()
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
		_, hour, ok := strings.Cut(bucket, "T")
		return hour, ok && len(hour) == 2
	}
	return parts[3], true
}
