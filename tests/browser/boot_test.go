package browser

import (
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// TestBootsInABackgroundTab: the console leaves its loading screen in a tab
// that draws no frames (a tab opened in the background: the browser runs
// no requestAnimationFrame there), where the first cookie refresh answers
// before the page's effects run. A value that changes between a
// component's render and its subscription must still reach it.
func TestBootsInABackgroundTab(t *testing.T) {
	m := signUpAPI(t, "裏タブ商店")
	for _, c := range []struct {
		name     string
		loggedIn bool
	}{{"signed out", false}, {"signed in", true}} {
		t.Run(c.name, func(t *testing.T) {
			tb := newTab(t)
			if c.loggedIn {
				tb.logInUI(m.email, testPassword)
			}
			if _, err := chromedp.Call(tb.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
				Source: `window.requestAnimationFrame = () => 0; window.cancelAnimationFrame = () => {};`}); err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				tb.do("load", chromedp.Navigate(local.BaseURL+"/settings"))
				want := `!!document.querySelector('[data-testid="login-form"]')`
				if c.loggedIn {
					want = `!!document.querySelector('.shell')`
				}
				tb.waitJS("the console to leave its loading screen (load "+string(rune('1'+i))+")", want, 5*time.Second)
			}
		})
	}
}
