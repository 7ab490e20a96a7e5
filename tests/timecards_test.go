package tests

import (
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/connectors/webhook/webhooktest"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// Timecards over HTTP: clock events from a staff member's own session and
// by passcode on a shared register, offline resends, the Labour Standards
// Act checks in Asia/Tokyo, corrections with their history, who may do
// what, tenant isolation, and timecard.closed by webhook.

const shiftFields = `id staffId open onBreak startedAt endedAt businessDate workedMinutes breakMinutes lateNightMinutes flags
	breaks { startedAt endedAt } location { id }`

const clockMutation = `mutation($in: ClockInput!) { clock(input: $in) { duplicate shift { ` + shiftFields + ` } userErrors { code field message } } }`

// clockAt sends one clock event of kind that happened at `at`.
func clockAt(tb testing.TB, token string, in map[string]any) gqlResponse {
	tb.Helper()
	if _, ok := in["clientEventId"]; !ok {
		in["clientEventId"] = stockKey("clk")
	}
	return gql(tb, token, clockMutation, map[string]any{"in": in})
}

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// timecardShop is a tenant with a location (Asia/Tokyo, the tenant's
// default), a manager and two cashiers.
type timecardShop struct {
	m                    merchant
	loc                  string
	manager, managerID   string
	cashier, cashierID   string
	cashier2, cashier2ID string
}

func newTimecardShop(tb testing.TB, name string) *timecardShop {
	tb.Helper()
	f := &timecardShop{m: signUp(tb, name)}
	f.loc = createLocation(tb, f.m, name+" Ginza")
	f.manager, f.managerID = createStaff(tb, f.m, "MANAGER", nil)
	f.cashier, f.cashierID = createStaff(tb, f.m, "CASHIER", nil)
	f.cashier2, f.cashier2ID = createStaff(tb, f.m, "CASHIER", nil)
	return f
}

func userErrorFields(tb testing.TB, r gqlResponse, payload string) [][]any {
	tb.Helper()
	var out [][]any
	for _, e := range field(tb, r.Data, payload+".userErrors").([]any) {
		f, _ := e.(map[string]any)["field"].([]any)
		out = append(out, f)
	}
	return out
}

func TestTimecards_ClockInOutWithBreaks(t *testing.T) {
	f := newTimecardShop(t, "tc-basic")
	now := time.Now().UTC().Truncate(time.Minute)
	in := clockAt(t, f.cashier, map[string]any{"kind": "CLOCK_IN", "locationId": f.loc, "occurredAt": rfc(now.Add(-2 * time.Hour))})
	mustOK(t, in, "clock")
	shiftID := str(t, in.Data, "clock.shift.id")
	if field(t, in.Data, "clock.shift.open") != true || field(t, in.Data, "clock.shift.staffId") != f.cashierID {
		t.Fatalf("clock-in: %v", in.Data)
	}

	// A second clock-in, from anywhere, is refused: not a second shift.
	again := clockAt(t, f.cashier, map[string]any{"kind": "CLOCK_IN", "locationId": f.loc, "occurredAt": rfc(now.Add(-100 * time.Minute))})
	if codes := userErrorCodes(t, again.Data, "clock"); !slices.Equal(codes, []string{"CONFLICT"}) {
		t.Fatalf("second clock-in: %v", again.Data)
	}

	for _, ev := range []struct {
		kind string
		at   time.Duration
	}{{"BREAK_START", -90 * time.Minute}, {"BREAK_END", -60 * time.Minute}} {
		r := clockAt(t, f.cashier, map[string]any{"kind": ev.kind, "occurredAt": rfc(now.Add(ev.at))})
		mustOK(t, r, "clock")
	}
	// Events come in order.
	early := clockAt(t, f.cashier, map[string]any{"kind": "CLOCK_OUT", "occurredAt": rfc(now.Add(-70 * time.Minute))})
	if codes := userErrorCodes(t, early.Data, "clock"); !slices.Equal(codes, []string{"INVALID"}) {
		t.Fatalf("clock-out before the last event: %v", early.Data)
	}
	out := clockAt(t, f.cashier, map[string]any{"kind": "CLOCK_OUT", "occurredAt": rfc(now.Add(-10 * time.Minute))})
	mustOK(t, out, "clock")
	if str(t, out.Data, "clock.shift.id") != shiftID || field(t, out.Data, "clock.shift.open") != false ||
		field(t, out.Data, "clock.shift.workedMinutes") != float64(80) || field(t, out.Data, "clock.shift.breakMinutes") != float64(30) {
		t.Fatalf("clock-out: %v", out.Data)
	}
	// A clock-out without a shift is a userError on kind.
	none := clockAt(t, f.cashier, map[string]any{"kind": "CLOCK_OUT"})
	if codes := userErrorCodes(t, none.Data, "clock"); !slices.Equal(codes, []string{"INVALID"}) {
		t.Fatalf("clock-out without a shift: %v", none.Data)
	}
	// The next clock-in opens a new shift.
	next := clockAt(t, f.cashier, map[string]any{"kind": "CLOCK_IN", "locationId": f.loc})
	mustOK(t, next, "clock")
	if str(t, next.Data, "clock.shift.id") == shiftID {
		t.Fatal("a new clock-in reopened the closed shift")
	}

	// The cashier reads their own timecards, not a colleague's.
	q := `query($from: Time!, $to: Time!, $staff: ID) { timecards(from: $from, to: $to, staffId: $staff) { shifts { id staffId } days { staffId workedMinutes } } }`
	vars := map[string]any{"from": rfc(now.Add(-24 * time.Hour)), "to": rfc(now.Add(time.Hour))}
	own := gql(t, f.cashier, q, vars)
	mustOK(t, own, "")
	if n := len(field(t, own.Data, "timecards.shifts").([]any)); n != 2 {
		t.Fatalf("own timecards: %v", own.Data)
	}
	vars["staff"] = f.cashier2ID
	if r := gql(t, f.cashier, q, vars); r.code() != "FORBIDDEN" {
		t.Fatalf("a cashier read a colleague's timecards: %+v", r)
	}
	// The manager reads everyone's.
	delete(vars, "staff")
	all := gql(t, f.manager, q, vars)
	mustOK(t, all, "")
	if n := len(field(t, all.Data, "timecards.shifts").([]any)); n != 2 {
		t.Fatalf("manager's timecards: %v", all.Data)
	}
}

func TestTimecards_PasscodeOnRegister(t *testing.T) {
	f := newTimecardShop(t, "tc-passcode")
	reg := tenant.RegisterID(f.loc, 1)
	setPC := `mutation($in: SetStaffPasscodeInput!) { setStaffPasscode(input: $in) { staffId userErrors { code field } } }`
	if r := gql(t, f.manager, setPC, map[string]any{"in": map[string]any{"staffId": f.cashierID, "passcode": "12a"}}); !slices.Equal(userErrorCodes(t, r.Data, "setStaffPasscode"), []string{"INVALID"}) {
		t.Fatalf("a malformed passcode: %v", r.Data)
	}
	if r := gql(t, f.cashier2, setPC, map[string]any{"in": map[string]any{"staffId": f.cashierID, "passcode": "4826"}}); !slices.Equal(userErrorCodes(t, r.Data, "setStaffPasscode"), []string{"FORBIDDEN"}) {
		t.Fatalf("a cashier set a passcode: %v", r.Data)
	}
	r := gql(t, f.manager, setPC, map[string]any{"in": map[string]any{"staffId": f.cashierID, "passcode": "4826"}})
	mustOK(t, r, "setStaffPasscode")

	// The shared register's key: clocks staff by passcode, nothing else.
	rk := gql(t, f.m.token, `mutation($in: CreateApiKeyInput!) { createApiKey(input: $in) { secret userErrors { code message } } }`,
		map[string]any{"in": map[string]any{"name": "Register 1 timeclock", "scopes": []string{"TIMECARDS_CLOCK"}, "registerId": reg}})
	mustOK(t, rk, "createApiKey")
	key := str(t, rk.Data, "createApiKey.secret")

	wrong := clockAt(t, key, map[string]any{"kind": "CLOCK_IN", "staffId": f.cashierID, "passcode": "4827"})
	if codes := userErrorCodes(t, wrong.Data, "clock"); !slices.Equal(codes, []string{"BAD_CREDENTIALS"}) {
		t.Fatalf("wrong passcode: %v", wrong.Data)
	}
	if r := clockAt(t, key, map[string]any{"kind": "CLOCK_IN"}); !slices.Equal(userErrorCodes(t, r.Data, "clock"), []string{"INVALID"}) {
		t.Fatalf("a key clocking without a passcode: %v", r.Data)
	}
	ok := clockAt(t, key, map[string]any{"kind": "CLOCK_IN", "staffId": f.cashierID, "passcode": "4826"})
	mustOK(t, ok, "clock")
	if field(t, ok.Data, "clock.shift.staffId") != f.cashierID || field(t, ok.Data, "clock.shift.location.id") != f.loc {
		t.Fatalf("passcode clock-in: %v", ok.Data)
	}
	if r := gql(t, key, `{ timecards(from: "2026-11-01T00:00:00Z", to: "2026-11-02T00:00:00Z") { shifts { id } } }`, nil); r.code() != "FORBIDDEN" {
		t.Fatalf("the register's key read timecards: %+v", r)
	}

	// Guessing is limited: five attempts per staff member per window, then
	// even the right passcode waits.
	var codes []string
	for range 5 {
		codes = append(codes, userErrorCodes(t, clockAt(t, key, map[string]any{"kind": "CLOCK_OUT", "staffId": f.cashierID, "passcode": "0000"}).Data, "clock")...)
	}
	if !slices.Equal(codes, []string{"BAD_CREDENTIALS", "BAD_CREDENTIALS", "BAD_CREDENTIALS", "BAD_CREDENTIALS", "BAD_CREDENTIALS"}) {
		t.Fatalf("five wrong guesses: %v", codes)
	}
	limited := clockAt(t, key, map[string]any{"kind": "CLOCK_OUT", "staffId": f.cashierID, "passcode": "4826"})
	if codes := userErrorCodes(t, limited.Data, "clock"); !slices.Equal(codes, []string{"RATE_LIMITED"}) {
		t.Fatalf("the sixth attempt: %v", limited.Data)
	}
	// The shift is still open: nothing was written by the refused attempts.
	if s := gql(t, f.manager, `query($id: ID!) { shift(id: $id) { open } }`, map[string]any{"id": str(t, ok.Data, "clock.shift.id")}); field(t, s.Data, "shift.open") != true {
		t.Fatalf("shift after refused attempts: %v", s.Data)
	}
	// A colleague's session at the register clocks with a passcode too.
	r = gql(t, f.manager, setPC, map[string]any{"in": map[string]any{"staffId": f.cashier2ID, "passcode": "135790"}})
	mustOK(t, r, "setStaffPasscode")
	viaSession := clockAt(t, f.cashier, map[string]any{"kind": "CLOCK_IN", "staffId": f.cashier2ID, "passcode": "135790", "registerId": reg})
	mustOK(t, viaSession, "clock")
	if field(t, viaSession.Data, "clock.shift.staffId") != f.cashier2ID {
		t.Fatalf("passcode clock-in from a colleague's session: %v", viaSession.Data)
	}
}

func TestTimecards_OfflineEventSentTwiceRecordedOnce(t *testing.T) {
	f := newTimecardShop(t, "tc-offline")
	now := time.Now().UTC().Truncate(time.Second)
	ev := map[string]any{"clientEventId": "reg1-evt-0001", "kind": "CLOCK_IN", "locationId": f.loc, "occurredAt": rfc(now.Add(-5 * time.Hour))}
	first := clockAt(t, f.cashier, ev)
	mustOK(t, first, "clock")
	second := clockAt(t, f.cashier, ev)
	mustOK(t, second, "clock")
	if field(t, first.Data, "clock.duplicate") != false || field(t, second.Data, "clock.duplicate") != true ||
		str(t, second.Data, "clock.shift.id") != str(t, first.Data, "clock.shift.id") {
		t.Fatalf("resent event: first %v, second %v", first.Data, second.Data)
	}
	out := map[string]any{"clientEventId": "reg1-evt-0002", "kind": "CLOCK_OUT", "occurredAt": rfc(now.Add(-time.Hour))}
	mustOK(t, clockAt(t, f.cashier, out), "clock")
	// Sent again after the shift ended: still the one record.
	again := clockAt(t, f.cashier, out)
	mustOK(t, again, "clock")
	if field(t, again.Data, "clock.duplicate") != true {
		t.Fatalf("resent clock-out: %v", again.Data)
	}
	// An offline clock-in dated inside the ended shift would overlap it.
	overlap := clockAt(t, f.cashier, map[string]any{"kind": "CLOCK_IN", "locationId": f.loc, "occurredAt": rfc(now.Add(-2 * time.Hour))})
	if fs := userErrorFields(t, overlap, "clock"); len(fs) != 1 || len(fs[0]) != 2 || fs[0][1] != "occurredAt" {
		t.Fatalf("a clock-in inside the previous shift: %v", overlap.Data)
	}
	// An online event retried without occurredAt is the same event.
	onlineIn := map[string]any{"clientEventId": stockKey("online"), "kind": "CLOCK_IN", "locationId": f.loc}
	mustOK(t, clockAt(t, f.cashier, onlineIn), "clock")
	time.Sleep(10 * time.Millisecond)
	if r := clockAt(t, f.cashier, onlineIn); field(t, r.Data, "clock.duplicate") != true {
		t.Fatalf("a retried online clock-in: %v", r.Data)
	}
	mustOK(t, clockAt(t, f.cashier, map[string]any{"kind": "CLOCK_OUT"}), "clock")
	// The same id for another event is refused.
	reused := clockAt(t, f.cashier, map[string]any{"clientEventId": "reg1-evt-0001", "kind": "CLOCK_IN", "locationId": f.loc, "occurredAt": rfc(now.Add(-30 * time.Minute))})
	if codes := userErrorCodes(t, reused.Data, "clock"); !slices.Equal(codes, []string{"IDEMPOTENCY_KEY_REUSED"}) {
		t.Fatalf("reused clientEventId: %v", reused.Data)
	}
	// Too old, too far ahead.
	for _, at := range []time.Time{now.Add(-31 * 24 * time.Hour), now.Add(10 * time.Minute)} {
		r := clockAt(t, f.cashier, map[string]any{"kind": "CLOCK_IN", "locationId": f.loc, "occurredAt": rfc(at)})
		if fs := userErrorFields(t, r, "clock"); len(fs) != 1 || len(fs[0]) != 2 || fs[0][1] != "occurredAt" {
			t.Fatalf("occurredAt %s: %v", at, r.Data)
		}
	}
	tc := gql(t, f.manager, `query($from: Time!, $to: Time!, $loc: ID) { timecards(from: $from, to: $to, locationId: $loc) { shifts { id workedMinutes } } }`,
		map[string]any{"from": rfc(now.Add(-24 * time.Hour)), "to": rfc(time.Now().Add(time.Minute)), "loc": f.loc})
	mustOK(t, tc, "")
	if shifts := field(t, tc.Data, "timecards.shifts").([]any); len(shifts) != 2 || shifts[0].(map[string]any)["workedMinutes"] != float64(240) {
		t.Fatalf("timecards: %v", tc.Data)
	}
}

// tokyoNight is a shift from 18:00 to 03:30 the next morning, Tokyo time,
// with a 30-minute break at 23:00, on a date two days back.
func tokyoNight(tb testing.TB) (date string, in, breakStart, breakEnd, out time.Time) {
	tb.Helper()
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		tb.Fatal(err)
	}
	d := time.Now().In(tokyo).AddDate(0, 0, -2)
	at := func(day, h, m int) time.Time { return time.Date(d.Year(), d.Month(), d.Day()+day, h, m, 0, 0, tokyo) }
	return d.Format(time.DateOnly), at(0, 18, 0), at(0, 23, 0), at(0, 23, 30), at(1, 3, 30)
}

func TestTimecards_TokyoNightShiftFlagged(t *testing.T) {
	f := newTimecardShop(t, "tc-tokyo")
	date, in, bs, be, out := tokyoNight(t)
	for _, ev := range []struct {
		kind string
		at   time.Time
	}{{"CLOCK_IN", in}, {"BREAK_START", bs}, {"BREAK_END", be}, {"CLOCK_OUT", out}} {
		m := map[string]any{"kind": ev.kind, "occurredAt": rfc(ev.at)}
		if ev.kind == "CLOCK_IN" {
			m["locationId"] = f.loc
		}
		mustOK(t, clockAt(t, f.cashier, m), "clock")
	}
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	day, _ := time.ParseInLocation(time.DateOnly, date, tokyo)
	r := gql(t, f.manager, `query($from: Time!, $to: Time!, $loc: ID, $staff: ID) { timecards(from: $from, to: $to, locationId: $loc, staffId: $staff) {
		shifts { `+shiftFields+` } days { staffId date workedMinutes overtimeMinutes } weeks { staffId weekStart workedMinutes overtimeMinutes flags } } }`,
		map[string]any{"from": rfc(day), "to": rfc(day.AddDate(0, 0, 1)), "loc": f.loc, "staff": f.cashierID})
	mustOK(t, r, "")
	shifts := field(t, r.Data, "timecards.shifts").([]any)
	if len(shifts) != 1 {
		t.Fatalf("shifts: %v", r.Data)
	}
	s := shifts[0].(map[string]any)
	flags := []string{}
	for _, fl := range s["flags"].([]any) {
		flags = append(flags, fl.(string))
	}
	if s["businessDate"] != date || s["workedMinutes"] != float64(540) || s["breakMinutes"] != float64(30) || s["lateNightMinutes"] != float64(300) ||
		!slices.Equal(flags, []string{"SHORT_BREAK", "LATE_NIGHT", "DAILY_OVERTIME"}) {
		t.Fatalf("the night shift: %v", s)
	}
	// Stored in UTC, reported as the location's clock.
	if s["startedAt"] != in.Format(time.RFC3339) || s["endedAt"] != out.Format(time.RFC3339) {
		t.Fatalf("times not in the location's zone: %v – %v", s["startedAt"], s["endedAt"])
	}
	days := field(t, r.Data, "timecards.days").([]any)
	if len(days) != 1 || days[0].(map[string]any)["date"] != date || days[0].(map[string]any)["overtimeMinutes"] != float64(60) {
		t.Fatalf("days: %v", days)
	}
	// The next day (the morning the shift ended on) holds no shift of it.
	next := gql(t, f.manager, `query($from: Time!, $to: Time!) { timecards(from: $from, to: $to) { shifts { id } } }`,
		map[string]any{"from": rfc(day.AddDate(0, 0, 1)), "to": rfc(day.AddDate(0, 0, 2))})
	mustOK(t, next, "")
	if n := len(field(t, next.Data, "timecards.shifts").([]any)); n != 0 {
		t.Fatalf("the shift counted on the day it ended: %v", next.Data)
	}
}

func TestTimecards_CorrectionsKeptWithHistory(t *testing.T) {
	f := newTimecardShop(t, "tc-edit")
	now := time.Now().UTC().Truncate(time.Minute)
	start := now.Add(-10 * time.Hour)
	in := clockAt(t, f.cashier, map[string]any{"kind": "CLOCK_IN", "locationId": f.loc, "occurredAt": rfc(start)})
	mustOK(t, in, "clock")
	shiftID := str(t, in.Data, "clock.shift.id")
	mustOK(t, clockAt(t, f.cashier, map[string]any{"kind": "CLOCK_OUT", "occurredAt": rfc(start.Add(9 * time.Hour))}), "clock")

	correct := `mutation($in: CorrectShiftInput!) { correctShift(input: $in) { shift { id workedMinutes breakMinutes flags
		edits { editedBy reason before { startedAt endedAt breaks { startedAt } } after { startedAt endedAt breaks { startedAt endedAt } } } } userErrors { code field message } } }`
	edit := func(token string, startAt, endAt time.Time, breaks []any, reason string) gqlResponse {
		return gql(t, token, correct, map[string]any{"in": map[string]any{"shiftId": shiftID, "startedAt": rfc(startAt), "endedAt": rfc(endAt), "breaks": breaks, "reason": reason}})
	}
	brk := func(a, b time.Time) map[string]any { return map[string]any{"startedAt": rfc(a), "endedAt": rfc(b)} }

	// A cashier may not correct, not even their own shift.
	if r := edit(f.cashier, start, start.Add(8*time.Hour), []any{}, "mine"); !slices.Equal(userErrorCodes(t, r.Data, "correctShift"), []string{"FORBIDDEN"}) {
		t.Fatalf("a cashier corrected: %v", r.Data)
	}
	// Ending before the start, a break outside the shift: INVALID on their fields, nothing written.
	bad := edit(f.manager, start, start.Add(-time.Minute), []any{}, "typo")
	if fs := userErrorFields(t, bad, "correctShift"); !slices.Equal(userErrorCodes(t, bad.Data, "correctShift"), []string{"INVALID"}) || len(fs[0]) != 2 || fs[0][1] != "endedAt" {
		t.Fatalf("end before start: %v", bad.Data)
	}
	outside := edit(f.manager, start, start.Add(9*time.Hour), []any{brk(start.Add(8*time.Hour), start.Add(10*time.Hour))}, "break")
	if fs := userErrorFields(t, outside, "correctShift"); len(fs) != 1 || len(fs[0]) != 4 || fs[0][1] != "breaks" || fs[0][3] != "endedAt" {
		t.Fatalf("break outside the shift: %v", outside.Data)
	}

	first := edit(f.manager, start.Add(30*time.Minute), start.Add(9*time.Hour), []any{brk(start.Add(4*time.Hour), start.Add(5*time.Hour))}, "forgot to clock the lunch break")
	mustOK(t, first, "correctShift")
	if field(t, first.Data, "correctShift.shift.workedMinutes") != float64(450) || field(t, first.Data, "correctShift.shift.breakMinutes") != float64(60) {
		t.Fatalf("first correction: %v", first.Data)
	}
	second := edit(f.m.token, start.Add(30*time.Minute), start.Add(8*time.Hour+30*time.Minute), []any{brk(start.Add(4*time.Hour), start.Add(5*time.Hour))}, "left early")
	mustOK(t, second, "correctShift")

	s := gql(t, f.manager, `query($id: ID!) { shift(id: $id) { startedAt endedAt workedMinutes edits { editedBy editedAt reason before { startedAt endedAt breaks { startedAt } } after { startedAt endedAt } } } }`, map[string]any{"id": shiftID})
	mustOK(t, s, "")
	edits := field(t, s.Data, "shift.edits").([]any)
	if len(edits) != 2 {
		t.Fatalf("edits: %v", s.Data)
	}
	e0, e1 := edits[0].(map[string]any), edits[1].(map[string]any)
	b0 := e0["before"].(map[string]any)
	if e0["editedBy"] != f.managerID || e0["reason"] != "forgot to clock the lunch break" || !sameTime(t, b0["startedAt"], start) ||
		!sameTime(t, b0["endedAt"], start.Add(9*time.Hour)) || len(b0["breaks"].([]any)) != 0 {
		t.Fatalf("the first edit does not keep the shift as recorded: %v", e0)
	}
	if e1["editedBy"] != f.m.userID || !sameTime(t, e1["before"].(map[string]any)["endedAt"], start.Add(9*time.Hour)) ||
		!sameTime(t, e1["after"].(map[string]any)["endedAt"], start.Add(8*time.Hour+30*time.Minute)) || field(t, s.Data, "shift.workedMinutes") != float64(420) {
		t.Fatalf("the second edit: %v", s.Data)
	}
	// The cashier sees their corrected shift; another tenant sees nothing.
	if own := gql(t, f.cashier, `query($id: ID!) { shift(id: $id) { id } }`, map[string]any{"id": shiftID}); field(t, own.Data, "shift.id") != shiftID {
		t.Fatalf("own shift: %v", own.Data)
	}
	other := signUp(t, "tc-other")
	if r := gql(t, other.token, `query($id: ID!) { shift(id: $id) { id } }`, map[string]any{"id": shiftID}); len(r.Errors) > 0 || field(t, r.Data, "shift") != nil {
		t.Fatalf("another tenant read the shift: %+v", r)
	}
	r := gql(t, other.token, correct, map[string]any{"in": map[string]any{"shiftId": shiftID, "startedAt": rfc(start), "endedAt": rfc(start.Add(time.Hour)), "breaks": []any{}, "reason": "x"}})
	if codes := userErrorCodes(t, r.Data, "correctShift"); !slices.Equal(codes, []string{"NOT_FOUND"}) {
		t.Fatalf("another tenant corrected the shift: %v", r.Data)
	}
}

func sameTime(tb testing.TB, v any, want time.Time) bool {
	tb.Helper()
	s, _ := v.(string)
	got, err := time.Parse(time.RFC3339, s)
	return err == nil && got.Equal(want)
}

func TestTimecards_WebhookReceivesTimecardClosed(t *testing.T) {
	f := newTimecardShop(t, "tc-hook")
	rcv := webhooktest.New(t, "")
	_, secret := connect(t, f.m.token, "WEBHOOK", "Payroll", map[string]any{"url": rcv.URL(), "events": []string{"timecard.closed"}})
	rcv.SetSecret(secret)
	date, in, bs, be, out := tokyoNight(t)
	mustOK(t, clockAt(t, f.cashier, map[string]any{"kind": "CLOCK_IN", "locationId": f.loc, "occurredAt": rfc(in)}), "clock")
	mustOK(t, clockAt(t, f.cashier, map[string]any{"kind": "BREAK_START", "occurredAt": rfc(bs)}), "clock")
	mustOK(t, clockAt(t, f.cashier, map[string]any{"kind": "BREAK_END", "occurredAt": rfc(be)}), "clock")
	closed := clockAt(t, f.cashier, map[string]any{"kind": "CLOCK_OUT", "occurredAt": rfc(out)})
	mustOK(t, closed, "clock")
	d := waitFor(t, rcv, "timecard.closed", 15*time.Second)
	var data struct {
		Version                                    int
		ShiftID, StaffID, LocationID, BusinessDate string
		StartedAt, EndedAt                         time.Time
		Breaks                                     []struct{ StartedAt, EndedAt time.Time }
		WorkedMinutes, BreakMinutes                int
		LateNightMinutes                           int
		Flags                                      []string
	}
	if err := json.Unmarshal(d.Event.Data, &data); err != nil {
		t.Fatal(err)
	}
	if d.Event.TenantID != f.m.tenantID || data.ShiftID != str(t, closed.Data, "clock.shift.id") || data.StaffID != f.cashierID || data.LocationID != f.loc ||
		data.BusinessDate != date || !data.StartedAt.Equal(in) || !data.EndedAt.Equal(out) || len(data.Breaks) != 1 ||
		data.WorkedMinutes != 540 || data.BreakMinutes != 30 || data.LateNightMinutes != 300 || !slices.Equal(data.Flags, []string{"SHORT_BREAK", "LATE_NIGHT"}) {
		t.Fatalf("timecard.closed data: %s", d.Event.Data)
	}
	// A correction sends the shift again, with a higher version.
	r := gql(t, f.manager, `mutation($in: CorrectShiftInput!) { correctShift(input: $in) { userErrors { code message } } }`,
		map[string]any{"in": map[string]any{"shiftId": data.ShiftID, "startedAt": rfc(in), "endedAt": rfc(out),
			"breaks": []any{map[string]any{"startedAt": rfc(bs), "endedAt": rfc(be.Add(30 * time.Minute))}}, "reason": "the break lasted an hour"}})
	mustOK(t, r, "correctShift")
	first := data.Version
	d = waitFor(t, rcv, "timecard.closed", 15*time.Second)
	data.Flags = nil
	if err := json.Unmarshal(d.Event.Data, &data); err != nil {
		t.Fatal(err)
	}
	if data.Version <= first || data.BreakMinutes != 60 || data.WorkedMinutes != 510 || !slices.Equal(data.Flags, []string{"LATE_NIGHT"}) {
		t.Fatalf("timecard.closed after the correction: %s", d.Event.Data)
	}
}

// Ten registers clocking one staff member in at once: one shift.
func TestTimecards_ConcurrentClockInsOneShift(t *testing.T) {
	f := newTimecardShop(t, "tc-race")
	var wg sync.WaitGroup
	codes := make([][]string, 10)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := clockAt(t, f.cashier, map[string]any{"kind": "CLOCK_IN", "locationId": f.loc})
			if len(r.Errors) > 0 {
				codes[i] = []string{"top-level"}
				return
			}
			codes[i] = userErrorCodes(t, r.Data, "clock")
		}()
	}
	wg.Wait()
	ok, conflicts := 0, 0
	for _, c := range codes {
		switch {
		case len(c) == 0:
			ok++
		case slices.Equal(c, []string{"CONFLICT"}):
			conflicts++
		default:
			t.Errorf("unexpected answer %v", c)
		}
	}
	if ok != 1 || conflicts != 9 {
		t.Fatalf("%d clock-ins succeeded, %d conflicts: %v", ok, conflicts, codes)
	}
	r := gql(t, f.manager, `query($from: Time!, $to: Time!) { timecards(from: $from, to: $to) { shifts { id } } }`,
		map[string]any{"from": rfc(time.Now().Add(-time.Hour)), "to": rfc(time.Now().Add(time.Hour))})
	mustOK(t, r, "")
	if n := len(field(t, r.Data, "timecards.shifts").([]any)); n != 1 {
		t.Fatalf("%d shifts", n)
	}
}

// Location restrictions hold for clocking and reading; registers must be
// the tenant's active POS registers.
func TestTimecards_LocationsAndRegisters(t *testing.T) {
	f := newTimecardShop(t, "tc-locs")
	loc2 := createLocation(t, f.m, "tc-locs Umeda")
	restricted, _ := createStaff(t, f.m, "CASHIER", []string{f.loc})
	if r := clockAt(t, restricted, map[string]any{"kind": "CLOCK_IN", "locationId": loc2}); !slices.Equal(userErrorCodes(t, r.Data, "clock"), []string{"FORBIDDEN"}) {
		t.Fatalf("clock-in at another location: %v", r.Data)
	}
	q := `query($loc: ID) { timecards(from: "2026-11-01T00:00:00Z", to: "2026-11-02T00:00:00Z", locationId: $loc) { shifts { id } } }`
	if r := gql(t, restricted, q, map[string]any{"loc": loc2}); r.code() != "NOT_FOUND" {
		t.Fatalf("timecards of another location: %+v", r)
	}
	restrictedMgr, _ := createStaff(t, f.m, "MANAGER", []string{loc2})
	in := clockAt(t, f.cashier, map[string]any{"kind": "CLOCK_IN", "locationId": f.loc, "occurredAt": rfc(time.Now().Add(-2 * time.Hour))})
	mustOK(t, in, "clock")
	mustOK(t, clockAt(t, f.cashier, map[string]any{"kind": "CLOCK_OUT"}), "clock")
	r := gql(t, restrictedMgr, `mutation($in: CorrectShiftInput!) { correctShift(input: $in) { userErrors { code } } }`,
		map[string]any{"in": map[string]any{"shiftId": str(t, in.Data, "clock.shift.id"), "startedAt": rfc(time.Now().Add(-2 * time.Hour)), "endedAt": rfc(time.Now().Add(-time.Hour)), "breaks": []any{}, "reason": "x"}})
	if codes := userErrorCodes(t, r.Data, "correctShift"); !slices.Equal(codes, []string{"NOT_FOUND"}) {
		t.Fatalf("a manager of another location corrected: %v", r.Data)
	}
	if r := clockAt(t, f.cashier, map[string]any{"kind": "CLOCK_IN", "registerId": tenant.RegisterID(f.loc, 1), "staffId": "not-an-id", "passcode": "1234"}); !slices.Equal(userErrorCodes(t, r.Data, "clock"), []string{"INVALID"}) {
		t.Fatalf("a malformed staffId: %v", r.Data)
	}
	for _, reg := range []string{tenant.RegisterID(f.loc, 7), tenant.IntegrationRegisterID(f.loc), "reg_x"} {
		r := clockAt(t, f.cashier, map[string]any{"kind": "CLOCK_IN", "registerId": reg})
		if codes := userErrorCodes(t, r.Data, "clock"); !slices.Equal(codes, []string{"NOT_FOUND"}) {
			t.Fatalf("register %s: %v", reg, r.Data)
		}
	}
}
