// Command api is the GraphQL API Lambda (HTTP API, payload format 2.0): POST
// /graphql and POST /webhooks/stripe. It builds its clients once per cold
// start (reading its secrets from Secrets Manager then) and serves the same
// net/http handler as the local stack.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/renkei-pos/renkei/shared/stack"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h, err := build(context.Background(), os.Getenv, logger)
	if err != nil {
		logger.Error("cold start failed", slog.String("error", err.Error()))
		os.Exit(1)
	}
	lambda.Start(beforeDeadline(h.ProxyWithContext, headroom))
}

// headroom is how long before the invocation's own deadline a request's
// context ends: long enough to write an answer (UNAVAILABLE from a slow
// Stripe, say) instead of being cut off by the runtime. With the 25 s
// function timeout the handler's own budget (deadline.Request, 20 s, set in
// graph.Handler as in the local server) ends first; this is the backstop
// for a shorter timeout (docs/operations.md "Request deadlines").
const headroom = 2 * time.Second

type proxy func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// beforeDeadline runs next with a context ending headroom before ctx's.
func beforeDeadline(next proxy, headroom time.Duration) proxy {
	return func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		if dl, ok := ctx.Deadline(); ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, dl.Add(-headroom))
			defer cancel()
		}
		return next(ctx, req)
	}
}

func build(ctx context.Context, getenv func(string) string, logger *slog.Logger) (*httpadapter.HandlerAdapterV2, error) {
	aws, err := stack.LoadAWS(ctx, getenv)
	if err != nil {
		return nil, err
	}
	if len(aws.JWTSecret) == 0 {
		return nil, errors.New("set RENKEI_JWT_SECRET_ARN or RENKEI_JWT_SECRET")
	}
	cards, err := aws.CardConfig(getenv, logger)
	if err != nil {
		return nil, err
	}
	hub, _, err := stack.HubFromAWS(aws, getenv, logger)
	if err != nil {
		return nil, err
	}
	rates, err := stack.RatesFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	api, err := stack.NewAPI(stack.APIConfig{DynamoDB: aws.DynamoDB, Table: aws.Table, JWTSecret: aws.JWTSecret, Logger: logger, Cards: cards,
		Hub: hub, Sealer: hub.Service.Sealer, Rates: rates,
		ConsoleOrigins: stack.ConsoleOriginsFromEnv(getenv), ViewerHostHeader: stack.ViewerHostHeader,
		OriginVerifySecret: aws.OriginVerifySecret})
	if err != nil {
		return nil, fmt.Errorf("build API: %w", err)
	}
	return httpadapter.NewV2(api), nil
}
