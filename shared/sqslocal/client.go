package sqslocal

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// NewClient returns an SQS client for a local endpoint such as
// (*Server).Endpoint(). It reads no AWS environment variables or shared
// config files, so a developer's real credentials or endpoint overrides never
// reach a local run. ctx is accepted for symmetry with config-loading
// constructors; building the client does no I/O.
func NewClient(ctx context.Context, endpoint string, optFns ...func(*sqs.Options)) (*sqs.Client, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("sqs local endpoint %q: want an absolute http URL", endpoint)
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil // loopback engine: never through a proxy
	t.MaxIdleConnsPerHost = 16
	opts := sqs.Options{
		Region:       Region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 3
			o.MaxBackoff = time.Second
			// The default retry quota refuses retries after a burst of
			// failures; locally that only hides the real error.
			o.RateLimiter = ratelimit.None
		}),
		// Above ReceiveMessage's longest long poll (20 s).
		HTTPClient: &http.Client{Timeout: 30 * time.Second, Transport: t},
	}
	for _, fn := range optFns {
		fn(&opts)
	}
	return sqs.New(opts), nil
}
