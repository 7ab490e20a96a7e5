package identity

import (
	"context"
	"fmt"
	"slices"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/ids"
)

// DeactivateStaff stops a staff member of the tenant in ctx: their log-ins
// and refreshes are refused from now on and every session they have is
// revoked, so their access tokens stop at once on this process and within
// Config.SessionCheckTTL on the others. A MANAGER may not deactivate an
// OWNER, a caller restricted to some locations may deactivate only staff
// restricted to those, and nobody may deactivate themselves. Deactivating
// twice is harmless (and finishes a revocation an outage interrupted);
// refused input writes nothing.
func (s *Service) DeactivateStaff(ctx context.Context, id string) (User, error) {
	p, err := Require(ctx, DeactivateStaff)
	if err != nil {
		return User{}, err
	}
	notFound := apperr.New(apperr.NotFound, "staff member not found", "input", "id")
	if !ids.Valid(ids.User, id) {
		return User{}, notFound
	}
	if id == p.UserID {
		return User{}, apperr.New(apperr.Invalid, "you cannot deactivate yourself", "input", "id")
	}
	u, err := s.Store.GetUser(ctx, id)
	if apperr.Is(err, apperr.NotFound) {
		return User{}, notFound
	}
	if err != nil {
		return User{}, fmt.Errorf("get user: %w", err)
	}
	if u.Role == Owner && p.Role != Owner {
		return User{}, apperr.New(apperr.Forbidden, "only an owner can deactivate an owner", "input", "id")
	}
	if !withinLocations(p.LocationIDs, u.LocationIDs) {
		return User{}, apperr.New(apperr.Forbidden, "this staff member works at locations you are not assigned to", "input", "id")
	}
	now := s.Now().UTC()
	if u.DeactivatedAt == nil {
		if u, err = s.Store.DeactivateUser(ctx, u, p.UserID, now); err != nil {
			return User{}, err
		}
	}
	sids, err := s.Store.RevokeUserSessions(ctx, id)
	for _, sid := range sids {
		s.sessions().revoked(sid, now)
	}
	if err != nil {
		return User{}, fmt.Errorf("revoke sessions of %s: %w", id, err)
	}
	return u, nil
}

// withinLocations reports whether a caller restricted to mine (empty: all)
// may act on someone restricted to theirs (empty: all).
func withinLocations(mine, theirs []string) bool {
	if len(mine) == 0 {
		return true
	}
	if len(theirs) == 0 {
		return false
	}
	for _, l := range theirs {
		if !slices.Contains(mine, l) {
			return false
		}
	}
	return true
}
