package freee

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/integrations"
)

// Connect checks the settings against freee before anything is stored:
// the authorization code is exchanged (when given), the token opens the
// company, and every mapped account item, tax code, walletable and section
// exists in it. A failed check is INVALID naming the setting; freee not
// answering is UNAVAILABLE.
func (c *Connector) Connect(ctx context.Context, req integrations.ConnectRequest) (integrations.Connection, error) {
	in, err := parseConnect(req.Settings, req.Local)
	if err != nil {
		return integrations.Connection{}, err
	}
	base, tokenURL := c.endpoints(in.settings)
	tokens := in.tokens
	var savePending func(context.Context, json.RawMessage) error
	if in.authorizationID != "" {
		if tokens, savePending, err = pendingTokens(ctx, req, in.authorizationID); err != nil {
			return integrations.Connection{}, err
		}
	}
	if in.authorizationCode != "" {
		if c.app.ClientID == "" || c.app.ClientSecret == "" {
			return integrations.Connection{}, apperr.New(apperr.Unavailable, "renkei's freee app is not configured on this server (FREEE_CLIENT_ID, FREEE_CLIENT_SECRET)")
		}
		tok, err := c.grant(ctx, tokenURL, url.Values{"grant_type": {"authorization_code"}, "code": {in.authorizationCode}, "redirect_uri": {in.RedirectURI}})
		if err != nil {
			return integrations.Connection{}, connectError(err, "freee refused the authorization code (it is single-use and expires after a few minutes): authorize renkei again", "input", "settings", "authorizationCode")
		}
		tokens = secrets{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken}
	}
	s := &session{c: c, base: base, tokenURL: tokenURL, company: in.CompanyID, tokens: tokens,
		save: func(ctx context.Context, next secrets) error {
			tokens = next
			if savePending == nil {
				return nil
			}
			// A failed check leaves the authorization for the next try:
			// it must hold the live pair.
			b, err := json.Marshal(next)
			if err != nil {
				return err
			}
			return savePending(ctx, b)
		}}
	if err := c.check(ctx, s, in.settings); err != nil {
		return integrations.Connection{}, err
	}
	public, err := json.Marshal(in.settings)
	if err != nil {
		return integrations.Connection{}, fmt.Errorf("encode freee settings: %w", err)
	}
	sealed, err := json.Marshal(tokens)
	if err != nil {
		return integrations.Connection{}, fmt.Errorf("encode freee secrets: %w", err)
	}
	return integrations.Connection{Settings: public, Secrets: sealed, AuthorizationID: in.authorizationID}, nil
}

// pendingTokens opens the pending authorization the settings name.
func pendingTokens(ctx context.Context, req integrations.ConnectRequest, id string) (secrets, func(context.Context, json.RawMessage) error, error) {
	field := []string{"input", "settings", "authorizationId"}
	if req.Authorization == nil {
		return secrets{}, nil, apperr.New(apperr.Invalid, "authorizationId is not accepted here", field...)
	}
	raw, save, err := req.Authorization(ctx, id)
	if apperr.Is(err, apperr.NotFound) {
		return secrets{}, nil, apperr.New(apperr.Invalid, "the freee authorization is unknown, expired or already used: authorize renkei again", field...)
	}
	if err != nil {
		return secrets{}, nil, err
	}
	var tok secrets
	if err := json.Unmarshal(raw, &tok); err != nil || tok.AccessToken == "" || tok.RefreshToken == "" {
		return secrets{}, nil, errors.New("the pending freee authorization holds no token pair")
	}
	return tok, save, nil
}

// check reads the company and its masters and looks every mapped id up.
func (c *Connector) check(ctx context.Context, s *session, st settings) error {
	company := strconv.FormatInt(st.CompanyID, 10)
	q := url.Values{"company_id": {company}}
	at := []string{"input", "settings", "accountMapping"}

	if err := s.call(ctx, http.MethodGet, "/api/1/companies/"+company, nil, nil, nil); err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.token && ae.Status/100 == 4 {
			return invalidAt(err, "freee refused the refresh token: connect again with a new authorization", "input", "settings", "refreshToken")
		}
		if errors.As(err, &ae) && ae.Status == http.StatusUnauthorized {
			return invalidAt(err, "freee refused the access token (and its refresh token): connect again with a new authorization", "input", "settings", "accessToken")
		}
		return connectError(err, "the freee token cannot open company "+company+": check companyId", "input", "settings", "companyId")
	}

	var items struct {
		AccountItems []idOnly `json:"account_items"`
	}
	if err := s.call(ctx, http.MethodGet, "/api/1/account_items", q, nil, &items); err != nil {
		return connectError(err, "freee refused to list the company's account items", at...)
	}
	if !slices.Contains(items.AccountItems, idOnly{st.AccountMapping.SalesAccountItemID}) {
		return apperr.Newf(apperr.Invalid, join(at, "salesAccountItemId"), "account item %d does not exist in freee company %s", st.AccountMapping.SalesAccountItemID, company)
	}
	if id := st.AccountMapping.GiftCardLiabilityAccountItemID; id != 0 && !slices.Contains(items.AccountItems, idOnly{id}) {
		return apperr.Newf(apperr.Invalid, join(at, "giftCardLiabilityAccountItemId"), "account item %d does not exist in freee company %s", id, company)
	}

	var taxes struct {
		Taxes []taxRow `json:"taxes"`
	}
	if err := s.call(ctx, http.MethodGet, "/api/1/taxes/companies/"+company, nil, nil, &taxes); err != nil {
		return connectError(err, "freee refused to list the company's tax codes", at...)
	}
	var errs apperr.List
	for _, cat := range taxCategories {
		code := st.AccountMapping.TaxCodes[cat]
		i := slices.IndexFunc(taxes.Taxes, func(t taxRow) bool { return t.Code == code })
		switch {
		case i < 0:
			errs = append(errs, apperr.Newf(apperr.Invalid, join(at, "taxCodes", cat), "tax code %d does not exist in freee company %s", code, company))
		case !taxes.Taxes[i].Available:
			errs = append(errs, apperr.Newf(apperr.Invalid, join(at, "taxCodes", cat), "tax code %d is not available in freee company %s", code, company))
		}
	}

	var wallets struct {
		Walletables []walletable `json:"walletables"`
	}
	if err := s.call(ctx, http.MethodGet, "/api/1/walletables", q, nil, &wallets); err != nil {
		return connectError(err, "freee refused to list the company's walletables", at...)
	}
	for _, m := range append(slices.Clone(paymentMethods), optionalMethods...) {
		w, mapped := st.AccountMapping.Walletables[m]
		if !mapped && slices.Contains(optionalMethods, m) {
			continue
		}
		if !slices.Contains(wallets.Walletables, w) {
			errs = append(errs, apperr.Newf(apperr.Invalid, join(at, "walletables", m), "walletable %s %d does not exist in freee company %s", w.Type, w.ID, company))
		}
	}

	if len(st.AccountMapping.Sections) > 0 {
		var secs struct {
			Sections []idOnly `json:"sections"`
		}
		if err := s.call(ctx, http.MethodGet, "/api/1/sections", q, nil, &secs); err != nil {
			return connectError(err, "freee refused to list the company's sections", at...)
		}
		for _, loc := range sortedKeys(st.AccountMapping.Sections) {
			id := st.AccountMapping.Sections[loc]
			if !slices.Contains(secs.Sections, idOnly{id}) {
				errs = append(errs, apperr.Newf(apperr.Invalid, join(at, "sections", loc), "section %d does not exist in freee company %s", id, company))
			}
		}
	}
	return errs.Err()
}

// connectError maps a failed call at connect time: freee refusing the
// request is INVALID at field with msg; freee down, slow or limiting is
// UNAVAILABLE.
func connectError(err error, msg string, field ...string) error {
	var ae *apiError
	if errors.As(err, &ae) && !ae.RateLimited && ae.Status >= 400 && ae.Status < 500 {
		return invalidAt(err, msg, field...)
	}
	return apperr.Wrap(err, apperr.Unavailable, "freee is not answering right now: try again in a few minutes")
}

func invalidAt(err error, msg string, field ...string) error {
	e := apperr.Wrap(err, apperr.Invalid, msg)
	e.Field = field
	return e
}

// idOnly is a master row of which only the id matters.
type idOnly struct {
	ID int64 `json:"id"`
}

type taxRow struct {
	Code      int64 `json:"code"`
	Available bool  `json:"available"`
}
