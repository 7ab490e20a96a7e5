// Package inbound holds what renkei's inbound webhook endpoints
// (POST /webhooks/stripe, POST /webhooks/shopify/{id}) answer with: a small
// JSON body that says nothing of the inside.
package inbound

import (
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
