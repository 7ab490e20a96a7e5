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

	post := func(body string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, f.URL+"/api/1/deals", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+access)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	// issue_date missing, type outside the enum: the schema refuses both.
	if got := post(`{"company_id": 1001, "type": "sale", "details": [{"tax_code": 129, "account_item_id": 101, "amount": 100}]}`); got != http.StatusBadRequest {
		t.Fatalf("invalid deal: %d, want 400", got)
	}
	errs = f.ValidationErrors()
	if len(errs) != 1 || !strings.Contains(errs[0], "issue_date") || !strings.Contains(errs[0], "type") {
		t.Fatalf("validation errors %v, want one naming issue_date and type", errs)
	}
	f.mu.Lock()
	f.invalid = nil
	f.mu.Unlock()
	seen := -1
	f.OnDealPosted(func(Deal) { seen = len(f.Deals(DefaultCompanyID)) }) // the hook may call the fake
	if got := post(`{"company_id": 1001, "issue_date": "2026-11-30", "type": "income", "details": [{"tax_code": 129, "account_item_id": 101, "amount": 100, "vat": 9}]}`); got != http.StatusCreated {
		t.Fatalf("valid deal: %d, want 201 (%v)", got, f.ValidationErrors())
	}
	if d := f.Deals(DefaultCompanyID); len(d) != 1 || d[0].Amount() != 100 || seen != 1 {
		t.Fatalf("deals %+v (hook saw %d), want one of 100 seen by the hook", d, seen)
	}
}

// TestFake_StateSurvivesARestart: a token pair and a deal saved by one fake
// work in the next.
func TestFake_StateSurvivesARestart(t *testing.T) {
	f := Start(t)
	access, refresh := f.Tokens(DefaultCompanyID)
	f.AddDeal(Deal{CompanyID: DefaultCompanyID, IssueDate: "2026-11-30", Type: "income", RefNumber: "R1",
		Details: []Detail{{AccountItemID: 101, TaxCode: 129, Amount: 100}}})
	var buf strings.Builder
	if err := f.SaveState(&buf); err != nil {
		t.Fatal(err)
	}
	g := Start(t)
	if err := g.LoadState(strings.NewReader(buf.String())); err != nil {
		t.Fatal(err)
	}
	if d := g.Deals(DefaultCompanyID); len(d) != 1 || d[0].RefNumber != "R1" || !g.RefreshTokenValid(refresh) {
		t.Fatalf("deals %+v, refresh token valid %v", d, g.RefreshTokenValid(refresh))
	}
	req, _ := http.NewRequest(http.MethodGet, g.URL+"/api/1/companies/1001", nil)
	req.Header.Set("Authorization", "Bearer "+access)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("the saved access token: %d", res.StatusCode)
	}
}
