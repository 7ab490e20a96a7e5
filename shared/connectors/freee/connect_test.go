package freee_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/connectors/freee"
	"github.com/renkei-pos/renkei/shared/connectors/freee/freeefake"
	"github.com/renkei-pos/renkei/shared/integrations"
)

func connect(tb testing.TB, c *freee.Connector, settings map[string]any, local bool) (integrations.Connection, error) {
	tb.Helper()
	return c.Connect(tb.Context(), integrations.ConnectRequest{TenantID: "tnt_x", IntegrationID: "int_x", Name: "freee", Settings: mustJSON(tb, settings), Local: local})
}

func TestConnector_Connect(t *testing.T) {
	f := freeefake.Start(t)
	c := freee.New(nil, nil, testApp)

	t.Run("tokens: checked, split into public settings and secrets", func(t *testing.T) {
		s := connectSettings(t, f)
		conn, err := connect(t, c, s, true)
		if err != nil {
			t.Fatalf("Connect: %v", err)
		}
		for _, tok := range []string{s["accessToken"].(string), s["refreshToken"].(string)} {
			if strings.Contains(string(conn.Settings), tok) {
				t.Fatalf("public settings %s hold a token", conn.Settings)
			}
			if !strings.Contains(string(conn.Secrets), tok) {
				t.Fatalf("secrets lack a token")
			}
		}
		var pub map[string]any
		_ = json.Unmarshal(conn.Settings, &pub)
		if pub["companyId"] != float64(freeefake.DefaultCompanyID) || pub["accountMapping"] == nil || pub["apiBaseUrl"] != f.URL {
			t.Fatalf("public settings %s", conn.Settings)
		}
		for _, call := range []string{"GET /api/1/companies/1001", "GET /api/1/account_items", "GET /api/1/taxes/companies/1001", "GET /api/1/walletables"} {
			if f.Count(call) == 0 {
				t.Errorf("Connect did not check %s", call)
			}
		}
	})

	t.Run("authorization code: exchanged at the token endpoint", func(t *testing.T) {
		s := connectSettings(t, f)
		delete(s, "accessToken")
		delete(s, "refreshToken")
		s["redirectUri"] = "https://app.renkei.example/oauth/freee"
		s["authorizationCode"] = f.AuthorizationCode(freeefake.DefaultCompanyID, "https://app.renkei.example/oauth/freee")
		conn, err := connect(t, c, s, true)
		if err != nil {
			t.Fatalf("Connect: %v", err)
		}
		var sec struct{ AccessToken, RefreshToken string }
		if err := json.Unmarshal(conn.Secrets, &sec); err != nil || sec.AccessToken == "" || sec.RefreshToken == "" || !f.RefreshTokenValid(sec.RefreshToken) {
			t.Fatalf("secrets %s, want the exchanged pair", conn.Secrets)
		}
		if strings.Contains(string(conn.Settings), s["authorizationCode"].(string)) {
			t.Fatal("public settings hold the code")
		}
		// The code is single-use.
		_, err = connect(t, c, s, true)
		wantInvalid(t, err, "input", "settings", "authorizationCode")
	})

	bad := []struct {
		name  string
		edit  func(s map[string]any)
		local bool
		field []string
	}{
		{"unknown key", func(s map[string]any) { s["webhookUrl"] = "x" }, true, []string{"input", "settings", "webhookUrl"}},
		{"unknown mapping key", func(s map[string]any) { mapping(s)["salesAccount"] = 1 }, true, []string{"input", "settings", "accountMapping", "salesAccount"}},
		{"missing tax code", func(s map[string]any) { delete(mapping(s)["taxCodes"].(map[string]any), "REDUCED") }, true,
			[]string{"input", "settings", "accountMapping", "taxCodes", "REDUCED"}},
		{"missing walletable", func(s map[string]any) { delete(mapping(s)["walletables"].(map[string]any), "EXTERNAL") }, true,
			[]string{"input", "settings", "accountMapping", "walletables", "EXTERNAL"}},
		{"walletable type", func(s map[string]any) {
			mapping(s)["walletables"].(map[string]any)["CARD"] = map[string]any{"type": "safe", "id": 2}
		}, true, []string{"input", "settings", "accountMapping", "walletables", "CARD", "type"}},
		{"missing mapping", func(s map[string]any) { delete(s, "accountMapping") }, true, []string{"input", "settings", "accountMapping"}},
		{"companyId a string", func(s map[string]any) { s["companyId"] = "1001" }, true, []string{"input", "settings", "companyId"}},
		{"no refresh token", func(s map[string]any) { delete(s, "refreshToken") }, true, []string{"input", "settings", "refreshToken"}},
		{"apiBaseUrl outside local mode", func(s map[string]any) {}, false, []string{"input", "settings", "apiBaseUrl"}},
		{"tokenUrl outside local mode", func(s map[string]any) { delete(s, "apiBaseUrl") }, false, []string{"input", "settings", "tokenUrl"}},
		{"account item not in freee", func(s map[string]any) { mapping(s)["salesAccountItemId"] = 999 }, true,
			[]string{"input", "settings", "accountMapping", "salesAccountItemId"}},
		{"tax code not in freee", func(s map[string]any) { mapping(s)["taxCodes"].(map[string]any)["REDUCED"] = 157 }, true,
			[]string{"input", "settings", "accountMapping", "taxCodes", "REDUCED"}},
		{"walletable not in freee", func(s map[string]any) {
			mapping(s)["walletables"].(map[string]any)["CARD"] = map[string]any{"type": "credit_card", "id": 2}
		}, true, []string{"input", "settings", "accountMapping", "walletables", "CARD"}},
		{"gift card liability account not in freee", func(s map[string]any) { mapping(s)["giftCardLiabilityAccountItemId"] = 999 }, true,
			[]string{"input", "settings", "accountMapping", "giftCardLiabilityAccountItemId"}},
		{"GIFT_CARD walletable not in freee", func(s map[string]any) {
			mapping(s)["walletables"].(map[string]any)["GIFT_CARD"] = map[string]any{"type": "wallet", "id": 99}
		}, true, []string{"input", "settings", "accountMapping", "walletables", "GIFT_CARD"}},
		{"section not in freee", func(s map[string]any) { mapping(s)["sections"] = map[string]any{testLocation: 99} }, true,
			[]string{"input", "settings", "accountMapping", "sections", testLocation}},
		{"company the token cannot open", func(s map[string]any) { s["companyId"] = 2002 }, true, []string{"input", "settings", "companyId"}},
		{"token freee refuses", func(s map[string]any) { s["accessToken"], s["refreshToken"] = "acc-nope", "ref-nope" }, true,
			[]string{"input", "settings", "refreshToken"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			s := connectSettings(t, f)
			tc.edit(s)
			_, err := connect(t, c, s, tc.local)
			wantInvalid(t, err, tc.field...)
		})
	}

	t.Run("gift card mappings that exist are kept", func(t *testing.T) {
		s := connectSettings(t, f)
		mapping(s)["giftCardLiabilityAccountItemId"] = 101
		mapping(s)["walletables"].(map[string]any)["GIFT_CARD"] = map[string]any{"type": "wallet", "id": 1}
		conn, err := connect(t, c, s, true)
		if err != nil || !strings.Contains(string(conn.Settings), `"giftCardLiabilityAccountItemId":101`) || !strings.Contains(string(conn.Settings), `"GIFT_CARD"`) {
			t.Fatalf("Connect = %s, %v", conn.Settings, err)
		}
	})

	t.Run("sections that exist are kept", func(t *testing.T) {
		s := connectSettings(t, f)
		mapping(s)["sections"] = map[string]any{testLocation: 11}
		conn, err := connect(t, c, s, true)
		if err != nil || !strings.Contains(string(conn.Settings), `"sections":{"`+testLocation+`":11}`) {
			t.Fatalf("Connect = %s, %v", conn.Settings, err)
		}
	})

	t.Run("freee down is UNAVAILABLE", func(t *testing.T) {
		f.Inject(freeefake.Fault{Match: "GET /api/1/companies", Status: 503})
		_, err := connect(t, c, connectSettings(t, f), true)
		if !apperr.Is(err, apperr.Unavailable) {
			t.Fatalf("Connect: %v, want UNAVAILABLE", err)
		}
	})

	t.Run("an expired access token is refreshed at connect", func(t *testing.T) {
		s := connectSettings(t, f)
		f.ExpireAccessTokens()
		conn, err := connect(t, c, s, true)
		if err != nil {
			t.Fatalf("Connect: %v", err)
		}
		if strings.Contains(string(conn.Secrets), s["refreshToken"].(string)) || f.RefreshTokenValid(s["refreshToken"].(string)) {
			t.Fatal("the spent refresh token was kept")
		}
	})
}

func mapping(s map[string]any) map[string]any { return s["accountMapping"].(map[string]any) }

func wantInvalid(tb testing.TB, err error, field ...string) {
	tb.Helper()
	list, ok := apperr.Expected(err)
	if !ok || !apperr.Is(err, apperr.Invalid) {
		tb.Fatalf("err = %v, want INVALID at %v", err, field)
	}
	for _, e := range list {
		if slices.Equal(e.Field, field) {
			return
		}
	}
	tb.Fatalf("err = %v, want INVALID at %v", err, field)
}
