package metrics

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// emf is what CloudWatch reads of a line.
type emf struct {
	AWS struct {
		Timestamp         int64 `json:"Timestamp"`
		CloudWatchMetrics []struct {
			Namespace  string     `json:"Namespace"`
			Dimensions [][]string `json:"Dimensions"`
			Metrics    []struct {
				Name string `json:"Name"`
				Unit string `json:"Unit"`
			} `json:"Metrics"`
		} `json:"CloudWatchMetrics"`
	} `json:"_aws"`
}

func TestEmitWritesOneEMFLine(t *testing.T) {
	var buf bytes.Buffer
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	e := &Emitter{W: &buf, Now: func() time.Time { return at }}
	e.Emit("tnt_x", map[string]any{"outcome": "ok"}, Value{Checkouts, Count, 1}, Value{CheckoutLatency, Milliseconds, 12.5})
	if strings.Count(buf.String(), "\n") != 1 || !strings.HasSuffix(buf.String(), "\n") {
		t.Fatalf("want exactly one line, got %q", buf.String())
	}
	var raw map[string]any
	if err := json.Unmarshal(buf.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	var m emf
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if m.AWS.Timestamp != at.UnixMilli() || len(m.AWS.CloudWatchMetrics) != 1 {
		t.Fatalf("directive: %+v", m.AWS)
	}
	d := m.AWS.CloudWatchMetrics[0]
	if d.Namespace != "Renkei" {
		t.Errorf("namespace %q", d.Namespace)
	}
	// Aggregate only: one empty dimension set, the tenant a property.
	if len(d.Dimensions) != 1 || len(d.Dimensions[0]) != 0 {
		t.Errorf("dimensions %v, want [[]]", d.Dimensions)
	}
	if len(d.Metrics) != 2 || d.Metrics[0].Name != "Checkouts" || d.Metrics[0].Unit != "Count" || d.Metrics[1].Name != "CheckoutLatency" || d.Metrics[1].Unit != "Milliseconds" {
		t.Errorf("metrics %+v", d.Metrics)
	}
	// Every metric named in the directive is a top-level number (EMF's rule).
	if raw["Checkouts"] != 1.0 || raw["CheckoutLatency"] != 12.5 || raw["tenant"] != "tnt_x" || raw["outcome"] != "ok" {
		t.Errorf("line %v", raw)
	}
	if _, ok := raw["Tenant"]; ok {
		t.Error("a Tenant dimension value without TenantDimension")
	}
}

func TestTenantDimension(t *testing.T) {
	var buf bytes.Buffer
	e := &Emitter{W: &buf, TenantDimension: true}
	e.Emit("tnt_y", nil, Value{Checkouts, Count, 1})
	var m emf
	var raw map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(buf.Bytes(), &raw)
	d := m.AWS.CloudWatchMetrics[0].Dimensions
	if len(d) != 2 || len(d[0]) != 0 || len(d[1]) != 1 || d[1][0] != "Tenant" || raw["Tenant"] != "tnt_y" {
		t.Fatalf("dimensions %v, line %v", d, raw)
	}
}

func TestZeroAndNilEmittersDiscard(t *testing.T) {
	var e *Emitter
	e.Emit("t", nil, Value{Checkouts, Count, 1})
	(&Emitter{}).Emit("t", nil, Value{Checkouts, Count, 1})
	var buf bytes.Buffer
	(&Emitter{W: &buf}).Emit("t", nil)
	if buf.Len() != 0 {
		t.Fatal("a line without values")
	}
}

func TestConcurrentLinesStayWhole(t *testing.T) {
	var buf bytes.Buffer
	e := &Emitter{W: &buf}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			e.Emit("tnt_z", map[string]any{"k": strings.Repeat("x", 300)}, Value{IntegrationJobsFailed, Count, 1})
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 50 {
		t.Fatalf("%d lines", len(lines))
	}
	for _, l := range lines {
		var m emf
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
	}
}

// Parse decodes the EMF lines in out into a list of metric name → value
// maps (one per line, properties included), for tests of callers.
func TestParse(t *testing.T) {
	var buf bytes.Buffer
	e := &Emitter{W: &buf}
	e.Emit("a", nil, Value{Checkouts, Count, 1})
	e.Emit("b", nil, Value{IntegrationLag, Milliseconds, 3})
	got, err := Parse(buf.Bytes())
	if err != nil || len(got) != 2 || got[0].Values[Checkouts] != 1 || got[1].Props["tenant"] != "b" || got[1].Values[IntegrationLag] != 3 {
		t.Fatalf("%+v %v", got, err)
	}
}

// BenchmarkEmit is what a checkout's metrics line costs the request: one
// JSON encoding and one write (here to io.Discard).
func BenchmarkEmit(b *testing.B) {
	e := &Emitter{W: io.Discard}
	props := map[string]any{"outcome": "ok", "lines": 3}
	b.ReportAllocs()
	for b.Loop() {
		e.Emit("tnt_01JDZQ5V7K3M9P2R4T6W8Y0A1B", props, Value{Checkouts, Count, 1}, Value{CheckoutLatency, Milliseconds, 8.5},
			Value{CheckoutConflicts, Count, 0}, Value{CheckoutSequenceRetries, Count, 0})
	}
}
