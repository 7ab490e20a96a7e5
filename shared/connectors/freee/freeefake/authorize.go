package freeefake

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/renkei-pos/renkei/shared/connectors/freee"
)

// authorizePath is where the fake serves freee's consent page
// (accounts.secure.freee.co.jp/public_api/authorize in production).
const authorizePath = "/public_api/authorize"

// App is renkei's freee app pointed at the fake: its client credentials
// and endpoints (for stack.HubConfig.Freee).
func (f *Fake) App() freee.App {
	return freee.App{ClientID: ClientID, ClientSecret: ClientSecret, AuthorizeURL: f.AuthorizeURL, TokenURL: f.TokenURL, APIBaseURL: f.URL}
}

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>freee (fake) — アプリ連携の許可</title>
<style>body{font-family:sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}fieldset{margin:1rem 0}button{font-size:1rem;padding:.5rem 1rem;margin-right:.5rem}.note{color:#666;font-size:.85rem}</style>
</head><body>
<h1>アプリ連携の許可 / Authorize app</h1>
<p class="note">This is renkei's local stand-in for freee (no real freee account is involved).</p>
<p><strong>renkei</strong> が freee 会計のデータにアクセスすることを許可しますか？</p>
<form method="post" action="{{.Action}}">
<input type="hidden" name="client_id" value="{{.ClientID}}">
<input type="hidden" name="redirect_uri" value="{{.RedirectURI}}">
<input type="hidden" name="state" value="{{.State}}">
<fieldset><legend>事業所 / Company</legend>
{{range $i, $c := .Companies}}<label><input type="radio" name="company_id" value="{{$c.ID}}"{{if eq $i 0}} checked{{end}}> {{$c.Name}} ({{$c.ID}})</label><br>
{{end}}</fieldset>
<button type="submit" name="decision" value="allow" id="allow">許可する / Allow</button>
<button type="submit" name="decision" value="deny" id="deny">拒否する / Deny</button>
</form>
</body></html>
`))

// authorize is the consent page: GET shows the companies and an Allow
// button (a form, no script); its POST redirects to redirect_uri with a
// one-time code (or error=access_denied) and the state, as freee does.
// An unknown client_id or a redirect_uri that is not registered is
// answered 400 here, never redirected.
func (f *Fake) authorize(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	clientID, redirectURI, state := r.Form.Get("client_id"), r.Form.Get("redirect_uri"), r.Form.Get("state")
	if clientID != ClientID {
		http.Error(w, "freee (fake): unknown client_id", http.StatusBadRequest)
		return
	}
	if !f.redirectAllowed(redirectURI) {
		http.Error(w, "freee (fake): redirect_uri is not registered for this app", http.StatusBadRequest)
		return
	}
	if r.Method == http.MethodGet {
		if r.Form.Get("response_type") != "code" {
			http.Error(w, "freee (fake): response_type must be code", http.StatusBadRequest)
			return
		}
		type company struct {
			ID   int64
			Name string
		}
		f.mu.Lock()
		var cs []company
		for _, c := range f.companies {
			cs = append(cs, company{c.ID, c.Name})
		}
		f.mu.Unlock()
		sort.Slice(cs, func(i, j int) bool { return cs[i].ID < cs[j].ID })
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = consentPage.Execute(w, map[string]any{"Action": authorizePath, "ClientID": clientID, "RedirectURI": redirectURI, "State": state, "Companies": cs})
		return
	}
	back, _ := url.Parse(redirectURI)
	q := back.Query()
	if state != "" {
		q.Set("state", state)
	}
	if r.PostForm.Get("decision") != "allow" {
		q.Set("error", "access_denied")
	} else {
		company, _ := strconv.ParseInt(r.PostForm.Get("company_id"), 10, 64)
		f.mu.Lock()
		_, ok := f.companies[company]
		f.mu.Unlock()
		if !ok {
			http.Error(w, "freee (fake): choose a company", http.StatusBadRequest)
			return
		}
		q.Set("code", f.AuthorizationCode(company, redirectURI))
	}
	back.RawQuery = q.Encode()
	http.Redirect(w, r, back.String(), http.StatusSeeOther)
}

func (f *Fake) redirectAllowed(raw string) bool {
	f.mu.Lock()
	registered := slices.Clone(f.redirectURIs)
	f.mu.Unlock()
	if len(registered) > 0 {
		return slices.Contains(registered, raw)
	}
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil &&
		strings.HasSuffix(u.Path, freee.CallbackPath)
}
