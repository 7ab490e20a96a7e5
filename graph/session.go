package graph

import (
	"context"

	graphql "github.com/graph-gophers/graphql-go"
)

// Session and staff-access mutations. The identity service checks the
// caller (EndSession for logOut, DeactivateStaff for deactivateStaff).

type logOutPayload struct {
	LoggedOut  bool
	UserErrors []*userError
}

// LogOut ends the caller's session.
func (r *Resolver) LogOut(ctx context.Context) (*logOutPayload, error) {
	if err := r.svc.Identity.LogOut(ctx); err != nil {
		ue, err := userErrors(ctx, err)
		return &logOutPayload{UserErrors: ue}, err
	}
	return &logOutPayload{LoggedOut: true, UserErrors: []*userError{}}, nil
}

// DeactivateStaff stops a staff member's access (OWNER, MANAGER).
func (r *Resolver) DeactivateStaff(ctx context.Context, args idArgs) (*staffPayload, error) {
	u, err := r.svc.Identity.DeactivateStaff(ctx, string(args.Input.ID))
	if err != nil {
		ue, err := userErrors(ctx, err)
		return &staffPayload{UserErrors: ue}, err
	}
	return &staffPayload{User: &userResolver{u}, UserErrors: []*userError{}}, nil
}

// DeactivatedAt is when deactivateStaff stopped the user's access.
func (r *userResolver) DeactivatedAt() *graphql.Time {
	if r.u.DeactivatedAt == nil {
		return nil
	}
	return timePtr(graphql.Time{Time: *r.u.DeactivatedAt})
}
