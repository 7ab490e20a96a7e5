package ddbstream

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

type fakeWatermark struct{ at []time.Time }

func (f *fakeWatermark) AdvanceWatermark(_ context.Context, at time.Time) error {
	f.at = append(f.at, at)
	return nil
}

func (f *fakeWatermark) Own(image map[string]types.AttributeValue) bool {
	pk, _ := image["pk"].(*types.AttributeValueMemberS)
	return pk != nil && pk.Value == "OWN"
}

// lambdaEvent is a DynamoDB event as Lambda delivers it (JSON).
const lambdaEvent = `{"Records":[
 {"eventID":"e1","eventName":"INSERT","eventSourceARN":"arn:aws:dynamodb:ap-northeast-1:1:table/renkei/stream/x",
  "dynamodb":{"ApproximateCreationDateTime":1764460800,"SequenceNumber":"100","StreamViewType":"NEW_IMAGE",
   "NewImage":{"pk":{"S":"T#a"},"n":{"N":"42"},"ok":{"BOOL":true},"l":{"L":[{"S":"x"},{"M":{"k":{"N":"1"}}}]},"nul":{"NULL":true},"ss":{"SS":["a","b"]}}}},
 {"eventID":"e2","eventName":"MODIFY","dynamodb":{"ApproximateCreationDateTime":1764460801,"SequenceNumber":"101","NewImage":{"pk":{"S":"T#b"}}}},
 {"eventID":"e3","eventName":"REMOVE","dynamodb":{"ApproximateCreationDateTime":1764460802,"SequenceNumber":"102"}}
]}`

func TestLambda(t *testing.T) {
	var ev events.DynamoDBEvent
	if err := json.Unmarshal([]byte(lambdaEvent), &ev); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	var got []Record
	h := HandlerFunc(func(_ context.Context, batch []Record) []string {
		got = batch
		return nil
	})
	wm := &fakeWatermark{}
	resp, err := Lambda(h, wm, logger)(t.Context(), ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("%+v %v", resp, err)
	}
	if len(got) != 3 || got[0].SequenceNumber != "100" || got[2].NewImage != nil || !got[1].At.Equal(time.Unix(1764460801, 0)) {
		t.Fatalf("records %+v", got)
	}
	img := got[0].NewImage
	l := img["l"].(*types.AttributeValueMemberL).Value
	if img["n"].(*types.AttributeValueMemberN).Value != "42" || !img["ok"].(*types.AttributeValueMemberBOOL).Value ||
		l[1].(*types.AttributeValueMemberM).Value["k"].(*types.AttributeValueMemberN).Value != "1" ||
		!slices.Equal(img["ss"].(*types.AttributeValueMemberSS).Value, []string{"a", "b"}) {
		t.Fatalf("image %+v", img)
	}
	if len(wm.at) != 1 || !wm.at[0].Equal(time.Unix(1764460802, 0)) {
		t.Fatalf("watermark %v: the batch's newest record", wm.at)
	}

	t.Run("failures are reported and hold the watermark", func(t *testing.T) {
		wm := &fakeWatermark{}
		h := EachRecord(func(_ context.Context, r Record) error {
			if r.SequenceNumber == "101" {
				return io.ErrUnexpectedEOF
			}
			return nil
		}, nil)
		resp, _ := Lambda(h, wm, logger)(t.Context(), ev)
		var ids []string
		for _, f := range resp.BatchItemFailures {
			ids = append(ids, f.ItemIdentifier)
		}
		if !slices.Equal(ids, []string{"101", "102"}) || len(wm.at) != 0 {
			t.Fatalf("failures %v, watermark %v", ids, wm.at)
		}
	})
	t.Run("a batch of the consumer's own writes moves nothing", func(t *testing.T) {
		wm := &fakeWatermark{}
		own := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{{EventID: "o", Change: events.DynamoDBStreamRecord{SequenceNumber: "7",
			NewImage: map[string]events.DynamoDBAttributeValue{"pk": events.NewStringAttribute("OWN")}}}}}
		if _, err := Lambda(h, wm, logger)(t.Context(), own); err != nil || len(wm.at) != 0 {
			t.Fatalf("%v %v", wm.at, err)
		}
	})
	t.Run("fanout reports each failure once", func(t *testing.T) {
		fail := HandlerFunc(func(context.Context, []Record) []string { return []string{"101", "102"} })
		if got := Fanout(fail, fail, h).HandleRecords(t.Context(), nil); !slices.Equal(got, []string{"101", "102"}) {
			t.Fatalf("%v", got)
		}
	})
}
