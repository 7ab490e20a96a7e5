// Command worker is the integration hub's job worker in production: the
// Lambda function behind the jobs queue's SQS event source mapping (batches
// of ≤ 10, ReportBatchItemFailures). Each record names a job; the worker
// claims it, runs its connector and records the outcome
// (integrations.Worker), and jobqueue.Lambda answers with a partial batch
// response, each failed message postponed by the delay its job asks for.
// Clients are built once per cold start.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/renkei-pos/renkei/shared/jobqueue"
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

// defaultConcurrency runs a whole batch (≤ 10 records) at once: a job
// mostly waits on its provider.
const defaultConcurrency = 10

// build reads the environment (docs/configuration.md: RENKEI_TABLE,
// RENKEI_JOBS_QUEUE_URL, RENKEI_SECRETS_KMS_KEY_ID, FREEE_CLIENT_ID and
// its secret, RENKEI_WORKER_CONCURRENCY) and returns the handler of one SQS
// batch.
func build(ctx context.Context, getenv func(string) string, logger *slog.Logger) (func(context.Context, events.SQSEvent) (events.SQSEventResponse, error), error) {
	concurrency := defaultConcurrency
	if v := getenv("RENKEI_WORKER_CONCURRENCY"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return nil, fmt.Errorf("RENKEI_WORKER_CONCURRENCY %q: want a number from 1 to 100", v)
		}
		concurrency = n
	}
	a, err := stack.LoadAWS(ctx, getenv)
	if err != nil {
		return nil, err
	}
	// The worker opens every job's secrets: without the key it could run
	// none (HubFromAWS lets the functions that never open one go without).
	if getenv("RENKEI_SECRETS_KMS_KEY_ID") == "" {
		return nil, errors.New("RENKEI_SECRETS_KMS_KEY_ID is not set")
	}
	hub, sqsClient, err := stack.HubFromAWS(a, getenv, logger)
	if err != nil {
		return nil, err
	}
	return jobqueue.Lambda(hub.Worker.Handle, sqsClient, concurrency, logger), nil
}
