package integrations_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/integrations"
	"github.com/renkei-pos/renkei/shared/metrics"
)

func TestWorker_Metrics(t *testing.T) {
	e := newEnv(t)
	var buf bytes.Buffer
	e.worker.Metrics = &metrics.Emitter{W: &buf}
	in, id := e.pendingJob(t)
	j := e.job(t, id)
	e.clock.Advance(1500 * time.Millisecond)
	if out := e.handle(id, 1); !out.Ack {
		t.Fatalf("outcome %+v", out)
	}
	lines, err := metrics.Parse(buf.Bytes())
	if err != nil || len(lines) != 1 {
		t.Fatalf("%d lines (%v): %s", len(lines), err, buf.String())
	}
	l := lines[0]
	want := metrics.Millis(e.clock.Now().Sub(j.Event.CreatedAt))
	if l.Namespace != "Renkei" || l.Values[metrics.IntegrationLag] != want || want < 1500 || l.Units[metrics.IntegrationLag] != metrics.Milliseconds ||
		l.Props["tenant"] != e.tn.ID || l.Props["integration"] != in.ID || l.Props["outcome"] != "succeeded" {
		t.Fatalf("success line %+v, want lag %v", l, want)
	}
	if _, ok := l.Values[metrics.IntegrationJobsFailed]; ok {
		t.Fatal("a success counted as failed")
	}

	// A permanent failure: IntegrationJobsFailed 1, the name infra's alarm reads.
	buf.Reset()
	_, id = e.pendingJobOf(t, in)
	e.hook.setRun(failWith(integrations.Permanent(errors.New("refused"))))
	if out := e.handle(id, 1); !out.Ack {
		t.Fatalf("outcome %+v", out)
	}
	lines, err = metrics.Parse(buf.Bytes())
	if err != nil || len(lines) != 1 || lines[0].Values["IntegrationJobsFailed"] != 1 || lines[0].Units["IntegrationJobsFailed"] != "Count" || lines[0].Props["outcome"] != "failed" {
		t.Fatalf("failure lines %+v (%v): %s", lines, err, buf.String())
	}

	// A retryable failure is neither.
	buf.Reset()
	_, id = e.pendingJobOf(t, in)
	e.hook.setRun(failWith(errors.New("ERP answered 500")))
	if out := e.handle(id, 1); out.Ack {
		t.Fatalf("outcome %+v", out)
	}
	if buf.Len() != 0 {
		t.Fatalf("a retry wrote metrics: %s", buf.String())
	}
}

// pendingJobOf dispatches one more sale to in: its job's id.
func (e *env) pendingJobOf(t *testing.T, in integrations.Integration) (integrations.Event, string) {
	t.Helper()
	ev := e.event(integrations.EventOrderCompleted)
	e.dispatch(t, ev)
	return ev, deliverJob(in, ev)
}
