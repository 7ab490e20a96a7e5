package stack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// AWS holds the clients and settings of a Lambda runtime.
type AWS struct {
	DynamoDB  *dynamodb.Client
	Table     string
	JWTSecret []byte
}

// LoadAWS reads the Lambda environment (RENKEI_TABLE, RENKEI_JWT_SECRET_ARN
// or RENKEI_JWT_SECRET) and builds clients with bounded timeouts and retries.
func LoadAWS(ctx context.Context, getenv func(string) string) (*AWS, error) {
	table := getenv("RENKEI_TABLE")
	if table == "" {
		return nil, errors.New("RENKEI_TABLE is not set")
	}
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithHTTPClient(&http.Client{Timeout: 5 * time.Second}),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 3; o.MaxBackoff = 500 * time.Millisecond })
		}))
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	secret := []byte(getenv("RENKEI_JWT_SECRET"))
	if arn := getenv("RENKEI_JWT_SECRET_ARN"); arn != "" {
		out, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &arn})
		if err != nil {
			return nil, fmt.Errorf("read JWT secret: %w", err)
		}
		secret = []byte(aws.ToString(out.SecretString))
	}
	if len(secret) == 0 {
		return nil, errors.New("set RENKEI_JWT_SECRET_ARN or RENKEI_JWT_SECRET")
	}
	return &AWS{DynamoDB: dynamodb.NewFromConfig(cfg), Table: table, JWTSecret: secret}, nil
}
