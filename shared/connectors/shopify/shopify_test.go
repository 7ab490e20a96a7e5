package shopify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/catalog"
	"github.com/renkei-pos/renkei/shared/connectors/shopify"
	"github.com/renkei-pos/renkei/shared/connectors/shopify/shopifyfake"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/integrations"
	"github.com/renkei-pos/renkei/shared/inventory"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tenant"
)

const token = "shpat_test_0123456789"

// memCatalog, memStock, memMarks and memOrders stand in for renkei's side.
type memCatalog struct{ variants []catalog.Variant }

func (m *memCatalog) ListSKUs(context.Context) ([]catalog.Variant, error) { return m.variants, nil }
func (m *memCatalog) GetVariants(_ context.Context, ids []string) ([]catalog.Variant, error) {
	var out []catalog.Variant
	for _, v := range m.variants {
		for _, id := range ids {
			if v.ID == id {
				out = append(out, v)
			}
		}
	}
	return out, nil
}
func (m *memCatalog) VariantIDsBySKU(_ context.Context, skus []string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range m.variants {
		for _, s := range skus {
			if v.SKU == s {
				out[s] = v.ID
			}
		}
	}
	return out, nil
}

type memStock struct {
	mu     sync.Mutex
	levels map[string]inventory.StockLevel
}

func (m *memStock) set(loc, variant string, onHand, version int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.levels[loc+"|"+variant] = inventory.StockLevel{LocationID: loc, VariantID: variant, OnHand: onHand, Version: version}
}
func (m *memStock) ListLevels(_ context.Context, loc string, limit int) ([]inventory.StockLevel, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []inventory.StockLevel
	for _, l := range m.levels {
		if l.LocationID == loc && len(out) < limit {
			out = append(out, l)
		}
	}
	return out, nil
}
func (m *memStock) GetLevel(_ context.Context, loc, variant string) (inventory.StockLevel, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.levels[loc+"|"+variant]; ok {
		return l, nil
	}
	return inventory.StockLevel{LocationID: loc, VariantID: variant}, nil
}

type memMarks struct {
	mu    sync.Mutex
	marks map[string]int64
}

func (m *memMarks) Advance(_ context.Context, in, key string, v int64) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.marks[in+" "+key] >= v {
		return false, nil
	}
	m.marks[in+" "+key] = v
	return true, nil
}
func (m *memMarks) Get(_ context.Context, in, key string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.marks[in+" "+key], nil
}

type memOrders struct {
	got       []sales.ImportedOrder
	principal identity.Principal
	err       error
}

func (m *memOrders) ImportOrder(ctx context.Context, in sales.ImportedOrder) (sales.Order, error) {
	m.principal, _ = identity.PrincipalFrom(ctx)
	m.got = append(m.got, in)
	return sales.Order{ID: "ord_1"}, m.err
}

type memLocations struct {
	ids     map[string]bool
	ensured map[string]int
}

func (m *memLocations) GetLocations(_ context.Context, ids []string) ([]tenant.Location, error) {
	var out []tenant.Location
	for _, id := range ids {
		if m.ids[id] {
			out = append(out, tenant.Location{ID: id})
		}
	}
	return out, nil
}

func (m *memLocations) EnsureIntegrationRegister(_ context.Context, l tenant.Location) (tenant.Register, error) {
	m.ensured[l.ID]++
	return tenant.Register{ID: tenant.IntegrationRegisterID(l.ID)}, nil
}

// env is a connector, a fake shop and renkei's side: TEA is in both,
// COFFEE only in renkei, MUG only in the shop.
type env struct {
	fake            *shopifyfake.Fake
	conn            *shopify.Connector
	cat             *memCatalog
	stock           *memStock
	marks           *memMarks
	orders          *memOrders
	locs            *memLocations
	loc, loc2       string // renkei locations
	gid, gid2       string // their Shopify locations
	tea, coffee     string // variant ids
	tenantID, intID string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	f := shopifyfake.New(token)
	t.Cleanup(f.Close)
	e := &env{fake: f, loc: ids.New(ids.Location), loc2: ids.New(ids.Location), tea: "var_tea", coffee: "var_coffee",
		tenantID: ids.New(ids.Tenant), intID: ids.New(ids.Integration)}
	e.gid, e.gid2 = f.AddLocation("Shop floor", true), f.AddLocation("Warehouse", true)
	f.AddVariant("TEA")
	f.AddVariant("MUG")
	e.cat = &memCatalog{variants: []catalog.Variant{{ID: e.tea, SKU: "TEA", TrackStock: true}, {ID: e.coffee, SKU: "COFFEE", TrackStock: true}}}
	e.stock = &memStock{levels: map[string]inventory.StockLevel{}}
	e.marks = &memMarks{marks: map[string]int64{}}
	e.orders = &memOrders{}
	e.locs = &memLocations{ids: map[string]bool{e.loc: true, e.loc2: true}, ensured: map[string]int{}}
	e.conn = shopify.New(shopify.Deps{Catalog: e.cat, Stock: e.stock, Locations: e.locs, Orders: e.orders})
	return e
}

func (e *env) settings(extra map[string]any) json.RawMessage {
	s := map[string]any{"shopDomain": "renkei-test.myshopify.com", "accessToken": token, "webhookSecret": "whsec_test",
		"locationMap": map[string]any{e.loc: e.gid}, "apiBaseUrl": e.fake.URL()}
	for k, v := range extra {
		if v == nil {
			delete(s, k)
		} else {
			s[k] = v
		}
	}
	b, _ := json.Marshal(s)
	return b
}

func (e *env) connect(t *testing.T, settings json.RawMessage, local bool) (integrations.Connection, error) {
	t.Helper()
	return e.conn.Connect(t.Context(), integrations.ConnectRequest{TenantID: e.tenantID, IntegrationID: e.intID, Name: "shop", Settings: settings, Local: local})
}

// config is the worker's view of a connected integration.
func (e *env) config(t *testing.T, extra map[string]any) integrations.Config {
	t.Helper()
	c, err := e.connect(t, e.settings(extra), true)
	if err != nil {
		t.Fatal(err)
	}
	in := integrations.Integration{ID: e.intID, TenantID: e.tenantID, Provider: integrations.Shopify, Settings: c.Settings}
	return integrations.Config{Integration: in, Secrets: c.Secrets, Local: true, Marks: e.marks}
}

func wantInvalid(t *testing.T, err error, field string) {
	t.Helper()
	l, ok := apperr.Expected(err)
	if !ok {
		t.Fatalf("error %v, want INVALID at %s", err, field)
	}
	for _, e := range l {
		if e.Code == apperr.Invalid && strings.Join(e.Field, ".") == field {
			return
		}
	}
	t.Fatalf("errors %v, want INVALID at %s", err, field)
}

func TestConnector_Connect(t *testing.T) {
	e := newEnv(t)
	t.Run("checks the shop and reports unmatched SKUs both ways", func(t *testing.T) {
		c, err := e.connect(t, e.settings(nil), true)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(c.Settings), token) || strings.Contains(string(c.Settings), "whsec_test") {
			t.Fatalf("public settings carry a secret: %s", c.Settings)
		}
		var sec shopify.Secrets
		if err := json.Unmarshal(c.Secrets, &sec); err != nil || sec.AccessToken != token || sec.WebhookSecret != "whsec_test" {
			t.Fatalf("secrets %s", c.Secrets)
		}
		st, err := shopify.ParseSettings(c.Settings)
		if err != nil || st.OrderLocationID != e.loc || st.LocationMap[e.loc] != e.gid {
			t.Fatalf("settings %+v %v: the only mapped location takes online orders", st, err)
		}
		if e.locs.ensured[e.loc] != 1 {
			t.Fatal("the order location's integration register was not ensured")
		}
		if len(c.Warnings) != 2 {
			t.Fatalf("warnings %+v", c.Warnings)
		}
		w0, w1 := c.Warnings[0], c.Warnings[1]
		if w0.Code != shopify.WarnSKUNotInShopify || w0.Count != 1 || w0.Items[0] != "COFFEE" ||
			w1.Code != shopify.WarnSKUNotInRenkei || w1.Count != 1 || w1.Items[0] != "MUG" {
			t.Fatalf("warnings %+v", c.Warnings)
		}
	})
	t.Run("a warning lists at most MaxWarningItems and counts them all", func(t *testing.T) {
		e := newEnv(t)
		for i := range 150 {
			e.cat.variants = append(e.cat.variants, catalog.Variant{ID: fmt.Sprint("var_", i), SKU: fmt.Sprintf("ONLY-RENKEI-%03d", i)})
		}
		c, err := e.connect(t, e.settings(nil), true)
		if err != nil {
			t.Fatal(err)
		}
		if w := c.Warnings[0]; len(w.Items) != integrations.MaxWarningItems || w.Count != 151 {
			t.Fatalf("%d items, count %d", len(w.Items), w.Count)
		}
	})
	bad := []struct {
		name  string
		extra map[string]any
		local bool
		field string
	}{
		{"a domain that is not myshopify.com", map[string]any{"shopDomain": "shop.example.com"}, true, "input.settings.shopDomain"},
		{"an unknown key", map[string]any{"apiKey": "x"}, true, "input.settings.apiKey"},
		{"no access token", map[string]any{"accessToken": nil}, true, "input.settings.accessToken"},
		{"no webhook secret", map[string]any{"webhookSecret": nil}, true, "input.settings.webhookSecret"},
		{"a location gid that is not one", map[string]any{"locationMap": map[string]any{"LOC": "gid://shopify/Location/1"}}, true, "input.settings.locationMap.LOC"},
		{"a malformed gid", map[string]any{"locationMap": map[string]any{"loc_01JD0000000000000000000000": "Location/1"}}, true, "input.settings.locationMap.loc_01JD0000000000000000000000"},
		{"a renkei location that does not exist", map[string]any{"locationMap": map[string]any{"loc_01JD0000000000000000000000": "gid://shopify/Location/1"}}, true, "input.settings.locationMap.loc_01JD0000000000000000000000"},
		{"a location the shop does not have", map[string]any{"locationMap": map[string]any{e.loc: "gid://shopify/Location/999"}}, true, "input.settings.locationMap." + e.loc},
		{"apiBaseUrl outside local mode", nil, false, "input.settings.apiBaseUrl"},
		{"a token the shop refuses", map[string]any{"accessToken": "shpat_wrong"}, true, "input.settings.accessToken"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.fake.Requests())
			_, err := e.connect(t, e.settings(tc.extra), tc.local)
			wantInvalid(t, err, tc.field)
			if tc.name != "a location the shop does not have" && tc.name != "a token the shop refuses" && len(e.fake.Requests()) != before {
				t.Fatal("a bad setting reached the shop")
			}
		})
	}
	t.Run("several locations need orderLocationId", func(t *testing.T) {
		two := map[string]any{e.loc: e.gid, e.loc2: e.gid2}
		_, err := e.connect(t, e.settings(map[string]any{"locationMap": two}), true)
		wantInvalid(t, err, "input.settings.orderLocationId")
		c, err := e.connect(t, e.settings(map[string]any{"locationMap": two, "orderLocationId": e.loc2}), true)
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := shopify.ParseSettings(c.Settings); st.OrderLocationID != e.loc2 {
			t.Fatalf("order location %s", st.OrderLocationID)
		}
	})
	t.Run("a throttled listing waits for the bucket", func(t *testing.T) {
		e.fake.Fail(shopifyfake.Failure{Operation: "productVariants", Throttled: true})
		c, err := e.connect(t, e.settings(nil), true)
		if err != nil || len(c.Warnings) != 2 || c.Warnings[0].Code != shopify.WarnSKUNotInShopify {
			t.Fatalf("%+v %v", c.Warnings, err)
		}
	})
	t.Run("a listing that cannot finish in time says so", func(t *testing.T) {
		e.fake.Fail(shopifyfake.Failure{Operation: "productVariants", Throttled: true})
		ctx, cancel := context.WithTimeout(t.Context(), 2500*time.Millisecond)
		defer cancel()
		c, err := e.conn.Connect(ctx, integrations.ConnectRequest{TenantID: e.tenantID, IntegrationID: e.intID, Settings: e.settings(nil), Local: true})
		if err != nil || len(c.Warnings) != 1 || c.Warnings[0].Code != shopify.WarnSKUCheckIncomplete {
			t.Fatalf("%+v %v", c.Warnings, err)
		}
	})
	t.Run("Shopify down is UNAVAILABLE", func(t *testing.T) {
		e.fake.Fail(shopifyfake.Failure{Status: 503})
		_, err := e.connect(t, e.settings(nil), true)
		if !apperr.Is(err, apperr.Unavailable) {
			t.Fatalf("%v", err)
		}
	})
	if r := e.fake.Rejected(); len(r) != 1 || !strings.Contains(r[0], "Invalid API key") {
		t.Fatalf("the fake refused requests: %q (only the wrong token's)", r)
	}
}

func inventoryChanged(t *testing.T, e *env, loc, variant string, onHand, version int64) integrations.Event {
	t.Helper()
	data, _ := json.Marshal(map[string]any{"locationId": loc, "variantId": variant, "onHand": onHand, "version": version, "delta": -1, "reason": "SALE"})
	return integrations.Event{ID: ids.New("evt"), Type: integrations.EventInventoryChanged, TenantID: e.tenantID, CreatedAt: time.Now(), Data: data}
}

func pushJob(t *testing.T, e *env, cfg integrations.Config, ev integrations.Event) integrations.Job {
	t.Helper()
	specs, err := e.conn.Plan(ev, cfg.Integration)
	if err != nil || len(specs) != 1 {
		t.Fatalf("plan %+v %v", specs, err)
	}
	return integrations.Job{ID: ids.New("job"), TenantID: e.tenantID, IntegrationID: e.intID, Provider: integrations.Shopify, Kind: specs[0].Kind, Key: specs[0].Key, Event: specs[0].Event}
}

func TestConnector_Plan(t *testing.T) {
	e := newEnv(t)
	cfg := e.config(t, nil)
	specs, err := e.conn.Plan(inventoryChanged(t, e, e.loc, e.tea, 3, 2), cfg.Integration)
	if err != nil || len(specs) != 1 || specs[0].Kind != integrations.KindPushInventory || specs[0].Key != e.loc+"|"+e.tea {
		t.Fatalf("mapped location: %+v %v", specs, err)
	}
	if specs, err := e.conn.Plan(inventoryChanged(t, e, e.loc2, e.tea, 3, 2), cfg.Integration); err != nil || len(specs) != 0 {
		t.Fatalf("unmapped location: %+v %v", specs, err)
	}
	order, _ := json.Marshal(shopify.Order{ID: "820982911946154508", Name: "#1001"})
	ev := integrations.Event{ID: "evt_1", Type: integrations.EventShopifyOrder, Data: order, IntegrationID: e.intID}
	if specs, err := e.conn.Plan(ev, cfg.Integration); err != nil || len(specs) != 1 || specs[0].Kind != integrations.KindImportOrder || specs[0].Key != "820982911946154508" {
		t.Fatalf("the integration's order: %+v %v", specs, err)
	}
	ev.IntegrationID = "int_other"
	if specs, err := e.conn.Plan(ev, cfg.Integration); err != nil || len(specs) != 0 {
		t.Fatalf("another integration's order: %+v %v", specs, err)
	}
	for _, typ := range []string{integrations.EventOrderCompleted, integrations.EventRegisterClosed} {
		if specs, err := e.conn.Plan(integrations.Event{Type: typ, Data: json.RawMessage(`{}`)}, cfg.Integration); err != nil || len(specs) != 0 {
			t.Fatalf("%s: %+v %v", typ, specs, err)
		}
	}
}

func TestConnector_RunPush(t *testing.T) {
	e := newEnv(t)
	cfg := e.config(t, nil)
	run := func(ev integrations.Event) error { return e.conn.Run(t.Context(), cfg, pushJob(t, e, cfg, ev)) }

	t.Run("the push carries the absolute number", func(t *testing.T) {
		e.stock.set(e.loc, e.tea, 7, 3)
		if err := run(inventoryChanged(t, e, e.loc, e.tea, 7, 3)); err != nil {
			t.Fatal(err)
		}
		if q, ok := e.fake.Available("TEA", e.gid); !ok || q != 7 {
			t.Fatalf("available %d %v, want 7", q, ok)
		}
		p := e.fake.Pushes()
		if len(p) != 1 || p[0].Name != "available" || p[0].Reason != "correction" || p[0].LocationID != e.gid {
			t.Fatalf("pushes %+v", p)
		}
		if m, _ := e.marks.Get(t.Context(), e.intID, e.loc+"|"+e.tea); m != 3 {
			t.Fatalf("mark %d", m)
		}
	})
	t.Run("an older version is dropped", func(t *testing.T) {
		before := len(e.fake.Pushes())
		e.stock.set(e.loc, e.tea, 7, 3)
		if err := run(inventoryChanged(t, e, e.loc, e.tea, 9, 2)); err != nil {
			t.Fatal(err)
		}
		if len(e.fake.Pushes()) != before {
			t.Fatal("an older version was pushed")
		}
	})
	t.Run("a retried push of the marked version pushes again", func(t *testing.T) {
		before := len(e.fake.Pushes())
		if err := run(inventoryChanged(t, e, e.loc, e.tea, 7, 3)); err != nil {
			t.Fatal(err)
		}
		if len(e.fake.Pushes()) != before+1 {
			t.Fatal("the same version was not pushed again")
		}
	})
	t.Run("the level as it is now wins over an older event", func(t *testing.T) {
		e.stock.set(e.loc, e.tea, 4, 6)
		if err := run(inventoryChanged(t, e, e.loc, e.tea, 6, 4)); err != nil {
			t.Fatal(err)
		}
		if q, _ := e.fake.Available("TEA", e.gid); q != 4 {
			t.Fatalf("available %d, want the current 4", q)
		}
		if m, _ := e.marks.Get(t.Context(), e.intID, e.loc+"|"+e.tea); m != 6 {
			t.Fatalf("mark %d, want 6", m)
		}
	})
	t.Run("an oversold level is 0 available", func(t *testing.T) {
		e.stock.set(e.loc, e.tea, -2, 7)
		if err := run(inventoryChanged(t, e, e.loc, e.tea, -2, 7)); err != nil {
			t.Fatal(err)
		}
		if q, _ := e.fake.Available("TEA", e.gid); q != 0 {
			t.Fatalf("available %d", q)
		}
	})
	t.Run("a SKU the shop lacks is done without a push", func(t *testing.T) {
		before := len(e.fake.Pushes())
		e.stock.set(e.loc, e.coffee, 5, 1)
		if err := run(inventoryChanged(t, e, e.loc, e.coffee, 5, 1)); err != nil {
			t.Fatal(err)
		}
		if len(e.fake.Pushes()) != before {
			t.Fatal("pushed")
		}
	})
	failures := []struct {
		name      string
		failure   shopifyfake.Failure
		permanent bool
		delay     time.Duration
		text      string
	}{
		{"429 waits Retry-After", shopifyfake.Failure{Status: 429, RetryAfter: "7"}, false, 7 * time.Second, "429"},
		{"THROTTLED waits for the bucket", shopifyfake.Failure{Throttled: true}, false, 2 * time.Second, "throttled"},
		{"500 is retried", shopifyfake.Failure{Status: 500}, false, 0, "500"},
		{"401 is retried, readable", shopifyfake.Failure{Status: 401}, false, 0, "access token was refused"},
		{"a userError fails at once", shopifyfake.Failure{Operation: "inventorySetQuantities", UserError: "The specified inventory item could not be found."}, true, 0, "could not be found"},
	}
	for i, tc := range failures {
		t.Run(tc.name, func(t *testing.T) {
			version := int64(20 + i)
			e.stock.set(e.loc, e.tea, 5, version)
			e.fake.Fail(tc.failure)
			err := run(inventoryChanged(t, e, e.loc, e.tea, 5, version))
			if err == nil || integrations.IsPermanent(err) != tc.permanent || integrations.RetryDelayOf(err) != tc.delay || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("error %v (permanent %v, delay %s)", err, integrations.IsPermanent(err), integrations.RetryDelayOf(err))
			}
			if strings.Contains(err.Error(), token) {
				t.Fatal("the error names the token")
			}
			if err := run(inventoryChanged(t, e, e.loc, e.tea, 5, version)); err != nil {
				t.Fatalf("the retry: %v", err)
			}
			if q, _ := e.fake.Available("TEA", e.gid); q != 5 {
				t.Fatalf("available %d after the retry", q)
			}
		})
	}
	t.Run("a hanging shop times out, retryable", func(t *testing.T) {
		e.fake.Fail(shopifyfake.Failure{Hang: true})
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		e.stock.set(e.loc, e.tea, 5, 40)
		err := e.conn.Run(ctx, cfg, pushJob(t, e, cfg, inventoryChanged(t, e, e.loc, e.tea, 5, 40)))
		if err == nil || integrations.IsPermanent(err) || !strings.Contains(err.Error(), "did not answer") {
			t.Fatalf("%v", err)
		}
	})
	if r := e.fake.Rejected(); len(r) > 0 {
		t.Fatalf("the fake refused requests: %q", r)
	}
}

func TestConnector_Sync(t *testing.T) {
	e := newEnv(t)
	two := map[string]any{e.loc: e.gid, e.loc2: e.gid2}
	cfg := e.config(t, map[string]any{"locationMap": two, "orderLocationId": e.loc})
	e.stock.set(e.loc, e.tea, 7, 3)
	e.stock.set(e.loc, e.coffee, 2, 1)
	e.stock.set(e.loc2, e.tea, 40, 9)
	e.stock.set(ids.New(ids.Location), e.tea, 1, 1) // not mapped
	specs, err := e.conn.Sync(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != 3 {
		t.Fatalf("%d specs, want one per level of the mapped locations", len(specs))
	}
	for _, s := range specs {
		if s.Kind != integrations.KindPushInventory || s.Event.Type != integrations.EventSync || s.Event.IntegrationID != e.intID {
			t.Fatalf("spec %+v", s)
		}
		job := integrations.Job{ID: ids.New("job"), TenantID: e.tenantID, IntegrationID: e.intID, Kind: s.Kind, Key: s.Key, Event: s.Event}
		if err := e.conn.Run(t.Context(), cfg, job); err != nil {
			t.Fatal(err)
		}
	}
	q1, _ := e.fake.Available("TEA", e.gid)
	q2, _ := e.fake.Available("TEA", e.gid2)
	if q1 != 7 || q2 != 40 || len(e.fake.Pushes()) != 2 {
		t.Fatalf("TEA %d at the shop floor, %d at the warehouse, %d pushes (COFFEE is not in the shop)", q1, q2, len(e.fake.Pushes()))
	}
	again, err := e.conn.Sync(t.Context(), cfg)
	if err != nil || len(again) != 3 {
		t.Fatal(err)
	}
	var tea integrations.JobSpec
	for _, s := range again {
		if s.Key == e.loc+"|"+e.tea {
			tea = s
		}
	}
	job := integrations.Job{Kind: tea.Kind, Key: tea.Key, Event: tea.Event}
	if err := e.conn.Run(t.Context(), cfg, job); err != nil || len(e.fake.Pushes()) != 3 {
		t.Fatalf("a second sync pushes the same versions again: %v", err)
	}
}

func orderEvent(t *testing.T, e *env, o shopify.Order) integrations.Job {
	t.Helper()
	data, _ := json.Marshal(o)
	return integrations.Job{Kind: integrations.KindImportOrder, Key: o.ID, TenantID: e.tenantID, IntegrationID: e.intID,
		Event: integrations.Event{ID: "evt_order", Type: integrations.EventShopifyOrder, Data: data, IntegrationID: e.intID}}
}

func TestConnector_RunImport(t *testing.T) {
	e := newEnv(t)
	cfg := e.config(t, nil)
	at := time.Date(2026, 11, 30, 1, 2, 3, 0, time.UTC)
	o := shopify.Order{ID: "820982911946154508", Name: "#1001", CreatedAt: at, Currency: "JPY", TaxesIncluded: true, Total: "560",
		Lines: []shopify.OrderLine{{SKU: "TEA", Quantity: 2, Price: "300.00", Discount: "40"}}}
	if err := e.conn.Run(t.Context(), cfg, orderEvent(t, e, o)); err != nil {
		t.Fatal(err)
	}
	got := e.orders.got[0]
	want := sales.ImportedOrder{Source: "EC:SHOPIFY", ExternalID: o.ID, Reference: "#1001", LocationID: e.loc, OccurredAt: at, Currency: "JPY", PricesIncludeTax: true,
		Lines: []sales.ImportedLine{{VariantID: e.tea, Quantity: 2, UnitPrice: 300, Discount: 40}}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("imported %+v\nwant     %+v", got, want)
	}
	if p := e.orders.principal; p.IntegrationID != e.intID || p.TenantID != e.tenantID || !p.Can(identity.ImportSales) {
		t.Fatalf("imported as %+v", p)
	}
	if tid, _ := tenant.IDFrom(t.Context()); tid != "" {
		t.Fatal("test context changed")
	}

	unknown := o
	unknown.Lines = []shopify.OrderLine{{SKU: "MUG", Quantity: 1, Price: "1200"}}
	err := e.conn.Run(t.Context(), cfg, orderEvent(t, e, unknown))
	if !integrations.IsPermanent(err) || !strings.Contains(err.Error(), "MUG") {
		t.Fatalf("unknown SKU: %v", err)
	}
	e.orders.err = apperr.New(apperr.Invalid, "the order is in USD but the tenant sells in JPY", "input", "currency")
	if err := e.conn.Run(t.Context(), cfg, orderEvent(t, e, o)); !integrations.IsPermanent(err) || !strings.Contains(err.Error(), "USD") {
		t.Fatalf("refused import: %v", err)
	}
	e.orders.err = fmt.Errorf("dynamodb: throttled")
	if err := e.conn.Run(t.Context(), cfg, orderEvent(t, e, o)); err == nil || integrations.IsPermanent(err) {
		t.Fatalf("a store failure is retried: %v", err)
	}
}

// racingMarks runs race once, just before answering its n-th Get.
type racingMarks struct {
	*memMarks
	gets, n int
	race    func()
}

func (m *racingMarks) Get(ctx context.Context, in, key string) (int64, error) {
	m.gets++
	if m.gets == m.n {
		m.race()
	}
	return m.memMarks.Get(ctx, in, key)
}

// TestConnector_RunPushOverlap: a newer change marked by another job while
// this one pushed (its number may have reached the shop first) is pushed
// again by this job, so the shop ends with the newest number.
func TestConnector_RunPushOverlap(t *testing.T) {
	e := newEnv(t)
	cfg := e.config(t, nil)
	e.stock.set(e.loc, e.tea, 7, 3)
	key := e.loc + "|" + e.tea
	cfg.Marks = &racingMarks{memMarks: e.marks, n: 2, race: func() {
		// Another job's change: the level moves to version 4, its mark too.
		e.stock.set(e.loc, e.tea, 2, 4)
		_, _ = e.marks.Advance(t.Context(), e.intID, key, 4)
	}}
	if err := e.conn.Run(t.Context(), cfg, pushJob(t, e, cfg, inventoryChanged(t, e, e.loc, e.tea, 7, 3))); err != nil {
		t.Fatal(err)
	}
	p := e.fake.Pushes()
	if len(p) != 2 || p[0].Quantity != 7 || p[1].Quantity != 2 {
		t.Fatalf("pushes %+v: want 7, then the newer 2", p)
	}
}
