// Package tests holds the end-to-end tests: they start the local stack
// (DynamoDB Local, the embedded SQS emulator, the API) on loopback and drive
// it over HTTP only, as a POS app would.
package tests

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/stack"
)

var apiURL string

// local is the running stack, for what has no HTTP face (the scheduler's jobs).
var local *stack.Local

// testJWTSecret lets tests mint tokens the server accepts (e.g. expired ones).
var testJWTSecret = []byte("e2e-test-signing-key-0123456789abcdef")

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	l, err := stack.StartLocal(ctx, stack.LocalConfig{Rates: stack.Rates{Public: 1000, PublicBurst: 1000, Tenant: 1000, TenantBurst: 1000}, JWTSecret: testJWTSecret})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start local stack:", err)
		os.Exit(1)
	}
	apiURL, local = l.URL, l
	code := m.Run()
	_ = l.Close(context.Background())
	os.Exit(code)
}
