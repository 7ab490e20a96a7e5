package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/integrations"
)

// Events are the event types an integration may subscribe to.
var Events = []string{
	integrations.EventOrderCompleted,
	integrations.EventOrderRefunded,
	integrations.EventInventoryChanged,
	integrations.EventRegisterClosed,
	integrations.EventCustomerCreated,
	integrations.EventTimecardClosed,
	integrations.EventGiftCardActivity,
}

// Limits and defaults.
const (
	// MaxURLLen bounds the endpoint URL.
	MaxURLLen = 2048
	// DefaultTimeout bounds one delivery: connect, send, the endpoint's
	// answer.
	DefaultTimeout = 10 * time.Second
	// MaxResponseBytes is how much of an answer is read (then discarded).
	MaxResponseBytes = 64 << 10
	// MaxRetryAfter caps an endpoint's Retry-After.
	MaxRetryAfter = time.Hour
	// SecretPrefix starts every signing secret.
	SecretPrefix = "whsec_"
	// UserAgent is sent with every delivery.
	UserAgent = "renkei-webhooks/1"
)

// Options are a Connector's dependencies; zero values take the defaults.
type Options struct {
	// Resolver looks endpoint hosts up (default net.DefaultResolver).
	Resolver Resolver
	// Timeout bounds one delivery (default DefaultTimeout).
	Timeout time.Duration
	// Now is the clock of the signature's timestamp (default time.Now).
	Now func() time.Time
	// Rand is the signing secrets' randomness (default crypto/rand).
	Rand io.Reader
}

// Connector is the WEBHOOK connector.
type Connector struct {
	resolver Resolver
	timeout  time.Duration
	now      func() time.Time
	rand     io.Reader
	// Production deliveries go through a client whose dialer reaches only
	// public addresses; local mode's client reaches anything.
	public, local *http.Client
}

var _ integrations.Connector = (*Connector)(nil)

// New returns a connector.
func New(o Options) *Connector {
	c := &Connector{resolver: o.Resolver, timeout: o.Timeout, now: o.Now, rand: o.Rand}
	if c.resolver == nil {
		c.resolver = net.DefaultResolver
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.rand == nil {
		c.rand = rand.Reader
	}
	c.public = c.client(false)
	c.local = c.client(true)
	return c
}

// client builds a delivery client: no proxy (a proxy would dial for us,
// unvetted), no redirects (a 3xx is answered as it is), a bounded time.
func (c *Connector) client(local bool) *http.Client {
	d := &dialer{resolver: c.resolver, timeout: c.timeout, local: local}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                  nil,
			DialContext:            d.DialContext,
			ForceAttemptHTTP2:      true,
			MaxIdleConns:           100,
			MaxIdleConnsPerHost:    4,
			IdleConnTimeout:        90 * time.Second,
			TLSHandshakeTimeout:    c.timeout,
			ResponseHeaderTimeout:  c.timeout,
			MaxResponseHeaderBytes: 64 << 10,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       c.timeout,
	}
}

// Provider is WEBHOOK.
func (c *Connector) Provider() integrations.Provider { return integrations.Webhook }

// settings are the public settings: {url, events}.
type settings struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

// secrets are the sealed settings.
type secrets struct {
	SigningSecret string `json:"signingSecret"`
}

func settingsField(key string) []string { return []string{"input", "settings", key} }

// parseSettings reads and checks connectIntegration's settings (not the
// URL's addresses: checkURL does, with I/O).
func parseSettings(raw json.RawMessage, local bool) (settings, *url.URL, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return settings{}, nil, apperr.New(apperr.Invalid, "settings must be a JSON object {url, events}", "input", "settings")
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs apperr.List
	for _, k := range keys {
		if k != "url" && k != "events" {
			errs.Add(apperr.Invalid, fmt.Sprintf("unknown setting %q: a webhook takes url and events", truncate(k, 64)), settingsField(truncate(k, 64))...)
		}
	}
	var s settings
	var u *url.URL
	if v, ok := m["url"]; !ok || json.Unmarshal(v, &s.URL) != nil || s.URL == "" {
		errs.Add(apperr.Invalid, "url must be the endpoint's URL, a string", settingsField("url")...)
	} else if pu, msg := parseURL(s.URL, local); msg != "" {
		errs.Add(apperr.Invalid, msg, settingsField("url")...)
	} else {
		u = pu
	}
	if v, ok := m["events"]; !ok || json.Unmarshal(v, &s.Events) != nil || len(s.Events) == 0 {
		errs.Add(apperr.Invalid, "events must list at least one of "+strings.Join(Events, ", "), settingsField("events")...)
	} else {
		seen := map[string]bool{}
		for i, e := range s.Events {
			field := append(settingsField("events"), fmt.Sprint(i))
			switch {
			case !slices.Contains(Events, e):
				errs.Add(apperr.Invalid, fmt.Sprintf("%q is not an event type; use %s", truncate(e, 64), strings.Join(Events, ", ")), field...)
			case seen[e]:
				errs.Add(apperr.Invalid, fmt.Sprintf("%s is listed twice", e), field...)
			}
			seen[e] = true
		}
	}
	if err := errs.Err(); err != nil {
		return settings{}, nil, err
	}
	return s, u, nil
}

// parseURL checks the URL's form; the message is empty when it is good.
// Messages never repeat the URL: its query may hold a token.
func parseURL(raw string, local bool) (*url.URL, string) {
	if len(raw) > MaxURLLen {
		return nil, fmt.Sprintf("url must be at most %d characters", MaxURLLen)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Opaque != "" || u.Hostname() == "":
		return nil, "url must be an absolute URL such as https://example.com/hooks/renkei"
	case u.User != nil:
		return nil, "url must not carry a user name or password"
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, "url must not have a fragment (#…)"
	case u.Scheme == "https":
	case u.Scheme == "http" && local:
	case u.Scheme == "http":
		return nil, "url must be https"
	default:
		return nil, "url must be https"
	}
	if p := u.Port(); p != "" {
		if n, err := net.LookupPort("tcp", p); err != nil || n <= 0 || n > 65535 {
			return nil, "url has an invalid port"
		}
	}
	return u, ""
}

// checkAddresses refuses (in production) a host with any address that is
// not public. A name that does not resolve is the merchant's to fix; a
// resolver failure is not.
func (c *Connector) checkAddresses(ctx context.Context, u *url.URL) error {
	addrs, err := resolve(ctx, c.resolver, u.Hostname())
	if err != nil {
		var de *net.DNSError
		if errors.As(err, &de) && de.IsNotFound {
			return apperr.New(apperr.Invalid, "url's host does not resolve", settingsField("url")...)
		}
		return apperr.Wrap(err, apperr.Unavailable, "the url's host could not be looked up; try again")
	}
	for _, a := range addrs {
		if !Public(a) {
			return apperr.New(apperr.Invalid, "url must resolve to public addresses only (no loopback, private, link-local or reserved ranges)", settingsField("url")...)
		}
	}
	return nil
}

// Connect checks the settings and makes the signing secret, returned once.
func (c *Connector) Connect(ctx context.Context, req integrations.ConnectRequest) (integrations.Connection, error) {
	s, u, err := parseSettings(req.Settings, req.Local)
	if err != nil {
		return integrations.Connection{}, err
	}
	if !req.Local {
		if err := c.checkAddresses(ctx, u); err != nil {
			return integrations.Connection{}, err
		}
	}
	b := make([]byte, 32)
	if _, err := io.ReadFull(c.rand, b); err != nil {
		return integrations.Connection{}, fmt.Errorf("make a signing secret: %w", err)
	}
	secret := SecretPrefix + hex.EncodeToString(b)
	pub, err := json.Marshal(s)
	if err != nil {
		return integrations.Connection{}, fmt.Errorf("encode webhook settings: %w", err)
	}
	sec, err := json.Marshal(secrets{SigningSecret: secret})
	if err != nil {
		return integrations.Connection{}, fmt.Errorf("encode webhook secrets: %w", err)
	}
	return integrations.Connection{Settings: pub, Secrets: sec, SigningSecret: secret}, nil
}

// Plan asks for one delivery of each business event type the integration
// subscribed to; its key is the event id.
func (c *Connector) Plan(ev integrations.Event, in integrations.Integration) ([]integrations.JobSpec, error) {
	if in.Disconnected || ev.IntegrationID != "" || (in.TenantID != "" && ev.TenantID != in.TenantID) {
		return nil, nil
	}
	var s settings
	if err := json.Unmarshal(in.Settings, &s); err != nil {
		return nil, fmt.Errorf("webhook integration %s: read settings: %w", in.ID, err)
	}
	if !slices.Contains(s.Events, ev.Type) {
		return nil, nil
	}
	return []integrations.JobSpec{{Kind: integrations.KindDeliverEvent, Key: ev.ID, Event: ev}}, nil
}

// Sync has nothing to resync: a webhook receives events as they happen.
func (c *Connector) Sync(context.Context, integrations.Config) ([]integrations.JobSpec, error) {
	return nil, nil
}

// body is the delivered JSON, fields in this order.
type body struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt string          `json:"createdAt"`
	TenantID  string          `json:"tenantId"`
	Data      json.RawMessage `json:"data"`
}

// Body returns the JSON a delivery of ev carries:
// {"id","type","createdAt","tenantId","data"}, createdAt in RFC 3339 UTC.
func Body(ev integrations.Event) ([]byte, error) {
	data := ev.Data
	if len(bytes.TrimSpace(data)) == 0 {
		data = json.RawMessage("{}")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(body{ID: ev.ID, Type: ev.Type, CreatedAt: ev.CreatedAt.UTC().Format(time.RFC3339Nano), TenantID: ev.TenantID, Data: data})
	if err != nil {
		return nil, fmt.Errorf("encode event %s: %w", ev.ID, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// truncate shortens s to n bytes at a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = strings.ToValidUTF8(s[:n], "")
	return s + "…"
}
