package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/idempotency"
	"github.com/renkei-pos/renkei/shared/timecards"
)

// Timecards (docs/data-model.md, Timecards), all tenant-owned:
//
//   - a shift: T#<tid>#SHIFTS#<locationId> / <time-ordered id body>, the
//     whole shift (times, breaks, corrections, version) in one item; a
//     location's shifts by recorded clock-in are one Query;
//   - the staff member's clock state: T#<tid>#OPENSHIFT#<staffId> / OPEN,
//     holding the open shift's id (shiftId, only while one is open) and the
//     clock-out of the last shift (lastEnd, unix ms): a clock-in sets shiftId
//     only if it is absent and lastEnd is not after the new start, so a staff
//     member never has two open shifts, nor a shift clocked in (offline)
//     before the previous one ended, however many registers clock at once;
//   - a passcode: T#<tid>#PASSCODE#<staffId> / PASSCODE (argon2id hash);
//   - passcode attempt counters: T#<tid>#PASSFAIL#staff#<staffId> and
//     T#<tid>#PASSFAIL#device#<key#id or user#id> / <window start, unix s>, with a TTL;
//   - a clock event's idempotency record (operation clockEvent, key its
//     clientEventId), holding the shift's id.
const (
	pkShiftsInfix    = "#SHIFTS#"
	pkOpenShiftInfix = "#OPENSHIFT#"
	pkPasscodeInfix  = "#PASSCODE#"
	pkPassFailInfix  = "#PASSFAIL#"
	skOpenShift      = "OPEN"
	skPasscode       = "PASSCODE"
)

// TimecardStore is the timecards adapter.
type TimecardStore struct{ t *Table }

var _ timecards.Store = (*TimecardStore)(nil)

// NewTimecardStore returns the timecards store.
func NewTimecardStore(t *Table) *TimecardStore { return &TimecardStore{t: t} }

type shiftBreakItem struct {
	Start string `dynamodbav:"start"`
	End   string `dynamodbav:"end,omitempty"`
}

type shiftTimesItem struct {
	Start  string           `dynamodbav:"start"`
	End    string           `dynamodbav:"end,omitempty"`
	Breaks []shiftBreakItem `dynamodbav:"breaks"`
}

type shiftEditItem struct {
	By     string         `dynamodbav:"by"`
	At     string         `dynamodbav:"at"`
	Reason string         `dynamodbav:"reason"`
	Before shiftTimesItem `dynamodbav:"before"`
	After  shiftTimesItem `dynamodbav:"after"`
}

type shiftItem struct {
	PK         string `dynamodbav:"pk"`
	SK         string `dynamodbav:"sk"`
	Type       string `dynamodbav:"type"`
	ID         string `dynamodbav:"id"`
	StaffID    string `dynamodbav:"staffId"`
	LocationID string `dynamodbav:"locationId"`
	RegisterID string `dynamodbav:"registerId,omitempty"`
	ClockedIn  string `dynamodbav:"clockedIn"`
	shiftTimesItem
	Edits   []shiftEditItem `dynamodbav:"edits"`
	Version int             `dynamodbav:"version"`
}

func optTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return fmtTime(t)
}

func optParse(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	return parseTime(s)
}

func timesToItem(t timecards.Times) shiftTimesItem {
	it := shiftTimesItem{Start: fmtTime(t.Start), End: optTime(t.End), Breaks: make([]shiftBreakItem, len(t.Breaks))}
	for i, b := range t.Breaks {
		it.Breaks[i] = shiftBreakItem{Start: fmtTime(b.Start), End: optTime(b.End)}
	}
	return it
}

func (it shiftTimesItem) domain() timecards.Times {
	t := timecards.Times{Start: parseTime(it.Start), End: optParse(it.End), Breaks: make([]timecards.Break, len(it.Breaks))}
	for i, b := range it.Breaks {
		t.Breaks[i] = timecards.Break{Start: parseTime(b.Start), End: optParse(b.End)}
	}
	return t
}

// shiftKey is the key of a shift id; ok is false for a malformed id.
func shiftKey(tpk, id string) (map[string]types.AttributeValue, bool) {
	loc, sk, ok := timecards.ParseShiftID(id)
	if !ok {
		return nil, false
	}
	return key(tpk+pkShiftsInfix+loc, sk), true
}

func shiftToItem(tpk string, sh timecards.Shift) (shiftItem, error) {
	loc, sk, ok := timecards.ParseShiftID(sh.ID)
	if !ok || loc != sh.LocationID {
		return shiftItem{}, fmt.Errorf("malformed shift id %q", sh.ID)
	}
	it := shiftItem{PK: tpk + pkShiftsInfix + loc, SK: sk, Type: "Shift", ID: sh.ID, StaffID: sh.StaffID, LocationID: sh.LocationID,
		RegisterID: sh.RegisterID, ClockedIn: fmtTime(sh.ClockedIn), shiftTimesItem: timesToItem(sh.Times), Version: sh.Version,
		Edits: make([]shiftEditItem, len(sh.Edits))}
	for i, e := range sh.Edits {
		it.Edits[i] = shiftEditItem{By: e.By, At: fmtTime(e.At), Reason: e.Reason, Before: timesToItem(e.Before), After: timesToItem(e.After)}
	}
	return it, nil
}

func (it shiftItem) domain() timecards.Shift {
	sh := timecards.Shift{ID: it.ID, StaffID: it.StaffID, LocationID: it.LocationID, RegisterID: it.RegisterID,
		ClockedIn: parseTime(it.ClockedIn), Times: it.shiftTimesItem.domain(), Version: it.Version, Edits: make([]timecards.Edit, len(it.Edits))}
	for i, e := range it.Edits {
		sh.Edits[i] = timecards.Edit{By: e.By, At: parseTime(e.At), Reason: e.Reason, Before: e.Before.domain(), After: e.After.domain()}
	}
	return sh
}

// Replayed reads req's record: the shift id it holds.
func (st *TimecardStore) Replayed(ctx context.Context, req idempotency.Request) (string, bool, error) {
	k, err := st.t.idempotencyKey(ctx, req)
	if err != nil {
		return "", false, err
	}
	raws, err := st.t.BatchGet(ctx, []map[string]types.AttributeValue{k})
	if err != nil {
		return "", false, fmt.Errorf("get clock event record: %w", err)
	}
	if len(raws) == 0 {
		return "", false, nil
	}
	res, err := matchIdempotency(raws[0], req.Hash)
	if err != nil {
		return "", false, err
	}
	return string(res), true, nil
}

type openShiftItem struct {
	PK      string `dynamodbav:"pk"`
	SK      string `dynamodbav:"sk"`
	Type    string `dynamodbav:"type"`
	ShiftID string `dynamodbav:"shiftId,omitempty"`
	LastEnd int64  `dynamodbav:"lastEnd,omitempty"` // unix ms
}

func openShiftKey(tpk, staffID string) map[string]types.AttributeValue {
	return key(tpk+pkOpenShiftInfix+staffID, skOpenShift)
}

// OpenShift reads the staff member's marker, then the shift it names.
func (st *TimecardStore) OpenShift(ctx context.Context, staffID string) (timecards.Shift, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return timecards.Shift{}, err
	}
	noShift := apperr.New(apperr.NotFound, "no open shift")
	m, err := getOrNotFound[openShiftItem](ctx, st.t, openShiftKey(tpk, staffID), "open shift", noShift)
	if err != nil {
		return timecards.Shift{}, err
	}
	if m.ShiftID == "" {
		return timecards.Shift{}, noShift
	}
	return st.GetShift(ctx, m.ShiftID)
}

// GetShift reads one shift (strongly consistent).
func (st *TimecardStore) GetShift(ctx context.Context, id string) (timecards.Shift, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return timecards.Shift{}, err
	}
	notFound := apperr.New(apperr.NotFound, "shift not found")
	k, ok := shiftKey(tpk, id)
	if !ok {
		return timecards.Shift{}, notFound
	}
	it, err := getOrNotFound[shiftItem](ctx, st.t, k, "shift", notFound)
	if err != nil {
		return timecards.Shift{}, err
	}
	return it.domain(), nil
}

// ClockIn writes the marker (if absent), the shift and req's record.
func (st *TimecardStore) ClockIn(ctx context.Context, sh timecards.Shift, req idempotency.Request, now time.Time) (string, bool, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return "", false, err
	}
	sh.Version = 1
	it, err := shiftToItem(tpk, sh)
	if err != nil {
		return "", false, err
	}
	put, err := putNew(st.t, it)
	if err != nil {
		return "", false, err
	}
	marker := types.TransactWriteItem{Update: &types.Update{TableName: &st.t.name, Key: openShiftKey(tpk, sh.StaffID),
		UpdateExpression:                    aws.String("SET shiftId = :id, #type = :type"),
		ConditionExpression:                 aws.String("attribute_not_exists(shiftId) AND (attribute_not_exists(lastEnd) OR lastEnd <= :start)"),
		ExpressionAttributeNames:            map[string]string{"#type": "type"},
		ExpressionAttributeValues:           map[string]types.AttributeValue{":id": s(sh.ID), ":type": s("ClockState"), ":start": n(sh.Start.UnixMilli())},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}
	res, replayed, err := st.t.TransactIdempotent(ctx, req, []byte(sh.ID), []types.TransactWriteItem{marker, put}, now)
	var ce *CanceledError
	switch {
	case errors.As(err, &ce) && ce.Failed(0):
		var cur openShiftItem
		if len(ce.Items) > 0 && ce.Items[0] != nil {
			_ = attributevalue.UnmarshalMap(ce.Items[0], &cur) // unreadable: answered as a conflict
		}
		if cur.ShiftID == "" && cur.LastEnd > 0 {
			return "", false, apperr.New(apperr.Invalid, fmt.Sprintf("occurredAt is before the end of the previous shift (%s)", time.UnixMilli(cur.LastEnd).UTC().Format(time.RFC3339)), "input", "occurredAt")
		}
		return "", false, apperr.New(apperr.Conflict, "already clocked in: clock out of the open shift first", "input", "kind")
	case err != nil:
		return "", false, err
	}
	return string(res), replayed, nil
}

// Record puts next over prev (conditioned on prev's version), with req's
// record; on a shift's end the clock state's update (no open shift, the
// last end); and closed as an outbox event.
func (st *TimecardStore) Record(ctx context.Context, prev, next timecards.Shift, req *idempotency.Request, closed *timecards.Closed, now time.Time) (string, bool, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return "", false, err
	}
	next.Version = prev.Version + 1
	it, err := shiftToItem(tpk, next)
	if err != nil {
		return "", false, err
	}
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return "", false, fmt.Errorf("marshal shift: %w", err)
	}
	items := []types.TransactWriteItem{{Put: &types.Put{TableName: &st.t.name, Item: av,
		ConditionExpression:       aws.String("#v = :v"),
		ExpressionAttributeNames:  map[string]string{"#v": "version"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": n(int64(prev.Version))},
	}}}
	if prev.Open() && !next.Open() {
		items = append(items, types.TransactWriteItem{Update: &types.Update{TableName: &st.t.name, Key: openShiftKey(tpk, next.StaffID),
			UpdateExpression:          aws.String("REMOVE shiftId SET lastEnd = :end"),
			ConditionExpression:       aws.String("shiftId = :id"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":id": s(next.ID), ":end": n(next.End.UnixMilli())},
		}})
	}
	if closed != nil {
		ev, _, err := outboxPut(ctx, st.t, timecards.EventClosed, closedData(*closed, next.Version), now)
		if err != nil {
			return "", false, err
		}
		items = append(items, ev)
	}
	var res []byte
	replayed := false
	if req != nil {
		res, replayed, err = st.t.TransactIdempotent(ctx, *req, []byte(next.ID), items, now)
	} else {
		err = st.t.Transact(ctx, items)
		res = []byte(next.ID)
	}
	var ce *CanceledError
	switch {
	case errors.As(err, &ce) && (ce.Failed(0) || ce.Failed(1)):
		return "", false, apperr.New(apperr.Conflict, "the shift changed meanwhile: read it again", "input", "shiftId")
	case err != nil:
		return "", false, err
	}
	return string(res), replayed, nil
}

// ListShifts queries a location's shifts by recorded clock-in.
func (st *TimecardStore) ListShifts(ctx context.Context, locationID string, from, to time.Time, staffID string, limit int) ([]timecards.Shift, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return nil, err
	}
	in := &dynamodb.QueryInput{TableName: &st.t.name,
		KeyConditionExpression: aws.String("pk = :pk AND sk BETWEEN :lo AND :hi"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(tpk + pkShiftsInfix + locationID),
			":lo": s(timecards.TimeKey(from)), ":hi": s(timecards.TimeKey(to))},
	}
	if staffID != "" {
		in.FilterExpression = aws.String("staffId = :staff")
		in.ExpressionAttributeValues[":staff"] = s(staffID)
		in.Limit = aws.Int32(500)
	}
	its, err := queryItems[shiftItem](ctx, st.t, in, limit, nil)
	if err != nil {
		return nil, fmt.Errorf("list shifts: %w", err)
	}
	out := make([]timecards.Shift, len(its))
	for i, it := range its {
		out[i] = it.domain()
	}
	return out, nil
}

type passcodeItem struct {
	PK    string `dynamodbav:"pk"`
	SK    string `dynamodbav:"sk"`
	Type  string `dynamodbav:"type"`
	Hash  string `dynamodbav:"hash"`
	SetBy string `dynamodbav:"setBy"`
	SetAt string `dynamodbav:"setAt"`
}

// SetPasscode puts the staff member's passcode hash (replacing any).
func (st *TimecardStore) SetPasscode(ctx context.Context, staffID, hash, setBy string, at time.Time) error {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return err
	}
	av, err := attributevalue.MarshalMap(passcodeItem{PK: tpk + pkPasscodeInfix + staffID, SK: skPasscode, Type: "Passcode", Hash: hash, SetBy: setBy, SetAt: fmtTime(at)})
	if err != nil {
		return fmt.Errorf("marshal passcode: %w", err)
	}
	cctx, cancel := st.t.call(ctx)
	defer cancel()
	if _, err := st.t.client.PutItem(cctx, &dynamodb.PutItemInput{TableName: &st.t.name, Item: av}); err != nil {
		return fmt.Errorf("put passcode: %w", err)
	}
	return nil
}

// PasscodeHash reads the staff member's passcode hash.
func (st *TimecardStore) PasscodeHash(ctx context.Context, staffID string) (string, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return "", err
	}
	it, err := getOrNotFound[passcodeItem](ctx, st.t, key(tpk+pkPasscodeInfix+staffID, skPasscode), "passcode", apperr.New(apperr.NotFound, "no passcode"))
	return it.Hash, err
}

// passFailKeys are the attempt's counters (staff, device) and their TTL.
func passFailKeys(tpk string, a timecards.PasscodeAttempt, p timecards.PasscodePolicy) (staff, device map[string]types.AttributeValue, ttl string) {
	start := p.WindowStart(a.At)
	sk := strconv.FormatInt(start.Unix(), 10)
	return key(tpk+pkPassFailInfix+"staff#"+a.StaffID, sk), key(tpk+pkPassFailInfix+"device#"+a.Device, sk),
		strconv.FormatInt(start.Add(2*p.Window).Unix(), 10)
}

// CountPasscodeAttempt adds one to both counters if both are under their
// limits, in one transaction (the log-in limiter's pattern).
func (st *TimecardStore) CountPasscodeAttempt(ctx context.Context, a timecards.PasscodeAttempt, p timecards.PasscodePolicy) error {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return err
	}
	staff, device, ttl := passFailKeys(tpk, a, p)
	below := func(k map[string]types.AttributeValue, limit int) types.TransactWriteItem {
		return types.TransactWriteItem{Update: &types.Update{TableName: &st.t.name, Key: k,
			UpdateExpression:          aws.String("ADD #c :one SET #ttl = :ttl"),
			ConditionExpression:       aws.String("attribute_not_exists(#c) OR #c < :max"),
			ExpressionAttributeNames:  map[string]string{"#c": "count", "#ttl": attrTTL},
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": n(1), ":max": n(int64(limit)), ":ttl": s(ttl)},
		}}
	}
	err = st.t.Transact(ctx, []types.TransactWriteItem{below(staff, p.MaxPerStaff), below(device, p.MaxPerDevice)})
	var ce *CanceledError
	if errors.As(err, &ce) {
		return timecards.PasscodeLimited(p, a.At)
	}
	return err
}

// PasscodeSucceeded deletes the staff member's counter of the window.
func (st *TimecardStore) PasscodeSucceeded(ctx context.Context, a timecards.PasscodeAttempt, p timecards.PasscodePolicy) error {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return err
	}
	staff, _, _ := passFailKeys(tpk, a, p)
	cctx, cancel := st.t.call(ctx)
	defer cancel()
	_, err = st.t.client.DeleteItem(cctx, &dynamodb.DeleteItemInput{TableName: &st.t.name, Key: staff})
	return err
}

// timecardClosedData is the body of a timecard.closed event.
type timecardClosedData struct {
	ShiftID          string              `json:"shiftId"`
	Version          int                 `json:"version"`
	StaffID          string              `json:"staffId"`
	LocationID       string              `json:"locationId"`
	RegisterID       string              `json:"registerId,omitempty"`
	StartedAt        string              `json:"startedAt"`
	EndedAt          string              `json:"endedAt"`
	BusinessDate     string              `json:"businessDate"`
	Breaks           []timecardBreakJSON `json:"breaks"`
	WorkedMinutes    int                 `json:"workedMinutes"`
	BreakMinutes     int                 `json:"breakMinutes"`
	LateNightMinutes int                 `json:"lateNightMinutes"`
	Flags            []string            `json:"flags"`
}

type timecardBreakJSON struct {
	StartedAt string `json:"startedAt"`
	EndedAt   string `json:"endedAt"`
}

func closedData(c timecards.Closed, version int) timecardClosedData {
	sh := c.Shift
	d := timecardClosedData{ShiftID: sh.ID, Version: version, StaffID: sh.StaffID, LocationID: sh.LocationID, RegisterID: sh.RegisterID,
		StartedAt: sh.Start.UTC().Format(time.RFC3339), EndedAt: sh.End.UTC().Format(time.RFC3339), BusinessDate: c.Figures.BusinessDate,
		Breaks: make([]timecardBreakJSON, len(sh.Breaks)), WorkedMinutes: c.Figures.WorkedMinutes, BreakMinutes: c.Figures.BreakMinutes,
		LateNightMinutes: c.Figures.LateNightMinutes, Flags: make([]string, len(c.Figures.Flags))}
	for i, b := range sh.Breaks {
		d.Breaks[i] = timecardBreakJSON{StartedAt: b.Start.UTC().Format(time.RFC3339), EndedAt: b.End.UTC().Format(time.RFC3339)}
	}
	for i, f := range c.Figures.Flags {
		d.Flags[i] = string(f)
	}
	return d
}
