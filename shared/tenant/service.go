package tenant

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/text"
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

// maxRegisterReads bounds one GetRegisters call (a page of orders, or the
// registers of the locations in one response, read through a loader).
const maxRegisterReads = 1000

// CreateRegister adds a register to a location, numbered after its last
// one. It needs the permission that adds locations; a caller restricted
// to other locations is FORBIDDEN.
func (s *Service) CreateRegister(ctx context.Context, locationID, name string) (Register, error) {
	only, err := s.allow(ctx, ManageSettings)
	if err != nil {
		return Register{}, err
	}
	var errs apperr.List
	name = text.Name.Check(&errs, name, "input", "name")
	if !ids.Valid(ids.Location, locationID) {
		errs.Add(apperr.NotFound, "location not found", "input", "locationId")
	}
	if err := errs.Err(); err != nil {
		return Register{}, err
	}
	if len(only) > 0 && !slices.Contains(only, locationID) {
		return Register{}, apperr.New(apperr.Forbidden, "you may not work at this location", "input", "locationId")
	}
	now := s.Now().UTC()
	return s.Store.CreateRegister(ctx, locationID, func(n int) (Register, error) {
		return NewRegister(locationID, n, name, now)
	})
}

// DeactivateRegister stops a register from selling; its orders and numbers
// stay, and registers are never deleted. Deactivating again keeps the first
// time; the integration register is INVALID. Same permission as
// CreateRegister.
func (s *Service) DeactivateRegister(ctx context.Context, id string) (Register, error) {
	only, err := s.allow(ctx, ManageSettings)
	if err != nil {
		return Register{}, err
	}
	notFound := apperr.New(apperr.NotFound, "register not found", "input", "id")
	loc, n, ok := ParseRegisterID(id)
	if !ok {
		return Register{}, notFound
	}
	if len(only) > 0 && !slices.Contains(only, loc) {
		return Register{}, apperr.New(apperr.Forbidden, "you may not work at this location", "input", "id")
	}
	if n == IntegrationRegisterNumber {
		// Integrations number their orders there; it is not a till to retire.
		return Register{}, apperr.New(apperr.Invalid, "the integration register cannot be deactivated", "input", "id")
	}
	r, err := s.Store.DeactivateRegister(ctx, id, s.Now().UTC())
	if apperr.Is(err, apperr.NotFound) {
		return Register{}, notFound
	}
	return r, err
}

// Registers lists a location's registers by number, deactivated ones
// included: its POS registers, then its integration register. NOT_FOUND (top-level, on locationId) when the location is not
// the tenant's, or not the caller's when it is restricted to some locations.
func (s *Service) Registers(ctx context.Context, locationID string) ([]Register, error) {
	only, err := s.allow(ctx, ReadLocations)
	if err != nil {
		return nil, err
	}
	notFound := apperr.New(apperr.NotFound, "location not found", "locationId")
	if !ids.Valid(ids.Location, locationID) || (len(only) > 0 && !slices.Contains(only, locationID)) {
		return nil, notFound
	}
	ls, err := s.Store.GetLocations(ctx, []string{locationID})
	if err != nil {
		return nil, err
	}
	if len(ls) == 0 {
		return nil, notFound
	}
	rs, err := s.Store.GetRegisters(ctx, ls[0].RegisterIDs())
	if err != nil {
		return nil, err
	}
	slices.SortFunc(rs, func(a, b Register) int { return a.Number - b.Number })
	return rs, nil
}

// GetRegisters reads registers by id, in the order asked, once each; ids
// that are not the tenant's registers, or are at a location the caller may
// not see, are absent. Reading registers is reading locations.
func (s *Service) GetRegisters(ctx context.Context, registerIDs []string) ([]Register, error) {
	only, err := s.allow(ctx, ReadLocations)
	if err != nil {
		return nil, err
	}
	want := make([]string, 0, len(registerIDs))
	for _, id := range registerIDs {
		loc, _, ok := ParseRegisterID(id)
		if ok && !slices.Contains(want, id) && (len(only) == 0 || slices.Contains(only, loc)) {
			want = append(want, id)
		}
	}
	if len(want) == 0 {
		return []Register{}, nil
	}
	if len(want) > maxRegisterReads {
		return nil, apperr.Newf(apperr.Invalid, nil, "at most %d registers at once", maxRegisterReads)
	}
	got, err := s.Store.GetRegisters(ctx, want)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]Register, len(got))
	for _, r := range got {
		byID[r.ID] = r
	}
	out := make([]Register, 0, len(got))
	for _, id := range want {
		if r, ok := byID[id]; ok {
			out = append(out, r)
		}
	}
	return out, nil
}
