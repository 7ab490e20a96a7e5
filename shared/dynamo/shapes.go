package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/catalog"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/inventory"
	"github.com/renkei-pos/renkei/shared/tax"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// Item shapes shared by several stores: checkout reads variant records and
// decrements stock levels written by the catalog and inventory stores.
//
// Naming: every shape stored in the table is a struct named <entity>Item
// (variantItem, orderItem, catalogItem for a catalog item), and so is a
// shape nested inside one (orderLineItem, embeddedVariantItem); the body of
// an outbox event is <event>Data (orderCompletedData); JSON kept inside an
// attribute is <thing>JSON (levelJSON). Only these types carry dynamodbav
// or json tags.

// variantPK is the variant record's partition: one per variant, so checkout
// batch-reads exactly the variants it sells.
func variantPK(tpk, variantID string) string { return tpk + "#VAR#" + variantID }

// stockPK is one partition per (location, variant): stock writes spread
// across partitions; gsi1 (`T#tid#STOCKLOC#<loc>`, variantId) lists a location.
func stockPK(tpk, locationID, variantID string) string {
	return tpk + "#STOCK#" + locationID + "#" + variantID
}

func stockListPK(tpk, locationID string) string { return tpk + "#STOCKLOC#" + locationID }

// variantItem is the record of one variant, denormalized with what checkout
// needs from its item (name, tax category).
type variantItem struct {
	PK          string `dynamodbav:"pk"`
	SK          string `dynamodbav:"sk"`
	Type        string `dynamodbav:"type"`
	ID          string `dynamodbav:"id"`
	ItemID      string `dynamodbav:"itemId"`
	ItemName    string `dynamodbav:"itemName"`
	Name        string `dynamodbav:"name"`
	SKU         string `dynamodbav:"sku"`
	Barcode     string `dynamodbav:"barcode,omitempty"`
	Price       int64  `dynamodbav:"price"`
	Currency    string `dynamodbav:"currency"`
	TrackStock  bool   `dynamodbav:"trackStock"`
	TaxCategory string `dynamodbav:"taxCategory"`
	UpdatedAt   string `dynamodbav:"updatedAt"`
	// Search indexes, set by the catalog store (catalog.go): gsi1 by SKU,
	// gsi2 by barcode. Empty index keys must be omitted, never written.
	GSI1PK string `dynamodbav:"gsi1pk,omitempty"`
	GSI1SK string `dynamodbav:"gsi1sk,omitempty"`
	GSI2PK string `dynamodbav:"gsi2pk,omitempty"`
	GSI2SK string `dynamodbav:"gsi2sk,omitempty"`
}

const skVariant = "VAR"

func variantToItem(tpk string, v catalog.Variant) variantItem {
	return variantItem{PK: variantPK(tpk, v.ID), SK: skVariant, Type: "Variant", ID: v.ID, ItemID: v.ItemID, ItemName: v.ItemName, Name: v.Name,
		SKU: v.SKU, Barcode: v.Barcode, Price: v.Price, Currency: v.Currency, TrackStock: v.TrackStock, TaxCategory: string(v.TaxCategory), UpdatedAt: fmtTime(v.UpdatedAt)}
}

func (it variantItem) domain() catalog.Variant {
	return catalog.Variant{ID: it.ID, ItemID: it.ItemID, ItemName: it.ItemName, Name: it.Name, SKU: it.SKU, Barcode: it.Barcode, Price: it.Price,
		Currency: it.Currency, TrackStock: it.TrackStock, TaxCategory: tax.Category(it.TaxCategory), UpdatedAt: parseTime(it.UpdatedAt)}
}

// stockItem is one stock level. Change is the ledger entry of the write
// that made this version (every write of a level sets it and increments
// version): each stream image of the level is one exact inventory.changed
// event (events.go).
type stockItem struct {
	PK         string           `dynamodbav:"pk"`
	SK         string           `dynamodbav:"sk"`
	Type       string           `dynamodbav:"type"`
	GSI1PK     string           `dynamodbav:"gsi1pk"`
	GSI1SK     string           `dynamodbav:"gsi1sk"`
	LocationID string           `dynamodbav:"locationId"`
	VariantID  string           `dynamodbav:"variantId"`
	OnHand     int64            `dynamodbav:"onHand"`
	Version    int64            `dynamodbav:"version"`
	UpdatedAt  string           `dynamodbav:"updatedAt"`
	Change     *levelChangeItem `dynamodbav:"change,omitempty"` // absent on levels last written before ledger entries
	// OversoldAt is set when an offline sale took the level below zero
	// (offline.go MarkOversold) and removed when a count sets it again.
	OversoldAt string `dynamodbav:"oversoldAt,omitempty"`
}

// levelChangeItem is what one write did to a level: why, by how much (for a
// count, the difference from the level it read; 0 when it matched), on
// behalf of what (a sale's order id) and when.
type levelChangeItem struct {
	Reason     string `dynamodbav:"reason"`
	Delta      int64  `dynamodbav:"delta"`
	Reference  string `dynamodbav:"reference,omitempty"`
	OccurredAt string `dynamodbav:"occurredAt"`
}

// attributeValue is the entry as the `change` map attribute, built by hand:
// it cannot fail, so neither can building the level writes that carry it.
func (c levelChangeItem) attributeValue() types.AttributeValue {
	m := map[string]types.AttributeValue{"reason": s(c.Reason), "delta": n(c.Delta), "occurredAt": s(c.OccurredAt)}
	if c.Reference != "" {
		m["reference"] = s(c.Reference)
	}
	return &types.AttributeValueMemberM{Value: m}
}

const skStock = "STOCK"

func (it stockItem) domain() inventory.StockLevel {
	l := inventory.StockLevel{LocationID: it.LocationID, VariantID: it.VariantID, OnHand: it.OnHand, Version: it.Version, UpdatedAt: parseTime(it.UpdatedAt)}
	if it.OversoldAt != "" {
		l.OversoldAt = parseTime(it.OversoldAt)
	}
	return l
}

// stockKey returns the key of a stock level of the tenant in ctx.
func stockKey(tpk, locationID, variantID string) map[string]types.AttributeValue {
	return key(stockPK(tpk, locationID, variantID), skStock)
}

// OutboxTTL is how long outbox events stay after the dispatcher has read
// them from the stream (they are also the audit trail of what was sent).
const OutboxTTL = 30 * 24 * time.Hour

// Event types: order.completed and customer.created are written to the
// outbox; inventory.changed is derived from stock levels (events.go).
const (
	EventInventoryChanged = "inventory.changed"
	EventOrderCompleted   = "order.completed"
	// EventCustomerCreated is written with every new customer (customers.go).
	EventCustomerCreated = "customer.created"
)

// outboxPut returns the Put of one outbox event of the tenant in ctx. The
// event's body is {"id","type","createdAt","tenantId","data"}, as delivered.
func outboxPut(ctx context.Context, t *Table, eventType string, data any, now time.Time) (types.TransactWriteItem, string, error) {
	tid, err := tenant.IDFrom(ctx)
	if err != nil {
		return types.TransactWriteItem{}, "", err
	}
	id := ids.NewAt("evt", now)
	body, err := json.Marshal(data)
	if err != nil {
		return types.TransactWriteItem{}, "", fmt.Errorf("encode %s event: %w", eventType, err)
	}
	return outboxEventPut(t, tid, id, eventType, string(body), "", now), id, nil
}

// outboxEventPut is the Put of the outbox item of one event, entered in the
// undispatched index (gsi2, integrations_outbox.go) until the dispatcher
// marks it dispatched. integrationID addresses an internal event to one
// integration ("" for business events).
func outboxEventPut(t *Table, tid, id, eventType, body, integrationID string, now time.Time) types.TransactWriteItem {
	item := map[string]types.AttributeValue{
		attrPK: s(outboxPK(tid, id)), attrSK: s(skOutbox), "type": s("Event"),
		"id": s(id), "eventType": s(eventType), "tenantId": s(tid), "createdAt": s(fmtTime(now)),
		"data":     s(body),
		attrGSI2PK: s(undispatchedPK(tid, now)), attrGSI2SK: s(undispatchedSK(tid, id, now)),
		attrTTL: &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(OutboxTTL).Unix(), 10)},
	}
	if integrationID != "" {
		item["integrationId"] = s(integrationID)
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: &t.name, Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")}}
}
