package stack

import (
	"fmt"
	"log/slog"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/renkei-pos/renkei/graph"
	"github.com/renkei-pos/renkei/shared/quota"
)

// tenantLimiter is the gateway's per-tenant limit: cfg.Quota if given, else
// a platform-wide limiter on the table (shared/quota), unless
// cfg.Rates.PerInstance asks for the per-process count (nil: graph's own).
func tenantLimiter(cfg APIConfig) graph.TenantLimiter {
	if cfg.Quota != nil {
		return cfg.Quota
	}
	if cfg.Rates.PerInstance {
		return nil
	}
	return NewQuota(cfg.DynamoDB, cfg.Table, cfg.Rates, cfg.Logger)
}

// NewQuota returns the platform-wide tenant limiter of rates on the table
// (defaults: graph.DefaultTenantRate per second, a burst of twice that).
func NewQuota(client *dynamodb.Client, table string, rates Rates, logger *slog.Logger) *quota.Limiter {
	rate, burst := rates.Tenant, rates.TenantBurst
	if rate == 0 {
		rate = graph.DefaultTenantRate
	}
	if burst == 0 {
		burst = 2 * rate
	}
	return quota.New(quota.Config{Client: client, Table: table, Rate: float64(rate), Burst: burst, Logger: logger})
}

// RatesFromEnv reads RENKEI_TENANT_RATE and RENKEI_TENANT_BURST (requests
// per second and burst of each tenant, platform-wide; "" keeps the
// defaults, 50 and twice the rate) and RENKEI_TENANT_LIMIT ("instance"
// counts per process, as before issue 11; "" or "shared" holds the limit
// across instances).
func RatesFromEnv(getenv func(string) string) (Rates, error) {
	var r Rates
	for _, v := range []struct {
		name string
		to   *int
	}{{"RENKEI_TENANT_RATE", &r.Tenant}, {"RENKEI_TENANT_BURST", &r.TenantBurst}} {
		s := getenv(v.name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100000 {
			return Rates{}, fmt.Errorf("%s must be a whole number between 1 and 100000", v.name)
		}
		*v.to = n
	}
	switch getenv("RENKEI_TENANT_LIMIT") {
	case "", "shared":
	case "instance":
		r.PerInstance = true
	default:
		return Rates{}, fmt.Errorf(`RENKEI_TENANT_LIMIT must be "shared" or "instance"`)
	}
	return r, nil
}

// The platform-wide limiter is the gateway's tenant limit.
var _ graph.TenantLimiter = (*quota.Limiter)(nil)
