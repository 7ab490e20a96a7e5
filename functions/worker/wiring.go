package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/renkei-pos/renkei/shared/connectors/webhook"
	"github.com/renkei-pos/renkei/shared/dynamo"
	"github.com/renkei-pos/renkei/shared/integrations"
	"github.com/renkei-pos/renkei/shared/jobqueue"
	"github.com/renkei-pos/renkei/shared/secretbox"
	"github.com/renkei-pos/renkei/shared/stack"
)

// newWorker assembles the worker of the Lambda: the integration store on
// the table, secrets opened with KMS (RENKEI_SECRETS_KMS_KEY_ID), the jobs
// queue (RENKEI_JOBS_QUEUE_URL) for the jobs a sync makes and for fresh
// messages, and the connectors that need nothing of renkei's services
// (WEBHOOK). It returns the SQS client the transport changes visibility
// with.
func newWorker(ctx context.Context, a *stack.AWS, getenv func(string) string, logger *slog.Logger) (*integrations.Worker, *sqs.Client, error) {
	queueURL, keyID := getenv("RENKEI_JOBS_QUEUE_URL"), getenv("RENKEI_SECRETS_KMS_KEY_ID")
	if queueURL == "" {
		return nil, nil, errors.New("RENKEI_JOBS_QUEUE_URL is not set")
	}
	if keyID == "" {
		return nil, nil, errors.New("RENKEI_SECRETS_KMS_KEY_ID is not set")
	}
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(5*time.Second)),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 3; o.MaxBackoff = 500 * time.Millisecond })
		}))
	if err != nil {
		return nil, nil, fmt.Errorf("load AWS config: %w", err)
	}
	sqsClient := sqs.NewFromConfig(cfg)
	store := dynamo.NewIntegrationStore(dynamo.New(a.DynamoDB, a.Table))
	queue := jobqueue.NewSender(sqsClient, queueURL)
	connectors := map[integrations.Provider]integrations.Connector{
		integrations.Webhook: webhook.New(webhook.Options{}),
	}
	return &integrations.Worker{
		Store:      store,
		Connectors: connectors,
		Sealer:     secretbox.NewKMS(kms.NewFromConfig(cfg), keyID),
		Dispatcher: &integrations.Dispatcher{Store: store, Queue: queue, Connectors: connectors, Logger: logger},
		Queue:      queue,
		Logger:     logger,
	}, sqsClient, nil
}
