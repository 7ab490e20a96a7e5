package dynamolocal

import (
	"fmt"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
)

// NewStreamsClient returns a DynamoDB Streams client for a local endpoint
// (DynamoDB Local serves the Streams API on the same port), with the same
// isolation from the developer's AWS configuration as NewClient.
func NewStreamsClient(endpoint string) (*dynamodbstreams.Client, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("dynamodb local endpoint %q: want an absolute http URL", endpoint)
	}
	return dynamodbstreams.New(dynamodbstreams.Options{
		Region: Region, BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		HTTPClient:  localHTTPClient(30 * time.Second),
	}), nil
}
