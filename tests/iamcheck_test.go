package tests

import (
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/renkei-pos/renkei/shared/tenantcreds/iamcheck"
)

// e2eDynamoDBOptions make the local stack's DynamoDB client refuse what IAM
// would refuse in AWS (shared/tenantcreds/iamcheck: a call with a tenant in
// its context as that tenant's TenantData session, one without as the
// functions' own roles), so every end-to-end test also proves that each
// call path stays within its credentials. DynamoDB Local ignores IAM;
// this is the closest a local run gets. A refusal fails the call (and so
// the test) and is printed.
var e2eDynamoDBOptions = []func(*dynamodb.Options){iamcheck.Option(func(d *iamcheck.Denied) {
	fmt.Fprintln(os.Stderr, "iamcheck:", d)
})}
