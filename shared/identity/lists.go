package identity

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// MaxStaff bounds the staff one tenant keeps (deactivated ones included):
// createStaff refuses the next one, and the staff list holds at most this
// many. MaxAPIKeys does the same for API keys.
const MaxStaff = 500

// Lister lists and counts the tenant's staff and API keys (the tenant in
// ctx). Lists return at most limit items, in no particular order.
type Lister interface {
	ListUsers(ctx context.Context, limit int) ([]User, error)
	ListAPIKeys(ctx context.Context, limit int) ([]APIKey, error)
	CountUsers(ctx context.Context) (int, error)
	CountAPIKeys(ctx context.Context) (int, error)
}

// Staff lists the tenant's staff, deactivated ones included, by name (then
// email): the people a manager may act on (DeactivateStaff: OWNER and
// MANAGER). A caller restricted to some locations sees, as DeactivateStaff
// lets them act on, only the staff restricted to locations among theirs
// (themselves included).
func (s *Service) Staff(ctx context.Context) ([]User, error) {
	p, err := Require(ctx, DeactivateStaff)
	if err != nil {
		return nil, err
	}
	all, err := s.Store.ListUsers(ctx, MaxStaff)
	if err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	out := make([]User, 0, len(all))
	for _, u := range all {
		if withinLocations(p.LocationIDs, u.LocationIDs) {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b User) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Email, b.Email), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// APIKeys lists the tenant's API keys, revoked ones included, newest first
// (ManageAPIKeys: OWNER), with their secrets' hashes removed. A caller
// restricted to some locations sees only the keys bound to registers at
// those locations (the keys it could have created).
func (s *Service) APIKeys(ctx context.Context) ([]APIKey, error) {
	p, err := Require(ctx, ManageAPIKeys)
	if err != nil {
		return nil, err
	}
	all, err := s.Store.ListAPIKeys(ctx, MaxAPIKeys)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	out := make([]APIKey, 0, len(all))
	for _, k := range all {
		if len(p.LocationIDs) > 0 {
			loc, _, ok := tenant.ParseRegisterID(k.RegisterID)
			if !ok || !p.CanUseLocation(loc) {
				continue
			}
		}
		k.SecretHash = ""
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b APIKey) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
	return out, nil
}

// checkRoom refuses a new staff member or API key past its bound (counted
// before the write: two creations racing at the very bound may both pass).
func checkRoom(ctx context.Context, count func(context.Context) (int, error), bound int, what string) error {
	n, err := count(ctx)
	if err != nil {
		return fmt.Errorf("count %s: %w", what, err)
	}
	if n >= bound {
		return apperr.Newf(apperr.Invalid, nil, "a business may have at most %d %s (deactivated or revoked ones included)", bound, what)
	}
	return nil
}
