package ddbstream

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Watermark records how far the consumer has handled the stream. The
// consumer's own writes (checkpoints, the watermark) are on the stream too:
// Own recognizes them, so that handling them writes nothing more and an
// idle stream stays idle.
type Watermark interface {
	AdvanceWatermark(ctx context.Context, at time.Time) error
	Own(image map[string]types.AttributeValue) bool
}

// hasActivity reports whether batch holds a record other than the consumer's own.
func hasActivity(wm Watermark, batch []Record) bool {
	for _, r := range batch {
		if r.NewImage == nil || !wm.Own(r.NewImage) {
			return true
		}
	}
	return false
}

// Lambda returns the function Lambda's event source mapping invokes with a
// batch of one shard (FunctionResponseTypes: ReportBatchItemFailures). A
// record that cannot even be decoded fails with every later one. When the
// whole batch succeeds, the watermark moves to its newest record's time:
// Lambda keeps each shard's iterator age near zero, so this is the time the
// figures are complete up to within the other shards' lag (seconds).
func Lambda(h Handler, wm Watermark, logger *slog.Logger) func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		batch := make([]Record, 0, len(ev.Records))
		var resp events.DynamoDBEventResponse
		for i, raw := range ev.Records {
			r, err := FromLambda(raw)
			if err != nil {
				logger.Error("undecodable stream record", slog.String("record", raw.EventID), slog.String("error", err.Error()))
				for _, rest := range ev.Records[i:] {
					resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: rest.Change.SequenceNumber})
				}
				break
			}
			batch = append(batch, r)
		}
		for _, seq := range h.HandleRecords(ctx, batch) {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: seq})
		}
		if len(resp.BatchItemFailures) == 0 && wm != nil && hasActivity(wm, batch) {
			if err := wm.AdvanceWatermark(ctx, batch[len(batch)-1].At); err != nil {
				logger.Warn("stream watermark not advanced", slog.String("error", err.Error()))
			}
		}
		return resp, nil
	}
}

// fromLambdaMap converts an image of Lambda's event to the SDK's attribute
// values (the shapes the table adapter decodes).
func fromLambdaMap(m map[string]events.DynamoDBAttributeValue) (map[string]types.AttributeValue, error) {
	out := make(map[string]types.AttributeValue, len(m))
	for k, v := range m {
		av, err := fromLambda(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

func fromLambda(v events.DynamoDBAttributeValue) (types.AttributeValue, error) {
	switch v.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}, nil
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: v.Number()}, nil
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: v.Binary()}, nil
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}, nil
	case events.DataTypeNull:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: v.StringSet()}, nil
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: v.NumberSet()}, nil
	case events.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: v.BinarySet()}, nil
	case events.DataTypeList:
		var out []types.AttributeValue
		for _, e := range v.List() {
			av, err := fromLambda(e)
			if err != nil {
				return nil, err
			}
			out = append(out, av)
		}
		return &types.AttributeValueMemberL{Value: out}, nil
	case events.DataTypeMap:
		m, err := fromLambdaMap(v.Map())
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	}
	return nil, fmt.Errorf("unknown attribute type %v", v.DataType())
}
