// Package freeefake is a local stand-in for freee's accounting API and its
// OAuth token endpoint, for contract and end-to-end tests. Every API request
// it receives is validated against freee's published OpenAPI schema
// (../shared/contracts/freee/accounting-api-schema.json); a request that does
// not conform is answered 400 and recorded, and the test that started the
// fake fails when it ends. It answers like freee: numeric ids, deals kept in
// memory and filtered as the real list is, 401 for an expired or unknown
// token, single-use refresh tokens, and faults a test can inject (429 with
// Retry-After, freee's rate-limit 403, 500, a hang, a crash after a post).
package freeefake

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// DefaultCompanyID is the company Start seeds, with the ids of
// DefaultCompany.
const DefaultCompanyID int64 = 1001

// Client credentials the token endpoint accepts.
const (
	ClientID     = "renkei-test-client"
	ClientSecret = "renkei-test-secret"
)

// Company is one freee company (事業所) and the ids that exist in it.
type Company struct {
	ID           int64
	Name         string
	AccountItems []int64
	TaxCodes     []int64
	Walletables  []Walletable
	Sections     []int64
	// UnavailableTaxCodes exist but are not available to the company
	// (freee lists them with available: false).
	UnavailableTaxCodes []int64
	// Names of the ids as freee shows them (taxes: name_ja); an unnamed
	// id gets a generated name.
	AccountItemNames map[int64]string
	// AccountItemCategories are their account_category (default 売上高).
	AccountItemCategories map[int64]string
	TaxNames              map[int64]string
	WalletableNames       map[int64]string
	SectionNames          map[int64]string
}

// Walletable is one 口座 (wallet, bank_account or credit_card).
type Walletable struct {
	Type string
	ID   int64
}

// DefaultCompany has the ids of the issue's example mapping: account items
// 101 売上高, 102 雑収入, 103 前受金; tax codes 129 課税売上10%, 156
// 課税売上8%（軽）, 2 対象外, 21 and 136 (and 34, listed but not
// available); walletables wallet 1 現金, bank account 2, wallet 3, credit
// card 4; sections 11 and 12.
func DefaultCompany() Company {
	return Company{
		ID: DefaultCompanyID, Name: "renkei テスト商店",
		AccountItems:          []int64{101, 102, 103},
		TaxCodes:              []int64{2, 21, 129, 136, 156},
		UnavailableTaxCodes:   []int64{34},
		Walletables:           []Walletable{{"wallet", 1}, {"bank_account", 2}, {"wallet", 3}, {"credit_card", 4}},
		Sections:              []int64{11, 12},
		AccountItemNames:      map[int64]string{101: "売上高", 102: "雑収入", 103: "前受金"},
		AccountItemCategories: map[int64]string{101: "売上高", 102: "営業外収益", 103: "流動負債"},
		TaxNames:              map[int64]string{2: "対象外", 21: "課税売上8%", 129: "課税売上10%", 136: "非課売上", 156: "課税売上8%（軽）", 34: "課税売上5%"},
		WalletableNames:       map[int64]string{1: "現金", 2: "れんけい銀行 普通", 3: "その他の決済", 4: "法人カード"},
		SectionNames:          map[int64]string{11: "渋谷店", 12: "梅田店"},
	}
}

// Deal is a deal as the fake stores it.
type Deal struct {
	ID        int64
	CompanyID int64
	IssueDate string
	Type      string
	RefNumber string
	Details   []Detail
	Payments  []Payment
}

// Amount is the deal's total (its details' amounts).
func (d Deal) Amount() int64 {
	var s int64
	for _, x := range d.Details {
		s += x.Amount
	}
	return s
}

// Detail is one 明細行.
type Detail struct {
	ID            int64
	AccountItemID int64
	TaxCode       int64
	Amount        int64
	Vat           int64
	SectionID     int64
}

// Payment is one 支払行.
type Payment struct {
	ID             int64
	Date           string
	WalletableType string
	WalletableID   int64
	Amount         int64
}

// Fault is a failure injected into the next request that Matches.
type Fault struct {
	// Match is "METHOD /path" or a prefix of it ("POST /api/1/deals");
	// "" matches any request, the token endpoint's included.
	Match string
	// Status answers with this status (429, 403, 500, 400…) instead of
	// handling the request.
	Status int
	// RetryAfter is the Retry-After header sent with Status.
	RetryAfter string
	// RateLimit makes a 403 freee's rate-limit 403 (X-RateLimit-* headers).
	RateLimit bool
	// Message is the error message of a 400.
	Message string
	// Hang holds the request until the client gives up (or the fake stops).
	Hang bool
	// AfterHandling handles the request (a deal is stored) and then drops
	// the connection without an answer: a crash between the provider's
	// commit and the caller learning of it.
	AfterHandling bool
}

// Request is one request the fake received.
type Request struct {
	Method string
	Path   string
	Query  string
	Body   string
}

// Fake is a running fake freee.
type Fake struct {
	// URL is the API base (settings apiBaseUrl).
	URL string
	// TokenURL is the OAuth token endpoint (settings tokenUrl).
	TokenURL string
	// AuthorizeURL is the consent page (freee's /public_api/authorize).
	AuthorizeURL string

	srv       *http.Server
	stop      chan struct{}
	closeOnce sync.Once

	mu           sync.Mutex
	companies    map[int64]*Company
	deals        []*Deal
	nextID       int64
	access       map[string]accessToken
	refresh      map[string]int64 // unused refresh token → company
	codes        map[string]grantCode
	redirectURIs []string
	faults       []Fault
	invalid      []string
	requests     []Request
	onPosted     func(Deal)
	posted       *Deal // the deal the request being served posted
	now          func() time.Time
}

type accessToken struct {
	company int64
	expired bool
}

type grantCode struct {
	company     int64
	redirectURI string
}

// New returns a fake freee with DefaultCompany, not yet listening (Listen).
// Requests are validated against freee's schema when it is found
// (SchemaPath; parsed at the first request, once per process); without it
// the fake serves them unvalidated, and Validating says why.
func New() *Fake {
	f := &Fake{stop: make(chan struct{}), companies: map[int64]*Company{}, nextID: 500000,
		access: map[string]accessToken{}, refresh: map[string]int64{}, codes: map[string]grantCode{}, now: time.Now}
	f.AddCompany(DefaultCompany())
	return f
}

// Validating reports whether requests are checked against freee's schema
// (nil), or why not.
func (f *Fake) Validating() error {
	_, err := loadContract()
	return err
}

// Listen serves the fake on addr (e.g. "127.0.0.1:0") until Close, and
// sets URL, TokenURL and AuthorizeURL.
func (f *Fake) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("freeefake: listen on %s: %w", addr, err)
	}
	f.URL = "http://" + ln.Addr().String()
	f.TokenURL = f.URL + tokenPath
	f.AuthorizeURL = f.URL + authorizePath
	f.srv = &http.Server{Handler: http.HandlerFunc(f.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = f.srv.Serve(ln) }()
	return nil
}

// Close stops the fake: hanging requests end, connections close.
func (f *Fake) Close() error {
	var err error
	f.closeOnce.Do(func() {
		close(f.stop)
		if f.srv != nil {
			err = f.srv.Close()
		}
	})
	return err
}

// Start runs a fake freee with DefaultCompany until tb ends; when it ends,
// tb fails if any request broke the schema.
func Start(tb testing.TB) *Fake {
	tb.Helper()
	f := New()
	if err := f.Validating(); err != nil {
		tb.Fatalf("freeefake: %v", err)
	}
	if err := f.Listen("127.0.0.1:0"); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = f.Close()
		for _, e := range f.ValidationErrors() {
			tb.Errorf("freeefake: request broke freee's schema: %s", e)
		}
	})
	return f
}

// AllowRedirectURIs registers the callback URLs the consent page accepts,
// as a freee app's settings do; with none registered it accepts any http(s)
// URL whose path ends in /integrations/freee/callback.
func (f *Fake) AllowRedirectURIs(uris ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.redirectURIs = append(f.redirectURIs, uris...)
}

// AddCompany adds (or replaces) a company.
func (f *Fake) AddCompany(c Company) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.companies[c.ID] = &c
}

// Tokens issues a fresh access and refresh token for company.
func (f *Fake) Tokens(company int64) (access, refresh string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.issueLocked(company)
}

func (f *Fake) issueLocked(company int64) (string, string) {
	a, r := "acc-"+randHex(), "ref-"+randHex()
	f.access[a] = accessToken{company: company}
	f.refresh[r] = company
	return a, r
}

// AuthorizationCode issues a one-time authorization code for company,
// bound to redirectURI, as freee's consent screen would.
func (f *Fake) AuthorizationCode(company int64, redirectURI string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	code := "code-" + randHex()
	f.codes[code] = grantCode{company: company, redirectURI: redirectURI}
	return code
}

// ExpireAccessTokens makes every access token issued so far answer 401, as
// freee's do after six hours.
func (f *Fake) ExpireAccessTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, v := range f.access {
		v.expired = true
		f.access[k] = v
	}
}

// RefreshTokenValid reports whether refresh is still unused.
func (f *Fake) RefreshTokenValid(refresh string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.refresh[refresh]
	return ok
}

// Inject queues faults; each hits the next request it matches, once.
func (f *Fake) Inject(faults ...Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, faults...)
}

// OnDealPosted calls fn with each deal the fake stores from a POST, after
// storing it and before answering (an end-to-end test may kill the worker
// there). fn may call the fake.
func (f *Fake) OnDealPosted(fn func(Deal)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.onPosted = fn
}

// AddDeal stores a deal as if someone had entered it in freee (ids are
// assigned) and returns it.
func (f *Fake) AddDeal(d Deal) Deal {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	d.ID = f.nextID
	for i := range d.Details {
		f.nextID++
		d.Details[i].ID = f.nextID
	}
	for i := range d.Payments {
		f.nextID++
		d.Payments[i].ID = f.nextID
	}
	c := copyDeal(&d)
	f.deals = append(f.deals, &c)
	return copyDeal(&c)
}

// Deals returns the company's deals, oldest first.
func (f *Fake) Deals(company int64) []Deal {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Deal
	for _, d := range f.deals {
		if d.CompanyID == company {
			out = append(out, copyDeal(d))
		}
	}
	return out
}

// Requests returns every request received, in order.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.requests...)
}

// Count is how many requests started with "METHOD /path" prefix.
func (f *Fake) Count(prefix string) int {
	n := 0
	for _, r := range f.Requests() {
		if strings.HasPrefix(r.Method+" "+r.Path, prefix) {
			n++
		}
	}
	return n
}

// ValidationErrors returns the schema violations seen so far.
func (f *Fake) ValidationErrors() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.invalid...)
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	f.mu.Lock()
	logged := string(body)
	if r.URL.Path == tokenPath || r.URL.Path == authorizePath {
		logged = "" // holds secrets
	}
	f.requests = append(f.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: logged})
	fault, faulted := f.takeFaultLocked(r.Method + " " + r.URL.Path)
	f.mu.Unlock()

	if faulted && !fault.AfterHandling {
		f.answerFault(w, r, fault)
		return
	}
	if r.URL.Path == tokenPath {
		f.token(w, r)
		return
	}
	if r.URL.Path == authorizePath {
		f.authorize(w, r)
		return
	}
	if c, cerr := loadContract(); cerr != nil {
		// New without the schema (make run on a machine without it).
	} else if err := c.validate(r.Context(), r); err != nil {
		f.mu.Lock()
		f.invalid = append(f.invalid, err.Error())
		f.mu.Unlock()
		badRequest(w, "リクエストの形式が不正です。")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if faulted {
		// Handle for real, then drop the connection unanswered.
		f.api(httptest.NewRecorder(), r)
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
			}
		}
		return
	}
	f.api(w, r)
}

func (f *Fake) takeFaultLocked(call string) (Fault, bool) {
	for i, ft := range f.faults {
		if strings.HasPrefix(call, ft.Match) {
			f.faults = append(f.faults[:i], f.faults[i+1:]...)
			return ft, true
		}
	}
	return Fault{}, false
}

func (f *Fake) answerFault(w http.ResponseWriter, r *http.Request, ft Fault) {
	if ft.Hang {
		select {
		case <-r.Context().Done():
		case <-f.stop:
		}
		return
	}
	if ft.RetryAfter != "" {
		w.Header().Set("Retry-After", ft.RetryAfter)
	}
	switch {
	case ft.Status == http.StatusTooManyRequests:
		writeJSON(w, ft.Status, map[string]any{"status_code": 429,
			"meta": map[string]any{"limit": 300, "remaining": 0, "reset": f.now().Add(time.Minute).Format(time.RFC3339)}})
	case ft.Status == http.StatusForbidden && ft.RateLimit:
		w.Header().Set("X-RateLimit-Limit", "3600")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", f.now().Add(30*time.Second).Format(time.RFC3339))
		writeJSON(w, ft.Status, map[string]any{"status_code": 403,
			"errors": []any{map[string]any{"type": "status", "messages": []string{"API利用制限に達しました。"}}}})
	case ft.Status == http.StatusBadRequest:
		badRequest(w, ft.Message)
	default:
		writeJSON(w, ft.Status, map[string]any{"status_code": ft.Status,
			"errors": []any{map[string]any{"type": "status", "messages": []string{"エラーが発生しました。"}}}})
	}
}

func randHex() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

func copyDeal(d *Deal) Deal {
	c := *d
	c.Details = append([]Detail(nil), d.Details...)
	c.Payments = append([]Payment(nil), d.Payments...)
	return c
}
