package sqslocal

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func TestServer_RedriveToDLQ(t *testing.T) {
	ctx := t.Context()
	s, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop(context.Background())
	q, err := NewClient(ctx, s.Endpoint())
	if err != nil {
		t.Fatal(err)
	}

	dlqURL := createQueue(t, q, "jobs-dlq", nil)
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(dlqURL),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatal(err)
	}
	dlqARN := attrs.Attributes[string(types.QueueAttributeNameQueueArn)]
	if want := "arn:aws:sqs:" + Region + ":" + AccountID + ":jobs-dlq"; dlqARN != want {
		t.Errorf("DLQ ARN = %q, want %q", dlqARN, want)
	}
	jobsURL := createQueue(t, q, "jobs", map[string]string{
		"VisibilityTimeout": "1",
		"RedrivePolicy":     fmt.Sprintf(`{"maxReceiveCount":"2","deadLetterTargetArn":%q}`, dlqARN),
	})

	if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(jobsURL), MessageBody: aws.String("sync order 42")}); err != nil {
		t.Fatal(err)
	}

	first := receive(t, q, jobsURL, 0)
	if first == nil || aws.ToString(first.Body) != "sync order 42" {
		t.Fatalf("first receive: got %v, want the message", first)
	}
	if m := receive(t, q, jobsURL, 0); m != nil {
		t.Fatalf("receive during the visibility timeout returned %q", aws.ToString(m.Body))
	}
	// Not deleted: once the 1 s timeout passes, the periodic task shows it again.
	second := receive(t, q, jobsURL, 5)
	if second == nil || aws.ToString(second.MessageId) != aws.ToString(first.MessageId) {
		t.Fatalf("receive after the visibility timeout: got %v, want message %s again", second, aws.ToString(first.MessageId))
	}
	// Received maxReceiveCount times and not deleted: redriven to the DLQ.
	dead := receive(t, q, dlqURL, 5)
	if dead == nil || aws.ToString(dead.Body) != "sync order 42" {
		t.Fatalf("DLQ receive: got %v, want the redriven message", dead)
	}
	if m := receive(t, q, jobsURL, 2); m != nil {
		t.Errorf("source queue still returns %q after redrive", aws.ToString(m.Body))
	}
}

func TestStart_OnePerProcess(t *testing.T) {
	s, err := Start(t.Context(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Start(t.Context(), Options{}); !errors.Is(err, ErrAlreadyRunning) {
		t.Errorf("second Start: err = %v, want ErrAlreadyRunning", err)
	}
	q, err := NewClient(t.Context(), s.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	createQueue(t, q, "left-behind", nil)
	if err := s.Stop(t.Context()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if conn, err := net.DialTimeout("tcp", s.addr, time.Second); err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections after Stop", s.addr)
	}

	// After Stop another server may start, and it starts empty.
	s2, err := Start(t.Context(), Options{})
	if err != nil {
		t.Fatalf("Start after Stop: %v", err)
	}
	defer s2.Stop(context.Background())
	q2, err := NewClient(t.Context(), s2.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	list, err := q2.ListQueues(t.Context(), &sqs.ListQueuesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.QueueUrls) != 0 {
		t.Errorf("restarted server lists %v, want no queues", list.QueueUrls)
	}
}

func TestServer_StopEndsLongPoll(t *testing.T) {
	s, err := Start(t.Context(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	q, err := NewClient(t.Context(), s.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	url := createQueue(t, q, "idle", nil)
	polled := make(chan error, 1)
	go func() {
		_, err := q.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 20})
		polled <- err
	}()
	time.Sleep(300 * time.Millisecond) // let the poll reach the server
	begin := time.Now()
	if err := s.Stop(t.Context()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if d := time.Since(begin); d > 2*time.Second {
		t.Errorf("Stop took %v with a long poll in flight, want it to end the poll", d)
	}
	<-polled
}

func createQueue(t *testing.T, q *sqs.Client, name string, attrs map[string]string) string {
	t.Helper()
	out, err := q.CreateQueue(t.Context(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("create queue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

// receive returns one message or nil, long-polling up to wait seconds.
func receive(t *testing.T, q *sqs.Client, url string, wait int32) *types.Message {
	t.Helper()
	out, err := q.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{
		QueueUrl:            aws.String(url),
		MaxNumberOfMessages: 1,
		WaitTimeSeconds:     wait,
	})
	if err != nil {
		t.Fatalf("receive from %s: %v", url, err)
	}
	if len(out.Messages) == 0 {
		return nil
	}
	return &out.Messages[0]
}
