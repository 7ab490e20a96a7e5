package graph

import (
	"context"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/renkei-pos/renkei/shared/tenant"
)

// Registers: the Register type, the fields that reach a register from a
// location, an order or an API key, and the register operations. Every
// read goes through the tenant service (reading registers is reading
// locations, with the caller's location restriction); nested ones through
// the request's register loader.

type registerResolver struct{ reg tenant.Register }

func (r *registerResolver) ID() graphql.ID { return graphql.ID(r.reg.ID) }
func (r *registerResolver) Number() int32  { return int32(r.reg.Number) }
func (r *registerResolver) Name() string   { return r.reg.Name }
func (r *registerResolver) Active() bool   { return r.reg.Active }
func (r *registerResolver) Kind() string   { return string(r.reg.Kind) }

func (r *registerResolver) Location(ctx context.Context) (*locationResolver, error) {
	l, ok, err := loadLocation(ctx, r.reg.LocationID)
	if err != nil {
		return nil, top(ctx, err)
	}
	if !ok {
		l = tenant.Location{ID: r.reg.LocationID, Name: "(deleted location)"}
	}
	return &locationResolver{l}, nil
}

func registerResolvers(rs []tenant.Register) []*registerResolver {
	out := make([]*registerResolver, len(rs))
	for i, reg := range rs {
		out[i] = &registerResolver{reg}
	}
	return out
}

// optionalRegister resolves a nullable reference to a register: null when
// there is none, or when the caller may not see it.
func optionalRegister(ctx context.Context, id string) (*registerResolver, error) {
	if id == "" {
		return nil, nil
	}
	reg, ok, err := loadRegister(ctx, id)
	if hidden(err) || (err == nil && !ok) {
		return nil, nil
	}
	if err != nil {
		return nil, top(ctx, err)
	}
	return &registerResolver{reg}, nil
}

// Registers are the location's, by number; its count names them, so the
// registers of every location in a response are read in shared batches.
func (r *locationResolver) Registers(ctx context.Context) ([]*registerResolver, error) {
	rs, err := loadRegisters(ctx, r.l.RegisterIDs())
	if err != nil {
		return nil, top(ctx, err)
	}
	return registerResolvers(rs), nil
}

// Register is the register that sold the order; null for orders from
// before registers.
func (r *orderResolver) Register(ctx context.Context) (*registerResolver, error) {
	return optionalRegister(ctx, r.o.RegisterID)
}

// Register is the register the key is bound to, if any.
func (r *apiKeyResolver) Register(ctx context.Context) (*registerResolver, error) {
	return optionalRegister(ctx, r.k.RegisterID)
}

// Registers lists a location's registers (any caller; a caller restricted
// to other locations gets NOT_FOUND: the service checks).
func (r *Resolver) Registers(ctx context.Context, args struct{ LocationID graphql.ID }) ([]*registerResolver, error) {
	rs, err := r.svc.Tenants.Registers(ctx, string(args.LocationID))
	if err != nil {
		return nil, top(ctx, err)
	}
	return registerResolvers(rs), nil
}

type registerPayload struct {
	Register   *registerResolver
	UserErrors []*userError
}

func registerResult(ctx context.Context, reg tenant.Register, err error) (*registerPayload, error) {
	if err != nil {
		ue, err := userErrors(ctx, err)
		return &registerPayload{UserErrors: ue}, err
	}
	return &registerPayload{Register: &registerResolver{reg}, UserErrors: []*userError{}}, nil
}

type createRegisterArgs struct {
	Input struct {
		LocationID graphql.ID
		Name       string
	}
}

// CreateRegister adds a register to a location (OWNER, like locations).
func (r *Resolver) CreateRegister(ctx context.Context, args createRegisterArgs) (*registerPayload, error) {
	reg, err := r.svc.Tenants.CreateRegister(ctx, string(args.Input.LocationID), args.Input.Name)
	return registerResult(ctx, reg, err)
}

// DeactivateRegister stops a register from selling (OWNER).
func (r *Resolver) DeactivateRegister(ctx context.Context, args idArgs) (*registerPayload, error) {
	reg, err := r.svc.Tenants.DeactivateRegister(ctx, string(args.Input.ID))
	return registerResult(ctx, reg, err)
}
