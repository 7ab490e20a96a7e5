// Package metrics writes CloudWatch metrics as embedded metric format (EMF)
// lines: one JSON object per line on the function's standard output, which
// Lambda sends to its log stream and CloudWatch turns into metrics. No API
// call is made, so a metric costs nothing on the request's path but the
// write of one log line.
//
// Every metric is in the namespace Renkei and is published without
// dimensions (one aggregate series per metric): a dimension value is a
// separate custom metric, billed per month, so a tenant dimension would
// cost (metrics × tenants) series. The tenant, and whatever else names
// the event, is a property of the line instead: CloudWatch Logs Insights
// answers per-tenant questions from the same lines (docs/operations.md
// "Metrics, logs and traces"). An Emitter with TenantDimension also
// publishes each metric per tenant, for deployments that accept that cost.
package metrics

import (
	"encoding/json"
	"io"
	"os"
	"sync"
	"time"
)

// Namespace is the CloudWatch namespace of every metric (infra's alarms
// read it: infra/ops.go).
const Namespace = "Renkei"

// Metric names.
const (
	// Checkouts counts sales written (a replayed request is not a new sale).
	Checkouts = "Checkouts"
	// CheckoutLatency is a checkout's time in the service, milliseconds,
	// whatever its outcome.
	CheckoutLatency = "CheckoutLatency"
	// CheckoutConflicts counts the checkout transactions cancelled by
	// another sale (the register's sequence moved, or stock it read
	// changed), each of which is retried.
	CheckoutConflicts = "CheckoutConflicts"
	// CheckoutSequenceRetries counts the retries because another sale at
	// the register took the next number first.
	CheckoutSequenceRetries = "CheckoutSequenceRetries"
	// IntegrationJobsFailed counts integration jobs that ended FAILED (no
	// more attempts). infra's alarm "integration jobs FAILED" reads it.
	IntegrationJobsFailed = "IntegrationJobsFailed"
	// IntegrationLag is, for a job that succeeded, the time from its event
	// to the end of the run, milliseconds.
	IntegrationLag = "IntegrationLag"
)

// Units (CloudWatch's names).
const (
	Count        = "Count"
	Milliseconds = "Milliseconds"
)

// DimTenant is the dimension an Emitter with TenantDimension adds.
const DimTenant = "Tenant"

// Value is one metric's value on a line.
type Value struct {
	Name  string
	Unit  string
	Value float64
}

// Emitter writes EMF lines to W. Its zero value discards them; it is safe
// for concurrent use.
type Emitter struct {
	W   io.Writer
	Now func() time.Time
	// TenantDimension publishes each metric per tenant as well (dimension
	// Tenant), at one custom metric per tenant and metric.
	TenantDimension bool

	mu sync.Mutex
}

// Default is the process's emitter: standard output in Lambda (where
// AWS_LAMBDA_FUNCTION_NAME is set), nowhere otherwise, so local runs and
// tests print no metric lines unless they ask for them.
var Default = defaultEmitter()

func defaultEmitter() *Emitter {
	if os.Getenv("AWS_LAMBDA_FUNCTION_NAME") == "" {
		return &Emitter{}
	}
	return &Emitter{W: os.Stdout, TenantDimension: os.Getenv("RENKEI_METRICS_TENANT_DIMENSION") == "true"}
}

// Or returns e, or Default when e is nil.
func Or(e *Emitter) *Emitter {
	if e == nil {
		return Default
	}
	return e
}

// Emit writes one line with values and props (tenant is a property named
// "tenant" when not empty). Errors of the writer are ignored: a metric is
// never worth failing a request.
func (e *Emitter) Emit(tenant string, props map[string]any, values ...Value) {
	if e == nil || e.W == nil || len(values) == 0 {
		return
	}
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	type metricDef struct {
		Name string `json:"Name"`
		Unit string `json:"Unit,omitempty"`
	}
	type directive struct {
		Namespace  string      `json:"Namespace"`
		Dimensions [][]string  `json:"Dimensions"`
		Metrics    []metricDef `json:"Metrics"`
	}
	dims := [][]string{{}}
	line := make(map[string]any, len(props)+len(values)+2)
	for k, v := range props {
		line[k] = v
	}
	if tenant != "" {
		line["tenant"] = tenant
		if e.TenantDimension {
			dims = append(dims, []string{DimTenant})
			line[DimTenant] = tenant
		}
	}
	d := directive{Namespace: Namespace, Dimensions: dims}
	for _, v := range values {
		d.Metrics = append(d.Metrics, metricDef{Name: v.Name, Unit: v.Unit})
		line[v.Name] = v.Value
	}
	line["_aws"] = map[string]any{"Timestamp": now().UnixMilli(), "CloudWatchMetrics": []directive{d}}
	b, err := json.Marshal(line)
	if err != nil {
		return
	}
	b = append(b, '\n')
	e.mu.Lock()
	defer e.mu.Unlock()
	_, _ = e.W.Write(b)
}

// Millis is d in (fractional) milliseconds.
func Millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
