package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/renkei-pos/renkei/shared/dynamo"
	"github.com/renkei-pos/renkei/shared/dynamolocal"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// TestBuild runs the Lambda entry against DynamoDB Local with the Lambda's
// default AWS configuration: a batch of records that are no sales
// succeeds and moves the watermark; an order.completed whose location the
// aggregator cannot read fails, with every later record of the batch.
func TestBuild(t *testing.T) {
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := build(t.Context(), env(nil), discard); err == nil || !strings.Contains(err.Error(), "RENKEI_TABLE") {
		t.Fatalf("without a table: %v", err)
	}
	ddb := dynamolocal.MustStart(t)
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", ddb.Endpoint())
	t.Setenv("AWS_REGION", "ap-northeast-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "local")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
	client, err := dynamolocal.NewClient(t.Context(), ddb.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	table := dynamo.New(client, "renkei-dispatcher-test")
	if err := table.EnsureTable(t.Context()); err != nil {
		t.Fatal(err)
	}
	h, err := build(t.Context(), env(map[string]string{"RENKEI_TABLE": "renkei-dispatcher-test", "RENKEI_JOBS_QUEUE_URL": "http://127.0.0.1:1/queue/renkei-jobs"}), discard)
	if err != nil {
		t.Fatal(err)
	}
	record := func(seq string, at int64, image string) events.DynamoDBEventRecord {
		var r events.DynamoDBEventRecord
		raw := `{"eventID":"e` + seq + `","eventName":"INSERT","dynamodb":{"ApproximateCreationDateTime":` + jsonInt(at) + `,"SequenceNumber":"` + seq + `","NewImage":` + image + `}}`
		if err := json.Unmarshal([]byte(raw), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	order := `{"pk":{"S":"T#tnt_x#ORDER#o"},"sk":{"S":"ORDER"},"type":{"S":"Order"}}`
	sale := `{"pk":{"S":"T#tnt_x#EVT#evt_1"},"sk":{"S":"EVT"},"type":{"S":"Event"},"id":{"S":"evt_1"},"eventType":{"S":"order.completed"},
	  "tenantId":{"S":"tnt_x"},"createdAt":{"S":"2026-11-26T04:00:00Z"},
	  "data":{"S":"{\"orderId\":\"o\",\"locationId\":\"loc_missing\",\"lines\":[{\"sku\":\"A\",\"quantity\":1,\"total\":100,\"taxCategory\":\"STANDARD\"}],\"payments\":[],\"occurredAt\":\"2026-11-26T04:00:00Z\"}"}}`

	resp, err := h(t.Context(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{record("1", 1764129600, order), record("2", 1764129601, order)}})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("%+v %v", resp, err)
	}
	if at, err := dynamo.NewStreamPositions(table).Watermark(t.Context()); err != nil || !at.Equal(time.Unix(1764129601, 0)) {
		t.Fatalf("watermark %v %v", at, err)
	}
	resp, err = h(t.Context(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{record("3", 1764129700, order), record("4", 1764129701, sale), record("5", 1764129702, order)}})
	if err != nil || len(resp.BatchItemFailures) != 2 || resp.BatchItemFailures[0].ItemIdentifier != "4" || resp.BatchItemFailures[1].ItemIdentifier != "5" {
		t.Fatalf("a sale at an unknown location: %+v %v", resp, err)
	}
	if at, _ := dynamo.NewStreamPositions(table).Watermark(context.Background()); !at.Equal(time.Unix(1764129601, 0)) {
		t.Fatalf("watermark %v moved past a failed batch", at)
	}
}

func jsonInt(v int64) string { b, _ := json.Marshal(v); return string(b) }
