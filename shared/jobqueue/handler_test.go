package jobqueue

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/renkei-pos/renkei/shared/integrations"
	"github.com/renkei-pos/renkei/shared/sqslocal"
)

// TestLambda_BatchItemFailures feeds the handler a batch received from
// goaws as Lambda's event source mapping would: the acked record and the
// undecodable one are not reported (Lambda deletes them), the failed and
// the panicking ones are, and the failed one's visibility is changed to its
// delay through the queue URL derived from the record's eventSourceARN.
func TestLambda_BatchItemFailures(t *testing.T) {
	q := newQueues(t)
	send(t, q.Jobs, integrations.Message{TenantID: "a", JobID: "ok"}, integrations.Message{TenantID: "a", JobID: "fail"}, integrations.Message{TenantID: "b", JobID: "boom"})
	if _, err := client.SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: aws.String(q.Jobs), MessageBody: aws.String("not json")}); err != nil {
		t.Fatal(err)
	}
	name := q.Jobs[strings.LastIndex(q.Jobs, "/")+1:]
	arn := "arn:aws:sqs:" + sqslocal.Region + ":" + sqslocal.AccountID + ":" + name
	var ev events.SQSEvent
	ids := map[string]string{} // job → message id
	for len(ev.Records) < 4 {
		out, err := client.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(q.Jobs), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
		if err != nil || len(out.Messages) == 0 {
			t.Fatalf("received %d of 4: %v", len(ev.Records), err)
		}
		for _, m := range out.Messages {
			ev.Records = append(ev.Records, events.SQSMessage{MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle),
				Body: aws.ToString(m.Body), Attributes: m.Attributes, EventSourceARN: arn, EventSource: "aws:sqs"})
			if d, err := Decode(aws.ToString(m.Body)); err == nil {
				ids[d.JobID] = aws.ToString(m.MessageId)
			}
		}
	}
	var handled atomic.Int32
	h := Lambda(func(_ context.Context, m integrations.Message, n int) Outcome {
		handled.Add(1)
		if n != 1 {
			t.Errorf("%s: receive count %d, want 1", m.JobID, n)
		}
		switch m.JobID {
		case "fail":
			return Outcome{Delay: time.Second}
		case "boom":
			panic("connector bug")
		}
		return Outcome{Ack: true}
	}, client, 2, slog.New(slog.NewTextHandler(io.Discard, nil)))
	resp, err := h(t.Context(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if handled.Load() != 3 {
		t.Fatalf("handled %d records, want 3 (the undecodable one is dropped)", handled.Load())
	}
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	if len(failed) != 2 || !failed[ids["fail"]] || !failed[ids["boom"]] {
		t.Fatalf("BatchItemFailures %+v, want the ids of fail (%s) and boom (%s)", resp.BatchItemFailures, ids["fail"], ids["boom"])
	}
	// "fail" was postponed by 1 s: it comes again within a few seconds;
	// "boom" by PanicDelay (30 s): it does not.
	out, err := client.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(q.Jobs), MaxNumberOfMessages: 10, WaitTimeSeconds: 5})
	if err != nil || len(out.Messages) != 1 || aws.ToString(out.Messages[0].MessageId) != ids["fail"] {
		t.Fatalf("after the delay: %+v %v, want the failed message again", out.Messages, err)
	}
}

func TestQueueURLFromARN(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:sqs:ap-northeast-1:123456789012:renkei-jobs": "https://sqs.ap-northeast-1.amazonaws.com/123456789012/renkei-jobs",
		"arn:aws-cn:sqs:cn-north-1:123456789012:jobs":         "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/jobs",
	} {
		if got := queueURLFromARN(arn); got != want {
			t.Errorf("%s → %s, want %s", arn, got, want)
		}
	}
}

func TestSeconds(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int32
	}{{0, 0}, {-time.Second, 0}, {time.Millisecond, 1}, {time.Second, 1}, {1001 * time.Millisecond, 2}, {13 * time.Hour, 43200}} {
		if got := seconds(tc.d, MaxVisibility); got != tc.want {
			t.Errorf("seconds(%v) = %d, want %d", tc.d, got, tc.want)
		}
	}
}
