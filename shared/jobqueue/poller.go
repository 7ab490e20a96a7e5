package jobqueue

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/renkei-pos/renkei/shared/integrations"
)

// PollerAPI is the SQS calls Poller makes (*sqs.Client implements them).
type PollerAPI interface {
	VisibilityChanger
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

// Poller defaults.
const (
	DefaultBuffer      = 500
	DefaultPerGroup    = 2
	DefaultConcurrency = 8
	DefaultLease       = 30 * time.Second
	DefaultTimeout     = 2 * time.Minute
)

// Poller is the local worker transport: it receives job messages as
// Lambda's event source mapping does (batches of ≤ 10, acked ones deleted,
// failed ones postponed by their delay and never deleted, so redelivery and
// the DLQ come from the queue's redrive) and hands them to the handler the
// way an SQS fair queue would: it keeps up to Buffer messages received
// (renewing their visibility while it holds them), groups them by tenant
// (MessageGroupId, or the body's "t": goaws does not return the group) and
// starts them round-robin across groups, at most PerGroup of a group and
// Concurrency in all at once. One tenant's backlog or slow endpoint thus
// holds at most PerGroup of the workers, and another tenant's message
// starts as soon as it is received and a worker is free, not after the
// backlog.
//
// goaws v0.5.4 always reports ApproximateReceiveCount 1 (it never counts
// receives), so the poller counts the receives it sees itself and passes
// the larger figure.
type Poller struct {
	Client   PollerAPI
	QueueURL string
	Handler  Handler
	Logger   *slog.Logger
	// Buffer, PerGroup and Concurrency: see above (0: the defaults).
	Buffer, PerGroup, Concurrency int
	// Lease is the visibility timeout of a held message, renewed at its
	// half (0: DefaultLease).
	Lease time.Duration
	// Timeout bounds one handler call (0: DefaultTimeout), as the
	// function's timeout does in Lambda.
	Timeout time.Duration

	mu       sync.Mutex
	entries  map[string]*entry // by message id: received and not yet settled
	groups   map[string]*group
	ring     []string // groups with pending messages, in round-robin order
	next     int      // ring position of the next turn
	running  int
	counts   map[string]receives
	stopping bool

	wake       chan struct{} // a slot in the buffer freed up
	stopRecv   context.CancelFunc
	stopWork   context.CancelFunc
	workCtx    context.Context
	recvDone   chan struct{}
	renewDone  chan struct{}
	stopRenew  chan struct{}
	work       sync.WaitGroup
	startOnce  sync.Once
	stopOnce   sync.Once
	started    bool
	settleWait time.Duration
	// fifo groups every message in one (tests: the unfair baseline).
	fifo bool
}

type entry struct {
	id, receipt, group string
	msg                integrations.Message
	count              int
	visibleAt          time.Time // when SQS shows it again unless renewed
	done               bool      // handled: being settled
}

type group struct {
	pending []*entry
	running int
}

type receives struct {
	n    int
	seen time.Time
}

// Start begins polling; the poller runs until Stop (ctx is not kept).
func (p *Poller) Start(ctx context.Context) error {
	if p.Client == nil || p.QueueURL == "" || p.Handler == nil {
		return errors.New("jobqueue: a poller needs a client, a queue URL and a handler")
	}
	p.startOnce.Do(func() {
		p.setDefaults()
		base := context.WithoutCancel(ctx)
		var recvCtx context.Context
		recvCtx, p.stopRecv = context.WithCancel(base)
		p.workCtx, p.stopWork = context.WithCancel(base)
		p.entries, p.groups, p.counts = map[string]*entry{}, map[string]*group{}, map[string]receives{}
		p.wake = make(chan struct{}, 1)
		p.recvDone, p.renewDone, p.stopRenew = make(chan struct{}), make(chan struct{}), make(chan struct{})
		p.started = true
		go p.receive(recvCtx)
		go p.renew()
	})
	return nil
}

func (p *Poller) setDefaults() {
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.Buffer <= 0 {
		p.Buffer = DefaultBuffer
	}
	if p.PerGroup <= 0 {
		p.PerGroup = DefaultPerGroup
	}
	if p.Concurrency <= 0 {
		p.Concurrency = DefaultConcurrency
	}
	if p.Lease <= 0 {
		p.Lease = DefaultLease
	}
	if p.Lease < 2*time.Second {
		p.Lease = 2 * time.Second // renewed at its half, in whole seconds
	}
	if p.Timeout <= 0 {
		p.Timeout = DefaultTimeout
	}
	p.settleWait = 10 * time.Second
}

// Stop stops receiving, makes the messages received but not started
// visible again (for the next poller), and waits for the handlers in
// flight; when ctx ends first, their context is cancelled and Stop waits
// for them to return.
func (p *Poller) Stop(ctx context.Context) error {
	if !p.started {
		return nil
	}
	p.stopOnce.Do(func() {
		p.stopRecv()
		<-p.recvDone
		p.mu.Lock()
		p.stopping = true
		var unstarted []*entry
		for _, g := range p.groups {
			unstarted = append(unstarted, g.pending...)
			g.pending = nil
		}
		for _, e := range unstarted {
			delete(p.entries, e.id)
		}
		p.ring, p.next = nil, 0
		p.mu.Unlock()
		for _, e := range unstarted {
			p.settle(e, Outcome{})
		}
		done := make(chan struct{})
		go func() { p.work.Wait(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			p.stopWork()
			<-done
		}
		p.stopWork()
		close(p.stopRenew)
		<-p.renewDone
	})
	return nil
}

// receive keeps the buffer filled until stopped.
func (p *Poller) receive(ctx context.Context) {
	defer close(p.recvDone)
	for {
		p.mu.Lock()
		room := p.Buffer - len(p.entries)
		p.mu.Unlock()
		if room <= 0 {
			select {
			case <-p.wake:
				continue
			case <-ctx.Done():
				return
			}
		}
		out, err := p.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:            aws.String(p.QueueURL),
			MaxNumberOfMessages: int32(min(room, MaxBatch)),
			WaitTimeSeconds:     1, // long poll, short enough to stop fast
			VisibilityTimeout:   seconds(p.Lease, MaxVisibility),
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{
				types.MessageSystemAttributeNameApproximateReceiveCount, types.MessageSystemAttributeNameMessageGroupId,
			},
		})
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			p.Logger.Warn("job queue receive failed", slog.String("error", err.Error()))
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
				return
			}
			continue
		}
		p.add(out.Messages)
	}
}

// add buffers received messages and starts what may start.
func (p *Poller) add(msgs []types.Message) {
	now := time.Now()
	var drop []string
	p.mu.Lock()
	for _, m := range msgs {
		id, receipt := aws.ToString(m.MessageId), aws.ToString(m.ReceiptHandle)
		r := p.counts[id]
		r.n++
		r.seen = now
		p.counts[id] = r
		count := max(receiveCount(m.Attributes), r.n)
		if e, ok := p.entries[id]; ok && !e.done {
			// Shown again while held (a renewal came too late): keep one
			// copy, settled with the newest receipt handle. (Once its
			// handler is done, a new receive is a new delivery.)
			e.receipt, e.count, e.visibleAt = receipt, count, now.Add(p.Lease)
			continue
		}
		msg, err := Decode(aws.ToString(m.Body))
		if err != nil {
			p.Logger.Error("job message dropped", slog.String("messageId", id), slog.String("error", err.Error()))
			drop = append(drop, receipt)
			continue
		}
		g := m.Attributes[string(types.MessageSystemAttributeNameMessageGroupId)]
		if g == "" {
			g = msg.TenantID
		}
		if p.fifo {
			g = ""
		}
		e := &entry{id: id, receipt: receipt, group: g, msg: msg, count: count, visibleAt: now.Add(p.Lease)}
		p.entries[id] = e
		grp := p.groups[g]
		if grp == nil {
			grp = &group{}
			p.groups[g] = grp
		}
		grp.pending = append(grp.pending, e)
		if len(grp.pending) == 1 {
			p.ring = append(p.ring, g)
		}
	}
	p.dispatchLocked()
	p.mu.Unlock()
	for _, receipt := range drop {
		p.delete(receipt)
	}
}

// dispatchLocked starts messages round-robin across groups while workers
// are free.
func (p *Poller) dispatchLocked() {
	for !p.stopping && p.running < p.Concurrency {
		e := p.nextLocked()
		if e == nil {
			return
		}
		p.groups[e.group].running++
		p.running++
		p.work.Add(1)
		go p.run(e, e.count)
	}
}

// nextLocked takes the oldest pending message of the next group in turn
// that is below its in-flight cap.
func (p *Poller) nextLocked() *entry {
	n := len(p.ring)
	for i := range n {
		idx := (p.next + i) % n
		g := p.groups[p.ring[idx]]
		if g.running >= p.PerGroup {
			continue
		}
		e := g.pending[0]
		g.pending[0] = nil
		g.pending = g.pending[1:]
		if len(g.pending) == 0 {
			p.ring = append(p.ring[:idx], p.ring[idx+1:]...)
			p.next = idx // now the group after it
		} else {
			p.next = idx + 1
		}
		if len(p.ring) == 0 {
			p.next = 0
		} else {
			p.next %= len(p.ring)
		}
		return e
	}
	return nil
}

// run handles one message, settles it and frees its slot.
func (p *Poller) run(e *entry, receiveCount int) {
	defer p.work.Done()
	ctx, cancel := context.WithTimeout(p.workCtx, p.Timeout)
	out := call(ctx, p.Handler, e.msg, receiveCount, e.id, p.Logger)
	cancel()
	p.mu.Lock()
	e.done = true
	p.mu.Unlock()
	p.settle(e, out)
	p.mu.Lock()
	if p.entries[e.id] == e {
		delete(p.entries, e.id)
	}
	g := p.groups[e.group]
	g.running--
	p.running--
	if g.running == 0 && len(g.pending) == 0 {
		delete(p.groups, e.group)
	}
	p.dispatchLocked()
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// settle deletes an acked message or postpones a failed one.
func (p *Poller) settle(e *entry, out Outcome) {
	p.mu.Lock()
	receipt := e.receipt
	if out.Ack {
		delete(p.counts, e.id)
	}
	p.mu.Unlock()
	if out.Ack {
		p.delete(receipt)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.settleWait)
	defer cancel()
	if err := postpone(ctx, p.Client, p.QueueURL, receipt, out.Delay); err != nil {
		p.Logger.Warn("job message not postponed; it comes again after its lease", slog.String("messageId", e.id), slog.String("error", err.Error()))
	}
}

func (p *Poller) delete(receipt string) {
	ctx, cancel := context.WithTimeout(context.Background(), p.settleWait)
	defer cancel()
	if _, err := p.Client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(p.QueueURL), ReceiptHandle: aws.String(receipt)}); err != nil {
		p.Logger.Warn("job message not deleted; it comes again", slog.String("error", err.Error()))
	}
}

// renew extends the visibility of held messages before it runs out, and
// forgets the receive counts of messages not seen for an hour (settled
// elsewhere, or dead-lettered).
func (p *Poller) renew() {
	defer close(p.renewDone)
	t := time.NewTicker(p.Lease / 4)
	defer t.Stop()
	lastPrune := time.Now()
	for {
		select {
		case <-p.stopRenew:
			return
		case <-t.C:
		}
		now := time.Now()
		type due struct{ id, receipt string }
		var list []due
		p.mu.Lock()
		for _, e := range p.entries {
			if e.visibleAt.Sub(now) < p.Lease/2 {
				list = append(list, due{e.id, e.receipt})
			}
		}
		if now.Sub(lastPrune) > time.Minute {
			lastPrune = now
			for id, r := range p.counts {
				if _, held := p.entries[id]; !held && now.Sub(r.seen) > time.Hour {
					delete(p.counts, id)
				}
			}
		}
		p.mu.Unlock()
		for _, d := range list {
			ctx, cancel := context.WithTimeout(context.Background(), p.settleWait)
			err := postpone(ctx, p.Client, p.QueueURL, d.receipt, p.Lease)
			cancel()
			if err != nil {
				// Settled meanwhile, or shown again already: a receive
				// brings it back with a new handle.
				continue
			}
			p.mu.Lock()
			if e, ok := p.entries[d.id]; ok && e.receipt == d.receipt {
				e.visibleAt = now.Add(p.Lease)
			}
			p.mu.Unlock()
		}
	}
}
