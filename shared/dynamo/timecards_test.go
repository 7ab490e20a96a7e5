package dynamo

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/idempotency"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/timecards"
)

func clockReq(key string, kind timecards.EventKind) idempotency.Request {
	return idempotency.New(timecards.OpClockEvent, key, idempotency.Fields{"kind": string(kind)})
}

func TestTimecardStore_ShiftLifecycle(t *testing.T) {
	tbl := mustTable(t)
	st := NewTimecardStore(tbl)
	ctx := tenantCtx(t)
	loc, staff := ids.New(ids.Location), ids.New(ids.User)
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

	sh := timecards.NewShift(staff, loc, "", t0)
	id, replayed, err := st.ClockIn(ctx, sh, clockReq("in-1", timecards.ClockIn), t0)
	if err != nil || replayed || id != sh.ID {
		t.Fatalf("clock in: %q %v %v", id, replayed, err)
	}
	// The same request again: the record answers, nothing else is written.
	if id, replayed, err := st.ClockIn(ctx, timecards.NewShift(staff, loc, "", t0), clockReq("in-1", timecards.ClockIn), t0); err != nil || !replayed || id != sh.ID {
		t.Fatalf("replayed clock in: %q %v %v", id, replayed, err)
	}
	// Another clock-in: CONFLICT on the clock state.
	_, _, err = st.ClockIn(ctx, timecards.NewShift(staff, loc, "", t0.Add(time.Minute)), clockReq("in-2", timecards.ClockIn), t0)
	if !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("second clock in: %v", err)
	}
	open, err := st.OpenShift(ctx, staff)
	if err != nil || open.ID != sh.ID || open.Version != 1 {
		t.Fatalf("open shift: %+v %v", open, err)
	}
	out, err := open.Apply(timecards.ClockOut, t0.Add(8*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// A write from a stale version is CONFLICT, and writes nothing.
	stale := open
	stale.Version = 7
	req := clockReq("out-1", timecards.ClockOut)
	if _, _, err := st.Record(ctx, stale, out, &req, &timecards.Closed{Shift: out}, t0); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("stale write: %v", err)
	}
	if _, _, err := st.Record(ctx, open, out, &req, &timecards.Closed{Shift: out, Figures: timecards.Figures{WorkedMinutes: 480}}, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := st.OpenShift(ctx, staff); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("open shift after clock-out: %v", err)
	}
	got, err := st.GetShift(ctx, sh.ID)
	if err != nil || got.Open() || !got.End.Equal(t0.Add(8*time.Hour)) || got.Version != 2 {
		t.Fatalf("shift after clock-out: %+v %v", got, err)
	}
	// A clock-in dated inside the ended shift: INVALID on occurredAt.
	_, _, err = st.ClockIn(ctx, timecards.NewShift(staff, loc, "", t0.Add(7*time.Hour)), clockReq("in-3", timecards.ClockIn), t0)
	if l, ok := apperr.Expected(err); !ok || l[0].Code != apperr.Invalid || l[0].Field[1] != "occurredAt" {
		t.Fatalf("overlapping clock in: %v", err)
	}

	// The timecard.closed event is in the outbox, once.
	tpk, _ := tenantPK(ctx)
	tid := tpk[2:]
	res, err := tbl.client.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(tbl.name),
		FilterExpression:          aws.String("eventType = :t AND tenantId = :tid"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": s(timecards.EventClosed), ":tid": s(tid)}})
	if err != nil || len(res.Items) != 1 {
		t.Fatalf("outbox: %d events, %v", len(res.Items), err)
	}
	var data map[string]any
	if err := json.Unmarshal([]byte(res.Items[0]["data"].(*types.AttributeValueMemberS).Value), &data); err != nil {
		t.Fatal(err)
	}
	if data["shiftId"] != sh.ID || data["version"] != float64(2) || data["workedMinutes"] != float64(480) {
		t.Fatalf("event data %v", data)
	}

	// Listings: by recorded clock-in, by staff member.
	other := timecards.NewShift(ids.New(ids.User), loc, "", t0.Add(time.Hour))
	if _, _, err := st.ClockIn(ctx, other, clockReq("in-other", timecards.ClockIn), t0); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		from, to time.Time
		staff    string
		want     int
	}{
		{t0, t0.Add(2 * time.Hour), "", 2},
		{t0, t0.Add(2 * time.Hour), staff, 1},
		{t0.Add(time.Millisecond), t0.Add(2 * time.Hour), "", 1},
		{t0, t0.Add(time.Hour), "", 1},
		{t0.Add(-time.Hour), t0, "", 0},
	} {
		got, err := st.ListShifts(ctx, loc, tt.from, tt.to, tt.staff, 100)
		if err != nil || len(got) != tt.want {
			t.Errorf("ListShifts(%s, %s, %q) = %d shifts, %v; want %d", tt.from, tt.to, tt.staff, len(got), err, tt.want)
		}
	}
}

func TestTimecardStore_PasscodeAttempts(t *testing.T) {
	st := NewTimecardStore(mustTable(t))
	ctx := tenantCtx(t)
	p := timecards.PasscodePolicy{Window: time.Hour, MaxPerStaff: 2, MaxPerDevice: 3}
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	a := timecards.PasscodeAttempt{StaffID: "usr_a", Device: "key#k1", At: at}
	for i := range 2 {
		if err := st.CountPasscodeAttempt(ctx, a, p); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	if err := st.CountPasscodeAttempt(ctx, a, p); !apperr.Is(err, apperr.RateLimited) {
		t.Fatalf("third attempt for one staff member: %v", err)
	}
	// Another staff member from the same device: its third attempt counts, the fourth does not.
	b := timecards.PasscodeAttempt{StaffID: "usr_b", Device: "key#k1", At: at}
	if err := st.CountPasscodeAttempt(ctx, b, p); err != nil {
		t.Fatal(err)
	}
	if err := st.CountPasscodeAttempt(ctx, b, p); !apperr.Is(err, apperr.RateLimited) {
		t.Fatalf("the device's fourth attempt: %v", err)
	}
	// A success resets the staff member's count (not the device's); the next window starts afresh.
	if err := st.PasscodeSucceeded(ctx, a, p); err != nil {
		t.Fatal(err)
	}
	if err := st.CountPasscodeAttempt(ctx, timecards.PasscodeAttempt{StaffID: "usr_a", Device: "key#k2", At: at}, p); err != nil {
		t.Fatalf("after a success: %v", err)
	}
	if err := st.CountPasscodeAttempt(ctx, timecards.PasscodeAttempt{StaffID: "usr_b", Device: "key#k1", At: at.Add(p.Window)}, p); err != nil {
		t.Fatalf("next window: %v", err)
	}
	if _, err := st.PasscodeHash(ctx, "usr_a"); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("no passcode set: %v", err)
	}
	if err := st.SetPasscode(ctx, "usr_a", "$argon2id$x", "usr_m", at); err != nil {
		t.Fatal(err)
	}
	if h, err := st.PasscodeHash(ctx, "usr_a"); err != nil || h != "$argon2id$x" {
		t.Fatalf("passcode hash %q %v", h, err)
	}
}
