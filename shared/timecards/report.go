package timecards

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/tenant"
	"github.com/renkei-pos/renkei/shared/text"
)

var reasonRule = text.Rule{What: "reason", Min: 1, Max: MaxReason}

// Bounds of one timecards read. The answer is whole, not paged: weekly
// overtime needs every shift of a week at once.
const (
	// MaxRange is the longest from–to range.
	MaxRange = 31 * 24 * time.Hour
	// MaxReportShifts is the most shifts one read returns; a read that
	// finds more is INVALID (narrow it by location, staff or dates).
	MaxReportShifts = 1000
	// MaxReportLocations is the most locations a read without locationId
	// covers (one query per location).
	MaxReportLocations = 20
	// MaxReportDays and MaxReportWeeks bound the totals of one read.
	MaxReportDays  = MaxReportShifts
	MaxReportWeeks = MaxReportShifts
)

// Query selects timecards: shifts that started in [From, To), at one
// location or every one the caller may see, of one staff member or all.
type Query struct {
	From, To   time.Time
	LocationID string
	StaffID    string
}

// Report is the shifts asked for with their figures and flags, and the
// totals of the days and weeks they fall in (a week's totals count all of
// its shifts, also those outside the range).
type Report struct {
	Shifts []View
	Days   []Day
	Weeks  []Week
}

// Timecards reads shifts and their Labour Standards Act checks. MANAGER and
// OWNER read everyone's at their locations; CASHIER only their own (asking
// for someone else's is FORBIDDEN). No API key scope reads timecards.
func (s *Service) Timecards(ctx context.Context, q Query) (Report, error) {
	p, err := identity.Require(ctx, identity.ReadTimecards)
	if err != nil {
		return Report{}, err
	}
	var errs apperr.List
	switch {
	case q.From.IsZero() || q.To.IsZero() || !q.To.After(q.From):
		errs.Add(apperr.Invalid, "to must be after from", "to")
	case q.To.Sub(q.From) > MaxRange:
		errs.Add(apperr.Invalid, "from and to are at most 31 days apart", "to")
	}
	if q.StaffID != "" && !ids.Valid(ids.User, q.StaffID) {
		errs.Add(apperr.Invalid, "staffId is not a staff member's id", "staffId")
	}
	if err := errs.Err(); err != nil {
		return Report{}, err
	}
	if !p.Can(identity.ManageTimecards) {
		if q.StaffID != "" && q.StaffID != p.UserID {
			return Report{}, apperr.New(apperr.Forbidden, "you may read only your own timecards", "staffId")
		}
		q.StaffID = p.UserID
	}
	locs, err := s.reportLocations(ctx, p, q.LocationID)
	if err != nil {
		return Report{}, err
	}
	var dated []Dated
	var inRange []bool
	var views []View
	for _, l := range locs {
		zone, err := l.Zone()
		if err != nil {
			return Report{}, fmt.Errorf("location %s: %w", l.ID, err)
		}
		// Whole weeks around the range, in the location's zone, so each
		// week's totals are complete; shifts are stored under their
		// recorded clock-in, which a correction moves at most MaxStartMove.
		from, to := weekBounds(q.From, q.To, zone)
		shifts, err := s.Store.ListShifts(ctx, l.ID, from.Add(-MaxStartMove), to.Add(MaxStartMove), q.StaffID, 4*MaxReportShifts+1)
		if err != nil {
			return Report{}, err
		}
		if len(shifts) > 4*MaxReportShifts {
			return Report{}, tooMany()
		}
		for _, sh := range shifts {
			if sh.Start.Before(from) || !sh.Start.Before(to) {
				continue
			}
			v := s.view(sh, zone)
			views = append(views, v)
			dated = append(dated, Dated{StaffID: sh.StaffID, Figures: v.Figures})
			inRange = append(inRange, !sh.Start.Before(q.From) && sh.Start.Before(q.To))
		}
	}
	days, weeks, flags := Summarize(dated)
	var out Report
	keepDay, keepWeek := map[[2]string]bool{}, map[[2]string]bool{}
	for i, v := range views {
		if !inRange[i] {
			continue
		}
		v.Flags = flags[i]
		out.Shifts = append(out.Shifts, v)
		keepDay[[2]string{v.StaffID, v.BusinessDate}] = true
		keepWeek[[2]string{v.StaffID, WeekStart(v.BusinessDate)}] = true
	}
	if len(out.Shifts) > MaxReportShifts {
		return Report{}, tooMany()
	}
	slices.SortFunc(out.Shifts, func(a, b View) int { return a.Start.Compare(b.Start) })
	for _, d := range days {
		if keepDay[[2]string{d.StaffID, d.Date}] {
			out.Days = append(out.Days, d)
		}
	}
	for _, w := range weeks {
		if keepWeek[[2]string{w.StaffID, w.WeekStart}] {
			out.Weeks = append(out.Weeks, w)
		}
	}
	return out, nil
}

func tooMany() error {
	return apperr.Newf(apperr.Invalid, []string{"to"}, "more than %d shifts: narrow the read by location, staff member or dates", MaxReportShifts)
}

// reportLocations is the location asked for (NOT_FOUND when the caller may
// not see it), or every location the caller may see.
func (s *Service) reportLocations(ctx context.Context, p identity.Principal, id string) ([]tenant.Location, error) {
	if id != "" {
		if !ids.Valid(ids.Location, id) || !p.CanUseLocation(id) {
			return nil, apperr.New(apperr.NotFound, "location not found", "locationId")
		}
		ls, err := s.Locations.GetLocations(ctx, []string{id})
		if err != nil {
			return nil, fmt.Errorf("get location: %w", err)
		}
		if len(ls) == 0 {
			return nil, apperr.New(apperr.NotFound, "location not found", "locationId")
		}
		return ls, nil
	}
	all, err := s.Locations.ListLocations(ctx)
	if err != nil {
		return nil, fmt.Errorf("list locations: %w", err)
	}
	var ls []tenant.Location
	for _, l := range all {
		if p.CanUseLocation(l.ID) {
			ls = append(ls, l)
		}
	}
	if len(ls) > MaxReportLocations {
		return nil, apperr.Newf(apperr.Invalid, []string{"locationId"}, "more than %d locations: give locationId", MaxReportLocations)
	}
	return ls, nil
}

// weekBounds widens [from, to) to whole weeks (Monday 00:00) in zone.
func weekBounds(from, to time.Time, zone *time.Location) (time.Time, time.Time) {
	monday := func(t time.Time) time.Time {
		l := t.In(zone)
		back := (int(l.Weekday()) + 6) % 7
		return time.Date(l.Year(), l.Month(), l.Day()-back, 0, 0, 0, 0, zone)
	}
	end := monday(to)
	if end.Before(to) {
		end = time.Date(end.Year(), end.Month(), end.Day()+7, 0, 0, 0, 0, zone)
	}
	return monday(from), end
}
