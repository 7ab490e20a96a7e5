package tests

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// gqlResponse is a decoded GraphQL response plus its HTTP status.
type gqlResponse struct {
	Status int
	Data   map[string]any
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	}
}

// code returns the first top-level error's extensions.code, or "".
func (r gqlResponse) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// post sends one raw request to the API.
func post(tb testing.TB, url, contentType, token string, body []byte) gqlResponse {
	tb.Helper()
	req, err := http.NewRequestWithContext(tb.Context(), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out gqlResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		tb.Fatalf("status %d, body not JSON: %q", res.StatusCode, raw)
	}
	out.Status = res.StatusCode
	return out
}

// gql sends a query with variables as the given bearer token ("" for none).
func gql(tb testing.TB, token, query string, vars map[string]any) gqlResponse {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return post(tb, apiURL, "application/json", token, body)
}

// field walks the response data along a dotted path.
func field(tb testing.TB, data map[string]any, path string) any {
	tb.Helper()
	var cur any = data
	for _, p := range strings.Split(path, ".") {
		if list, ok := cur.([]any); ok {
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(list) {
				tb.Fatalf("path %s: no element %s in %v", path, p, list)
			}
			cur = list[i]
			continue
		}
		m, ok := cur.(map[string]any)
		if !ok {
			tb.Fatalf("path %s: %v is not an object", path, cur)
		}
		cur = m[p]
	}
	return cur
}

func str(tb testing.TB, data map[string]any, path string) string {
	tb.Helper()
	s, _ := field(tb, data, path).(string)
	return s
}

// userErrorCodes returns the codes of a payload's userErrors.
func userErrorCodes(tb testing.TB, data map[string]any, payload string) []string {
	tb.Helper()
	list, _ := field(tb, data, payload+".userErrors").([]any)
	var codes []string
	for _, e := range list {
		codes = append(codes, e.(map[string]any)["code"].(string))
	}
	return codes
}

// mustOK fails the test on top-level errors or userErrors in payload.
func mustOK(tb testing.TB, r gqlResponse, payload string) {
	tb.Helper()
	if len(r.Errors) > 0 {
		tb.Fatalf("top-level errors: %+v", r.Errors)
	}
	if payload != "" {
		if codes := userErrorCodes(tb, r.Data, payload); len(codes) > 0 {
			tb.Fatalf("%s userErrors: %v", payload, field(tb, r.Data, payload+".userErrors"))
		}
	}
}
