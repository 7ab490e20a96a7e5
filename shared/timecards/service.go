package timecards

import (
	"context"

	"fmt"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/idempotency"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// Event bounds, as for offline sales: an event may be dated at most
// FutureSkew ahead of the server's clock (device clocks drift) and at most
// MaxEventAge back (the idempotency record must outlive any resend).
const (
	FutureSkew  = 5 * time.Minute
	MaxEventAge = 30 * 24 * time.Hour
)

// OpClockEvent scopes clock events' idempotency keys (their clientEventId).
const OpClockEvent = "clockEvent"

// EventClosed is the outbox event written when a shift ends.
const EventClosed = "timecard.closed"

// Store persists shifts, passcodes and passcode attempts of the tenant in ctx.
type Store interface {
	// Replayed returns the shift recorded under req, if any;
	// IDEMPOTENCY_KEY_REUSED when the key holds another request.
	Replayed(ctx context.Context, req idempotency.Request) (shiftID string, found bool, err error)
	// OpenShift returns the staff member's open shift; NOT_FOUND when none.
	OpenShift(ctx context.Context, staffID string) (Shift, error)
	// ClockIn writes, in one transaction, the new open shift, the staff
	// member's clock state (conditioned on no open shift: CONFLICT at
	// input.kind; and on the previous shift having ended by the new start:
	// INVALID at input.occurredAt) and req's record. replayed is true, with
	// the first shift's id, when req was recorded meanwhile.
	ClockIn(ctx context.Context, sh Shift, req idempotency.Request, now time.Time) (shiftID string, replayed bool, err error)
	// Record writes next over prev, conditioned on prev.Version (CONFLICT
	// when the shift changed meanwhile), with req's record when req is set;
	// when next has ended and prev had not, the clock state's update (no
	// open shift; the last end); and, when set, closed as a timecard.closed
	// outbox event: one transaction.
	Record(ctx context.Context, prev, next Shift, req *idempotency.Request, closed *Closed, now time.Time) (shiftID string, replayed bool, err error)
	// GetShift reads one shift; NOT_FOUND when it is not the tenant's.
	GetShift(ctx context.Context, id string) (Shift, error)
	// ListShifts returns a location's shifts recorded as clocked in within
	// [from, to), of staffID only when set, oldest first; at most limit.
	ListShifts(ctx context.Context, locationID string, from, to time.Time, staffID string, limit int) ([]Shift, error)
	// SetPasscode stores a staff member's passcode hash.
	SetPasscode(ctx context.Context, staffID, hash, setBy string, at time.Time) error
	// PasscodeHash returns a staff member's passcode hash; NOT_FOUND when none is set.
	PasscodeHash(ctx context.Context, staffID string) (string, error)
	// CountPasscodeAttempt counts an attempt against its staff member and
	// device, atomically, before the passcode is checked; over either
	// limit it counts nothing and returns PasscodeLimited.
	CountPasscodeAttempt(ctx context.Context, a PasscodeAttempt, p PasscodePolicy) error
	// PasscodeSucceeded resets the staff member's count of the attempt's window.
	PasscodeSucceeded(ctx context.Context, a PasscodeAttempt, p PasscodePolicy) error
}

// Staff reads staff members of the tenant in ctx (the identity store).
type Staff interface {
	GetUser(ctx context.Context, id string) (identity.User, error)
}

// Locations reads locations and registers of the tenant in ctx (the
// tenant store).
type Locations interface {
	GetLocations(ctx context.Context, ids []string) ([]tenant.Location, error)
	ListLocations(ctx context.Context) ([]tenant.Location, error)
	GetRegisters(ctx context.Context, ids []string) ([]tenant.Register, error)
}

// Closed is what the timecard.closed event tells: the shift as it ended and
// its figures in its location's zone.
type Closed struct {
	Shift   Shift
	Figures Figures
}

// Service records clock events, corrections and passcodes, and reads
// timecards. Every method checks the caller's permission and locations
// before it touches a store.
type Service struct {
	Store     Store
	Staff     Staff
	Locations Locations
	Now       func() time.Time
	// Policy limits passcode attempts (zero: DefaultPasscodePolicy).
	Policy PasscodePolicy
}

func (s *Service) policy() PasscodePolicy {
	if s.Policy.Window <= 0 || s.Policy.MaxPerStaff <= 0 || s.Policy.MaxPerDevice <= 0 {
		return DefaultPasscodePolicy
	}
	return s.Policy
}

// View is a shift with its figures and every flag it carries (its own,
// its day's and its week's).
type View struct {
	Shift
	Figures
}

// location reads one location of the tenant; NOT_FOUND at field when it
// is not the tenant's.
func (s *Service) location(ctx context.Context, id string, field ...string) (tenant.Location, *time.Location, error) {
	ls, err := s.Locations.GetLocations(ctx, []string{id})
	if err != nil {
		return tenant.Location{}, nil, fmt.Errorf("get location: %w", err)
	}
	if len(ls) == 0 {
		return tenant.Location{}, nil, apperr.New(apperr.NotFound, "location not found", field...)
	}
	z, err := ls[0].Zone()
	if err != nil {
		return tenant.Location{}, nil, fmt.Errorf("location %s: %w", id, err)
	}
	return ls[0], z, nil
}

// view computes one shift's own figures (open: as of now), with its times
// in the location's zone: stored in UTC, reported as the location's clock.
func (s *Service) view(sh Shift, zone *time.Location) View {
	f := Compute(sh.Times, zone, s.Now().UTC())
	sh.ClockedIn = sh.ClockedIn.In(zone)
	sh.Times = sh.Times.In(zone)
	edits := make([]Edit, len(sh.Edits))
	for i, e := range sh.Edits {
		e.At, e.Before, e.After = e.At.In(zone), e.Before.In(zone), e.After.In(zone)
		edits[i] = e
	}
	sh.Edits = edits
	return View{Shift: sh, Figures: f}
}

// ClockInput is one clock event. Without StaffID and Passcode it is the
// caller's own (a user session); with them, a colleague's entered on a
// shared register (RegisterID, or the register an API key is bound to).
type ClockInput struct {
	ClientEventID string
	Kind          EventKind
	OccurredAt    time.Time // zero: now
	LocationID    string    // CLOCK_IN without a register
	RegisterID    string
	StaffID       string
	Passcode      string
}

// ClockResult is the shift after the event; Duplicate when the event had
// been recorded before (the shift is then as it is now).
type ClockResult struct {
	Shift     View
	Duplicate bool
}

// Clock records one clock event, once per clientEventId.
func (s *Service) Clock(ctx context.Context, in ClockInput) (ClockResult, error) {
	p, err := identity.Require(ctx, identity.ClockTime)
	if err != nil {
		return ClockResult{}, err
	}
	now := s.Now().UTC()
	var errs apperr.List
	if err := idempotency.ValidateKey(in.ClientEventID); err != nil {
		errs.Add(apperr.Invalid, "clientEventId must be 1 to 128 characters without control characters", "input", "clientEventId")
	}
	if !in.Kind.Valid() {
		errs.Add(apperr.Invalid, "kind must be CLOCK_IN, BREAK_START, BREAK_END or CLOCK_OUT", "input", "kind")
	}
	at := in.OccurredAt.UTC()
	switch {
	case in.OccurredAt.IsZero():
		at = now
	case at.After(now.Add(FutureSkew)):
		errs.Add(apperr.Invalid, "occurredAt is more than 5 minutes ahead of the server's clock", "input", "occurredAt")
	case at.Before(now.Add(-MaxEventAge)):
		errs.Add(apperr.Invalid, "occurredAt is more than 30 days ago: ask a manager to enter the shift", "input", "occurredAt")
	}
	byPasscode := in.Passcode != "" || in.StaffID != ""
	staffID, registerID, loc := p.UserID, in.RegisterID, in.LocationID
	if byPasscode {
		staffID = in.StaffID
		if registerID == "" {
			registerID = p.RegisterID
		}
		if err := CheckPasscode(in.Passcode); err != nil {
			errs = append(errs, err.(*apperr.Error))
		}
		if !ids.Valid(ids.User, staffID) {
			errs.Add(apperr.Invalid, "staffId (a staff member's id) is required with a passcode", "input", "staffId")
		}
		if registerID == "" {
			errs.Add(apperr.Invalid, "a passcode is entered on a shared register: give registerId", "input", "registerId")
		}
	} else if p.UserID == "" {
		errs.Add(apperr.Invalid, "an API key clocks staff in by staffId and passcode", "input", "passcode")
	}
	if registerID != "" {
		rloc, _, ok := tenant.ParseRegisterID(registerID)
		switch {
		case !ok:
			errs.Add(apperr.NotFound, "register not found", "input", "registerId")
		case loc != "" && loc != rloc:
			errs.Add(apperr.Invalid, "locationId is not the register's location", "input", "locationId")
		default:
			loc = rloc
		}
	}
	if in.LocationID != "" && !ids.Valid(ids.Location, in.LocationID) {
		errs.Add(apperr.NotFound, "location not found", "input", "locationId")
	}
	if in.Kind == ClockIn && loc == "" && len(errs) == 0 {
		errs.Add(apperr.Invalid, "locationId (or registerId) is required to clock in", "input", "locationId")
	}
	if err := errs.Err(); err != nil {
		return ClockResult{}, err
	}
	if loc != "" && !p.CanUseLocation(loc) {
		return ClockResult{}, apperr.New(apperr.Forbidden, "you may not work at this location", "input", "locationId")
	}
	if registerID != "" {
		if err := s.checkRegister(ctx, registerID); err != nil {
			return ClockResult{}, err
		}
	}
	if byPasscode {
		if err := s.checkPasscode(ctx, p, staffID, loc, in.Passcode, now); err != nil {
			return ClockResult{}, err
		}
	}
	// The event as sent: a retry without occurredAt is the same event,
	// recorded at the first attempt's time.
	sent := ""
	if !in.OccurredAt.IsZero() {
		sent = at.Format(time.RFC3339Nano)
	}
	req := idempotency.New(OpClockEvent, in.ClientEventID, idempotency.Fields{"kind": string(in.Kind), "staffId": staffID,
		"locationId": loc, "registerId": registerID, "occurredAt": sent})
	if id, found, err := s.Store.Replayed(ctx, req); err != nil || found {
		if err != nil {
			return ClockResult{}, eventKeyErr(err)
		}
		return s.duplicate(ctx, id)
	}
	var prev Shift
	if in.Kind != ClockIn {
		prev, err = s.Store.OpenShift(ctx, staffID)
		if apperr.Is(err, apperr.NotFound) {
			return ClockResult{}, apperr.New(apperr.Invalid, "no open shift: clock in first", "input", "kind")
		}
		if err != nil {
			return ClockResult{}, err
		}
		if loc != "" && loc != prev.LocationID {
			return ClockResult{}, apperr.New(apperr.Invalid, "the open shift is at another location", "input", "locationId")
		}
		loc = prev.LocationID
	}
	_, zone, err := s.location(ctx, loc, "input", "locationId")
	if err != nil {
		return ClockResult{}, err
	}
	if in.Kind == ClockIn {
		sh := NewShift(staffID, loc, registerID, at)
		id, replayed, err := s.Store.ClockIn(ctx, sh, req, now)
		if err != nil {
			return ClockResult{}, eventKeyErr(err)
		}
		if replayed {
			return s.duplicate(ctx, id)
		}
		return ClockResult{Shift: s.view(sh, zone)}, nil
	}
	next, err := prev.Apply(in.Kind, at)
	if err != nil {
		return ClockResult{}, err
	}
	var closed *Closed
	if !next.Open() {
		closed = &Closed{Shift: next, Figures: Compute(next.Times, zone, now)}
	}
	id, replayed, err := s.Store.Record(ctx, prev, next, &req, closed, now)
	if err != nil {
		return ClockResult{}, eventKeyErr(err)
	}
	if replayed {
		return s.duplicate(ctx, id)
	}
	next.Version = prev.Version + 1
	return ClockResult{Shift: s.view(next, zone)}, nil
}

// eventKeyErr names the clientEventId where the idempotency record speaks
// of an idempotencyKey.
func eventKeyErr(err error) error {
	if apperr.Is(err, apperr.IdempotencyKeyReused) {
		return apperr.New(apperr.IdempotencyKeyReused, "this clientEventId was already used for another event", "input", "clientEventId")
	}
	return err
}

// duplicate answers an event recorded before with its shift as it is now.
func (s *Service) duplicate(ctx context.Context, shiftID string) (ClockResult, error) {
	sh, err := s.Store.GetShift(ctx, shiftID)
	if err != nil {
		return ClockResult{}, fmt.Errorf("read the shift of a recorded event: %w", err)
	}
	_, zone, err := s.location(ctx, sh.LocationID)
	if err != nil {
		return ClockResult{}, err
	}
	return ClockResult{Shift: s.view(sh, zone), Duplicate: true}, nil
}

// checkRegister is NOT_FOUND (input.registerId) unless the register is an
// active POS register of the tenant.
func (s *Service) checkRegister(ctx context.Context, id string) error {
	rs, err := s.Locations.GetRegisters(ctx, []string{id})
	if err != nil {
		return fmt.Errorf("get register: %w", err)
	}
	if len(rs) == 0 || !rs[0].Active || rs[0].Kind != tenant.RegisterPOS {
		return apperr.New(apperr.NotFound, "register not found", "input", "registerId")
	}
	return nil
}

// checkPasscode counts the attempt, then checks that staffID is an active
// staff member of the tenant who may work at loc and that pc is their
// passcode. Every refusal after the count is BAD_CREDENTIALS at
// input.passcode, whatever the reason, so guesses learn nothing else. The
// device counted is the credential entering the passcode (the register's
// API key, or the session's user), which a caller cannot vary at will as
// it could a registerId.
func (s *Service) checkPasscode(ctx context.Context, p identity.Principal, staffID, loc, pc string, now time.Time) error {
	device := "key#" + p.APIKeyID
	if p.APIKeyID == "" {
		device = "user#" + p.UserID
	}
	a := PasscodeAttempt{StaffID: staffID, Device: device, At: now}
	pol := s.policy()
	if err := s.Store.CountPasscodeAttempt(ctx, a, pol); err != nil {
		return err
	}
	bad := apperr.New(apperr.BadCredentials, "wrong staff member or passcode", "input", "passcode")
	u, err := s.Staff.GetUser(ctx, staffID)
	if apperr.Is(err, apperr.NotFound) || apperr.Is(err, apperr.Invalid) {
		identity.VerifyPassword(dummyHash, pc) // the same time as a wrong passcode
		return bad
	}
	if err != nil {
		return fmt.Errorf("get staff member: %w", err)
	}
	hash, err := s.Store.PasscodeHash(ctx, staffID)
	if apperr.Is(err, apperr.NotFound) {
		hash = dummyHash
	} else if err != nil {
		return fmt.Errorf("get passcode: %w", err)
	}
	ok := identity.VerifyPassword(hash, pc)
	if !ok || hash == dummyHash || u.DeactivatedAt != nil || !(identity.Principal{LocationIDs: u.LocationIDs}).CanUseLocation(loc) {
		return bad
	}
	if err := s.Store.PasscodeSucceeded(ctx, a, pol); err != nil {
		return fmt.Errorf("reset passcode attempts: %w", err)
	}
	return nil
}

// dummyHash is checked against when a staff member or passcode is unknown.
var dummyHash = func() string {
	h, err := identity.HashPassword("renkei-passcode-timing")
	if err != nil {
		panic(err)
	}
	return h
}()

// SetPasscode sets a staff member's passcode (MANAGER, OWNER). A caller
// restricted to some locations sets it only for staff restricted to those;
// only an OWNER sets an OWNER's.
func (s *Service) SetPasscode(ctx context.Context, staffID, passcode string) error {
	p, err := identity.Require(ctx, identity.ManageTimecards)
	if err != nil {
		return err
	}
	if err := CheckPasscode(passcode); err != nil {
		return err
	}
	notFound := apperr.New(apperr.NotFound, "staff member not found", "input", "staffId")
	if !ids.Valid(ids.User, staffID) {
		return notFound
	}
	u, err := s.Staff.GetUser(ctx, staffID)
	if apperr.Is(err, apperr.NotFound) || apperr.Is(err, apperr.Invalid) {
		return notFound
	}
	if err != nil {
		return fmt.Errorf("get staff member: %w", err)
	}
	if u.Role == identity.Owner && p.Role != identity.Owner {
		return apperr.New(apperr.Forbidden, "only an owner sets an owner's passcode", "input", "staffId")
	}
	for _, l := range u.LocationIDs {
		if !p.CanUseLocation(l) {
			return apperr.New(apperr.Forbidden, "this staff member works at locations you are not assigned to", "input", "staffId")
		}
	}
	if len(u.LocationIDs) == 0 && len(p.LocationIDs) > 0 {
		return apperr.New(apperr.Forbidden, "this staff member works at locations you are not assigned to", "input", "staffId")
	}
	hash, err := identity.HashPassword(passcode)
	if err != nil {
		return err
	}
	return s.Store.SetPasscode(ctx, staffID, hash, p.UserID, s.Now().UTC())
}

// CorrectInput is a manager's correction of a shift's times.
type CorrectInput struct {
	ShiftID string
	Times
	Reason string
}

// MaxReason bounds a correction's reason, in characters.
const MaxReason = 500

// Correct replaces a shift's times (MANAGER, OWNER at the shift's
// location), keeping the times before in the shift's edits, and writes
// timecard.closed with the corrected shift. Correcting an open shift ends
// it (a forgotten clock-out).
func (s *Service) Correct(ctx context.Context, in CorrectInput) (View, error) {
	p, err := identity.Require(ctx, identity.ManageTimecards)
	if err != nil {
		return View{}, err
	}
	notFound := apperr.New(apperr.NotFound, "shift not found", "input", "shiftId")
	loc, _, ok := ParseShiftID(in.ShiftID)
	if !ok || !p.CanUseLocation(loc) {
		return View{}, notFound
	}
	var errs apperr.List
	reason := reasonRule.Check(&errs, in.Reason, "input", "reason")
	if err := errs.Err(); err != nil {
		return View{}, err
	}
	prev, err := s.Store.GetShift(ctx, in.ShiftID)
	if apperr.Is(err, apperr.NotFound) {
		return View{}, notFound
	}
	if err != nil {
		return View{}, err
	}
	now := s.Now().UTC()
	t := Times{Start: in.Start.UTC(), End: in.End.UTC(), Breaks: make([]Break, len(in.Breaks))}
	for i, b := range in.Breaks {
		t.Breaks[i] = Break{Start: b.Start.UTC(), End: b.End.UTC()}
	}
	if errs := CheckTimes(t, prev.ClockedIn, now); len(errs) > 0 {
		return View{}, errs.Err()
	}
	if len(prev.Edits) >= MaxEdits {
		return View{}, apperr.Newf(apperr.Invalid, []string{"input", "shiftId"}, "a shift keeps at most %d corrections", MaxEdits)
	}
	_, zone, err := s.location(ctx, loc)
	if err != nil {
		return View{}, err
	}
	next := prev
	next.Times = t
	next.Edits = append(append([]Edit(nil), prev.Edits...), Edit{By: p.UserID, At: now, Reason: reason, Before: prev.Times, After: t})
	// Every correction sends timecard.closed again (a higher version), so a
	// payroll system holds the shift as corrected.
	closed := &Closed{Shift: next, Figures: Compute(next.Times, zone, now)}
	if _, _, err := s.Store.Record(ctx, prev, next, nil, closed, now); err != nil {
		return View{}, err
	}
	next.Version = prev.Version + 1
	return s.view(next, zone), nil
}

// Shift reads one shift: MANAGER and OWNER any at their locations, others
// their own; NOT_FOUND otherwise, as for a shift that does not exist.
func (s *Service) Shift(ctx context.Context, id string) (View, error) {
	p, err := identity.Require(ctx, identity.ReadTimecards)
	if err != nil {
		return View{}, err
	}
	notFound := apperr.New(apperr.NotFound, "shift not found", "id")
	loc, _, ok := ParseShiftID(id)
	if !ok || !p.CanUseLocation(loc) {
		return View{}, notFound
	}
	sh, err := s.Store.GetShift(ctx, id)
	if apperr.Is(err, apperr.NotFound) {
		return View{}, notFound
	}
	if err != nil {
		return View{}, err
	}
	if !p.Can(identity.ManageTimecards) && sh.StaffID != p.UserID {
		return View{}, notFound
	}
	_, zone, err := s.location(ctx, loc)
	if err != nil {
		return View{}, err
	}
	return s.view(sh, zone), nil
}
