package dynamo

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/integrations"
)

// Events reach the table's one stream consumer (shared/ddbstream; its
// handlers are listed in stack.StreamHandler: the sales aggregator, and the
// integrations dispatcher to come) as new images on the table's stream, in
// two ways:
//
//   - outbox items (`T#<tid>#EVT#<eventId>`, written by outboxPut inside the
//     business transaction): order.completed, order.refunded,
//     register.closed, customer.created, and the inbound events addressed
//     to one integration (RecordInbound);
//   - stock levels: every write of a level records its ledger entry
//     (`change`) with the new version (levelWrite), so each new image of a
//     level is one inventory.changed event, exact even for a sale's take,
//     whose writer never learns the level it left.
//
// EventFromImage turns either into the event as delivered.

// Event is one event as delivered to integrations:
// {"id","type","createdAt","tenantId","data"}.
type Event struct {
	ID        string
	Type      string
	TenantID  string
	CreatedAt time.Time
	Data      json.RawMessage
	// IntegrationID addresses an internal event to one integration (an
	// inbound delivery, RecordInbound); "" for business events.
	IntegrationID string
	// FromOutbox is true for an outbox item's event (the dispatcher marks
	// it dispatched), false for one derived from a stock level.
	FromOutbox bool
}

// Integration is the event as the integration hub takes it.
func (e Event) Integration() integrations.Event {
	return integrations.Event{ID: e.ID, Type: e.Type, CreatedAt: e.CreatedAt, TenantID: e.TenantID, Data: e.Data,
		IntegrationID: e.IntegrationID, FromOutbox: e.FromOutbox}
}

// inventoryChangedData is the `data` of an inventory.changed event. Version
// orders the events of one level: a consumer keeps only the newest.
// Reference names what changed the level when something did (a sale's
// order id).
type inventoryChangedData struct {
	LocationID string `json:"locationId"`
	VariantID  string `json:"variantId"`
	OnHand     int64  `json:"onHand"`
	Version    int64  `json:"version"`
	Delta      int64  `json:"delta"`
	Reason     string `json:"reason"`
	Reference  string `json:"reference,omitempty"`
	OccurredAt string `json:"occurredAt"`
}

// EventFromImage returns the event a stream record's new image carries:
// an outbox item's event, or the inventory.changed of a stock level's
// change. ok is false for every other item (orders, registers, records…),
// which carry none.
func EventFromImage(image map[string]types.AttributeValue) (e Event, ok bool, err error) {
	typ, _ := image["type"].(*types.AttributeValueMemberS)
	switch {
	case typ == nil:
		return Event{}, false, nil
	case typ.Value == "Event":
		return outboxEventFromImage(image)
	case typ.Value == "StockLevel":
		return InventoryChangedFromImage(image)
	}
	return Event{}, false, nil
}

// InventoryChangedFromImage returns the inventory.changed event of one
// stock level's new image: the on-hand and version the image holds, and
// the change recorded with them. Every write of a level increments its
// version by one and replaces the change, so the images of one level are
// its changes, one each, in version order: onHand(v) = onHand(v−1) +
// delta(v). The event id is derived from (tenant, location, variant,
// version) and the change's time, so every delivery of one change carries
// the same id. ok is false for a level last written before levels recorded
// their changes.
func InventoryChangedFromImage(image map[string]types.AttributeValue) (Event, bool, error) {
	var it stockItem
	if err := attributevalue.UnmarshalMap(image, &it); err != nil {
		return Event{}, false, fmt.Errorf("decode stock level image: %w", err)
	}
	if it.Change == nil {
		return Event{}, false, nil
	}
	tid, ok := tenantOfPK(it.PK)
	if !ok || it.SK != skStock || stockPK("T#"+tid, it.LocationID, it.VariantID) != it.PK {
		return Event{}, false, fmt.Errorf("stock level image with key %q/%q", it.PK, it.SK)
	}
	at, err := time.Parse(timeLayout, it.Change.OccurredAt)
	if err != nil {
		return Event{}, false, fmt.Errorf("stock level image: change time %q: %w", it.Change.OccurredAt, err)
	}
	data, err := json.Marshal(inventoryChangedData{
		LocationID: it.LocationID, VariantID: it.VariantID, OnHand: it.OnHand, Version: it.Version,
		Delta: it.Change.Delta, Reason: it.Change.Reason, Reference: it.Change.Reference, OccurredAt: it.Change.OccurredAt,
	})
	if err != nil {
		return Event{}, false, fmt.Errorf("encode inventory.changed: %w", err)
	}
	seed := strings.Join([]string{tid, it.LocationID, it.VariantID, strconv.FormatInt(it.Version, 10)}, "|")
	return Event{ID: ids.Derive("evt", at, seed), Type: EventInventoryChanged, TenantID: tid, CreatedAt: at, Data: data}, true, nil
}

// outboxEventFromImage reads an outbox item as written by outboxPut. The
// image MarkDispatched writes (dispatchedAt set) carries no event: its
// event was on the stream already, as the item's first image.
func outboxEventFromImage(image map[string]types.AttributeValue) (Event, bool, error) {
	var it outboxItem
	if err := attributevalue.UnmarshalMap(image, &it); err != nil {
		return Event{}, false, fmt.Errorf("decode outbox image: %w", err)
	}
	if it.DispatchedAt != "" {
		return Event{}, false, nil
	}
	e, err := it.event()
	if err != nil {
		return Event{}, false, fmt.Errorf("outbox image: %w", err)
	}
	return e, true, nil
}

// tenantOfPK returns the tenant id a tenant-owned partition key starts with.
func tenantOfPK(pk string) (string, bool) {
	rest, ok := strings.CutPrefix(pk, "T#")
	if !ok {
		return "", false
	}
	tid, _, ok := strings.Cut(rest, "#")
	return tid, ok && ids.Valid(ids.Tenant, tid)
}
