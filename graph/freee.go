package graph

import (
	"context"
	"encoding/json"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/integrations"
)

// freee's authorization-code flow (schema/integrations.graphql), served by
// the integration hub's service, which checks ManageIntegration.

// FreeeAuthorizationURL is the authorize URL the console sends the browser to.
func (r *Resolver) FreeeAuthorizationURL(ctx context.Context, args struct {
	RedirectURI string
	State       string
}) (string, error) {
	if r.svc.Integrations == nil {
		return "", notImplemented(ctx, "freeeAuthorizationUrl", identity.ManageIntegration)
	}
	u, err := r.svc.Integrations.AuthorizationURL(ctx, integrations.Freee, args.RedirectURI, args.State)
	if err != nil {
		return "", top(ctx, err)
	}
	return u, nil
}

type authorizeFreeeInput struct {
	Code        string
	RedirectURI string
}

type authorizeFreeePayloadResolver struct {
	Authorization *freeeAuthorizationResolver
	UserErrors    []*userError
}

type freeeAuthorizationResolver struct{ a integrations.Authorization }

func (a *freeeAuthorizationResolver) ID() graphql.ID { return graphql.ID(a.a.ID) }
func (a *freeeAuthorizationResolver) ExpiresAt() graphql.Time {
	return graphql.Time{Time: a.a.ExpiresAt}
}
func (a *freeeAuthorizationResolver) Companies() []*freeeCompanyResolver {
	out := make([]*freeeCompanyResolver, len(a.a.Companies))
	for i, c := range a.a.Companies {
		out[i] = &freeeCompanyResolver{ID: graphql.ID(c.ID), Name: c.Name, DisplayName: c.DisplayName}
	}
	return out
}

type freeeCompanyResolver struct {
	ID          graphql.ID
	Name        string
	DisplayName string
}

// AuthorizeFreee exchanges the code freee sent to the console's callback.
func (r *Resolver) AuthorizeFreee(ctx context.Context, args struct{ Input authorizeFreeeInput }) (*authorizeFreeePayloadResolver, error) {
	if r.svc.Integrations == nil {
		ue, err := unbuilt(ctx, "authorizeFreee")
		return &authorizeFreeePayloadResolver{UserErrors: ue}, err
	}
	a, err := r.svc.Integrations.Authorize(ctx, integrations.Freee, args.Input.Code, args.Input.RedirectURI)
	if err != nil {
		ue, err := userErrors(ctx, err)
		return &authorizeFreeePayloadResolver{UserErrors: ue}, err
	}
	return &authorizeFreeePayloadResolver{Authorization: &freeeAuthorizationResolver{a}, UserErrors: []*userError{}}, nil
}

type freeeAccountOptionsResolver struct {
	AccountItems []*freeeAccountItemResolver
	Taxes        []*freeeTaxResolver
	Walletables  []*freeeWalletableResolver
	Sections     []*freeeSectionResolver
}

type freeeAccountItemResolver struct {
	ID             graphql.ID
	Name, Category string
}

type freeeTaxResolver struct {
	Code int32
	Name string
}

type freeeWalletableResolver struct {
	ID         graphql.ID
	Type, Name string
}

type freeeSectionResolver struct {
	ID   graphql.ID
	Name string
}

// FreeeAccountOptions reads what a mapping may name, live from freee.
func (r *Resolver) FreeeAccountOptions(ctx context.Context, args struct {
	AuthorizationID *graphql.ID
	IntegrationID   *graphql.ID
	CompanyID       graphql.ID
}) (*freeeAccountOptionsResolver, error) {
	if r.svc.Integrations == nil {
		return nil, notImplemented(ctx, "freeeAccountOptions", identity.ManageIntegration)
	}
	o, err := r.svc.Integrations.AccountOptions(ctx, integrations.Freee, idString(args.AuthorizationID), idString(args.IntegrationID), string(args.CompanyID))
	if err != nil {
		return nil, top(ctx, err)
	}
	out := &freeeAccountOptionsResolver{
		AccountItems: make([]*freeeAccountItemResolver, len(o.AccountItems)),
		Taxes:        make([]*freeeTaxResolver, len(o.Taxes)),
		Walletables:  make([]*freeeWalletableResolver, len(o.Walletables)),
		Sections:     make([]*freeeSectionResolver, len(o.Sections)),
	}
	for i, x := range o.AccountItems {
		out.AccountItems[i] = &freeeAccountItemResolver{ID: graphql.ID(x.ID), Name: x.Name, Category: x.Category}
	}
	for i, x := range o.Taxes {
		out.Taxes[i] = &freeeTaxResolver{Code: int32(min(max(x.Code, 0), 1<<31-1)), Name: x.Name}
	}
	for i, x := range o.Walletables {
		out.Walletables[i] = &freeeWalletableResolver{ID: graphql.ID(x.ID), Type: x.Type, Name: x.Name}
	}
	for i, x := range o.Sections {
		out.Sections[i] = &freeeSectionResolver{ID: graphql.ID(x.ID), Name: x.Name}
	}
	return out, nil
}

func idString(id *graphql.ID) string {
	if id == nil {
		return ""
	}
	return string(*id)
}

type updateIntegrationSettingsInput struct {
	ID       graphql.ID
	Settings JSON
}

// UpdateIntegrationSettings replaces a connected integration's settings
// (FREEE: accountMapping, startDate), checked against the provider.
func (r *Resolver) UpdateIntegrationSettings(ctx context.Context, args struct {
	Input updateIntegrationSettingsInput
}) (*integrationPayloadResolver, error) {
	if r.svc.Integrations == nil {
		ue, err := unbuilt(ctx, "updateIntegrationSettings")
		return &integrationPayloadResolver{UserErrors: ue}, err
	}
	settings, err := json.Marshal(args.Input.Settings)
	if err != nil {
		return nil, top(ctx, err)
	}
	in, err := r.svc.Integrations.UpdateSettings(ctx, string(args.Input.ID), settings)
	return r.integrationResult(ctx, in, err)
}
