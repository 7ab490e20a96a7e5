package stack

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-xray-sdk-go/xray"
)

// fakeDynamoDB answers every call with an empty JSON object (a GetItem that
// found nothing) and keeps the X-Amzn-Trace-Id header of each request.
type fakeDynamoDB struct {
	mu     sync.Mutex
	traces []string
}

func (f *fakeDynamoDB) Do(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	f.traces = append(f.traces, r.Header.Get("X-Amzn-Trace-Id"))
	f.mu.Unlock()
	return &http.Response{
		StatusCode: 200,
		Header:     http.Header{"Content-Type": {"application/x-amz-json-1.0"}, "X-Amzn-Requestid": {"req-1"}},
		Body:       io.NopCloser(strings.NewReader("{}")),
		Request:    r,
	}, nil
}

func tracedClient(fake *fakeDynamoDB) *dynamodb.Client {
	cfg := aws.Config{
		Region:      "ap-northeast-1",
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", ""),
		HTTPClient:  fake,
	}
	return dynamodb.NewFromConfig(TraceAWS(cfg))
}

func TestTraceAWS(t *testing.T) {
	get := &dynamodb.GetItemInput{TableName: aws.String("t"), Key: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "p"}, "sk": &types.AttributeValueMemberS{Value: "s"},
	}}

	t.Run("a call without a trace in its context is made unchanged", func(t *testing.T) {
		// Outside Lambda (tests, tools, cold start): no segment, no daemon.
		fake := &fakeDynamoDB{}
		if _, err := tracedClient(fake).GetItem(context.Background(), get); err != nil {
			t.Fatalf("GetItem without a segment: %v", err)
		}
		if len(fake.traces) != 1 || fake.traces[0] != "" {
			t.Fatalf("trace headers sent = %q, want one request without a trace header", fake.traces)
		}
	})

	t.Run("a call within a trace is a subsegment and propagates the trace", func(t *testing.T) {
		// A stand-in X-Ray daemon: the recorder sends segments over UDP.
		daemon, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer daemon.Close()
		if err := xray.Configure(xray.Config{DaemonAddr: daemon.LocalAddr().String()}); err != nil {
			t.Fatal(err)
		}
		fake := &fakeDynamoDB{}
		ctx, seg := xray.BeginSegment(context.Background(), "renkei-test")
		if _, err := tracedClient(fake).GetItem(ctx, get); err != nil {
			t.Fatalf("GetItem within a segment: %v", err)
		}
		seg.Close(nil)
		if len(fake.traces) != 1 || !strings.Contains(fake.traces[0], "Root="+seg.TraceID) {
			t.Fatalf("trace headers sent = %q, want the segment's trace %s", fake.traces, seg.TraceID)
		}
		var sent strings.Builder
		buf := make([]byte, 64<<10)
		for !strings.Contains(sent.String(), `"name":"renkei-test"`) {
			if err := daemon.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
				t.Fatal(err)
			}
			n, _, err := daemon.ReadFromUDP(buf)
			if err != nil {
				t.Fatalf("the daemon received %q, then: %v", sent.String(), err)
			}
			sent.Write(buf[:n])
		}
		raw := sent.String()
		for _, want := range []string{`"name":"DynamoDB"`, `"operation":"GetItem"`, `"request_id":"req-1"`} {
			if !strings.Contains(raw, want) {
				t.Errorf("emitted segments lack %s: %s", want, raw)
			}
		}
	})

	t.Run("the configuration it was given is left alone", func(t *testing.T) {
		cfg := aws.Config{APIOptions: nil}
		traced := TraceAWS(cfg)
		if len(cfg.APIOptions) != 0 || len(traced.APIOptions) == 0 {
			t.Fatalf("APIOptions: original %d, traced %d; want 0 and some", len(cfg.APIOptions), len(traced.APIOptions))
		}
	})
}

// TestLoadAWSTraces: the clients LoadAWS builds for a Lambda record their
// calls in the invocation's trace (aws-lambda-go puts the trace header in
// the context under xray.LambdaTraceHeaderKey), and work without one.
func TestLoadAWSTraces(t *testing.T) {
	var mu sync.Mutex
	var traces []string
	ddb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		traces = append(traces, r.Header.Get("X-Amzn-Trace-Id"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = io.WriteString(w, "{}")
	}))
	defer ddb.Close()
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", ddb.URL)
	t.Setenv("AWS_REGION", "ap-northeast-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "k")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "s")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	env := map[string]string{"RENKEI_ENV": "aws", "RENKEI_TABLE": "t"}
	a, err := LoadAWS(t.Context(), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	get := &dynamodb.GetItemInput{TableName: aws.String("t"), Key: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "p"}, "sk": &types.AttributeValueMemberS{Value: "s"},
	}}
	const root = "1-5759e988-bd862e3fe1be46a994272793"
	//lint:ignore SA1029 the key aws-lambda-go sets and the X-Ray SDK reads
	invocation := context.WithValue(t.Context(), xray.LambdaTraceHeaderKey, "Root="+root+";Parent=53995c3f42cd8ad8;Sampled=1")
	if _, err := a.DynamoDB.GetItem(invocation, get); err != nil {
		t.Fatalf("GetItem in an invocation: %v", err)
	}
	if _, err := a.DynamoDB.GetItem(t.Context(), get); err != nil {
		t.Fatalf("GetItem outside an invocation: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(traces) != 2 || !strings.Contains(traces[0], "Root="+root) || traces[1] != "" {
		t.Fatalf("trace headers sent = %q, want the invocation's trace, then none", traces)
	}
	if len(a.Config.APIOptions) == 0 {
		t.Error("Config (the SQS and KMS clients') is not traced")
	}
}
