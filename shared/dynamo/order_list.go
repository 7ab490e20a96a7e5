package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

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
	it, err := getOrNotFound[orderItem](ctx, st.t, key(orderPK(tpk, id), skOrder), "order", apperr.New(apperr.NotFound, "order not found"))
	if err != nil {
		return sales.Order{}, err
	}
	return it.domain(), nil
}

// A filtered listing (status, or a customer's orders at some locations)
// reads its partitions in pages of orderFilterPage items, orderPageBudget
// pages in all, shared among the partitions; when the budget is spent it
// answers with what it found and a cursor where it stopped reading.
const (
	orderPageBudget = 20
	orderFilterPage = 100
	orderQueryers   = 8 // partitions read at once
)

// ListOrders pages newest first through the orders of some locations (every
// location when the filter names none) or of one customer, merging the
// locations' partitions. The cursor names the filter it was made for.
func (st *SalesStore) ListOrders(ctx context.Context, f sales.OrderFilter, first int, after string) ([]sales.Order, string, error) {
	return orderLister{t: st.t, pages: orderPageBudget, pageSize: orderFilterPage}.list(ctx, f, first, after)
}

// orderLister is ListOrders with its read budget as values, so tests can make
// it small.
type orderLister struct {
	t        *Table
	pages    int // Query pages per listing, shared among partitions
	pageSize int // items per page when a filter skips items
}

type orderPart struct{ index, pk string }

// partScan is one partition's answer: its matching orders newest first and,
// when it stopped before the end of its range (enough found, or its pages
// spent), the sort key of the last order it read. Below that key the
// partition is unread.
type partScan struct {
	items []orderItem
	stop  string
}

func (l orderLister) list(ctx context.Context, f sales.OrderFilter, first int, after string) ([]sales.Order, string, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return nil, "", err
	}
	query := orderQuery(f)
	lo, hi, cursor := "0", "9", ""
	if !f.From.IsZero() {
		lo = f.From.UTC().Format(sortTime)
	}
	if !f.To.IsZero() {
		hi = f.To.UTC().Format(sortTime) + "#~"
	}
	if after != "" {
		c, ok := unbindCursor(query, after)
		if !ok || !validOrderSortKey(c) {
			return nil, "", apperr.New(apperr.Invalid, "after is not a cursor from this list", "after")
		}
		cursor = c
		if c < hi {
			hi = c
		}
	}
	if hi < lo {
		return []sales.Order{}, "", nil
	}
	parts, err := l.parts(ctx, tpk, f)
	if err != nil {
		return nil, "", err
	}
	pages := max(1, l.pages/max(1, len(parts)))
	scans := make([]partScan, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	sem := make(chan struct{}, orderQueryers)
	for i, p := range parts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			scans[i], errs[i] = l.scan(ctx, p, lo, hi, cursor, f, first+1, pages)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, "", err
	}
	// Every partition is read down to its stop; below the highest stop some
	// partition is unread, so the page ends there at the latest.
	var bound string
	var all []orderItem
	for _, sc := range scans {
		bound = max(bound, sc.stop)
		all = append(all, sc.items...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].GSI1SK > all[j].GSI1SK })
	known := sort.Search(len(all), func(i int) bool { return all[i].GSI1SK < bound })
	all = all[:known]
	next := ""
	switch {
	case len(all) > first:
		all = all[:first]
		next = bindCursor(query, all[first-1].GSI1SK)
	case bound != "":
		next = bindCursor(query, bound)
	}
	out := make([]sales.Order, len(all))
	for i, it := range all {
		out[i] = it.domain()
	}
	return out, next, nil
}

// parts are the partitions a filter reads.
func (l orderLister) parts(ctx context.Context, tpk string, f sales.OrderFilter) ([]orderPart, error) {
	if f.CustomerID != "" {
		return []orderPart{{IndexGSI2, customerOrdersPK(tpk, f.CustomerID)}}, nil
	}
	locs := f.LocationIDs
	if len(locs) == 0 {
		all, err := NewTenantStore(l.t).ListLocations(ctx)
		if err != nil {
			return nil, err
		}
		for _, loc := range all {
			locs = append(locs, loc.ID)
		}
	}
	parts := make([]orderPart, len(locs))
	for i, loc := range locs {
		parts[i] = orderPart{IndexGSI1, orderListPK(tpk, loc)}
	}
	return parts, nil
}

// orderQuery names a filter, for binding cursors to it.
func orderQuery(f sales.OrderFilter) string {
	locs := slices.Sorted(slices.Values(f.LocationIDs))
	return strings.Join([]string{"orders", strings.Join(locs, ","), f.CustomerID, string(f.Status), fmtQueryTime(f.From), fmtQueryTime(f.To)}, "|")
}

func fmtQueryTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(sortTime)
}

// validOrderSortKey reports whether k looks like an order's list sort key
// (`<createdAt>#<orderId>`).
func validOrderSortKey(k string) bool {
	ts, id, ok := strings.Cut(k, "#")
	if !ok || id == "" || len(ts) != len(sortTime) {
		return false
	}
	_, err := time.Parse(sortTime, ts)
	return err == nil
}

// scan reads one partition newest first within [lo, hi], skipping the
// cursor's own order, until it has want orders or has read pages pages.
func (l orderLister) scan(ctx context.Context, p orderPart, lo, hi, cursor string, f sales.OrderFilter, want, pages int) (partScan, error) {
	pkAttr, skAttr := "gsi1pk", "gsi1sk"
	if p.index == IndexGSI2 {
		pkAttr, skAttr = "gsi2pk", "gsi2sk"
	}
	limit := want
	if cursor != "" {
		limit++ // the cursor's own order comes first and is skipped
	}
	in := &dynamodb.QueryInput{
		TableName: &l.t.name, IndexName: aws.String(p.index), ScanIndexForward: aws.Bool(false), Limit: aws.Int32(int32(limit)),
		KeyConditionExpression:    aws.String(fmt.Sprintf("%s = :pk AND %s BETWEEN :lo AND :hi", pkAttr, skAttr)),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(p.pk), ":lo": s(lo), ":hi": s(hi)},
	}
	var filters []string
	if f.Status != "" {
		filters = append(filters, "#st = :st")
		in.ExpressionAttributeNames = map[string]string{"#st": "status"}
		in.ExpressionAttributeValues[":st"] = s(string(f.Status))
	}
	if f.CustomerID != "" && len(f.LocationIDs) > 0 {
		filters = append(filters, locationFilter(f.LocationIDs, in.ExpressionAttributeValues))
	}
	if len(filters) > 0 {
		in.FilterExpression = aws.String(strings.Join(filters, " AND "))
		in.Limit = aws.Int32(int32(l.pageSize))
	}
	var sc partScan
	for page := 0; ; page++ {
		res, err := l.t.queryPage(ctx, in)
		if err != nil {
			return partScan{}, fmt.Errorf("list orders: %w", err)
		}
		for _, raw := range res.Items {
			var it orderItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return partScan{}, fmt.Errorf("decode order: %w", err)
			}
			if it.GSI1SK == cursor {
				continue // BETWEEN is inclusive; the cursor's own order was on the last page
			}
			sc.items = append(sc.items, it)
			if len(sc.items) >= want {
				sc.stop = it.GSI1SK
				return sc, nil
			}
		}
		if res.LastEvaluatedKey == nil {
			return sc, nil // the whole range is read
		}
		if page+1 >= pages {
			last, ok := res.LastEvaluatedKey[skAttr].(*types.AttributeValueMemberS)
			if !ok {
				return partScan{}, fmt.Errorf("list orders: last evaluated key without %s", skAttr)
			}
			sc.stop = last.Value
			return sc, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

// locationFilter is the filter expression `locationId IN (...)` for ids,
// in groups of 100 (DynamoDB's limit of IN operands), adding the values.
func locationFilter(ids []string, vals map[string]types.AttributeValue) string {
	var groups []string
	for start := 0; start < len(ids); start += 100 {
		var names []string
		for i, id := range ids[start:min(start+100, len(ids))] {
			name := fmt.Sprintf(":loc%d", start+i)
			vals[name] = s(id)
			names = append(names, name)
		}
		groups = append(groups, "locationId IN ("+strings.Join(names, ", ")+")")
	}
	return "(" + strings.Join(groups, " OR ") + ")"
}
