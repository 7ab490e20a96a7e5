package graph

import (
	"context"
	"errors"
	"time"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/renkei-pos/renkei/shared/giftcards"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// ---- types

type tenantResolver struct{ t tenant.Tenant }

func (r *tenantResolver) ID() graphql.ID           { return graphql.ID(r.t.ID) }
func (r *tenantResolver) BusinessName() string     { return r.t.BusinessName }
func (r *tenantResolver) Currency() string         { return r.t.Currency }
func (r *tenantResolver) Timezone() string         { return r.t.Timezone }
func (r *tenantResolver) PricesIncludeTax() bool   { return r.t.PricesIncludeTax }
func (r *tenantResolver) TaxRounding() string      { return string(r.t.TaxRounding) }
func (r *tenantResolver) AllowNegativeStock() bool { return r.t.AllowNegativeStock }

func (r *tenantResolver) GiftCardValidityMonths() int32 {
	return int32(giftcards.EffectiveValidityMonths(r.t.GiftCardValidityMonths))
}
func (r *tenantResolver) CreatedAt() graphql.Time { return graphql.Time{Time: r.t.CreatedAt} }
func (r *tenantResolver) InvoiceRegistrationNumber() *string {
	return strPtr(r.t.InvoiceRegistrationNumber)
}

type userResolver struct{ u identity.User }

func (r *userResolver) ID() graphql.ID { return graphql.ID(r.u.ID) }
func (r *userResolver) Email() string  { return r.u.Email }
func (r *userResolver) Name() string   { return r.u.Name }
func (r *userResolver) Role() string   { return string(r.u.Role) }
func (r *userResolver) LocationIds() []graphql.ID {
	out := make([]graphql.ID, len(r.u.LocationIDs))
	for i, id := range r.u.LocationIDs {
		out[i] = graphql.ID(id)
	}
	return out
}

type apiKeyResolver struct{ k identity.APIKey }

func (r *apiKeyResolver) ID() graphql.ID          { return graphql.ID(r.k.ID) }
func (r *apiKeyResolver) Name() string            { return r.k.Name }
func (r *apiKeyResolver) CreatedAt() graphql.Time { return graphql.Time{Time: r.k.CreatedAt} }
func (r *apiKeyResolver) Scopes() []string {
	out := make([]string, len(r.k.Scopes))
	for i, s := range r.k.Scopes {
		out[i] = string(s)
	}
	return out
}
func (r *apiKeyResolver) RevokedAt() *graphql.Time {
	if r.k.RevokedAt == nil {
		return nil
	}
	return timePtr(graphql.Time{Time: *r.k.RevokedAt})
}

type locationResolver struct{ l tenant.Location }

func (r *locationResolver) ID() graphql.ID   { return graphql.ID(r.l.ID) }
func (r *locationResolver) Name() string     { return r.l.Name }
func (r *locationResolver) Timezone() string { return r.l.Timezone }

type viewerResolver struct{ v identity.Viewer }

func (r *viewerResolver) Tenant() *tenantResolver { return &tenantResolver{r.v.Tenant} }
func (r *viewerResolver) User() *userResolver {
	if r.v.User == nil {
		return nil
	}
	return &userResolver{*r.v.User}
}
func (r *viewerResolver) ApiKey() *apiKeyResolver {
	if r.v.APIKey == nil {
		return nil
	}
	return &apiKeyResolver{*r.v.APIKey}
}

// ---- queries

// Me returns the caller (any credential; the service checks).
func (r *Resolver) Me(ctx context.Context) (*viewerResolver, error) {
	v, err := r.svc.Identity.Me(ctx)
	if err != nil {
		return nil, top(ctx, err)
	}
	return &viewerResolver{v}, nil
}

// Locations lists the tenant's locations; a caller restricted to some
// locations sees only those (the service checks).
func (r *Resolver) Locations(ctx context.Context) ([]*locationResolver, error) {
	ls, err := r.svc.Tenants.Locations(ctx)
	if err != nil {
		return nil, top(ctx, err)
	}
	out := make([]*locationResolver, len(ls))
	for i, l := range ls {
		out[i] = &locationResolver{l}
	}
	return out, nil
}

// ---- sessions (public)

type sessionPayload struct {
	res        *identity.SessionResult
	UserErrors []*userError
	// RetryAfterSeconds is set when logIn refused the attempt unchecked.
	RetryAfterSeconds *int32
}

func (p *sessionPayload) AccessToken() *string {
	if p.res == nil {
		return nil
	}
	return &p.res.AccessToken
}
func (p *sessionPayload) RefreshToken() *string {
	if p.res == nil || p.res.RefreshToken == "" { // cookie mode: in the cookie (authcookie.go)
		return nil
	}
	return &p.res.RefreshToken
}
func (p *sessionPayload) ExpiresAt() *graphql.Time {
	if p.res == nil {
		return nil
	}
	return timePtr(graphql.Time{Time: p.res.ExpiresAt})
}
func (p *sessionPayload) User() *userResolver {
	if p.res == nil {
		return nil
	}
	return &userResolver{p.res.User}
}
func (p *sessionPayload) Tenant() *tenantResolver {
	if p.res == nil {
		return nil
	}
	return &tenantResolver{p.res.Tenant}
}

func sessionResult(ctx context.Context, res identity.SessionResult, err error) (*sessionPayload, error) {
	if err != nil {
		var p sessionPayload
		var limited *identity.LoginLimited
		if errors.As(err, &limited) {
			secs := int32(limited.RetryAfter / time.Second)
			p.RetryAfterSeconds = &secs
		}
		p.UserErrors, err = userErrors(ctx, err)
		return &p, err
	}
	return &sessionPayload{res: &res, UserErrors: []*userError{}}, nil
}

type signUpArgs struct {
	Input struct {
		BusinessName, Email, Password, OwnerName string
		Currency, Timezone                       *string
	}
}

// SignUp opens a merchant account.
func (r *Resolver) SignUp(ctx context.Context, args signUpArgs) (*sessionPayload, error) {
	in := args.Input
	res, err := r.svc.Identity.SignUp(ctx, identity.SignUpInput{
		BusinessName: in.BusinessName, Email: in.Email, Password: in.Password, OwnerName: in.OwnerName,
		Currency: deref(in.Currency), Timezone: deref(in.Timezone),
	})
	if err == nil {
		toCookie(ctx, &res)
	}
	return sessionResult(ctx, res, err)
}

type logInArgs struct {
	Input struct{ Email, Password string }
}

// LogIn signs a user in.
func (r *Resolver) LogIn(ctx context.Context, args logInArgs) (*sessionPayload, error) {
	res, err := r.svc.Identity.LogIn(ctx, args.Input.Email, args.Input.Password, requestFrom(ctx).clientIP)
	if err == nil {
		toCookie(ctx, &res)
	}
	return sessionResult(ctx, res, err)
}

type refreshArgs struct {
	Input struct{ RefreshToken string }
}

// RefreshSession rotates a refresh token.
func (r *Resolver) RefreshSession(ctx context.Context, args refreshArgs) (*sessionPayload, error) {
	res, err := r.svc.Identity.Refresh(ctx, args.Input.RefreshToken)
	return sessionResult(ctx, res, err)
}

// ---- administration

type tenantPayload struct {
	Tenant     *tenantResolver
	UserErrors []*userError
}

type settingsArgs struct {
	Input struct {
		BusinessName              *string
		PricesIncludeTax          *bool
		TaxRounding               *string
		AllowNegativeStock        *bool
		InvoiceRegistrationNumber *string
		GiftCardValidityMonths    *int32
	}
}

// UpdateTenantSettings changes the tenant's settings (OWNER).
func (r *Resolver) UpdateTenantSettings(ctx context.Context, args settingsArgs) (*tenantPayload, error) {
	fail := func(err error) (*tenantPayload, error) {
		ue, err := userErrors(ctx, err)
		return &tenantPayload{UserErrors: ue}, err
	}
	in := args.Input
	s := tenant.Settings{BusinessName: in.BusinessName, PricesIncludeTax: in.PricesIncludeTax, AllowNegativeStock: in.AllowNegativeStock, InvoiceRegistrationNumber: in.InvoiceRegistrationNumber}
	if in.GiftCardValidityMonths != nil {
		m := int(*in.GiftCardValidityMonths)
		s.GiftCardValidityMonths = &m
	}
	if in.TaxRounding != nil {
		tr := tenant.Rounding(*in.TaxRounding)
		s.TaxRounding = &tr
	}
	t, err := r.svc.Tenants.UpdateSettings(ctx, s)
	if err != nil {
		return fail(err)
	}
	return &tenantPayload{Tenant: &tenantResolver{t}, UserErrors: []*userError{}}, nil
}

type staffPayload struct {
	User       *userResolver
	UserErrors []*userError
}

type createStaffArgs struct {
	Input struct {
		Email, Name, Role, Password string
		LocationIds                 *[]graphql.ID
	}
}

// CreateStaff adds a staff member (OWNER).
func (r *Resolver) CreateStaff(ctx context.Context, args createStaffArgs) (*staffPayload, error) {
	fail := func(err error) (*staffPayload, error) {
		ue, err := userErrors(ctx, err)
		return &staffPayload{UserErrors: ue}, err
	}
	in := args.Input
	var locs []string
	if in.LocationIds != nil {
		for _, id := range *in.LocationIds {
			locs = append(locs, string(id))
		}
	}
	u, err := r.svc.Identity.CreateStaff(ctx, identity.StaffInput{Email: in.Email, Name: in.Name, Password: in.Password, Role: identity.Role(in.Role), LocationIDs: locs})
	if err != nil {
		return fail(err)
	}
	return &staffPayload{User: &userResolver{u}, UserErrors: []*userError{}}, nil
}

type apiKeyPayload struct {
	ApiKey     *apiKeyResolver
	Secret     *string
	UserErrors []*userError
}

type createAPIKeyArgs struct {
	Input struct {
		Name       string
		Scopes     []string
		RegisterID *graphql.ID
	}
}

// CreateApiKey issues an API key (OWNER); its secret is shown only here.
func (r *Resolver) CreateApiKey(ctx context.Context, args createAPIKeyArgs) (*apiKeyPayload, error) {
	fail := func(err error) (*apiKeyPayload, error) {
		ue, err := userErrors(ctx, err)
		return &apiKeyPayload{UserErrors: ue}, err
	}
	scopes := make([]identity.Scope, len(args.Input.Scopes))
	for i, s := range args.Input.Scopes {
		scopes[i] = identity.Scope(s)
	}
	in := identity.APIKeyInput{Name: args.Input.Name, Scopes: scopes}
	if args.Input.RegisterID != nil {
		in.RegisterID = string(*args.Input.RegisterID)
	}
	k, secret, err := r.svc.Identity.CreateAPIKey(ctx, in)
	if err != nil {
		return fail(err)
	}
	return &apiKeyPayload{ApiKey: &apiKeyResolver{k}, Secret: &secret, UserErrors: []*userError{}}, nil
}

type idArgs struct {
	Input struct{ ID graphql.ID }
}

// RevokeApiKey revokes an API key (OWNER).
func (r *Resolver) RevokeApiKey(ctx context.Context, args idArgs) (*apiKeyPayload, error) {
	fail := func(err error) (*apiKeyPayload, error) {
		ue, err := userErrors(ctx, err)
		return &apiKeyPayload{UserErrors: ue}, err
	}
	k, err := r.svc.Identity.RevokeAPIKey(ctx, string(args.Input.ID))
	if err != nil {
		return fail(err)
	}
	return &apiKeyPayload{ApiKey: &apiKeyResolver{k}, UserErrors: []*userError{}}, nil
}

type locationPayload struct {
	Location   *locationResolver
	UserErrors []*userError
}

type createLocationArgs struct {
	Input struct {
		Name     string
		Timezone *string
	}
}

// CreateLocation adds a location (OWNER: it is a tenant setting).
func (r *Resolver) CreateLocation(ctx context.Context, args createLocationArgs) (*locationPayload, error) {
	fail := func(err error) (*locationPayload, error) {
		ue, err := userErrors(ctx, err)
		return &locationPayload{UserErrors: ue}, err
	}
	l, err := r.svc.Tenants.CreateLocation(ctx, args.Input.Name, deref(args.Input.Timezone))
	if err != nil {
		return fail(err)
	}
	return &locationPayload{Location: &locationResolver{l}, UserErrors: []*userError{}}, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
