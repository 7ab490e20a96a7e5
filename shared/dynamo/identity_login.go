package dynamo

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// Log-in counters are platform items, one per limit and window:
// LOGINFAIL#client#<addr>, LOGINFAIL#pair#<email>#<addr> and
// LOGINFAIL#email#<email>, sort key the window's start (unix seconds),
// attributes count, notBefore (email only, unix ms) and ttl (two windows).
type loginCounterItem struct {
	Count     int   `dynamodbav:"count"`
	NotBefore int64 `dynamodbav:"notBefore"`
}

// loginCounters are the keys and limits of one attempt.
type loginCounters struct {
	table              string
	a                  identity.LoginAttempt
	p                  identity.LoginPolicy
	client, pair, mail map[string]types.AttributeValue // client and pair are nil without an address
	ttl                string
}

func newLoginCounters(table string, a identity.LoginAttempt, p identity.LoginPolicy) loginCounters {
	start := p.WindowStart(a.At)
	sk := strconv.FormatInt(start.Unix(), 10)
	c := loginCounters{table: table, a: a, p: p, mail: key(pkLoginFail+"email#"+a.Email, sk),
		ttl: strconv.FormatInt(start.Add(2*p.Window).Unix(), 10)}
	if a.ClientAddr != "" {
		c.client = key(pkLoginFail+"client#"+a.ClientAddr, sk)
		c.pair = key(pkLoginFail+"pair#"+a.Email+"#"+a.ClientAddr, sk)
	}
	return c
}

// below adds one to a counter that is under limit.
func (c loginCounters) below(k map[string]types.AttributeValue, limit int) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName: &c.table, Key: k,
		UpdateExpression:                    aws.String("ADD #c :one SET #ttl = :ttl"),
		ConditionExpression:                 aws.String("attribute_not_exists(#c) OR #c < :max"),
		ExpressionAttributeNames:            map[string]string{"#c": "count", "#ttl": attrTTL},
		ExpressionAttributeValues:           map[string]types.AttributeValue{":one": n(1), ":max": n(int64(limit)), ":ttl": s(c.ttl)},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}
}

// nextDelayed takes the email's next delayed attempt: it moves the count
// from old.Count on by one and closes the email until the attempt's delay
// has passed. Only one of several attempts seeing the same count gets it.
func (c loginCounters) nextDelayed(old loginCounterItem) types.TransactWriteItem {
	next := old.Count + 1
	notBefore := c.a.At.Add(c.p.EmailDelay(next - c.p.FreePerEmail))
	return types.TransactWriteItem{Update: &types.Update{
		TableName: &c.table, Key: c.mail,
		UpdateExpression:                    aws.String("SET #c = :next, notBefore = :nb, #ttl = :ttl"),
		ConditionExpression:                 aws.String("#c = :old"),
		ExpressionAttributeNames:            map[string]string{"#c": "count", "#ttl": attrTTL},
		ExpressionAttributeValues:           map[string]types.AttributeValue{":next": n(int64(next)), ":old": n(int64(old.Count)), ":nb": n(notBefore.UnixMilli()), ":ttl": s(c.ttl)},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}
}

// actions is the counting transaction: the address and pair limits, then
// the email's free attempts (old == nil) or its next delayed one.
func (c loginCounters) actions(old *loginCounterItem) []types.TransactWriteItem {
	var out []types.TransactWriteItem
	if c.client != nil {
		out = append(out, c.below(c.client, c.p.MaxPerClient), c.below(c.pair, c.p.MaxPerPair))
	}
	if old == nil {
		return append(out, c.below(c.mail, c.p.FreePerEmail))
	}
	return append(out, c.nextDelayed(*old))
}

// refusal reads a cancelled counting transaction: a full address or pair
// budget waits for the window's end; otherwise the email's counter (as it
// was) is returned for the caller to judge.
func (c loginCounters) refusal(ce *CanceledError) (*identity.LoginLimited, loginCounterItem) {
	if c.client != nil && (ce.Failed(0) || ce.Failed(1)) {
		return identity.NewLoginLimited(c.p.WindowStart(c.a.At).Add(c.p.Window).Sub(c.a.At)), loginCounterItem{}
	}
	var old loginCounterItem
	if items := ce.Items; len(items) > 0 && items[len(items)-1] != nil {
		_ = attributevalue.UnmarshalMap(items[len(items)-1], &old) // unreadable reads as a fresh counter: its condition then fails safe
	}
	return nil, old
}

// CountLoginAttempt counts the attempt in one transaction: every limit's
// condition holds and each counter moves, or nothing moves. Once the email's
// free attempts are used up, a second transaction takes its next delayed
// attempt if the delay has passed.
func (st *IdentityStore) CountLoginAttempt(ctx context.Context, a identity.LoginAttempt, p identity.LoginPolicy) error {
	ctx = tenant.Without(ctx) // platform counters, whatever credential came with the attempt
	c := newLoginCounters(st.t.name, a, p)
	err := st.t.Transact(ctx, c.actions(nil))
	var ce *CanceledError
	if !errors.As(err, &ce) {
		return err
	}
	limited, old := c.refusal(ce)
	if limited != nil {
		return limited
	}
	if wait := time.UnixMilli(old.NotBefore).Sub(a.At); old.NotBefore > 0 && wait > 0 {
		return identity.NewLoginLimited(wait)
	}
	err = st.t.Transact(ctx, c.actions(&old))
	if !errors.As(err, &ce) {
		return err
	}
	limited, cur := c.refusal(ce)
	if limited != nil {
		return limited
	}
	// Another attempt took this delayed slot first: wait for the delay it set.
	return identity.NewLoginLimited(max(time.UnixMilli(cur.NotBefore).Sub(a.At), p.EmailDelayBase))
}

// LoginSucceeded deletes the pair's counter and takes the attempt back from
// the address's counter (same window as the attempt), in one transaction.
func (st *IdentityStore) LoginSucceeded(ctx context.Context, a identity.LoginAttempt, p identity.LoginPolicy) error {
	ctx = tenant.Without(ctx)
	c := newLoginCounters(st.t.name, a, p)
	if c.client == nil {
		return nil
	}
	return st.t.Transact(ctx, []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: &c.table, Key: c.pair}},
		{Update: &types.Update{
			TableName: &c.table, Key: c.client,
			UpdateExpression:          aws.String("ADD #c :minus SET #ttl = :ttl"),
			ExpressionAttributeNames:  map[string]string{"#c": "count", "#ttl": attrTTL},
			ExpressionAttributeValues: map[string]types.AttributeValue{":minus": n(-1), ":ttl": s(c.ttl)},
		}},
	})
}
