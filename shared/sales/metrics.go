package sales

import (
	"context"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/metrics"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// checkoutStats is what one checkout tells its metrics line: save (the
// retry loop) counts on it through the context.
type checkoutStats struct {
	conflicts       int // transactions cancelled by another sale, each retried
	sequenceRetries int // of which the register's number had moved
	written         bool
	replayed        bool
}

type statsKey struct{}

func statsFrom(ctx context.Context) *checkoutStats {
	st, _ := ctx.Value(statsKey{}).(*checkoutStats)
	if st == nil {
		return &checkoutStats{} // counted nowhere
	}
	return st
}

// Checkout sells (checkout, service.go) and writes one metrics line: the
// checkout's latency whatever its outcome, 1 checkout when a sale was
// written, and the conflicts and sequence retries it went through. The
// tenant and the outcome (ok, replayed or the error's code) are properties.
func (s *Service) Checkout(ctx context.Context, in CheckoutInput) (Order, error) {
	start := time.Now()
	st := &checkoutStats{}
	o, err := s.checkout(context.WithValue(ctx, statsKey{}, st), in)
	outcome := "ok"
	switch {
	case err != nil:
		outcome = string(apperr.CodeOf(err))
	case st.replayed || !st.written:
		outcome = "replayed"
	}
	written := 0.0
	if err == nil && st.written && !st.replayed {
		written = 1
	}
	tid, _ := tenant.IDFrom(ctx)
	metrics.Or(s.Metrics).Emit(tid, map[string]any{"outcome": outcome, "lines": len(in.Lines)},
		metrics.Value{Name: metrics.Checkouts, Unit: metrics.Count, Value: written},
		metrics.Value{Name: metrics.CheckoutLatency, Unit: metrics.Milliseconds, Value: metrics.Millis(time.Since(start))},
		metrics.Value{Name: metrics.CheckoutConflicts, Unit: metrics.Count, Value: float64(st.conflicts)},
		metrics.Value{Name: metrics.CheckoutSequenceRetries, Unit: metrics.Count, Value: float64(st.sequenceRetries)},
	)
	return o, err
}
