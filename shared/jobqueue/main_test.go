package jobqueue

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/renkei-pos/renkei/shared/sqslocal"
	"github.com/renkei-pos/renkei/shared/sqsqueue"
)

// One goaws per process (its queues are package state): every test makes
// queues of its own on it.
var client *sqs.Client

func TestMain(m *testing.M) {
	srv, err := sqslocal.Start(context.Background(), sqslocal.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	client, err = sqslocal.NewClient(context.Background(), srv.Endpoint())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	srv.Stop(context.Background())
	os.Exit(code)
}

var queueSeq atomic.Int64

// newQueues makes a jobs queue and its DLQ (redrive after 5 receives).
func newQueues(t testing.TB) sqsqueue.Queues {
	t.Helper()
	q, err := sqsqueue.EnsureQueues(context.Background(), client, "jobs-"+strconv.FormatInt(queueSeq.Add(1), 10), 30)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// queued is how many messages the queue holds, in flight or not.
func queued(t testing.TB, url string) int {
	t.Helper()
	out, err := client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages},
	})
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)])
	return n
}

// eventually polls cond every 50 ms until it holds or timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startPoller starts p on q and stops it when the test ends.
func startPoller(t testing.TB, p *Poller) *Poller {
	t.Helper()
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		p.Stop(ctx)
	})
	return p
}
