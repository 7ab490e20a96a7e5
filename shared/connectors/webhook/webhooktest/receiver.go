// Package webhooktest is a webhook endpoint for tests: it verifies every
// delivery's Renkei-Signature like a merchant's receiver should, records the
// verified ones, and can answer with faults (a status, a Retry-After, a
// hang) to exercise retries.
package webhooktest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/connectors/webhook"
)

// Delivery is one verified delivery.
type Delivery struct {
	ID, Type string      // the Renkei-Event-Id and Renkei-Event-Type headers
	Header   http.Header // every header received
	Body     []byte      // the raw body
	Event    Event       // the body, decoded
	Status   int         // what the receiver answered
	Received time.Time
}

// Event is a delivery's body.
type Event struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"createdAt"`
	TenantID  string          `json:"tenantId"`
	Data      json.RawMessage `json:"data"`
}

// Fault is how the receiver answers one request (after verifying it).
type Fault struct {
	Status     int    // the status to answer (0: 200)
	RetryAfter string // a Retry-After header value, if any
	Body       string // an answer body, if any
	// Hang holds the request until the client gives up (or the receiver
	// closes) and answers nothing.
	Hang bool
}

// Receiver is a running test endpoint.
type Receiver struct {
	srv *httptest.Server
	ch  chan Delivery

	mu        sync.Mutex
	secret    string
	faults    []Fault
	verified  []Delivery
	rejected  int
	requests  int
	hangs     chan struct{}
	tolerance time.Duration
}

// New starts a receiver on loopback (reachable by a connector in local
// mode) and closes it when the test ends. secret may be set later with
// SetSecret, once connectIntegration has returned it.
func New(tb testing.TB, secret string) *Receiver {
	tb.Helper()
	r := &Receiver{secret: secret, ch: make(chan Delivery, 1024), hangs: make(chan struct{}), tolerance: webhook.DefaultTolerance}
	r.srv = httptest.NewServer(r)
	tb.Cleanup(r.Close)
	return r
}

// URL is the endpoint's URL.
func (r *Receiver) URL() string { return r.srv.URL + "/hooks/renkei" }

// Close releases hanging requests and stops the server.
func (r *Receiver) Close() {
	r.mu.Lock()
	select {
	case <-r.hangs:
	default:
		close(r.hangs)
	}
	r.mu.Unlock()
	r.srv.Close()
}

// SetSecret sets the signing secret deliveries are verified with.
func (r *Receiver) SetSecret(secret string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secret = secret
}

// Inject queues faults: the next requests (verified or not) are answered
// with them in order; then 200 again.
func (r *Receiver) Inject(faults ...Fault) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.faults = append(r.faults, faults...)
}

// Deliveries is the stream of verified deliveries, whatever was answered.
func (r *Receiver) Deliveries() <-chan Delivery { return r.ch }

// Verified returns the verified deliveries so far.
func (r *Receiver) Verified() []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Delivery(nil), r.verified...)
}

// Rejected is how many requests failed verification (answered 400).
func (r *Receiver) Rejected() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rejected
}

// Requests is how many requests arrived.
func (r *Receiver) Requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests
}

// Wait returns the next verified delivery that was answered 2xx, failing
// the test after timeout.
func (r *Receiver) Wait(tb testing.TB, timeout time.Duration) Delivery {
	tb.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case d := <-r.ch:
			if d.Status >= 200 && d.Status < 300 {
				return d
			}
		case <-deadline:
			tb.Fatalf("webhooktest: no accepted delivery within %s (%d requests, %d rejected)", timeout, r.Requests(), r.Rejected())
			return Delivery{}
		}
	}
}

// ServeHTTP verifies and records a delivery.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	r.mu.Lock()
	r.requests++
	secret, tolerance := r.secret, r.tolerance
	var f Fault
	if len(r.faults) > 0 {
		f, r.faults = r.faults[0], r.faults[1:]
	}
	r.mu.Unlock()

	var ev Event
	if err == nil {
		err = webhook.Verify(secret, req.Header.Get(webhook.SignatureHeader), body, time.Now(), tolerance)
	}
	if err == nil {
		err = json.Unmarshal(body, &ev)
	}
	if err == nil && (req.Method != http.MethodPost || req.Header.Get(webhook.EventIDHeader) != ev.ID || req.Header.Get(webhook.EventTypeHeader) != ev.Type) {
		err = errMismatch
	}
	if err != nil {
		r.mu.Lock()
		r.rejected++
		r.mu.Unlock()
		http.Error(w, "signature verification failed", http.StatusBadRequest)
		return
	}
	if f.Hang {
		select {
		case <-req.Context().Done():
		case <-r.hangs:
		}
		return
	}
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	d := Delivery{ID: ev.ID, Type: ev.Type, Header: req.Header.Clone(), Body: body, Event: ev, Status: status, Received: time.Now()}
	r.mu.Lock()
	r.verified = append(r.verified, d)
	r.mu.Unlock()
	select {
	case r.ch <- d:
	default: // a test that does not read the stream still gets Verified()
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(status)
	if f.Body != "" {
		_, _ = io.WriteString(w, f.Body)
	} else {
		_, _ = io.WriteString(w, strconv.Itoa(status))
	}
}

type mismatchError struct{}

func (mismatchError) Error() string { return "webhooktest: headers do not match the body" }

var errMismatch error = mismatchError{}
