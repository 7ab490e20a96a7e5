// Package console serves the merchant console's built assets (console/dist,
// made by `make console`) from the local binary: hashed files under
// /assets/ cached for a year, every other GET answered with index.html so
// the single-page app can route it, all under a Content-Security-Policy
// that allows no inline script or style and no other origin. In AWS the
// same files are served by CloudFront from S3 (infra/console.go).
package console

import (
	"bytes"
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed all:dist
var dist embed.FS

// CSP is the console's Content-Security-Policy, here and in CloudFront.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; " +
	"base-uri 'none'; form-action 'self'"

// Built reports whether dist holds a built console (index.html).
func Built() bool {
	_, err := fs.Stat(dist, "dist/index.html")
	return err == nil
}

// Handler serves the console. Paths the API owns (/graphql, /auth/,
// /webhooks/, /healthz, /graphiql) never reach it: the mux routes them first;
// any that do (a GET of a POST-only path) get a 404, not the app.
func Handler() http.Handler {
	files, _ := fs.Sub(dist, "dist")
	return newHandler(files)
}

func newHandler(files fs.FS) *handler {
	return &handler{files: files, started: time.Now()}
}

type handler struct {
	files   fs.FS
	started time.Time
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", CSP)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := path.Clean("/" + r.URL.Path)
	for _, api := range []string{"/graphql", "/auth/", "/webhooks/", "/healthz", "/graphiql"} {
		if p == strings.TrimSuffix(api, "/") || strings.HasPrefix(p, api) {
			http.NotFound(w, r)
			return
		}
	}
	if strings.HasPrefix(p, "/assets/") {
		name := strings.TrimPrefix(p, "/")
		if h.serveFile(w, r, name, "public, max-age=31536000, immutable") {
			return
		}
		http.NotFound(w, r)
		return
	}
	if !h.serveFile(w, r, "index.html", "no-cache") {
		hd.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("The console is not built: run `make console` (make run does it).\n"))
	}
}

// serveFile writes name, its precompressed .gz twin when the client takes
// gzip, with the given Cache-Control; false when there is no such file.
func (h *handler) serveFile(w http.ResponseWriter, r *http.Request, name, cache string) bool {
	if strings.HasSuffix(name, ".gz") {
		return false
	}
	body, err := fs.ReadFile(h.files, name)
	if err != nil {
		return false
	}
	hd := w.Header()
	hd.Set("Cache-Control", cache)
	hd.Set("Content-Type", contentType(name))
	hd.Add("Vary", "Accept-Encoding")
	if acceptsGzip(r) {
		if gz, err := fs.ReadFile(h.files, name+".gz"); err == nil {
			hd.Set("Content-Encoding", "gzip")
			body = gz
		}
	}
	http.ServeContent(w, r, "", h.started, bytes.NewReader(body))
	return true
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".json":
		return "application/json"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".txt":
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}
