package stack

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/renkei-pos/renkei/shared/tenantcreds"
)

// lambdaDynamoDB is a Lambda's DynamoDB client. With RENKEI_TENANT_ROLE_ARN
// set (the stack sets it on every function: infra/tenantdata.go) each call
// signs with the credentials of its context's tenant — a session of that
// role tagged tenant=<id>, which reaches only "T#<id>…" keys — and a call
// without a tenant with the function's own role, which reaches only
// platform keys (shared/tenantcreds). Unset, every call uses the function's
// own credentials, as before issue 11 (a function run outside the stack;
// it then needs a role that may touch every tenant's keys). The local stack
// never does this: DynamoDB Local ignores IAM.
func lambdaDynamoDB(cfg aws.Config, getenv func(string) string) (*dynamodb.Client, error) {
	role := getenv("RENKEI_TENANT_ROLE_ARN")
	if role == "" {
		return dynamodb.NewFromConfig(cfg), nil
	}
	p, err := tenantcreds.New(tenantcreds.Config{RoleARN: role, STS: sts.NewFromConfig(cfg), Base: cfg.Credentials})
	if err != nil {
		return nil, fmt.Errorf("tenant credentials: %w", err)
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.Credentials = p }), nil
}
