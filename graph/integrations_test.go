package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/integrations"
)

// TestIntegrationResolver: health as served — status from the counters,
// lag only when something is pending, public settings, warnings within the
// bounds the cost table declares.
func TestIntegrationResolver(t *testing.T) {
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	in := integrations.Integration{ID: "int_1", Provider: integrations.Webhook, Name: "ERP",
		Settings:  json.RawMessage(`{"url":"https://erp.example.com/h","events":["order.completed"]}`),
		CreatedAt: now, PendingJobs: 2, LastError: "endpoint answered 500", LastErrorAt: now, LastSuccessAt: now.Add(-time.Hour)}
	for i := range 30 {
		w := integrations.Warning{Code: fmt.Sprint("W", i), Message: "m", Count: 500}
		for j := range 150 {
			w.Items = append(w.Items, fmt.Sprint("SKU-", j))
		}
		in.Warnings = append(in.Warnings, w)
	}
	r := &integrationResolver{h: integrations.Health{Integration: in, Lag: 90 * time.Second, HasLag: true}, withLag: true}
	if r.Status() != "ERROR" || r.Provider() != "WEBHOOK" || *r.LastError() != "endpoint answered 500" || r.PendingJobs() != 2 {
		t.Fatalf("status %s provider %s lastError %v pending %d", r.Status(), r.Provider(), r.LastError(), r.PendingJobs())
	}
	if lag, err := r.LagSeconds(context.Background()); err != nil || lag == nil || *lag != 90 {
		t.Fatalf("lagSeconds %v, %v; want 90", lag, err)
	}
	if s := r.Settings(); s["url"] != "https://erp.example.com/h" || len(s) != 2 {
		t.Fatalf("settings %v", s)
	}
	ws := r.Warnings()
	if len(ws) != maxIntegrationWarnings || len(ws[0].Items) != integrations.MaxWarningItems || ws[0].Count != 500 {
		t.Fatalf("warnings: %d, items %d, count %d", len(ws), len(ws[0].Items), ws[0].Count)
	}
	if fieldCosts["Integration.warnings"].max != maxIntegrationWarnings || fieldCosts["IntegrationWarning.items"].max != integrations.MaxWarningItems {
		t.Fatal("the cost table's bounds are not the ones served")
	}

	idle := &integrationResolver{h: integrations.Health{Integration: integrations.Integration{ID: "int_2", LastSuccessAt: now}}, withLag: true}
	if lag, err := idle.LagSeconds(context.Background()); err != nil || lag != nil {
		t.Fatalf("nothing pending: lagSeconds %v, %v; want null", lag, err)
	}
	if idle.Status() != "ACTIVE" || idle.LastError() != nil || idle.Warnings() == nil || len(idle.Warnings()) != 0 {
		t.Fatalf("idle: status %s, lastError %v, warnings %v", idle.Status(), idle.LastError(), idle.Warnings())
	}
	// A payload's integration with nothing pending needs no read for its lag.
	payload := &integrationResolver{h: integrations.Health{Integration: integrations.Integration{ID: "int_3", Disconnected: true}}}
	if lag, err := payload.LagSeconds(context.Background()); err != nil || lag != nil || payload.Status() != "DISCONNECTED" {
		t.Fatalf("payload: lag %v, %v, status %s", lag, err, payload.Status())
	}
}

func TestIntegrationJobResolver_NextAttemptAt(t *testing.T) {
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	for name, tc := range map[string]struct {
		job  integrations.Job
		want bool
	}{
		"pending after a failure": {integrations.Job{Status: integrations.JobPending, UpdatedAt: now, NextAttemptAt: now.Add(time.Minute)}, true},
		"pending, first run":      {integrations.Job{Status: integrations.JobPending, UpdatedAt: now, NextAttemptAt: now}, false},
		"failed":                  {integrations.Job{Status: integrations.JobFailed, UpdatedAt: now, NextAttemptAt: now.Add(time.Minute)}, false},
	} {
		if got := (&integrationJobResolver{tc.job}).NextAttemptAt() != nil; got != tc.want {
			t.Errorf("%s: nextAttemptAt set %v, want %v", name, got, tc.want)
		}
	}
}
