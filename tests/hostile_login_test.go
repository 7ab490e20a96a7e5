package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/dynamo"
	"github.com/renkei-pos/renkei/shared/dynamolocal"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/stack"
)

// The log-in policy over HTTP (docs/api.md, Log-in policy): guesses are
// counted before the password is checked, so concurrency cannot overrun a
// limit, and no attacker can lock the real owner out.

// clientFrom is an HTTP client whose connections leave from ip. Every
// 127.0.0.0/8 address reaches the loopback listener (Linux), so the server
// sees distinct client addresses in RemoteAddr without trusting any header.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 64}, Timeout: time.Minute}
}

// gqlAt sends a query to url through client as token ("" for none).
func gqlAt(tb testing.TB, client *http.Client, url, token, query string, vars map[string]any) gqlResponse {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(tb.Context(), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := client.Do(req)
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

const logInMutation = `mutation($in: LogInInput!) { logIn(input: $in) { accessToken refreshToken retryAfterSeconds userErrors { code message } } }`

// logInVerdict is one log-in's outcome: OK, BAD_CREDENTIALS or RATE_LIMITED
// (with the retry-after the server asked for).
type logInVerdict struct {
	code       string // "" on success
	retryAfter time.Duration
	access     string
}

func logInAt(tb testing.TB, client *http.Client, url, email, password string) logInVerdict {
	tb.Helper()
	r := gqlAt(tb, client, url, "", logInMutation, map[string]any{"in": map[string]any{"email": email, "password": password}})
	if len(r.Errors) > 0 {
		tb.Fatalf("logIn: top-level errors %+v", r.Errors)
	}
	codes := userErrorCodes(tb, r.Data, "logIn")
	if len(codes) == 0 {
		return logInVerdict{access: str(tb, r.Data, "logIn.accessToken")}
	}
	v := logInVerdict{code: codes[0]}
	secs, hasRetry := field(tb, r.Data, "logIn.retryAfterSeconds").(float64)
	if (v.code == "RATE_LIMITED") != hasRetry {
		tb.Fatalf("logIn %s with retryAfterSeconds %v", v.code, field(tb, r.Data, "logIn.retryAfterSeconds"))
	}
	v.retryAfter = time.Duration(secs) * time.Second
	return v
}

// concurrentLogIns sends one wrong-password log-in per client at once and
// counts the outcomes by code.
func concurrentLogIns(tb testing.TB, url, email string, clients []*http.Client) map[string]int {
	tb.Helper()
	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			v := logInAt(tb, c, url, email, "not the password")
			mu.Lock()
			got[v.code]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return got
}

// clearOfWindowEdge waits, if need be, until the counting window has at
// least margin left, so the attempts that follow are counted in one window.
func clearOfWindowEdge(window, margin time.Duration) {
	if left := window - time.Duration(time.Now().UnixNano())%window; left < margin {
		time.Sleep(left)
	}
}

func TestHostileLogIn_ConcurrentGuesses(t *testing.T) {
	p := identity.DefaultLoginPolicy
	clearOfWindowEdge(p.Window, 10*time.Second)
	t.Run("one address: at most the pair limit gets a verdict", func(t *testing.T) {
		m := signUp(t, "Guessed")
		attacker := clientFrom("127.0.0.2")
		clients := make([]*http.Client, 30)
		for i := range clients {
			clients[i] = attacker
		}
		got := concurrentLogIns(t, apiURL, m.email, clients)
		if got["BAD_CREDENTIALS"] > p.MaxPerPair || got["BAD_CREDENTIALS"]+got["RATE_LIMITED"] != 30 {
			t.Fatalf("30 concurrent guesses: %v; want at most %d BAD_CREDENTIALS, the rest RATE_LIMITED", got, p.MaxPerPair)
		}
	})
	t.Run("thirty addresses: at most the email's free attempts and one delayed", func(t *testing.T) {
		m := signUp(t, "Botnet")
		clients := make([]*http.Client, 30)
		for i := range clients {
			clients[i] = clientFrom(fmt.Sprintf("127.0.1.%d", i+1))
		}
		got := concurrentLogIns(t, apiURL, m.email, clients)
		if got["BAD_CREDENTIALS"] > p.FreePerEmail+1 || got["BAD_CREDENTIALS"]+got["RATE_LIMITED"] != 30 {
			t.Fatalf("30 concurrent guesses from 30 addresses: %v; want at most %d BAD_CREDENTIALS, the rest RATE_LIMITED", got, p.FreePerEmail+1)
		}
		// The owner is delayed, not locked out.
		v := logInAt(t, clientFrom("127.0.0.1"), apiURL, m.email, testPassword)
		if v.code == "RATE_LIMITED" && v.retryAfter > p.EmailDelayCap {
			t.Fatalf("owner asked to wait %v, more than the cap %v", v.retryAfter, p.EmailDelayCap)
		}
	})
}

// tunedStack serves two API instances with a test identity config (short
// delays and session-check TTL) on one table of a DynamoDB Local of their
// own, and returns their GraphQL URLs. (The shared stack keeps production's
// numbers; the SQS emulator runs once per process, and these tests need none.)
func tunedStack(tb testing.TB, cfg identity.Config) (url, otherURL string) {
	tb.Helper()
	db := dynamolocal.MustStart(tb)
	client, err := dynamolocal.NewClient(tb.Context(), db.Endpoint())
	if err != nil {
		tb.Fatal(err)
	}
	if err := dynamo.New(client, "renkei").EnsureTable(tb.Context()); err != nil {
		tb.Fatal(err)
	}
	rates := stack.Rates{Public: 1000, PublicBurst: 1000, Tenant: 1000, TenantBurst: 1000}
	var urls []string
	for range 2 {
		h, err := stack.NewAPI(stack.APIConfig{DynamoDB: client, Table: "renkei", JWTSecret: testJWTSecret, Rates: rates, Identity: cfg,
			Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
		if err != nil {
			tb.Fatal(err)
		}
		srv := httptest.NewServer(h)
		tb.Cleanup(srv.Close)
		urls = append(urls, srv.URL+"/graphql")
	}
	return urls[0], urls[1]
}

func TestHostileLogIn_NoLockOut(t *testing.T) {
	policy := identity.LoginPolicy{Window: time.Hour, MaxPerPair: 5, FreePerEmail: 3, EmailDelayBase: 250 * time.Millisecond, EmailDelayCap: time.Second}
	url, _ := tunedStack(t, identity.Config{Login: policy})
	clearOfWindowEdge(policy.Window, 30*time.Second)
	email := signUpAt(t, url, "Locked").email

	// Attacker at A guesses until the pair budget is spent, waiting out the
	// email's (short) delays: exactly MaxPerPair guesses are checked.
	a := clientFrom("127.0.0.2")
	verdicts := 0
	for i := 0; ; i++ {
		if i > 50 {
			t.Fatal("the pair limit never refused the attacker")
		}
		v := logInAt(t, a, url, email, "guess")
		if v.code == "BAD_CREDENTIALS" {
			verdicts++
			continue
		}
		if v.code != "RATE_LIMITED" {
			t.Fatalf("guess %d: %+v", i, v)
		}
		if v.retryAfter > policy.EmailDelayCap {
			break // the pair's budget is spent until the window ends
		}
		time.Sleep(v.retryAfter)
	}
	if verdicts != policy.MaxPerPair {
		t.Fatalf("the attacker had %d guesses checked, want %d", verdicts, policy.MaxPerPair)
	}
	if v := logInAt(t, a, url, email, testPassword); v.code != "RATE_LIMITED" {
		t.Fatalf("the right password from the exhausted pair: %+v", v)
	}
	// Two more attacker addresses push the email's delay to its cap.
	for _, ip := range []string{"127.0.0.3", "127.0.0.4"} {
		c := clientFrom(ip)
		for i := 0; i < 5; i++ {
			logInAt(t, c, url, email, "guess")
		}
	}

	// The owner, from B, gets in after at most the cap.
	b := clientFrom("127.0.0.9")
	waited := time.Duration(0)
	for attempt := 1; ; attempt++ {
		v := logInAt(t, b, url, email, testPassword)
		if v.code == "" {
			if v.access == "" {
				t.Fatal("logged in without an access token")
			}
			break
		}
		if v.code != "RATE_LIMITED" || v.retryAfter > policy.EmailDelayCap || attempt > 3 {
			t.Fatalf("owner attempt %d: %+v (waited %v so far)", attempt, v, waited)
		}
		time.Sleep(v.retryAfter)
		waited += v.retryAfter
	}
	if waited > policy.EmailDelayCap {
		t.Fatalf("the owner waited %v, more than the cap %v", waited, policy.EmailDelayCap)
	}
}
