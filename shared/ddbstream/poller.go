package ddbstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// Positions keeps the poller's place: the last handled sequence number of
// each shard (so a restart resumes instead of replaying the stream) and
// the watermark. Checkpoints are saved after batches with records other
// than the consumer's own, so an idle stream stays idle (a restart may
// replay a few of the consumer's own writes, which handlers ignore).
type Positions interface {
	Checkpoint(ctx context.Context, streamArn, shardID string) (string, error)
	SaveCheckpoint(ctx context.Context, streamArn, shardID, seq string, now time.Time) error
	Watermark
}

// Poller reads a stream through the DynamoDB Streams API, as Lambda's
// event source mapping does in production: every shard, a child after its
// parent, batches in order, partial batch failures delivered again.
type Poller struct {
	Streams   *dynamodbstreams.Client
	StreamARN string
	Handler   Handler
	Positions Positions
	Logger    *slog.Logger
	// Interval is the pause between passes over the stream (default 200 ms).
	Interval time.Duration
	// BatchSize is the records of one GetRecords (default 1000, the most
	// the API gives).
	BatchSize int32
	Now       func() time.Time

	shards map[string]*shardState
	// activeBefore: the previous pass handled records other than the
	// consumer's own (see Run).
	activeBefore bool
}

type shardState struct {
	parent   string
	iterator *string
	lastSeq  string // last handled sequence number
	loaded   bool   // lastSeq was read from Positions
	closed   bool   // read to its end
}

// maxPagesPerPass bounds how long one shard holds a pass.
const maxPagesPerPass = 50

// Run polls until ctx ends. After a pass in which every shard was read to
// its present end and every record handled, the watermark moves to the
// pass's start: every record written before it has been handled. It is
// written after a pass that handled activity and after the pass following
// it (whose start is surely later than that activity), then not while the
// stream stays idle: its own write must not keep it busy.
func (p *Poller) Run(ctx context.Context) error {
	if p.Interval <= 0 {
		p.Interval = 200 * time.Millisecond
	}
	if p.BatchSize <= 0 {
		p.BatchSize = 1000
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.shards == nil {
		p.shards = map[string]*shardState{}
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		start := p.Now()
		complete, active, err := p.pass(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			p.Logger.Warn("stream poll", slog.String("error", err.Error()))
		case complete && (active || p.activeBefore):
			if err := p.Positions.AdvanceWatermark(ctx, start); err != nil && ctx.Err() == nil {
				p.Logger.Warn("stream watermark not advanced", slog.String("error", err.Error()))
			}
		}
		p.activeBefore = active
		t.Reset(p.Interval)
	}
}

// pass reads every shard once to its present end (or maxPagesPerPass
// pages). complete is false when a record failed or a shard has more;
// active is true when it handled records other than the consumer's own.
func (p *Poller) pass(ctx context.Context) (complete, active bool, err error) {
	if p.shards == nil {
		p.shards = map[string]*shardState{}
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if err := p.describe(ctx); err != nil {
		return false, false, err
	}
	complete = true
	ids := make([]string, 0, len(p.shards))
	for id := range p.shards {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		sh := p.shards[id]
		if sh.closed {
			continue
		}
		if parent, ok := p.shards[sh.parent]; ok && !parent.closed {
			complete = false // read after its parent, in a later pass
			continue
		}
		done, busy, err := p.readShard(ctx, id, sh)
		if err != nil {
			return false, false, fmt.Errorf("shard %s: %w", id, err)
		}
		complete, active = complete && done, active || busy
	}
	return complete, active, nil
}

func (p *Poller) describe(ctx context.Context) error {
	for start := (*string)(nil); ; {
		out, err := p.Streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: &p.StreamARN, ExclusiveStartShardId: start})
		if err != nil {
			return fmt.Errorf("describe stream: %w", err)
		}
		for _, s := range out.StreamDescription.Shards {
			id := deref(s.ShardId)
			if _, ok := p.shards[id]; !ok {
				p.shards[id] = &shardState{parent: deref(s.ParentShardId)}
			}
		}
		if start = out.StreamDescription.LastEvaluatedShardId; start == nil {
			return nil
		}
	}
}

// readShard handles the shard's records up to its present end; done is
// true when it got there with every record handled, active when some
// record was not the consumer's own.
func (p *Poller) readShard(ctx context.Context, id string, sh *shardState) (done, active bool, err error) {
	if !sh.loaded {
		if sh.lastSeq, err = p.Positions.Checkpoint(ctx, p.StreamARN, id); err != nil {
			return false, active, err
		}
		sh.loaded = true
	}
	for page := 0; page < maxPagesPerPass; page++ {
		if sh.iterator == nil {
			if err := p.iterator(ctx, id, sh); err != nil {
				return false, active, err
			}
			if sh.closed {
				return true, active, nil
			}
		}
		out, err := p.Streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: sh.iterator, Limit: &p.BatchSize})
		var expired *streamtypes.ExpiredIteratorException
		if errors.As(err, &expired) {
			sh.iterator = nil
			continue
		}
		if err != nil {
			return false, active, fmt.Errorf("get records: %w", err)
		}
		batch := make([]Record, 0, len(out.Records))
		for _, raw := range out.Records {
			r, err := FromStreams(id, raw)
			if err != nil {
				return false, active, err
			}
			batch = append(batch, r)
		}
		if len(batch) > 0 {
			failed := p.Handler.HandleRecords(ctx, batch)
			handled := batch
			if len(failed) > 0 {
				first := slices.IndexFunc(batch, func(r Record) bool { return slices.Contains(failed, r.SequenceNumber) })
				handled = batch[:max(first, 0)]
			}
			busy := hasActivity(p.Positions, handled)
			active = active || busy
			if len(handled) > 0 {
				sh.lastSeq = handled[len(handled)-1].SequenceNumber
			}
			if busy {
				if err := p.Positions.SaveCheckpoint(ctx, p.StreamARN, id, sh.lastSeq, p.Now()); err != nil {
					return false, active, err
				}
			}
			if len(failed) > 0 {
				// Resume after the last handled record: the failed ones
				// come again in the next pass.
				sh.iterator = nil
				return false, active, nil
			}
		}
		sh.iterator = out.NextShardIterator
		if sh.iterator == nil {
			sh.closed = true
			return true, active, nil
		}
		if len(out.Records) == 0 {
			return true, active, nil
		}
	}
	return false, active, nil
}

// iterator positions the shard after its last handled record, or at its
// oldest record when none was handled (or that record was trimmed away).
func (p *Poller) iterator(ctx context.Context, id string, sh *shardState) error {
	in := &dynamodbstreams.GetShardIteratorInput{StreamArn: &p.StreamARN, ShardId: &id, ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon}
	if sh.lastSeq != "" {
		in.ShardIteratorType, in.SequenceNumber = streamtypes.ShardIteratorTypeAfterSequenceNumber, &sh.lastSeq
	}
	out, err := p.Streams.GetShardIterator(ctx, in)
	var trimmed *streamtypes.TrimmedDataAccessException
	if errors.As(err, &trimmed) && sh.lastSeq != "" {
		in.ShardIteratorType, in.SequenceNumber = streamtypes.ShardIteratorTypeTrimHorizon, nil
		out, err = p.Streams.GetShardIterator(ctx, in)
	}
	if err != nil {
		return fmt.Errorf("get shard iterator: %w", err)
	}
	sh.iterator = out.ShardIterator
	if sh.iterator == nil {
		sh.closed = true
	}
	return nil
}
