package shopify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/text"
)

// Settings are an integration's public settings, as stored and returned.
type Settings struct {
	ShopDomain string `json:"shopDomain"`
	// LocationMap maps renkei location ids to Shopify location gids.
	LocationMap map[string]string `json:"locationMap"`
	// OrderLocationID is the renkei location whose stock online orders
	// take (one of LocationMap's keys).
	OrderLocationID string `json:"orderLocationId"`
	// APIBaseURL replaces https://<shopDomain> (local mode only).
	APIBaseURL string `json:"apiBaseUrl,omitempty"`
}

// Secrets are an integration's secret settings (sealed at rest).
type Secrets struct {
	AccessToken   string `json:"accessToken"`
	WebhookSecret string `json:"webhookSecret"`
}

// MaxMappedLocations bounds locationMap.
const MaxMappedLocations = 50

var (
	shopDomainRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,59}\.myshopify\.com$`)
	locationGidRE = regexp.MustCompile(`^gid://shopify/Location/[1-9][0-9]{0,19}$`)
	// Admin API access tokens (shpat_…) and webhook secrets are printable
	// ASCII without spaces.
	tokenRE = regexp.MustCompile(`^[\x21-\x7e]{1,512}$`)
)

var knownKeys = []string{"shopDomain", "accessToken", "locationMap", "webhookSecret", "orderLocationId", "apiBaseUrl"}

func settingsField(key ...string) []string { return append([]string{"input", "settings"}, key...) }

// parseConnect reads and checks connectIntegration's settings, without I/O.
func parseConnect(raw json.RawMessage, local bool) (Settings, Secrets, error) {
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&fields); err != nil || fields == nil {
		return Settings{}, Secrets{}, apperr.New(apperr.Invalid, "settings must be a JSON object {shopDomain, accessToken, locationMap, webhookSecret}", settingsField()...)
	}
	var errs apperr.List
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(knownKeys, k) {
			errs.Add(apperr.Invalid, fmt.Sprintf("unknown setting %q: Shopify takes shopDomain, accessToken, locationMap, webhookSecret, orderLocationId", fieldKey(k)), settingsField(fieldKey(k))...)
		}
	}
	str := func(key string, required bool) string {
		v, ok := fields[key]
		if !ok || string(v) == "null" {
			if required {
				errs.Add(apperr.Invalid, key+" is required", settingsField(key)...)
			}
			return ""
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			errs.Add(apperr.Invalid, key+" must be a string", settingsField(key)...)
		}
		return s
	}
	var st Settings
	var sec Secrets
	st.ShopDomain = strings.ToLower(strings.TrimSpace(str("shopDomain", true)))
	if _, present := fields["shopDomain"]; present && !shopDomainRE.MatchString(st.ShopDomain) {
		errs.Add(apperr.Invalid, "shopDomain must be the shop's <name>.myshopify.com domain", settingsField("shopDomain")...)
	}
	sec.AccessToken = str("accessToken", true)
	if _, present := fields["accessToken"]; present && !tokenRE.MatchString(sec.AccessToken) {
		errs.Add(apperr.Invalid, "accessToken must be the app's Admin API access token (shpat_…)", settingsField("accessToken")...)
	}
	sec.WebhookSecret = str("webhookSecret", true)
	if _, present := fields["webhookSecret"]; present && !tokenRE.MatchString(sec.WebhookSecret) {
		errs.Add(apperr.Invalid, "webhookSecret must be the app's webhook signing secret (printable, no spaces, at most 512 characters)", settingsField("webhookSecret")...)
	}
	st.LocationMap = parseLocationMap(&errs, fields["locationMap"])
	st.OrderLocationID = str("orderLocationId", false)
	switch {
	case st.OrderLocationID != "":
		if _, ok := st.LocationMap[st.OrderLocationID]; !ok && len(st.LocationMap) > 0 {
			errs.Add(apperr.Invalid, "orderLocationId must be one of locationMap's renkei locations", settingsField("orderLocationId")...)
		}
	case len(st.LocationMap) == 1:
		for k := range st.LocationMap {
			st.OrderLocationID = k
		}
	case len(st.LocationMap) > 1:
		errs.Add(apperr.Invalid, "orderLocationId is required when several locations are mapped: the renkei location whose stock online orders take", settingsField("orderLocationId")...)
	}
	if _, present := fields["apiBaseUrl"]; present {
		st.APIBaseURL = str("apiBaseUrl", false)
		if !local {
			errs.Add(apperr.Invalid, "apiBaseUrl is accepted only when the server runs in local mode", settingsField("apiBaseUrl")...)
		} else if u, err := url.Parse(st.APIBaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			errs.Add(apperr.Invalid, "apiBaseUrl must be an http(s) URL", settingsField("apiBaseUrl")...)
		}
		st.APIBaseURL = strings.TrimRight(st.APIBaseURL, "/")
	}
	if err := errs.Err(); err != nil {
		return Settings{}, Secrets{}, err
	}
	return st, sec, nil
}

func parseLocationMap(errs *apperr.List, raw json.RawMessage) map[string]string {
	if raw == nil || string(raw) == "null" {
		errs.Add(apperr.Invalid, "locationMap is required: {renkeiLocationId: Shopify location gid}", settingsField("locationMap")...)
		return nil
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil || m == nil {
		errs.Add(apperr.Invalid, "locationMap must be an object {renkeiLocationId: \"gid://shopify/Location/…\"}", settingsField("locationMap")...)
		return nil
	}
	switch {
	case len(m) == 0:
		errs.Add(apperr.Invalid, "locationMap must map at least one location", settingsField("locationMap")...)
		return nil
	case len(m) > MaxMappedLocations:
		errs.Add(apperr.Invalid, fmt.Sprintf("locationMap maps at most %d locations", MaxMappedLocations), settingsField("locationMap")...)
		return nil
	}
	out := make(map[string]string, len(m))
	gids := map[string]string{}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		field := settingsField("locationMap", fieldKey(k))
		if !ids.Valid(ids.Location, k) {
			errs.Add(apperr.Invalid, "locationMap's keys must be renkei location ids (loc_…)", field...)
			continue
		}
		gid, ok := m[k].(string)
		if !ok || !locationGidRE.MatchString(gid) {
			errs.Add(apperr.Invalid, "a mapped location must be a Shopify location gid, gid://shopify/Location/<number>", field...)
			continue
		}
		if other, dup := gids[gid]; dup {
			errs.Add(apperr.Invalid, "two renkei locations ("+other+", "+k+") map to one Shopify location", field...)
			continue
		}
		gids[gid] = k
		out[k] = gid
	}
	return out
}

// ParseSettings reads stored public settings.
func ParseSettings(raw json.RawMessage) (Settings, error) {
	var st Settings
	if err := json.Unmarshal(raw, &st); err != nil {
		return Settings{}, fmt.Errorf("read Shopify settings: %w", err)
	}
	if st.ShopDomain == "" || len(st.LocationMap) == 0 {
		return Settings{}, fmt.Errorf("read Shopify settings: shopDomain or locationMap missing")
	}
	return st, nil
}

// ParseSecrets reads opened secrets. The error never quotes them.
func ParseSecrets(raw json.RawMessage) (Secrets, error) {
	var sec Secrets
	if err := json.Unmarshal(raw, &sec); err != nil || sec.AccessToken == "" || sec.WebhookSecret == "" {
		return Secrets{}, fmt.Errorf("the Shopify integration's secrets are unreadable or incomplete")
	}
	return sec, nil
}

// endpoint is the Admin GraphQL URL of the pinned version.
func (st Settings) endpoint() string {
	base := "https://" + st.ShopDomain
	if st.APIBaseURL != "" {
		base = st.APIBaseURL
	}
	return base + "/admin/api/" + APIVersion + "/graphql.json"
}

// fieldKey is a client's settings key as it may appear in an error: clean
// text, at most 40 characters.
func fieldKey(k string) string {
	if !text.Clean(k, false) {
		return "?"
	}
	if r := []rune(k); len(r) > 40 {
		return string(r[:40])
	}
	return k
}
