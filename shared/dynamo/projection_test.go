package dynamo

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tenant"
	"github.com/renkei-pos/renkei/shared/tenantcreds/iamcheck"
)

func TestEnsureTable_IndexesProjectOnlyIndexAttributes(t *testing.T) {
	tb := mustTable(t)
	d, err := tb.client.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: &tb.name})
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(slices.Values(IndexAttributes))
	if len(d.Table.GlobalSecondaryIndexes) != 2 {
		t.Fatalf("%d indexes", len(d.Table.GlobalSecondaryIndexes))
	}
	for _, g := range d.Table.GlobalSecondaryIndexes {
		p := g.Projection
		if p.ProjectionType != types.ProjectionTypeInclude || !slices.Equal(slices.Sorted(slices.Values(p.NonKeyAttributes)), want) {
			t.Errorf("%s projects %s %v, want INCLUDE %v", *g.IndexName, p.ProjectionType, p.NonKeyAttributes, want)
		}
	}
}

// An index entry carries keys and IndexAttributes only; a listing reads the
// whole item from the table, in the index's order.
func TestQueryOfAnIndexReadsWholeItems(t *testing.T) {
	tb := mustTable(t)
	ctx := tenantCtx(t)
	st := NewSalesStore(tb)
	var names []string
	for i := range 3 {
		name := fmt.Sprintf("Customer %d %s", i, strings.Repeat("x", 500))
		c, err := sales.NewCustomer(ids.New("cus"), name[:200], "c@example.com", "", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateCustomer(ctx, c); err != nil {
			t.Fatal(err)
		}
		names = append(names, c.Name)
	}
	tpk, _ := tenantPK(ctx)
	raw, err := tb.client.Query(ctx, &dynamodb.QueryInput{TableName: &tb.name, IndexName: aws.String(IndexGSI1),
		KeyConditionExpression: aws.String("gsi1pk = :pk"), ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(tpk + "#CUSTOMERS")}})
	if err != nil || len(raw.Items) != 3 {
		t.Fatalf("raw index query: %d items, %v", len(raw.Items), err)
	}
	for _, e := range raw.Items {
		if _, ok := e["name"]; ok {
			t.Fatalf("the index holds the item's body: %v", e)
		}
	}
	cs, _, err := st.ListCustomers(ctx, "", 10, "")
	if err != nil || len(cs) != 3 {
		t.Fatalf("list: %d, %v", len(cs), err)
	}
	for i, c := range cs {
		if c.Name != names[i] || c.Email != "c@example.com" {
			t.Fatalf("customer %d: %+v", i, c)
		}
	}
}

// A table made before the indexes projected IndexAttributes (ALL, as a
// `.local/` table of an earlier `make run` still has: EnsureTable leaves an
// existing table alone) serves the same listings.
func TestTableWithALLIndexesStillServes(t *testing.T) {
	tb := mustTable(t)
	old := New(tb.client, tb.name+"_all")
	all := func(name, pk, sk string) types.GlobalSecondaryIndex {
		return types.GlobalSecondaryIndex{IndexName: aws.String(name), Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
			KeySchema: []types.KeySchemaElement{{AttributeName: aws.String(pk), KeyType: types.KeyTypeHash}, {AttributeName: aws.String(sk), KeyType: types.KeyTypeRange}}}
	}
	str := types.ScalarAttributeTypeS
	_, err := tb.client.CreateTable(t.Context(), &dynamodb.CreateTableInput{TableName: &old.name, BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(attrPK), AttributeType: str}, {AttributeName: aws.String(attrSK), AttributeType: str},
			{AttributeName: aws.String(attrGSI1PK), AttributeType: str}, {AttributeName: aws.String(attrGSI1SK), AttributeType: str},
			{AttributeName: aws.String(attrGSI2PK), AttributeType: str}, {AttributeName: aws.String(attrGSI2SK), AttributeType: str}},
		KeySchema:              []types.KeySchemaElement{{AttributeName: aws.String(attrPK), KeyType: types.KeyTypeHash}, {AttributeName: aws.String(attrSK), KeyType: types.KeyTypeRange}},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{all(IndexGSI1, attrGSI1PK, attrGSI1SK), all(IndexGSI2, attrGSI2PK, attrGSI2SK)},
		StreamSpecification:    &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewImage}})
	if err != nil {
		t.Fatal(err)
	}
	if err := old.EnsureTable(t.Context()); err != nil { // exists: left as it is
		t.Fatal(err)
	}
	d, _ := tb.client.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: &old.name})
	if d.Table.GlobalSecondaryIndexes[0].Projection.ProjectionType != types.ProjectionTypeAll {
		t.Fatal("EnsureTable changed an existing table")
	}
	ctx := tenantCtx(t)
	st := NewSalesStore(old)
	c, _ := sales.NewCustomer(ids.New("cus"), "Tanaka", "", "", time.Now())
	if err := st.CreateCustomer(ctx, c); err != nil {
		t.Fatal(err)
	}
	if cs, _, err := st.ListCustomers(ctx, "tan", 10, ""); err != nil || len(cs) != 1 || cs[0].ID != c.ID {
		t.Fatalf("list on an ALL table: %+v %v", cs, err)
	}
}

// Between the index page and the read of its items, one item moves to
// another partition of the index and one is deleted: neither is listed
// (as the index itself would list neither a moment later); the rest keep
// the index's order.
func TestQueryPage_DropsItemsThatLeftThePartition(t *testing.T) {
	var after func()
	hook := func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Initialize.Add(middleware.InitializeMiddlewareFunc("after-query", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				if q, ok := in.Parameters.(*dynamodb.QueryInput); ok && q.IndexName != nil && after != nil {
					f := after
					after = nil
					f()
				}
				return out, md, err
			}), middleware.After)
		})
	}
	tb := mustTable(t, hook)
	ctx := tenantCtx(t)
	st := NewSalesStore(tb)
	var cs []sales.Customer
	for _, name := range []string{"Abe", "Baba", "Chiba", "Doi"} {
		c, _ := sales.NewCustomer(ids.New("cus"), name, "", "", time.Now())
		if err := st.CreateCustomer(ctx, c); err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	tpk, _ := tenantPK(ctx)
	after = func() {
		if _, err := tb.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &tb.name, Key: key(customerPK(tpk, cs[1].ID), skCustomer),
			UpdateExpression: aws.String("SET gsi1pk = :other"), ExpressionAttributeValues: map[string]types.AttributeValue{":other": s(tpk + "#ELSEWHERE")}}); err != nil {
			t.Error(err)
		}
		if _, err := tb.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &tb.name, Key: key(customerPK(tpk, cs[2].ID), skCustomer)}); err != nil {
			t.Error(err)
		}
	}
	got, _, err := st.ListCustomers(ctx, "", 10, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != cs[0].ID || got[1].ID != cs[3].ID {
		t.Fatalf("listed %+v, want Abe and Doi", got)
	}
}

// The outbox sweep reads every tenant's events through gsi2 without a
// tenant: each tenant's events are then read from the table under that
// tenant's context, which is what IAM allows in AWS (emulated here).
func TestUndispatched_ReadsEachTenantsEventsAsThatTenant(t *testing.T) {
	var denied []string
	tbl := mustTable(t, iamcheck.Option(func(d *iamcheck.Denied) { denied = append(denied, d.Error()) }))
	st, sst := NewIntegrationStore(tbl), NewSalesStore(tbl)
	now := time.Now().UTC()
	var want []string
	for i := range 2 {
		ctx := tenantCtx(t)
		c, err := sales.NewCustomer(ids.New(sales.CustomerIDPrefix), "Tanaka", "", "", now.Add(time.Duration(i-3)*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if err := sst.CreateCustomer(ctx, c); err != nil {
			t.Fatal(err)
		}
		tid, _ := tenant.IDFrom(ctx)
		want = append(want, tid)
	}
	list, err := st.Undispatched(context.Background(), now, time.Hour, 10)
	if err != nil || len(denied) > 0 {
		t.Fatalf("undispatched: %v; denied: %v", err, denied)
	}
	if len(list) != 2 || list[0].TenantID != want[0] || list[1].TenantID != want[1] || len(list[0].Data) == 0 {
		t.Fatalf("events %+v", list)
	}
}

// More than 100 keys are read in concurrent chunks; every item found
// comes back once, missing ones are absent.
func TestBatchGet_ManyChunks(t *testing.T) {
	tb := mustTable(t)
	var keys []map[string]types.AttributeValue
	for i := range 450 {
		k := key(fmt.Sprintf("BATCH#%03d", i), "X")
		keys = append(keys, k)
		if i%3 == 0 {
			continue // missing
		}
		if _, err := tb.client.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: &tb.name, Item: k}); err != nil {
			t.Fatal(err)
		}
	}
	for _, consistent := range []bool{true, false} {
		got, err := tb.batchGet(t.Context(), keys, consistent)
		if err != nil || len(got) != 300 {
			t.Fatalf("consistent=%v: %d items, %v", consistent, len(got), err)
		}
		seen := map[string]bool{}
		for _, it := range got {
			pk := str(it[attrPK])
			if seen[pk] {
				t.Fatalf("%s twice", pk)
			}
			seen[pk] = true
		}
	}
}
