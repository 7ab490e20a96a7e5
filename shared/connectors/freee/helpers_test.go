package freee_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/connectors/freee"
	"github.com/renkei-pos/renkei/shared/connectors/freee/freeefake"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/integrations"
)

var testApp = freee.App{ClientID: freeefake.ClientID, ClientSecret: freeefake.ClientSecret}

// mappingJSON is the example mapping (DefaultCompany's ids).
const mappingJSON = `{"salesAccountItemId": 101, "taxCodes": {"STANDARD": 129, "REDUCED": 156, "EXEMPT": 2},
 "walletables": {"CASH": {"type": "wallet", "id": 1}, "CARD": {"type": "bank_account", "id": 2}, "EXTERNAL": {"type": "wallet", "id": 3}}}`

// connectSettings are settings for the fake with a fresh token pair.
func connectSettings(tb testing.TB, f *freeefake.Fake) map[string]any {
	tb.Helper()
	access, refresh := f.Tokens(freeefake.DefaultCompanyID)
	var m any
	if err := json.Unmarshal([]byte(mappingJSON), &m); err != nil {
		tb.Fatal(err)
	}
	return map[string]any{"companyId": freeefake.DefaultCompanyID, "accessToken": access, "refreshToken": refresh,
		"accountMapping": m, "apiBaseUrl": f.URL, "tokenUrl": f.TokenURL}
}

func mustJSON(tb testing.TB, v any) json.RawMessage {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// rig is a connected integration on the fake, with the worker's side of
// Config: secrets saved in memory, marks in memory.
type rig struct {
	f     *freeefake.Fake
	c     *freee.Connector
	in    integrations.Integration
	marks *memMarks

	mu      sync.Mutex
	secrets json.RawMessage
	saves   []json.RawMessage
}

func newRig(tb testing.TB) *rig {
	tb.Helper()
	f := freeefake.Start(tb)
	c := freee.New(nil, nil, testApp).WithTimeout(2 * time.Second)
	conn, err := c.Connect(tb.Context(), integrations.ConnectRequest{TenantID: ids.New(ids.Tenant), IntegrationID: ids.New(ids.Integration),
		Settings: mustJSON(tb, connectSettings(tb, f)), Local: true})
	if err != nil {
		tb.Fatalf("Connect: %v", err)
	}
	in := integrations.Integration{ID: ids.New(ids.Integration), TenantID: ids.New(ids.Tenant), Provider: integrations.Freee, Settings: conn.Settings}
	return &rig{f: f, c: c, in: in, marks: &memMarks{m: map[string]int64{}}, secrets: conn.Secrets}
}

func (r *rig) config() integrations.Config {
	r.mu.Lock()
	defer r.mu.Unlock()
	return integrations.Config{Integration: r.in, Secrets: r.secrets, Local: true, Marks: r.marks,
		SaveSecrets: func(_ context.Context, s json.RawMessage) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.secrets = append(json.RawMessage(nil), s...)
			r.saves = append(r.saves, r.secrets)
			return nil
		}}
}

// run plans the event and runs its job as the worker would.
func (r *rig) run(tb testing.TB, ev integrations.Event) error {
	tb.Helper()
	specs, err := r.c.Plan(ev, r.in)
	if err != nil {
		tb.Fatalf("Plan: %v", err)
	}
	if len(specs) != 1 {
		tb.Fatalf("Plan gave %d jobs, want 1", len(specs))
	}
	job := integrations.Job{ID: "job_x", TenantID: r.in.TenantID, IntegrationID: r.in.ID, Provider: integrations.Freee,
		Kind: specs[0].Kind, Key: specs[0].Key, Event: specs[0].Event}
	return r.c.Run(tb.Context(), r.config(), job)
}

type memMarks struct {
	mu sync.Mutex
	m  map[string]int64
}

func (m *memMarks) Advance(_ context.Context, integrationID, key string, version int64) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m[integrationID+"|"+key] >= version {
		return false, nil
	}
	m.m[integrationID+"|"+key] = version
	return true, nil
}

func (m *memMarks) Get(_ context.Context, integrationID, key string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.m[integrationID+"|"+key], nil
}

// tx is one tax row of a close; pay one payment total.
type tx struct {
	cat          string
	rate         int
	taxable, tax int64
}
type pay struct {
	method string
	amount int64
}

var testLocation = ids.New(ids.Location)

// closeEvent is a register.closed event of a whole-location close, shaped
// as shared/dynamo writes it.
func closeEvent(tb testing.TB, loc, date string, rev int, taxes []tx, pays []pay) integrations.Event {
	tb.Helper()
	ts := []map[string]any{}
	for _, t := range taxes {
		ts = append(ts, map[string]any{"taxCategory": t.cat, "ratePercent": t.rate, "taxableAmount": t.taxable, "tax": t.tax})
	}
	ps := []map[string]any{}
	for _, p := range pays {
		ps = append(ps, map[string]any{"method": p.method, "amount": p.amount})
	}
	closedAt := time.Date(2026, 11, 30, 13, 0, rev, 0, time.UTC)
	data := map[string]any{"closeId": ids.New("cls"), "locationId": loc, "businessDate": date, "revision": rev, "currency": "JPY",
		"orderCount": 10, "grossSales": 0, "discounts": 0, "refunds": 0, "netSales": 0, "taxes": ts, "payments": ps,
		"expectedCash": 0, "countedCash": 0, "difference": 0, "closedAt": closedAt}
	return integrations.Event{ID: ids.NewAt("evt", closedAt), Type: integrations.EventRegisterClosed, CreatedAt: closedAt,
		TenantID: ids.New(ids.Tenant), Data: mustJSON(tb, data), FromOutbox: true}
}

// dayTaxInclusive is the worked example of docs/integrations/freee.md:
// prices include tax; 10% sales 33,000 (tax 3,000), 8% 10,800 (tax 800),
// exempt 1,000; paid 20,800 cash, 21,000 card, 3,000 external.
var (
	dayTaxes = []tx{{"STANDARD", 10, 33000, 3000}, {"REDUCED", 8, 10800, 800}, {"EXEMPT", 0, 1000, 0}}
	dayPays  = []pay{{"CASH", 20800}, {"CARD", 21000}, {"EXTERNAL", 3000}}
)
