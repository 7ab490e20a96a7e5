package tests

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/renkei-pos/renkei/shared/dynamo"
	"github.com/renkei-pos/renkei/shared/dynamolocal"
	"github.com/renkei-pos/renkei/shared/stack"
	"github.com/renkei-pos/renkei/shared/tenantcreds/iamcheck"
)

// opLog records the DynamoDB operations of the API's requests (the quota
// limiter has a client of its own).
type opLog struct {
	mu  sync.Mutex
	ops []string
}

func (l *opLog) option(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("oplog", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			l.mu.Lock()
			l.ops = append(l.ops, awsmiddleware.GetOperationName(ctx))
			l.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
	})
}

func (l *opLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	ops := l.ops
	l.ops = nil
	return ops
}

// TestTenantLimit_HoldsAcrossInstances: two API instances (each its own
// handler and limiter, one table) admit a tenant's burst once between them,
// not once each; the excess is answered RATE_LIMITED before any of the
// operation runs: no storage write, nothing created.
func TestTenantLimit_HoldsAcrossInstances(t *testing.T) {
	db := dynamolocal.MustStart(t)
	log := &opLog{}
	client, err := dynamolocal.NewClient(t.Context(), db.Endpoint(), log.option)
	if err != nil {
		t.Fatal(err)
	}
	if err := dynamo.New(client, "renkei").EnsureTable(t.Context()); err != nil {
		t.Fatal(err)
	}
	const burst = 4
	// A rate of 1 a second: the few requests below cannot earn a token back.
	rates := stack.Rates{Public: 1000, PublicBurst: 1000, Tenant: 1, TenantBurst: burst}
	// The limiter's calls run as the tenant's TenantData session in AWS:
	// checked here as IAM would (a refusal would only put the limiter on
	// its fallback, so refusals are counted, not just failed).
	var denied atomic.Int64
	asIAM := iamcheck.Option(func(d *iamcheck.Denied) { denied.Add(1); t.Errorf("quota call refused: %v", d) })
	var urls []string
	for range 2 {
		qc, err := dynamolocal.NewClient(t.Context(), db.Endpoint(), asIAM)
		if err != nil {
			t.Fatal(err)
		}
		logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
		h, err := stack.NewAPI(stack.APIConfig{DynamoDB: client, Table: "renkei", JWTSecret: testJWTSecret, Rates: rates, Logger: logger,
			Quota: stack.NewQuota(qc, "renkei", rates, logger)})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		urls = append(urls, srv.URL+"/graphql")
	}
	m := signUpAt(t, urls[0], "quota-two-instances") // the public limit, not the tenant's
	before := countLocations(t, client, m.tenantID)
	const create = `mutation($in: CreateLocationInput!) { createLocation(input: $in) { location { id } userErrors { code message } } }`
	admitted, refused := 0, 0
	for i := range 2 * burst {
		log.take()
		r := gqlAt(t, http.DefaultClient, urls[i%2], m.token, create, map[string]any{"in": map[string]any{"name": "Store"}})
		ops := log.take()
		switch {
		case r.Status == http.StatusOK && len(r.Errors) == 0:
			admitted++
		case r.Status == http.StatusTooManyRequests && r.code() == "RATE_LIMITED":
			refused++
			for _, op := range ops {
				if op != "GetItem" { // the session check of authentication
					t.Errorf("refused request %d made %v: want no storage work beyond authentication", i, ops)
				}
			}
		default:
			t.Fatalf("request %d: status %d %+v", i, r.Status, r.Errors)
		}
	}
	if admitted != burst || refused != burst {
		t.Fatalf("two instances admitted %d and refused %d of %d creates, want %d each (one burst between them)", admitted, refused, 2*burst, burst)
	}
	if n := denied.Load(); n > 0 {
		t.Fatalf("%d quota calls outside the tenant's grant", n)
	}
	if got := countLocations(t, client, m.tenantID) - before; got != admitted {
		t.Fatalf("%d locations created, want %d: a refused request wrote", got, admitted)
	}
}

// countLocations counts a tenant's location items in the table.
func countLocations(tb testing.TB, c *dynamodb.Client, tenantID string) int {
	tb.Helper()
	out, err := c.Query(tb.Context(), &dynamodb.QueryInput{TableName: aws.String("renkei"), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :loc)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "T#" + tenantID}, ":loc": &types.AttributeValueMemberS{Value: "LOC#"}}})
	if err != nil {
		tb.Fatal(err)
	}
	return int(out.Count)
}
