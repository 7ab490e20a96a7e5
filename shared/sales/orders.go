package sales

import (
	"context"
	"slices"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
)

// Order reads one order. An order that is not the tenant's, or is at a
// location the caller may not work at, is NOT_FOUND.
func (s *Service) Order(ctx context.Context, id string) (Order, error) {
	p, err := identity.Require(ctx, identity.ReadOrders)
	if err != nil {
		return Order{}, err
	}
	notFound := apperr.New(apperr.NotFound, "order not found")
	if id == "" || len(id) > maxIDLen {
		return Order{}, notFound
	}
	o, err := s.Store.GetOrder(ctx, id)
	if err != nil {
		return Order{}, err
	}
	if !p.CanUseLocation(o.LocationID) {
		return Order{}, notFound
	}
	return o, nil
}

// Orders lists orders newest first. A caller restricted to some locations
// lists only theirs: the filter is narrowed to them, and a filter naming only
// other locations lists nothing (as for a location that does not exist).
func (s *Service) Orders(ctx context.Context, f OrderFilter, first int, after string) ([]Order, string, error) {
	p, err := identity.Require(ctx, identity.ReadOrders)
	if err != nil {
		return nil, "", err
	}
	if f.Status != "" && !f.Status.Valid() {
		return nil, "", apperr.New(apperr.Invalid, "unknown status", "filter", "status")
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		return nil, "", apperr.New(apperr.Invalid, "to must not be before from", "filter", "to")
	}
	if f.CustomerID != "" && !ids.Valid(CustomerIDPrefix, f.CustomerID) {
		return []Order{}, "", nil
	}
	named := len(f.LocationIDs) > 0
	f.LocationIDs = visibleLocations(f.LocationIDs, p)
	if named && len(f.LocationIDs) == 0 {
		return []Order{}, "", nil
	}
	return s.Store.ListOrders(ctx, f, first, after)
}

// visibleLocations is the set of locations a listing may read: those asked
// (all when none) that exist as ids and that the caller may work at.
func visibleLocations(asked []string, p identity.Principal) []string {
	if len(asked) == 0 {
		return slices.Clone(p.LocationIDs)
	}
	out := make([]string, 0, len(asked))
	for _, id := range asked {
		if ids.Valid(ids.Location, id) && p.CanUseLocation(id) && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
