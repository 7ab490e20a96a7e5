package console

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = w.Write([]byte(s))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func testFiles(t *testing.T) fstest.MapFS {
	return fstest.MapFS{
		"index.html":           {Data: []byte("<!doctype html><title>renkei</title>")},
		"index.html.gz":        {Data: gz(t, "<!doctype html><title>renkei</title>")},
		"assets/app-ABC.js":    {Data: []byte("console.log(1)")},
		"assets/app-ABC.js.gz": {Data: gz(t, "console.log(1)")},
		"assets/app-ABC.css":   {Data: []byte("body{}")},
	}
}

func get(h http.Handler, method, path string, hdr map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestConsole_SPAPathsGetIndexWithCSP(t *testing.T) {
	h := newHandler(testFiles(t))
	for _, p := range []string{"/", "/login", "/integrations/freee/callback?code=x&state=y", "/integrations/int_1", "/closes"} {
		w := get(h, "GET", p, nil)
		if w.Code != 200 || !strings.Contains(w.Body.String(), "<title>renkei</title>") {
			t.Fatalf("GET %s: %d %q, want index.html", p, w.Code, w.Body.String())
		}
		if got := w.Header().Get("Cache-Control"); got != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q, want no-cache", p, got)
		}
		csp := w.Header().Get("Content-Security-Policy")
		if csp != CSP || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("GET %s: CSP %q", p, csp)
		}
		if w.Header().Get("X-Frame-Options") != "DENY" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: security headers %v", p, w.Header())
		}
	}
}

func TestConsole_AssetsAreImmutableAndGzipped(t *testing.T) {
	h := newHandler(testFiles(t))
	w := get(h, "GET", "/assets/app-ABC.js", map[string]string{"Accept-Encoding": "br, gzip"})
	if w.Code != 200 || w.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("gzip asset: %d %v", w.Code, w.Header())
	}
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(zr)
	if string(body) != "console.log(1)" {
		t.Fatalf("gzip body %q", body)
	}
	if !strings.Contains(w.Header().Get("Cache-Control"), "immutable") || w.Header().Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Fatalf("asset headers %v", w.Header())
	}
	// No gzip accepted (or no twin): the plain file.
	w = get(h, "GET", "/assets/app-ABC.css", map[string]string{"Accept-Encoding": "gzip"})
	if w.Code != 200 || w.Header().Get("Content-Encoding") != "" || w.Body.String() != "body{}" {
		t.Fatalf("css: %d %v %q", w.Code, w.Header(), w.Body.String())
	}
	w = get(h, "GET", "/assets/app-ABC.js", map[string]string{"Accept-Encoding": "gzip;q=0"})
	if w.Header().Get("Content-Encoding") != "" || w.Body.String() != "console.log(1)" {
		t.Fatalf("gzip;q=0 still compressed: %v", w.Header())
	}
}

func TestConsole_RefusesWhatIsNotTheApp(t *testing.T) {
	h := newHandler(testFiles(t))
	cases := []struct {
		method, path string
		want         int
	}{
		{"GET", "/assets/missing.js", 404},
		{"GET", "/assets/app-ABC.js.gz", 404}, // twins are not addressable
		{"GET", "/assets/../index.html", 200}, // cleaned to /index.html: the app
		{"GET", "/graphql", 404},
		{"GET", "/auth/refresh", 404},
		{"GET", "/webhooks/stripe", 404},
		{"POST", "/login", 405},
		{"DELETE", "/", 405},
	}
	for _, c := range cases {
		if w := get(h, c.method, c.path, nil); w.Code != c.want {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, w.Code, c.want)
		}
	}
}

func TestConsole_NotBuiltSaysHow(t *testing.T) {
	h := newHandler(fstest.MapFS{".keep": {Data: []byte("x")}})
	w := get(h, "GET", "/", nil)
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "make console") {
		t.Fatalf("unbuilt: %d %q", w.Code, w.Body.String())
	}
}
