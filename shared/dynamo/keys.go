package dynamo

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/tenant"
)

// Key prefixes. Tenant-owned partitions start with "T#<tenantId>"; the
// platform prefixes below are reached only by the identity store before a
// tenant is known (and STRIPEACCT#, payments.go, by the payment store).
const (
	skTenant      = "TENANT"
	skUserPrefix  = "USER#"
	skLocPrefix   = "LOC#"
	skKeyPrefix   = "APIKEY#"
	pkLogin       = "LOGIN#"      // + normalized email
	pkAPIKeyHash  = "APIKEYHASH#" // + sha256 of the secret
	pkSession     = "SESSION#"    // + session id
	pkLoginFail   = "LOGINFAIL#"  // + limiter key
	pkIdempotency = "#IDEM#"      // T#<tid> + this + operation#key
)

// tenantPK returns the tenant's root partition key, from ctx only.
func tenantPK(ctx context.Context) (string, error) {
	id, err := tenant.IDFrom(ctx)
	if err != nil {
		return "", err
	}
	return "T#" + id, nil
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrPK: s(pk), attrSK: s(sk)}
}
