package dynamo

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/renkei-pos/renkei/shared/dynamolocal"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// One DynamoDB Local per test binary; each test gets its own table.
var (
	endpoint string
	tableSeq atomic.Int64
)

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	srv, err := dynamolocal.Start(ctx, dynamolocal.Options{})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start DynamoDB Local:", err)
		os.Exit(1)
	}
	endpoint = srv.Endpoint()
	code := m.Run()
	_ = srv.Stop()
	os.Exit(code)
}

// mustTable creates a fresh table for one test.
func mustTable(tb testing.TB, opts ...func(*dynamodb.Options)) *Table {
	tb.Helper()
	c, err := dynamolocal.NewClient(tb.Context(), endpoint, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	t := New(c, fmt.Sprintf("t%d_%d", time.Now().UnixNano(), tableSeq.Add(1)))
	if err := t.EnsureTable(tb.Context()); err != nil {
		tb.Fatal(err)
	}
	return t
}

// tenantCtx returns a context scoped to a new random tenant id.
func tenantCtx(tb testing.TB) context.Context {
	return tenant.WithID(tb.Context(), ids.New(ids.Tenant))
}
