package iamcheck

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/tenant"
)

func sv(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func k(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": sv(pk), "sk": sv("X")}
}

func TestCheck(t *testing.T) {
	a, b := ids.NewAt(ids.Tenant, time.Unix(1_800_000_000, 0)), ids.NewAt(ids.Tenant, time.Unix(1_800_000_001, 0))
	ctxA, none := tenant.WithID(context.Background(), a), context.Background()
	query := func(index, pk string) *dynamodb.QueryInput {
		in := &dynamodb.QueryInput{KeyConditionExpression: aws.String("#p = :pk AND begins_with(sk, :s)"),
			ExpressionAttributeNames:  map[string]string{"#p": "pk"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": sv(pk), ":s": sv("x")}}
		if index != "" {
			in.IndexName, in.ExpressionAttributeNames["#p"] = aws.String(index), index+"pk"
		}
		return in
	}
	tx := func(items ...types.TransactWriteItem) *dynamodb.TransactWriteItemsInput {
		return &dynamodb.TransactWriteItemsInput{TransactItems: items}
	}
	for _, c := range []struct {
		name  string
		ctx   context.Context
		in    any
		allow bool
	}{
		{"own item", ctxA, &dynamodb.GetItemInput{Key: k("T#" + a + "#ITEM#1")}, true},
		{"other tenant's item", ctxA, &dynamodb.GetItemInput{Key: k("T#" + b + "#ITEM#1")}, false},
		{"own gsi1 partition", ctxA, query("gsi1", "T#"+a+"#CUSTOMERS"), true},
		{"other tenant's gsi2 partition", ctxA, query("gsi2", "T#"+b+"#BARCODE"), false},
		{"batch get with one foreign key", ctxA, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"t": {Keys: []map[string]types.AttributeValue{k("T#" + a), k("T#" + b)}}}}, false},
		{"sign-up: tenant + login", ctxA, tx(types.TransactWriteItem{Put: &types.Put{Item: k("LOGIN#x@example.com")}}, types.TransactWriteItem{Put: &types.Put{Item: k("T#" + a)}}), true},
		{"tenant reads a login", ctxA, &dynamodb.GetItemInput{Key: k("LOGIN#x@example.com")}, false},
		{"tenant condition-checks a foreign item", ctxA, tx(types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{Key: k("T#" + b)}}), false},
		{"tenant scans", ctxA, &dynamodb.ScanInput{}, false},
		{"function reads a login", none, &dynamodb.GetItemInput{Key: k("LOGIN#x@example.com")}, true},
		{"function reads a tenant item", none, &dynamodb.GetItemInput{Key: k("T#" + a)}, false},
		{"function writes a login", none, &dynamodb.PutItemInput{Item: k("LOGIN#x@example.com")}, false},
		{"scheduler's outbox query", none, query("gsi2", "OUTBOX#2026-11-30#03"), true},
		{"outbox query on the table", none, query("", "OUTBOX#2026-11-30#03"), false},
		{"function batch-writes", none, &dynamodb.BatchWriteItemInput{}, false},
		{"health check", none, &dynamodb.DescribeTableInput{}, true},
	} {
		d := Check(c.ctx, c.in)
		if (d == nil) != c.allow {
			t.Errorf("%s: allowed=%v, want %v (%v)", c.name, d == nil, c.allow, d)
		}
	}
}
