package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
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
}

type sessionItem struct {
	PK          string `dynamodbav:"pk"`
	SK          string `dynamodbav:"sk"`
	Type        string `dynamodbav:"type"`
	TenantID    string `dynamodbav:"tenantId"`
	UserID      string `dynamodbav:"userId"`
	CurrentHash string `dynamodbav:"currentHash"`
	// PreviousHashes are rotated-away tokens: presenting one is reuse.
	PreviousHashes []string `dynamodbav:"previousHashes,omitempty,stringset"`
	Revoked        bool     `dynamodbav:"revoked"`
	ExpiresAt      int64    `dynamodbav:"expiresAt"`
	TTL            int64    `dynamodbav:"ttl"`
}

const timeLayout = time.RFC3339Nano

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(timeLayout, s)
	return t
}

func userToItem(pk string, u identity.User) userItem {
	return userItem{PK: pk, SK: skUserPrefix + u.ID, Type: "User", ID: u.ID, TenantID: u.TenantID, Email: u.Email, Name: u.Name, Role: string(u.Role), LocationIDs: u.LocationIDs, CreatedAt: fmtTime(u.CreatedAt)}
}

func (it userItem) domain() identity.User {
	return identity.User{ID: it.ID, TenantID: it.TenantID, Email: it.Email, Name: it.Name, Role: identity.Role(it.Role), LocationIDs: it.LocationIDs, CreatedAt: parseTime(it.CreatedAt)}
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
func (st *IdentityStore) CreateTenant(ctx context.Context, tn tenant.Tenant, owner identity.User, login identity.Login) error {
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
	ok, err := st.t.get(ctx, key(pkLogin+email, "LOGIN"), &it)
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
	k := identity.APIKey{ID: it.ID, TenantID: it.TenantID, Name: it.Name, SecretHash: it.SecretHash, CreatedAt: parseTime(it.CreatedAt)}
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
	base := apiKeyItem{Type: "ApiKey", ID: k.ID, TenantID: k.TenantID, Name: k.Name, Scopes: scopes, SecretHash: k.SecretHash, CreatedAt: fmtTime(k.CreatedAt)}
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

// CreateSession stores a new refresh-token family.
func (st *IdentityStore) CreateSession(ctx context.Context, sess identity.Session) error {
	av, err := attributevalue.MarshalMap(sessionItem{PK: pkSession + sess.ID, SK: "SESSION", Type: "Session", TenantID: sess.TenantID, UserID: sess.UserID, CurrentHash: sess.CurrentHash, ExpiresAt: sess.ExpiresAt.Unix(), TTL: sess.ExpiresAt.Add(24 * time.Hour).Unix()})
	if err != nil {
		return err
	}
	cctx, cancel := st.t.call(ctx)
	defer cancel()
	_, err = st.t.client.PutItem(cctx, &dynamodb.PutItemInput{TableName: &st.t.name, Item: av, ConditionExpression: aws.String("attribute_not_exists(pk)")})
	return err
}

var errBadRefresh = apperr.New(apperr.BadCredentials, "refresh token is invalid or expired; log in again")

// RotateSession swaps the current token hash in one conditional update; on
// failure it tells reuse (revoke the family) from garbage.
func (st *IdentityStore) RotateSession(ctx context.Context, id, oldHash, newHash string, now time.Time) (identity.Session, error) {
	k := key(pkSession+id, "SESSION")
	cctx, cancel := st.t.call(ctx)
	defer cancel()
	out, err := st.t.client.UpdateItem(cctx, &dynamodb.UpdateItemInput{
		TableName: &st.t.name, Key: k,
		UpdateExpression:    aws.String("SET currentHash = :new ADD previousHashes :oldset"),
		ConditionExpression: aws.String("attribute_exists(pk) AND currentHash = :old AND revoked = :f AND expiresAt > :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":new": s(newHash), ":old": s(oldHash), ":oldset": &types.AttributeValueMemberSS{Value: []string{oldHash}},
			":f": &types.AttributeValueMemberBOOL{Value: false}, ":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)},
		},
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		var it sessionItem
		if ccf.Item != nil && attributevalue.UnmarshalMap(ccf.Item, &it) == nil && contains(it.PreviousHashes, oldHash) && !it.Revoked {
			if err := st.revokeSession(ctx, k); err != nil {
				return identity.Session{}, err
			}
		}
		return identity.Session{}, errBadRefresh
	}
	if err != nil {
		return identity.Session{}, fmt.Errorf("rotate session: %w", err)
	}
	var it sessionItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return identity.Session{}, err
	}
	return identity.Session{ID: id, TenantID: it.TenantID, UserID: it.UserID, CurrentHash: it.CurrentHash, ExpiresAt: time.Unix(it.ExpiresAt, 0)}, nil
}

func (st *IdentityStore) revokeSession(ctx context.Context, k map[string]types.AttributeValue) error {
	cctx, cancel := st.t.call(ctx)
	defer cancel()
	_, err := st.t.client.UpdateItem(cctx, &dynamodb.UpdateItemInput{
		TableName: &st.t.name, Key: k, UpdateExpression: aws.String("SET revoked = :t"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberBOOL{Value: true}},
	})
	if err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	return nil
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func windowKey(k string, window time.Duration, now time.Time) map[string]types.AttributeValue {
	start := now.Truncate(window).Unix()
	return key(pkLoginFail+k, strconv.FormatInt(start, 10))
}

// LoginFailures reads the failure counters of the current window in one BatchGetItem.
func (st *IdentityStore) LoginFailures(ctx context.Context, keys []string, window time.Duration, now time.Time) (map[string]int, error) {
	req := make([]map[string]types.AttributeValue, len(keys))
	byPK := map[string]string{}
	for i, k := range keys {
		req[i] = windowKey(k, window, now)
		byPK[pkLoginFail+k] = k
	}
	cctx, cancel := st.t.call(ctx)
	defer cancel()
	out, err := st.t.client.BatchGetItem(cctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{st.t.name: {Keys: req, ConsistentRead: aws.Bool(true)}}})
	if err != nil {
		return nil, fmt.Errorf("read login failures: %w", err)
	}
	res := map[string]int{}
	for _, it := range out.Responses[st.t.name] {
		var row struct {
			PK    string `dynamodbav:"pk"`
			Count int    `dynamodbav:"count"`
		}
		if err := attributevalue.UnmarshalMap(it, &row); err == nil {
			res[byPK[row.PK]] = row.Count
		}
	}
	// Unprocessed keys (throttling) count as zero: limiting is best effort
	// and must not lock everyone out when the table is busy.
	return res, nil
}

// RecordLoginFailure increments each key's counter for the current window.
func (st *IdentityStore) RecordLoginFailure(ctx context.Context, keys []string, window time.Duration, now time.Time) error {
	ttl := strconv.FormatInt(now.Truncate(window).Add(2*window).Unix(), 10)
	for _, k := range keys {
		cctx, cancel := st.t.call(ctx)
		_, err := st.t.client.UpdateItem(cctx, &dynamodb.UpdateItemInput{
			TableName: &st.t.name, Key: windowKey(k, window, now),
			UpdateExpression:          aws.String("ADD #c :one SET #ttl = :ttl"),
			ExpressionAttributeNames:  map[string]string{"#c": "count", "#ttl": attrTTL},
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}, ":ttl": &types.AttributeValueMemberN{Value: ttl}},
		})
		cancel()
		if err != nil {
			return fmt.Errorf("count login failure: %w", err)
		}
	}
	return nil
}
