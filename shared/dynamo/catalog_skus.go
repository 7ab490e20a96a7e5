package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/catalog"
)

// MaxListedSKUs bounds ListSKUs: a connect-time comparison of a catalog
// with a shop's reads at most this many variants.
const MaxListedSKUs = 100_000

// ListSKUs reads every variant of the tenant's catalog through the SKU index
// (gsi1 `T#<tid>#SKU`, sorted by SKU), at most MaxListedSKUs. The index is
// eventually consistent: a variant written a moment ago may be missing.
func (st *CatalogStore) ListSKUs(ctx context.Context) ([]catalog.Variant, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return nil, err
	}
	items, err := queryItems[variantItem](ctx, st.t, &dynamodb.QueryInput{
		TableName: &st.t.name, IndexName: aws.String(IndexGSI1),
		KeyConditionExpression:    aws.String("gsi1pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(skuListPK(tpk))},
	}, MaxListedSKUs, nil)
	if err != nil {
		return nil, fmt.Errorf("list SKUs: %w", err)
	}
	out := make([]catalog.Variant, len(items))
	for i, it := range items {
		out[i] = it.domain()
	}
	return out, nil
}

// VariantIDsBySKU resolves SKUs to variant ids through the SKU claims
// (`T#<tid>#SKU#<sku>`, strongly consistent); SKUs no variant has are
// absent from the map.
func (st *CatalogStore) VariantIDsBySKU(ctx context.Context, skus []string) (map[string]string, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return nil, err
	}
	keys := make([]map[string]types.AttributeValue, 0, len(skus))
	seen := map[string]bool{}
	for _, sku := range skus {
		if sku != "" && !seen[sku] {
			seen[sku] = true
			keys = append(keys, key(skuPK(tpk, sku), skSKU))
		}
	}
	claims, err := batchGetAs[skuItem](ctx, st.t, keys, "SKU")
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(claims))
	for _, c := range claims {
		out[c.SKU] = c.VariantID
	}
	return out, nil
}
