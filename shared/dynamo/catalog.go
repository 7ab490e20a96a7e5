package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/backoff"
	"github.com/renkei-pos/renkei/shared/catalog"
	"github.com/renkei-pos/renkei/shared/tax"
)

// Catalog items (docs/data-model.md, Catalog):
//
//	item     T#tid#ITEM#<id> / ITEM        variants embedded; gsi1 T#tid#ITEMS / <lower(name)>#<id>
//	variant  T#tid#VAR#<id> / VAR          (shapes.go) gsi1 T#tid#SKU / <sku>, gsi2 T#tid#BARCODE / <barcode>
//	SKU      T#tid#SKU#<sku> / SKU         owner: variantId, itemId
//	barcode  T#tid#BARCODE#<gtin14> / BARCODE   owner, plus the whole variant (one GetItem per scan)
//
// An upsert writes all of them in one transaction. Uniqueness items are
// owned by an item: a SKU may move between variants of the item being
// written in one request, and the item's version condition rules out any
// concurrent change to what it owns.

const (
	skItem    = "ITEM"
	skSKU     = "SKU"
	skBarcode = "BARCODE"

	maxTransactActions = 100 // DynamoDB's limit per TransactWriteItems
	// searchCap bounds the variants a SKU or barcode prefix search reads
	// (per index, per page): matches beyond it are not found.
	searchCap = 200
)

func itemPK(tpk, id string) string                           { return tpk + "#ITEM#" + id }
func itemListPK(tpk string) string                           { return tpk + "#ITEMS" }
func skuPK(tpk, sku string) string                           { return tpk + "#SKU#" + sku }
func skuListPK(tpk string) string                            { return tpk + "#SKU" }
func barcodePK(tpk, gtin string) string                      { return tpk + "#BARCODE#" + gtin }
func barcodeListPK(tpk string) string                        { return tpk + "#BARCODE" }
func itemNameKey(name, id string) string                     { return strings.ToLower(name) + "#" + id }
func itemKey(tpk, id string) map[string]types.AttributeValue { return key(itemPK(tpk, id), skItem) }

// CatalogStore implements catalog.Store on the single table.
type CatalogStore struct{ t *Table }

var _ catalog.Store = (*CatalogStore)(nil)

// NewCatalogStore returns the catalog store.
func NewCatalogStore(t *Table) *CatalogStore { return &CatalogStore{t: t} }

// catalogItem is a catalog item (catalog.Item) with its variants embedded.
type catalogItem struct {
	PK          string                `dynamodbav:"pk"`
	SK          string                `dynamodbav:"sk"`
	Type        string                `dynamodbav:"type"`
	GSI1PK      string                `dynamodbav:"gsi1pk"`
	GSI1SK      string                `dynamodbav:"gsi1sk"`
	ID          string                `dynamodbav:"id"`
	Name        string                `dynamodbav:"name"`
	TaxCategory string                `dynamodbav:"taxCategory"`
	Variants    []embeddedVariantItem `dynamodbav:"variants"`
	CreatedAt   string                `dynamodbav:"createdAt"`
	UpdatedAt   string                `dynamodbav:"updatedAt"`
	Version     int64                 `dynamodbav:"version"`
}

// embeddedVariantItem is a variant embedded in its catalog item.
type embeddedVariantItem struct {
	ID         string `dynamodbav:"id"`
	Name       string `dynamodbav:"name"`
	SKU        string `dynamodbav:"sku"`
	Barcode    string `dynamodbav:"barcode,omitempty"`
	Price      int64  `dynamodbav:"price"`
	Currency   string `dynamodbav:"currency"`
	TrackStock bool   `dynamodbav:"trackStock"`
}

func toCatalogItem(tpk string, it catalog.Item, version int64) catalogItem {
	rec := catalogItem{PK: itemPK(tpk, it.ID), SK: skItem, Type: "Item", GSI1PK: itemListPK(tpk), GSI1SK: itemNameKey(it.Name, it.ID),
		ID: it.ID, Name: it.Name, TaxCategory: string(it.TaxCategory), CreatedAt: fmtTime(it.CreatedAt), UpdatedAt: fmtTime(it.UpdatedAt), Version: version}
	for _, v := range it.Variants {
		rec.Variants = append(rec.Variants, embeddedVariantItem{ID: v.ID, Name: v.Name, SKU: v.SKU, Barcode: v.Barcode, Price: v.Price, Currency: v.Currency, TrackStock: v.TrackStock})
	}
	return rec
}

func (r catalogItem) domain() catalog.Item {
	it := catalog.Item{ID: r.ID, Name: r.Name, TaxCategory: tax.Category(r.TaxCategory), CreatedAt: parseTime(r.CreatedAt), UpdatedAt: parseTime(r.UpdatedAt)}
	for _, v := range r.Variants {
		it.Variants = append(it.Variants, catalog.Variant{ID: v.ID, ItemID: r.ID, ItemName: r.Name, Name: v.Name, SKU: v.SKU, Barcode: v.Barcode,
			Price: v.Price, Currency: v.Currency, TrackStock: v.TrackStock, TaxCategory: it.TaxCategory, UpdatedAt: it.UpdatedAt})
	}
	return it
}

// indexedVariantItem is the shared variant shape plus its search index keys.
func indexedVariantItem(tpk string, v catalog.Variant) variantItem {
	rec := variantToItem(tpk, v)
	rec.GSI1PK, rec.GSI1SK = skuListPK(tpk), v.SKU
	if v.Barcode != "" {
		rec.GSI2PK, rec.GSI2SK = barcodeListPK(tpk), v.Barcode
	}
	return rec
}

// skuItem claims a SKU for one variant of one item.
type skuItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	Type      string `dynamodbav:"type"`
	SKU       string `dynamodbav:"sku"`
	VariantID string `dynamodbav:"variantId"`
	ItemID    string `dynamodbav:"itemId"`
}

// barcodeItem is the whole variant under its barcode's key, so a scan is
// one GetItem.
func barcodeItem(tpk string, v catalog.Variant) (map[string]types.AttributeValue, error) {
	gtin, _ := catalog.GTIN14(v.Barcode)
	rec := variantToItem(tpk, v)
	rec.PK, rec.SK, rec.Type = barcodePK(tpk, gtin), skBarcode, "Barcode"
	av, err := attributevalue.MarshalMap(rec)
	if err != nil {
		return nil, fmt.Errorf("marshal barcode: %w", err)
	}
	av["variantId"] = s(v.ID)
	return av, nil
}

// ---- writes

// CreateItem writes a new item, its variants and their SKU and barcode
// claims in one transaction.
func (st *CatalogStore) CreateItem(ctx context.Context, it catalog.Item) error {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return err
	}
	err = st.write(ctx, tpk, it, nil)
	if errors.Is(err, errItemVersion) {
		return fmt.Errorf("create item %s: id already in use", it.ID) // ids are random: never happens
	}
	return err
}

// UpdateItem is a read-modify-write of one item, guarded by its version and
// repeated under backoff.Contention when another update won the race.
func (st *CatalogStore) UpdateItem(ctx context.Context, id string, update func(catalog.Item) (catalog.Item, error)) (catalog.Item, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return catalog.Item{}, err
	}
	var updated catalog.Item
	err = backoff.Contention.Retry(ctx, func(int) (bool, error) {
		prev, err := st.getCatalogItem(ctx, tpk, id)
		if err != nil {
			return false, err
		}
		next, err := update(prev.domain())
		if err != nil {
			return false, err
		}
		if next.ID != id {
			return false, fmt.Errorf("update item %s: update changed the id", id)
		}
		err = st.write(ctx, tpk, next, &prev)
		if errors.Is(err, errItemVersion) {
			return true, err // someone else updated the item since we read it
		}
		updated = next
		return false, err
	})
	return updated, err
}

func (st *CatalogStore) getCatalogItem(ctx context.Context, tpk, id string) (catalogItem, error) {
	return getOrNotFound[catalogItem](ctx, st.t, itemKey(tpk, id), "item", catalog.ErrItemNotFound)
}

var errItemVersion = errors.New("item version changed")

// claim says which variant field an action of the transaction claims, to
// report a failed condition as TAKEN on that field.
type claim struct {
	variant int
	field   string // "sku", "barcode", or "" for actions that claim nothing
}

// write puts it (and removes what prev had that it no longer has) in one
// transaction. prev is nil when creating.
func (st *CatalogStore) write(ctx context.Context, tpk string, it catalog.Item, prev *catalogItem) error {
	var acts []types.TransactWriteItem
	var claims []claim
	owned := map[string]types.AttributeValue{":item": s(it.ID)}
	const ownedCond = "attribute_not_exists(pk) OR itemId = :item"
	put := func(item map[string]types.AttributeValue, cond string, vals map[string]types.AttributeValue, c claim) {
		acts = append(acts, types.TransactWriteItem{Put: &types.Put{TableName: &st.t.name, Item: item, ConditionExpression: aws.String(cond), ExpressionAttributeValues: vals}})
		claims = append(claims, c)
	}
	del := func(k map[string]types.AttributeValue) {
		acts = append(acts, types.TransactWriteItem{Delete: &types.Delete{TableName: &st.t.name, Key: k}})
		claims = append(claims, claim{variant: -1})
	}

	version, cond, vals := int64(1), "attribute_not_exists(pk)", map[string]types.AttributeValue(nil)
	prevSKU, prevGTIN, prevVariant := map[string]string{}, map[string]bool{}, map[string]bool{}
	if prev != nil {
		version, cond = prev.Version+1, "version = :v"
		vals = map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: strconv.FormatInt(prev.Version, 10)}}
		for _, v := range prev.Variants {
			prevSKU[v.SKU] = v.ID
			prevVariant[v.ID] = true
			if g, ok := catalog.GTIN14(v.Barcode); ok {
				prevGTIN[g] = true
			}
		}
	}
	rec, err := attributevalue.MarshalMap(toCatalogItem(tpk, it, version))
	if err != nil {
		return fmt.Errorf("marshal item: %w", err)
	}
	put(rec, cond, vals, claim{variant: -1})

	newSKU, newGTIN, newVariant := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for i, v := range it.Variants {
		newVariant[v.ID], newSKU[v.SKU] = true, true
		vr, err := attributevalue.MarshalMap(indexedVariantItem(tpk, v))
		if err != nil {
			return fmt.Errorf("marshal variant: %w", err)
		}
		put(vr, ownedCond, owned, claim{variant: -1})
		if owner, ok := prevSKU[v.SKU]; !ok || owner != v.ID {
			sr, err := attributevalue.MarshalMap(skuItem{PK: skuPK(tpk, v.SKU), SK: skSKU, Type: "SKU", SKU: v.SKU, VariantID: v.ID, ItemID: it.ID})
			if err != nil {
				return fmt.Errorf("marshal sku: %w", err)
			}
			put(sr, ownedCond, owned, claim{i, "sku"})
		}
		if v.Barcode != "" {
			g, _ := catalog.GTIN14(v.Barcode)
			newGTIN[g] = true
			br, err := barcodeItem(tpk, v)
			if err != nil {
				return err
			}
			put(br, ownedCond, owned, claim{i, "barcode"}) // always: it carries the variant
		}
	}
	for sku := range prevSKU {
		if !newSKU[sku] {
			del(key(skuPK(tpk, sku), skSKU))
		}
	}
	for g := range prevGTIN {
		if !newGTIN[g] {
			del(key(barcodePK(tpk, g), skBarcode))
		}
	}
	for id := range prevVariant {
		if !newVariant[id] {
			del(key(variantPK(tpk, id), skVariant)) // stock levels and order lines keep their own copies
		}
	}
	if len(acts) > maxTransactActions {
		return apperr.Newf(apperr.Invalid, []string{"input", "variants"},
			"this change writes %d records, over the limit of %d; add or replace fewer variants per request", len(acts), maxTransactActions)
	}

	err = st.t.Transact(ctx, acts)
	var ce *CanceledError
	if !errors.As(err, &ce) {
		return err
	}
	if ce.Failed(0) {
		return errItemVersion
	}
	var taken apperr.List
	for i, c := range claims {
		if ce.Failed(i) && c.field != "" {
			what := "SKU"
			if c.field == "barcode" {
				what = "barcode"
			}
			taken.Add(apperr.Taken, "this "+what+" is already used by another variant", catalog.VariantField(c.variant, c.field)...)
		}
	}
	if len(taken) == 0 {
		return fmt.Errorf("write item %s: %w", it.ID, err) // a variant id owned by another item: a bug, not an answer
	}
	return taken
}

// ---- reads

// VariantByBarcode reads the barcode's claim, which holds the whole variant.
func (st *CatalogStore) VariantByBarcode(ctx context.Context, barcode string) (catalog.Variant, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return catalog.Variant{}, err
	}
	gtin, ok := catalog.GTIN14(barcode)
	if !ok {
		return catalog.Variant{}, apperr.New(apperr.NotFound, "no variant has this barcode")
	}
	rec, err := getOrNotFound[variantItem](ctx, st.t, key(barcodePK(tpk, gtin), skBarcode), "barcode", apperr.New(apperr.NotFound, "no variant has this barcode"))
	if err != nil {
		return catalog.Variant{}, err
	}
	return rec.domain(), nil
}

// GetItems batch-reads items of the tenant in ctx; missing ids are absent.
func (st *CatalogStore) GetItems(ctx context.Context, ids []string) ([]catalog.Item, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return nil, err
	}
	recs, err := st.batchItems(ctx, tpk, ids)
	if err != nil {
		return nil, err
	}
	out := make([]catalog.Item, len(recs))
	for i, r := range recs {
		out[i] = r.domain()
	}
	return out, nil
}

func (st *CatalogStore) batchItems(ctx context.Context, tpk string, ids []string) ([]catalogItem, error) {
	keys := make([]map[string]types.AttributeValue, len(ids))
	for i, id := range ids {
		keys[i] = itemKey(tpk, id)
	}
	return batchGetAs[catalogItem](ctx, st.t, keys, "item")
}

// GetVariants batch-reads variant records of the tenant in ctx.
func (st *CatalogStore) GetVariants(ctx context.Context, ids []string) ([]catalog.Variant, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return nil, err
	}
	keys := make([]map[string]types.AttributeValue, len(ids))
	for i, id := range ids {
		keys[i] = key(variantPK(tpk, id), skVariant)
	}
	items, err := batchGetAs[variantItem](ctx, st.t, keys, "variant")
	if err != nil {
		return nil, err
	}
	out := make([]catalog.Variant, len(items))
	for i, it := range items {
		out[i] = it.domain()
	}
	return out, nil
}
