package stack

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/renkei-pos/renkei/shared/tenantcreds"
)

func TestLambdaDynamoDBCredentials(t *testing.T) {
	cfg := aws.Config{Region: "ap-northeast-1", Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider("AK", "SK", ""))}
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }

	// Unset: the function's own credentials, as before.
	c, err := lambdaDynamoDB(cfg, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Options().Credentials.(*tenantcreds.Provider); ok {
		t.Fatal("per-tenant credentials without RENKEI_TENANT_ROLE_ARN")
	}

	// Set: every call goes through the per-tenant provider, not wrapped in
	// a cache of the SDK's (which would serve one tenant's session to all).
	env["RENKEI_TENANT_ROLE_ARN"] = "arn:aws:iam::123456789012:role/TenantData"
	c, err = lambdaDynamoDB(cfg, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Options().Credentials.(*tenantcreds.Provider); !ok {
		t.Fatalf("credentials are %T, want *tenantcreds.Provider", c.Options().Credentials)
	}
}
