package freee

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/integrations"
)

var _ integrations.SettingsUpdater = (*Connector)(nil)

// UpdateSettings replaces the mapping and/or the start date of a connected
// freee integration (updateIntegrationSettings): the merchant fixes a
// mapping freee refused, then retries the failed job. The new mapping is
// checked against freee exactly as at connect, errors naming the same
// fields (["input", "settings", "accountMapping", …]). The company and the
// tokens stay: changing them is connecting again.
func (c *Connector) UpdateSettings(ctx context.Context, cfg integrations.Config, change json.RawMessage) (json.RawMessage, error) {
	st, err := parseStored(cfg.Integration.Settings, cfg.Local)
	if err != nil {
		return nil, errors.New("the integration's stored settings are not readable")
	}
	var errs apperr.List
	top, ok := object(&errs, change, "input", "settings")
	if !ok {
		return nil, errs.Err()
	}
	for _, k := range sortedKeys(top) {
		switch k {
		case "accountMapping", "startDate":
		case "companyId", "accessToken", "refreshToken", "authorizationCode", "authorizationId", "redirectUri", "apiBaseUrl", "tokenUrl":
			errs.Add(apperr.Invalid, quoteKey(k)+" cannot be changed here: disconnect the integration and connect it again", "input", "settings", k)
		default:
			errs.Add(apperr.Invalid, "unknown setting "+quoteKey(k), "input", "settings", k)
		}
	}
	if len(top) == 0 {
		errs.Add(apperr.Invalid, "give accountMapping, startDate or both", "input", "settings")
	}
	if v, ok := top["accountMapping"]; ok {
		st.AccountMapping = parseMapping(&errs, v)
	}
	if v, ok := top["startDate"]; ok {
		var d *string
		if json.Unmarshal(v, &d) != nil || (d != nil && !isDate(*d)) {
			errs.Add(apperr.Invalid, "startDate must be a date YYYY-MM-DD, or null to post every close", "input", "settings", "startDate")
		} else if d == nil {
			st.StartDate = ""
		} else {
			st.StartDate = *d
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	var tok secrets
	if err := json.Unmarshal(cfg.Secrets, &tok); err != nil || tok.AccessToken == "" || tok.RefreshToken == "" {
		return nil, apperr.New(apperr.Invalid, "the integration has no freee token pair: disconnect it and connect again", "input", "id")
	}
	s := c.storedSession(st, st.CompanyID, tok, cfg.SaveSecrets)
	if err := c.check(ctx, s, st); err != nil {
		return nil, err
	}
	public, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encode freee settings: %w", err)
	}
	return public, nil
}
