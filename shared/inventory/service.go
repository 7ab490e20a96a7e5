package inventory

import (
	"context"
	"errors"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/backoff"
	"github.com/renkei-pos/renkei/shared/identity"
)

// Store is the persistence the ledger needs. Every method works in the
// tenant of ctx only.
type Store interface {
	// Load reads everything in q in one round trip. When q's idempotency key
	// was already used it returns a replay (same request) or
	// IDEMPOTENCY_KEY_REUSED (another request).
	Load(ctx context.Context, q Lookup) (Snapshot, error)
	// Apply writes w in one transaction: each update only if its level still
	// has the read version (ErrStale otherwise), leaving the ledger entry
	// inventory.changed is derived from, and the idempotency record holding
	// the resulting levels. A key already used returns the stored levels and
	// replayed=true.
	Apply(ctx context.Context, w Write) (levels []StockLevel, replayed bool, err error)
	// ListLevels returns the written levels at a location by variant id, at
	// most limit of them.
	ListLevels(ctx context.Context, locationID string, limit int) ([]StockLevel, error)
}

// ErrStale is Apply's answer when a level changed after it was read.
var ErrStale = errors.New("inventory: a stock level changed since it was read")

// Retries of a write whose levels changed concurrently (full jitter).
const (
	DefaultAttempts = 10
)

// Service reads and changes stock. Every method checks the caller's
// permission and location restriction before it touches the store: a
// location the caller may not work at does not exist for its reads, and is
// FORBIDDEN for its writes.
type Service struct {
	Store Store
	Now   func() time.Time
	// Attempts bounds the re-reads of a write that lost a race (0: DefaultAttempts).
	Attempts int
}

// Levels returns the levels of the given variants at a location, in the
// order asked (ids that are not the tenant's variants are left out; a level
// never written is 0), or, without variantIDs, every level written at the
// location whose variant is still in the catalog, by variant id, at most
// MaxLocationLevels. Stock.Variants holds the ledger's view of every
// returned level's variant.
func (s *Service) Levels(ctx context.Context, locationID string, variantIDs []string) (Stock, error) {
	p, err := identity.Require(ctx, identity.ReadInventory)
	if err != nil {
		return Stock{}, err
	}
	notFound := apperr.New(apperr.NotFound, "location not found", "locationId")
	if !plausibleID(locationID) || !p.CanUseLocation(locationID) {
		return Stock{}, notFound
	}
	if variantIDs == nil {
		return s.locationLevels(ctx, locationID, notFound)
	}
	ids, err := validateRead(variantIDs)
	if err != nil {
		return Stock{}, err
	}
	q := Lookup{LocationIDs: []string{locationID}}
	for _, id := range ids {
		if plausibleID(id) {
			q.VariantIDs = append(q.VariantIDs, id)
			q.Levels = append(q.Levels, LevelKey{locationID, id})
		}
	}
	snap, err := s.Store.Load(ctx, q)
	if err != nil {
		return Stock{}, err
	}
	if _, ok := snap.Locations[locationID]; !ok {
		return Stock{}, notFound
	}
	out := Stock{Levels: make([]StockLevel, 0, len(q.VariantIDs)), Locations: snap.Locations, Variants: snap.Variants}
	for _, id := range q.VariantIDs {
		if _, ok := snap.Variants[id]; ok {
			out.Levels = append(out.Levels, snap.Level(LevelKey{locationID, id}))
		}
	}
	return out, nil
}

// locationLevels lists a location's written levels, then reads the location
// and the levels' variants in one batched read, leaving out levels whose
// variant is gone from the catalog.
func (s *Service) locationLevels(ctx context.Context, locationID string, notFound error) (Stock, error) {
	levels, err := s.Store.ListLevels(ctx, locationID, MaxLocationLevels)
	if err != nil {
		return Stock{}, err
	}
	q := Lookup{LocationIDs: []string{locationID}, VariantIDs: make([]string, 0, len(levels))}
	for _, l := range levels {
		q.VariantIDs = append(q.VariantIDs, l.VariantID)
	}
	snap, err := s.Store.Load(ctx, q)
	if err != nil {
		return Stock{}, err
	}
	if _, ok := snap.Locations[locationID]; !ok {
		return Stock{}, notFound
	}
	out := Stock{Levels: make([]StockLevel, 0, len(levels)), Locations: snap.Locations, Variants: snap.Variants}
	for _, l := range levels {
		if _, ok := snap.Variants[l.VariantID]; ok {
			out.Levels = append(out.Levels, l)
		}
	}
	return out, nil
}

// Adjust applies an adjustment once per idempotency key and returns the
// resulting levels (the original ones on a replay).
func (s *Service) Adjust(ctx context.Context, in AdjustInput) (Stock, error) {
	if err := requireAt(ctx, identity.WriteInventory, place{in.LocationID, "locationId"}); err != nil {
		return Stock{}, err
	}
	if err := in.Validate(); err != nil {
		return Stock{}, err
	}
	return s.write(ctx, in.Lookup(), func(snap Snapshot, at time.Time) (Write, error) { return PlanAdjust(in, snap, at) })
}

// Transfer moves stock between two locations in one transaction, once per
// idempotency key, and returns the resulting levels of both sides.
func (s *Service) Transfer(ctx context.Context, in TransferInput) (Stock, error) {
	if err := requireAt(ctx, identity.WriteInventory, place{in.FromLocationID, "fromLocationId"}, place{in.ToLocationID, "toLocationId"}); err != nil {
		return Stock{}, err
	}
	if err := in.Validate(); err != nil {
		return Stock{}, err
	}
	return s.write(ctx, in.Lookup(), func(snap Snapshot, at time.Time) (Write, error) { return PlanTransfer(in, snap, at) })
}

// write reads, plans and writes; a level changed in between (ErrStale) means
// a concurrent change won, so it re-reads and plans again.
func (s *Service) write(ctx context.Context, q Lookup, plan func(Snapshot, time.Time) (Write, error)) (Stock, error) {
	attempts := s.Attempts
	if attempts <= 0 {
		attempts = DefaultAttempts
	}
	for attempt := 0; ; attempt++ {
		snap, err := s.Store.Load(ctx, q)
		if err != nil {
			return Stock{}, err
		}
		if snap.Replayed {
			return Stock{Levels: snap.Replay, Locations: snap.Locations, Variants: snap.Variants}, nil
		}
		w, err := plan(snap, s.Now().UTC())
		if err != nil {
			return Stock{}, err
		}
		levels, _, err := s.Store.Apply(ctx, w)
		if err == nil {
			return Stock{Levels: levels, Locations: snap.Locations, Variants: snap.Variants}, nil
		}
		if !errors.Is(err, ErrStale) {
			return Stock{}, err
		}
		if attempt+1 >= attempts {
			return Stock{}, apperr.Wrap(err, apperr.Unavailable, backoff.Busy)
		}
		if err := backoff.Contention.Wait(ctx, attempt); err != nil {
			return Stock{}, err
		}
	}
}

// place is a location a write acts at and the input field naming it.
type place struct{ locationID, field string }

// requireAt returns FORBIDDEN unless the caller holds perm and may work at
// every location named.
func requireAt(ctx context.Context, perm identity.Permission, locs ...place) error {
	p, err := identity.Require(ctx, perm)
	if err != nil {
		return err
	}
	for _, l := range locs {
		if !p.CanUseLocation(l.locationID) {
			return apperr.New(apperr.Forbidden, "you may only act at your assigned locations", "input", l.field)
		}
	}
	return nil
}
