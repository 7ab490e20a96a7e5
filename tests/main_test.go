// Package tests holds the end-to-end tests: they start the local stack
// (DynamoDB Local, the embedded SQS emulator, the API) on loopback and drive
// it over HTTP only, as a POS app would.
package tests

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/connectors/freee/freeefake"
	"github.com/renkei-pos/renkei/shared/integrations"
	"github.com/renkei-pos/renkei/shared/stack"
)

var apiURL string

// local is the running stack, for what has no HTTP face (the scheduler's jobs).
var local *stack.Local

// testJWTSecret lets tests mint tokens the server accepts (e.g. expired ones).
var testJWTSecret = []byte("e2e-test-signing-key-0123456789abcdef")

// crashAfterRun, when set, is asked after each successful job run whether
// the worker "dies" right there (before recording the success).
var crashAfterRun atomic.Pointer[func(integrations.Job) bool]

func afterRun(j integrations.Job) error {
	if f := crashAfterRun.Load(); f != nil && (*f)(j) {
		return errors.New("worker killed by the test")
	}
	return nil
}

// sharedFreee is the fake freee the stack's freee app points at (the
// authorization-code flow: freee_oauth_test.go); integrations connected
// with their own apiBaseUrl/tokenUrl use their own fakes.
var sharedFreee = freeefake.New()

func TestMain(m *testing.M) {
	if err := sharedFreee.Listen("127.0.0.1:0"); err != nil {
		fmt.Fprintln(os.Stderr, "start the fake freee:", err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	l, err := stack.StartLocal(ctx, stack.LocalConfig{Rates: stack.Rates{Public: 1000, PublicBurst: 1000, Tenant: 1000, TenantBurst: 1000}, JWTSecret: testJWTSecret,
		DynamoDBOptions: e2eDynamoDBOptions, // IAM as in AWS (iamcheck_test.go)
		// Integration jobs: a short lease (a "killed" worker's job comes
		// back in seconds), a short backoff (retries within a test), and
		// the crash hook of TestIntegrations_FreeeCloseOnceDespiteCrash.
		Integrations: stack.HubConfig{Lease: 3 * time.Second, RunTimeout: 2 * time.Second,
			Backoff: func(int) time.Duration { return 300 * time.Millisecond }, AfterRun: afterRun,
			Freee: sharedFreee.App()}})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start local stack:", err)
		os.Exit(1)
	}
	apiURL, local = l.URL, l
	code := m.Run()
	_ = l.Close(context.Background())
	_ = sharedFreee.Close()
	os.Exit(code)
}
