package identity

import (
	"context"
	"fmt"

	"github.com/renkei-pos/renkei/shared/tenant"
)

// TenantAccess is the role table as the tenant service asks it (tenant
// cannot import identity, so it declares tenant.Access and this implements it).
type TenantAccess struct{}

var _ tenant.Access = TenantAccess{}

// Allow answers for the principal in ctx: reading the tenant needs only
// authentication, reading locations ReadLocations, changing settings or
// adding locations ManageSettings.
func (TenantAccess) Allow(ctx context.Context, a tenant.Action) ([]string, error) {
	var p Principal
	var err error
	switch a {
	case tenant.ReadTenant:
		p, err = PrincipalFrom(ctx)
	case tenant.ReadLocations:
		p, err = Require(ctx, ReadLocations)
	case tenant.ManageSettings:
		p, err = Require(ctx, ManageSettings)
	default:
		return nil, fmt.Errorf("tenant access: unknown action %d", a)
	}
	if err != nil {
		return nil, err
	}
	return p.LocationIDs, nil
}
