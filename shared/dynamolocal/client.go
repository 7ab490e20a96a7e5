package dynamolocal

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
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Region is the region local clients sign for. DynamoDB Local ignores it
// (Start runs it with -sharedDb), but it matches production so ARNs look real.
const Region = "ap-northeast-1"

// NewClient returns a DynamoDB client for a local endpoint such as
// (*Server).Endpoint(). It deliberately reads no AWS environment variables or
// shared config files, so a developer's real credentials, profile or endpoint
// overrides never reach (or redirect) a local run. ctx is accepted for
// symmetry with config-loading constructors; building the client does no I/O.
func NewClient(ctx context.Context, endpoint string, optFns ...func(*dynamodb.Options)) (*dynamodb.Client, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("dynamodb local endpoint %q: want an absolute http URL", endpoint)
	}
	opts := dynamodb.Options{
		Region:       Region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		// DynamoDB Local sends no X-Amz-Crc32 header on error responses; the
		// SDK would otherwise report a checksum failure instead of the error.
		DisableValidateResponseChecksum: true,
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 3
			o.MaxBackoff = time.Second
			// The default retry quota starts refusing retries after a burst of
			// failures; against a local engine that only hides the real error.
			o.RateLimiter = ratelimit.None
		}),
		HTTPClient: localHTTPClient(30 * time.Second),
	}
	for _, fn := range optFns {
		fn(&opts)
	}
	return dynamodb.New(opts), nil
}

// localHTTPClient talks to a loopback engine: never through a proxy, with
// enough idle connections that parallel tests do not churn sockets.
func localHTTPClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.MaxIdleConnsPerHost = 16
	return &http.Client{Timeout: timeout, Transport: t}
}
