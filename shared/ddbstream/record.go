package ddbstream

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// Record is one stream record, whichever way it arrived.
type Record struct {
	ID             string // the stream record's id
	Shard          string // the shard it came from ("" when unknown)
	SequenceNumber string
	At             time.Time // approximate time of the write
	// NewImage is the item after the write; nil for a deletion (TTL).
	NewImage map[string]types.AttributeValue
}

// Handler handles a batch of records, in stream order. It returns the
// sequence numbers of the records it failed to handle; the consumer
// delivers the first of them and every later record of the shard again
// (Lambda's partial batch response for streams). Handlers are idempotent:
// any record may come more than once.
type Handler interface {
	HandleRecords(ctx context.Context, batch []Record) (failed []string)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, batch []Record) []string

// HandleRecords calls f.
func (f HandlerFunc) HandleRecords(ctx context.Context, batch []Record) []string {
	return f(ctx, batch)
}

// Fanout gives every batch to each handler in turn and reports the
// records any of them failed: the one consumer of the stream, however many
// concerns read it. A record one handler failed comes again to all of them,
// which their idempotency absorbs.
func Fanout(hs ...Handler) Handler {
	return HandlerFunc(func(ctx context.Context, batch []Record) []string {
		seen := map[string]bool{}
		var failed []string
		for _, h := range hs {
			for _, seq := range h.HandleRecords(ctx, batch) {
				if !seen[seq] {
					seen[seq] = true
					failed = append(failed, seq)
				}
			}
		}
		return failed
	})
}

// EachRecord adapts a per-record function to Handler: records are handled
// in order, and the first failure fails it and every later record of the
// batch (they come again, in order).
func EachRecord(f func(ctx context.Context, r Record) error, onError func(Record, error)) Handler {
	return HandlerFunc(func(ctx context.Context, batch []Record) []string {
		for i, r := range batch {
			if err := f(ctx, r); err != nil {
				if onError != nil {
					onError(r, err)
				}
				out := make([]string, 0, len(batch)-i)
				for _, rest := range batch[i:] {
					out = append(out, rest.SequenceNumber)
				}
				return out
			}
		}
		return nil
	})
}

// FromStreams converts a record read with the DynamoDB Streams API.
func FromStreams(shard string, r streamtypes.Record) (Record, error) {
	out := Record{ID: deref(r.EventID), Shard: shard}
	if r.Dynamodb == nil {
		return out, nil
	}
	out.SequenceNumber = deref(r.Dynamodb.SequenceNumber)
	if r.Dynamodb.ApproximateCreationDateTime != nil {
		out.At = *r.Dynamodb.ApproximateCreationDateTime
	}
	if r.Dynamodb.NewImage != nil {
		img, err := attributevalue.FromDynamoDBStreamsMap(r.Dynamodb.NewImage)
		if err != nil {
			return Record{}, fmt.Errorf("stream record %s: %w", out.ID, err)
		}
		out.NewImage = img
	}
	return out, nil
}

// FromLambda converts a record of Lambda's DynamoDB event.
func FromLambda(r events.DynamoDBEventRecord) (Record, error) {
	out := Record{ID: r.EventID, SequenceNumber: r.Change.SequenceNumber, At: r.Change.ApproximateCreationDateTime.Time}
	if r.Change.NewImage != nil {
		img, err := fromLambdaMap(r.Change.NewImage)
		if err != nil {
			return Record{}, fmt.Errorf("stream record %s: %w", r.EventID, err)
		}
		out.NewImage = img
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
