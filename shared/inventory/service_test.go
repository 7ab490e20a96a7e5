package inventory

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
)

// caller returns a context authenticated as p (in a fresh tenant).
func caller(tb testing.TB, p identity.Principal) context.Context {
	tb.Helper()
	p.TenantID = ids.New(ids.Tenant)
	return identity.WithPrincipal(tb.Context(), p)
}

func owner(tb testing.TB) context.Context {
	tb.Helper()
	return caller(tb, identity.Principal{UserID: "usr_1", Role: identity.Owner})
}

// fakeStore serves a fixed snapshot and fails the first `stale` Applies as
// if a concurrent change had won; it records what it was asked.
type fakeStore struct {
	snap   Snapshot
	stale  int
	loads  int
	writes []Write
	lists  []int
}

func (f *fakeStore) Load(_ context.Context, q Lookup) (Snapshot, error) {
	f.loads++
	return f.snap, nil
}

func (f *fakeStore) Apply(_ context.Context, w Write) ([]StockLevel, bool, error) {
	f.writes = append(f.writes, w)
	if f.stale > 0 {
		f.stale--
		return nil, false, ErrStale
	}
	return w.Levels(), false, nil
}

func (f *fakeStore) ListLevels(_ context.Context, loc string, limit int) ([]StockLevel, error) {
	f.lists = append(f.lists, limit)
	return []StockLevel{f.snap.Level(LevelKey{loc, "var_a"})}, nil
}

func newService(st Store) *Service {
	return &Service{Store: st, Now: func() time.Time { return at }, Attempts: 3}
}

func TestService_Adjust(t *testing.T) {
	in := AdjustInput{IdempotencyKey: "k", LocationID: "loc_1", Changes: []Change{{VariantID: "var_a", Delta: ptr(1), Reason: ReasonReceived}}}

	t.Run("writes the plan", func(t *testing.T) {
		st := &fakeStore{snap: shop(false)}
		got, err := newService(st).Adjust(owner(t), in)
		if err != nil || len(got.Levels) != 1 || got.Levels[0].OnHand != 6 || got.Levels[0].Version != 4 || got.Locations["loc_1"].ID != "loc_1" {
			t.Fatalf("Adjust = %+v, %v", got, err)
		}
	})
	t.Run("invalid input reads nothing", func(t *testing.T) {
		st := &fakeStore{snap: shop(false)}
		_, err := newService(st).Adjust(owner(t), AdjustInput{IdempotencyKey: "k", LocationID: "loc_1"})
		if apperr.CodeOf(err) != apperr.Invalid || st.loads != 0 {
			t.Fatalf("err %v, loads %d", err, st.loads)
		}
	})
	t.Run("a replay returns the stored levels and writes nothing", func(t *testing.T) {
		snap := shop(false)
		snap.Replayed, snap.Replay = true, []StockLevel{{LocationID: "loc_1", VariantID: "var_a", OnHand: 42, Version: 9}}
		// Even a snapshot that would now refuse the change replays.
		delete(snap.Variants, "var_a")
		st := &fakeStore{snap: snap}
		got, err := newService(st).Adjust(owner(t), in)
		if err != nil || len(got.Levels) != 1 || got.Levels[0].OnHand != 42 || len(st.writes) != 0 {
			t.Fatalf("Adjust = %+v, %v, writes %d", got, err, len(st.writes))
		}
	})
	t.Run("a lost race re-reads and retries", func(t *testing.T) {
		st := &fakeStore{snap: shop(false), stale: 2}
		if _, err := newService(st).Adjust(owner(t), in); err != nil {
			t.Fatal(err)
		}
		if st.loads != 3 || len(st.writes) != 3 {
			t.Fatalf("loads %d, writes %d; want 3 each", st.loads, len(st.writes))
		}
	})
	t.Run("losing every race is UNAVAILABLE", func(t *testing.T) {
		st := &fakeStore{snap: shop(false), stale: 100}
		_, err := newService(st).Adjust(owner(t), in)
		if apperr.CodeOf(err) != apperr.Unavailable || !errors.Is(err, ErrStale) || len(st.writes) != 3 {
			t.Fatalf("err %v, writes %d", err, len(st.writes))
		}
	})
	t.Run("a cancelled context stops the retries", func(t *testing.T) {
		ctx, cancel := context.WithCancel(owner(t))
		cancel()
		st := &fakeStore{snap: shop(false), stale: 100}
		if _, err := (&Service{Store: st, Now: time.Now}).Adjust(ctx, in); !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v", err)
		}
	})
}

func TestService_Transfer(t *testing.T) {
	st := &fakeStore{snap: shop(false)}
	got, err := newService(st).Transfer(owner(t), TransferInput{IdempotencyKey: "k", FromLocationID: "loc_1", ToLocationID: "loc_2", Lines: []TransferLine{{VariantID: "var_a", Quantity: 5}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Levels) != 2 || got.Levels[0].OnHand != 0 || got.Levels[1].OnHand != 3 || len(st.writes) != 1 || st.writes[0].Idempotency.Operation != OpTransfer {
		t.Fatalf("Transfer = %+v", got)
	}
	if _, err := newService(st).Transfer(owner(t), TransferInput{IdempotencyKey: "k", FromLocationID: "loc_1", ToLocationID: "loc_1", Lines: []TransferLine{{VariantID: "var_a", Quantity: 1}}}); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("same location: %v", err)
	}
}

func TestService_Levels(t *testing.T) {
	t.Run("asked variants in order, unknown ids dropped, unwritten as zero", func(t *testing.T) {
		st := &fakeStore{snap: shop(false)}
		got, err := newService(st).Levels(owner(t), "loc_1", []string{"var_b", "var_nope", "var_a", "var_b", "bad#id"})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, l := range got.Levels {
			ids = append(ids, l.VariantID)
		}
		if !slices.Equal(ids, []string{"var_b", "var_a"}) || got.Levels[0].OnHand != 0 || got.Levels[0].Version != 0 || got.Levels[1].OnHand != 5 {
			t.Fatalf("levels %+v", got.Levels)
		}
	})
	t.Run("an empty list asks for nothing", func(t *testing.T) {
		st := &fakeStore{snap: shop(false)}
		got, err := newService(st).Levels(owner(t), "loc_1", []string{})
		if err != nil || len(got.Levels) != 0 || len(st.lists) != 0 {
			t.Fatalf("levels %+v, %v, lists %v", got.Levels, err, st.lists)
		}
	})
	t.Run("without ids lists the location, capped", func(t *testing.T) {
		st := &fakeStore{snap: shop(false)}
		got, err := newService(st).Levels(owner(t), "loc_1", nil)
		if err != nil || len(got.Levels) != 1 || !slices.Equal(st.lists, []int{MaxLocationLevels}) {
			t.Fatalf("levels %+v, %v, lists %v", got.Levels, err, st.lists)
		}
	})
	t.Run("a listing leaves out levels whose variant left the catalog", func(t *testing.T) {
		snap := shop(false)
		delete(snap.Variants, "var_a")
		got, err := newService(&fakeStore{snap: snap}).Levels(owner(t), "loc_1", nil)
		if err != nil || len(got.Levels) != 0 {
			t.Fatalf("levels %+v, %v", got.Levels, err)
		}
	})
	t.Run("unknown location", func(t *testing.T) {
		for _, ids := range [][]string{nil, {"var_a"}} {
			for _, loc := range []string{"loc_9", "bad#loc", ""} {
				st := &fakeStore{snap: shop(false)}
				if _, err := newService(st).Levels(owner(t), loc, ids); apperr.CodeOf(err) != apperr.NotFound {
					t.Fatalf("%q %v: err %v", loc, ids, err)
				}
				if loc != "loc_9" && (st.loads != 0 || len(st.lists) != 0) {
					t.Fatalf("%q %v: the store was asked", loc, ids)
				}
			}
		}
	})
}

func TestService_Authorization(t *testing.T) {
	cashierAt1 := caller(t, identity.Principal{UserID: "usr_1", Role: identity.Cashier, LocationIDs: []string{"loc_1"}})
	managerAt1 := caller(t, identity.Principal{UserID: "usr_2", Role: identity.Manager, LocationIDs: []string{"loc_1"}})
	catalogKey := caller(t, identity.Principal{APIKeyID: "key_1", Scopes: []identity.Scope{identity.ScopeCatalogRead}})
	readKey := caller(t, identity.Principal{APIKeyID: "key_2", Scopes: []identity.Scope{identity.ScopeInventoryRead}})
	adjust := func(loc string) AdjustInput {
		return AdjustInput{IdempotencyKey: "k", LocationID: loc, Changes: []Change{{VariantID: "var_a", Delta: ptr(1), Reason: ReasonReceived}}}
	}
	transfer := TransferInput{IdempotencyKey: "k", FromLocationID: "loc_1", ToLocationID: "loc_2", Lines: []TransferLine{{VariantID: "var_a", Quantity: 1}}}
	for _, tc := range []struct {
		name string
		call func(*Service) error
		want apperr.Code
	}{
		{"no credential", func(s *Service) error { _, err := s.Levels(t.Context(), "loc_1", nil); return err }, apperr.Unauthenticated},
		{"a key without inventory scopes", func(s *Service) error { _, err := s.Levels(catalogKey, "loc_1", nil); return err }, apperr.Forbidden},
		{"another location's levels", func(s *Service) error { _, err := s.Levels(cashierAt1, "loc_2", []string{"var_a"}); return err }, apperr.NotFound},
		{"another location's listing", func(s *Service) error { _, err := s.Levels(cashierAt1, "loc_2", nil); return err }, apperr.NotFound},
		{"a cashier adjusting", func(s *Service) error { _, err := s.Adjust(cashierAt1, adjust("loc_1")); return err }, apperr.Forbidden},
		{"a read key adjusting", func(s *Service) error { _, err := s.Adjust(readKey, adjust("loc_1")); return err }, apperr.Forbidden},
		{"adjusting elsewhere", func(s *Service) error { _, err := s.Adjust(managerAt1, adjust("loc_2")); return err }, apperr.Forbidden},
		{"transferring to elsewhere", func(s *Service) error { _, err := s.Transfer(managerAt1, transfer); return err }, apperr.Forbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &fakeStore{snap: shop(false)}
			if err := tc.call(newService(st)); apperr.CodeOf(err) != tc.want {
				t.Fatalf("err %v, want %s", err, tc.want)
			}
			if st.loads != 0 || len(st.lists) != 0 || len(st.writes) != 0 {
				t.Fatalf("the store was asked: loads %d, lists %v, writes %d", st.loads, st.lists, len(st.writes))
			}
		})
	}
	t.Run("allowed at the own location", func(t *testing.T) {
		st := &fakeStore{snap: shop(false)}
		got, err := newService(st).Levels(cashierAt1, "loc_1", nil)
		if err != nil || len(got.Levels) != 1 || got.Variants["var_a"].SKU != "SKU-A" {
			t.Fatalf("Levels = %+v, %v", got, err)
		}
		if _, err := newService(st).Adjust(managerAt1, adjust("loc_1")); err != nil {
			t.Fatal(err)
		}
	})
}
