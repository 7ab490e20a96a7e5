package graph

import (
	"context"
	"time"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/tenant"
	"github.com/renkei-pos/renkei/shared/timecards"
)

// Timecards: shifts, their figures and checks, clock events, corrections
// and passcodes. Every read and write goes through the timecards service;
// a shift's location and register through the request's loaders.

type shiftResolver struct{ v timecards.View }

func (r *shiftResolver) ID() graphql.ID      { return graphql.ID(r.v.ID) }
func (r *shiftResolver) StaffID() graphql.ID { return graphql.ID(r.v.StaffID) }
func (r *shiftResolver) StartedAt() graphql.Time {
	return graphql.Time{Time: r.v.Start}
}
func (r *shiftResolver) EndedAt() *graphql.Time   { return optTime(r.v.End) }
func (r *shiftResolver) Open() bool               { return r.v.Open() }
func (r *shiftResolver) OnBreak() bool            { return r.v.OnBreak() }
func (r *shiftResolver) BusinessDate() string     { return r.v.BusinessDate }
func (r *shiftResolver) WorkedMinutes() int32     { return int32(r.v.WorkedMinutes) }
func (r *shiftResolver) BreakMinutes() int32      { return int32(r.v.BreakMinutes) }
func (r *shiftResolver) LateNightMinutes() int32  { return int32(r.v.LateNightMinutes) }
func (r *shiftResolver) Flags() []string          { return flagStrings(r.v.Flags) }
func (r *shiftResolver) Breaks() []*shiftBreakRes { return breakResolvers(r.v.Breaks) }

func (r *shiftResolver) Edits() []*shiftEditResolver {
	out := make([]*shiftEditResolver, len(r.v.Edits))
	for i, e := range r.v.Edits {
		out[i] = &shiftEditResolver{e}
	}
	return out
}

func (r *shiftResolver) Location(ctx context.Context) (*locationResolver, error) {
	l, ok, err := loadLocation(ctx, r.v.LocationID)
	if err != nil {
		return nil, top(ctx, err)
	}
	if !ok {
		l = tenant.Location{ID: r.v.LocationID, Name: "(deleted location)"}
	}
	return &locationResolver{l}, nil
}

func (r *shiftResolver) Register(ctx context.Context) (*registerResolver, error) {
	return optionalRegister(ctx, r.v.RegisterID)
}

func optTime(t time.Time) *graphql.Time {
	if t.IsZero() {
		return nil
	}
	return &graphql.Time{Time: t}
}

func flagStrings(fs []timecards.Flag) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = string(f)
	}
	return out
}

type shiftBreakRes struct{ b timecards.Break }

func (r *shiftBreakRes) StartedAt() graphql.Time { return graphql.Time{Time: r.b.Start} }
func (r *shiftBreakRes) EndedAt() *graphql.Time  { return optTime(r.b.End) }

func breakResolvers(bs []timecards.Break) []*shiftBreakRes {
	out := make([]*shiftBreakRes, len(bs))
	for i, b := range bs {
		out[i] = &shiftBreakRes{b}
	}
	return out
}

type shiftEditResolver struct{ e timecards.Edit }

func (r *shiftEditResolver) EditedBy() graphql.ID        { return graphql.ID(r.e.By) }
func (r *shiftEditResolver) EditedAt() graphql.Time      { return graphql.Time{Time: r.e.At} }
func (r *shiftEditResolver) Reason() string              { return r.e.Reason }
func (r *shiftEditResolver) Before() *shiftTimesResolver { return &shiftTimesResolver{r.e.Before} }
func (r *shiftEditResolver) After() *shiftTimesResolver  { return &shiftTimesResolver{r.e.After} }

type shiftTimesResolver struct{ t timecards.Times }

func (r *shiftTimesResolver) StartedAt() graphql.Time  { return graphql.Time{Time: r.t.Start} }
func (r *shiftTimesResolver) EndedAt() *graphql.Time   { return optTime(r.t.End) }
func (r *shiftTimesResolver) Breaks() []*shiftBreakRes { return breakResolvers(r.t.Breaks) }

type timecardDayResolver struct{ d timecards.Day }

func (r *timecardDayResolver) StaffID() graphql.ID    { return graphql.ID(r.d.StaffID) }
func (r *timecardDayResolver) Date() string           { return r.d.Date }
func (r *timecardDayResolver) WorkedMinutes() int32   { return int32(r.d.WorkedMinutes) }
func (r *timecardDayResolver) OvertimeMinutes() int32 { return int32(r.d.OvertimeMinutes) }

type timecardWeekResolver struct{ w timecards.Week }

func (r *timecardWeekResolver) StaffID() graphql.ID    { return graphql.ID(r.w.StaffID) }
func (r *timecardWeekResolver) WeekStart() string      { return r.w.WeekStart }
func (r *timecardWeekResolver) WorkedMinutes() int32   { return int32(r.w.WorkedMinutes) }
func (r *timecardWeekResolver) OvertimeMinutes() int32 { return int32(r.w.OvertimeMinutes) }
func (r *timecardWeekResolver) Flags() []string        { return flagStrings(r.w.Flags) }

type timecardsResolver struct{ rep timecards.Report }

func (r *timecardsResolver) Shifts() []*shiftResolver {
	out := make([]*shiftResolver, len(r.rep.Shifts))
	for i, v := range r.rep.Shifts {
		out[i] = &shiftResolver{v}
	}
	return out
}

func (r *timecardsResolver) Days() []*timecardDayResolver {
	out := make([]*timecardDayResolver, len(r.rep.Days))
	for i, d := range r.rep.Days {
		out[i] = &timecardDayResolver{d}
	}
	return out
}

func (r *timecardsResolver) Weeks() []*timecardWeekResolver {
	out := make([]*timecardWeekResolver, len(r.rep.Weeks))
	for i, w := range r.rep.Weeks {
		out[i] = &timecardWeekResolver{w}
	}
	return out
}

// timecardsService is the service, or NOT_IMPLEMENTED (after the caller's
// permission) on a server built without it.
func (r *Resolver) timecardsService(ctx context.Context, op string, perm identity.Permission) (*timecards.Service, error) {
	if r.svc.Timecards == nil {
		return nil, notImplemented(ctx, op, perm)
	}
	return r.svc.Timecards, nil
}

type timecardsArgs struct {
	From, To   graphql.Time
	LocationID *graphql.ID
	StaffID    *graphql.ID
}

func idOrEmpty(id *graphql.ID) string {
	if id == nil {
		return ""
	}
	return string(*id)
}

// Timecards reads shifts with their figures and checks (the service
// decides whose).
func (r *Resolver) Timecards(ctx context.Context, args timecardsArgs) (*timecardsResolver, error) {
	svc, err := r.timecardsService(ctx, "timecards", identity.ReadTimecards)
	if err != nil {
		return nil, top(ctx, err)
	}
	rep, err := svc.Timecards(ctx, timecards.Query{From: args.From.Time, To: args.To.Time, LocationID: idOrEmpty(args.LocationID), StaffID: idOrEmpty(args.StaffID)})
	if err != nil {
		return nil, top(ctx, err)
	}
	return &timecardsResolver{rep}, nil
}

// Shift reads one shift; null when the caller may not read it.
func (r *Resolver) Shift(ctx context.Context, args struct{ ID graphql.ID }) (*shiftResolver, error) {
	svc, err := r.timecardsService(ctx, "shift", identity.ReadTimecards)
	if err != nil {
		return nil, top(ctx, err)
	}
	v, err := svc.Shift(ctx, string(args.ID))
	if apperr.Is(err, apperr.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, top(ctx, err)
	}
	return &shiftResolver{v}, nil
}

type clockPayload struct {
	Shift      *shiftResolver
	Duplicate  bool
	UserErrors []*userError
}

type clockArgs struct {
	Input struct {
		ClientEventID string
		Kind          string
		OccurredAt    *graphql.Time
		LocationID    *graphql.ID
		RegisterID    *graphql.ID
		StaffID       *graphql.ID
		Passcode      *string
	}
}

// Clock records one clock event.
func (r *Resolver) Clock(ctx context.Context, args clockArgs) (*clockPayload, error) {
	svc, err := r.timecardsService(ctx, "clock", identity.ClockTime)
	if err != nil {
		return nil, top(ctx, err)
	}
	in := args.Input
	ci := timecards.ClockInput{ClientEventID: in.ClientEventID, Kind: timecards.EventKind(in.Kind),
		LocationID: idOrEmpty(in.LocationID), RegisterID: idOrEmpty(in.RegisterID), StaffID: idOrEmpty(in.StaffID)}
	if in.OccurredAt != nil {
		ci.OccurredAt = in.OccurredAt.Time
	}
	if in.Passcode != nil {
		ci.Passcode = *in.Passcode
	}
	res, err := svc.Clock(ctx, ci)
	if err != nil {
		ue, err := userErrors(ctx, err)
		return &clockPayload{UserErrors: ue}, err
	}
	return &clockPayload{Shift: &shiftResolver{res.Shift}, Duplicate: res.Duplicate, UserErrors: []*userError{}}, nil
}

type shiftPayload struct {
	Shift      *shiftResolver
	UserErrors []*userError
}

type correctShiftArgs struct {
	Input struct {
		ShiftID   graphql.ID
		StartedAt graphql.Time
		EndedAt   graphql.Time
		Breaks    []struct{ StartedAt, EndedAt graphql.Time }
		Reason    string
	}
}

// CorrectShift corrects a shift's times (MANAGER, OWNER).
func (r *Resolver) CorrectShift(ctx context.Context, args correctShiftArgs) (*shiftPayload, error) {
	svc, err := r.timecardsService(ctx, "correctShift", identity.ManageTimecards)
	if err != nil {
		return nil, top(ctx, err)
	}
	in := args.Input
	ci := timecards.CorrectInput{ShiftID: string(in.ShiftID), Reason: in.Reason,
		Times: timecards.Times{Start: in.StartedAt.Time, End: in.EndedAt.Time, Breaks: make([]timecards.Break, len(in.Breaks))}}
	for i, b := range in.Breaks {
		ci.Breaks[i] = timecards.Break{Start: b.StartedAt.Time, End: b.EndedAt.Time}
	}
	v, err := svc.Correct(ctx, ci)
	if err != nil {
		ue, err := userErrors(ctx, err)
		return &shiftPayload{UserErrors: ue}, err
	}
	return &shiftPayload{Shift: &shiftResolver{v}, UserErrors: []*userError{}}, nil
}

type setStaffPasscodePayload struct {
	StaffID    *graphql.ID
	UserErrors []*userError
}

type setStaffPasscodeArgs struct {
	Input struct {
		StaffID  graphql.ID
		Passcode string
	}
}

// SetStaffPasscode sets a staff member's clock passcode (MANAGER, OWNER).
func (r *Resolver) SetStaffPasscode(ctx context.Context, args setStaffPasscodeArgs) (*setStaffPasscodePayload, error) {
	svc, err := r.timecardsService(ctx, "setStaffPasscode", identity.ManageTimecards)
	if err != nil {
		return nil, top(ctx, err)
	}
	if err := svc.SetPasscode(ctx, string(args.Input.StaffID), args.Input.Passcode); err != nil {
		ue, err := userErrors(ctx, err)
		return &setStaffPasscodePayload{UserErrors: ue}, err
	}
	id := args.Input.StaffID
	return &setStaffPasscodePayload{StaffID: &id, UserErrors: []*userError{}}, nil
}
