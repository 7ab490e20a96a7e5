package dynamo

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/sales"
)

// GetOrder reads one order of the tenant in ctx.
func (st *SalesStore) GetOrder(ctx context.Context, id string) (sales.Order, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return sales.Order{}, err
	}
	var it orderItem
	found, err := st.t.get(ctx, key(orderPK(tpk, id), skOrder), &it)
	if err != nil {
		return sales.Order{}, fmt.Errorf("get order: %w", err)
	}
	if !found {
		return sales.Order{}, apperr.New(apperr.NotFound, "order not found")
	}
	return it.domain(), nil
}

// maxOrderPages bounds the pages read per partition for one listing when a
// status filter skips items.
const maxOrderPages = 20

// ListOrders pages newest first through one location's (or one customer's)
// orders, or merges every location's partition when no location is given.
func (st *SalesStore) ListOrders(ctx context.Context, f sales.OrderFilter, first int, after string) ([]sales.Order, string, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return nil, "", err
	}
	lo, hi, cursor := "0", "9", ""
	if !f.From.IsZero() {
		lo = f.From.UTC().Format(sortTime)
	}
	if !f.To.IsZero() {
		hi = f.To.UTC().Format(sortTime) + "#~"
	}
	if after != "" {
		c, err := decodeCursor(after)
		if err != nil || len(c) < len(sortTime) {
			return nil, "", apperr.New(apperr.Invalid, "after is not a cursor from this list", "after")
		}
		cursor = c
		if c < hi {
			hi = c
		}
	}
	type part struct{ index, pk string }
	var parts []part
	switch {
	case f.CustomerID != "":
		parts = []part{{IndexGSI2, customerOrdersPK(tpk, f.CustomerID)}}
	case f.LocationID != "":
		parts = []part{{IndexGSI1, orderListPK(tpk, f.LocationID)}}
	default:
		locs, err := NewTenantStore(st.t).ListLocations(ctx)
		if err != nil {
			return nil, "", err
		}
		for _, l := range locs {
			parts = append(parts, part{IndexGSI1, orderListPK(tpk, l.ID)})
		}
	}
	var mu sync.Mutex
	var all []orderItem
	var firstErr error
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, p := range parts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			items, err := st.queryOrders(ctx, p.index, p.pk, lo, hi, cursor, f, first+1)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			all = append(all, items...)
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, "", firstErr
	}
	sort.Slice(all, func(i, j int) bool { return all[i].GSI1SK > all[j].GSI1SK })
	all, next := cutPage(all, first, func(it orderItem) string { return it.GSI1SK })
	out := make([]sales.Order, len(all))
	for i, it := range all {
		out[i] = it.domain()
	}
	return out, next, nil
}

func (st *SalesStore) queryOrders(ctx context.Context, index, pk, lo, hi, cursor string, f sales.OrderFilter, want int) ([]orderItem, error) {
	pkAttr, skAttr := "gsi1pk", "gsi1sk"
	if index == IndexGSI2 {
		pkAttr, skAttr = "gsi2pk", "gsi2sk"
	}
	in := &dynamodb.QueryInput{
		TableName: &st.t.name, IndexName: aws.String(index), ScanIndexForward: aws.Bool(false), Limit: aws.Int32(int32(want)),
		KeyConditionExpression:    aws.String(fmt.Sprintf("%s = :pk AND %s BETWEEN :lo AND :hi", pkAttr, skAttr)),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(pk), ":lo": s(lo), ":hi": s(hi)},
	}
	var filters []string
	names := map[string]string{}
	if f.Status != "" {
		filters = append(filters, "#st = :st")
		names["#st"] = "status"
		in.ExpressionAttributeValues[":st"] = s(string(f.Status))
	}
	if f.CustomerID != "" && f.LocationID != "" {
		filters = append(filters, "locationId = :loc")
		in.ExpressionAttributeValues[":loc"] = s(f.LocationID)
	}
	if len(filters) > 0 {
		in.FilterExpression = aws.String(strings.Join(filters, " AND "))
		in.Limit = aws.Int32(100)
	}
	if len(names) > 0 {
		in.ExpressionAttributeNames = names
	}
	var out []orderItem
	for page := 0; page < maxOrderPages; page++ {
		cctx, cancel := st.t.call(ctx)
		res, err := st.t.client.Query(cctx, in)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("list orders: %w", err)
		}
		for _, raw := range res.Items {
			var it orderItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return nil, fmt.Errorf("decode order: %w", err)
			}
			if it.GSI1SK == cursor {
				continue // BETWEEN is inclusive; the cursor's own order was on the last page
			}
			out = append(out, it)
			if len(out) >= want {
				return out, nil
			}
		}
		if res.LastEvaluatedKey == nil {
			break
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
	return out, nil
}
