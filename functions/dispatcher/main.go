// Command dispatcher is the table's one stream consumer in production: the
// Lambda function behind the DynamoDB stream's event source mapping (batch
// of one shard, ReportBatchItemFailures). Every concern that reads the
// stream is a handler of stack.StreamHandler: the sales aggregator, and the
// integration hub's dispatcher (events → jobs on the jobs queue) beside it.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/renkei-pos/renkei/shared/ddbstream"
	"github.com/renkei-pos/renkei/shared/dynamo"
	"github.com/renkei-pos/renkei/shared/stack"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h, err := build(context.Background(), os.Getenv, logger)
	if err != nil {
		logger.Error("cold start failed", slog.String("error", err.Error()))
		os.Exit(1)
	}
	lambda.Start(h)
}

func build(ctx context.Context, getenv func(string) string, logger *slog.Logger) (func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error), error) {
	aws, err := stack.LoadAWS(ctx, getenv)
	if err != nil {
		return nil, err
	}
	table := dynamo.New(aws.DynamoDB, aws.Table)
	hub, _, err := stack.HubFromAWS(aws, getenv, logger)
	if err != nil {
		return nil, err
	}
	return ddbstream.Lambda(stack.StreamHandler(table, hub, logger), dynamo.NewStreamPositions(table), logger), nil
}
