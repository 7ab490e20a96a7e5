package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// RevokeSessionByToken finds the family by a conditional update that marks
// it revoked (an update, not a read: the functions' roles may update
// SESSION# items but not read them), then deletes the user's entry under
// the family's tenant. Refresh stops first; a failure before the entry is
// gone is finished by the caller's retry, which matches again.
func (st *IdentityStore) RevokeSessionByToken(ctx context.Context, id, tokenHash string) (identity.Session, error) {
	cctx, cancel := st.t.call(tenant.Without(ctx)) // a platform item, whatever credential came with the call
	out, err := st.t.client.UpdateItem(cctx, &dynamodb.UpdateItemInput{
		TableName: &st.t.name, Key: familyKey(id),
		UpdateExpression:    aws.String("SET revoked = :t"),
		ConditionExpression: aws.String("attribute_exists(pk) AND (currentHash = :h OR contains(previousHashes, :h))"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":t": &types.AttributeValueMemberBOOL{Value: true}, ":h": s(tokenHash),
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	cancel()
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return identity.Session{}, apperr.New(apperr.NotFound, "no session issued this token")
	}
	if err != nil {
		return identity.Session{}, fmt.Errorf("revoke session family: %w", err)
	}
	var it sessionItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return identity.Session{}, fmt.Errorf("decode session family: %w", err)
	}
	// The entry is a tenant key: written with the family's tenant's
	// credentials (shared/tenantcreds).
	if err := st.revokeSession(tenant.WithID(ctx, it.TenantID), "T#"+it.TenantID, it.UserID, id); err != nil {
		return identity.Session{}, err
	}
	return identity.Session{ID: id, TenantID: it.TenantID, UserID: it.UserID, CurrentHash: it.CurrentHash, Revoked: true, ExpiresAt: time.Unix(it.ExpiresAt, 0)}, nil
}
