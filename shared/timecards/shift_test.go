package timecards

import (
	"slices"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/connectors/webhook"
	"github.com/renkei-pos/renkei/shared/integrations"
)

const testLoc = "loc_01jb0000000000000000000000"

func TestShiftID_RoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	id := NewShiftID(testLoc, at)
	loc, sk, ok := ParseShiftID(id)
	if !ok || loc != testLoc || sk[:10] != TimeKey(at) {
		t.Fatalf("ParseShiftID(%q) = %q, %q, %v", id, loc, sk, ok)
	}
	if !(TimeKey(at) < TimeKey(at.Add(time.Millisecond))) {
		t.Fatal("time keys do not sort by time")
	}
	for _, bad := range []string{"", "shf_x", "reg_" + id[4:], id + "0", "shf_" + id[5:]} {
		if _, _, ok := ParseShiftID(bad); ok {
			t.Errorf("ParseShiftID(%q) accepted", bad)
		}
	}
}

func codeField(err error) (apperr.Code, []string) {
	var e *apperr.Error
	if l, ok := apperr.Expected(err); ok && len(l) > 0 {
		e = l[0]
	}
	if e == nil {
		return "", nil
	}
	return e.Code, e.Field
}

func TestShift_Apply(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	open := NewShift("usr_a", testLoc, "", t0)
	onBreak, err := open.Apply(BreakStart, t0.Add(3*time.Hour))
	if err != nil || !onBreak.OnBreak() || open.OnBreak() {
		t.Fatalf("break start: %+v %v (and the original must not change)", onBreak, err)
	}
	tests := []struct {
		name  string
		shift Shift
		kind  EventKind
		at    time.Time
		code  apperr.Code
		field string
	}{
		{"a break end when not on a break", open, BreakEnd, t0.Add(time.Hour), apperr.Invalid, "kind"},
		{"a second break start", onBreak, BreakStart, t0.Add(4 * time.Hour), apperr.Invalid, "kind"},
		{"an event before the last one", onBreak, BreakEnd, t0.Add(2 * time.Hour), apperr.Invalid, "occurredAt"},
		{"a clock-in on an open shift", open, ClockIn, t0.Add(time.Hour), apperr.Invalid, "kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.shift.Apply(tt.kind, tt.at)
			code, field := codeField(err)
			if code != tt.code || len(field) != 2 || field[1] != tt.field {
				t.Fatalf("got %v (%s %v), want %s at %s", err, code, field, tt.code, tt.field)
			}
		})
	}
	t.Run("a clock-out during a break ends the break", func(t *testing.T) {
		out, err := onBreak.Apply(ClockOut, t0.Add(4*time.Hour))
		if err != nil || out.Open() || out.OnBreak() || !out.Breaks[0].End.Equal(t0.Add(4*time.Hour)) {
			t.Fatalf("%+v %v", out, err)
		}
		if _, err := out.Apply(BreakStart, t0.Add(5*time.Hour)); err == nil {
			t.Fatal("an event on an ended shift was accepted")
		}
	})
}

func TestCheckTimes(t *testing.T) {
	in := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	now := in.Add(48 * time.Hour)
	h := func(n float64) time.Time { return in.Add(time.Duration(n * float64(time.Hour))) }
	tests := []struct {
		name   string
		t      Times
		fields [][]string
	}{
		{"valid, with two breaks", Times{Start: h(0), End: h(9), Breaks: []Break{{h(3), h(3.5)}, {h(6), h(6.5)}}}, nil},
		{"ends before it starts", Times{Start: h(0), End: h(-1)}, [][]string{{"input", "endedAt"}}},
		{"ends as it starts", Times{Start: h(0), End: h(0)}, [][]string{{"input", "endedAt"}}},
		{"over 24 hours", Times{Start: h(0), End: h(25)}, [][]string{{"input", "endedAt"}}},
		{"in the future", Times{Start: h(40), End: h(50)}, [][]string{{"input", "startedAt"}, {"input", "endedAt"}}},
		{"start moved more than a day", Times{Start: h(-25), End: h(-20)}, [][]string{{"input", "startedAt"}}},
		{"a break after the end", Times{Start: h(0), End: h(8), Breaks: []Break{{h(7), h(9)}}}, [][]string{{"input", "breaks", "0", "endedAt"}}},
		{"a break before the start", Times{Start: h(1), End: h(8), Breaks: []Break{{h(0), h(2)}}}, [][]string{{"input", "breaks", "0", "startedAt"}}},
		{"overlapping breaks", Times{Start: h(0), End: h(8), Breaks: []Break{{h(2), h(3)}, {h(2.5), h(4)}}}, [][]string{{"input", "breaks", "1", "startedAt"}}},
		{"a break ending before it starts", Times{Start: h(0), End: h(8), Breaks: []Break{{h(3), h(2)}}}, [][]string{{"input", "breaks", "0", "endedAt"}}},
		{"too many breaks", Times{Start: h(0), End: h(8), Breaks: make([]Break, MaxBreaks+1)}, [][]string{{"input", "breaks"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := CheckTimes(tt.t, in, now)
			var got [][]string
			for _, e := range errs {
				if e.Code != apperr.Invalid {
					t.Errorf("code %s", e.Code)
				}
				got = append(got, e.Field)
			}
			if !slices.EqualFunc(got, tt.fields, slices.Equal) {
				t.Fatalf("fields %v, want %v", got, tt.fields)
			}
		})
	}
}

func TestCheckPasscode(t *testing.T) {
	for pc, ok := range map[string]bool{"1234": true, "12345678": true, "0000": true, "123": false, "123456789": false, "12a4": false, "": false, "１２３４": false} {
		if err := CheckPasscode(pc); (err == nil) != ok {
			t.Errorf("CheckPasscode(%q) = %v", pc, err)
		}
	}
}

// The event the store writes is the one webhooks subscribe to.
func TestEventClosed_Subscribable(t *testing.T) {
	if EventClosed != integrations.EventTimecardClosed || !slices.Contains(webhook.Events, EventClosed) {
		t.Fatalf("%s is not a subscribable webhook event", EventClosed)
	}
}
