package inventory

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/tenant"
)

var at = time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)

// shop is a snapshot with two locations, tracked variants A and B (A has 5
// on hand at loc_1, version 3) and an untracked gift card.
func shop(allowNegative bool) Snapshot {
	return Snapshot{
		Locations: map[string]tenant.Location{"loc_1": {ID: "loc_1"}, "loc_2": {ID: "loc_2"}},
		Variants: map[string]Variant{
			"var_a": {ID: "var_a", SKU: "SKU-A", TrackStock: true},
			"var_b": {ID: "var_b", SKU: "SKU-B", TrackStock: true},
			"var_g": {ID: "var_g", SKU: "GIFT", TrackStock: false},
		},
		Levels: map[LevelKey]StockLevel{
			{"loc_1", "var_a"}: {LocationID: "loc_1", VariantID: "var_a", OnHand: 5, Version: 3},
			{"loc_2", "var_a"}: {LocationID: "loc_2", VariantID: "var_a", OnHand: -2, Version: 7},
		},
		AllowNegativeStock: allowNegative,
	}
}

// summary renders updates as "loc/variant onHand vVersion delta reason".
func summary(w Write) []string {
	var out []string
	for _, u := range w.Updates {
		out = append(out, strings.Join([]string{u.Level.LocationID + "/" + u.Level.VariantID, itoa(u.Level.OnHand), "v" + itoa(u.Level.Version), itoa(u.Delta), string(u.Reason)}, " "))
	}
	return out
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestPlanAdjust(t *testing.T) {
	tests := []struct {
		name     string
		loc      string
		changes  []Change
		negative bool
		want     []string // updates, or the errors' "CODE field"
		wantMsg  string   // substring of the first error's message
	}{
		{name: "delta on a written level", loc: "loc_1", changes: []Change{{VariantID: "var_a", Delta: ptr(2), Reason: ReasonReceived}},
			want: []string{"loc_1/var_a 7 v4 2 RECEIVED"}},
		{name: "delta on a level never written", loc: "loc_1", changes: []Change{{VariantID: "var_b", Delta: ptr(4), Reason: ReasonReceived}},
			want: []string{"loc_1/var_b 4 v1 4 RECEIVED"}},
		{name: "setTo records the difference", loc: "loc_1", changes: []Change{{VariantID: "var_a", SetTo: ptr(1), Reason: ReasonCount}},
			want: []string{"loc_1/var_a 1 v4 -4 COUNT"}},
		{name: "setTo equal to on-hand still records the count", loc: "loc_1", changes: []Change{{VariantID: "var_a", SetTo: ptr(5), Reason: ReasonCount}},
			want: []string{"loc_1/var_a 5 v4 0 COUNT"}},
		{name: "down to exactly zero", loc: "loc_1", changes: []Change{{VariantID: "var_a", Delta: ptr(-5), Reason: ReasonDamaged}},
			want: []string{"loc_1/var_a 0 v4 -5 DAMAGED"}},
		{name: "several changes keep input order", loc: "loc_1", changes: []Change{{VariantID: "var_b", SetTo: ptr(9), Reason: ReasonCount}, {VariantID: "var_a", Delta: ptr(-1), Reason: ReasonLost}},
			want: []string{"loc_1/var_b 9 v1 9 COUNT", "loc_1/var_a 4 v4 -1 LOST"}},
		{name: "below zero refused", loc: "loc_1", changes: []Change{{VariantID: "var_a", Delta: ptr(-6), Reason: ReasonLost}, {VariantID: "var_b", Delta: ptr(-1), Reason: ReasonLost}},
			want: []string{"OUT_OF_STOCK input.changes.0.delta", "OUT_OF_STOCK input.changes.1.delta"}, wantMsg: "SKU SKU-A at this location (on hand 5)"},
		{name: "below zero allowed by the tenant", loc: "loc_1", negative: true, changes: []Change{{VariantID: "var_a", Delta: ptr(-6), Reason: ReasonLost}},
			want: []string{"loc_1/var_a -1 v4 -6 LOST"}},
		{name: "a negative level may be raised and stay negative", loc: "loc_2", changes: []Change{{VariantID: "var_a", Delta: ptr(1), Reason: ReasonReturned}},
			want: []string{"loc_2/var_a -1 v8 1 RETURNED"}},
		{name: "a negative level may not fall further", loc: "loc_2", changes: []Change{{VariantID: "var_a", Delta: ptr(-1), Reason: ReasonLost}},
			want: []string{"OUT_OF_STOCK input.changes.0.delta"}, wantMsg: "SKU-A at this location (on hand -2)"},
		{name: "unknown location", loc: "loc_9", changes: []Change{{VariantID: "var_a", Delta: ptr(1), Reason: ReasonOther}},
			want: []string{"NOT_FOUND input.locationId"}},
		{name: "unknown and untracked variants", loc: "loc_1", changes: []Change{{VariantID: "var_a", Delta: ptr(1), Reason: ReasonOther}, {VariantID: "var_other_tenant", Delta: ptr(1), Reason: ReasonOther}, {VariantID: "var_g", Delta: ptr(1), Reason: ReasonOther}},
			want: []string{"NOT_FOUND input.changes.1.variantId", "INVALID input.changes.2.variantId"}, wantMsg: "variant not found"},
		{name: "existence is reported before stock", loc: "loc_9", changes: []Change{{VariantID: "var_a", Delta: ptr(-100), Reason: ReasonOther}},
			want: []string{"NOT_FOUND input.locationId"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := PlanAdjust(AdjustInput{IdempotencyKey: "k", LocationID: tc.loc, Changes: tc.changes}, shop(tc.negative), at)
			got := summary(w)
			if err != nil {
				got = problems(err)
				if tc.wantMsg != "" {
					if l, _ := apperr.Expected(err); !strings.Contains(l[0].Message, tc.wantMsg) {
						t.Errorf("message %q does not contain %q", l[0].Message, tc.wantMsg)
					}
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for _, u := range w.Updates {
				if !u.Level.UpdatedAt.Equal(at) || u.ReadVersion() != u.Level.Version-1 {
					t.Fatalf("update %+v", u)
				}
			}
			if err == nil && (w.Idempotency.Operation != OpAdjust || w.Idempotency.Key != "k") {
				t.Fatalf("idempotency %+v", w.Idempotency)
			}
		})
	}
}

func TestPlanTransfer(t *testing.T) {
	tests := []struct {
		name     string
		from, to string
		lines    []TransferLine
		negative bool
		want     []string
		wantMsg  string
	}{
		{name: "moves both sides, source first", from: "loc_1", to: "loc_2", lines: []TransferLine{{VariantID: "var_a", Quantity: 3}},
			want: []string{"loc_1/var_a 2 v4 -3 TRANSFER_OUT", "loc_2/var_a 1 v8 3 TRANSFER_IN"}},
		{name: "several lines: all sources then all destinations", from: "loc_1", to: "loc_2", lines: []TransferLine{{VariantID: "var_a", Quantity: 5}, {VariantID: "var_b", Quantity: 1}}, negative: true,
			want: []string{"loc_1/var_a 0 v4 -5 TRANSFER_OUT", "loc_1/var_b -1 v1 -1 TRANSFER_OUT", "loc_2/var_a 3 v8 5 TRANSFER_IN", "loc_2/var_b 1 v1 1 TRANSFER_IN"}},
		{name: "source below zero refused", from: "loc_1", to: "loc_2", lines: []TransferLine{{VariantID: "var_a", Quantity: 6}},
			want: []string{"OUT_OF_STOCK input.lines.0.quantity"}, wantMsg: "SKU SKU-A at the source location (on hand 5)"},
		{name: "a negative source may not fall further", from: "loc_2", to: "loc_1", lines: []TransferLine{{VariantID: "var_a", Quantity: 1}},
			want: []string{"OUT_OF_STOCK input.lines.0.quantity"}, wantMsg: "SKU-A at the source location (on hand -2)"},
		{name: "unknown locations", from: "loc_8", to: "loc_9", lines: []TransferLine{{VariantID: "var_a", Quantity: 1}},
			want: []string{"NOT_FOUND input.fromLocationId", "NOT_FOUND input.toLocationId"}},
		{name: "unknown and untracked variants", from: "loc_1", to: "loc_2", lines: []TransferLine{{VariantID: "var_x", Quantity: 1}, {VariantID: "var_g", Quantity: 1}},
			want: []string{"NOT_FOUND input.lines.0.variantId", "INVALID input.lines.1.variantId"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := PlanTransfer(TransferInput{IdempotencyKey: "k", FromLocationID: tc.from, ToLocationID: tc.to, Lines: tc.lines}, shop(tc.negative), at)
			got := summary(w)
			if err != nil {
				got = problems(err)
				if tc.wantMsg != "" {
					if l, _ := apperr.Expected(err); !strings.Contains(l[0].Message, tc.wantMsg) {
						t.Errorf("message %q does not contain %q", l[0].Message, tc.wantMsg)
					}
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	adj := AdjustInput{IdempotencyKey: "k1", LocationID: "loc_1", Changes: []Change{
		{VariantID: "var_a", Delta: ptr(1), Reason: ReasonReceived}, {VariantID: "bad#id", Delta: ptr(1), Reason: ReasonReceived}}}
	q := adj.Lookup()
	if !slices.Equal(q.VariantIDs, []string{"var_a"}) || !slices.Equal(q.Levels, []LevelKey{{"loc_1", "var_a"}}) || !slices.Equal(q.LocationIDs, []string{"loc_1"}) {
		t.Fatalf("adjust lookup %+v", q)
	}
	if q.Idempotency.Operation != OpAdjust || q.Idempotency.Key != "k1" {
		t.Fatalf("idempotency %+v", q.Idempotency)
	}
	if q := (AdjustInput{LocationID: "bad#loc", Changes: adj.Changes}).Lookup(); !slices.Equal(q.VariantIDs, []string{"var_a"}) || len(q.Levels) != 0 {
		t.Fatalf("with an impossible location the variants are still checked: %+v", q)
	}
	tr := TransferInput{IdempotencyKey: "k2", FromLocationID: "loc_1", ToLocationID: "loc_2", Lines: []TransferLine{{VariantID: "var_a", Quantity: 1}}}
	if q := tr.Lookup(); !slices.Equal(q.Levels, []LevelKey{{"loc_1", "var_a"}, {"loc_2", "var_a"}}) || q.Idempotency.Operation != OpTransfer {
		t.Fatalf("transfer lookup %+v", q)
	}

	t.Run("the request hash ignores the key and sees every other field", func(t *testing.T) {
		base := adj.Lookup().Idempotency.Hash
		other := adj
		other.IdempotencyKey = "k-other"
		if other.Lookup().Idempotency.Hash != base {
			t.Fatal("the key changed the request hash")
		}
		variants := []AdjustInput{
			{LocationID: "loc_2", Changes: adj.Changes},
			{LocationID: "loc_1", Changes: []Change{{VariantID: "var_a", SetTo: ptr(1), Reason: ReasonReceived}, adj.Changes[1]}},
			{LocationID: "loc_1", Changes: []Change{{VariantID: "var_a", Delta: ptr(1), Reason: ReasonCount}, adj.Changes[1]}},
			{LocationID: "loc_1", Changes: []Change{adj.Changes[1], adj.Changes[0]}},
		}
		for i, v := range variants {
			if v.Lookup().Idempotency.Hash == base {
				t.Errorf("variant %d has the same request hash", i)
			}
		}
	})
	t.Run("the hashes are pinned", func(t *testing.T) {
		// Stored records hold these hashes: a change of the canonical fields
		// would answer honest retries with IDEMPOTENCY_KEY_REUSED.
		if got := adj.Request().Hash; got != "7a2197f6d8ab3bbfb2d7a7dccd447de8048ad28e7f18adc37e97d700351a8a5e" {
			t.Errorf("adjust hash = %s", got)
		}
		if got := tr.Request().Hash; got != "469ce6cbe34c00862bcc3dc1206107379a16eb71ed41633c4445c3f2526d2469" {
			t.Errorf("transfer hash = %s", got)
		}
	})
}

func TestPlan_OnHandRange(t *testing.T) {
	snap := shop(true)
	snap.Levels[LevelKey{"loc_1", "var_b"}] = StockLevel{LocationID: "loc_1", VariantID: "var_b", OnHand: MaxOnHand, Version: 1}
	snap.Levels[LevelKey{"loc_2", "var_b"}] = StockLevel{LocationID: "loc_2", VariantID: "var_b", OnHand: MaxOnHand, Version: 1}
	_, err := PlanAdjust(AdjustInput{LocationID: "loc_1", Changes: []Change{{VariantID: "var_b", Delta: ptr(1), Reason: ReasonReceived}}}, snap, at)
	if got := problems(err); !slices.Equal(got, []string{"INVALID input.changes.0"}) {
		t.Fatalf("adjust past the range: %v", got)
	}
	_, err = PlanTransfer(TransferInput{FromLocationID: "loc_1", ToLocationID: "loc_2", Lines: []TransferLine{{VariantID: "var_b", Quantity: 1}}}, snap, at)
	if got := problems(err); !slices.Equal(got, []string{"INVALID input.lines.0"}) {
		t.Fatalf("transfer past the range: %v", got)
	}
	if _, err := PlanAdjust(AdjustInput{LocationID: "loc_1", Changes: []Change{{VariantID: "var_b", Delta: ptr(-1), Reason: ReasonLost}}}, snap, at); err != nil {
		t.Fatalf("back into the range: %v", err)
	}
}
