package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// The close listing (sales.CloseLister): the tenant's location ids (one
// Query of its root partition, ids only), then one Query per location of
// its close partition, bounded by the dates on the sort key
// (`<businessDate>#<registerId|ALL>#<revision>`), every revision kept.

var _ sales.CloseLister = (*SalesStore)(nil)

// CloseLocationIDs returns the ids of the tenant's locations.
func (st *SalesStore) CloseLocationIDs(ctx context.Context) ([]string, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return nil, err
	}
	locs, err := queryItems[locationItem](ctx, st.t, &dynamodb.QueryInput{
		TableName:                 &st.t.name,
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(tpk), ":p": s(skLocPrefix)},
		ProjectionExpression:      aws.String("id"),
	}, tenant.MaxLocations+1, nil)
	if err != nil {
		return nil, fmt.Errorf("list locations: %w", err)
	}
	out := make([]string, len(locs))
	for i, l := range locs {
		out[i] = l.ID
	}
	return out, nil
}

// CloseRevisions returns up to limit close revisions of the location whose
// business date is in [from, to] (YYYY-MM-DD, validated by the caller).
func (st *SalesStore) CloseRevisions(ctx context.Context, locationID, from, to string, limit int) ([]sales.RegisterClose, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return nil, err
	}
	items, err := queryItems[closeItem](ctx, st.t, &dynamodb.QueryInput{
		TableName: &st.t.name, ConsistentRead: aws.Bool(true),
		KeyConditionExpression: aws.String("pk = :pk AND sk BETWEEN :lo AND :hi"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(closePK(tpk, locationID)),
			":lo": s(from + "#"), ":hi": s(to + "#~")},
	}, limit, nil)
	if err != nil {
		return nil, fmt.Errorf("list closes of %s: %w", locationID, err)
	}
	out := make([]sales.RegisterClose, len(items))
	for i, it := range items {
		out[i] = it.domain()
	}
	return out, nil
}
