package tenantcreds

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/tenant"
)

const roleARN = "arn:aws:iam::123456789012:role/TenantData"

// fakeSTS is an in-process STS: each AssumeRole returns a fresh access key
// naming the tenant of the session tag and the call's number, valid for the
// requested duration from its clock.
type fakeSTS struct {
	mu    sync.Mutex
	now   func() time.Time
	calls map[string]int // by tenant
	fail  error          // returned while set
	delay time.Duration
	last  *sts.AssumeRoleInput
}

func newFakeSTS(now func() time.Time) *fakeSTS {
	return &fakeSTS{now: now, calls: map[string]int{}}
}

func (f *fakeSTS) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last = in
	if f.fail != nil {
		return nil, f.fail
	}
	var tid string
	for _, t := range in.Tags {
		if aws.ToString(t.Key) == TagKey {
			tid = aws.ToString(t.Value)
		}
	}
	f.calls[tid]++
	exp := f.now().Add(time.Duration(aws.ToInt32(in.DurationSeconds)) * time.Second)
	return &sts.AssumeRoleOutput{Credentials: &ststypes.Credentials{
		AccessKeyId:     aws.String(fmt.Sprintf("AK%s-%d", tid, f.calls[tid])),
		SecretAccessKey: aws.String("secret-" + tid),
		SessionToken:    aws.String("token-" + tid),
		Expiration:      aws.Time(exp),
	}}, nil
}

func (f *fakeSTS) callsFor(tid string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[tid]
}

var base = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: "AKFUNCTION", SecretAccessKey: "s", Source: "function"}, nil
})

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func newClock() *clock               { return &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)} }
func tenants(n int) (out []string) {
	for i := range n {
		out = append(out, ids.NewAt(ids.Tenant, time.Unix(int64(1_800_000_000+i), 0)))
	}
	return out
}

func newProvider(t testing.TB, f AssumeRoler, c *clock, max int) *Provider {
	t.Helper()
	p, err := New(Config{RoleARN: roleARN, STS: f, Base: base, MaxTenants: max, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ownerOf is the tenant a fake access key was issued for.
func ownerOf(akid string) string {
	s := strings.TrimPrefix(akid, "AK")
	if i := strings.LastIndex(s, "-"); i > 0 {
		return s[:i]
	}
	return ""
}

func TestRetrieveByContext(t *testing.T) {
	c := newClock()
	f := newFakeSTS(c.now)
	p := newProvider(t, f, c, 0)
	ts := tenants(2)

	for _, tid := range ts {
		got, err := p.Retrieve(tenant.WithID(context.Background(), tid))
		if err != nil {
			t.Fatal(err)
		}
		if ownerOf(got.AccessKeyID) != tid || got.Source != "renkei-tenant:"+tid || !got.CanExpire {
			t.Fatalf("tenant %s got %+v", tid, got)
		}
	}
	in := f.last
	if aws.ToString(in.RoleArn) != roleARN || aws.ToInt32(in.DurationSeconds) != 3600 || aws.ToString(in.RoleSessionName) != ts[1] ||
		len(in.Tags) != 1 || aws.ToString(in.Tags[0].Key) != "tenant" || aws.ToString(in.Tags[0].Value) != ts[1] || len(in.TransitiveTagKeys) != 0 {
		t.Fatalf("AssumeRole input %+v", in)
	}

	// No tenant, an invalid one, or a context marked Platform: the function's own.
	for name, ctx := range map[string]context.Context{
		"none":     context.Background(),
		"invalid":  tenant.WithID(context.Background(), "tnt_bogus"),
		"platform": Platform(tenant.WithID(context.Background(), ts[0])),
	} {
		got, err := p.Retrieve(ctx)
		if err != nil || got.AccessKeyID != "AKFUNCTION" {
			t.Fatalf("%s: got %+v, %v; want the function's credentials", name, got, err)
		}
	}
	// Cached: one AssumeRole per tenant.
	for i := 0; i < 10; i++ {
		if _, err := p.Retrieve(tenant.WithID(context.Background(), ts[0])); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.callsFor(ts[0]); n != 1 {
		t.Fatalf("%d AssumeRole calls for one tenant, want 1", n)
	}
}

// TestConcurrentTenantsNeverShareCredentials: 50 goroutines each ask for
// 20 tenants' credentials in a different order, many times; every answer
// is its own tenant's, and each tenant's session is assumed once.
func TestConcurrentTenantsNeverShareCredentials(t *testing.T) {
	c := newClock()
	f := newFakeSTS(c.now)
	f.delay = time.Millisecond // widen the window in which callers overlap
	p := newProvider(t, f, c, 0)
	ts := tenants(20)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for g := range 50 {
		wg.Go(func() {
			for round := range 5 {
				for i := range ts {
					tid := ts[(i*7+g+round)%len(ts)]
					got, err := p.Retrieve(tenant.WithID(context.Background(), tid))
					if err != nil {
						errs <- err
						return
					}
					if ownerOf(got.AccessKeyID) != tid {
						errs <- fmt.Errorf("goroutine %d asked for %s, got %s's key", g, tid, ownerOf(got.AccessKeyID))
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, tid := range ts {
		if n := f.callsFor(tid); n != 1 {
			t.Fatalf("tenant %s assumed %d times, want 1", tid, n)
		}
	}
}

// TestSignedRequestsCarryTheirTenantsKey goes through a real DynamoDB
// client (the SDK's signing, retries and middleware) against a loopback
// server: every request reaching it is signed with the access key of the
// tenant whose key it reads, under 50 goroutines × 20 tenants — nothing in
// the SDK caches one tenant's credentials for another.
func TestSignedRequestsCarryTheirTenantsKey(t *testing.T) {
	c := newClock()
	f := newFakeSTS(c.now)
	p := newProvider(t, f, c, 0)
	credRE := regexp.MustCompile(`Credential=([^/]+)/`)
	pkRE := regexp.MustCompile(`"pk":\{"S":"T#(tnt_[0-9A-Za-z]+)"`)
	var mu sync.Mutex
	var bad []string
	seen := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m, k := credRE.FindStringSubmatch(r.Header.Get("Authorization")), pkRE.FindSubmatch(body)
		mu.Lock()
		seen++
		if m == nil || k == nil || ownerOf(m[1]) != string(k[1]) {
			bad = append(bad, fmt.Sprintf("auth %q for body %s", r.Header.Get("Authorization"), body))
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	client := dynamodb.New(dynamodb.Options{
		Region: "ap-northeast-1", BaseEndpoint: aws.String(srv.URL), Credentials: p,
		HTTPClient: srv.Client(),
	})
	ts := tenants(20)
	var wg sync.WaitGroup
	for g := range 50 {
		wg.Go(func() {
			for i := range ts {
				tid := ts[(i*3+g)%len(ts)]
				_, err := client.GetItem(tenant.WithID(context.Background(), tid), &dynamodb.GetItemInput{
					TableName: aws.String("renkei"),
					Key: map[string]ddbtypes.AttributeValue{
						"pk": &ddbtypes.AttributeValueMemberS{Value: "T#" + tid}, "sk": &ddbtypes.AttributeValueMemberS{Value: "TENANT"},
					},
				})
				if err != nil {
					mu.Lock()
					bad = append(bad, err.Error())
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("%d of %d requests wrong, first: %s", len(bad), seen, bad[0])
	}
	if seen != 1000 {
		t.Fatalf("%d requests, want 1000", seen)
	}
}

func TestRefreshBeforeExpiry(t *testing.T) {
	c := newClock()
	f := newFakeSTS(c.now)
	p := newProvider(t, f, c, 0)
	tid := tenants(1)[0]
	ctx := tenant.WithID(context.Background(), tid)
	get := func() aws.Credentials {
		t.Helper()
		got, err := p.Retrieve(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	first := get()
	c.add(DefaultDuration - DefaultRefreshBefore - time.Second) // still fresh
	if got := get(); got.AccessKeyID != first.AccessKeyID {
		t.Fatalf("renewed early: %s", got.AccessKeyID)
	}
	c.add(2 * time.Second) // inside the margin: renewed
	second := get()
	if second.AccessKeyID == first.AccessKeyID || f.callsFor(tid) != 2 || !second.Expires.After(first.Expires) {
		t.Fatalf("not renewed in the margin: %+v (%d calls)", second, f.callsFor(tid))
	}

	// STS failing inside the margin: the still-valid session is used.
	c.add(DefaultDuration - DefaultRefreshBefore + time.Second)
	f.mu.Lock()
	f.fail = errors.New("ThrottlingException: Rate exceeded")
	f.mu.Unlock()
	if got := get(); got.AccessKeyID != second.AccessKeyID {
		t.Fatalf("a renewal failure replaced a valid session: %s", got.AccessKeyID)
	}
	// Past expiry with STS failing: UNAVAILABLE (retryable), never a stale key.
	c.add(DefaultRefreshBefore)
	_, err := p.Retrieve(ctx)
	if !apperr.Is(err, apperr.Unavailable) {
		t.Fatalf("expired and STS down: %v, want UNAVAILABLE", err)
	}
	f.mu.Lock()
	f.fail = nil
	f.mu.Unlock()
	if got := get(); got.AccessKeyID == second.AccessKeyID || got.Expires.Before(c.now()) {
		t.Fatalf("after STS recovered: %+v", got)
	}
}

// TestRenewalDoesNotBlockOthers: while one caller renews a session inside
// the margin, others are answered at once with the still-valid one.
func TestRenewalDoesNotBlockOthers(t *testing.T) {
	c := newClock()
	f := newFakeSTS(c.now)
	block := make(chan struct{})
	started := make(chan struct{}, 1)
	slow := assumeFunc(func(ctx context.Context, in *sts.AssumeRoleInput) (*sts.AssumeRoleOutput, error) {
		if f.callsFor(aws.ToString(in.Tags[0].Value)) > 0 {
			started <- struct{}{}
			<-block
		}
		return f.AssumeRole(ctx, in)
	})
	p := newProvider(t, slow, c, 0)
	ctx := tenant.WithID(context.Background(), tenants(1)[0])
	first, err := p.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.add(DefaultDuration - DefaultRefreshBefore + time.Second)
	done := make(chan aws.Credentials)
	go func() { got, _ := p.Retrieve(ctx); done <- got }()
	<-started
	for range 10 {
		got, err := p.Retrieve(ctx)
		if err != nil || got.AccessKeyID != first.AccessKeyID {
			t.Fatalf("during renewal: %+v, %v", got, err)
		}
	}
	close(block)
	if got := <-done; got.AccessKeyID == first.AccessKeyID {
		t.Fatal("the renewing caller got the old session")
	}
}

type assumeFunc func(context.Context, *sts.AssumeRoleInput) (*sts.AssumeRoleOutput, error)

func (f assumeFunc) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	return f(ctx, in)
}

func TestCacheIsBounded(t *testing.T) {
	c := newClock()
	f := newFakeSTS(c.now)
	p := newProvider(t, f, c, 3)
	ts := tenants(5)
	for _, tid := range ts {
		if _, err := p.Retrieve(tenant.WithID(context.Background(), tid)); err != nil {
			t.Fatal(err)
		}
	}
	if n := p.Len(); n != 3 {
		t.Fatalf("%d tenants cached, want 3", n)
	}
	// The most recent three are cached; the first was evicted and is assumed again.
	for _, tid := range ts[2:] {
		if _, err := p.Retrieve(tenant.WithID(context.Background(), tid)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tid := range ts[2:] {
		if n := f.callsFor(tid); n != 1 {
			t.Fatalf("recent tenant %s assumed %d times", tid, n)
		}
	}
	got, err := p.Retrieve(tenant.WithID(context.Background(), ts[0]))
	if err != nil || ownerOf(got.AccessKeyID) != ts[0] || f.callsFor(ts[0]) != 2 {
		t.Fatalf("evicted tenant: %+v, %v, %d calls", got, err, f.callsFor(ts[0]))
	}
	if n := p.Len(); n != 3 {
		t.Fatalf("%d tenants cached, want 3", n)
	}
}

func TestNewRequiresRoleSTSAndBase(t *testing.T) {
	f := newFakeSTS(time.Now)
	for _, cfg := range []Config{{STS: f, Base: base}, {RoleARN: roleARN, Base: base}, {RoleARN: roleARN, STS: f},
		{RoleARN: roleARN, STS: f, Base: base, Duration: time.Minute, RefreshBefore: time.Minute}} {
		if _, err := New(cfg); err == nil {
			t.Fatalf("New(%+v) accepted", cfg)
		}
	}
}
