package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/sales"
)

// LocationCloses returns the newest revision of every whole-location close
// (RegisterID "") of the tenant whose business date is in [since, until]
// (YYYY-MM-DD), by location then date: one Query for the locations, then
// one per location on its close partition, bounded by the dates on the sort
// key (`<businessDate>#<registerId|ALL>#<revision>`). Register closes in
// the range are read and dropped; a location has a few registers. An
// accounting sync reads this to find the days to post.
func (st *SalesStore) LocationCloses(ctx context.Context, since, until string) ([]sales.RegisterClose, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range []string{since, until} {
		if _, err := time.Parse(time.DateOnly, d); err != nil || len(d) != len(time.DateOnly) {
			return nil, apperr.New(apperr.Invalid, "dates must be YYYY-MM-DD")
		}
	}
	locs, err := st.CloseLocationIDs(ctx)
	if err != nil {
		return nil, err
	}
	var out []sales.RegisterClose
	for _, loc := range locs {
		items, err := queryItems[closeItem](ctx, st.t, &dynamodb.QueryInput{
			TableName:              &st.t.name,
			KeyConditionExpression: aws.String("pk = :pk AND sk BETWEEN :lo AND :hi"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(closePK(tpk, loc)),
				":lo": s(since + "#"), ":hi": s(until + "#~")},
		}, maxDayOrders, func(it *closeItem) bool { return it.RegisterID == "" })
		if err != nil {
			return nil, fmt.Errorf("list closes of %s: %w", loc, err)
		}
		for _, it := range items { // ascending sk: a date's revisions in order
			if n := len(out); n > 0 && out[n-1].LocationID == it.LocationID && out[n-1].BusinessDate == it.BusinessDate {
				out[n-1] = it.domain()
				continue
			}
			out = append(out, it.domain())
		}
	}
	return out, nil
}
