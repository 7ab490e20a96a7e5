package freee_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/connectors/freee"
	"github.com/renkei-pos/renkei/shared/dynamo"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/integrations"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tax"
)

// The store serves the connector's port as it is.
var _ freee.Closes = (*dynamo.SalesStore)(nil)

type memCloses struct {
	closes       []sales.RegisterClose
	since, until string
}

func (m *memCloses) LocationCloses(_ context.Context, since, until string) ([]sales.RegisterClose, error) {
	m.since, m.until = since, until
	var out []sales.RegisterClose
	for _, c := range m.closes {
		if c.BusinessDate >= since && c.BusinessDate <= until {
			out = append(out, c)
		}
	}
	return out, nil
}

func storedClose(loc, date string, rev int, cash int64) sales.RegisterClose {
	return sales.RegisterClose{ID: ids.New("cls"), LocationID: loc, BusinessDate: date, Revision: rev, Currency: "JPY",
		ClosedAt: time.Date(2026, 11, 30, 12, 0, rev, 0, time.UTC),
		CloseFigures: sales.CloseFigures{
			Taxes:    []sales.TaxLine{{Category: tax.Standard, RatePercent: 10, Taxable: cash, Tax: cash / 11}},
			Payments: []sales.PaymentTotal{{Method: sales.Cash, Amount: cash}}}}
}

// TestConnector_Sync: every closed day not yet posted becomes a job; days
// whose revision is marked posted, and days before startDate, do not; the
// jobs post the newest revision, and a second sync asks for the same jobs.
func TestConnector_Sync(t *testing.T) {
	r := newRig(t)
	locB := ids.New(ids.Location)
	closes := &memCloses{closes: []sales.RegisterClose{
		storedClose(testLocation, "2026-11-28", 1, 1100),
		storedClose(testLocation, "2026-11-29", 2, 2200),
		storedClose(locB, "2026-11-29", 1, 3300),
		storedClose(locB, "2026-10-01", 1, 4400),
	}}
	r.c = freee.New(nil, closes, testApp).WithClock(func() time.Time { return time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC) })
	var st map[string]any
	_ = json.Unmarshal(r.in.Settings, &st)
	st["startDate"] = "2026-11-01"
	r.in.Settings = mustJSON(t, st)
	if _, err := r.marks.Advance(t.Context(), r.in.ID, testLocation+"|2026-11-28", 1); err != nil {
		t.Fatal(err)
	}

	specs, err := r.c.Sync(t.Context(), r.config())
	if err != nil {
		t.Fatal(err)
	}
	if closes.since != "2026-11-01" || closes.until != "2026-12-01" {
		t.Errorf("read closes of %s…%s, want 2026-11-01…2026-12-01", closes.since, closes.until)
	}
	keys := map[string]bool{}
	for _, sp := range specs {
		keys[sp.Key] = true
		if sp.Kind != integrations.KindPostDailySales || sp.Event.Type != integrations.EventRegisterClosed {
			t.Errorf("spec %+v", sp)
		}
	}
	if len(specs) != 2 || !keys[testLocation+"|2026-11-29"] || !keys[locB+"|2026-11-29"] {
		t.Fatalf("Sync keys %v, want the two days not posted", keys)
	}
	again, err := r.c.Sync(t.Context(), r.config())
	if err != nil || len(again) != 2 || again[0].Event.ID != specs[0].Event.ID {
		t.Fatalf("second Sync = %+v, %v; want the same jobs", again, err)
	}
	for _, sp := range specs {
		job := integrations.Job{IntegrationID: r.in.ID, Kind: sp.Kind, Key: sp.Key, Event: sp.Event}
		if err := r.c.Run(t.Context(), r.config(), job); err != nil {
			t.Fatalf("Run %s: %v", sp.Key, err)
		}
	}
	deals := r.f.Deals(1001)
	if len(deals) != 2 || deals[0].Amount()+deals[1].Amount() != 5500 {
		t.Fatalf("deals %+v, want 2,200 and 3,300", deals)
	}
	if specs, err := r.c.Sync(t.Context(), r.config()); err != nil || len(specs) != 0 {
		t.Fatalf("Sync after posting = %+v, %v; want none", specs, err)
	}
}
