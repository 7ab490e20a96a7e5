package graph

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
)

// request is what the gateway knows about one HTTP request.
type request struct {
	id       string
	clientIP string
	log      *slog.Logger
}

type requestKey struct{}

func withRequest(ctx context.Context, r *request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

func requestFrom(ctx context.Context) *request {
	if r, ok := ctx.Value(requestKey{}).(*request); ok {
		return r
	}
	return &request{id: "none", log: slog.Default()}
}

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
