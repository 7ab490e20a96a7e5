package freeefake

import (
	"net/http"
	"strings"
	"testing"
)

// TestFake_ValidatesRequests proves the fake holds requests to freee's
// schema: a conforming one is served, one missing a required parameter is
// answered 400 and recorded.
func TestFake_ValidatesRequests(t *testing.T) {
	f := Start(t)
	access, _ := f.Tokens(DefaultCompanyID)
	get := func(path string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, f.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+access)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := get("/api/1/walletables?company_id=1001"); got != http.StatusOK {
		t.Fatalf("walletables: %d", got)
	}
	if errs := f.ValidationErrors(); len(errs) != 0 {
		t.Fatalf("a valid request was refused: %v", errs)
	}
	if got := get("/api/1/walletables"); got != http.StatusBadRequest {
		t.Fatalf("walletables without company_id: %d, want 400", got)
	}
	errs := f.ValidationErrors()
	if len(errs) != 1 || !strings.Contains(errs[0], "company_id") {
		t.Fatalf("validation errors %v, want one naming company_id", errs)
	}
	f.mu.Lock()
	f.invalid = nil // seen: the test's own bad request
	f.mu.Unlock()
}
