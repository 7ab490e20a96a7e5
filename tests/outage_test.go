package tests

import (
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/renkei-pos/renkei/shared/dynamolocal"
	"github.com/renkei-pos/renkei/shared/stack"
)

// TestDynamoDBOutage points the API at a port where nothing listens: a
// request must fail fast as a retryable internal error with a request id,
// never hang, and never show the storage error to the client.
func TestDynamoDBOutage(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	client, err := dynamolocal.NewClient(t.Context(), dead)
	if err != nil {
		t.Fatal(err)
	}
	h, err := stack.NewAPI(stack.APIConfig{DynamoDB: client, Table: "renkei", JWTSecret: testJWTSecret, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	body := mustJSON(map[string]any{"query": signUpMutation, "variables": map[string]any{"in": map[string]any{"businessName": "A", "email": uniqueEmail("outage"), "password": testPassword, "ownerName": "O"}}})
	res, err := http.Post(srv.URL+"/graphql", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out gqlResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("not JSON: %s", raw)
	}
	if out.code() != "INTERNAL" || out.Errors[0].Extensions["requestId"] == "" {
		t.Fatalf("want INTERNAL with requestId, got %s", raw)
	}
	for _, leak := range []string{"127.0.0.1", "dial", "connect", "dynamodb", "refused"} {
		if strings.Contains(strings.ToLower(out.Errors[0].Message), leak) {
			t.Fatalf("internal detail %q leaked: %s", leak, out.Errors[0].Message)
		}
	}
	hres, err := http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	hres.Body.Close()
	if hres.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("healthz during outage = %d, want 503", hres.StatusCode)
	}
}
