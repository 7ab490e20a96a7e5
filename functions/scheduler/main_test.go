package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/renkei-pos/renkei/shared/dynamo"
	"github.com/renkei-pos/renkei/shared/dynamolocal"
)

func TestBuild(t *testing.T) {
	t.Run("no table is a cold-start error", func(t *testing.T) {
		_, err := build(context.Background(), env(nil), slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))
		if err == nil || !strings.Contains(err.Error(), "RENKEI_TABLE") {
			t.Fatalf("err = %v, want one naming RENKEI_TABLE", err)
		}
	})

	t.Run("an invocation runs the scheduled jobs on the table", func(t *testing.T) {
		ddb := dynamolocal.MustStart(t)
		// The Lambda's default AWS configuration, pointed at DynamoDB Local.
		t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", ddb.Endpoint())
		t.Setenv("AWS_REGION", "ap-northeast-1")
		t.Setenv("AWS_ACCESS_KEY_ID", "local")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
		client, err := dynamolocal.NewClient(t.Context(), ddb.Endpoint())
		if err != nil {
			t.Fatal(err)
		}
		if err := dynamo.New(client, "renkei-scheduler-test").EnsureTable(t.Context()); err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		// The stack's generated placeholder is still in the key's secret.
		run, err := build(t.Context(), env(map[string]string{
			"RENKEI_TABLE": "renkei-scheduler-test", "STRIPE_SECRET_KEY": "Qx7generatedPlaceholder0000000000",
			"RENKEI_JOBS_QUEUE_URL": "http://127.0.0.1:1/queue/renkei-jobs",
		}), logger)
		if err != nil {
			t.Fatal(err)
		}
		if err := run(t.Context()); err != nil {
			t.Fatalf("scheduled run: %v\n%s", err, logs.String())
		}
		out := logs.String()
		for _, want := range []string{`"job":"expire-pending-payments"`, "scheduled job done", "card payments are refused"} {
			if !strings.Contains(out, want) {
				t.Errorf("logs lack %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "Qx7generatedPlaceholder") {
			t.Errorf("the secret's value reached the logs:\n%s", out)
		}
	})
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}
