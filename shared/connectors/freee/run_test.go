package freee_test

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/connectors/freee/freeefake"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/integrations"
)

func oneDeal(tb testing.TB, f *freeefake.Fake) freeefake.Deal {
	tb.Helper()
	deals := f.Deals(freeefake.DefaultCompanyID)
	if len(deals) != 1 {
		tb.Fatalf("freee holds %d deals, want 1: %+v", len(deals), deals)
	}
	return deals[0]
}

func detailOf(tb testing.TB, d freeefake.Deal, taxCode int64) freeefake.Detail {
	tb.Helper()
	for _, x := range d.Details {
		if x.TaxCode == taxCode {
			return x
		}
	}
	tb.Fatalf("deal has no detail with tax code %d: %+v", taxCode, d.Details)
	return freeefake.Detail{}
}

func paymentOf(tb testing.TB, d freeefake.Deal, typ string, id int64) freeefake.Payment {
	tb.Helper()
	for _, p := range d.Payments {
		if p.WalletableType == typ && p.WalletableID == id {
			return p
		}
	}
	tb.Fatalf("deal has no payment from %s %d: %+v", typ, id, d.Payments)
	return freeefake.Payment{}
}

func TestConnector_Run_PostsOneDealPerClose(t *testing.T) {
	cases := []struct {
		name    string
		taxes   []tx
		pays    []pay
		details map[int64][2]int64 // tax code → amount (tax included), vat
	}{
		{name: "prices include tax", taxes: dayTaxes, pays: dayPays,
			details: map[int64][2]int64{129: {33000, 3000}, 156: {10800, 800}, 2: {1000, 0}}},
		{name: "prices exclude tax", taxes: []tx{{"STANDARD", 10, 12345, 1234}, {"REDUCED", 8, 999, 79}},
			pays:    []pay{{"CASH", 10000}, {"CARD", 4657}},
			details: map[int64][2]int64{129: {13579, 1234}, 156: {1078, 79}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			if err := r.run(t, closeEvent(t, testLocation, "2026-11-30", 1, tc.taxes, tc.pays)); err != nil {
				t.Fatalf("Run: %v", err)
			}
			d := oneDeal(t, r.f)
			if d.Type != "income" || d.IssueDate != "2026-11-30" || !strings.HasPrefix(d.RefNumber, "RK261130-") || len(d.RefNumber) > 20 {
				t.Fatalf("deal %+v: want an income deal of 2026-11-30 with an RK261130- ref_number of at most 20 characters", d)
			}
			if len(d.Details) != len(tc.details) {
				t.Fatalf("details %+v, want %d", d.Details, len(tc.details))
			}
			for code, want := range tc.details {
				x := detailOf(t, d, code)
				if x.Amount != want[0] || x.Vat != want[1] || x.AccountItemID != 101 {
					t.Errorf("tax code %d: amount %d vat %d account %d, want %d, %d, 101", code, x.Amount, x.Vat, x.AccountItemID, want[0], want[1])
				}
			}
			var paid int64
			for _, p := range tc.pays {
				w := map[string][2]any{"CASH": {"wallet", int64(1)}, "CARD": {"bank_account", int64(2)}, "EXTERNAL": {"wallet", int64(3)}}[p.method]
				got := paymentOf(t, d, w[0].(string), w[1].(int64))
				if got.Amount != p.amount || got.Date != "2026-11-30" {
					t.Errorf("%s payment %+v, want %d on 2026-11-30", p.method, got, p.amount)
				}
				paid += p.amount
			}
			if paid != d.Amount() {
				t.Errorf("payments %d, deal amount %d: the deal is not settled", paid, d.Amount())
			}
			if n := r.f.Count("POST /api/1/deals"); n != 1 {
				t.Errorf("%d deal posts, want 1", n)
			}
		})
	}
}

func TestConnector_Plan(t *testing.T) {
	c := newRig(t)
	ev := closeEvent(t, testLocation, "2026-11-30", 2, dayTaxes, dayPays)
	specs, err := c.c.Plan(ev, c.in)
	if err != nil || len(specs) != 1 || specs[0].Kind != integrations.KindPostDailySales || specs[0].Key != testLocation+"|2026-11-30" {
		t.Fatalf("Plan = %+v, %v; want one POST_DAILY_SALES job keyed location|date", specs, err)
	}
	t.Run("register closes are drawer counts, not posted", func(t *testing.T) {
		var data map[string]any
		_ = json.Unmarshal(ev.Data, &data)
		data["registerId"] = testLocation + "-01"
		ev := ev
		ev.Data = mustJSON(t, data)
		if specs, err := c.c.Plan(ev, c.in); err != nil || len(specs) != 0 {
			t.Fatalf("Plan(register close) = %+v, %v; want none", specs, err)
		}
	})
	t.Run("other events", func(t *testing.T) {
		ev := integrations.Event{ID: "evt_x", Type: integrations.EventOrderCompleted, Data: json.RawMessage(`{}`)}
		if specs, err := c.c.Plan(ev, c.in); err != nil || len(specs) != 0 {
			t.Fatalf("Plan(order.completed) = %+v, %v; want none", specs, err)
		}
	})
	t.Run("before startDate", func(t *testing.T) {
		in := c.in
		var st map[string]any
		_ = json.Unmarshal(in.Settings, &st)
		st["startDate"] = "2026-12-01"
		in.Settings = mustJSON(t, st)
		if specs, err := c.c.Plan(ev, in); err != nil || len(specs) != 0 {
			t.Fatalf("Plan(before startDate) = %+v, %v; want none", specs, err)
		}
	})
}

// TestConnector_Run_ReadBackAfterCrash: freee stores the deal but the answer
// never arrives (the worker dies, the connection drops); the job runs again
// and finds the deal by its ref_number instead of posting a second one.
func TestConnector_Run_ReadBackAfterCrash(t *testing.T) {
	r := newRig(t)
	r.f.Inject(freeefake.Fault{Match: "POST /api/1/deals", AfterHandling: true})
	ev := closeEvent(t, testLocation, "2026-11-30", 1, dayTaxes, dayPays)
	err := r.run(t, ev)
	if err == nil || integrations.IsPermanent(err) {
		t.Fatalf("first run: %v, want a retryable error (no answer)", err)
	}
	if got, _ := r.marks.Get(t.Context(), r.in.ID, testLocation+"|2026-11-30"); got != 0 {
		t.Fatalf("mark %d after a run without an answer, want 0", got)
	}
	if err := r.run(t, ev); err != nil {
		t.Fatalf("second run: %v", err)
	}
	oneDeal(t, r.f)
	if n := r.f.Count("POST /api/1/deals"); n != 1 {
		t.Fatalf("%d deal posts, want 1", n)
	}
	// A third delivery is answered by the mark, without calling freee.
	before := len(r.f.Requests())
	if err := r.run(t, ev); err != nil {
		t.Fatalf("third run: %v", err)
	}
	if after := len(r.f.Requests()); after != before {
		t.Fatalf("a posted revision called freee %d more times", after-before)
	}
	// Without the mark (lost with a crash after the post), the read-back
	// alone keeps it to one deal.
	r.marks.m = map[string]int64{}
	if err := r.run(t, ev); err != nil {
		t.Fatalf("run without mark: %v", err)
	}
	oneDeal(t, r.f)
}

// TestConnector_Run_Correction: revision 2 of a close (a late sale) writes
// its figures over revision 1's deal — same deal, new details, payments and
// ref_number.
func TestConnector_Run_Correction(t *testing.T) {
	r := newRig(t)
	if err := r.run(t, closeEvent(t, testLocation, "2026-11-30", 1, dayTaxes, dayPays)); err != nil {
		t.Fatalf("revision 1: %v", err)
	}
	first := oneDeal(t, r.f)
	// Revision 2: 1,100 more at 10% in cash, 1,000 less by card moved to
	// cash, no external payment any more, and the exempt sale refunded.
	taxes := []tx{{"STANDARD", 10, 34100, 3100}, {"REDUCED", 8, 10800, 800}}
	pays := []pay{{"CASH", 24900}, {"CARD", 20000}}
	if err := r.run(t, closeEvent(t, testLocation, "2026-11-30", 2, taxes, pays)); err != nil {
		t.Fatalf("revision 2: %v", err)
	}
	d := oneDeal(t, r.f)
	if d.ID != first.ID || !strings.HasSuffix(d.RefNumber, "-2") || d.RefNumber[:len(d.RefNumber)-1] != first.RefNumber[:len(first.RefNumber)-1] {
		t.Fatalf("deal %d %q after the correction, want deal %d with revision 2 of %q", d.ID, d.RefNumber, first.ID, first.RefNumber)
	}
	if len(d.Details) != 2 || detailOf(t, d, 129).Amount != 34100 || detailOf(t, d, 129).Vat != 3100 || detailOf(t, d, 156).Amount != 10800 {
		t.Fatalf("details %+v", d.Details)
	}
	if detailOf(t, d, 129).ID != detailOf(t, first, 129).ID {
		t.Errorf("the 10%% detail was replaced, not updated")
	}
	if len(d.Payments) != 2 || paymentOf(t, d, "wallet", 1).Amount != 24900 || paymentOf(t, d, "bank_account", 2).Amount != 20000 {
		t.Fatalf("payments %+v", d.Payments)
	}
	if d.Amount() != 44900 {
		t.Fatalf("amount %d, want 44,900", d.Amount())
	}
	if n := r.f.Count("POST /api/1/deals "); n != 0 {
		t.Fatalf("a correction posted")
	}
}

// TestConnector_Run_OutOfOrderRevisions: revision 2 arrives first; revision
// 1, delivered late, must not overwrite it.
func TestConnector_Run_OutOfOrderRevisions(t *testing.T) {
	r := newRig(t)
	rev2 := closeEvent(t, testLocation, "2026-11-30", 2, []tx{{"STANDARD", 10, 34100, 3100}}, []pay{{"CASH", 34100}})
	rev1 := closeEvent(t, testLocation, "2026-11-30", 1, []tx{{"STANDARD", 10, 33000, 3000}}, []pay{{"CASH", 33000}})
	if err := r.run(t, rev2); err != nil {
		t.Fatalf("revision 2: %v", err)
	}
	if err := r.run(t, rev1); err != nil {
		t.Fatalf("revision 1: %v", err)
	}
	r.marks.m = map[string]int64{} // the read-back alone decides too
	if err := r.run(t, rev1); err != nil {
		t.Fatalf("revision 1 again: %v", err)
	}
	d := oneDeal(t, r.f)
	if d.Amount() != 34100 || !strings.HasSuffix(d.RefNumber, "-2") {
		t.Fatalf("deal %+v, want revision 2's 34,100", d)
	}
	if n := r.f.Count("PUT "); n != 0 {
		t.Fatalf("%d updates: an older revision overwrote a newer one", n)
	}
}

// TestConnector_Run_OtherLocationsAndDates: deals of another location or
// date, and other people's deals, are not taken for this close's.
func TestConnector_Run_OtherLocationsAndDates(t *testing.T) {
	r := newRig(t)
	other := ids.New(ids.Location)
	for _, ev := range []integrations.Event{
		closeEvent(t, other, "2026-11-30", 1, dayTaxes, dayPays),
		closeEvent(t, testLocation, "2026-11-29", 1, dayTaxes, dayPays),
		closeEvent(t, testLocation, "2026-11-30", 1, dayTaxes, dayPays),
	} {
		if err := r.run(t, ev); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(r.f.Deals(freeefake.DefaultCompanyID)); n != 3 {
		t.Fatalf("%d deals, want 3", n)
	}
}

// TestConnector_Run_TokenRefresh: an expired access token is refreshed once;
// the new pair is saved before it is used, and the spent refresh token is
// refused by freee afterwards.
func TestConnector_Run_TokenRefresh(t *testing.T) {
	r := newRig(t)
	var old struct{ AccessToken, RefreshToken string }
	_ = json.Unmarshal(r.secrets, &old)
	r.f.ExpireAccessTokens()
	var usedBeforeSave bool
	r.f.OnDealPosted(func(freeefake.Deal) {
		r.mu.Lock()
		usedBeforeSave = len(r.saves) == 0
		r.mu.Unlock()
	})
	if err := r.run(t, closeEvent(t, testLocation, "2026-11-30", 1, dayTaxes, dayPays)); err != nil {
		t.Fatalf("Run: %v", err)
	}
	oneDeal(t, r.f)
	if len(r.saves) != 1 || usedBeforeSave {
		t.Fatalf("%d saves (used before save: %v), want the new pair saved once, before use", len(r.saves), usedBeforeSave)
	}
	var next struct{ AccessToken, RefreshToken string }
	if err := json.Unmarshal(r.saves[0], &next); err != nil || next.AccessToken == old.AccessToken || next.RefreshToken == old.RefreshToken || next.RefreshToken == "" {
		t.Fatalf("saved %s, want a new pair", r.saves[0])
	}
	if r.f.RefreshTokenValid(old.RefreshToken) {
		t.Fatal("the old refresh token still works at freee")
	}
	if n := r.f.Count("POST /public_api/token"); n != 1 {
		t.Fatalf("%d token requests, want 1", n)
	}

	t.Run("a second 401 is an error, not a loop", func(t *testing.T) {
		r.f.Inject(freeefake.Fault{Match: "GET /api/1/deals", Status: 401}, freeefake.Fault{Match: "GET /api/1/deals", Status: 401})
		err := r.run(t, closeEvent(t, testLocation, "2026-11-29", 1, dayTaxes, dayPays))
		if err == nil || integrations.IsPermanent(err) || !strings.Contains(err.Error(), "401 to GET /api/1/deals after a token refresh") {
			t.Fatalf("Run: %v, want a retryable 401-after-refresh error", err)
		}
		if n := r.f.Count("POST /public_api/token"); n != 2 {
			t.Fatalf("%d token requests in all, want 2 (one refresh per run)", n)
		}
		assertNoSecret(t, err, r)
	})
	t.Run("a refused refresh token is retried, never shown", func(t *testing.T) {
		r.mu.Lock()
		r.secrets = mustJSON(t, map[string]string{"accessToken": "acc-stale", "refreshToken": old.RefreshToken})
		r.mu.Unlock()
		err := r.run(t, closeEvent(t, testLocation, "2026-11-28", 1, dayTaxes, dayPays))
		if err == nil || integrations.IsPermanent(err) || !strings.Contains(err.Error(), "invalid_grant") {
			t.Fatalf("Run: %v, want a retryable invalid_grant error", err)
		}
		assertNoSecret(t, err, r)
	})
}

func assertNoSecret(tb testing.TB, err error, r *rig) {
	tb.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range append([]json.RawMessage{r.secrets}, r.saves...) {
		var p struct{ AccessToken, RefreshToken string }
		_ = json.Unmarshal(s, &p)
		for _, tok := range []string{p.AccessToken, p.RefreshToken, freeefake.ClientSecret} {
			if tok != "" && strings.Contains(err.Error(), tok) {
				tb.Fatalf("error text %q shows a secret", err)
			}
		}
	}
}

func TestConnector_Run_Errors(t *testing.T) {
	ev := func(t *testing.T) integrations.Event {
		return closeEvent(t, testLocation, "2026-11-30", 1, dayTaxes, dayPays)
	}
	t.Run("429 waits as Retry-After says", func(t *testing.T) {
		r := newRig(t)
		r.f.Inject(freeefake.Fault{Match: "GET /api/1/deals", Status: 429, RetryAfter: "42"})
		err := r.run(t, ev(t))
		var re *integrations.RetryError
		if !errors.As(err, &re) || re.After != 42*time.Second {
			t.Fatalf("Run: %v, want a RetryError after 42s", err)
		}
		if err := r.run(t, ev(t)); err != nil {
			t.Fatalf("after the limit: %v", err)
		}
		oneDeal(t, r.f)
	})
	t.Run("freee's rate-limit 403 waits until the reset", func(t *testing.T) {
		r := newRig(t)
		r.f.Inject(freeefake.Fault{Match: "POST /api/1/deals", Status: 403, RateLimit: true})
		err := r.run(t, ev(t))
		d := integrations.RetryDelayOf(err)
		if d <= 0 || d > 31*time.Second || integrations.IsPermanent(err) {
			t.Fatalf("Run: %v (delay %v), want a RetryError until X-RateLimit-Reset (~30s)", err, d)
		}
	})
	t.Run("500 is retried", func(t *testing.T) {
		r := newRig(t)
		r.f.Inject(freeefake.Fault{Match: "POST /api/1/deals", Status: 500})
		err := r.run(t, ev(t))
		if err == nil || integrations.IsPermanent(err) || integrations.RetryDelayOf(err) != 0 || !strings.Contains(err.Error(), "500") {
			t.Fatalf("Run: %v, want a plain retryable error naming the 500", err)
		}
		if err := r.run(t, ev(t)); err != nil {
			t.Fatalf("retry: %v", err)
		}
		oneDeal(t, r.f)
	})
	t.Run("a hang times out and is retried", func(t *testing.T) {
		r := newRig(t)
		r.c = r.c.WithTimeout(200 * time.Millisecond)
		r.f.Inject(freeefake.Fault{Match: "GET /api/1/deals", Hang: true})
		start := time.Now()
		err := r.run(t, ev(t))
		if err == nil || integrations.IsPermanent(err) || !strings.Contains(err.Error(), "in time") || time.Since(start) > 2*time.Second {
			t.Fatalf("Run: %v after %v, want a retryable timeout within the call timeout", err, time.Since(start))
		}
	})
	t.Run("400 is permanent with freee's message", func(t *testing.T) {
		r := newRig(t)
		r.f.Inject(freeefake.Fault{Match: "POST /api/1/deals", Status: 400, Message: "税区分が存在しません。"})
		err := r.run(t, ev(t))
		if !integrations.IsPermanent(err) || !strings.Contains(err.Error(), "税区分が存在しません。") || !strings.Contains(err.Error(), "400") {
			t.Fatalf("Run: %v, want a permanent error with freee's message", err)
		}
	})
	t.Run("a mapping freee no longer knows is permanent", func(t *testing.T) {
		r := newRig(t)
		c := freeefake.DefaultCompany()
		c.TaxCodes = []int64{2, 129} // 156 deleted in freee after connecting
		r.f.AddCompany(c)
		err := r.run(t, ev(t))
		if !integrations.IsPermanent(err) || !strings.Contains(err.Error(), "税区分") {
			t.Fatalf("Run: %v, want permanent", err)
		}
	})
	t.Run("a close that does not add up is permanent, nothing posted", func(t *testing.T) {
		r := newRig(t)
		err := r.run(t, closeEvent(t, testLocation, "2026-11-30", 1, dayTaxes, []pay{{"CASH", 1}}))
		if !integrations.IsPermanent(err) || r.f.Count("POST /api/1/deals") != 0 {
			t.Fatalf("Run: %v, want permanent and no post", err)
		}
	})
	t.Run("apiBaseUrl is refused outside local mode", func(t *testing.T) {
		r := newRig(t)
		cfg := r.config()
		cfg.Local = false
		specs, _ := r.c.Plan(ev(t), r.in)
		err := r.c.Run(t.Context(), cfg, integrations.Job{Kind: specs[0].Kind, Key: specs[0].Key, Event: specs[0].Event, IntegrationID: r.in.ID})
		if !integrations.IsPermanent(err) || !strings.Contains(err.Error(), "apiBaseUrl") || len(r.f.Requests()) != 4 {
			t.Fatalf("Run: %v (%d requests), want permanent naming apiBaseUrl and no call beyond connect's 4", err, len(r.f.Requests()))
		}
	})
}

// TestConnector_Run_ReadBackPages: the read-back pages through every
// income deal of the date (freee lists 100 at most per page).
func TestConnector_Run_ReadBackPages(t *testing.T) {
	r := newRig(t)
	for i := range 150 {
		r.f.AddDeal(freeefake.Deal{CompanyID: freeefake.DefaultCompanyID, IssueDate: "2026-11-30", Type: "income", RefNumber: "INV-" + string(rune('A'+i%26)),
			Details: []freeefake.Detail{{AccountItemID: 101, TaxCode: 129, Amount: 1100, Vat: 100}}})
	}
	ev := closeEvent(t, testLocation, "2026-11-30", 1, dayTaxes, dayPays)
	if err := r.run(t, ev); err != nil {
		t.Fatal(err)
	}
	r.marks.m = map[string]int64{}
	if err := r.run(t, ev); err != nil {
		t.Fatal(err)
	}
	if n := r.f.Count("POST /api/1/deals"); n != 1 {
		t.Fatalf("%d posts: the deal on the second page was not found", n)
	}
	if n := r.f.Count("GET /api/1/deals"); n != 4 {
		t.Fatalf("%d list calls, want 2 pages × 2 runs", n)
	}
}

// TestConnector_Run_CorrectionCutShort: a correction that fails after the
// deal took the new revision (its payments not yet grown) is finished by
// the next attempt, not taken for done.
func TestConnector_Run_CorrectionCutShort(t *testing.T) {
	r := newRig(t)
	if err := r.run(t, closeEvent(t, testLocation, "2026-11-30", 1, dayTaxes, dayPays)); err != nil {
		t.Fatal(err)
	}
	taxes := []tx{{"STANDARD", 10, 35200, 3200}, {"REDUCED", 8, 10800, 800}, {"EXEMPT", 0, 1000, 0}}
	pays := []pay{{"CASH", 23000}, {"CARD", 21000}, {"EXTERNAL", 3000}}
	rev2 := closeEvent(t, testLocation, "2026-11-30", 2, taxes, pays)
	r.f.Inject(freeefake.Fault{Match: "PUT /api/1/deals/", Status: 500}) // the deal update
	if err := r.run(t, rev2); err == nil {
		t.Fatal("the update's 500 was not reported")
	}
	r.f.Inject(freeefake.Fault{Match: "PUT /api/1/deals/" + strconv.FormatInt(oneDeal(t, r.f).ID, 10) + "/payments/", Status: 500}) // growing cash
	if err := r.run(t, rev2); err == nil {
		t.Fatal("the payment's 500 was not reported")
	}
	if d := oneDeal(t, r.f); !strings.HasSuffix(d.RefNumber, "-2") || paymentOf(t, d, "wallet", 1).Amount != 20800 {
		t.Fatalf("deal %+v: want revision 2's details with cash not yet grown", d)
	}
	if err := r.run(t, rev2); err != nil {
		t.Fatalf("third attempt: %v", err)
	}
	d := oneDeal(t, r.f)
	if d.Amount() != 47000 || paymentOf(t, d, "wallet", 1).Amount != 23000 || detailOf(t, d, 129).Amount != 35200 {
		t.Fatalf("deal %+v after the correction finished", d)
	}
}
