package freee

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/integrations"
	"github.com/renkei-pos/renkei/shared/text"
)

// settings are an integration's public settings (what the API returns).
type settings struct {
	CompanyID      int64   `json:"companyId"`
	AccountMapping mapping `json:"accountMapping"`
	StartDate      string  `json:"startDate,omitempty"`
	RedirectURI    string  `json:"redirectUri,omitempty"`
	APIBaseURL     string  `json:"apiBaseUrl,omitempty"`
	TokenURL       string  `json:"tokenUrl,omitempty"`
}

// mapping maps renkei's categories to the merchant's freee ids.
type mapping struct {
	SalesAccountItemID int64                 `json:"salesAccountItemId"`
	TaxCodes           map[string]int64      `json:"taxCodes"`
	Walletables        map[string]walletable `json:"walletables"`
	// Sections optionally tags each location's deals with a freee 部門.
	Sections map[string]int64 `json:"sections,omitempty"`
	// GiftCardLiabilityAccountItemID optionally names the liability
	// account (e.g. 前受金) gift card loads are posted to; a close with
	// loads is not posted while it is unmapped. Walletables["GIFT_CARD"]
	// (optional too) is where gift card redemptions are paid from.
	GiftCardLiabilityAccountItemID int64 `json:"giftCardLiabilityAccountItemId,omitempty"`
}

type walletable struct {
	Type string `json:"type"`
	ID   int64  `json:"id"`
}

// secrets are the sealed part: the OAuth token pair.
type secrets struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
}

// connectInput is a connectIntegration settings object, split.
type connectInput struct {
	settings
	tokens            secrets
	authorizationCode string
	// authorizationID names a pending authorization (authorizeFreee)
	// whose token pair the integration takes.
	authorizationID string
}

// Mapped renkei categories: every one must be mapped.
var (
	taxCategories  = []string{"STANDARD", "REDUCED", "EXEMPT"}
	paymentMethods = []string{"CASH", "CARD", "EXTERNAL"}
	// optionalMethods may be mapped, and must be once a close uses them.
	optionalMethods = []string{"GIFT_CARD"}
	// walletableTypes a payment line may come from (freee's enum less
	// private_account_item, which no walletable listing shows).
	walletableTypes = []string{"wallet", "bank_account", "credit_card"}
)

const (
	maxTokenLen    = 4096
	maxURLLen      = 2048
	maxSections    = 1000
	maxFreeeID     = 1<<53 - 1 // ids travel as JSON numbers
	oobRedirectURI = "urn:ietf:wg:oauth:2.0:oob"
)

var tokenRule = text.Rule{What: "token", Min: 1, Max: maxTokenLen}

// parseConnect reads connectIntegration's settings: every key known, every
// mapping entry present, endpoints overridable only in local mode. Errors
// are INVALID at ["input", "settings", …].
func parseConnect(raw json.RawMessage, local bool) (connectInput, error) {
	var in connectInput
	var errs apperr.List
	if len(raw) > integrations.MaxSettingsBytes {
		return in, apperr.Newf(apperr.Invalid, []string{"input", "settings"}, "settings must be at most %d bytes", integrations.MaxSettingsBytes)
	}
	top, ok := object(&errs, raw, "input", "settings")
	if !ok {
		return in, errs.Err()
	}
	known := []string{"authorizationId", "companyId", "accessToken", "refreshToken", "authorizationCode", "redirectUri", "accountMapping", "startDate", "apiBaseUrl", "tokenUrl"}
	unknownKeys(&errs, top, known, "input", "settings")
	in.settings = parseCommon(&errs, top, local)
	str := func(key string, rule text.Rule) string {
		v, ok := top[key]
		if !ok {
			return ""
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			errs.Add(apperr.Invalid, key+" must be a string", "input", "settings", key)
			return ""
		}
		if err := rule.Validate(s, "input", "settings", key); err != nil {
			errs = append(errs, err)
		}
		return s
	}
	in.tokens.AccessToken = str("accessToken", tokenRule.Named("accessToken"))
	in.tokens.RefreshToken = str("refreshToken", tokenRule.Named("refreshToken"))
	in.authorizationCode = str("authorizationCode", tokenRule.Named("authorizationCode"))
	in.RedirectURI = str("redirectUri", text.Rule{What: "redirectUri", Min: 1, Max: maxURLLen})
	in.authorizationID = str("authorizationId", text.Rule{What: "authorizationId", Min: 1, Max: 64})
	_, hasCode := top["authorizationCode"]
	_, hasAccess := top["accessToken"]
	_, hasRefresh := top["refreshToken"]
	_, hasAuthorization := top["authorizationId"]
	switch {
	case hasAuthorization && (hasCode || hasAccess || hasRefresh):
		errs.Add(apperr.Invalid, "give authorizationId alone, without authorizationCode or tokens", "input", "settings", "authorizationId")
	case hasAuthorization:
		// Its token pair is opened at connect (pendingTokens).
	case hasCode && (hasAccess || hasRefresh):
		errs.Add(apperr.Invalid, "give either authorizationCode or accessToken and refreshToken, not both", "input", "settings", "authorizationCode")
	case hasCode:
		if _, ok := top["redirectUri"]; !ok {
			errs.Add(apperr.Invalid, "redirectUri is required with authorizationCode", "input", "settings", "redirectUri")
		} else if in.RedirectURI != oobRedirectURI && !absoluteURL(in.RedirectURI, false) {
			errs.Add(apperr.Invalid, "redirectUri must be the https URL registered with the freee app", "input", "settings", "redirectUri")
		}
	default:
		if !hasAccess {
			errs.Add(apperr.Invalid, "accessToken is required (or authorizationId, or authorizationCode and redirectUri)", "input", "settings", "accessToken")
		}
		if !hasRefresh {
			errs.Add(apperr.Invalid, "refreshToken is required (or authorizationId, or authorizationCode and redirectUri)", "input", "settings", "refreshToken")
		}
	}
	return in, errs.Err()
}

// parseStored reads the public settings stored at connect time.
func parseStored(raw json.RawMessage, local bool) (settings, error) {
	var errs apperr.List
	top, ok := object(&errs, raw, "input", "settings")
	if !ok {
		return settings{}, errs.Err()
	}
	s := parseCommon(&errs, top, local)
	return s, errs.Err()
}

// parseCommon reads the public keys shared by connect and stored settings.
func parseCommon(errs *apperr.List, top map[string]json.RawMessage, local bool) settings {
	var s settings
	if v, ok := top["companyId"]; ok {
		s.CompanyID = freeeID(errs, v, 1, "input", "settings", "companyId")
	} else {
		errs.Add(apperr.Invalid, "companyId is required", "input", "settings", "companyId")
	}
	if v, ok := top["startDate"]; ok {
		if json.Unmarshal(v, &s.StartDate) != nil || !isDate(s.StartDate) {
			errs.Add(apperr.Invalid, "startDate must be a date YYYY-MM-DD", "input", "settings", "startDate")
		}
	}
	for key, dst := range map[string]*string{"apiBaseUrl": &s.APIBaseURL, "tokenUrl": &s.TokenURL} {
		v, ok := top[key]
		if !ok {
			continue
		}
		if !local {
			errs.Add(apperr.Invalid, key+" may be set only when renkei runs in local mode", "input", "settings", key)
			continue
		}
		if json.Unmarshal(v, dst) != nil || len(*dst) > maxURLLen || !absoluteURL(*dst, true) {
			errs.Add(apperr.Invalid, key+" must be an http(s) URL", "input", "settings", key)
		}
	}
	if v, ok := top["redirectUri"]; ok {
		_ = json.Unmarshal(v, &s.RedirectURI)
	}
	v, ok := top["accountMapping"]
	if !ok {
		errs.Add(apperr.Invalid, "accountMapping is required", "input", "settings", "accountMapping")
		return s
	}
	s.AccountMapping = parseMapping(errs, v)
	return s
}

func parseMapping(errs *apperr.List, raw json.RawMessage) mapping {
	at := []string{"input", "settings", "accountMapping"}
	var m mapping
	obj, ok := object(errs, raw, at...)
	if !ok {
		return m
	}
	unknownKeys(errs, obj, []string{"salesAccountItemId", "taxCodes", "walletables", "sections", "giftCardLiabilityAccountItemId"}, at...)
	if v, ok := obj["giftCardLiabilityAccountItemId"]; ok {
		m.GiftCardLiabilityAccountItemID = freeeID(errs, v, 1, join(at, "giftCardLiabilityAccountItemId")...)
	}
	if v, ok := obj["salesAccountItemId"]; ok {
		m.SalesAccountItemID = freeeID(errs, v, 1, join(at, "salesAccountItemId")...)
	} else {
		errs.Add(apperr.Invalid, "salesAccountItemId is required", join(at, "salesAccountItemId")...)
	}
	m.TaxCodes = map[string]int64{}
	if codes, ok := member(errs, obj, "taxCodes", at); ok {
		for _, k := range taxCategories {
			if v, ok := codes[k]; ok {
				m.TaxCodes[k] = freeeID(errs, v, 0, join(at, "taxCodes", k)...)
			}
		}
	}
	m.Walletables = map[string]walletable{}
	if ws, ok := member(errs, obj, "walletables", at); ok {
		for _, k := range append(slices.Clone(paymentMethods), optionalMethods...) {
			v, ok := ws[k]
			if !ok {
				continue
			}
			wat := join(at, "walletables", k)
			w, ok := object(errs, v, wat...)
			if !ok {
				continue
			}
			unknownKeys(errs, w, []string{"type", "id"}, wat...)
			var wt walletable
			if err := json.Unmarshal(w["type"], &wt.Type); err != nil || !slices.Contains(walletableTypes, wt.Type) {
				errs.Add(apperr.Invalid, "type must be wallet, bank_account or credit_card", join(wat, "type")...)
			}
			if v, ok := w["id"]; ok {
				wt.ID = freeeID(errs, v, 1, join(wat, "id")...)
			} else {
				errs.Add(apperr.Invalid, "id is required", join(wat, "id")...)
			}
			m.Walletables[k] = wt
		}
	}
	if v, ok := obj["sections"]; ok {
		sat := join(at, "sections")
		secs, ok := object(errs, v, sat...)
		if ok && len(secs) > maxSections {
			errs.Add(apperr.Invalid, "at most 1000 sections may be mapped", sat...)
		} else if ok {
			m.Sections = map[string]int64{}
			for _, loc := range sortedKeys(secs) {
				if !ids.Valid(ids.Location, loc) {
					errs.Add(apperr.Invalid, "sections are keyed by renkei location id", join(sat, loc)...)
					continue
				}
				m.Sections[loc] = freeeID(errs, secs[loc], 1, join(sat, loc)...)
			}
		}
	}
	return m
}

// member reads obj[key] as an object whose keys are exactly want: a
// missing one is INVALID naming it, an unknown one too.
func member(errs *apperr.List, obj map[string]json.RawMessage, key string, at []string) (map[string]json.RawMessage, bool) {
	path := join(at, key)
	v, ok := obj[key]
	if !ok {
		errs.Add(apperr.Invalid, key+" is required", path...)
		return nil, false
	}
	m, ok := object(errs, v, path...)
	if !ok {
		return nil, false
	}
	want, known := taxCategories, taxCategories
	if key == "walletables" {
		want, known = paymentMethods, append(slices.Clone(paymentMethods), optionalMethods...)
	}
	unknownKeys(errs, m, known, path...)
	for _, k := range want {
		if _, ok := m[k]; !ok {
			errs.Add(apperr.Invalid, key+"."+k+" is required", join(path, k)...)
		}
	}
	return m, true
}

// object decodes raw as a JSON object (keys are case-sensitive, duplicates
// refused).
func object(errs *apperr.List, raw json.RawMessage, path ...string) (map[string]json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) && json.Unmarshal(raw, &m) == nil && m != nil && !duplicateKeys(raw) {
		return m, true
	}
	errs.Add(apperr.Invalid, "must be a JSON object", path...)
	return nil, false
}

// duplicateKeys reports whether raw's top-level object repeats a key
// (encoding/json keeps the last; two readers could disagree).
func duplicateKeys(raw json.RawMessage) bool {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return true
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return true
		}
		k, _ := t.(string)
		if seen[k] {
			return true
		}
		seen[k] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return true
		}
	}
	return false
}

func unknownKeys(errs *apperr.List, m map[string]json.RawMessage, known []string, at ...string) {
	for _, k := range sortedKeys(m) {
		if !slices.Contains(known, k) {
			errs.Add(apperr.Invalid, "unknown setting "+quoteKey(k), join(at, k)...)
		}
	}
}

// quoteKey shows a key in a message, bounded and without control characters.
func quoteKey(k string) string {
	if len(k) > 64 || !text.Clean(k, false) {
		return "key"
	}
	return `"` + k + `"`
}

// freeeID reads a JSON integer id in [low, 2^53).
func freeeID(errs *apperr.List, raw json.RawMessage, low int64, path ...string) int64 {
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) == nil {
		n, _ = v.(json.Number)
	}
	id, err := n.Int64()
	if err != nil || id < low || id > maxFreeeID {
		errs.Add(apperr.Invalid, "must be a freee id (an integer of at least "+strconv.FormatInt(low, 10)+")", path...)
		return 0
	}
	return id
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func isDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil && len(s) == len(time.DateOnly)
}

// absoluteURL reports whether s is an absolute https URL (or http too,
// when allowHTTP).
func absoluteURL(s string, allowHTTP bool) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	return u.Scheme == "https" || (allowHTTP && u.Scheme == "http")
}

// join returns a new path: base then more (never sharing base's array, as
// error paths are kept).
func join(base []string, more ...string) []string {
	return append(slices.Clone(base), more...)
}
