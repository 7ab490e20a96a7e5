// Package inbound is what renkei's inbound webhook endpoints
// (POST /webhooks/stripe, POST /webhooks/shopify/{id}) share: reading the
// raw, size-bounded body a signature covers, and answering with a small JSON
// body that says nothing of the inside.
package inbound

import (
	"errors"
	"io"
	"net/http"
)

// Answer writes {"received":true} for 200, else {"error":msg}; msg is a
// fixed text of the caller's, never an error's.
func Answer(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if status == http.StatusOK {
		_, _ = io.WriteString(w, `{"received":true}`)
		return
	}
	_, _ = io.WriteString(w, `{"error":"`+msg+`"}`)
}

// ReadBody reads a webhook's raw body (the signature covers it byte for
// byte), at most max bytes. It answers the sender itself — 405 for another
// method, 413 for a larger body, 400 for an unreadable one — and then
// returns ok false.
func ReadBody(w http.ResponseWriter, r *http.Request, max int64) (body []byte, ok bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		Answer(w, http.StatusMethodNotAllowed, "use POST")
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			Answer(w, http.StatusRequestEntityTooLarge, "body too large")
			return nil, false
		}
		Answer(w, http.StatusBadRequest, "could not read the body")
		return nil, false
	}
	return body, true
}
