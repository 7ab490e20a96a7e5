// Package sqsqueue is renkei's SQS adapter: the jobs queue and its
// dead-letter queue. In AWS the CDK stack creates them; locally EnsureQueues
// does, on the embedded emulator.
package sqsqueue

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// MaxReceives is how often a job is delivered before it is dead-lettered.
const MaxReceives = 5

// Queues are the URLs of the jobs queue and its DLQ.
type Queues struct {
	Jobs, DeadLetters string
}

// EnsureQueues creates name and name-dlq (standard queues) if missing, with
// the redrive policy, and returns their URLs.
func EnsureQueues(ctx context.Context, c *sqs.Client, name string, visibilityTimeoutSeconds int) (Queues, error) {
	dlq, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name + "-dlq")})
	if err != nil {
		return Queues{}, fmt.Errorf("create queue %s-dlq: %w", name, err)
	}
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: dlq.QueueUrl, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	if err != nil {
		return Queues{}, fmt.Errorf("get %s-dlq arn: %w", name, err)
	}
	redrive, _ := json.Marshal(map[string]string{"deadLetterTargetArn": attrs.Attributes[string(types.QueueAttributeNameQueueArn)], "maxReceiveCount": fmt.Sprint(MaxReceives)})
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: map[string]string{
		string(types.QueueAttributeNameVisibilityTimeout): fmt.Sprint(visibilityTimeoutSeconds),
		string(types.QueueAttributeNameRedrivePolicy):     string(redrive),
	}})
	if err != nil {
		return Queues{}, fmt.Errorf("create queue %s: %w", name, err)
	}
	return Queues{Jobs: aws.ToString(q.QueueUrl), DeadLetters: aws.ToString(dlq.QueueUrl)}, nil
}

// Ping checks that the jobs queue answers.
func Ping(ctx context.Context, c *sqs.Client, url string) error {
	_, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages}})
	return err
}
