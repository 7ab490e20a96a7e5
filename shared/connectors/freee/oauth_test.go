package freee_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/connectors/freee"
	"github.com/renkei-pos/renkei/shared/connectors/freee/freeefake"
)

func TestConnector_AuthorizationURL(t *testing.T) {
	c := freee.New(nil, nil, testApp)
	const state = "0123456789abcdef"
	t.Run("production's consent page by default", func(t *testing.T) {
		raw, err := c.AuthorizationURL("https://console.example.com/integrations/freee/callback", state, false)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(raw)
		if u.Scheme+"://"+u.Host+u.Path != freee.DefaultAuthorizeURL || u.Query().Get("prompt") != "select_company" ||
			u.Query().Get("client_id") != freeefake.ClientID || strings.Contains(raw, freeefake.ClientSecret) {
			t.Fatalf("URL %s", raw)
		}
	})
	for _, tc := range []struct {
		name, redirect string
		local          bool
		ok             bool
	}{
		{"http on loopback in local mode", "http://127.0.0.1:8080/integrations/freee/callback", true, true},
		{"http localhost in local mode", "http://localhost:8080/integrations/freee/callback", true, true},
		{"http on loopback outside local mode", "http://127.0.0.1:8080/integrations/freee/callback", false, false},
		{"http elsewhere in local mode", "http://10.0.0.1/integrations/freee/callback", true, false},
		{"a fragment", "https://console.example.com/integrations/freee/callback#x", false, false},
		{"another path", "https://console.example.com/callback", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.AuthorizationURL(tc.redirect, state, tc.local)
			if tc.ok != (err == nil) {
				t.Fatalf("err %v, want ok %v", err, tc.ok)
			}
			if err != nil && !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("err %v, want INVALID", err)
			}
		})
	}
	t.Run("a server without the app", func(t *testing.T) {
		_, err := freee.New(nil, nil, freee.App{}).AuthorizationURL("https://console.example.com/integrations/freee/callback", state, false)
		if !apperr.Is(err, apperr.Unavailable) {
			t.Fatalf("err %v, want UNAVAILABLE", err)
		}
	})
}

// TestConnector_Exchange: a code becomes a token pair and the companies it
// opens, with the app's endpoints (the fake's).
func TestConnector_Exchange(t *testing.T) {
	f := freeefake.Start(t)
	c := freee.New(nil, nil, f.App())
	const cb = "http://127.0.0.1:8080/integrations/freee/callback"
	g, err := c.Exchange(context.Background(), f.AuthorizationCode(freeefake.DefaultCompanyID, cb), cb, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Companies) != 1 || g.Companies[0].ID != "1001" || g.Companies[0].Name != freeefake.DefaultCompany().Name || !strings.Contains(string(g.Secrets), "refreshToken") {
		t.Fatalf("grant %+v", g)
	}
	_, err = c.Exchange(context.Background(), f.AuthorizationCode(freeefake.DefaultCompanyID, cb), "http://127.0.0.1:9999/integrations/freee/callback", true)
	var ae *apperr.Error
	if !apperr.Is(err, apperr.Invalid) || !errors.As(err, &ae) || strings.Join(ae.Field, ".") != "input.code" {
		t.Fatalf("a code for another redirect_uri: %v", err)
	}
}
