// Command scheduler is the scheduled-jobs Lambda: an EventBridge rule
// invokes it every minute (infra/workers.go) and each invocation runs
// stack.ScheduledJobs once — today the expiry of card sales whose payment
// never completed. Clients are built once per cold start.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/renkei-pos/renkei/shared/stack"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	run, err := build(context.Background(), os.Getenv, logger)
	if err != nil {
		logger.Error("cold start failed", slog.String("error", err.Error()))
		os.Exit(1)
	}
	lambda.Start(run)
}

// build reads the environment (docs/configuration.md) and returns the
// handler of one scheduled invocation.
func build(ctx context.Context, getenv func(string) string, logger *slog.Logger) (func(context.Context) error, error) {
	aws, err := stack.LoadAWS(ctx, getenv)
	if err != nil {
		return nil, err
	}
	cards, err := aws.CardConfig(getenv, logger)
	if err != nil {
		return nil, fmt.Errorf("build scheduler: %w", err)
	}
	hub, _, err := stack.HubFromAWS(aws, getenv, logger)
	if err != nil {
		return nil, fmt.Errorf("build scheduler: %w", err)
	}
	jobs := stack.ScheduledJobs(aws.DynamoDB, aws.Table, cards, hub, logger)
	return func(ctx context.Context) error {
		return stack.RunJobs(ctx, jobs, time.Now(), logger)
	}, nil
}
