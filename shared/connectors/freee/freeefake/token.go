package freeefake

import (
	"net/http"
)

// tokenPath is where the fake serves freee's OAuth token endpoint
// (accounts.secure.freee.co.jp/public_api/token in production).
const tokenPath = "/public_api/token"

// token exchanges an authorization code or a refresh token for a new pair.
// A refresh token works once: using it again is invalid_grant, as at freee.
func (f *Fake) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		f.recordInvalid(r.Method + " " + tokenPath + ": the token endpoint takes POST")
		oauthError(w, http.StatusMethodNotAllowed, "invalid_request")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		f.recordInvalid("POST " + tokenPath + ": Content-Type " + ct + ", want application/x-www-form-urlencoded")
		oauthError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	if r.PostForm.Get("client_id") != ClientID || r.PostForm.Get("client_secret") != ClientSecret {
		oauthError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var company int64
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		g, ok := f.codes[r.PostForm.Get("code")]
		if !ok || g.redirectURI != r.PostForm.Get("redirect_uri") {
			oauthError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
		delete(f.codes, r.PostForm.Get("code"))
		company = g.company
	case "refresh_token":
		c, ok := f.refresh[r.PostForm.Get("refresh_token")]
		if !ok {
			oauthError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
		delete(f.refresh, r.PostForm.Get("refresh_token"))
		company = c
	default:
		f.invalid = append(f.invalid, "POST "+tokenPath+": grant_type "+r.PostForm.Get("grant_type"))
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	access, refresh := f.issueLocked(company)
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": access, "token_type": "bearer", "expires_in": 21600, "refresh_token": refresh,
		"scope": "read write", "created_at": f.now().Unix(), "company_id": company,
	})
}

func (f *Fake) recordInvalid(msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.invalid = append(f.invalid, msg)
}

func oauthError(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": code})
}
