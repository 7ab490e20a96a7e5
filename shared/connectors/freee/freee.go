// Package freee is the FREEE accounting connector: every whole-location
// close of a business date becomes one income deal (取引) in the merchant's
// freee company — a detail line per tax rate, a payment line per payment
// method — posted exactly once per close revision, found again by its
// ref_number (管理番号) before anything is written, and corrected in place
// when a later revision of the close changes the figures.
package freee

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/renkei-pos/renkei/shared/integrations"
	"github.com/renkei-pos/renkei/shared/sales"
)

// Production endpoints (settings may override them only in local mode).
const (
	DefaultAPIBaseURL   = "https://api.freee.co.jp"
	DefaultTokenURL     = "https://accounts.secure.freee.co.jp/public_api/token"
	DefaultAuthorizeURL = "https://accounts.secure.freee.co.jp/public_api/authorize"
)

// DefaultTimeout bounds every call to freee.
const DefaultTimeout = 10 * time.Second

// syncWindow is how far back a sync looks for closes not yet posted.
const syncWindow = 400 * 24 * time.Hour

// Closes reads the tenant's closes (tenant in ctx): the newest revision of
// every whole-location close (RegisterID "") whose business date is in
// [since, until] (YYYY-MM-DD), across all locations.
type Closes interface {
	LocationCloses(ctx context.Context, since, until string) ([]sales.RegisterClose, error)
}

// App is renkei's freee application: the client credentials of the OAuth
// authorization-code and refresh-token grants (FREEE_CLIENT_ID,
// FREEE_CLIENT_SECRET), and where freee is ("": production's). The stack
// sets TokenURL and APIBaseURL only in local mode (a fake freee); an
// integration's own settings (apiBaseUrl, tokenUrl, local mode too) win
// over them.
type App struct {
	ClientID     string
	ClientSecret string
	AuthorizeURL string // FREEE_AUTHORIZE_URL; DefaultAuthorizeURL
	TokenURL     string // DefaultTokenURL
	APIBaseURL   string // DefaultAPIBaseURL
}

// endpoints returns the API base and token URLs an integration with
// settings st uses.
func (c *Connector) endpoints(st settings) (api, token string) {
	api, token = DefaultAPIBaseURL, DefaultTokenURL
	if c.app.APIBaseURL != "" {
		api = c.app.APIBaseURL
	}
	if c.app.TokenURL != "" {
		token = c.app.TokenURL
	}
	if st.APIBaseURL != "" {
		api = st.APIBaseURL
	}
	if st.TokenURL != "" {
		token = st.TokenURL
	}
	return api, token
}

// Connector is the FREEE connector. It is stateless: tokens live in the
// integration's sealed secrets, figures in the jobs' events.
type Connector struct {
	client  *http.Client
	closes  Closes
	app     App
	timeout time.Duration
	now     func() time.Time
}

var _ integrations.Connector = (*Connector)(nil)

// New returns the connector. client makes every call to freee (each call
// also has its own DefaultTimeout); closes serves Sync; app holds renkei's
// OAuth client credentials.
func New(client *http.Client, closes Closes, app App) *Connector {
	if client == nil {
		client = &http.Client{}
	}
	return &Connector{client: client, closes: closes, app: app, timeout: DefaultTimeout, now: time.Now}
}

// WithClock returns a copy of c that reads the time from now (tests).
func (c *Connector) WithClock(now func() time.Time) *Connector {
	cp := *c
	cp.now = now
	return &cp
}

// WithTimeout returns a copy of c whose calls to freee time out after d.
func (c *Connector) WithTimeout(d time.Duration) *Connector {
	cp := *c
	cp.timeout = d
	return &cp
}

// Provider is FREEE.
func (c *Connector) Provider() integrations.Provider { return integrations.Freee }

// storedSession is a session on an integration's stored token pair: each
// pair freee rotates is saved through save (the integration's SaveSecrets)
// before it is used.
func (c *Connector) storedSession(st settings, company int64, tok secrets, save func(context.Context, json.RawMessage) error) *session {
	base, tokenURL := c.endpoints(st)
	return &session{c: c, base: base, tokenURL: tokenURL, company: company, tokens: tok,
		save: func(ctx context.Context, next secrets) error {
			if save == nil {
				return errors.New("no way to store a refreshed token pair")
			}
			b, err := json.Marshal(next)
			if err != nil {
				return err
			}
			return save(ctx, b)
		}}
}
