package main

import (
	"fmt"
	"strconv"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// The API Gateway stage throttle is the account-protecting ceiling over
// every tenant together; each tenant's own limit is held platform-wide in
// the application (shared/quota, RENKEI_TENANT_RATE). It defaults to the
// account's regional HTTP API quota (10,000 requests per second, a burst of
// 5,000): a lower stage limit would let two busy tenants starve the rest.
// Context values apiRateLimit and apiBurstLimit (cdk.json or
// `-c apiRateLimit=…`) lower it for a small account, or follow a raised
// account quota (Service Quotas, "Throttle rate" of API Gateway).
const (
	defaultAPIRateLimit  = 10000
	defaultAPIBurstLimit = 5000
	// maxStageLimit refuses a typo (an extra zero) at synth.
	maxStageLimit = 1_000_000
)

// stageThrottle returns the stage's steady-state rate and burst.
func stageThrottle(scope constructs.Construct) (rate, burst float64) {
	return contextLimit(scope, "apiRateLimit", defaultAPIRateLimit), contextLimit(scope, "apiBurstLimit", defaultAPIBurstLimit)
}

// contextLimit reads a whole, positive context value (a number, or a string
// as `-c` passes it).
func contextLimit(scope constructs.Construct, name string, def float64) float64 {
	var v float64
	switch raw := scope.Node().TryGetContext(jsii.String(name)).(type) {
	case nil:
		return def
	case float64:
		v = raw
	case string:
		n, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			panic(fmt.Sprintf("renkei infra: %s: %q is not a number", name, raw))
		}
		v = n
	default:
		panic(fmt.Sprintf("renkei infra: %s: %v is not a number", name, raw))
	}
	if v < 1 || v > maxStageLimit || v != float64(int64(v)) {
		panic(fmt.Sprintf("renkei infra: %s must be a whole number between 1 and %d, not %v", name, maxStageLimit, v))
	}
	return v
}
