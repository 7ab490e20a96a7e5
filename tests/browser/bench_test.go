package browser

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// formSeen records, from the first byte of the document, when the log-in
// form is in the DOM and laid out (performance.now(), ms since navigation
// start). Injected through DevTools, so the page's CSP does not apply to it.
const formSeen = `(() => {
  const seen = () => { const f = document.querySelector('[data-testid="login-form"]'); return f && f.getClientRects().length > 0; };
  const mark = () => { if (window.__formAt === undefined && seen()) { window.__formAt = performance.now(); return true; } return false; };
  new MutationObserver((_, o) => { if (mark()) o.disconnect(); }).observe(document, { childList: true, subtree: true });
})()`

// coldLoad is one load of the console's log-in page in a fresh browser
// context with an empty cache: the bytes on the wire (response headers and
// bodies as encoded, gzip on), the requests, first-contentful-paint and
// when the log-in form became visible.
type coldLoad struct {
	bytes, assetBytes float64
	requests          int
	fcp, form         float64 // ms since navigation start
}

func loadOnce(ctx context.Context) (coldLoad, error) {
	tctx, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	if err := chromedp.Do(tctx); err != nil {
		return coldLoad{}, err
	}
	var mu sync.Mutex
	urls := map[network.RequestID]string{}
	var out coldLoad
	if err := chromedp.Listen(tctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			urls[e.RequestID] = e.Request.URL
			out.requests++
		case *network.EventLoadingFinished:
			out.bytes += e.EncodedDataLength
			if u := urls[e.RequestID]; !strings.Contains(u, "/auth/") && !strings.Contains(u, "/graphql") {
				out.assetBytes += e.EncodedDataLength
			}
		}
	}); err != nil {
		return coldLoad{}, err
	}
	if _, err := chromedp.Call(tctx, network.ClearBrowserCache, cdp.Empty{}); err != nil {
		return coldLoad{}, err
	}
	if _, err := chromedp.Call(tctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
		return coldLoad{}, err
	}
	if _, err := chromedp.Call(tctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: formSeen}); err != nil {
		return coldLoad{}, err
	}
	if err := chromedp.Do(tctx, chromedp.Navigate(local.BaseURL+"/login")); err != nil {
		return coldLoad{}, err
	}
	times, err := chromedp.Run(tctx, chromedp.Poll[[]float64](`window.__formAt !== undefined && performance.getEntriesByName('first-contentful-paint').length > 0
	  ? [performance.getEntriesByName('first-contentful-paint')[0].startTime, window.__formAt] : false`,
		chromedp.WithPollingTimeout(20*time.Second), chromedp.WithPollingInterval(20*time.Millisecond)))
	if err != nil {
		return coldLoad{}, fmt.Errorf("the log-in form and first paint: %w", err)
	}
	// The page's requests (the first cookie refresh) have all finished.
	if err := chromedp.Do(tctx, chromedp.Sleep(200*time.Millisecond)); err != nil {
		return coldLoad{}, err
	}
	mu.Lock()
	defer mu.Unlock()
	out.fcp, out.form = times[0], times[1]
	return out, nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// BenchmarkConsole: the console's first load on the local stack, cold
// cache, median of b.N loads (`make bench-console` runs 9): bytes
// transferred (all, and the console's own files without the API calls),
// first-contentful-paint and the time until the log-in form is visible.
func BenchmarkConsole(b *testing.B) {
	var total, assets, fcp, form, reqs []float64
	for range b.N {
		l, err := loadOnce(browser)
		if err != nil {
			b.Fatal(err)
		}
		total, assets = append(total, l.bytes), append(assets, l.assetBytes)
		fcp, form, reqs = append(fcp, l.fcp), append(form, l.form), append(reqs, float64(l.requests))
	}
	b.ReportMetric(median(total), "bytes/load")
	b.ReportMetric(median(assets), "asset-bytes/load")
	b.ReportMetric(median(reqs), "requests/load")
	b.ReportMetric(median(fcp), "fcp-ms")
	b.ReportMetric(median(form), "login-form-ms")
	b.ReportMetric(0, "ns/op")
	if b.N == 1 {
		return // the framework's probe run; the figures are the next run's
	}
	b.Logf("console_bench: %d cold loads of /login: median %.0f bytes transferred (%.0f of them the console's files), %.0f requests, first-contentful-paint %.0f ms, log-in form visible %.0f ms",
		len(total), median(total), median(assets), median(reqs), median(fcp), median(form))
}
