package freee

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/integrations"
)

// freee's OAuth authorization-code flow as the console drives it: the
// browser goes to AuthorizationURL, freee sends it back to the console's
// callback with a code, the console hands the code to authorizeFreee
// (Exchange), and the mapping is chosen from AccountOptions before
// connectIntegration consumes the authorization.

var _ integrations.Authorizer = (*Connector)(nil)

// CallbackPath is how the console's freee callback page's path ends.
const CallbackPath = "/integrations/freee/callback"

var stateRule = regexp.MustCompile(`^[A-Za-z0-9_-]{16,128}$`)

// AuthorizationURL returns freee's authorize URL: client_id, redirect_uri,
// response_type=code, state and prompt=select_company (freee then asks
// which 事業所, and names it in the token answer).
func (c *Connector) AuthorizationURL(redirectURI, state string, local bool) (string, error) {
	var errs apperr.List
	if msg := checkRedirect(redirectURI, local); msg != "" {
		errs.Add(apperr.Invalid, msg, "redirectUri")
	}
	if !stateRule.MatchString(state) {
		errs.Add(apperr.Invalid, "state must be 16 to 128 characters of A-Z, a-z, 0-9, _ and -", "state")
	}
	if err := errs.Err(); err != nil {
		return "", err
	}
	if err := c.configured(); err != nil {
		return "", err
	}
	authorize := DefaultAuthorizeURL
	if c.app.AuthorizeURL != "" {
		authorize = c.app.AuthorizeURL
	}
	q := url.Values{"client_id": {c.app.ClientID}, "redirect_uri": {redirectURI}, "response_type": {"code"},
		"state": {state}, "prompt": {"select_company"}}
	return authorize + "?" + q.Encode(), nil
}

// checkRedirect says what is wrong with a console callback URL ("" when
// nothing): https (http only on loopback, in local mode), no user info or
// fragment, the path ending in CallbackPath.
func checkRedirect(raw string, local bool) string {
	const want = "redirectUri must be the console's https URL ending in " + CallbackPath
	u, err := url.Parse(raw)
	if err != nil || len(raw) > maxURLLen || u.Host == "" || u.User != nil || u.Fragment != "" || u.RawQuery != "" {
		return want
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && local && loopback(u.Hostname()):
	case u.Scheme == "http" && local:
		return "redirectUri may be plain http only on loopback (127.0.0.1, ::1, localhost)"
	default:
		return want
	}
	if !strings.HasSuffix(u.Path, CallbackPath) {
		return want
	}
	return ""
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c *Connector) configured() error {
	if c.app.ClientID == "" || c.app.ClientSecret == "" {
		return apperr.New(apperr.Unavailable, "renkei's freee app is not configured on this server (FREEE_CLIENT_ID, FREEE_CLIENT_SECRET)")
	}
	return nil
}

// Exchange trades an authorization code for a token pair and lists the
// companies it opens (the one chosen at freee first).
func (c *Connector) Exchange(ctx context.Context, code, redirectURI string, local bool) (integrations.Grant, error) {
	var errs apperr.List
	if err := tokenRule.Named("code").Validate(code, "input", "code"); err != nil {
		errs = append(errs, err)
	}
	if msg := checkRedirect(redirectURI, local); msg != "" {
		errs.Add(apperr.Invalid, msg, "input", "redirectUri")
	}
	if err := errs.Err(); err != nil {
		return integrations.Grant{}, err
	}
	if err := c.configured(); err != nil {
		return integrations.Grant{}, err
	}
	base, tokenURL := c.endpoints(settings{})
	tok, err := c.grant(ctx, tokenURL, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}})
	if err != nil {
		return integrations.Grant{}, connectError(err, "freee refused the authorization code: a code works once and for 10 minutes, with the redirectUri it was issued for; authorize renkei again", "input", "code")
	}
	tokens := secrets{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken}
	s := &session{c: c, base: base, tokenURL: tokenURL, tokens: tokens,
		save: func(_ context.Context, next secrets) error { tokens = next; return nil }}
	var list struct {
		Companies []struct {
			ID          int64   `json:"id"`
			Name        *string `json:"name"`
			DisplayName *string `json:"display_name"`
		} `json:"companies"`
	}
	if err := s.call(ctx, http.MethodGet, "/api/1/companies", nil, nil, &list); err != nil {
		return integrations.Grant{}, connectError(err, "freee did not list the companies of this authorization: authorize renkei again", "input", "code")
	}
	var out []integrations.Company
	for _, co := range list.Companies {
		id := strconv.FormatInt(co.ID, 10)
		name, display := deref(co.Name), deref(co.DisplayName)
		if display == "" {
			display = name
		}
		if name == "" {
			name = display
		}
		if name == "" {
			name, display = "事業所 "+id, "事業所 "+id
		}
		out = append(out, integrations.Company{ID: id, Name: name, DisplayName: display})
	}
	if chosen := tok.CompanyID.String(); chosen != "" {
		slices.SortStableFunc(out, func(a, b integrations.Company) int {
			switch {
			case a.ID == chosen && b.ID != chosen:
				return -1
			case b.ID == chosen && a.ID != chosen:
				return 1
			}
			return 0
		})
	}
	sealed, err := json.Marshal(tokens)
	if err != nil {
		return integrations.Grant{}, err
	}
	return integrations.Grant{Secrets: sealed, Companies: out}, nil
}

// AccountOptions reads the company's account items, available tax codes,
// walletables (every type) and sections with c's token pair, refreshing it
// once on a 401 (the new pair stored through c.SaveSecrets first).
func (c *Connector) AccountOptions(ctx context.Context, cfg integrations.Config, companyID string) (integrations.AccountOptions, error) {
	company, err := strconv.ParseInt(companyID, 10, 64)
	if err != nil || company < 1 || company > maxFreeeID || strconv.FormatInt(company, 10) != companyID {
		return integrations.AccountOptions{}, apperr.New(apperr.Invalid, "companyId must be a freee company id (a positive integer)", "companyId")
	}
	var tok secrets
	if err := json.Unmarshal(cfg.Secrets, &tok); err != nil || tok.AccessToken == "" || tok.RefreshToken == "" {
		return integrations.AccountOptions{}, errors.New("the integration has no freee token pair")
	}
	var st settings
	if len(cfg.Integration.Settings) > 0 {
		if st, err = parseStored(cfg.Integration.Settings, cfg.Local); err != nil {
			return integrations.AccountOptions{}, errors.New("the integration's stored settings are not readable")
		}
	}
	s := c.storedSession(st, company, tok, cfg.SaveSecrets)
	id := strconv.FormatInt(company, 10)
	q := url.Values{"company_id": {id}}
	var out integrations.AccountOptions

	var items struct {
		AccountItems []struct {
			ID              int64  `json:"id"`
			Name            string `json:"name"`
			AccountCategory string `json:"account_category"`
			Available       *bool  `json:"available"`
		} `json:"account_items"`
	}
	if err := s.call(ctx, http.MethodGet, "/api/1/account_items", q, nil, &items); err != nil {
		return out, optionsError(err, id)
	}
	out.AccountItems = []integrations.AccountItem{}
	for _, it := range items.AccountItems {
		if it.Available == nil || *it.Available {
			out.AccountItems = append(out.AccountItems, integrations.AccountItem{ID: strconv.FormatInt(it.ID, 10), Name: it.Name, Category: it.AccountCategory})
		}
	}

	var taxes struct {
		Taxes []struct {
			Code      int64  `json:"code"`
			Name      string `json:"name"`
			NameJa    string `json:"name_ja"`
			Available bool   `json:"available"`
		} `json:"taxes"`
	}
	if err := s.call(ctx, http.MethodGet, "/api/1/taxes/companies/"+id, nil, nil, &taxes); err != nil {
		return out, optionsError(err, id)
	}
	out.Taxes = []integrations.TaxCode{}
	for _, t := range taxes.Taxes {
		if !t.Available {
			continue
		}
		name := t.NameJa
		if name == "" {
			name = t.Name
		}
		out.Taxes = append(out.Taxes, integrations.TaxCode{Code: t.Code, Name: name})
	}

	var wallets struct {
		Walletables []struct {
			ID   int64  `json:"id"`
			Type string `json:"type"`
			Name string `json:"name"`
		} `json:"walletables"`
	}
	if err := s.call(ctx, http.MethodGet, "/api/1/walletables", q, nil, &wallets); err != nil {
		return out, optionsError(err, id)
	}
	out.Walletables = []integrations.Walletable{}
	for _, w := range wallets.Walletables {
		if slices.Contains(walletableTypes, w.Type) {
			out.Walletables = append(out.Walletables, integrations.Walletable{ID: strconv.FormatInt(w.ID, 10), Type: w.Type, Name: w.Name})
		}
	}

	var secs struct {
		Sections []struct {
			ID        int64  `json:"id"`
			Name      string `json:"name"`
			Available *bool  `json:"available"`
		} `json:"sections"`
	}
	if err := s.call(ctx, http.MethodGet, "/api/1/sections", q, nil, &secs); err != nil {
		return out, optionsError(err, id)
	}
	out.Sections = []integrations.Section{}
	for _, x := range secs.Sections {
		if x.Available == nil || *x.Available {
			out.Sections = append(out.Sections, integrations.Section{ID: strconv.FormatInt(x.ID, 10), Name: x.Name})
		}
	}
	return out, nil
}

// optionsError maps a failed read of the company's masters: a token freee
// refuses (after its refresh) is INVALID (authorize again), a company the
// token cannot open NOT_FOUND, freee down or limiting UNAVAILABLE.
func optionsError(err error, company string) error {
	var ae *apiError
	switch {
	case errors.As(err, &ae) && !ae.RateLimited && (ae.token || ae.Status == http.StatusUnauthorized):
		return invalidAt(err, "freee refused this authorization's token: authorize renkei again", "authorizationId")
	case errors.As(err, &ae) && !ae.RateLimited && (ae.Status == http.StatusForbidden || ae.Status == http.StatusNotFound):
		return apperr.Wrap(err, apperr.NotFound, "freee company "+company+" cannot be opened with this authorization")
	case errors.As(err, &ae) && !ae.RateLimited && ae.Status/100 == 4:
		return apperr.Wrap(err, apperr.Invalid, "freee refused to list the company's accounts: "+ae.Error())
	}
	return apperr.Wrap(err, apperr.Unavailable, "freee is not answering right now: try again in a few minutes")
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// flexID reads an id freee sends as a number or a string (the token
// answer's company_id is documented as a string, and served as a number).
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		*f = flexID(n.String())
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		*f = ""
		return nil // not worth refusing a token pair over
	}
	*f = flexID(s)
	return nil
}

func (f flexID) String() string { return string(f) }
