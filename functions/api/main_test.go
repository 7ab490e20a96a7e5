package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/renkei-pos/renkei/shared/dynamo"
	"github.com/renkei-pos/renkei/shared/dynamolocal"
)

func TestBuild(t *testing.T) {
	discard := slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))
	t.Run("cold-start errors name the missing setting", func(t *testing.T) {
		for _, tc := range []struct {
			env  map[string]string
			want string
		}{
			{nil, "RENKEI_TABLE"},
			{map[string]string{"RENKEI_TABLE": "t"}, "RENKEI_JWT_SECRET"},
		} {
			if _, err := build(context.Background(), env(tc.env), discard); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("env %v: err = %v, want one naming %s", tc.env, err, tc.want)
			}
		}
	})

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
	if err := dynamo.New(client, "renkei-api-test").EnsureTable(t.Context()); err != nil {
		t.Fatal(err)
	}
	base := map[string]string{"RENKEI_TABLE": "renkei-api-test", "RENKEI_JOBS_QUEUE_URL": "http://127.0.0.1:1/queue/renkei-jobs", "RENKEI_JWT_SECRET": strings.Repeat("k", 32),
		"STRIPE_CONNECT_RETURN_URL": "https://backoffice.example/done", "STRIPE_CONNECT_REFRESH_URL": "https://backoffice.example/again"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	webhook := func(t *testing.T, m map[string]string) int {
		t.Helper()
		h, err := build(t.Context(), env(m), discard)
		if err != nil {
			t.Fatal(err)
		}
		res, err := h.ProxyWithContext(t.Context(), events.APIGatewayV2HTTPRequest{
			RawPath: "/webhooks/stripe", Headers: map[string]string{"content-type": "application/json", "stripe-signature": "t=1,v1=00"},
			Body:           `{"id":"evt_1","type":"payment_intent.succeeded"}`,
			RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: "/webhooks/stripe"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode
	}

	t.Run("no Stripe key: no simulator in AWS, the webhook route is not served", func(t *testing.T) {
		for name, m := range map[string]map[string]string{
			"unset":                 base,
			"the stack placeholder": with("STRIPE_SECRET_KEY", "Qx7generatedPlaceholder0000000000", "STRIPE_WEBHOOK_SECRET", "Zy8generatedPlaceholder0000000000"),
		} {
			if code := webhook(t, m); code != 404 {
				t.Errorf("%s: POST /webhooks/stripe = %d, want 404", name, code)
			}
		}
	})
	t.Run("a Stripe key: the webhook route verifies signatures", func(t *testing.T) {
		if code := webhook(t, with("STRIPE_SECRET_KEY", "sk_test_renkei", "STRIPE_WEBHOOK_SECRET", "whsec_renkei")); code != 400 {
			t.Errorf("a forged signature = %d, want 400", code)
		}
	})
	t.Run("RENKEI_ENV=local is refused in a Lambda", func(t *testing.T) {
		if _, err := build(t.Context(), env(with("RENKEI_ENV", "local")), discard); err == nil || !strings.Contains(err.Error(), "RENKEI_ENV") {
			t.Fatalf("err = %v, want RENKEI_ENV named", err)
		}
	})
	t.Run("STRIPE_API_BASE is refused in AWS", func(t *testing.T) {
		_, err := build(t.Context(), env(with("STRIPE_SECRET_KEY", "sk_test_renkei", "STRIPE_WEBHOOK_SECRET", "whsec_renkei", "STRIPE_API_BASE", "http://127.0.0.1:1")), discard)
		if err == nil || !strings.Contains(err.Error(), "STRIPE_API_BASE") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestBeforeDeadline(t *testing.T) {
	var got time.Time
	var had bool
	next := func(ctx context.Context, _ events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		got, had = ctx.Deadline()
		return events.APIGatewayV2HTTPResponse{}, nil
	}
	lambdaDeadline := time.Now().Add(25 * time.Second)
	ctx, cancel := context.WithDeadline(context.Background(), lambdaDeadline)
	defer cancel()
	if _, err := beforeDeadline(next, 2*time.Second)(ctx, events.APIGatewayV2HTTPRequest{}); err != nil {
		t.Fatal(err)
	}
	if !had || !got.Equal(lambdaDeadline.Add(-2*time.Second)) {
		t.Fatalf("request deadline %v (set %v), want 2 s before %v", got, had, lambdaDeadline)
	}
	if _, err := beforeDeadline(next, 2*time.Second)(context.Background(), events.APIGatewayV2HTTPRequest{}); err != nil || had {
		t.Fatalf("a context without deadline got one: %v %v", got, err)
	}
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}
