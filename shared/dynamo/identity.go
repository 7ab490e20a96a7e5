package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// IdentityStore implements identity.Store on the single table.
type IdentityStore struct{ t *Table }

var _ identity.Store = (*IdentityStore)(nil)

// NewIdentityStore returns the identity store.
func NewIdentityStore(t *Table) *IdentityStore { return &IdentityStore{t: t} }

type userItem struct {
	PK          string   `dynamodbav:"pk"`
	SK          string   `dynamodbav:"sk"`
	Type        string   `dynamodbav:"type"`
	ID          string   `dynamodbav:"id"`
	TenantID    string   `dynamodbav:"tenantId"`
	Email       string   `dynamodbav:"email"`
	Name        string   `dynamodbav:"name"`
	Role        string   `dynamodbav:"role"`
	LocationIDs []string `dynamodbav:"locationIds,omitempty,stringset"`
	CreatedAt   string   `dynamodbav:"createdAt"`
	// DeactivatedAt is set once; CreateSession's condition reads it.
	DeactivatedAt string `dynamodbav:"deactivatedAt,omitempty"`
}

type loginItem struct {
	PK           string `dynamodbav:"pk"`
	SK           string `dynamodbav:"sk"`
	Type         string `dynamodbav:"type"`
	TenantID     string `dynamodbav:"tenantId"`
	UserID       string `dynamodbav:"userId"`
	PasswordHash string `dynamodbav:"passwordHash"`
}

type apiKeyItem struct {
	PK         string   `dynamodbav:"pk"`
	SK         string   `dynamodbav:"sk"`
	Type       string   `dynamodbav:"type"`
	ID         string   `dynamodbav:"id"`
	TenantID   string   `dynamodbav:"tenantId"`
	Name       string   `dynamodbav:"name"`
	Scopes     []string `dynamodbav:"scopes,stringset"`
	SecretHash string   `dynamodbav:"secretHash"`
	CreatedAt  string   `dynamodbav:"createdAt"`
	RevokedAt  string   `dynamodbav:"revokedAt,omitempty"`
	// RegisterID is on both items: authentication reads the lookup copy.
	RegisterID string `dynamodbav:"registerId,omitempty"`
}

const timeLayout = time.RFC3339Nano

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(timeLayout, s)
	return t
}

func userToItem(pk string, u identity.User) userItem {
	it := userItem{PK: pk, SK: skUserPrefix + u.ID, Type: "User", ID: u.ID, TenantID: u.TenantID, Email: u.Email, Name: u.Name, Role: string(u.Role), LocationIDs: u.LocationIDs, CreatedAt: fmtTime(u.CreatedAt)}
	if u.DeactivatedAt != nil {
		it.DeactivatedAt = fmtTime(*u.DeactivatedAt)
	}
	return it
}

func (it userItem) domain() identity.User {
	u := identity.User{ID: it.ID, TenantID: it.TenantID, Email: it.Email, Name: it.Name, Role: identity.Role(it.Role), LocationIDs: it.LocationIDs, CreatedAt: parseTime(it.CreatedAt)}
	if it.DeactivatedAt != "" {
		at := parseTime(it.DeactivatedAt)
		u.DeactivatedAt = &at
	}
	return u
}

func loginPut(t *Table, l identity.Login) (types.TransactWriteItem, error) {
	av, err := attributevalue.MarshalMap(loginItem{PK: pkLogin + l.Email, SK: "LOGIN", Type: "Login", TenantID: l.TenantID, UserID: l.UserID, PasswordHash: l.PasswordHash})
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: &t.name, Item: av, ConditionExpression: aws.String("attribute_not_exists(pk)")}}, nil
}

func putNew(t *Table, v any) (types.TransactWriteItem, error) {
	av, err := attributevalue.MarshalMap(v)
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("marshal item: %w", err)
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: &t.name, Item: av, ConditionExpression: aws.String("attribute_not_exists(pk)")}}, nil
}

var errEmailTaken = apperr.New(apperr.Taken, "this email is already registered", "input", "email")

// CreateTenant writes the tenant, its owner and the login in one transaction.
// ctx is scoped to the new tenant here, so that in AWS the write runs with
// that tenant's credentials (shared/tenantcreds), like every later one.
func (st *IdentityStore) CreateTenant(ctx context.Context, tn tenant.Tenant, owner identity.User, login identity.Login) error {
	ctx = tenant.WithID(ctx, tn.ID)
	pk := "T#" + tn.ID
	tput, err := putNew(st.t, tenantToItem(tn))
	if err != nil {
		return err
	}
	uput, err := putNew(st.t, userToItem(pk, owner))
	if err != nil {
		return err
	}
	lput, err := loginPut(st.t, login)
	if err != nil {
		return err
	}
	err = st.t.Transact(ctx, []types.TransactWriteItem{lput, tput, uput})
	var ce *CanceledError
	if errors.As(err, &ce) && ce.Failed(0) {
		return errEmailTaken
	}
	if err != nil {
		return fmt.Errorf("create tenant: %w", err)
	}
	return nil
}

// CreateUser writes a staff member and their login in one transaction.
func (st *IdentityStore) CreateUser(ctx context.Context, u identity.User, login identity.Login) error {
	pk, err := tenantPK(ctx)
	if err != nil {
		return err
	}
	if "T#"+u.TenantID != pk || login.TenantID != u.TenantID {
		return errors.New("create user: tenant mismatch") // a programming error, never a client's
	}
	uput, err := putNew(st.t, userToItem(pk, u))
	if err != nil {
		return err
	}
	lput, err := loginPut(st.t, login)
	if err != nil {
		return err
	}
	err = st.t.Transact(ctx, []types.TransactWriteItem{lput, uput})
	var ce *CanceledError
	if errors.As(err, &ce) && ce.Failed(0) {
		return errEmailTaken
	}
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

// GetLogin finds a login by email.
func (st *IdentityStore) GetLogin(ctx context.Context, email string) (identity.Login, error) {
	var it loginItem
	ok, err := st.t.get(tenant.Without(ctx), key(pkLogin+email, "LOGIN"), &it)
	if err != nil {
		return identity.Login{}, fmt.Errorf("get login: %w", err)
	}
	if !ok {
		return identity.Login{}, apperr.New(apperr.NotFound, "login not found")
	}
	return identity.Login{Email: email, TenantID: it.TenantID, UserID: it.UserID, PasswordHash: it.PasswordHash}, nil
}

// GetUser reads a user of the tenant in ctx.
func (st *IdentityStore) GetUser(ctx context.Context, id string) (identity.User, error) {
	pk, err := tenantPK(ctx)
	if err != nil {
		return identity.User{}, err
	}
	var it userItem
	ok, err := st.t.get(ctx, key(pk, skUserPrefix+id), &it)
	if err != nil {
		return identity.User{}, fmt.Errorf("get user: %w", err)
	}
	if !ok {
		return identity.User{}, apperr.New(apperr.NotFound, "user not found")
	}
	return it.domain(), nil
}

func (it apiKeyItem) domain() identity.APIKey {
	k := identity.APIKey{ID: it.ID, TenantID: it.TenantID, Name: it.Name, SecretHash: it.SecretHash, CreatedAt: parseTime(it.CreatedAt), RegisterID: it.RegisterID}
	for _, s := range it.Scopes {
		k.Scopes = append(k.Scopes, identity.Scope(s))
	}
	if it.RevokedAt != "" {
		r := parseTime(it.RevokedAt)
		k.RevokedAt = &r
	}
	return k
}

func apiKeyItems(pk string, k identity.APIKey) (apiKeyItem, apiKeyItem) {
	scopes := make([]string, len(k.Scopes))
	for i, s := range k.Scopes {
		scopes[i] = string(s)
	}
	base := apiKeyItem{Type: "ApiKey", ID: k.ID, TenantID: k.TenantID, Name: k.Name, Scopes: scopes, SecretHash: k.SecretHash, CreatedAt: fmtTime(k.CreatedAt), RegisterID: k.RegisterID}
	owned, lookup := base, base
	owned.PK, owned.SK = pk, skKeyPrefix+k.ID
	lookup.PK, lookup.SK, lookup.Type = pkAPIKeyHash+k.SecretHash, "APIKEYHASH", "ApiKeyLookup"
	return owned, lookup
}

// CreateAPIKey writes the tenant's key item and its by-hash lookup item together.
func (st *IdentityStore) CreateAPIKey(ctx context.Context, k identity.APIKey) error {
	pk, err := tenantPK(ctx)
	if err != nil {
		return err
	}
	owned, lookup := apiKeyItems(pk, k)
	a, err := putNew(st.t, owned)
	if err != nil {
		return err
	}
	b, err := putNew(st.t, lookup)
	if err != nil {
		return err
	}
	return st.t.Transact(ctx, []types.TransactWriteItem{a, b})
}

// GetAPIKey reads a key of the tenant in ctx.
func (st *IdentityStore) GetAPIKey(ctx context.Context, id string) (identity.APIKey, error) {
	pk, err := tenantPK(ctx)
	if err != nil {
		return identity.APIKey{}, err
	}
	var it apiKeyItem
	ok, err := st.t.get(ctx, key(pk, skKeyPrefix+id), &it)
	if err != nil {
		return identity.APIKey{}, fmt.Errorf("get api key: %w", err)
	}
	if !ok {
		return identity.APIKey{}, apperr.New(apperr.NotFound, "API key not found")
	}
	return it.domain(), nil
}

// LookupAPIKey finds a key by its secret's hash (platform-level).
func (st *IdentityStore) LookupAPIKey(ctx context.Context, hash string) (identity.APIKey, error) {
	var it apiKeyItem
	ok, err := st.t.get(ctx, key(pkAPIKeyHash+hash, "APIKEYHASH"), &it)
	if err != nil {
		return identity.APIKey{}, fmt.Errorf("look up api key: %w", err)
	}
	if !ok {
		return identity.APIKey{}, apperr.New(apperr.NotFound, "API key not found")
	}
	return it.domain(), nil
}

// RevokeAPIKey marks both of the key's items revoked in one transaction.
func (st *IdentityStore) RevokeAPIKey(ctx context.Context, id string, at time.Time) (identity.APIKey, error) {
	k, err := st.GetAPIKey(ctx, id)
	if err != nil {
		return identity.APIKey{}, err
	}
	if k.RevokedAt != nil {
		return k, nil
	}
	pk, _ := tenantPK(ctx)
	upd := func(kk map[string]types.AttributeValue) types.TransactWriteItem {
		return types.TransactWriteItem{Update: &types.Update{
			TableName: &st.t.name, Key: kk,
			UpdateExpression:          aws.String("SET revokedAt = if_not_exists(revokedAt, :at)"),
			ConditionExpression:       aws.String("attribute_exists(pk)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":at": s(fmtTime(at))},
		}}
	}
	if err := st.t.Transact(ctx, []types.TransactWriteItem{upd(key(pk, skKeyPrefix+id)), upd(key(pkAPIKeyHash+k.SecretHash, "APIKEYHASH"))}); err != nil {
		return identity.APIKey{}, fmt.Errorf("revoke api key: %w", err)
	}
	k.RevokedAt = &at
	return k, nil
}

// DeactivateUser sets the user's deactivatedAt in one transaction with two
// guards: the user's role is still the one the caller judged, and the actor
// is still active (two owners deactivating each other at once leave one).
func (st *IdentityStore) DeactivateUser(ctx context.Context, u identity.User, actorID string, at time.Time) (identity.User, error) {
	pk, err := tenantPK(ctx)
	if err != nil {
		return identity.User{}, err
	}
	err = st.t.Transact(ctx, []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: &st.t.name, Key: key(pk, skUserPrefix+u.ID),
			UpdateExpression:          aws.String("SET deactivatedAt = if_not_exists(deactivatedAt, :at)"),
			ConditionExpression:       aws.String("attribute_exists(pk) AND #role = :role"),
			ExpressionAttributeNames:  map[string]string{"#role": "role"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":at": s(fmtTime(at)), ":role": s(string(u.Role))},
		}},
		{ConditionCheck: &types.ConditionCheck{
			TableName: &st.t.name, Key: key(pk, skUserPrefix+actorID),
			ConditionExpression: aws.String("attribute_exists(pk) AND attribute_not_exists(deactivatedAt)"),
		}},
	})
	var ce *CanceledError
	switch {
	case errors.As(err, &ce) && ce.Failed(1):
		return identity.User{}, apperr.New(apperr.Unauthenticated, "your account was deactivated")
	case errors.As(err, &ce) && ce.Failed(0):
		if _, gerr := st.GetUser(ctx, u.ID); apperr.Is(gerr, apperr.NotFound) {
			return identity.User{}, apperr.New(apperr.NotFound, "staff member not found", "input", "id")
		}
		return identity.User{}, apperr.New(apperr.Conflict, "the staff member changed meanwhile; retry")
	case err != nil:
		return identity.User{}, fmt.Errorf("deactivate user: %w", err)
	}
	u.DeactivatedAt = &at
	return u, nil
}
