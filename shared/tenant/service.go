package tenant

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/ids"
)

// Action is something a caller may ask of the tenant service.
type Action int

// The actions the service asks Access about.
const (
	// ReadTenant: the tenant's name and settings, which every authenticated
	// caller of the tenant needs (prices, tax, receipts).
	ReadTenant Action = iota + 1
	// ReadLocations: the tenant's locations, as far as the caller may work
	// at them.
	ReadLocations
	// ManageSettings: change settings, add locations.
	ManageSettings
)

// Access answers for the caller in ctx. Package identity implements it from
// the authenticated principal and the role table (identity imports tenant, so
// the service cannot ask identity directly).
type Access interface {
	// Allow returns nil and the locations the caller is restricted to (empty:
	// every location) when it may do a; UNAUTHENTICATED or FORBIDDEN
	// otherwise.
	Allow(ctx context.Context, a Action) (locationIDs []string, err error)
}

// Service manages a tenant's settings and locations. Every method asks Access
// before it touches the store.
type Service struct {
	Store  Store
	Access Access
	Now    func() time.Time
}

func (s *Service) allow(ctx context.Context, a Action) ([]string, error) {
	if s.Access == nil {
		return nil, fmt.Errorf("tenant service without an access policy") // fail closed
	}
	return s.Access.Allow(ctx, a)
}

// Get returns the tenant of ctx.
func (s *Service) Get(ctx context.Context) (Tenant, error) {
	if _, err := s.allow(ctx, ReadTenant); err != nil {
		return Tenant{}, err
	}
	return s.Store.GetTenant(ctx)
}

// UpdateSettings validates and applies a settings change.
func (s *Service) UpdateSettings(ctx context.Context, in Settings) (Tenant, error) {
	if _, err := s.allow(ctx, ManageSettings); err != nil {
		return Tenant{}, err
	}
	return s.Store.UpdateTenant(ctx, func(t *Tenant) error { return in.Apply(t, s.Now().UTC()) })
}

// CreateLocation adds a location to the tenant.
func (s *Service) CreateLocation(ctx context.Context, name, timezone string) (Location, error) {
	if _, err := s.allow(ctx, ManageSettings); err != nil {
		return Location{}, err
	}
	t, err := s.Store.GetTenant(ctx)
	if err != nil {
		return Location{}, err
	}
	now := s.Now().UTC()
	l, err := NewLocation(ids.NewAt(ids.Location, now), name, timezone, t, now)
	if err != nil {
		return Location{}, err
	}
	existing, err := s.Store.ListLocations(ctx)
	if err != nil {
		return Location{}, fmt.Errorf("count locations: %w", err)
	}
	if len(existing) >= MaxLocations {
		return Location{}, apperr.Newf(apperr.Invalid, nil, "a tenant may have at most %d locations", MaxLocations)
	}
	l, err = s.Store.CreateLocation(ctx, l)
	if err != nil {
		return Location{}, fmt.Errorf("create location: %w", err)
	}
	return l, nil
}

// Locations lists the tenant's locations, oldest first. A caller restricted
// to some locations sees only those: to it, the tenant has no others.
func (s *Service) Locations(ctx context.Context) ([]Location, error) {
	only, err := s.allow(ctx, ReadLocations)
	if err != nil {
		return nil, err
	}
	ls, err := s.Store.ListLocations(ctx)
	if err != nil {
		return nil, err
	}
	return visible(ls, only), nil
}

// GetLocations reads locations by id, in the order asked, once each; ids
// that are not the tenant's, or not the caller's when it is restricted to
// some locations, are absent.
func (s *Service) GetLocations(ctx context.Context, locationIDs []string) ([]Location, error) {
	only, err := s.allow(ctx, ReadLocations)
	if err != nil {
		return nil, err
	}
	want := make([]string, 0, len(locationIDs))
	for _, id := range locationIDs {
		if ids.Valid(ids.Location, id) && !slices.Contains(want, id) && (len(only) == 0 || slices.Contains(only, id)) {
			want = append(want, id)
		}
	}
	if len(want) == 0 {
		return []Location{}, nil
	}
	if len(want) > MaxLocations {
		return nil, apperr.Newf(apperr.Invalid, nil, "at most %d locations at once", MaxLocations)
	}
	got, err := s.Store.GetLocations(ctx, want)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]Location, len(got))
	for _, l := range got {
		byID[l.ID] = l
	}
	out := make([]Location, 0, len(got))
	for _, id := range want {
		if l, ok := byID[id]; ok {
			out = append(out, l)
		}
	}
	return out, nil
}

// visible keeps the locations a caller restricted to only may see (all of
// them when only is empty).
func visible(ls []Location, only []string) []Location {
	if len(only) == 0 {
		return ls
	}
	out := make([]Location, 0, len(only))
	for _, l := range ls {
		if slices.Contains(only, l.ID) {
			out = append(out, l)
		}
	}
	return out
}
