package ddbstream_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/ddbstream"
	"github.com/renkei-pos/renkei/shared/dynamo"
	"github.com/renkei-pos/renkei/shared/dynamolocal"
)

// recorder is a handler that keeps the pk of every record it sees and
// fails the records named in failOnce the first time it sees them.
type recorder struct {
	mu       sync.Mutex
	seen     []string
	failOnce map[string]bool
}

func (r *recorder) HandleRecords(_ context.Context, batch []ddbstream.Record) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, rec := range batch {
		pk := rec.NewImage["pk"].(*types.AttributeValueMemberS).Value
		if strings.HasPrefix(pk, "STREAMPOS#") { // the poller's own checkpoints and watermark
			continue
		}
		if r.failOnce[pk] {
			delete(r.failOnce, pk)
			var failed []string
			for _, rest := range batch[i:] {
				failed = append(failed, rest.SequenceNumber)
			}
			return failed
		}
		r.seen = append(r.seen, pk)
	}
	return nil
}

func (r *recorder) snapshot() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seen)
}

// TestPoller reads DynamoDB Local's stream of a fresh table: it delivers
// every write in order, delivers a failed record (and the ones after it)
// again, moves the watermark past the writes, stops when asked, and a new
// poller resumes after the checkpoints instead of replaying the stream.
func TestPoller(t *testing.T) {
	srv := dynamolocal.MustStart(t)
	ctx := t.Context()
	client, err := dynamolocal.NewClient(ctx, srv.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	table := dynamo.New(client, "poller")
	if err := table.EnsureTable(ctx); err != nil {
		t.Fatal(err)
	}
	desc, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws("poller")})
	if err != nil {
		t.Fatal(err)
	}
	streams, err := dynamolocal.NewStreamsClient(srv.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	positions := dynamo.NewStreamPositions(table)
	put := func(pk string) {
		t.Helper()
		if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws("poller"), Item: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: "X"}}}); err != nil {
			t.Fatal(err)
		}
	}
	start := func(h ddbstream.Handler) (stop func()) {
		p := &ddbstream.Poller{Streams: streams, StreamARN: *desc.Table.LatestStreamArn, Handler: h, Positions: positions,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Interval: 20 * time.Millisecond}
		pctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- p.Run(pctx) }()
		return func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the poller did not stop")
			}
		}
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	// Streams key by partition: one item per pk keeps them in one order
	// only per item, so the test writes distinct items and checks the set
	// and, for the failed record, that it came after its predecessors.
	var want []string
	for i := range 5 {
		want = append(want, fmt.Sprint("A", i))
	}
	before := time.Now()
	for _, pk := range want {
		put(pk)
	}
	rec := &recorder{failOnce: map[string]bool{"A2": true}}
	stop := start(rec)
	waitFor("the first writes", func() bool { return len(rec.snapshot()) >= len(want) })
	got := rec.snapshot()
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("handled %v, want each of %v once", rec.snapshot(), want)
	}
	waitFor("the watermark", func() bool {
		at, err := positions.Watermark(ctx)
		return err == nil && at.After(before)
	})
	// An idle stream stays idle: the poller's own writes (checkpoint,
	// watermark) do not make it write again and again.
	time.Sleep(150 * time.Millisecond)
	w1, _ := positions.Watermark(ctx)
	time.Sleep(200 * time.Millisecond)
	if w2, _ := positions.Watermark(ctx); !w2.Equal(w1) {
		t.Fatalf("the watermark still moves on an idle stream: %v then %v", w1, w2)
	}
	stop()

	put("B0")
	rec2 := &recorder{}
	stop = start(rec2)
	waitFor("the write after the restart", func() bool { return slices.Contains(rec2.snapshot(), "B0") })
	time.Sleep(100 * time.Millisecond) // a few more passes: nothing old comes back
	stop()
	if got := rec2.snapshot(); !slices.Equal(got, []string{"B0"}) {
		t.Fatalf("after a restart the poller handled %v, want only the new write", got)
	}
}

func aws(s string) *string { return &s }
