package timecards

import (
	"fmt"
	"strings"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/ids"
)

// Bounds of one shift, which is stored whole in one item.
const (
	// MaxBreaks is the most breaks one shift holds.
	MaxBreaks = 5
	// MaxEdits is the most corrections one shift keeps.
	MaxEdits = 20
	// MaxShiftLength bounds a corrected shift; a shift clocked out later
	// than this is kept as recorded and flagged for a manager to correct.
	MaxShiftLength = 24 * time.Hour
	// MaxStartMove bounds how far a correction moves a shift's start from
	// the clock-in recorded: a shift is stored under its recorded clock-in,
	// and listings read that far around the range asked.
	MaxStartMove = 24 * time.Hour
)

// Break is one break of a shift; End is zero while it lasts.
type Break struct {
	Start, End time.Time
}

// Times are what a correction may change: a shift's start, end (zero while
// open) and breaks.
type Times struct {
	Start, End time.Time
	Breaks     []Break
}

// In returns the times as instants of zone (zero times stay zero).
func (t Times) In(zone *time.Location) Times {
	in := func(x time.Time) time.Time {
		if x.IsZero() {
			return x
		}
		return x.In(zone)
	}
	out := Times{Start: in(t.Start), End: in(t.End), Breaks: make([]Break, len(t.Breaks))}
	for i, b := range t.Breaks {
		out.Breaks[i] = Break{Start: in(b.Start), End: in(b.End)}
	}
	return out
}

// Edit is one correction, kept for ever with the shift.
type Edit struct {
	By     string // the manager's user id
	At     time.Time
	Reason string
	Before Times
	After  Times
}

// Shift is one staff member's time at a location, from clock-in to
// clock-out.
type Shift struct {
	ID         string
	StaffID    string
	LocationID string
	// RegisterID is the shared register clocked in at by passcode; "" for a
	// clock-in from the staff member's own session.
	RegisterID string
	// ClockedIn is the clock-in as recorded; corrections never change it
	// (the shift is stored under it).
	ClockedIn time.Time
	Times
	Edits []Edit
	// Version counts the writes of the shift; each write is conditioned on it.
	Version int
}

// Open reports whether the shift has not ended.
func (s Shift) Open() bool { return s.End.IsZero() }

// OnBreak reports whether the shift's last break has not ended.
func (s Shift) OnBreak() bool { return len(s.Breaks) > 0 && s.Breaks[len(s.Breaks)-1].End.IsZero() }

// LastEvent is the time of the shift's latest recorded event: events must
// come in order.
func (s Shift) LastEvent() time.Time {
	last := s.Start
	for _, b := range s.Breaks {
		for _, t := range []time.Time{b.Start, b.End} {
			if t.After(last) {
				last = t
			}
		}
	}
	if s.End.After(last) {
		last = s.End
	}
	return last
}

// EventKind is what a clock event records.
type EventKind string

// The clock events.
const (
	ClockIn    EventKind = "CLOCK_IN"
	BreakStart EventKind = "BREAK_START"
	BreakEnd   EventKind = "BREAK_END"
	ClockOut   EventKind = "CLOCK_OUT"
)

// Valid reports whether k is a known event kind.
func (k EventKind) Valid() bool {
	return k == ClockIn || k == BreakStart || k == BreakEnd || k == ClockOut
}

// ShiftPrefix starts every shift id.
const ShiftPrefix = "shf"

// NewShiftID is the id of a shift clocked in at location loc at t:
// shf_<location body>_<time-ordered body>, so the shift's partition (its
// location) and sort key (its clock-in) are known from its id alone.
func NewShiftID(loc string, t time.Time) string {
	body, _ := strings.CutPrefix(loc, ids.Location+"_")
	return ShiftPrefix + "_" + body + "_" + strings.TrimPrefix(ids.NewAt("x", t), "x_")
}

// ParseShiftID returns the location and the time-ordered key of a shift id;
// ok is false for anything else.
func ParseShiftID(id string) (loc, sortKey string, ok bool) {
	rest, found := strings.CutPrefix(id, ShiftPrefix+"_")
	if !found || len(rest) != 2*ids.BodyLen+1 || rest[ids.BodyLen] != '_' {
		return "", "", false
	}
	loc = ids.Location + "_" + rest[:ids.BodyLen]
	sortKey = rest[ids.BodyLen+1:]
	if !ids.Valid(ids.Location, loc) || !ids.Valid("x", "x_"+sortKey) {
		return "", "", false
	}
	return loc, sortKey, true
}

// TimeKey is the sort-key prefix of shifts clocked in at t: ids order by
// their first 10 characters, the millisecond time.
func TimeKey(t time.Time) string {
	return strings.TrimPrefix(ids.Derive("x", t, ""), "x_")[:10]
}

// NewShift opens a shift at t.
func NewShift(staffID, loc, registerID string, t time.Time) Shift {
	return Shift{ID: NewShiftID(loc, t), StaffID: staffID, LocationID: loc, RegisterID: registerID, ClockedIn: t, Times: Times{Start: t}}
}

func kindErr(msg string) error { return apperr.New(apperr.Invalid, msg, "input", "kind") }

// Apply records a break or clock-out event at t on an open shift and
// returns the shift after it. Events come in order: one earlier than the
// shift's last is INVALID (occurredAt). A clock-out during a break ends the
// break too.
func (s Shift) Apply(kind EventKind, t time.Time) (Shift, error) {
	if !s.Open() {
		return Shift{}, kindErr("the shift has ended")
	}
	if t.Before(s.LastEvent()) {
		return Shift{}, apperr.New(apperr.Invalid, fmt.Sprintf("occurredAt is before the shift's last event (%s)", s.LastEvent().UTC().Format(time.RFC3339)), "input", "occurredAt")
	}
	next := s
	next.Breaks = append([]Break(nil), s.Breaks...)
	switch kind {
	case BreakStart:
		if s.OnBreak() {
			return Shift{}, kindErr("already on a break")
		}
		if len(s.Breaks) >= MaxBreaks {
			return Shift{}, apperr.Newf(apperr.Invalid, []string{"input", "kind"}, "a shift has at most %d breaks", MaxBreaks)
		}
		next.Breaks = append(next.Breaks, Break{Start: t})
	case BreakEnd:
		if !s.OnBreak() {
			return Shift{}, kindErr("not on a break")
		}
		next.Breaks[len(next.Breaks)-1].End = t
	case ClockOut:
		if s.OnBreak() {
			next.Breaks[len(next.Breaks)-1].End = t
		}
		next.End = t
	default:
		return Shift{}, kindErr("kind must be BREAK_START, BREAK_END or CLOCK_OUT on an open shift")
	}
	return next, nil
}

// CheckTimes validates corrected times of a shift recorded at clockedIn
// (now bounds the end): the end after the start, at most MaxShiftLength
// later and not in the future; the start within MaxStartMove of the
// recorded clock-in; breaks ended, inside the shift, in order and apart.
// Each error names its input field.
func CheckTimes(t Times, clockedIn, now time.Time) apperr.List {
	var errs apperr.List
	switch {
	case t.Start.IsZero():
		errs.Add(apperr.Invalid, "startedAt is required", "input", "startedAt")
	case t.Start.Sub(clockedIn) > MaxStartMove || clockedIn.Sub(t.Start) > MaxStartMove:
		errs.Add(apperr.Invalid, "startedAt may move at most 24 hours from the recorded clock-in", "input", "startedAt")
	}
	switch {
	case t.End.IsZero():
		errs.Add(apperr.Invalid, "endedAt is required", "input", "endedAt")
	case !t.End.After(t.Start):
		errs.Add(apperr.Invalid, "endedAt must be after startedAt", "input", "endedAt")
	case t.End.Sub(t.Start) > MaxShiftLength:
		errs.Add(apperr.Invalid, "a shift lasts at most 24 hours", "input", "endedAt")
	case t.End.After(now.Add(FutureSkew)):
		errs.Add(apperr.Invalid, "endedAt is in the future", "input", "endedAt")
	}
	if len(t.Breaks) > MaxBreaks {
		errs.Add(apperr.Invalid, fmt.Sprintf("a shift has at most %d breaks", MaxBreaks), "input", "breaks")
		return errs
	}
	prevEnd := t.Start
	for i, b := range t.Breaks {
		field := []string{"input", "breaks", fmt.Sprint(i)}
		switch {
		case b.Start.IsZero() || b.End.IsZero():
			errs.Add(apperr.Invalid, "a corrected break has a start and an end", append(field, "endedAt")...)
		case !b.End.After(b.Start):
			errs.Add(apperr.Invalid, "a break's endedAt must be after its startedAt", append(field, "endedAt")...)
		case b.Start.Before(prevEnd):
			errs.Add(apperr.Invalid, "a break must start inside the shift, after the previous break", append(field, "startedAt")...)
		case !t.End.IsZero() && b.End.After(t.End):
			errs.Add(apperr.Invalid, "a break must end inside the shift", append(field, "endedAt")...)
		}
		if b.End.After(prevEnd) {
			prevEnd = b.End
		}
	}
	return errs
}
