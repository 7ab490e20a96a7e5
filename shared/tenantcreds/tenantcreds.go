// Package tenantcreds supplies DynamoDB calls with credentials that can touch
// only one tenant's keys.
//
// A Provider is an aws.CredentialsProvider set on a DynamoDB client
// (dynamodb.Options.Credentials). The SDK calls Retrieve with each
// operation's context; Retrieve takes the tenant from that context
// (tenant.IDFrom) and returns that tenant's credentials: a session of the
// TenantData role (infra/tenantdata.go) assumed with the session tag
// tenant=<id>, whose policy allows the table's keys starting "T#<id>" only
// (dynamodb:LeadingKeys on "T#${aws:PrincipalTag/tenant}*"). A context
// without a tenant — log-in, refresh, webhooks before their tenant is
// known, the scheduler's and the dispatcher's platform sweeps — gets the
// function's own credentials, whose role allows only platform-prefixed keys.
//
// Sessions are cached per tenant (a bounded LRU), renewed a margin before
// they expire (one caller renews while the others keep using the still
// valid session), and fetched once per tenant at a time. The cache key is
// the tenant id and every entry remembers the tenant it was assumed for:
// one tenant's session is never handed to another.
//
// Never use a Provider against DynamoDB Local, which ignores IAM: it would
// prove nothing and call STS for each tenant.
package tenantcreds

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// TagKey is the session tag carrying the tenant id; the TenantData role's
// policy reads it as ${aws:PrincipalTag/tenant}.
const TagKey = "tenant"

// AssumeRoler is the part of the STS client the provider uses
// (*sts.Client satisfies it).
type AssumeRoler interface {
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

// Defaults of Config.
const (
	DefaultMaxTenants    = 1024
	DefaultDuration      = time.Hour // the role's default MaxSessionDuration
	DefaultRefreshBefore = 5 * time.Minute
)

// Config configures a Provider.
type Config struct {
	// RoleARN is the TenantData role (RENKEI_TENANT_ROLE_ARN).
	RoleARN string
	// STS assumes it; it signs with the function's own credentials.
	STS AssumeRoler
	// Base are the function's own credentials, for calls without a tenant.
	Base aws.CredentialsProvider
	// MaxTenants bounds the cache (least recently used evicted first).
	MaxTenants int
	// Duration of each session (900 s to the role's maximum).
	Duration time.Duration
	// RefreshBefore: a session this close to expiring is renewed.
	RefreshBefore time.Duration
	// Now is the clock (tests).
	Now func() time.Time
}

// Provider hands out per-tenant credentials; see the package comment.
type Provider struct {
	cfg Config

	mu      sync.Mutex
	entries map[string]*entry
	lru     *list.List // of *entry, most recently used first
}

type entry struct {
	tenant string
	source string // source(tenant), the label its sessions carry
	elem   *list.Element
	creds  aws.Credentials // zero until the first fetch succeeds
	// fetching is non-nil while one caller assumes the role for this
	// tenant; it is closed when that call ends.
	fetching chan struct{}
}

// New returns a provider; RoleARN, STS and Base are required.
func New(cfg Config) (*Provider, error) {
	if cfg.RoleARN == "" || cfg.STS == nil || cfg.Base == nil {
		return nil, errors.New("tenantcreds: RoleARN, STS and Base are required")
	}
	if cfg.MaxTenants <= 0 {
		cfg.MaxTenants = DefaultMaxTenants
	}
	if cfg.Duration <= 0 {
		cfg.Duration = DefaultDuration
	}
	if cfg.RefreshBefore <= 0 {
		cfg.RefreshBefore = DefaultRefreshBefore
	}
	if cfg.RefreshBefore >= cfg.Duration {
		return nil, errors.New("tenantcreds: RefreshBefore must be shorter than Duration")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Provider{cfg: cfg, entries: map[string]*entry{}, lru: list.New()}, nil
}

type platformKey struct{}

// Platform marks ctx so that its calls use the function's own credentials
// even when ctx carries a tenant. Nothing in renkei needs it today (every
// platform item a tenant's request touches is in the TenantData role's
// policy); it is the escape hatch for a future platform read on a tenant's
// request, which must then be granted to the function's role.
func Platform(ctx context.Context) context.Context {
	return context.WithValue(ctx, platformKey{}, true)
}

// Retrieve returns the credentials for ctx's tenant, or the function's own
// when ctx has none (or is marked Platform).
func (p *Provider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	if on, _ := ctx.Value(platformKey{}).(bool); on {
		return p.cfg.Base.Retrieve(ctx)
	}
	tid, err := tenant.IDFrom(ctx)
	if err != nil {
		return p.cfg.Base.Retrieve(ctx)
	}
	return p.forTenant(ctx, tid)
}

// forTenant returns tid's cached session, renewing or fetching it when due.
func (p *Provider) forTenant(ctx context.Context, tid string) (aws.Credentials, error) {
	for {
		p.mu.Lock()
		e := p.entries[tid]
		if e == nil {
			e = &entry{tenant: tid, source: source(tid)}
			e.elem = p.lru.PushFront(e)
			p.entries[tid] = e
			p.evictLocked()
		} else {
			p.lru.MoveToFront(e.elem)
		}
		now := p.cfg.Now()
		fresh := e.creds.HasKeys() && now.Before(e.creds.Expires.Add(-p.cfg.RefreshBefore))
		valid := e.creds.HasKeys() && now.Before(e.creds.Expires)
		switch {
		case fresh || (valid && e.fetching != nil):
			// Fresh, or being renewed by another caller while still valid.
			c := e.creds
			p.mu.Unlock()
			return p.checked(tid, e, c)
		case e.fetching != nil:
			// Another caller is fetching the first (or an expired) session.
			wait := e.fetching
			p.mu.Unlock()
			select {
			case <-wait:
				continue // read the outcome under the lock
			case <-ctx.Done():
				return aws.Credentials{}, ctx.Err()
			}
		}
		// This caller fetches (a first session, or renews one).
		old := e.creds
		done := make(chan struct{})
		e.fetching = done
		p.mu.Unlock()

		c, ferr := p.assume(ctx, tid)

		p.mu.Lock()
		if ferr == nil {
			e.creds = c
		}
		e.fetching = nil
		close(done)
		p.mu.Unlock()
		if ferr != nil {
			if valid {
				// Renewal failed but the session has not expired: use it;
				// the next call past the margin tries again.
				return p.checked(tid, e, old)
			}
			return aws.Credentials{}, ferr
		}
		return p.checked(tid, e, c)
	}
}

// checked is the last guard against handing one tenant's session to another.
func (p *Provider) checked(tid string, e *entry, c aws.Credentials) (aws.Credentials, error) {
	if e.tenant != tid || c.Source != e.source {
		return aws.Credentials{}, fmt.Errorf("tenantcreds: session of the wrong tenant for %s", tid)
	}
	return c, nil
}

// evictLocked drops least recently used entries beyond MaxTenants, except
// those being fetched (their callers hold them; they are dropped later).
func (p *Provider) evictLocked() {
	for el := p.lru.Back(); el != nil && p.lru.Len() > p.cfg.MaxTenants; {
		prev := el.Prev()
		if e := el.Value.(*entry); e.fetching == nil {
			p.lru.Remove(el)
			delete(p.entries, e.tenant)
		}
		el = prev
	}
}

// source labels a tenant's session (aws.Credentials.Source).
func source(tid string) string { return "renkei-tenant:" + tid }

// assume asks STS for tid's session.
func (p *Provider) assume(ctx context.Context, tid string) (aws.Credentials, error) {
	out, err := p.cfg.STS.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String(p.cfg.RoleARN),
		RoleSessionName: aws.String(tid), // tnt_ + 26 characters: a valid session name, and CloudTrail names the tenant
		DurationSeconds: aws.Int32(int32(p.cfg.Duration / time.Second)),
		Tags:            []ststypes.Tag{{Key: aws.String(TagKey), Value: aws.String(tid)}},
	})
	if err != nil {
		// STS throttled or unreachable: the request may be retried with its
		// idempotency key. The cause (no secret in it) is for the logs.
		return aws.Credentials{}, apperr.Wrap(err, apperr.Unavailable, "storage is temporarily unavailable; retry")
	}
	c := out.Credentials
	if c == nil || c.AccessKeyId == nil || c.SecretAccessKey == nil || c.SessionToken == nil || c.Expiration == nil {
		return aws.Credentials{}, errors.New("tenantcreds: AssumeRole returned no credentials")
	}
	return aws.Credentials{
		AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken,
		Source: source(tid), CanExpire: true, Expires: *c.Expiration,
	}, nil
}

// Len is how many tenants are cached (tests, metrics).
func (p *Provider) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.entries)
}
