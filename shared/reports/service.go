package reports

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// Bounds of one summary.
const (
	MaxRows      = 1000 // rows of one summary (the cost table's declared bound)
	MaxRangeDays = 366  // days one summary may span
	// MaxSummaryLocations bounds a summary without a location: it reads
	// every location the caller may see (up to a plan's ~30 queries each),
	// and the cost model prices it at this many locations. A caller who may
	// see more asks per location (INVALID otherwise).
	MaxSummaryLocations = 50
	// readParallelism bounds the queries one summary has in flight.
	readParallelism = 16
)

// Item is one aggregate item as read: its sort key and figures.
type Item struct {
	SK      string
	Figures Figures
}

// Store reads and writes the aggregates of the tenant in ctx.
type Store interface {
	// ApplyMovement adds deltas to the aggregate items of a location once
	// per event id, however often the event is delivered.
	ApplyMovement(ctx context.Context, locationID, eventID string, deltas []Delta) error
	// Aggregates reads the items of one query of a location.
	Aggregates(ctx context.Context, locationID string, q Query) ([]Item, error)
	// AsOf is the time up to which the stream consumer has aggregated every
	// event; zero before it has finished a pass.
	AsOf(ctx context.Context) (time.Time, error)
}

// Tenants reads the tenant and its locations (the tenant store).
type Tenants interface {
	GetTenant(ctx context.Context) (tenant.Tenant, error)
	ListLocations(ctx context.Context) ([]tenant.Location, error)
	GetLocations(ctx context.Context, ids []string) ([]tenant.Location, error)
}

// Service answers sales summaries and aggregates movements.
type Service struct {
	Store   Store
	Tenants Tenants

	zones sync.Map // tenant|location → *time.Location, for the aggregator
}

// SummaryInput asks for a summary: [From, To) in whole hours, at one
// location or every location the caller may see.
type SummaryInput struct {
	From, To   time.Time
	LocationID string
	GroupBy    Grouping
}

// Row is one row of a summary.
type Row struct {
	Key string
	Figures
}

// Summary is a summary's rows, ordered by key, their currency (the
// tenant's), and the time the figures are complete up to.
type Summary struct {
	Rows     []Row
	Currency string
	AsOf     time.Time
}

// SalesSummary sums the aggregates of the range by the grouping's key.
// REPORTS_READ; a caller restricted to some locations sees only theirs.
func (s *Service) SalesSummary(ctx context.Context, in SummaryInput) (Summary, error) {
	p, err := identity.Require(ctx, identity.ReadReports)
	if err != nil {
		return Summary{}, err
	}
	if err := in.validate(); err != nil {
		return Summary{}, err
	}
	locs, err := s.locations(ctx, p, in.LocationID)
	if err != nil {
		return Summary{}, err
	}
	if len(locs) > MaxSummaryLocations {
		return Summary{}, apperr.Newf(apperr.Invalid, []string{"input", "locationId"},
			"a summary without locationId covers at most %d locations and you may see %d; ask per location", MaxSummaryLocations, len(locs))
	}
	type read struct {
		loc tenant.Location
		q   Query
	}
	var reads []read
	for _, l := range locs {
		zone, err := tenant.LoadZone(l.Timezone)
		if err != nil {
			return Summary{}, fmt.Errorf("location %s: %w", l.ID, err)
		}
		for _, q := range Plan(in.From, in.To, zone, in.GroupBy) {
			reads = append(reads, read{l, q})
		}
	}
	results := make([][]Item, len(reads))
	errs := make([]error, len(reads))
	sem := make(chan struct{}, readParallelism)
	var wg sync.WaitGroup
	for i, r := range reads {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			results[i], errs[i] = s.Store.Aggregates(ctx, r.loc.ID, r.q)
		})
	}
	var asOf time.Time
	var t tenant.Tenant
	var asOfErr, tenantErr error
	wg.Go(func() { asOf, asOfErr = s.Store.AsOf(ctx) })
	wg.Go(func() { t, tenantErr = s.Tenants.GetTenant(ctx) })
	wg.Wait()
	byKey := map[string]Figures{}
	for i, items := range results {
		if errs[i] != nil {
			return Summary{}, errs[i]
		}
		for _, it := range items {
			k, ok := RowKey(in.GroupBy, reads[i].loc.ID, it.SK)
			if !ok {
				continue
			}
			byKey[k] = byKey[k].Add(it.Figures.Times(reads[i].q.Sign))
		}
	}
	if err := errors.Join(asOfErr, tenantErr); err != nil {
		return Summary{}, err
	}
	if len(byKey) > MaxRows {
		return Summary{}, apperr.Newf(apperr.Invalid, []string{"input"},
			"the summary has more than %d rows; narrow the range or ask for one location", MaxRows)
	}
	out := Summary{Rows: make([]Row, 0, len(byKey)), Currency: t.Currency, AsOf: asOf}
	for k, f := range byKey {
		if f != (Figures{}) { // a key whose figures were all taken away again
			out.Rows = append(out.Rows, Row{Key: k, Figures: f})
		}
	}
	slices.SortFunc(out.Rows, func(a, b Row) int { return cmp.Compare(a.Key, b.Key) })
	return out, nil
}

func (in SummaryInput) validate() error {
	var errs apperr.List
	if !in.GroupBy.Valid() {
		errs.Add(apperr.Invalid, "unknown grouping", "input", "groupBy")
	}
	whole := func(t time.Time) bool { return t.Equal(t.Truncate(time.Hour)) }
	if !whole(in.From) {
		errs.Add(apperr.Invalid, "from must be a whole hour (figures are kept per hour)", "input", "from")
	}
	if !whole(in.To) {
		errs.Add(apperr.Invalid, "to must be a whole hour (figures are kept per hour)", "input", "to")
	}
	switch {
	case !in.From.Before(in.To):
		errs.Add(apperr.Invalid, "from must be before to", "input", "to")
	case in.To.Sub(in.From) > MaxRangeDays*24*time.Hour:
		errs.Add(apperr.Invalid, fmt.Sprintf("a summary spans at most %d days", MaxRangeDays), "input", "to")
	}
	return errs.Err()
}

// locations returns the locations the summary covers: the one asked for,
// or every location the caller may see.
func (s *Service) locations(ctx context.Context, p identity.Principal, id string) ([]tenant.Location, error) {
	if id == "" {
		all, err := s.Tenants.ListLocations(ctx)
		if err != nil {
			return nil, err
		}
		return slices.DeleteFunc(all, func(l tenant.Location) bool { return !p.CanUseLocation(l.ID) }), nil
	}
	if !p.CanUseLocation(id) {
		return nil, apperr.New(apperr.Forbidden, "you may not read this location's reports", "input", "locationId")
	}
	got, err := s.Tenants.GetLocations(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if len(got) == 0 {
		return nil, apperr.New(apperr.NotFound, "no such location", "input", "locationId")
	}
	return got, nil
}

// Aggregate adds one movement to the aggregates, once per event id. ctx
// carries the movement's tenant (the stream consumer sets it).
func (s *Service) Aggregate(ctx context.Context, m Movement) error {
	zone, err := s.zone(ctx, m.TenantID, m.LocationID)
	if err != nil {
		return err
	}
	return s.Store.ApplyMovement(ctx, m.LocationID, m.EventID, Deltas(m, zone))
}

// zone is the location's time zone, read once per process (a location's
// zone does not change).
func (s *Service) zone(ctx context.Context, tenantID, locationID string) (*time.Location, error) {
	k := tenantID + "|" + locationID
	if z, ok := s.zones.Load(k); ok {
		return z.(*time.Location), nil
	}
	got, err := s.Tenants.GetLocations(ctx, []string{locationID})
	if err != nil {
		return nil, fmt.Errorf("read location %s: %w", locationID, err)
	}
	if len(got) == 0 {
		return nil, fmt.Errorf("location %s of tenant %s not found", locationID, tenantID)
	}
	z, err := tenant.LoadZone(got[0].Timezone)
	if err != nil {
		return nil, err
	}
	s.zones.Store(k, z)
	return z, nil
}
