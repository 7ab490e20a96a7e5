package jobqueue

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/renkei-pos/renkei/shared/integrations"
)

func TestSender_Send(t *testing.T) {
	q := newQueues(t)
	var msgs []integrations.Message
	for i := range 23 {
		msgs = append(msgs, integrations.Message{TenantID: "tnt_" + strconv.Itoa(i%3), JobID: "job_" + strconv.Itoa(i)})
	}
	if err := NewSender(client, q.Jobs).Send(t.Context(), msgs); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for len(got) < 23 {
		out, err := client.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(q.Jobs), MaxNumberOfMessages: 10, WaitTimeSeconds: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			t.Fatalf("received %d of 23", len(got))
		}
		for _, m := range out.Messages {
			d, err := Decode(aws.ToString(m.Body))
			if err != nil {
				t.Fatalf("body %q: %v", aws.ToString(m.Body), err)
			}
			got[d.JobID] = d.TenantID
		}
	}
	for _, m := range msgs {
		if got[m.JobID] != m.TenantID {
			t.Errorf("%s: tenant %q, want %q", m.JobID, got[m.JobID], m.TenantID)
		}
	}
}

// fakeSender records batches and refuses entries as told.
type fakeSender struct {
	mu      sync.Mutex
	batches [][]types.SendMessageBatchRequestEntry
	refuse  func(call int, e types.SendMessageBatchRequestEntry) (refused, senderFault bool)
}

func (f *fakeSender) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	call := len(f.batches)
	f.batches = append(f.batches, in.Entries)
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		if f.refuse != nil {
			if refused, fault := f.refuse(call, e); refused {
				out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Code: aws.String("InternalError"), Message: aws.String("try again"), SenderFault: fault})
				continue
			}
		}
		out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{Id: e.Id})
	}
	return out, nil
}

func TestSender_Entries(t *testing.T) {
	f := &fakeSender{}
	msgs := []integrations.Message{
		{TenantID: "tnt_a", JobID: "j0"},
		{TenantID: "tnt_b", JobID: "j1", Delay: 1500 * time.Millisecond},
		{TenantID: "tnt_b", JobID: "j2", Delay: time.Hour},
	}
	for i := 3; i < 21; i++ {
		msgs = append(msgs, integrations.Message{TenantID: "tnt_c", JobID: "j" + strconv.Itoa(i)})
	}
	if err := NewSender(f, "url").Send(t.Context(), msgs); err != nil {
		t.Fatal(err)
	}
	if len(f.batches) != 3 || len(f.batches[0]) != 10 || len(f.batches[1]) != 10 || len(f.batches[2]) != 1 {
		t.Fatalf("batches of %d", len(f.batches))
	}
	byJob := map[string]types.SendMessageBatchRequestEntry{}
	for _, b := range f.batches {
		for _, e := range b {
			m, err := Decode(aws.ToString(e.MessageBody))
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(e.MessageGroupId) != m.TenantID {
				t.Errorf("%s: MessageGroupId %q, want its tenant %q", m.JobID, aws.ToString(e.MessageGroupId), m.TenantID)
			}
			byJob[m.JobID] = e
		}
	}
	for job, want := range map[string]int32{"j0": 0, "j1": 2, "j2": 900} {
		if got := byJob[job].DelaySeconds; got != want {
			t.Errorf("%s: DelaySeconds %d, want %d", job, got, want)
		}
	}
	if err := NewSender(f, "url").Send(t.Context(), []integrations.Message{{TenantID: "tnt_a"}}); err == nil {
		t.Error("a message without a job id was sent")
	}
}

func TestSender_RetriesPartialFailures(t *testing.T) {
	msgs := []integrations.Message{{TenantID: "a", JobID: "1"}, {TenantID: "a", JobID: "2"}, {TenantID: "b", JobID: "3"}}
	fast := func(s *Sender) *Sender { s.retry.Base, s.retry.Cap = time.Millisecond, time.Millisecond; return s }

	t.Run("refused entries are sent again", func(t *testing.T) {
		f := &fakeSender{refuse: func(call int, e types.SendMessageBatchRequestEntry) (bool, bool) {
			return call < 2 && aws.ToString(e.Id) == "1", false
		}}
		if err := fast(NewSender(f, "url")).Send(t.Context(), msgs); err != nil {
			t.Fatal(err)
		}
		if len(f.batches) != 3 || len(f.batches[1]) != 1 || len(f.batches[2]) != 1 || aws.ToString(f.batches[2][0].Id) != "1" {
			t.Fatalf("calls: %v", f.batches)
		}
	})
	t.Run("still refused: an error", func(t *testing.T) {
		f := &fakeSender{refuse: func(int, types.SendMessageBatchRequestEntry) (bool, bool) { return true, false }}
		err := fast(NewSender(f, "url")).Send(t.Context(), msgs)
		if err == nil || len(f.batches) != SendRetry.Attempts {
			t.Fatalf("err %v after %d calls", err, len(f.batches))
		}
	})
	t.Run("the sender's fault: an error at once", func(t *testing.T) {
		f := &fakeSender{refuse: func(int, types.SendMessageBatchRequestEntry) (bool, bool) { return true, true }}
		if err := fast(NewSender(f, "url")).Send(t.Context(), msgs); err == nil || len(f.batches) != 1 {
			t.Fatalf("err %v after %d calls", err, len(f.batches))
		}
	})
	t.Run("the context ends", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		f := &fakeSender{refuse: func(int, types.SendMessageBatchRequestEntry) (bool, bool) { return true, false }}
		s := NewSender(f, "url")
		s.retry.Base, s.retry.Cap = time.Hour, time.Hour
		if err := s.Send(ctx, msgs); !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v", err)
		}
	})
}

func TestDecode(t *testing.T) {
	m := integrations.Message{TenantID: "tnt_1", JobID: "job_1", Delay: time.Minute}
	if body := Encode(m); body != `{"t":"tnt_1","j":"job_1"}` {
		t.Fatalf("Encode = %s", body)
	}
	if got, err := Decode(`{"t":"tnt_1","j":"job_1"}`); err != nil || got.TenantID != "tnt_1" || got.JobID != "job_1" {
		t.Fatalf("Decode = %+v %v", got, err)
	}
	for _, bad := range []string{"", "x", `{"t":"tnt_1"}`, `{"j":"job"}`, `[1]`} {
		if _, err := Decode(bad); err == nil {
			t.Errorf("Decode(%q) accepted", bad)
		}
	}
}
