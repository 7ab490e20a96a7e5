package dynamo

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/tenant"
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
		page, err := t.queryPage(ctx, in)
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

// queryPage runs one Query page. The indexes project only keys and
// IndexAttributes (table.go), so a Query of an index that wants whole items
// (no ProjectionExpression, not a COUNT) gets them from the table: one
// eventually consistent BatchGetItem of the page's keys (the index is
// eventually consistent anyway), each index entry replaced by its item in
// the index's order. An item that has meanwhile left the index partition
// read (its key there changed or was removed) or the table is dropped, as
// the index itself would have dropped it a moment later. LastEvaluatedKey
// is the index's, so paging is unchanged.
func (t *Table) queryPage(ctx context.Context, in *dynamodb.QueryInput) (*dynamodb.QueryOutput, error) {
	cctx, cancel := t.call(ctx)
	page, err := t.client.Query(cctx, in)
	cancel()
	if err != nil || in.IndexName == nil || in.ProjectionExpression != nil || in.Select == types.SelectCount || len(page.Items) == 0 {
		return page, err
	}
	pkAttr := *in.IndexName + "pk" // gsi1 → gsi1pk (table.go)
	keys := make([]map[string]types.AttributeValue, len(page.Items))
	for i, e := range page.Items {
		keys[i] = map[string]types.AttributeValue{attrPK: e[attrPK], attrSK: e[attrSK]}
	}
	got, err := t.batchGetAsOwners(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("read the items of %s: %w", *in.IndexName, err)
	}
	byKey := make(map[[2]string]map[string]types.AttributeValue, len(got))
	for _, it := range got {
		byKey[[2]string{str(it[attrPK]), str(it[attrSK])}] = it
	}
	items := page.Items[:0]
	for _, e := range page.Items {
		it, ok := byKey[[2]string{str(e[attrPK]), str(e[attrSK])}]
		if ok && str(it[pkAttr]) == str(e[pkAttr]) {
			items = append(items, it)
		}
	}
	page.Items = items
	return page, nil
}

// str is a string attribute's value ("" for anything else).
func str(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// batchGetAsOwners reads keys found through an index (eventually
// consistent). A tenant's query reads its own keys under its context. A
// platform query (no tenant in ctx: the outbox sweep of every tenant's
// events) reads each tenant's items under that tenant's context, so that
// in AWS each read runs with that tenant's credentials (shared/tenantcreds),
// the only ones allowed to read T#<tenant> keys; other keys are read as
// the function.
func (t *Table) batchGetAsOwners(ctx context.Context, keys []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	if _, err := tenant.IDFrom(ctx); err == nil {
		return t.batchGet(ctx, keys, false)
	}
	groups := map[string][]map[string]types.AttributeValue{}
	var order []string
	for _, k := range keys {
		tid := ""
		if pk := str(k[attrPK]); strings.HasPrefix(pk, "T#") {
			if id, _, _ := strings.Cut(pk[2:], "#"); ids.Valid(ids.Tenant, id) {
				tid = id
			}
		}
		if _, seen := groups[tid]; !seen {
			order = append(order, tid)
		}
		groups[tid] = append(groups[tid], k)
	}
	var out []map[string]types.AttributeValue
	for _, tid := range order {
		gctx := ctx
		if tid != "" {
			gctx = tenant.WithID(ctx, tid)
		}
		got, err := t.batchGet(gctx, groups[tid], false)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}
