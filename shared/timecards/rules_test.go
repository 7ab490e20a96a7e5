package timecards

import (
	"slices"
	"testing"
	"time"
)

func zone(tb testing.TB, name string) *time.Location {
	tb.Helper()
	z, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatal(err)
	}
	return z
}

func TestCompute(t *testing.T) {
	tokyo, ny := zone(t, "Asia/Tokyo"), zone(t, "America/New_York")
	at := func(z *time.Location, y int, m time.Month, d, h, min int) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, z)
	}
	tests := []struct {
		name      string
		zone      *time.Location
		times     Times
		asOf      time.Time
		date      string
		worked    int
		breakMin  int
		lateNight int
		flags     []Flag
	}{
		{
			name: "Tokyo: across midnight, a 30-minute break on 9 hours, late-night minutes",
			zone: tokyo,
			times: Times{Start: at(tokyo, 2026, 11, 30, 18, 0), End: at(tokyo, 2026, 12, 1, 3, 30),
				Breaks: []Break{{Start: at(tokyo, 2026, 11, 30, 23, 0), End: at(tokyo, 2026, 11, 30, 23, 30)}}},
			date: "2026-11-30", worked: 540, breakMin: 30, lateNight: 300, flags: []Flag{ShortBreak, LateNight},
		},
		{
			name:  "Tokyo: a day shift of exactly 6 hours needs no break",
			zone:  tokyo,
			times: Times{Start: at(tokyo, 2026, 12, 1, 9, 0), End: at(tokyo, 2026, 12, 1, 15, 0)},
			date:  "2026-12-01", worked: 360,
		},
		{
			name: "Tokyo: 6 h 1 min with a 44-minute break is short",
			zone: tokyo,
			times: Times{Start: at(tokyo, 2026, 12, 1, 9, 0), End: at(tokyo, 2026, 12, 1, 15, 45),
				Breaks: []Break{{Start: at(tokyo, 2026, 12, 1, 12, 0), End: at(tokyo, 2026, 12, 1, 12, 44)}}},
			date: "2026-12-01", worked: 361, breakMin: 44, flags: []Flag{ShortBreak},
		},
		{
			name: "Tokyo: 8 h with 45 minutes is enough; 8 h 1 min is not",
			zone: tokyo,
			times: Times{Start: at(tokyo, 2026, 12, 1, 9, 0), End: at(tokyo, 2026, 12, 1, 17, 46),
				Breaks: []Break{{Start: at(tokyo, 2026, 12, 1, 12, 0), End: at(tokyo, 2026, 12, 1, 12, 45)}}},
			date: "2026-12-01", worked: 481, breakMin: 45, flags: []Flag{ShortBreak},
		},
		{
			name:  "Tokyo: an early start has late-night minutes before 05:00",
			zone:  tokyo,
			times: Times{Start: at(tokyo, 2026, 12, 1, 4, 0), End: at(tokyo, 2026, 12, 1, 9, 0)},
			date:  "2026-12-01", worked: 300, lateNight: 60, flags: []Flag{LateNight},
		},
		{
			name: "Tokyo: an open shift on a break, as of now",
			zone: tokyo,
			times: Times{Start: at(tokyo, 2026, 12, 1, 20, 0),
				Breaks: []Break{{Start: at(tokyo, 2026, 12, 1, 22, 30)}}},
			asOf: at(tokyo, 2026, 12, 1, 23, 0),
			date: "2026-12-01", worked: 150, breakMin: 30, lateNight: 30, flags: []Flag{LateNight},
		},
		{
			name: "New York: spring forward inside the night (the shift lasts 9 hours, not 10)",
			zone: ny,
			times: Times{Start: at(ny, 2026, 3, 7, 20, 0), End: at(ny, 2026, 3, 8, 6, 0),
				Breaks: []Break{{Start: at(ny, 2026, 3, 8, 0, 0), End: at(ny, 2026, 3, 8, 1, 0)}}},
			date: "2026-03-07", worked: 480, breakMin: 60, lateNight: 300, flags: []Flag{LateNight},
		},
		{
			name:  "New York: fall back inside the night (the night lasts 8 hours)",
			zone:  ny,
			times: Times{Start: at(ny, 2026, 10, 31, 21, 0), End: at(ny, 2026, 11, 1, 5, 0)},
			date:  "2026-10-31", worked: 540, lateNight: 480, flags: []Flag{ShortBreak, LateNight},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compute(tt.times, tt.zone, tt.asOf)
			if got.BusinessDate != tt.date || got.WorkedMinutes != tt.worked || got.BreakMinutes != tt.breakMin || got.LateNightMinutes != tt.lateNight || !slices.Equal(got.Flags, tt.flags) {
				t.Fatalf("got %+v, want date %s worked %d break %d late-night %d flags %v", got, tt.date, tt.worked, tt.breakMin, tt.lateNight, tt.flags)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	day := func(staff, date string, worked int) Dated {
		return Dated{StaffID: staff, Figures: Figures{BusinessDate: date, WorkedMinutes: worked}}
	}
	t.Run("five 9-hour days: daily overtime, none weekly", func(t *testing.T) {
		var in []Dated
		for d := 30; d <= 34; d++ { // Mon 2026-11-30 … Fri 2026-12-04
			in = append(in, day("usr_a", time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly), 540))
		}
		days, weeks, flags := Summarize(in)
		if len(days) != 5 || days[0].OvertimeMinutes != 60 || len(weeks) != 1 || weeks[0].WeekStart != "2026-11-30" || weeks[0].WorkedMinutes != 2700 || weeks[0].OvertimeMinutes != 0 {
			t.Fatalf("days %+v weeks %+v", days, weeks)
		}
		if !slices.Equal(flags[0], []Flag{DailyOvertime}) {
			t.Fatalf("flags %v", flags[0])
		}
	})
	t.Run("six 8-hour days: 8 hours weekly overtime, flagged on every shift of the week", func(t *testing.T) {
		var in []Dated
		for d := 30; d <= 35; d++ {
			in = append(in, day("usr_a", time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly), 480))
		}
		in = append(in, day("usr_b", "2026-12-06", 300)) // Sunday, same week, another person
		_, weeks, flags := Summarize(in)
		if len(weeks) != 2 || weeks[0].StaffID != "usr_a" || weeks[0].OvertimeMinutes != 480 || !slices.Equal(weeks[0].Flags, []Flag{WeeklyOvertime}) || weeks[1].OvertimeMinutes != 0 {
			t.Fatalf("weeks %+v", weeks)
		}
		if !slices.Equal(flags[0], []Flag{WeeklyOvertime}) || len(flags[6]) != 0 {
			t.Fatalf("flags %v", flags)
		}
	})
	t.Run("two shifts on one date add up", func(t *testing.T) {
		days, _, flags := Summarize([]Dated{day("usr_a", "2026-12-01", 300), day("usr_a", "2026-12-01", 240)})
		if len(days) != 1 || days[0].WorkedMinutes != 540 || days[0].OvertimeMinutes != 60 || !slices.Equal(flags[1], []Flag{DailyOvertime}) {
			t.Fatalf("days %+v flags %v", days, flags)
		}
	})
}

func TestWeekStart(t *testing.T) {
	for date, want := range map[string]string{"2026-11-30": "2026-11-30", "2026-12-06": "2026-11-30", "2026-12-07": "2026-12-07", "2026-12-03": "2026-11-30", "x": ""} {
		if got := WeekStart(date); got != want {
			t.Errorf("WeekStart(%s) = %s, want %s", date, got, want)
		}
	}
}
