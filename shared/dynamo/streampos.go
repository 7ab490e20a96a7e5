package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The stream consumer's position, platform items (no tenant: the stream
// is the table's):
//
//   - `STREAMPOS#<streamArn>` / `<shardId>`: the sequence number of the last
//     record the local poller handled in that shard, so `make run` resumes
//     after a restart instead of replaying the stream's 24 hours (replays
//     would be harmless, every handler being idempotent, but slow); kept 2
//     days, past the stream's retention.
//   - `STREAMPOS#WATERMARK` / `WATERMARK`: the consumer's watermark, the
//     time up to which every record has been handled. It only moves
//     forward; reports answer it as asOf.
const (
	pkStreamPos     = "STREAMPOS#"
	skWatermark     = "WATERMARK"
	checkpointTTL   = 48 * time.Hour
	pkWatermarkItem = pkStreamPos + skWatermark
	// watermarkLayout has a fixed width, so the condition that keeps the
	// watermark moving forward can compare strings.
	watermarkLayout = "2006-01-02T15:04:05.000000000Z"
)

// StreamPositions keeps the stream consumer's checkpoints and watermark.
type StreamPositions struct{ t *Table }

// NewStreamPositions returns the checkpoint store.
func NewStreamPositions(t *Table) *StreamPositions { return &StreamPositions{t: t} }

// Checkpoint returns the last handled sequence number of a shard, "" when
// none was saved.
func (sp *StreamPositions) Checkpoint(ctx context.Context, streamArn, shardID string) (string, error) {
	ctx, cancel := sp.t.call(ctx)
	defer cancel()
	out, err := sp.t.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &sp.t.name, Key: key(pkStreamPos+streamArn, shardID), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return "", fmt.Errorf("read checkpoint of %s: %w", shardID, err)
	}
	seq, _ := out.Item["seq"].(*types.AttributeValueMemberS)
	if seq == nil {
		return "", nil
	}
	return seq.Value, nil
}

// SaveCheckpoint records the last handled sequence number of a shard.
func (sp *StreamPositions) SaveCheckpoint(ctx context.Context, streamArn, shardID, seq string, now time.Time) error {
	ctx, cancel := sp.t.call(ctx)
	defer cancel()
	_, err := sp.t.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &sp.t.name, Item: map[string]types.AttributeValue{
		attrPK: s(pkStreamPos + streamArn), attrSK: s(shardID), "type": s("StreamCheckpoint"), "seq": s(seq), "updatedAt": s(fmtTime(now)),
		attrTTL: &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(checkpointTTL).Unix(), 10)},
	}})
	if err != nil {
		return fmt.Errorf("save checkpoint of %s: %w", shardID, err)
	}
	return nil
}

// AdvanceWatermark moves the watermark to at, unless it is already later.
func (sp *StreamPositions) AdvanceWatermark(ctx context.Context, at time.Time) error {
	ctx, cancel := sp.t.call(ctx)
	defer cancel()
	v := at.UTC().Format(watermarkLayout)
	_, err := sp.t.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &sp.t.name, Key: key(pkWatermarkItem, skWatermark),
		UpdateExpression:          aws.String("SET #at = :at, #type = :type"),
		ConditionExpression:       aws.String("attribute_not_exists(#at) OR #at < :at"),
		ExpressionAttributeNames:  map[string]string{"#at": "at", "#type": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": s(v), ":type": s("StreamWatermark")},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("advance the stream watermark: %w", err)
	}
	return nil
}

// Watermark returns the consumer's watermark; zero before any.
func (sp *StreamPositions) Watermark(ctx context.Context) (time.Time, error) {
	ctx, cancel := sp.t.call(ctx)
	defer cancel()
	out, err := sp.t.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &sp.t.name, Key: key(pkWatermarkItem, skWatermark)})
	if err != nil {
		return time.Time{}, fmt.Errorf("read the stream watermark: %w", err)
	}
	at, _ := out.Item["at"].(*types.AttributeValueMemberS)
	if at == nil {
		return time.Time{}, nil
	}
	return time.Parse(watermarkLayout, at.Value)
}

// AsOf is the stream consumer's watermark: every movement before it is in
// the aggregates.
func (st *AggregateStore) AsOf(ctx context.Context) (time.Time, error) {
	return NewStreamPositions(st.t).Watermark(ctx)
}

// Own reports whether a stream image is one of the consumer's own items (a
// checkpoint or the watermark).
func (sp *StreamPositions) Own(image map[string]types.AttributeValue) bool {
	pk, _ := image[attrPK].(*types.AttributeValueMemberS)
	return pk != nil && strings.HasPrefix(pk.Value, pkStreamPos)
}
