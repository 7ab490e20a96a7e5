package stack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-xray-sdk-go/instrumentation/awsv2"
	"github.com/aws/smithy-go/middleware"
)

// AWS holds the clients and settings of a Lambda runtime.
type AWS struct {
	DynamoDB *dynamodb.Client
	Table    string
	// JWTSecret, StripeSecretKey and StripeWebhookSecret are empty when the
	// function's environment names neither the secret's ARN nor a value:
	// each main requires what it uses.
	JWTSecret           []byte
	StripeSecretKey     string
	StripeWebhookSecret string
	// FreeeClientSecret is renkei's freee application's secret
	// (FREEE_CLIENT_SECRET_ARN or FREEE_CLIENT_SECRET), for the
	// integration hub's OAuth grants.
	FreeeClientSecret string
	// OriginVerifySecret is the value CloudFront sends in
	// graph.OriginVerifyHeader on the console's API paths
	// (RENKEI_ORIGIN_VERIFY_SECRET_ARN or RENKEI_ORIGIN_VERIFY_SECRET): with
	// it the API takes the viewer's address CloudFront names as the client's.
	OriginVerifySecret string
	// Config is the loaded SDK configuration, for the other clients a
	// function needs (SQS, KMS).
	Config aws.Config
}

// LoadAWS reads the Lambda environment and builds clients with bounded
// timeouts and retries. RENKEI_TABLE is required; each secret is read once,
// here, at cold start, from Secrets Manager when its ARN variable is set,
// else from a plain variable (for a function run outside the stack):
//
//	RENKEI_JWT_SECRET_ARN            or RENKEI_JWT_SECRET
//	RENKEI_STRIPE_SECRET_KEY_ARN     or STRIPE_SECRET_KEY
//	RENKEI_STRIPE_WEBHOOK_SECRET_ARN or STRIPE_WEBHOOK_SECRET
//	FREEE_CLIENT_SECRET_ARN          or FREEE_CLIENT_SECRET
//	RENKEI_ORIGIN_VERIFY_SECRET_ARN  or RENKEI_ORIGIN_VERIFY_SECRET
func LoadAWS(ctx context.Context, getenv func(string) string) (*AWS, error) {
	if env := getenv("RENKEI_ENV"); env == "local" {
		// Local mode loosens integration rules (provider URL overrides,
		// webhooks to loopback); a Lambda must never run in it.
		return nil, errors.New("RENKEI_ENV=local is for the local stack only; a Lambda function runs with RENKEI_ENV=aws")
	}
	table := getenv("RENKEI_TABLE")
	if table == "" {
		return nil, errors.New("RENKEI_TABLE is not set")
	}
	cfg, err := config.LoadDefaultConfig(ctx,
		// A buildable client (not a bare http.Client), so that settings such
		// as AWS_CA_BUNDLE can still adjust its transport.
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(5*time.Second)),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 3; o.MaxBackoff = 500 * time.Millisecond })
		}))
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	// The cold-start secret reads run before any invocation, outside a
	// trace: they use the configuration as loaded. Every client made after
	// (DynamoDB here; SQS, KMS from Config) records its calls as X-Ray
	// subsegments of the invocation's trace.
	secrets := secretsmanager.NewFromConfig(cfg)
	cfg = TraceAWS(cfg)
	read := func(arnVar, plainVar string) (string, error) {
		arn := getenv(arnVar)
		if arn == "" {
			return getenv(plainVar), nil
		}
		out, err := secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &arn})
		if err != nil {
			// The ARN names the secret, not its value: safe to say.
			return "", fmt.Errorf("read secret %s (%s): %w", arnVar, arn, err)
		}
		return aws.ToString(out.SecretString), nil
	}
	// Per-tenant credentials when RENKEI_TENANT_ROLE_ARN is set (tenantcreds.go).
	ddb, err := lambdaDynamoDB(cfg, getenv)
	if err != nil {
		return nil, err
	}
	a := &AWS{DynamoDB: ddb, Table: table, Config: cfg}
	jwt, err := read("RENKEI_JWT_SECRET_ARN", "RENKEI_JWT_SECRET")
	if err != nil {
		return nil, err
	}
	a.JWTSecret = []byte(jwt)
	if a.StripeSecretKey, err = read("RENKEI_STRIPE_SECRET_KEY_ARN", "STRIPE_SECRET_KEY"); err != nil {
		return nil, err
	}
	if a.StripeWebhookSecret, err = read("RENKEI_STRIPE_WEBHOOK_SECRET_ARN", "STRIPE_WEBHOOK_SECRET"); err != nil {
		return nil, err
	}
	if a.FreeeClientSecret, err = read("FREEE_CLIENT_SECRET_ARN", "FREEE_CLIENT_SECRET"); err != nil {
		return nil, err
	}
	if a.OriginVerifySecret, err = read("RENKEI_ORIGIN_VERIFY_SECRET_ARN", "RENKEI_ORIGIN_VERIFY_SECRET"); err != nil {
		return nil, err
	}
	return a, nil
}

// CardConfig builds the card processor of a Lambda from its Stripe secrets
// and the onboarding URLs (STRIPE_CONNECT_RETURN_URL, _REFRESH_URL). In AWS
// there is never a simulator: without a Stripe key — or while the stack's
// generated placeholder is still in the secret — card payments are refused
// and POST /webhooks/stripe is not served, and the cold-start log says so.
func (a *AWS) CardConfig(getenv func(string) string, logger *slog.Logger) (CardConfig, error) {
	s := CardSettingsFromEnv(getenv)
	s.SecretKey, s.WebhookSecret = a.StripeSecretKey, a.StripeWebhookSecret
	if !strings.HasPrefix(s.SecretKey, "sk_") && !strings.HasPrefix(s.SecretKey, "rk_") {
		// Never log the value, not even a placeholder's.
		logger.Warn("no Stripe secret key (sk_… or rk_…) configured: card payments are refused")
		s.SecretKey = ""
	}
	gw, _, err := NewCardGateway(s, false, logger)
	if err != nil {
		return CardConfig{}, fmt.Errorf("card processor: %w", err)
	}
	ttl, err := PendingTTLFromEnv(getenv)
	if err != nil {
		return CardConfig{}, err
	}
	return CardConfig{Payments: gw, PendingTTL: ttl}, nil
}

// TraceAWS returns cfg with its clients' calls recorded as X-Ray
// subsegments (service, operation, request id, status) of the trace in the
// call's context: in a Lambda with active tracing, the invocation's. A call
// whose context carries no trace (a test, a tool, a cold-start read) is
// made unchanged: the X-Ray SDK's context-missing strategy is LOG_ERROR
// (its default; AWS_XRAY_CONTEXT_MISSING=IGNORE_ERROR silences it), never
// RUNTIME_ERROR, and without a daemon nothing is sent.
func TraceAWS(cfg aws.Config) aws.Config {
	cfg = cfg.Copy()
	// Copy shares the slice's backing array: never append in place.
	cfg.APIOptions = append([]func(*middleware.Stack) error(nil), cfg.APIOptions...)
	awsv2.AWSV2Instrumentor(&cfg.APIOptions)
	return cfg
}
