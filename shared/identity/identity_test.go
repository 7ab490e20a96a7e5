package identity

import (
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/ids"
)

func TestPassword_HashAndVerify(t *testing.T) {
	h, err := HashPassword("a long passphrase")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$") {
		t.Fatalf("hash %q is not argon2id", h)
	}
	if !VerifyPassword(h, "a long passphrase") {
		t.Fatal("right password rejected")
	}
	for _, wrong := range []string{"a long passphrasE", "", "a long passphrase "} {
		if VerifyPassword(h, wrong) {
			t.Fatalf("%q accepted", wrong)
		}
	}
	h2, _ := HashPassword("a long passphrase")
	if h == h2 {
		t.Fatal("salt not random")
	}
	for _, bad := range []string{"", "$argon2id$v=19$m=1,t=1,p=1$$", "$bcrypt$x", strings.Replace(h, "m=19456", "m=999999999", 1)} {
		if VerifyPassword(bad, "a long passphrase") {
			t.Fatalf("malformed hash %q accepted", bad)
		}
	}
}

func TestSigner(t *testing.T) {
	if _, err := NewSigner([]byte("short")); err == nil {
		t.Fatal("short key accepted")
	}
	s, _ := NewSigner([]byte("0123456789abcdef0123456789abcdef"))
	now := time.Now()
	u := User{ID: ids.New(ids.User), TenantID: ids.New(ids.Tenant), Role: Cashier, LocationIDs: []string{"loc_x"}}
	tok, exp, err := s.Issue(u, ids.New(ids.Session), now)
	if err != nil || exp.Sub(now) != AccessTokenTTL {
		t.Fatalf("Issue: %v %v", exp, err)
	}
	p, err := s.Verify(tok, now.Add(time.Minute))
	if err != nil || p.UserID != u.ID || p.TenantID != u.TenantID || p.Role != Cashier || len(p.LocationIDs) != 1 || !ids.Valid(ids.Session, p.SessionID) {
		t.Fatalf("Verify = %+v, %v", p, err)
	}
	// Every access token names its session, so revoking the session stops it.
	noSession, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": u.ID, "tid": u.TenantID, "role": "OWNER", "iss": "renkei", "aud": "renkei-api", "exp": now.Add(time.Hour).Unix()}).SignedString([]byte("0123456789abcdef0123456789abcdef"))
	if _, err := s.Verify(noSession, now); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Fatalf("token without a session: %v", err)
	}
	if _, err := s.Verify(tok, now.Add(AccessTokenTTL+time.Second)); apperr.CodeOf(err) != apperr.Unauthenticated || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired token: %v", err)
	}
	other, _ := NewSigner([]byte("ffffffffffffffffffffffffffffffff"))
	if _, err := other.Verify(tok, now); err == nil {
		t.Fatal("token verified with another key")
	}
	// The algorithm is fixed: an HS512 token with the right key is refused.
	hs512, _ := jwt.NewWithClaims(jwt.SigningMethodHS512, jwt.MapClaims{"sub": u.ID, "tid": u.TenantID, "role": "OWNER", "iss": "renkei", "aud": "renkei-api", "exp": now.Add(time.Hour).Unix()}).SignedString([]byte("0123456789abcdef0123456789abcdef"))
	if _, err := s.Verify(hs512, now); err == nil {
		t.Fatal("HS512 token accepted")
	}
	// A token with a tenant id that is not one of ours is refused.
	bad, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": u.ID, "tid": "T#x", "role": "OWNER", "iss": "renkei", "aud": "renkei-api", "exp": now.Add(time.Hour).Unix()}).SignedString([]byte("0123456789abcdef0123456789abcdef"))
	if _, err := s.Verify(bad, now); err == nil {
		t.Fatal("malformed tenant id accepted")
	}
}

func TestRefreshToken_Parse(t *testing.T) {
	sid := ids.New(ids.Session)
	tok, err := newRefreshToken(sid)
	if err != nil {
		t.Fatal(err)
	}
	got, hash, ok := parseRefreshToken(tok)
	if !ok || got != sid || hash != HashSecret(tok) {
		t.Fatalf("parse(%q) = %q %q %v", tok, got, hash, ok)
	}
	for _, bad := range []string{"", "rt_", "rt_" + sid, "rt_" + sid + ".short", "xx_" + sid + "." + strings.Repeat("a", 43), "rt_ses_bad." + strings.Repeat("a", 43)} {
		if _, _, ok := parseRefreshToken(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestPrincipal_Can(t *testing.T) {
	owner := Principal{TenantID: "t", UserID: "u", Role: Owner}
	manager := Principal{TenantID: "t", UserID: "u", Role: Manager}
	cashier := Principal{TenantID: "t", UserID: "u", Role: Cashier}
	key := Principal{TenantID: "t", APIKeyID: "k", Scopes: []Scope{ScopeCatalogWrite, ScopeOrdersRead}}
	cases := []struct {
		p    Principal
		perm Permission
		want bool
	}{
		{cashier, Sell, true}, {cashier, ReadCatalog, true}, {cashier, Refund, false}, {cashier, WriteInventory, false}, {cashier, ManageStaff, false},
		{manager, Refund, true}, {manager, WriteCatalog, true}, {manager, CloseRegister, true}, {manager, ReadReports, true}, {manager, ManageStaff, false}, {manager, ManageSettings, false},
		{cashier, EndSession, true}, {cashier, DeactivateStaff, false}, {manager, DeactivateStaff, true}, {owner, DeactivateStaff, true}, {owner, EndSession, true},
		{key, EndSession, false}, {Principal{TenantID: "t", APIKeyID: "k", Scopes: AllScopes}, DeactivateStaff, false},
		{owner, ManageStaff, true}, {owner, ManageAPIKeys, true}, {owner, ManageSettings, true}, {owner, ManageIntegration, true}, {owner, Sell, true},
		{key, ReadCatalog, true}, {key, WriteCatalog, true}, {key, ReadOrders, true}, {key, Sell, false}, {key, ManageStaff, false}, {key, ReadInventory, false}, {key, ReadLocations, true},
		{Principal{TenantID: "t", UserID: "u", Role: "GHOST"}, ReadCatalog, false},
	}
	for _, tc := range cases {
		if got := tc.p.Can(tc.perm); got != tc.want {
			t.Errorf("%v/%v Can(%s) = %v", tc.p.Role, tc.p.Scopes, tc.perm, got)
		}
	}
	if !cashier.CanUseLocation("any") {
		t.Error("unrestricted user refused a location")
	}
	restricted := Principal{Role: Cashier, LocationIDs: []string{"loc_a"}}
	if restricted.CanUseLocation("loc_b") || !restricted.CanUseLocation("loc_a") {
		t.Error("location restriction not applied")
	}
}

// TestIntegrationPrincipal_Can: an integration imports sales and does
// nothing else; nobody else imports sales.
func TestIntegrationPrincipal_Can(t *testing.T) {
	in := IntegrationPrincipal("ten_1", "int_1")
	if !in.Can(ImportSales) || in.TenantID != "ten_1" || !in.CanUseLocation("loc_1") {
		t.Fatal("the integration may not import sales")
	}
	for _, perm := range []Permission{Sell, ReadLocations, ReadOrders, Refund, WriteInventory, ManageIntegration} {
		if in.Can(perm) {
			t.Errorf("the integration holds %s", perm)
		}
	}
	owner := Principal{TenantID: "ten_1", UserID: "usr_1", Role: Owner}
	key := Principal{TenantID: "ten_1", APIKeyID: "key_1", Scopes: AllScopes}
	if owner.Can(ImportSales) || key.Can(ImportSales) {
		t.Fatal("an owner or an API key may import sales")
	}
}
