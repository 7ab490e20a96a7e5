package tests

import (
	"strings"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/connectors/freee/freeefake"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// The console's lists: staff, apiKeys, closes (with their accounting).

const staffQuery = `{ staff { id name email role locationIds deactivatedAt } }`

const apiKeysQuery = `{ apiKeys { id name scopes createdAt revokedAt register { id } } }`

const closesQuery = `query($from: String!, $to: String!, $loc: ID) { closes(from: $from, to: $to, locationId: $loc) {
  id businessDate revision closedAt location { id } register { id } netSales { amount }
  accounting { jobId status attempts lastError updatedAt integration { id name provider } } } }`

// addStaff creates a staff member with a name of the test's choosing.
func addStaff(tb testing.TB, m merchant, name, role string, locs []string) (id, token string) {
	tb.Helper()
	email := uniqueEmail("list")
	in := map[string]any{"email": email, "name": name, "role": role, "password": testPassword}
	if locs != nil {
		in["locationIds"] = locs
	}
	r := gql(tb, m.token, `mutation($in: CreateStaffInput!) { createStaff(input: $in) { user { id } userErrors { code message } } }`, map[string]any{"in": in})
	mustOK(tb, r, "createStaff")
	return str(tb, r.Data, "createStaff.user.id"), logIn(tb, email, testPassword)
}

// rows returns the list at path as maps.
func rows(tb testing.TB, r gqlResponse, path string) []map[string]any {
	tb.Helper()
	mustOK(tb, r, "")
	var out []map[string]any
	for _, n := range field(tb, r.Data, path).([]any) {
		out = append(out, n.(map[string]any))
	}
	return out
}

func names(rs []map[string]any, key string) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i], _ = r[key].(string)
	}
	return out
}

// wantCode asserts a top-level error code and no data.
func wantCode(tb testing.TB, r gqlResponse, code, what string) {
	tb.Helper()
	if got := r.code(); got != code {
		tb.Fatalf("%s: code %q, want %s (errors %+v)", what, got, code, r.Errors)
	}
}

func TestLists_Staff(t *testing.T) {
	m := signUp(t, "Lists")
	loc1, loc2 := createLocation(t, m, "Lists Shibuya"), createLocation(t, m, "Lists Umeda")
	watanabe, _ := addStaff(t, m, "Watanabe", "CASHIER", nil)
	abe, managerToken := addStaff(t, m, "Abe", "MANAGER", nil)
	kato, _ := addStaff(t, m, "Kato", "CASHIER", []string{loc1})
	ueda, scopedManager := addStaff(t, m, "Ueda", "MANAGER", []string{loc1})
	_, _ = addStaff(t, m, "Sato", "CASHIER", []string{loc2})
	_, cashierToken := addStaff(t, m, "Ito", "CASHIER", nil)
	r := gql(t, m.token, `mutation($in: DeactivateStaffInput!) { deactivateStaff(input: $in) { user { id } userErrors { code } } }`,
		map[string]any{"in": map[string]any{"id": watanabe}})
	mustOK(t, r, "deactivateStaff")

	t.Run("the owner sees everyone by name, the deactivated marked", func(t *testing.T) {
		list := rows(t, gql(t, m.token, staffQuery, nil), "staff")
		want := []string{"Abe", "Ito", "Kato", "Lists Owner", "Sato", "Ueda", "Watanabe"}
		if got := names(list, "name"); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("staff %v, want %v", got, want)
		}
		for _, u := range list {
			deactivated := u["deactivatedAt"] != nil
			if deactivated != (u["id"] == watanabe) {
				t.Errorf("%s deactivatedAt = %v", u["name"], u["deactivatedAt"])
			}
		}
		if list[0]["id"] != abe || list[0]["role"] != "MANAGER" {
			t.Errorf("first row %+v", list[0])
		}
	})
	t.Run("a manager sees everyone", func(t *testing.T) {
		if n := len(rows(t, gql(t, managerToken, staffQuery, nil), "staff")); n != 7 {
			t.Fatalf("a manager sees %d staff, want 7", n)
		}
	})
	t.Run("a manager of one location sees the staff of that location", func(t *testing.T) {
		list := rows(t, gql(t, scopedManager, staffQuery, nil), "staff")
		got := names(list, "id")
		if len(got) != 2 || got[0] != kato || got[1] != ueda {
			t.Fatalf("a scoped manager sees %v, want Kato and Ueda [%s %s]", names(list, "name"), kato, ueda)
		}
	})
	t.Run("a cashier is refused", func(t *testing.T) {
		wantCode(t, gql(t, cashierToken, staffQuery, nil), "FORBIDDEN", "staff as a cashier")
	})
	t.Run("another tenant sees only its own", func(t *testing.T) {
		other := signUp(t, "Elsewhere")
		list := rows(t, gql(t, other.token, staffQuery, nil), "staff")
		if len(list) != 1 || list[0]["id"] != other.userID {
			t.Fatalf("another tenant's staff %+v", list)
		}
	})
}

func TestLists_ApiKeys(t *testing.T) {
	m := signUp(t, "Keys")
	loc := createLocation(t, m, "Keys Shibuya")
	secret1, first := createAPIKey(t, m, "ORDERS_READ")
	time.Sleep(2 * time.Millisecond)
	r := gql(t, m.token, `mutation($in: CreateApiKeyInput!) { createApiKey(input: $in) { apiKey { id } secret userErrors { code message } } }`,
		map[string]any{"in": map[string]any{"name": "till 1", "scopes": []string{"ORDERS_WRITE"}, "registerId": tenant.RegisterID(loc, 1)}})
	mustOK(t, r, "createApiKey")
	second, secret2 := str(t, r.Data, "createApiKey.apiKey.id"), str(t, r.Data, "createApiKey.secret")
	r = gql(t, m.token, `mutation($in: RevokeApiKeyInput!) { revokeApiKey(input: $in) { apiKey { id } userErrors { code } } }`,
		map[string]any{"in": map[string]any{"id": first}})
	mustOK(t, r, "revokeApiKey")

	t.Run("newest first, the revoked marked, no secret", func(t *testing.T) {
		r := gql(t, m.token, apiKeysQuery, nil)
		list := rows(t, r, "apiKeys")
		if got := names(list, "id"); len(got) != 2 || got[0] != second || got[1] != first {
			t.Fatalf("apiKeys %v, want [%s %s]", got, second, first)
		}
		if list[0]["revokedAt"] != nil || list[1]["revokedAt"] == nil {
			t.Fatalf("revokedAt: %v, %v", list[0]["revokedAt"], list[1]["revokedAt"])
		}
		if reg, _ := list[0]["register"].(map[string]any); reg == nil || reg["id"] != tenant.RegisterID(loc, 1) {
			t.Fatalf("the bound key's register %v", list[0]["register"])
		}
		raw := string(mustJSONBytes(t, r.Data))
		if strings.Contains(raw, secret1) || strings.Contains(raw, secret2) {
			t.Fatal("a secret is in the list")
		}
	})
	t.Run("a manager is refused", func(t *testing.T) {
		token, _ := createStaff(t, m, "MANAGER", nil)
		wantCode(t, gql(t, token, apiKeysQuery, nil), "FORBIDDEN", "apiKeys as a manager")
	})
	t.Run("an API key is refused", func(t *testing.T) {
		key, _ := createAPIKey(t, m, "REPORTS_READ")
		wantCode(t, gql(t, key, apiKeysQuery, nil), "FORBIDDEN", "apiKeys with a key")
	})
	t.Run("at most MaxAPIKeys, then createApiKey refuses and writes nothing", func(t *testing.T) {
		have := len(rows(t, gql(t, m.token, apiKeysQuery, nil), "apiKeys"))
		for range identity.MaxAPIKeys - have {
			createAPIKey(t, m, "CATALOG_READ")
		}
		r := gql(t, m.token, `mutation($in: CreateApiKeyInput!) { createApiKey(input: $in) { apiKey { id } secret userErrors { code message } } }`,
			map[string]any{"in": map[string]any{"name": "one too many", "scopes": []string{"CATALOG_READ"}}})
		if got := userErrorCodes(t, r.Data, "createApiKey"); len(got) != 1 || got[0] != "INVALID" || field(t, r.Data, "createApiKey.secret") != nil {
			t.Fatalf("the key past the bound: %v %+v", got, r.Data)
		}
		if n := len(rows(t, gql(t, m.token, apiKeysQuery, nil), "apiKeys")); n != identity.MaxAPIKeys {
			t.Fatalf("%d keys listed, want %d", n, identity.MaxAPIKeys)
		}
	})
}

func TestLists_Closes(t *testing.T) {
	s := newStore(t, "Closes", nil)
	today := time.Now().In(tokyo)
	date, yesterday := today.Format(time.DateOnly), today.AddDate(0, 0, -1).Format(time.DateOnly)
	till := tenant.RegisterID(s.loc, 1)

	// Yesterday's close (no sales), today's location close, a sale, its
	// revision 2, and the till's close.
	mustOK(t, closeRegister(t, s.m.token, closeInput(s.loc, "", yesterday, 0)), "closeRegister")
	mustOK(t, checkout(t, s.m.token, s.basket(stockKey("closes"), cashPayment(2185, 3000))), "checkout")
	mustOK(t, closeRegister(t, s.m.token, closeInput(s.loc, "", date, 2185)), "closeRegister")
	mustOK(t, checkout(t, s.m.token, s.basket(stockKey("closes"), cashPayment(2185, 3000))), "checkout")
	mustOK(t, closeRegister(t, s.m.token, closeInput(s.loc, "", date, 4370)), "closeRegister")
	mustOK(t, closeRegister(t, s.m.token, closeInput(s.loc, till, date, 4370)), "closeRegister")

	list := func(tb testing.TB, token, from, to string, loc any) gqlResponse {
		tb.Helper()
		return gql(tb, token, closesQuery, map[string]any{"from": from, "to": to, "loc": loc})
	}
	t.Run("every revision, newest first", func(t *testing.T) {
		cs := rows(t, list(t, s.m.token, yesterday, date, s.loc), "closes")
		type row struct {
			date     string
			revision float64
			register bool
			net      float64
		}
		want := []row{{date, 1, true, 4370}, {date, 2, false, 4370}, {date, 1, false, 2185}, {yesterday, 1, false, 0}}
		if len(cs) != len(want) {
			t.Fatalf("%d closes, want %d: %+v", len(cs), len(want), cs)
		}
		for i, w := range want {
			c := cs[i]
			got := row{c["businessDate"].(string), c["revision"].(float64), c["register"] != nil, field(t, c, "netSales.amount").(float64)}
			if got != w {
				t.Errorf("close %d = %+v, want %+v", i, got, w)
			}
			if field(t, c, "location.id") != s.loc || len(c["accounting"].([]any)) != 0 {
				t.Errorf("close %d: location %v, accounting %v (no accounting integration)", i, c["location"], c["accounting"])
			}
		}
	})
	t.Run("without locationId, every location the caller sees", func(t *testing.T) {
		if n := len(rows(t, list(t, s.m.token, date, date, nil), "closes")); n != 3 {
			t.Fatalf("%d closes of today, want 3", n)
		}
	})
	t.Run("bounds", func(t *testing.T) {
		start := today.AddDate(0, 0, -91).Format(time.DateOnly)
		if n := len(rows(t, list(t, s.m.token, start, date, nil), "closes")); n != 4 {
			t.Fatalf("92 days: %d closes, want 4", n)
		}
		for name, c := range map[string][2]string{
			"93 days":     {today.AddDate(0, 0, -92).Format(time.DateOnly), date},
			"backwards":   {date, yesterday},
			"not a date":  {"2026-13-01", date},
			"a timestamp": {date + "T00:00:00Z", date},
		} {
			wantCode(t, list(t, s.m.token, c[0], c[1], nil), "INVALID", name)
		}
	})
	t.Run("roles and locations", func(t *testing.T) {
		cashier, _ := createStaff(t, s.m, "CASHIER", nil)
		wantCode(t, list(t, cashier, date, date, nil), "FORBIDDEN", "closes as a cashier")
		reports, _ := createAPIKey(t, s.m, "REPORTS_READ")
		if n := len(rows(t, gql(t, reports, `query($d: String!) { closes(from: $d, to: $d) { id } }`, map[string]any{"d": date}), "closes")); n != 3 {
			t.Fatalf("a REPORTS_READ key sees %d closes, want 3", n)
		}
		// accounting needs integrations:read, which no key scope grants.
		wantCode(t, list(t, reports, date, date, nil), "FORBIDDEN", "accounting with a reports key")

		other := createLocation(t, s.m, "Closes Umeda")
		scoped, _ := createStaff(t, s.m, "MANAGER", []string{other})
		wantCode(t, list(t, scoped, date, date, s.loc), "NOT_FOUND", "a location the manager is not assigned to")
		if n := len(rows(t, list(t, scoped, date, date, nil), "closes")); n != 0 {
			t.Fatalf("a manager of another location sees %d closes", n)
		}
		elsewhere := newStore(t, "ClosesElsewhere", nil)
		wantCode(t, list(t, elsewhere.m.token, date, date, s.loc), "NOT_FOUND", "another tenant's location")
		wantCode(t, list(t, s.m.token, date, date, "loc_nonexistent"), "NOT_FOUND", "no such location")
	})
}

// TestLists_CloseReachesFreee: the close list says which revision reached
// freee, a failed post shows its error and job, and the retry clears it.
func TestLists_CloseReachesFreee(t *testing.T) {
	f := freeefake.Start(t)
	s := newStore(t, "Ledger", nil)
	id, _ := connect(t, s.m.token, "FREEE", "freee books", freeeSettings(f))
	date := time.Now().In(tokyo).Format(time.DateOnly)
	mustOK(t, checkout(t, s.m.token, s.basket(stockKey("ledger"), cashPayment(2185, 3000))), "checkout")
	r := closeRegister(t, s.m.token, closeInput(s.loc, "", date, 2185))
	mustOK(t, r, "closeRegister")
	closeID := str(t, r.Data, "closeRegister.registerClose.id")

	accounting := func(tb testing.TB, closeID string) []map[string]any {
		tb.Helper()
		for _, c := range rows(tb, gql(tb, s.m.token, closesQuery, map[string]any{"from": date, "to": date}), "closes") {
			if c["id"] == closeID {
				var out []map[string]any
				for _, d := range c["accounting"].([]any) {
					out = append(out, d.(map[string]any))
				}
				return out
			}
		}
		tb.Fatalf("close %s not listed", closeID)
		return nil
	}
	var got []map[string]any
	eventually(t, 30*time.Second, "the close's freee job SUCCEEDED in the list", func() bool {
		got = accounting(t, closeID)
		return len(got) == 1 && got[0]["status"] == "SUCCEEDED"
	})
	jobs := jobsOf(t, s.m.token, id, "SUCCEEDED")
	if len(jobs) != 1 || got[0]["jobId"] != jobs[0]["id"] || field(t, got[0], "integration.id") != id ||
		field(t, got[0], "integration.provider") != "FREEE" || field(t, got[0], "integration.name") != "freee books" || got[0]["attempts"] != float64(1) {
		t.Fatalf("accounting %+v; jobs %+v", got, jobs)
	}
	if n := len(f.Deals(freeefake.DefaultCompanyID)); n != 1 {
		t.Fatalf("%d deals", n)
	}

	// freee refuses the next revision's deal: the list shows it FAILED, with
	// freee's reason, and retrying its job posts it.
	// Revision 2 corrects revision 1's deal: a PUT.
	f.Inject(freeefake.Fault{Match: "PUT /api/1/deals", Status: 400, Message: "the account item is archived"})
	mustOK(t, checkout(t, s.m.token, s.basket(stockKey("ledger"), cashPayment(2185, 3000))), "checkout")
	r = closeRegister(t, s.m.token, closeInput(s.loc, "", date, 4370))
	mustOK(t, r, "closeRegister")
	second := str(t, r.Data, "closeRegister.registerClose.id")
	eventually(t, 30*time.Second, "revision 2's freee job FAILED in the list", func() bool {
		got = accounting(t, second)
		return len(got) == 1 && got[0]["status"] == "FAILED"
	})
	if msg, _ := got[0]["lastError"].(string); !strings.Contains(msg, "400") {
		t.Fatalf("lastError %q", msg)
	}
	if first := accounting(t, closeID); len(first) != 1 || first[0]["status"] != "SUCCEEDED" {
		t.Fatalf("revision 1's accounting changed: %+v", first)
	}
	r = gql(t, s.m.token, `mutation($in: RetryIntegrationJobInput!) { retryIntegrationJob(input: $in) { job { id } userErrors { code message } } }`,
		map[string]any{"in": map[string]any{"id": got[0]["jobId"]}})
	mustOK(t, r, "retryIntegrationJob")
	eventually(t, 30*time.Second, "revision 2's freee job SUCCEEDED after the retry", func() bool {
		got = accounting(t, second)
		return len(got) == 1 && got[0]["status"] == "SUCCEEDED"
	})

	// A register's close is not posted: nothing carries it.
	r = closeRegister(t, s.m.token, closeInput(s.loc, tenant.RegisterID(s.loc, 1), date, 4370))
	mustOK(t, r, "closeRegister")
	if acc := field(t, r.Data, "closeRegister.registerClose").(map[string]any); acc == nil {
		t.Fatal("no close")
	}
	time.Sleep(500 * time.Millisecond)
	if acc := accounting(t, str(t, r.Data, "closeRegister.registerClose.id")); len(acc) != 0 {
		t.Fatalf("a register close's accounting %+v", acc)
	}
}
