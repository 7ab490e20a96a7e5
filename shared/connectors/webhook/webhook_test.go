package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/connectors/webhook"
	"github.com/renkei-pos/renkei/shared/connectors/webhook/webhooktest"
	"github.com/renkei-pos/renkei/shared/integrations"
)

// fakeDNS answers from a table; an unknown name does not exist.
type fakeDNS map[string][]string

func (f fakeDNS) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	ss, ok := f[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out, nil
}

var dns = fakeDNS{
	"hooks.example.com": {"93.184.216.34"},
	"v6.example.com":    {"2606:2800:220:1:248:1893:25c6:1946"},
	"internal.example":  {"10.0.0.5"},
	"mixed.example":     {"93.184.216.34", "192.168.1.10"},
	"metadata.example":  {"169.254.169.254"},
	"rebind.example":    {"127.0.0.1"},
}

func newConnector(tb testing.TB, opts webhook.Options) *webhook.Connector {
	tb.Helper()
	if opts.Resolver == nil {
		opts.Resolver = dns
	}
	return webhook.New(opts)
}

func connect(tb testing.TB, c *webhook.Connector, settings string, local bool) (integrations.Connection, error) {
	tb.Helper()
	return c.Connect(context.Background(), integrations.ConnectRequest{TenantID: "ten_1", IntegrationID: "int_1", Name: "erp", Settings: json.RawMessage(settings), Local: local})
}

// wantInvalid checks err is one INVALID naming field (a path under input.settings).
func wantInvalid(tb testing.TB, err error, field ...string) {
	tb.Helper()
	l, ok := apperr.Expected(err)
	if !ok || len(l) == 0 {
		tb.Fatalf("want INVALID %v, got %v", field, err)
	}
	want := append([]string{"input", "settings"}, field...)
	for _, e := range l {
		if e.Code == apperr.Invalid && slices.Equal(e.Field, want) {
			return
		}
	}
	tb.Fatalf("want INVALID at %v, got %v", want, err)
}

func TestConnector_ConnectSettings(t *testing.T) {
	c := newConnector(t, webhook.Options{})
	cases := []struct {
		name     string
		settings string
		field    []string
	}{
		{"unknown key", `{"url":"https://hooks.example.com/x","events":["order.completed"],"secret":"mine"}`, []string{"secret"}},
		{"unknown event", `{"url":"https://hooks.example.com/x","events":["order.completed","order.deleted"]}`, []string{"events", "1"}},
		{"internal event", `{"url":"https://hooks.example.com/x","events":["renkei.sync"]}`, []string{"events", "0"}},
		{"duplicate event", `{"url":"https://hooks.example.com/x","events":["order.completed","order.completed"]}`, []string{"events", "1"}},
		{"no events", `{"url":"https://hooks.example.com/x","events":[]}`, []string{"events"}},
		{"events missing", `{"url":"https://hooks.example.com/x"}`, []string{"events"}},
		{"events not a list", `{"url":"https://hooks.example.com/x","events":"order.completed"}`, []string{"events"}},
		{"url missing", `{"events":["order.completed"]}`, []string{"url"}},
		{"url not a string", `{"url":42,"events":["order.completed"]}`, []string{"url"}},
		{"url relative", `{"url":"/hooks","events":["order.completed"]}`, []string{"url"}},
		{"url too long", `{"url":"https://hooks.example.com/` + strings.Repeat("a", 2048) + `","events":["order.completed"]}`, []string{"url"}},
		{"url with userinfo", `{"url":"https://user:pw@hooks.example.com/x","events":["order.completed"]}`, []string{"url"}},
		{"url with fragment", `{"url":"https://hooks.example.com/x#frag","events":["order.completed"]}`, []string{"url"}},
		{"url ftp", `{"url":"ftp://hooks.example.com/x","events":["order.completed"]}`, []string{"url"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := connect(t, c, tc.settings, false)
			wantInvalid(t, err, tc.field...)
			if strings.Contains(err.Error(), "pw@") {
				t.Fatalf("the error repeats the URL's credentials: %v", err)
			}
		})
	}
	t.Run("every error at once", func(t *testing.T) {
		_, err := connect(t, c, `{"url":"http://hooks.example.com","events":["nope"],"extra":1}`, false)
		l, _ := apperr.Expected(err)
		if len(l) != 3 {
			t.Fatalf("want 3 errors (extra, url, events.0), got %v", err)
		}
	})
}

func TestConnector_ConnectSecret(t *testing.T) {
	c := newConnector(t, webhook.Options{})
	conn, err := connect(t, c, `{"url":"https://hooks.example.com/renkei?k=1","events":["order.completed","customer.created"]}`, false)
	if err != nil {
		t.Fatal(err)
	}
	s := conn.SigningSecret
	if !strings.HasPrefix(s, "whsec_") || len(s) != len("whsec_")+64 {
		t.Fatalf("signing secret %q: want whsec_ and 64 hex digits", s)
	}
	if _, err := hex.DecodeString(strings.TrimPrefix(s, "whsec_")); err != nil {
		t.Fatalf("signing secret not hex: %v", err)
	}
	if got, want := string(conn.Settings), `{"url":"https://hooks.example.com/renkei?k=1","events":["order.completed","customer.created"]}`; got != want {
		t.Fatalf("public settings %s, want %s", got, want)
	}
	if strings.Contains(string(conn.Settings), s) {
		t.Fatal("the public settings hold the secret")
	}
	var sec map[string]string
	if err := json.Unmarshal(conn.Secrets, &sec); err != nil || sec["signingSecret"] != s {
		t.Fatalf("secrets %s do not hold the signing secret", conn.Secrets)
	}
	again, err := connect(t, c, `{"url":"https://hooks.example.com/renkei","events":["order.completed"]}`, false)
	if err != nil || again.SigningSecret == s {
		t.Fatalf("a second connection must get its own secret (err %v)", err)
	}
}

// TestConnector_ConnectSSRF: in production the URL must be https and every
// address of its host public; local mode allows http and loopback.
func TestConnector_ConnectSSRF(t *testing.T) {
	c := newConnector(t, webhook.Options{})
	refused := []string{
		"http://hooks.example.com/x",                // not https
		"https://127.0.0.1/x",                       // loopback
		"https://localhost/x",                       // does not resolve (fake DNS) — a name, never trusted
		"https://[::1]/x",                           // IPv6 loopback
		"https://10.1.2.3/x",                        // private
		"https://172.16.0.1/x",                      // private
		"https://172.31.255.255/x",                  // private
		"https://192.168.0.1/x",                     // private
		"https://169.254.169.254/latest/meta-data/", // instance metadata
		"https://100.64.0.1/x",                      // CGNAT
		"https://0.0.0.0/x",                         // this network
		"https://224.0.0.1/x",                       // multicast
		"https://240.0.0.1/x",                       // reserved
		"https://255.255.255.255/x",                 // broadcast
		"https://198.18.0.1/x",                      // benchmarking
		"https://192.0.2.1/x",                       // documentation
		"https://[fc00::1]/x",                       // unique local
		"https://[fd12:3456::1]/x",                  // unique local
		"https://[fe80::1]/x",                       // link-local
		"https://[::ffff:10.0.0.1]/x",               // IPv4-mapped private
		"https://[::ffff:127.0.0.1]/x",
		"https://[64:ff9b::a00:1]/x",  // NAT64 of 10.0.0.1
		"https://[64:ff9b::7f00:1]/x", // NAT64 of 127.0.0.1
		"https://[2002:a00:1::1]/x",   // 6to4 of 10.0.0.1
		"https://[ff02::1]/x",         // multicast
		"https://internal.example/x",  // a name for a private address
		"https://mixed.example/x",     // one public, one private address
		"https://metadata.example/x",  // a name for the metadata address
		"https://2130706433/x",        // 127.0.0.1 as a number: not an address, and no such name
	}
	for _, u := range refused {
		t.Run("production refuses "+u, func(t *testing.T) {
			_, err := connect(t, c, fmt.Sprintf(`{"url":%q,"events":["order.completed"]}`, u), false)
			wantInvalid(t, err, "url")
		})
	}
	allowed := []string{
		"https://hooks.example.com/x",
		"https://hooks.example.com:8443/x?token=abc",
		"https://v6.example.com/x",
		"https://93.184.216.34/x",
		"https://[64:ff9b::5db8:d822]/x", // NAT64 of a public address
	}
	for _, u := range allowed {
		t.Run("production allows "+u, func(t *testing.T) {
			if _, err := connect(t, c, fmt.Sprintf(`{"url":%q,"events":["order.completed"]}`, u), false); err != nil {
				t.Fatal(err)
			}
		})
	}
	for _, u := range []string{"http://127.0.0.1:8080/x", "http://localhost:9000/x", "https://[::1]/x", "http://10.0.0.5/x"} {
		t.Run("local mode allows "+u, func(t *testing.T) {
			if _, err := connect(t, c, fmt.Sprintf(`{"url":%q,"events":["order.completed"]}`, u), true); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("a lookup failure is UNAVAILABLE, not the merchant's fault", func(t *testing.T) {
		c := newConnector(t, webhook.Options{Resolver: failingDNS{}})
		_, err := connect(t, c, `{"url":"https://hooks.example.com/x","events":["order.completed"]}`, false)
		if apperr.CodeOf(err) != apperr.Unavailable {
			t.Fatalf("want UNAVAILABLE, got %v", err)
		}
	})
}

type failingDNS struct{}

func (failingDNS) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return nil, &net.DNSError{Err: "server misbehaving", IsTemporary: true}
}

func TestPublic(t *testing.T) {
	for s, want := range map[string]bool{
		"93.184.216.34": true, "8.8.8.8": true, "2606:4700::1111": true, "64:ff9b::808:808": true,
		"127.0.0.1": false, "10.0.0.1": false, "172.16.5.4": false, "192.168.1.1": false, "169.254.169.254": false,
		"100.64.0.1": false, "100.127.255.255": false, "0.1.2.3": false, "198.19.255.255": false, "224.0.0.251": false,
		"::": false, "::1": false, "fc00::1": false, "fe80::1": false, "fe80::1%eth0": false, "::ffff:192.168.0.1": false,
		"64:ff9b::c0a8:1": false, "2001:db8::1": false, "2001:0:4136:e378:8000:63bf:3fff:fdd2": false,
	} {
		if got := webhook.Public(netip.MustParseAddr(s)); got != want {
			t.Errorf("Public(%s) = %v, want %v", s, got, want)
		}
	}
}

func TestConnector_Plan(t *testing.T) {
	c := newConnector(t, webhook.Options{})
	in := integrations.Integration{ID: "int_1", TenantID: "ten_1", Provider: integrations.Webhook,
		Settings: json.RawMessage(`{"url":"https://hooks.example.com/x","events":["order.completed","inventory.changed"]}`)}
	ev := integrations.Event{ID: "evt_1", Type: "order.completed", TenantID: "ten_1", CreatedAt: time.Now(), Data: json.RawMessage(`{}`)}
	specs, err := c.Plan(ev, in)
	if err != nil || len(specs) != 1 || specs[0].Kind != integrations.KindDeliverEvent || specs[0].Key != "evt_1" || specs[0].Event.ID != "evt_1" {
		t.Fatalf("subscribed event: %+v, %v", specs, err)
	}
	for name, e := range map[string]integrations.Event{
		"not subscribed":   {ID: "evt_2", Type: "order.refunded", TenantID: "ten_1"},
		"internal":         {ID: "evt_3", Type: integrations.EventShopifyOrder, TenantID: "ten_1", IntegrationID: "int_1"},
		"another tenant's": {ID: "evt_4", Type: "order.completed", TenantID: "ten_2"},
	} {
		if specs, err := c.Plan(e, in); err != nil || len(specs) != 0 {
			t.Errorf("%s: %+v, %v", name, specs, err)
		}
	}
	gone := in
	gone.Disconnected = true
	if specs, _ := c.Plan(ev, gone); len(specs) != 0 {
		t.Errorf("a disconnected webhook planned %+v", specs)
	}
	if specs, err := c.Sync(context.Background(), integrations.Config{Integration: in}); err != nil || len(specs) != 0 {
		t.Errorf("Sync: %+v, %v", specs, err)
	}
}

// delivery is a connected webhook (local mode) and a job for it.
func delivery(tb testing.TB, c *webhook.Connector, url string, local bool) (integrations.Config, integrations.Job) {
	tb.Helper()
	conn, err := connect(tb, c, fmt.Sprintf(`{"url":%q,"events":["order.completed"]}`, url), local)
	if err != nil {
		tb.Fatal(err)
	}
	in := integrations.Integration{ID: "int_1", TenantID: "ten_1", Provider: integrations.Webhook, Settings: conn.Settings}
	ev := integrations.Event{ID: "evt_0123", Type: "order.completed", TenantID: "ten_1",
		CreatedAt: time.Date(2026, 11, 30, 16, 4, 5, 123_000_000, time.FixedZone("JST", 9*3600)),
		Data:      json.RawMessage(`{"orderId": "ord_1", "total": {"amount": 1100, "currency": "JPY"}, "note": "<&>"}`)}
	job := integrations.Job{ID: "job_1", TenantID: "ten_1", IntegrationID: "int_1", Provider: integrations.Webhook, Kind: integrations.KindDeliverEvent, Key: ev.ID, Event: ev}
	return integrations.Config{Integration: in, Secrets: conn.Secrets, Local: local}, job
}

func TestConnector_RunSigned(t *testing.T) {
	now := time.Unix(1_796_000_000, 0)
	c := newConnector(t, webhook.Options{Now: func() time.Time { return now }})
	rcv := webhooktest.New(t, "")
	cfg, job := delivery(t, c, rcv.URL(), true)
	var sec struct{ SigningSecret string }
	_ = json.Unmarshal(cfg.Secrets, &sec)
	rcv.SetSecret(sec.SigningSecret)
	// The receiver verifies with its own clock: sign with the real time.
	c = newConnector(t, webhook.Options{})
	if err := c.Run(context.Background(), cfg, job); err != nil {
		t.Fatal(err)
	}
	d := rcv.Wait(t, 5*time.Second)
	wantBody := `{"id":"evt_0123","type":"order.completed","createdAt":"2026-11-30T07:04:05.123Z","tenantId":"ten_1","data":{"orderId":"ord_1","total":{"amount":1100,"currency":"JPY"},"note":"<&>"}}`
	if string(d.Body) != wantBody {
		t.Fatalf("body\n%s\nwant\n%s", d.Body, wantBody)
	}
	for h, want := range map[string]string{"Content-Type": "application/json", "User-Agent": "renkei-webhooks/1",
		"Renkei-Event-Id": "evt_0123", "Renkei-Event-Type": "order.completed"} {
		if got := d.Header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	// Recompute the signature from its definition, not with the package.
	sig := d.Header.Get("Renkei-Signature")
	ts, v1, ok := strings.Cut(sig, ",")
	ts, v1 = strings.TrimPrefix(ts, "t="), strings.TrimPrefix(v1, "v1=")
	m := hmac.New(sha256.New, []byte(sec.SigningSecret))
	m.Write([]byte(ts + "." + wantBody))
	if !ok || v1 != hex.EncodeToString(m.Sum(nil)) {
		t.Fatalf("Renkei-Signature %q is not t=<ts>,v1=hex(HMAC-SHA256(secret, ts.body))", sig)
	}
	if rcv.Rejected() != 0 {
		t.Fatalf("the receiver rejected %d requests", rcv.Rejected())
	}
}

func TestConnector_RunFailures(t *testing.T) {
	c := newConnector(t, webhook.Options{Timeout: 300 * time.Millisecond})
	rcv := webhooktest.New(t, "")
	cfg, job := delivery(t, c, rcv.URL(), true)
	var sec struct{ SigningSecret string }
	_ = json.Unmarshal(cfg.Secrets, &sec)
	rcv.SetSecret(sec.SigningSecret)
	cases := []struct {
		name      string
		fault     webhooktest.Fault
		msg       string
		notInMsg  string
		retryWait time.Duration
	}{
		{"500 is retried", webhooktest.Fault{Status: 500, Body: "boom\x00\n\tstack trace at line 12"}, "endpoint answered 500: boom? stack trace at line 12", "", 0},
		{"400 is retried", webhooktest.Fault{Status: 400}, "endpoint answered 400", "", 0},
		{"429 with Retry-After", webhooktest.Fault{Status: 429, RetryAfter: "120"}, "endpoint answered 429", "", 2 * time.Minute},
		{"503 with Retry-After", webhooktest.Fault{Status: 503, RetryAfter: "30"}, "endpoint answered 503", "", 30 * time.Second},
		{"503 without Retry-After", webhooktest.Fault{Status: 503}, "endpoint answered 503", "", 0},
		{"Retry-After capped", webhooktest.Fault{Status: 429, RetryAfter: "999999"}, "endpoint answered 429", "", time.Hour},
		{"a long answer is cut", webhooktest.Fault{Status: 502, Body: strings.Repeat("x", 100<<10)}, "endpoint answered 502: xxx", strings.Repeat("x", 100), 0},
		{"a hang times out", webhooktest.Fault{Hang: true}, "endpoint did not answer within 300ms", "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rcv.Inject(tc.fault)
			err := c.Run(context.Background(), cfg, job)
			if err == nil || integrations.IsPermanent(err) {
				t.Fatalf("want a retryable error, got %v", err)
			}
			if !strings.HasPrefix(err.Error(), tc.msg) || (tc.notInMsg != "" && strings.Contains(err.Error(), tc.notInMsg)) {
				t.Fatalf("error %q, want it to start with %q", err, tc.msg)
			}
			if got := integrations.RetryDelayOf(err); got != tc.retryWait {
				t.Fatalf("retry after %s, want %s", got, tc.retryWait)
			}
		})
	}
	t.Run("the endpoint is down", func(t *testing.T) {
		dead := httptest.NewServer(http.NotFoundHandler())
		dead.Close()
		cfg, job := delivery(t, c, dead.URL, true)
		err := c.Run(context.Background(), cfg, job)
		if err == nil || integrations.IsPermanent(err) || err.Error() != "the endpoint refused the connection" {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("a missing secret is permanent", func(t *testing.T) {
		bad := cfg
		bad.Secrets = nil
		if err := c.Run(context.Background(), bad, job); !integrations.IsPermanent(err) {
			t.Fatalf("got %v", err)
		}
	})
}

// TestConnector_RunRedirect: a 3xx is a failed delivery; its Location is
// never requested.
func TestConnector_RunRedirect(t *testing.T) {
	followed := make(chan struct{}, 1)
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { followed <- struct{}{} }))
	defer target.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/elsewhere", http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	c := newConnector(t, webhook.Options{})
	cfg, job := delivery(t, c, redirector.URL, true)
	err := c.Run(context.Background(), cfg, job)
	if err == nil || integrations.IsPermanent(err) || !strings.HasPrefix(err.Error(), "endpoint answered 307") {
		t.Fatalf("got %v", err)
	}
	select {
	case <-followed:
		t.Fatal("the redirect was followed")
	default:
	}
}

// TestConnector_RunDialTimeRefusal: a host whose name pointed at a public
// address when the webhook was connected and at loopback when it is
// delivered (DNS rebinding) is refused at dial time in production, and no
// connection reaches the loopback listener.
func TestConnector_RunDialTimeRefusal(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- struct{}{}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	rebinding := &flipDNS{first: "93.184.216.34", then: "127.0.0.1"}
	c := newConnector(t, webhook.Options{Resolver: rebinding})
	cfg, job := delivery(t, c, fmt.Sprintf("https://rebind.example:%d/hook", port), false)
	for _, tc := range []struct {
		name string
		cfg  integrations.Config
	}{
		{"a name that now resolves to loopback", cfg},
		{"a stored loopback literal", withURL(cfg, fmt.Sprintf("https://127.0.0.1:%d/hook", port))},
		{"a stored IPv4-mapped loopback literal", withURL(cfg, fmt.Sprintf("https://[::ffff:127.0.0.1]:%d/hook", port))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.Run(context.Background(), tc.cfg, job)
			if err == nil || !strings.Contains(err.Error(), "not public") {
				t.Fatalf("want a refusal naming a non-public address, got %v", err)
			}
		})
	}
	select {
	case <-accepted:
		t.Fatal("a production delivery connected to loopback")
	case <-time.After(50 * time.Millisecond):
	}
}

func withURL(cfg integrations.Config, u string) integrations.Config {
	cfg.Integration.Settings = json.RawMessage(fmt.Sprintf(`{"url":%q,"events":["order.completed"]}`, u))
	return cfg
}

// flipDNS answers first once, then `then` for ever.
type flipDNS struct {
	first, then string
	asked       bool
}

func (f *flipDNS) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	a := f.then
	if !f.asked {
		a, f.asked = f.first, true
	}
	return []netip.Addr{netip.MustParseAddr(a)}, nil
}

func TestVerify(t *testing.T) {
	secret := "whsec_test"
	body := []byte(`{"id":"evt_1"}`)
	now := time.Unix(1_796_000_000, 0)
	good := webhook.Sign(secret, now, body)
	other := webhook.Sign("whsec_other", now, body)
	cases := []struct {
		name   string
		secret string
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{"good", secret, good, body, now, nil},
		{"good, 4 minutes later", secret, good, body, now.Add(4 * time.Minute), nil},
		{"rotating: one of two v1", secret, other + "," + strings.Split(good, ",")[1], body, now, nil},
		{"unknown scheme ignored", secret, good + ",v0=abc", body, now, nil},
		{"wrong secret", "whsec_other2", good, body, now, webhook.ErrBadSignature},
		{"tampered body", secret, good, []byte(`{"id":"evt_2"}`), now, webhook.ErrBadSignature},
		{"too old", secret, good, body, now.Add(6 * time.Minute), webhook.ErrTooOld},
		{"from the future", secret, good, body, now.Add(-6 * time.Minute), webhook.ErrTooOld},
		{"no header", secret, "", body, now, webhook.ErrNoSignature},
		{"no timestamp", secret, strings.Split(good, ",")[1], body, now, webhook.ErrBadHeader},
		{"no v1", secret, strings.Split(good, ",")[0], body, now, webhook.ErrBadHeader},
		{"short v1", secret, strings.Split(good, ",")[0] + ",v1=abcd", body, now, webhook.ErrBadHeader},
		{"garbage", secret, "nonsense", body, now, webhook.ErrBadHeader},
		{"two timestamps", secret, good + ",t=1", body, now, webhook.ErrBadHeader},
		{"signed timestamp", secret, "t=+" + strings.TrimPrefix(good, "t="), body, now, webhook.ErrBadHeader},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := webhook.Verify(tc.secret, tc.header, tc.body, tc.now, 5*time.Minute); !errors.Is(err, tc.want) {
				t.Fatalf("Verify: %v, want %v", err, tc.want)
			}
		})
	}
}
