package tenant

import (
	"context"
	"fmt"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/ids"
)

// Service manages a tenant's settings and locations. Authorization is the
// caller's job (the API checks the role table before calling).
type Service struct {
	Store Store
	Now   func() time.Time
}

// Get returns the tenant of ctx.
func (s *Service) Get(ctx context.Context) (Tenant, error) { return s.Store.GetTenant(ctx) }

// UpdateSettings validates and applies a settings change.
func (s *Service) UpdateSettings(ctx context.Context, in Settings) (Tenant, error) {
	return s.Store.UpdateTenant(ctx, func(t *Tenant) error { return in.Apply(t, s.Now().UTC()) })
}

// CreateLocation adds a location to the tenant.
func (s *Service) CreateLocation(ctx context.Context, name, timezone string) (Location, error) {
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

// Locations lists the tenant's locations, oldest first.
func (s *Service) Locations(ctx context.Context) ([]Location, error) {
	return s.Store.ListLocations(ctx)
}
