package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/renkei-pos/renkei/shared/dynamolocal"
	"github.com/renkei-pos/renkei/shared/inventory"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// streamEvents reads the test table's whole stream through DynamoDB Local's
// Streams API (DescribeStream, GetShardIterator TRIM_HORIZON, GetRecords),
// as the dispatcher will, and returns the events of the tenant in ctx that
// EventFromImage derives from the new images, in stream order (a shard
// after its parent; records of one item stay in one shard, in write order).
func streamEvents(tb testing.TB, tbl *Table, ctx context.Context) []Event {
	tb.Helper()
	tid, err := tenant.IDFrom(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	var out []Event
	for _, image := range streamImages(tb, tbl) {
		e, ok, err := EventFromImage(image)
		if err != nil {
			tb.Fatal(err)
		}
		if ok && e.TenantID == tid {
			out = append(out, e)
		}
	}
	return out
}

func mustTenantID(tb testing.TB, ctx context.Context) string {
	tb.Helper()
	tid, err := tenant.IDFrom(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return tid
}

func mustTenantPK(tb testing.TB, ctx context.Context) string {
	tb.Helper()
	tpk, err := tenantPK(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return tpk
}

func streamImages(tb testing.TB, tbl *Table) []map[string]types.AttributeValue {
	tb.Helper()
	ctx := tb.Context()
	desc, err := tbl.client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &tbl.name})
	if err != nil {
		tb.Fatal(err)
	}
	if desc.Table.LatestStreamArn == nil || desc.Table.StreamSpecification == nil || !aws.ToBool(desc.Table.StreamSpecification.StreamEnabled) ||
		desc.Table.StreamSpecification.StreamViewType != "NEW_IMAGE" {
		tb.Fatalf("the table has no NEW_IMAGE stream: %+v", desc.Table.StreamSpecification)
	}
	sc := dynamodbstreams.New(dynamodbstreams.Options{Region: dynamolocal.Region, BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	var shards []streamtypes.Shard
	for start := (*string)(nil); ; {
		ds, err := sc.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: desc.Table.LatestStreamArn, ExclusiveStartShardId: start})
		if err != nil {
			tb.Fatal(err)
		}
		shards = append(shards, ds.StreamDescription.Shards...)
		if start = ds.StreamDescription.LastEvaluatedShardId; start == nil {
			break
		}
	}
	var out []map[string]types.AttributeValue
	done := map[string]bool{}
	for len(done) < len(shards) {
		progressed := false
		for _, sh := range shards {
			id := aws.ToString(sh.ShardId)
			if done[id] || (sh.ParentShardId != nil && !done[*sh.ParentShardId] && hasShard(shards, *sh.ParentShardId)) {
				continue
			}
			done[id], progressed = true, true
			it, err := sc.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: desc.Table.LatestStreamArn, ShardId: sh.ShardId,
				ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon})
			if err != nil {
				tb.Fatal(err)
			}
			for iter := it.ShardIterator; iter != nil; {
				page, err := sc.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter})
				if err != nil {
					tb.Fatal(err)
				}
				for _, r := range page.Records {
					if r.Dynamodb == nil || r.Dynamodb.NewImage == nil {
						continue
					}
					image, err := attributevalue.FromDynamoDBStreamsMap(r.Dynamodb.NewImage)
					if err != nil {
						tb.Fatal(err)
					}
					out = append(out, image)
				}
				if len(page.Records) == 0 { // an open shard hands out iterators forever
					break
				}
				iter = page.NextShardIterator
			}
		}
		if !progressed {
			tb.Fatalf("stream shards form no tree: %+v", shards)
		}
	}
	return out
}

func hasShard(shards []streamtypes.Shard, id string) bool {
	for _, sh := range shards {
		if aws.ToString(sh.ShardId) == id {
			return true
		}
	}
	return false
}

// events returns the data of the inventory.changed events derived from the
// stream for the tenant in ctx, by (variant, location, version).
func events(tb testing.TB, tbl *Table, ctx context.Context) []inventoryChangedData {
	tb.Helper()
	var out []inventoryChangedData
	for _, e := range streamEvents(tb, tbl, ctx) {
		if e.Type != EventInventoryChanged {
			continue
		}
		var d inventoryChangedData
		if err := json.Unmarshal(e.Data, &d); err != nil {
			tb.Fatal(err)
		}
		out = append(out, d)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.VariantID != b.VariantID {
			return a.VariantID < b.VariantID
		}
		if a.LocationID != b.LocationID {
			return a.LocationID < b.LocationID
		}
		return a.Version < b.Version
	})
	return out
}

// TestInventoryChangedFromImage_Stream sells one item from several
// registers at once, adjusts it and counts it, then reads the table's
// stream as the dispatcher will: the derived inventory.changed events of
// the level have contiguous versions in stream order, each one's on-hand is
// the previous one's plus its delta, and the last is the stored level.
func TestInventoryChangedFromImage_Stream(t *testing.T) {
	const sales = 8
	sh := newShop(t, mustTable(t), 100)
	regs := sh.registers(t, sales)
	var wg sync.WaitGroup
	for i := range sales {
		wg.Go(func() {
			if _, err := sh.sell(t, fmt.Sprint("s", i), regs[i], 2); err != nil {
				t.Errorf("sale %d: %v", i, err)
			}
		})
	}
	inv := &inventory.Service{Store: NewInventoryStore(sh.tb), Now: sh.svc.Now}
	wg.Go(func() {
		if _, err := inv.Adjust(sh.ctx, inventory.AdjustInput{IdempotencyKey: "recv", LocationID: sh.loc.ID,
			Changes: []inventory.Change{{VariantID: sh.variant.ID, Delta: delta(5), Reason: inventory.ReasonReceived}}}); err != nil {
			t.Errorf("adjust: %v", err)
		}
	})
	wg.Wait()
	if _, err := inv.Adjust(sh.ctx, inventory.AdjustInput{IdempotencyKey: "count", LocationID: sh.loc.ID,
		Changes: []inventory.Change{{VariantID: sh.variant.ID, SetTo: delta(80), Reason: inventory.ReasonCount}}}); err != nil {
		t.Fatal(err)
	}
	stored := sh.level(t)

	var got []inventoryChangedData
	ids := map[string]bool{}
	for _, e := range streamEvents(t, sh.tb, sh.ctx) {
		if e.Type != EventInventoryChanged {
			continue
		}
		var d inventoryChangedData
		if err := json.Unmarshal(e.Data, &d); err != nil {
			t.Fatal(err)
		}
		if ids[e.ID] {
			t.Fatalf("event id %s derived twice", e.ID)
		}
		ids[e.ID] = true
		got = append(got, d)
	}
	// The seed level (version 1, written by the test without a change) has
	// no event: versions 2… are the 8 sales, the adjustment and the count.
	if len(got) != sales+2 {
		t.Fatalf("%d inventory.changed events, want %d: %+v", len(got), sales+2, got)
	}
	prev := inventoryChangedData{OnHand: 100, Version: 1}
	reasons := map[string]int{}
	for _, d := range got {
		if d.Version != prev.Version+1 || d.OnHand != prev.OnHand+d.Delta {
			t.Fatalf("event %+v does not follow %+v", d, prev)
		}
		if d.LocationID != sh.loc.ID || d.VariantID != sh.variant.ID || d.OccurredAt == "" {
			t.Fatalf("event %+v", d)
		}
		if d.Reason == string(inventory.ReasonSale) && (d.Delta != -2 || d.Reference == "") {
			t.Fatalf("sale event %+v: want delta -2 and the order as reference", d)
		}
		reasons[d.Reason]++
		prev = d
	}
	if reasons["SALE"] != sales || reasons["RECEIVED"] != 1 || reasons["COUNT"] != 1 {
		t.Fatalf("reasons %v", reasons)
	}
	if last := got[len(got)-1]; last.Reason != "COUNT" || last.OnHand != 80 || last.OnHand != stored.OnHand || last.Version != stored.Version {
		t.Fatalf("last event %+v, stored level %+v", last, stored)
	}

	t.Run("the same image always derives the same event", func(t *testing.T) {
		tpk := mustTenantPK(t, sh.ctx)
		out, err := sh.tb.client.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: &sh.tb.name, Key: stockKey(tpk, sh.loc.ID, sh.variant.ID), ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		a, okA, errA := InventoryChangedFromImage(out.Item)
		b, okB, errB := EventFromImage(out.Item)
		if !okA || !okB || errA != nil || errB != nil || a.ID != b.ID || string(a.Data) != string(b.Data) || !ids[a.ID] {
			t.Fatalf("%+v %v %v / %+v %v %v", a, okA, errA, b, okB, errB)
		}
		if a.TenantID != mustTenantID(t, sh.ctx) || a.Type != "inventory.changed" || a.CreatedAt.IsZero() {
			t.Fatalf("event %+v", a)
		}
	})
	t.Run("orders carry their order.completed event on the stream", func(t *testing.T) {
		n := 0
		for _, e := range streamEvents(t, sh.tb, sh.ctx) {
			if e.Type == EventOrderCompleted {
				n++
			}
		}
		if n != sales {
			t.Fatalf("%d order.completed events, want %d", n, sales)
		}
	})
}
