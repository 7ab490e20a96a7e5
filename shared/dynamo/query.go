package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// queryItems runs a Query page by page, decoding each item into T and
// keeping those keep accepts (nil: all), until want items are kept or the
// query has no more pages. Each page asks for in.Limit items when the
// caller set it (a filter that skips many items), otherwise for as many as
// are still wanted. It is the one loop over Query pages: listings differ in
// their key conditions, filters and cursors, not in how they read.
func queryItems[T any](ctx context.Context, t *Table, in *dynamodb.QueryInput, want int, keep func(*T) bool) ([]T, error) {
	fixed := in.Limit != nil
	var out []T
	for len(out) < want {
		if !fixed {
			in.Limit = aws.Int32(int32(want - len(out)))
		}
		cctx, cancel := t.call(ctx)
		page, err := t.client.Query(cctx, in)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("query: %w", err)
		}
		for _, raw := range page.Items {
			var it T
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return nil, fmt.Errorf("decode %T: %w", it, err)
			}
			if keep == nil || keep(&it) {
				out = append(out, it)
			}
			if len(out) == want {
				return out, nil
			}
		}
		if page.LastEvaluatedKey == nil {
			break
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
	return out, nil
}
