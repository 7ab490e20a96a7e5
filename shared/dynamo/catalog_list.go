package dynamo

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/catalog"
	"github.com/renkei-pos/renkei/shared/ids"
)

// ---- listing and search

// ListItems pages through the items in name-key order. Without a query it
// is one Query of the name index. With one, it is the union of three
// Queries run together: name prefix (paged exactly), SKU prefix and
// barcode prefix (the first searchCap variants each); the page is the
// union's first items after the cursor, and the items found only through
// a variant are then batch-read. Indexes are eventually consistent.
func (st *CatalogStore) ListItems(ctx context.Context, query string, first int, after string) ([]catalog.Item, string, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return nil, "", err
	}
	bound := "items|" + query
	afterKey, err := parseItemCursor(bound, after)
	if err != nil {
		return nil, "", err
	}
	if query == "" {
		recs, err := st.scanNames(ctx, tpk, "", afterKey, first+1)
		if err != nil {
			return nil, "", err
		}
		return pageOf(recs, first, bound)
	}

	var (
		wg                  sync.WaitGroup
		names               []catalogItem
		bySKU, byBarcode    []variantHitItem
		nameErr, sErr, bErr error
	)
	wg.Go(func() { names, nameErr = st.scanNames(ctx, tpk, strings.ToLower(query), afterKey, first+1) })
	if strings.IndexFunc(query, unicode.IsSpace) < 0 { // SKUs have no spaces
		wg.Go(func() { bySKU, sErr = st.variantPrefix(ctx, IndexGSI1, attrGSI1PK, attrGSI1SK, skuListPK(tpk), query) })
	}
	if strings.Trim(query, "0123456789") == "" { // barcodes are digits
		wg.Go(func() {
			byBarcode, bErr = st.variantPrefix(ctx, IndexGSI2, attrGSI2PK, attrGSI2SK, barcodeListPK(tpk), query)
		})
	}
	wg.Wait()
	if err := errors.Join(nameErr, sErr, bErr); err != nil {
		return nil, "", err
	}

	type entry struct {
		id, key string
		rec     *catalogItem // nil until read
	}
	byID := map[string]*entry{}
	for i := range names {
		byID[names[i].ID] = &entry{names[i].ID, names[i].GSI1SK, &names[i]}
	}
	for _, h := range append(bySKU, byBarcode...) {
		if k := itemNameKey(h.ItemName, h.ItemID); byID[h.ItemID] == nil && k > afterKey {
			byID[h.ItemID] = &entry{id: h.ItemID, key: k}
		}
	}
	entries := make([]*entry, 0, len(byID))
	for _, e := range byID {
		entries = append(entries, e)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].key < entries[j].key })
	more := len(entries) > first
	entries = entries[:min(len(entries), first)]

	var missing []string
	for _, e := range entries {
		if e.rec == nil {
			missing = append(missing, e.id)
		}
	}
	if len(missing) > 0 {
		got, err := st.batchItems(ctx, tpk, missing)
		if err != nil {
			return nil, "", err
		}
		for i := range got {
			byID[got[i].ID].rec = &got[i]
		}
	}
	items := make([]catalog.Item, 0, len(entries))
	for _, e := range entries {
		if e.rec != nil { // nil only while an index lags a write
			items = append(items, e.rec.domain())
		}
	}
	next := ""
	if more {
		next = bindCursor(bound, entries[len(entries)-1].key)
	}
	return items, next, nil
}

// pageOf cuts recs (up to first+1, in key order) to a page and its cursor.
func pageOf(recs []catalogItem, first int, bound string) ([]catalog.Item, string, error) {
	recs, next := cutPage(recs, first, bound, func(r catalogItem) string { return r.GSI1SK })
	out := make([]catalog.Item, len(recs))
	for i, r := range recs {
		out[i] = r.domain()
	}
	return out, next, nil
}

// scanNames reads up to n items of the name index after the key after,
// whose lower-cased name starts with prefix ("" for all).
func (st *CatalogStore) scanNames(ctx context.Context, tpk, prefix, after string, n int) ([]catalogItem, error) {
	vals := map[string]types.AttributeValue{":pk": s(itemListPK(tpk))}
	cond := "gsi1pk = :pk"
	switch {
	case prefix == "" && after != "":
		cond += " AND gsi1sk > :lo"
		vals[":lo"] = s(after)
	case prefix != "":
		lo, hi := prefix, prefix+string(utf8.MaxRune)
		if after > lo {
			lo = after // inclusive in BETWEEN: skipped below
		}
		if lo >= hi {
			return nil, nil
		}
		cond += " AND gsi1sk BETWEEN :lo AND :hi"
		vals[":lo"], vals[":hi"] = s(lo), s(hi)
	}
	in := &dynamodb.QueryInput{TableName: &st.t.name, IndexName: aws.String(IndexGSI1), KeyConditionExpression: aws.String(cond), ExpressionAttributeValues: vals}
	recs, err := queryItems(ctx, st.t, in, n, func(rec *catalogItem) bool {
		// The key is "<lower(name)>#<id>": a prefix reaching past the name
		// (e.g. "tea#") matches the key, not the name.
		return rec.GSI1SK != after && strings.HasPrefix(strings.ToLower(rec.Name), prefix)
	})
	if err != nil {
		return nil, fmt.Errorf("list items: %w", err)
	}
	return recs, nil
}

// variantHitItem is a variant item found by a prefix search, projected to its item.
type variantHitItem struct {
	ItemID   string `dynamodbav:"itemId"`
	ItemName string `dynamodbav:"itemName"`
}

func (st *CatalogStore) variantPrefix(ctx context.Context, index, pkAttr, skAttr, pk, prefix string) ([]variantHitItem, error) {
	hits, err := queryItems[variantHitItem](ctx, st.t, &dynamodb.QueryInput{
		TableName: &st.t.name, IndexName: aws.String(index),
		KeyConditionExpression:    aws.String("#pk = :pk AND begins_with(#sk, :q)"),
		ProjectionExpression:      aws.String("#i, #n"),
		ExpressionAttributeNames:  map[string]string{"#pk": pkAttr, "#sk": skAttr, "#i": "itemId", "#n": "itemName"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(pk), ":q": s(prefix)},
	}, searchCap, nil)
	if err != nil {
		return nil, fmt.Errorf("search variants: %w", err)
	}
	return hits, nil
}

// parseItemCursor unbinds a cursor of the items listing bound (see
// cursor.go) and checks that it names an item: "<lower(name)>#<item id>".
func parseItemCursor(bound, c string) (string, error) {
	if c == "" {
		return "", nil
	}
	k, ok := unbindCursor(bound, c)
	i := strings.LastIndexByte(k, '#')
	if !ok || i < 0 || !ids.Valid(catalog.ItemIDPrefix, k[i+1:]) {
		return "", errCursor()
	}
	return k, nil
}
