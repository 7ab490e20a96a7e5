package timecards

import (
	"slices"
	"time"
)

// The Labour Standards Act (労働基準法) checks, as pure functions of a
// shift's times and its location's zone. A shift belongs to the business
// date it started on, in the location's zone, even when it crosses
// midnight.

// Flag is one check a shift, day or week fails.
type Flag string

// The flags.
const (
	// ShortBreak: a break under 45 minutes on more than 6 hours of work,
	// or under 60 minutes on more than 8 (art. 34).
	ShortBreak Flag = "SHORT_BREAK"
	// DailyOvertime: more than 8 hours of work on one business date (art. 32).
	DailyOvertime Flag = "DAILY_OVERTIME"
	// WeeklyOvertime: more than 40 hours in a week (Monday to Sunday),
	// hours already over 8 on their day not counted twice (art. 32).
	WeeklyOvertime Flag = "WEEKLY_OVERTIME"
	// LateNight: work between 22:00 and 05:00 in the location's zone (art. 37).
	LateNight Flag = "LATE_NIGHT"
)

// The thresholds, in minutes.
const (
	DailyLimitMinutes  = 8 * 60
	WeeklyLimitMinutes = 40 * 60
	lateNightStartHour = 22
	lateNightEndHour   = 5
)

// Figures are one shift's minutes, as of a time for an open shift.
type Figures struct {
	// BusinessDate is the date (YYYY-MM-DD) the shift started on in its
	// location's zone.
	BusinessDate string
	// WorkedMinutes excludes breaks; BreakMinutes is their sum.
	WorkedMinutes, BreakMinutes, LateNightMinutes int
	// Flags are the shift's own checks: SHORT_BREAK and LATE_NIGHT (a day's
	// and a week's are added by Summarize).
	Flags []Flag
}

// BreakTooShort reports whether breakMin is too short for workedMin of
// work: under 45 minutes above 6 hours, under 60 above 8.
func BreakTooShort(workedMin, breakMin int) bool {
	return (workedMin > 6*60 && breakMin < 45) || (workedMin > 8*60 && breakMin < 60)
}

// work is the shift's working intervals: start to end, less its breaks
// (clipped to the shift); an open shift or break ends at asOf.
func work(t Times, asOf time.Time) (spans [][2]time.Time, breaks time.Duration) {
	end := t.End
	if end.IsZero() {
		end = asOf
	}
	cur := t.Start
	for _, b := range t.Breaks {
		bs, be := b.Start, b.End
		if be.IsZero() {
			be = asOf
		}
		bs, be = maxTime(bs, cur), minTime(be, end)
		if !be.After(bs) {
			continue
		}
		spans = append(spans, [2]time.Time{cur, bs})
		breaks += be.Sub(bs)
		cur = be
	}
	if end.After(cur) {
		spans = append(spans, [2]time.Time{cur, end})
	}
	return spans, breaks
}

// Compute returns the shift's figures in zone (open: as of asOf).
func Compute(t Times, zone *time.Location, asOf time.Time) Figures {
	spans, breaks := work(t, asOf)
	var worked, night time.Duration
	for _, s := range spans {
		worked += s[1].Sub(s[0])
		night += lateNight(s[0], s[1], zone)
	}
	f := Figures{BusinessDate: t.Start.In(zone).Format(time.DateOnly),
		WorkedMinutes: int(worked / time.Minute), BreakMinutes: int(breaks / time.Minute), LateNightMinutes: int(night / time.Minute)}
	if BreakTooShort(f.WorkedMinutes, f.BreakMinutes) {
		f.Flags = append(f.Flags, ShortBreak)
	}
	if f.LateNightMinutes > 0 {
		f.Flags = append(f.Flags, LateNight)
	}
	return f
}

// lateNight is how much of [from, to) falls between 22:00 and 05:00 in
// zone. The windows are built from wall-clock times, so a DST change inside
// one shortens or lengthens it as the clock does.
func lateNight(from, to time.Time, zone *time.Location) time.Duration {
	var d time.Duration
	lf := from.In(zone)
	day := time.Date(lf.Year(), lf.Month(), lf.Day()-1, 0, 0, 0, 0, zone)
	for ; day.Before(to); day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, zone) {
		ws := time.Date(day.Year(), day.Month(), day.Day(), lateNightStartHour, 0, 0, 0, zone)
		we := time.Date(day.Year(), day.Month(), day.Day()+1, lateNightEndHour, 0, 0, 0, zone)
		if s, e := maxTime(ws, from), minTime(we, to); e.After(s) {
			d += e.Sub(s)
		}
	}
	return d
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Day is one staff member's work on one business date.
type Day struct {
	StaffID         string
	Date            string
	WorkedMinutes   int
	OvertimeMinutes int // above 8 hours
}

// Week is one staff member's work in a week starting on Monday WeekStart.
type Week struct {
	StaffID       string
	WeekStart     string
	WorkedMinutes int
	// OvertimeMinutes is the week's hours above 40 that are not already
	// overtime on their day.
	OvertimeMinutes int
	Flags           []Flag
}

// Dated is a shift's staff member and figures, as Summarize groups them.
type Dated struct {
	StaffID string
	Figures
}

// WeekStart is the Monday (YYYY-MM-DD) of the week holding date; "" for a
// malformed date.
func WeekStart(date string) string {
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return ""
	}
	back := (int(d.Weekday()) + 6) % 7 // Monday 0 … Sunday 6
	return d.AddDate(0, 0, -back).Format(time.DateOnly)
}

// Summarize totals shifts per staff member and day, and per week, and
// returns the flags each shift gets from its day and week (same order as
// shifts). Days and weeks come sorted by staff member, then date.
func Summarize(shifts []Dated) (days []Day, weeks []Week, flags [][]Flag) {
	type dk struct{ staff, date string }
	dayIdx := map[dk]int{}
	for _, s := range shifts {
		k := dk{s.StaffID, s.BusinessDate}
		i, ok := dayIdx[k]
		if !ok {
			i = len(days)
			dayIdx[k] = i
			days = append(days, Day{StaffID: s.StaffID, Date: s.BusinessDate})
		}
		days[i].WorkedMinutes += s.WorkedMinutes
	}
	weekIdx := map[dk]int{}
	for i := range days {
		days[i].OvertimeMinutes = max(0, days[i].WorkedMinutes-DailyLimitMinutes)
		k := dk{days[i].StaffID, WeekStart(days[i].Date)}
		w, ok := weekIdx[k]
		if !ok {
			w = len(weeks)
			weekIdx[k] = w
			weeks = append(weeks, Week{StaffID: k.staff, WeekStart: k.date})
		}
		weeks[w].WorkedMinutes += days[i].WorkedMinutes
		weeks[w].OvertimeMinutes += days[i].OvertimeMinutes // subtracted below: the within-limit hours count toward 40
	}
	for i := range weeks {
		weeks[i].OvertimeMinutes = max(0, weeks[i].WorkedMinutes-weeks[i].OvertimeMinutes-WeeklyLimitMinutes)
		if weeks[i].OvertimeMinutes > 0 {
			weeks[i].Flags = []Flag{WeeklyOvertime}
		}
	}
	flags = make([][]Flag, len(shifts))
	for i, s := range shifts {
		f := slices.Clone(s.Flags)
		if days[dayIdx[dk{s.StaffID, s.BusinessDate}]].OvertimeMinutes > 0 {
			f = append(f, DailyOvertime)
		}
		if weeks[weekIdx[dk{s.StaffID, WeekStart(s.BusinessDate)}]].OvertimeMinutes > 0 {
			f = append(f, WeeklyOvertime)
		}
		flags[i] = f
	}
	less := func(a, b string) int {
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	}
	slices.SortFunc(days, func(a, b Day) int {
		if c := less(a.StaffID, b.StaffID); c != 0 {
			return c
		}
		return less(a.Date, b.Date)
	})
	slices.SortFunc(weeks, func(a, b Week) int {
		if c := less(a.StaffID, b.StaffID); c != 0 {
			return c
		}
		return less(a.WeekStart, b.WeekStart)
	})
	return days, weeks, flags
}
