package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/integrations"
)

// Pending authorizations (an OAuth grant waiting for connectIntegration):
// `T#<tid>#AUTHORIZATION`, sk = the authorization id, with the table's TTL
// attribute at its expiry. TTL deletion is late by up to days, so every
// read also checks expiresAt. Consuming one is a conditional delete.

func authorizationKey(tpk, id string) map[string]types.AttributeValue {
	return key(tpk+"#AUTHORIZATION", id)
}

type authorizationItem struct {
	PK        string                 `dynamodbav:"pk"`
	SK        string                 `dynamodbav:"sk"`
	Type      string                 `dynamodbav:"type"`
	ID        string                 `dynamodbav:"id"`
	TenantID  string                 `dynamodbav:"tenantId"`
	Provider  string                 `dynamodbav:"provider"`
	Secrets   []byte                 `dynamodbav:"secrets"`
	Companies []authorizationCompany `dynamodbav:"companies,omitempty"`
	CreatedAt string                 `dynamodbav:"createdAt"`
	ExpiresAt string                 `dynamodbav:"expiresAt"`
	TTL       int64                  `dynamodbav:"ttl"`
}

type authorizationCompany struct {
	ID          string `dynamodbav:"id"`
	Name        string `dynamodbav:"name"`
	DisplayName string `dynamodbav:"displayName"`
}

func errAuthorizationNotFound() error {
	return apperr.New(apperr.NotFound, "authorization not found", "id")
}

// CreateAuthorization stores a pending authorization of the tenant in ctx.
func (st *IntegrationStore) CreateAuthorization(ctx context.Context, a integrations.Authorization) error {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return err
	}
	if !ids.Valid(integrations.AuthorizationIDPrefix, a.ID) {
		return fmt.Errorf("create authorization: malformed id %q", a.ID)
	}
	it := authorizationItem{PK: tpk + "#AUTHORIZATION", SK: a.ID, Type: "Authorization", ID: a.ID, TenantID: tpk[2:],
		Provider: string(a.Provider), Secrets: a.SealedSecrets, CreatedAt: fmtTime(a.CreatedAt), ExpiresAt: fmtTime(a.ExpiresAt),
		TTL: a.ExpiresAt.Unix()}
	for _, c := range a.Companies {
		it.Companies = append(it.Companies, authorizationCompany(c))
	}
	put, err := putNew(st.t, it)
	if err != nil {
		return err
	}
	cctx, cancel := st.t.call(ctx)
	defer cancel()
	if _, err := st.t.client.PutItem(cctx, &dynamodb.PutItemInput{TableName: &st.t.name, Item: put.Put.Item,
		ConditionExpression: put.Put.ConditionExpression}); err != nil {
		return fmt.Errorf("create authorization: %w", err)
	}
	return nil
}

// GetAuthorization reads a pending authorization that has not expired.
func (st *IntegrationStore) GetAuthorization(ctx context.Context, id string, now time.Time) (integrations.Authorization, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return integrations.Authorization{}, err
	}
	if !ids.Valid(integrations.AuthorizationIDPrefix, id) {
		return integrations.Authorization{}, errAuthorizationNotFound()
	}
	it, err := getOrNotFound[authorizationItem](ctx, st.t, authorizationKey(tpk, id), "authorization", errAuthorizationNotFound())
	if err != nil {
		return integrations.Authorization{}, err
	}
	a := integrations.Authorization{ID: it.ID, TenantID: it.TenantID, Provider: integrations.Provider(it.Provider),
		SealedSecrets: it.Secrets, CreatedAt: parseTime(it.CreatedAt), ExpiresAt: parseTime(it.ExpiresAt)}
	if !a.ExpiresAt.After(now) {
		return integrations.Authorization{}, errAuthorizationNotFound()
	}
	for _, c := range it.Companies {
		a.Companies = append(a.Companies, integrations.Company(c))
	}
	return a, nil
}

// SaveAuthorizationSecrets replaces a pending authorization's sealed
// secrets (a token pair rotated while it waits).
func (st *IntegrationStore) SaveAuthorizationSecrets(ctx context.Context, id string, sealed []byte) error {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return err
	}
	if !ids.Valid(integrations.AuthorizationIDPrefix, id) {
		return errAuthorizationNotFound()
	}
	_, err = st.t.updateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &st.t.name, Key: authorizationKey(tpk, id), UpdateExpression: aws.String("SET secrets = :v"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberB{Value: sealed}},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return errAuthorizationNotFound()
	}
	if err != nil {
		return fmt.Errorf("save authorization secrets: %w", err)
	}
	return nil
}

// ConsumeAuthorization deletes a pending authorization that has not
// expired: of two callers, one succeeds.
func (st *IntegrationStore) ConsumeAuthorization(ctx context.Context, id string, now time.Time) error {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return err
	}
	if !ids.Valid(integrations.AuthorizationIDPrefix, id) {
		return errAuthorizationNotFound()
	}
	cctx, cancel := st.t.call(ctx)
	defer cancel()
	_, err = st.t.client.DeleteItem(cctx, &dynamodb.DeleteItemInput{
		TableName: &st.t.name, Key: authorizationKey(tpk, id),
		ConditionExpression:       aws.String("attribute_exists(pk) AND expiresAt > :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": s(fmtTime(now))},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return errAuthorizationNotFound()
	}
	if err != nil {
		return fmt.Errorf("consume authorization: %w", err)
	}
	return nil
}

// UpdateSettings replaces a connected integration's public settings.
func (st *IntegrationStore) UpdateSettings(ctx context.Context, id string, settings json.RawMessage, at time.Time) (integrations.Integration, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return integrations.Integration{}, err
	}
	if !ids.Valid(ids.Integration, id) {
		return integrations.Integration{}, errIntegrationNotFound()
	}
	res, err := st.t.updateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &st.t.name, Key: integrationKey(tpk, id),
		UpdateExpression:    aws.String("SET settings = :v, updatedAt = :at"),
		ConditionExpression: aws.String("attribute_exists(pk) AND disconnected = :f"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": s(string(settings)), ":at": s(fmtTime(at)),
			":f": &types.AttributeValueMemberBOOL{Value: false}},
		ReturnValues: types.ReturnValueAllNew,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		if _, gerr := st.GetIntegration(ctx, id); gerr != nil {
			return integrations.Integration{}, gerr
		}
		return integrations.Integration{}, apperr.New(apperr.Invalid, "the integration is disconnected", "input", "id")
	}
	if err != nil {
		return integrations.Integration{}, fmt.Errorf("update integration settings: %w", err)
	}
	var it integrationItem
	if err := attributevalue.UnmarshalMap(res.Attributes, &it); err != nil {
		return integrations.Integration{}, fmt.Errorf("decode integration: %w", err)
	}
	return it.domain(), nil
}
