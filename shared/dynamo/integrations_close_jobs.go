package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/integrations"
)

var _ integrations.CloseJobReader = (*IntegrationStore)(nil)

// JobsCreatedBetween reads the integration's jobs created in [from, to]:
// one Query of its job list on gsi2 (`T#<tid>#INTJOBS#<iid>`, sort key
// `<createdAt>#<jobId>`) bounded on the sort key, with the table reads of
// its entries (queryPage), keeping the jobs of kind.
func (st *IntegrationStore) JobsCreatedBetween(ctx context.Context, integrationID, kind string, from, to time.Time, limit int) ([]integrations.Job, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return nil, err
	}
	if !ids.Valid(ids.Integration, integrationID) {
		return nil, errIntegrationNotFound()
	}
	items, err := queryItems[jobItem](ctx, st.t, &dynamodb.QueryInput{
		TableName: &st.t.name, IndexName: aws.String(IndexGSI2),
		KeyConditionExpression: aws.String("gsi2pk = :pk AND gsi2sk BETWEEN :lo AND :hi"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(jobListPK(tpk, integrationID)),
			":lo": s(fmtSortTime(from)), ":hi": s(fmtSortTime(to) + "#~")},
	}, limit, func(it *jobItem) bool { return it.Kind == kind })
	if err != nil {
		return nil, fmt.Errorf("list jobs by time: %w", err)
	}
	out := make([]integrations.Job, len(items))
	for i, it := range items {
		out[i] = it.domain()
	}
	return out, nil
}
