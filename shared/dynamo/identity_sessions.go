package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// A session is two items. The family item (platform, SESSION#<sid>) is what
// a refresh token finds; the user's session entry (tenant-owned,
// T#<tid>#SESSIONS#<uid> / SESSION#<sid>) is what an access token's check
// reads and what deactivating the user lists. Revoking deletes the entry
// first, then marks the family revoked.
const (
	pkUserSessionsInfix = "#SESSIONS#" // T#<tid> + this + <uid>
	skSessionPrefix     = "SESSION#"   // + session id
	// maxConcurrentRevokes bounds the parallel revocations of one user's sessions.
	maxConcurrentRevokes = 8
)

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

// userSessionItem is a session's entry in its user's list; it exists while
// the session's access tokens are honoured.
type userSessionItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	Type      string `dynamodbav:"type"`
	SessionID string `dynamodbav:"sessionId"`
	ExpiresAt int64  `dynamodbav:"expiresAt"`
	TTL       int64  `dynamodbav:"ttl"`
}

func familyKey(sid string) map[string]types.AttributeValue {
	return key(pkSession+sid, "SESSION")
}

func userSessionsPK(tenantPK, userID string) string { return tenantPK + pkUserSessionsInfix + userID }

// CreateSession writes the family and the user's entry in one transaction
// that also checks the user (of the tenant in ctx) is active, so a session
// cannot start after DeactivateUser and escape RevokeUserSessions.
func (st *IdentityStore) CreateSession(ctx context.Context, sess identity.Session) error {
	pk, err := tenantPK(ctx)
	if err != nil {
		return err
	}
	if "T#"+sess.TenantID != pk {
		return errors.New("create session: tenant mismatch") // a programming error, never a client's
	}
	ttl := sess.ExpiresAt.Add(24 * time.Hour).Unix()
	fam, err := putNew(st.t, sessionItem{PK: pkSession + sess.ID, SK: "SESSION", Type: "Session", TenantID: sess.TenantID, UserID: sess.UserID, CurrentHash: sess.CurrentHash, ExpiresAt: sess.ExpiresAt.Unix(), TTL: ttl})
	if err != nil {
		return err
	}
	entry, err := putNew(st.t, userSessionItem{PK: userSessionsPK(pk, sess.UserID), SK: skSessionPrefix + sess.ID, Type: "UserSession", SessionID: sess.ID, ExpiresAt: sess.ExpiresAt.Unix(), TTL: ttl})
	if err != nil {
		return err
	}
	err = st.t.Transact(ctx, []types.TransactWriteItem{fam, entry, {ConditionCheck: &types.ConditionCheck{
		TableName: &st.t.name, Key: key(pk, skUserPrefix+sess.UserID),
		ConditionExpression: aws.String("attribute_exists(pk) AND attribute_not_exists(deactivatedAt)"),
	}}})
	var ce *CanceledError
	if errors.As(err, &ce) && ce.Failed(2) {
		return apperr.New(apperr.BadCredentials, "the user is deactivated")
	}
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// SessionActive reads the user's entry for the session (strongly consistent).
func (st *IdentityStore) SessionActive(ctx context.Context, userID, sessionID string) (bool, error) {
	pk, err := tenantPK(ctx)
	if err != nil {
		return false, err
	}
	var it userSessionItem
	ok, err := st.t.get(ctx, key(userSessionsPK(pk, userID), skSessionPrefix+sessionID), &it)
	if err != nil {
		return false, fmt.Errorf("read session entry: %w", err)
	}
	return ok, nil
}

// RevokeSession ends a session of a user of the tenant in ctx.
func (st *IdentityStore) RevokeSession(ctx context.Context, userID, sessionID string) error {
	pk, err := tenantPK(ctx)
	if err != nil {
		return err
	}
	return st.revokeSession(ctx, pk, userID, sessionID)
}

// revokeSession deletes the user's entry (access stops), then marks the
// family revoked (refresh stops). Each step is idempotent, so a retry after
// a failure between them finishes the job; and a refresh finding the family
// alive but the entry gone revokes the family itself.
func (st *IdentityStore) revokeSession(ctx context.Context, tenantPK, userID, sessionID string) error {
	cctx, cancel := st.t.call(ctx)
	_, err := st.t.client.DeleteItem(cctx, &dynamodb.DeleteItemInput{TableName: &st.t.name, Key: key(userSessionsPK(tenantPK, userID), skSessionPrefix+sessionID)})
	cancel()
	if err != nil {
		return fmt.Errorf("delete session entry: %w", err)
	}
	cctx, cancel = st.t.call(ctx)
	defer cancel()
	_, err = st.t.client.UpdateItem(cctx, &dynamodb.UpdateItemInput{
		TableName: &st.t.name, Key: familyKey(sessionID), UpdateExpression: aws.String("SET revoked = :t"),
		ConditionExpression:       aws.String("attribute_exists(pk) AND userId = :uid"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberBOOL{Value: true}, ":uid": s(userID)},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) { // no family (expired away): nothing to refresh
		return fmt.Errorf("revoke session family: %w", err)
	}
	return nil
}

// RevokeUserSessions lists the user's entries with a strongly consistent
// query and revokes each, a few at a time.
func (st *IdentityStore) RevokeUserSessions(ctx context.Context, userID string) ([]string, error) {
	pk, err := tenantPK(ctx)
	if err != nil {
		return nil, err
	}
	entries, err := queryItems[userSessionItem](ctx, st.t, &dynamodb.QueryInput{
		TableName: &st.t.name, ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(userSessionsPK(pk, userID)), ":sk": s(skSessionPrefix)},
	}, math.MaxInt32, nil) // every one of them
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	sids := make([]string, len(entries))
	for i, e := range entries {
		sids[i] = e.SessionID
	}
	errs := make([]error, len(sids))
	sem := make(chan struct{}, maxConcurrentRevokes)
	var wg sync.WaitGroup
	for i, sid := range sids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = st.revokeSession(ctx, pk, userID, sid)
		}()
	}
	wg.Wait()
	return sids, errors.Join(errs...)
}

var errBadRefresh = apperr.New(apperr.BadCredentials, "refresh token is invalid or expired; log in again")

// RotateSession swaps the current token hash in one conditional update; on
// failure it tells reuse (revoke the session) from garbage.
func (st *IdentityStore) RotateSession(ctx context.Context, id, oldHash, newHash string, now time.Time) (identity.Session, error) {
	cctx, cancel := st.t.call(ctx)
	defer cancel()
	out, err := st.t.client.UpdateItem(cctx, &dynamodb.UpdateItemInput{
		TableName: &st.t.name, Key: familyKey(id),
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
		if ccf.Item != nil && attributevalue.UnmarshalMap(ccf.Item, &it) == nil && slices.Contains(it.PreviousHashes, oldHash) && !it.Revoked {
			// The session's tenant, from the family: its entry is a tenant
			// key, written with that tenant's credentials (shared/tenantcreds).
			if err := st.revokeSession(tenant.WithID(ctx, it.TenantID), "T#"+it.TenantID, it.UserID, id); err != nil {
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
