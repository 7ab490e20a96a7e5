package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// tab is one test's page in a browser context of its own (cookies and
// storage shared with no other test), with what the page reported: console
// errors, exceptions, CSP violations and the requests it sent.
type tab struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	problems []string      // console errors, exceptions, CSP violations
	requests []sentRequest // every request the page sent
	docs     []network.Headers
	// failedAPI are the GraphQL responses answered 4xx/5xx (their bodies
	// explain a page's error banner in a failure message).
	failedAPI []network.RequestID
	// allowed returns true for a problem the test expects (e.g. the 401
	// of a deliberately expired token).
	allowed []func(string) bool
}

type sentRequest struct {
	ID          network.RequestID
	Method, URL string
	Body, Doc   string // the start of the post data; the page that sent it
	At          time.Time
	Done        bool // answered, or failed
}

// newTab opens a page in a fresh browser context; it closes with the test,
// which fails then if the page logged an error or a CSP violation.
func newTab(t *testing.T) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		t.Fatalf("open a browser context: %v", err)
	}
	tb := &tab{t: t, ctx: ctx}
	// A Japanese browser: the console picks its language from it.
	if _, err := chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: userAgent, AcceptLanguage: "ja-JP,ja"}); err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := chromedp.Listen(ctx, tb.onEvent); err != nil {
		cancel()
		t.Fatal(err)
	}
	tctx, tcancel := context.WithTimeout(ctx, 2*time.Minute)
	tb.ctx = tctx
	t.Cleanup(func() {
		if !t.Failed() {
			tb.checkClean()
		} else {
			tb.screenshot("FAILED-" + strings.ReplaceAll(t.Name(), "/", "_"))
		}
		tcancel()
		cancel()
	})
	// The log-in page's first cookie refresh answers 401 when there is no
	// session: the browser logs that failed request, and it is expected.
	tb.allow(func(p string) bool { return strings.Contains(p, "/auth/refresh") && strings.Contains(p, "401") })
	return tb
}

func (tb *tab) onEvent(ev any) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range e.Args {
				if a.Value != nil {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			tb.problems = append(tb.problems, "console."+string(e.Type)+": "+strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		tb.problems = append(tb.problems, fmt.Sprintf("exception: %s (%s:%d)", msg, d.URL, d.LineNumber))
	case *log.EventEntryAdded:
		if e.Entry.Level == log.EntryLevelError || e.Entry.Source == log.EntrySourceSecurity {
			tb.problems = append(tb.problems, fmt.Sprintf("log %s/%s: %s %s", e.Entry.Source, e.Entry.Level, e.Entry.Text, e.Entry.URL))
		}
	case *network.EventRequestWillBeSent:
		var body []byte
		for _, p := range e.Request.PostDataEntries {
			body = append(body, p.Bytes...)
		}
		if len(body) > 80 {
			body = body[:80]
		}
		tb.requests = append(tb.requests, sentRequest{ID: e.RequestID, Method: e.Request.Method, URL: e.Request.URL, At: time.Now(), Body: string(body), Doc: e.DocumentURL})
	case *network.EventLoadingFinished:
		tb.doneLocked(e.RequestID)
	case *network.EventLoadingFailed:
		tb.doneLocked(e.RequestID)
	case *network.EventResponseReceived:
		if e.Type == network.ResourceTypeDocument {
			tb.docs = append(tb.docs, e.Response.Headers)
		}
		if e.Response.Status >= 400 && strings.HasSuffix(e.Response.URL, "/graphql") {
			tb.failedAPI = append(tb.failedAPI, e.RequestID)
		}
	}
}

func (tb *tab) doneLocked(id network.RequestID) {
	for i := range tb.requests {
		if tb.requests[i].ID == id {
			tb.requests[i].Done = true
		}
	}
}

// pending lists the requests not answered yet (for failure messages).
func (tb *tab) pending() string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	var out []string
	for _, r := range tb.requests {
		if !r.Done {
			out = append(out, fmt.Sprintf("%s %s %q from %s (for %s)", r.Method, r.URL, r.Body, r.Doc, time.Since(r.At).Round(time.Millisecond)))
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, "; ")
}

// allow marks problems matching f as expected.
func (tb *tab) allow(f func(string) bool) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.allowed = append(tb.allowed, f)
}

// unexpectedProblems are the console errors, exceptions and CSP
// violations no allow matched.
func (tb *tab) unexpectedProblems() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	var out []string
next:
	for _, p := range tb.problems {
		for _, f := range tb.allowed {
			if f(p) {
				continue next
			}
		}
		out = append(out, p)
	}
	return out
}

// checkClean fails the test if the page logged an unexpected error, an
// exception or a CSP violation, or if a document came without a CSP.
func (tb *tab) checkClean() {
	tb.t.Helper()
	for _, p := range tb.unexpectedProblems() {
		tb.t.Errorf("the page reported: %s", p)
	}
	tb.mu.Lock()
	docs := append([]network.Headers(nil), tb.docs...)
	tb.mu.Unlock()
	for _, h := range docs {
		if csp := header(h, "Content-Security-Policy"); csp == "" {
			tb.t.Errorf("a console document came without a Content-Security-Policy header: %v", h)
		}
	}
}

// header reads a response header case-insensitively.
func header(h network.Headers, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}

// countRequests counts the requests sent to path (method "" for any) since.
func (tb *tab) countRequests(method, path string, since time.Time) int {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	n := 0
	for _, r := range tb.requests {
		if (method == "" || r.Method == method) && strings.HasSuffix(strings.SplitN(r.URL, "?", 2)[0], path) && !r.At.Before(since) {
			n++
		}
	}
	return n
}

// do runs actions and fails the test on error.
func (tb *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, actions...); err != nil {
		tb.t.Fatalf("%s: %v", what, err)
	}
}

// open loads a console path (e.g. "/login") and waits for the app to boot.
func (tb *tab) open(path string) {
	tb.t.Helper()
	tb.do("open "+path, chromedp.Navigate(local.BaseURL+path))
	tb.waitJS("the console to boot", `document.querySelector('#app > *') && !document.querySelector('.boot')`, 20*time.Second)
}

// eval evaluates a JavaScript expression and decodes its value into T.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAsValue))
	if err != nil {
		tb.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitJS waits until the expression is truthy. It evaluates again and
// again, across navigations (an evaluation cut short by one is retried).
func (tb *tab) waitJS(what, expr string, timeout time.Duration) {
	tb.t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for {
		ok, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`!!(`+expr+`)`, chromedp.EvalAsValue))
		if err == nil && ok {
			return
		}
		// A page whose data failed to load (Loaded's error banner, with its
		// reload button) will not get there.
		if banner, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`(() => { const b = document.querySelector('main .banner.error:has(> button)'); return b ? b.innerText : ''; })()`)); banner != "" && time.Since(deadline.Add(-timeout)) > 2*time.Second {
			tb.t.Fatalf("waiting for %s (%s): the page shows an error: %q\npage %s\nAPI requests that failed: %s", what, expr, banner, tb.url(), tb.apiFailures())
		}
		if err != nil {
			last = err
		}
		if time.Now().After(deadline) || tb.ctx.Err() != nil {
			tb.t.Fatalf("waiting for %s (%s): not after %s (last error: %v)\npage %s text: %s\nAPI requests that failed: %s\nrequests unanswered: %s\n%s", what, expr, timeout, last, tb.url(), tb.bodyText(), tb.apiFailures(), tb.pending(), tb.diagnose())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// diagnose describes the browser's state for a failure message: the
// requests the page sent, the Web Locks it holds or waits for, and the
// browser's other targets.
func (tb *tab) diagnose() string {
	tb.mu.Lock()
	var reqs []string
	for _, r := range tb.requests {
		reqs = append(reqs, fmt.Sprintf("%s %s done=%v", r.Method, r.URL, r.Done))
	}
	tb.mu.Unlock()
	locks, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`navigator.locks ? navigator.locks.query().then(q => JSON.stringify(q)) : 'no navigator.locks'`, chromedp.EvalAwaitPromise))
	if err != nil {
		locks = err.Error()
	}
	var targets []string
	if infos, err := chromedp.Targets(tb.ctx); err == nil {
		for _, i := range infos {
			targets = append(targets, fmt.Sprintf("%s %s %s attached=%v", i.Type, i.URL, i.BrowserContextID, i.Attached))
		}
	}
	return fmt.Sprintf("requests sent: %v\nweb locks: %s\nbrowser targets: %v", reqs, locks, targets)
}

// url is the page's address (for failure messages).
func (tb *tab) url() string {
	v, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`location.href`))
	return v
}

// apiFailures are the bodies of the GraphQL responses answered 4xx/5xx.
func (tb *tab) apiFailures() string {
	tb.mu.Lock()
	ids := append([]network.RequestID(nil), tb.failedAPI...)
	tb.mu.Unlock()
	var out []string
	for _, id := range ids {
		res, err := chromedp.Call(tb.ctx, network.GetResponseBody, network.GetResponseBodyParams{RequestID: id})
		if err == nil {
			out = append(out, string(res.Body))
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, "\n")
}

// bodyText is the page's visible text (for failure messages).
func (tb *tab) bodyText() string {
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
	if err != nil {
		return "(" + err.Error() + ")"
	}
	if len(v) > 2000 {
		v = v[:2000] + "…"
	}
	return v
}

// q is a CSS selector as a JavaScript string literal.
func q(css string) string {
	b, _ := json.Marshal(css)
	return string(b)
}

// testid is the CSS selector of a data-testid.
func testid(id string) string { return fmt.Sprintf("[data-testid=%q]", id) }

// waitFor waits until an element matching css is present and visible.
func (tb *tab) waitFor(css string, timeout time.Duration) {
	tb.t.Helper()
	tb.waitJS(css, fmt.Sprintf(`(() => { const e = document.querySelector(%s); return !!e && e.getClientRects().length > 0; })()`, q(css)), timeout)
}

// click clicks the element matching css (after it is visible).
func (tb *tab) click(css string) {
	tb.t.Helper()
	tb.waitFor(css, 15*time.Second)
	tb.do("click "+css, chromedp.Click(chromedp.CSS(css), chromedp.NodeVisible))
}

// fill replaces an input's value by typing text into it (as a user would:
// key events, so the page's input handlers run).
func (tb *tab) fill(css, text string) {
	tb.t.Helper()
	tb.waitFor(css, 15*time.Second)
	tb.do("clear "+css, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const e = document.querySelector(%s); e.focus(); e.select && e.select(); })()`, q(css))))
	tb.do("type into "+css, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const e = document.querySelector(%s);
	  const set = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(e), 'value').set; set.call(e, '');
	  e.dispatchEvent(new Event('input', {bubbles: true})); })()`, q(css))))
	if text != "" {
		tb.do("type into "+css, chromedp.SendKeys(chromedp.CSS(css), text, chromedp.NodeVisible))
	}
}

// choose selects an option of a <select> by value and fires change.
func (tb *tab) choose(css, value string) {
	tb.t.Helper()
	tb.waitFor(css, 15*time.Second)
	ok := eval[bool](tb, fmt.Sprintf(`(() => { const e = document.querySelector(%s);
	  if (![...e.options].some(o => o.value === %s)) return false;
	  e.value = %s; e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`, q(css), q(value), q(value)))
	if !ok {
		tb.t.Fatalf("select %s has no option %q; options: %s", css, value,
			eval[string](tb, fmt.Sprintf(`[...document.querySelector(%s).options].map(o => o.value + '=' + o.text).join(', ')`, q(css))))
	}
}

// text is the innerText of the first element matching css ("" if none).
func (tb *tab) text(css string) string {
	tb.t.Helper()
	return eval[string](tb, fmt.Sprintf(`(() => { const e = document.querySelector(%s); return e ? e.innerText : ''; })()`, q(css)))
}

// count is how many elements match css.
func (tb *tab) count(css string) int {
	tb.t.Helper()
	return eval[int](tb, fmt.Sprintf(`document.querySelectorAll(%s).length`, q(css)))
}

// waitText waits until the element matching css contains want.
func (tb *tab) waitText(css, want string, timeout time.Duration) {
	tb.t.Helper()
	tb.waitJS(fmt.Sprintf("%s to say %q", css, want), fmt.Sprintf(`(() => { const e = document.querySelector(%s); return !!e && e.innerText.includes(%s); })()`, q(css), q(want)), timeout)
}

// screenshot saves a PNG of the viewport as artifacts/<name>.png, and as
// docs/console/<name>.png with RENKEI_UPDATE_SCREENSHOTS=1.
func (tb *tab) screenshot(name string) {
	tb.t.Helper()
	tb.saveShot(name, chromedp.CaptureScreenshot())
}

// screenshotFull is screenshot of the whole page, beyond the viewport.
func (tb *tab) screenshotFull(name string) {
	tb.t.Helper()
	tb.saveShot(name, chromedp.FullScreenshot(100))
}

func (tb *tab) saveShot(name string, shot chromedp.Action[[]byte]) {
	tb.t.Helper()
	// Let fonts, charts and transitions settle.
	_ = chromedp.Do(tb.ctx, chromedp.Sleep(300*time.Millisecond))
	buf, err := chromedp.Run(tb.ctx, shot)
	if err != nil {
		tb.t.Logf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(artifacts, name+".png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		tb.t.Errorf("write %s: %v", path, err)
	}
	if os.Getenv("RENKEI_UPDATE_SCREENSHOTS") == "1" && !strings.HasPrefix(name, "FAILED") {
		dst := filepath.Join(repoRoot(), "docs", "console", name+".png")
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err == nil {
			if err := os.WriteFile(dst, buf, 0o644); err != nil {
				tb.t.Errorf("write %s: %v", dst, err)
			}
		}
	}
}

// logInUI logs in through the console's form and waits for the app.
func (tb *tab) logInUI(email, password string) {
	tb.t.Helper()
	tb.open("/login")
	tb.fill(testid("login-form")+` input[name="email"]`, email)
	tb.fill(testid("login-form")+` input[name="password"]`, password)
	tb.click(testid("login-submit"))
	tb.waitJS("the console after log-in", `!document.querySelector('[data-testid="login-form"]') && !!(document.querySelector('.shell') || document.querySelector('[data-testid="managers-only"]'))`, 20*time.Second)
}

// evalVoid is an action that evaluates JavaScript for its effect.
func evalVoid(js string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](js)
}
