package jobqueue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/renkei-pos/renkei/shared/backoff"
	"github.com/renkei-pos/renkei/shared/integrations"
)

// SenderAPI is the SQS call Sender makes (*sqs.Client implements it).
type SenderAPI interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// SendRetry is the policy for the entries of a batch that SQS did not take
// (throttling, an internal error): about two seconds at worst.
var SendRetry = backoff.Policy{Base: 50 * time.Millisecond, Cap: time.Second, Attempts: 5}

// Sender puts job messages on the jobs queue (integrations.Queue).
type Sender struct {
	client   SenderAPI
	queueURL string
	retry    backoff.Policy
}

var _ integrations.Queue = (*Sender)(nil)

// NewSender sends to the queue at queueURL.
func NewSender(client SenderAPI, queueURL string) *Sender {
	return &Sender{client: client, queueURL: queueURL, retry: SendRetry}
}

// Send sends msgs in batches of 10, each with MessageGroupId = its tenant
// (SQS fair queues keep one tenant's backlog from delaying the others';
// goaws takes the attribute and ignores it) and DelaySeconds = its Delay
// rounded up (≤ 15 min; goaws ignores a batch entry's delay — locally the
// worker finds such a job not yet due and postpones its message instead).
// Entries SQS fails are sent again with backoff; Send fails when some are
// still refused, or at once when SQS blames the entry itself.
func (s *Sender) Send(ctx context.Context, msgs []integrations.Message) error {
	for start := 0; start < len(msgs); start += MaxBatch {
		if err := s.sendBatch(ctx, msgs[start:min(start+MaxBatch, len(msgs))]); err != nil {
			return err
		}
	}
	return nil
}

func (s *Sender) sendBatch(ctx context.Context, msgs []integrations.Message) error {
	pending := make(map[string]types.SendMessageBatchRequestEntry, len(msgs))
	for i, m := range msgs {
		if m.TenantID == "" || m.JobID == "" {
			return errors.New("jobqueue: a job message needs its tenant and job id")
		}
		id := strconv.Itoa(i)
		pending[id] = types.SendMessageBatchRequestEntry{
			Id:             aws.String(id),
			MessageBody:    aws.String(Encode(m)),
			MessageGroupId: aws.String(m.TenantID),
			DelaySeconds:   seconds(m.Delay, MaxDelay),
		}
	}
	return s.retry.Retry(ctx, func(int) (bool, error) {
		entries := make([]types.SendMessageBatchRequestEntry, 0, len(pending))
		for _, e := range pending {
			entries = append(entries, e)
		}
		out, err := s.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(s.queueURL), Entries: entries})
		if err != nil {
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
			return true, fmt.Errorf("jobqueue: send %d job messages: %w", len(entries), err)
		}
		for _, ok := range out.Successful {
			delete(pending, aws.ToString(ok.Id))
		}
		if len(out.Failed) == 0 {
			return false, nil
		}
		f := out.Failed[0]
		err = fmt.Errorf("jobqueue: SQS refused %d of %d job messages: %s %s", len(out.Failed), len(entries), aws.ToString(f.Code), aws.ToString(f.Message))
		for _, f := range out.Failed {
			if f.SenderFault {
				return false, err // the same entry would be refused again
			}
		}
		return len(pending) > 0, err
	})
}
