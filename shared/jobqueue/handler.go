package jobqueue

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/renkei-pos/renkei/shared/integrations"
)

// Outcome is what a handler made of a message: Ack deletes it; otherwise it
// comes again after Delay (its visibility timeout is set to Delay, rounded
// up to seconds, at most 12 h; 0 shows it again at once). It is the
// worker's own type, so (*integrations.Worker).Handle is a Handler.
type Outcome = integrations.Outcome

// Handler handles one job message; receiveCount is how often the queue has
// delivered it (1 the first time).
type Handler func(ctx context.Context, m integrations.Message, receiveCount int) Outcome

// PanicDelay is when a message whose handler panicked comes again.
const PanicDelay = 30 * time.Second

// VisibilityChanger postpones a received message (*sqs.Client implements it).
type VisibilityChanger interface {
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

// call runs h, turning a panic into a failure of this message alone.
func call(ctx context.Context, h Handler, m integrations.Message, receiveCount int, messageID string, logger *slog.Logger) (out Outcome) {
	defer func() {
		if r := recover(); r != nil {
			logger.Error("job handler panicked; the message comes again",
				slog.String("messageId", messageID), slog.String("tenantId", m.TenantID), slog.String("jobId", m.JobID),
				slog.String("panic", fmt.Sprint(r)), slog.String("stack", string(debug.Stack())))
			out = Outcome{Delay: PanicDelay}
		}
	}()
	return h(ctx, m, receiveCount)
}

// postpone sets a failed message's visibility timeout to delay.
func postpone(ctx context.Context, vis VisibilityChanger, queueURL, receipt string, delay time.Duration) error {
	_, err := vis.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl:          aws.String(queueURL),
		ReceiptHandle:     aws.String(receipt),
		VisibilityTimeout: seconds(delay, MaxVisibility),
	})
	return err
}

// Lambda returns the worker function's handler for the SQS event source
// mapping (FunctionResponseTypes: ReportBatchItemFailures). It runs up to
// concurrency records at once; a record whose handler does not ack has its
// visibility changed to the handler's delay and is reported in
// BatchItemFailures, so SQS delivers it again then (and dead-letters it
// after the redrive policy's receives); the acked ones Lambda deletes. A
// body that is no job message is logged and acked: it would fail forever.
func Lambda(h Handler, vis VisibilityChanger, concurrency int, logger *slog.Logger) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	if concurrency < 1 {
		concurrency = 1
	}
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		failed := make([]bool, len(ev.Records))
		sem := make(chan struct{}, concurrency)
		var wg sync.WaitGroup
		for i, r := range ev.Records {
			m, err := Decode(r.Body)
			if err != nil {
				logger.Error("job message dropped", slog.String("messageId", r.MessageId), slog.String("error", err.Error()))
				continue
			}
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				out := call(ctx, h, m, receiveCount(r.Attributes), r.MessageId, logger)
				if out.Ack {
					return
				}
				failed[i] = true
				if err := postpone(ctx, vis, queueURLFromARN(r.EventSourceARN), r.ReceiptHandle, out.Delay); err != nil {
					// It still comes again, after the queue's visibility timeout.
					logger.Warn("job message not postponed", slog.String("messageId", r.MessageId), slog.String("error", err.Error()))
				}
			}()
		}
		wg.Wait()
		var resp events.SQSEventResponse
		for i, r := range ev.Records {
			if failed[i] {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
			}
		}
		return resp, nil
	}
}

// queueURLFromARN turns arn:<partition>:sqs:<region>:<account>:<name> (a
// record's eventSourceARN) into the queue's URL.
func queueURLFromARN(arn string) string {
	p := strings.Split(arn, ":")
	if len(p) != 6 {
		return arn
	}
	domain := "amazonaws.com"
	if p[1] == "aws-cn" {
		domain = "amazonaws.com.cn"
	}
	return "https://sqs." + p[3] + "." + domain + "/" + p[4] + "/" + p[5]
}

// The worker's Handle has a Handler's signature.
var _ func(*integrations.Worker, context.Context, integrations.Message, int) Outcome = (*integrations.Worker).Handle
