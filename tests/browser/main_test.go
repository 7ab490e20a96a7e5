// Package browser drives the merchant console (console/) in Debian's
// chromium, headless, through chromedp, against the local stack: the same
// binary pieces `make run` serves, a freee fake behind the OAuth flow and a
// webhook receiver. Each test gets a fresh browser context (no cookies or
// storage shared with another test) in one chromium for the package.
//
// The tests need chromium (.ci/run installs it with apt). Without it they
// FAIL with a message saying so; they never skip. RENKEI_CHROMIUM names
// another binary. Screenshots go to $RENKEI_ARTIFACTS (default
// tests/browser/artifacts/, gitignored) and, with
// RENKEI_UPDATE_SCREENSHOTS=1, to docs/console/.
package browser

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"github.com/renkei-pos/renkei/shared/connectors/freee/freeefake"
	"github.com/renkei-pos/renkei/shared/stack"
)

var (
	// local is the running stack; its console is served at local.BaseURL.
	local *stack.Local
	// freee is the fake freee the stack's freee app points at (OAuth
	// consent page, token endpoint, accounting API).
	freee *freeefake.Fake
	// browser is the one chromium of the package (a started chromedp
	// context); tests open their own browser contexts in it.
	browser context.Context
	// artifacts is where screenshots are written.
	artifacts string
	// chromiumPath is the browser binary in use, userAgent its own.
	chromiumPath, userAgent string
)

// testJWTSecret signs the stack's access tokens; the session-expiry test
// mints an expired token of the browser's own session with it.
var testJWTSecret = []byte("browser-test-signing-key-0123456789abcdef")

// findChromium returns the browser to drive: $RENKEI_CHROMIUM, else
// Debian's chromium (or a Chrome) on PATH.
func findChromium() (string, error) {
	if p := os.Getenv("RENKEI_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("RENKEI_CHROMIUM=%s: %w", p, err)
		}
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no chromium on this machine (looked for chromium, chromium-browser, google-chrome on PATH)")
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if chromiumPath, err = findChromium(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: the console's browser tests need chromium: %v.\n"+
			"Install Debian's package (`apt-get install -y chromium`, as .ci/run does) or set RENKEI_CHROMIUM.\n", err)
		return 1
	}
	artifacts = os.Getenv("RENKEI_ARTIFACTS")
	if artifacts == "" {
		artifacts = "artifacts"
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "artifacts:", err)
		return 1
	}

	freee = freeefake.New()
	if err := freee.Listen("127.0.0.1:0"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer freee.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	local, err = stack.StartLocal(ctx, stack.LocalConfig{
		Rates:     stack.Rates{Public: 1000, PublicBurst: 1000, Tenant: 1000, TenantBurst: 1000},
		JWTSecret: testJWTSecret,
		// Integration jobs retry within a test: a short lease and backoff.
		Integrations: stack.HubConfig{Freee: freee.App(), Lease: 3 * time.Second, RunTimeout: 2 * time.Second,
			Backoff: func(int) time.Duration { return 300 * time.Millisecond }},
	})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start local stack:", err)
		return 1
	}
	defer local.Close(context.Background())
	if err := consoleServed(); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox, // as root in CI containers
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
		// A browser in Japan: the console in Japanese (Accept-Language,
		// set per tab) and Tokyo time.
		chromedp.Flag("lang", "ja-JP"),
		chromedp.Env("TZ=Asia/Tokyo"),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	if err := chromedp.Do(bctx); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: start %s: %v\n", chromiumPath, err)
		return 1
	}
	ver, err := chromedp.CallBrowser(bctx, cdpbrowser.GetVersion, cdp.Empty{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: browser version:", err)
		return 1
	}
	userAgent = ver.UserAgent
	fmt.Fprintf(os.Stderr, "browser tests: %s (%s), console at %s\n", ver.Product, chromiumPath, local.BaseURL)
	browser = bctx
	return m.Run()
}

// consoleServed checks that the stack serves the built console (the
// binary embeds console/dist at compile time: `make console` first).
func consoleServed() error {
	res, err := http.Get(local.BaseURL + "/")
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `id="app"`) {
		return fmt.Errorf("GET / answered %d without the console's page: build it first (`make console`, which `make test` does)", res.StatusCode)
	}
	return nil
}

// repoRoot is the module's root (this package is tests/browser).
func repoRoot() string {
	wd, _ := os.Getwd()
	return filepath.Dir(filepath.Dir(wd))
}
