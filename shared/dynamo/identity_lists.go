package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/identity"
)

// The staff and API key lists: a tenant's users (sk `USER#<id>`) and keys
// (sk `APIKEY#<id>`) sit in its root partition `T#<tid>`, so each list is
// one strongly consistent Query of a sort-key prefix (paged by 1 MB), and
// each count one Select COUNT Query of the same prefix.

var _ identity.Lister = (*IdentityStore)(nil)

func (st *IdentityStore) prefixQuery(ctx context.Context, prefix string) (*dynamodb.QueryInput, error) {
	pk, err := tenantPK(ctx)
	if err != nil {
		return nil, err
	}
	return &dynamodb.QueryInput{
		TableName: &st.t.name, ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(pk), ":p": s(prefix)},
	}, nil
}

// ListUsers reads up to limit of the tenant's users, in id order.
func (st *IdentityStore) ListUsers(ctx context.Context, limit int) ([]identity.User, error) {
	in, err := st.prefixQuery(ctx, skUserPrefix)
	if err != nil {
		return nil, err
	}
	items, err := queryItems[userItem](ctx, st.t, in, limit, nil)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	out := make([]identity.User, len(items))
	for i, it := range items {
		out[i] = it.domain()
	}
	return out, nil
}

// ListAPIKeys reads up to limit of the tenant's API keys, in id order.
func (st *IdentityStore) ListAPIKeys(ctx context.Context, limit int) ([]identity.APIKey, error) {
	in, err := st.prefixQuery(ctx, skKeyPrefix)
	if err != nil {
		return nil, err
	}
	items, err := queryItems[apiKeyItem](ctx, st.t, in, limit, nil)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	out := make([]identity.APIKey, len(items))
	for i, it := range items {
		out[i] = it.domain()
	}
	return out, nil
}

// CountUsers counts the tenant's users, deactivated ones included.
func (st *IdentityStore) CountUsers(ctx context.Context) (int, error) {
	in, err := st.prefixQuery(ctx, skUserPrefix)
	if err != nil {
		return 0, err
	}
	return st.t.count(ctx, in)
}

// CountAPIKeys counts the tenant's API keys, revoked ones included.
func (st *IdentityStore) CountAPIKeys(ctx context.Context) (int, error) {
	in, err := st.prefixQuery(ctx, skKeyPrefix)
	if err != nil {
		return 0, err
	}
	return st.t.count(ctx, in)
}

// count runs a Select COUNT Query to its end (no item is returned).
func (t *Table) count(ctx context.Context, in *dynamodb.QueryInput) (int, error) {
	in.Select = types.SelectCount
	total := 0
	for {
		cctx, cancel := t.call(ctx)
		res, err := t.client.Query(cctx, in)
		cancel()
		if err != nil {
			return 0, fmt.Errorf("count: %w", err)
		}
		total += int(res.Count)
		if res.LastEvaluatedKey == nil {
			return total, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}
