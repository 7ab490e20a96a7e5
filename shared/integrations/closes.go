package integrations

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/renkei-pos/renkei/shared/identity"
)

// Which accounting jobs carry a close: the console's list of closes shows,
// for each close revision, whether it reached the accounting integrations
// (freee) and how. A close revision reaches an accounting integration
// through a POST_DAILY_SALES job made from its register.closed event (the
// dispatcher's) or from a resync (the connector's Sync, with an event id of
// its own). Either way the job's event carries the close (closeId in its
// data) and was created at the close's ClosedAt (a job's CreatedAt is its
// event's), so the jobs of a list of closes are found by one Query per
// accounting integration of its jobs by creation time (gsi2), bounded by
// the closes' earliest and latest ClosedAt: no id is guessed, and closes
// made before this listing existed are found as well.

// MaxCloseDeliveries bounds the deliveries listed for one close: up to two
// jobs (the event's, a resync's) for each of two accounting integrations.
const MaxCloseDeliveries = 4

// maxWindowJobs bounds the jobs one integration's window read returns.
const maxWindowJobs = 5000

// Accounting reports whether the provider posts closes to accounting.
func (p Provider) Accounting() bool { return p == Freee }

// CloseRef names a close revision: its id and when it was closed (the
// time of its register.closed event, and so of its jobs).
type CloseRef struct {
	ID       string
	ClosedAt time.Time
}

// CloseDelivery is one accounting integration's job carrying a close
// revision.
type CloseDelivery struct {
	Integration Integration
	Job         Job
}

// CloseJobReader reads an integration's jobs by creation time.
type CloseJobReader interface {
	// JobsCreatedBetween returns up to limit of the integration's jobs of
	// kind created in [from, to], oldest first.
	JobsCreatedBetween(ctx context.Context, integrationID, kind string, from, to time.Time, limit int) ([]Job, error)
}

// CloseDeliveries returns, by close id, the accounting integrations' jobs
// that carry each close revision (ReadIntegrations): in the integrations'
// creation order, each one's most recently updated job first, at most
// MaxCloseDeliveries per close. A close no job carries yet (not
// dispatched yet, dated before the integration's startDate, or a register's
// close, which accounting does not post) has none. Storage: one Query of
// the integrations, then one Query (with the table reads of its index
// entries) per accounting integration.
func (s *Service) CloseDeliveries(ctx context.Context, closes []CloseRef) (map[string][]CloseDelivery, error) {
	if _, err := identity.Require(ctx, identity.ReadIntegrations); err != nil {
		return nil, err
	}
	out := map[string][]CloseDelivery{}
	if len(closes) == 0 {
		return out, nil
	}
	from, to := closes[0].ClosedAt, closes[0].ClosedAt
	want := make(map[string]bool, len(closes))
	for _, c := range closes {
		want[c.ID] = true
		from, to = minTime(from, c.ClosedAt), maxTime(to, c.ClosedAt)
	}
	list, err := s.Store.ListIntegrations(ctx)
	if err != nil {
		return nil, err
	}
	for _, in := range list {
		if !in.Provider.Accounting() {
			continue
		}
		// A millisecond either side: times pass through text on the way.
		jobs, err := s.Store.JobsCreatedBetween(ctx, in.ID, KindPostDailySales, from.Add(-time.Millisecond), to.Add(time.Millisecond), maxWindowJobs)
		if err != nil {
			return nil, err
		}
		type carried struct {
			closeID string
			CloseDelivery
		}
		var mine []carried
		for _, j := range jobs {
			var d struct {
				CloseID string `json:"closeId"`
			}
			if json.Unmarshal(j.Event.Data, &d) == nil && want[d.CloseID] {
				mine = append(mine, carried{d.CloseID, CloseDelivery{Integration: in, Job: j}})
			}
		}
		slices.SortStableFunc(mine, func(a, b carried) int {
			return cmp.Or(b.Job.UpdatedAt.Compare(a.Job.UpdatedAt), cmp.Compare(a.Job.ID, b.Job.ID))
		})
		for _, c := range mine {
			if len(out[c.closeID]) < MaxCloseDeliveries {
				out[c.closeID] = append(out[c.closeID], c.CloseDelivery)
			}
		}
	}
	return out, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
