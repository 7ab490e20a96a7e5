package inventory

import (
	"slices"
	"strings"
	"testing"

	"github.com/renkei-pos/renkei/shared/apperr"
)

func ptr(n int64) *int64 { return &n }

// problems renders an error list as "CODE field.path" lines for comparison.
func problems(err error) []string {
	if err == nil {
		return nil
	}
	l, ok := apperr.Expected(err)
	if !ok {
		return []string{"unexpected: " + err.Error()}
	}
	out := make([]string, len(l))
	for i, e := range l {
		out[i] = string(e.Code) + " " + strings.Join(e.Field, ".")
	}
	return out
}

func TestAdjustInput_Validate(t *testing.T) {
	ok := Change{VariantID: "var_a", Delta: ptr(3), Reason: ReasonReceived}
	many := make([]Change, MaxAdjustChanges+1)
	for i := range many {
		many[i] = Change{VariantID: "var_" + strings.Repeat("x", i+1), Delta: ptr(1), Reason: ReasonOther}
	}
	tests := []struct {
		name    string
		changes []Change
		want    []string
	}{
		{"one delta", []Change{ok}, nil},
		{"setTo zero", []Change{{VariantID: "var_a", SetTo: ptr(0), Reason: ReasonCount}}, nil},
		{"negative delta", []Change{{VariantID: "var_a", Delta: ptr(-5), Reason: ReasonDamaged}}, nil},
		{"maximum count", many[:MaxAdjustChanges], nil},
		{"no changes", nil, []string{"INVALID input.changes"}},
		{"too many changes", many, []string{"INVALID input.changes"}},
		{"duplicate variant", []Change{ok, ok}, []string{"INVALID input.changes.1.variantId"}},
		{"neither delta nor setTo", []Change{{VariantID: "var_a", Reason: ReasonCount}}, []string{"INVALID input.changes.0"}},
		{"both delta and setTo", []Change{{VariantID: "var_a", Delta: ptr(1), SetTo: ptr(1), Reason: ReasonCount}}, []string{"INVALID input.changes.0"}},
		{"zero delta", []Change{{VariantID: "var_a", Delta: ptr(0), Reason: ReasonCount}}, []string{"INVALID input.changes.0.delta"}},
		{"huge delta", []Change{{VariantID: "var_a", Delta: ptr(MaxQuantity + 1), Reason: ReasonCount}}, []string{"INVALID input.changes.0.delta"}},
		{"huge negative delta", []Change{{VariantID: "var_a", Delta: ptr(-MaxQuantity - 1), Reason: ReasonCount}}, []string{"INVALID input.changes.0.delta"}},
		{"negative setTo", []Change{{VariantID: "var_a", SetTo: ptr(-1), Reason: ReasonCount}}, []string{"INVALID input.changes.0.setTo"}},
		{"unknown reason", []Change{{VariantID: "var_a", Delta: ptr(1), Reason: "STOLEN_BY_ELVES"}}, []string{"INVALID input.changes.0.reason"}},
		{"transfer reason is not for clients", []Change{{VariantID: "var_a", Delta: ptr(1), Reason: ReasonTransferIn}}, []string{"INVALID input.changes.0.reason"}},
		{"every problem reported", []Change{ok, {VariantID: "var_a", Reason: "X"}}, []string{"INVALID input.changes.1.variantId", "INVALID input.changes.1", "INVALID input.changes.1.reason"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := problems(AdjustInput{IdempotencyKey: "k", LocationID: "loc_1", Changes: tc.changes}.Validate())
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTransferInput_Validate(t *testing.T) {
	line := TransferLine{VariantID: "var_a", Quantity: 2}
	many := make([]TransferLine, MaxTransferLines+1)
	for i := range many {
		many[i] = TransferLine{VariantID: "var_" + strings.Repeat("x", i+1), Quantity: 1}
	}
	tests := []struct {
		name     string
		from, to string
		lines    []TransferLine
		want     []string
	}{
		{"one line", "loc_1", "loc_2", []TransferLine{line}, nil},
		{"maximum lines", "loc_1", "loc_2", many[:MaxTransferLines], nil},
		{"same location", "loc_1", "loc_1", []TransferLine{line}, []string{"INVALID input.toLocationId"}},
		{"no lines", "loc_1", "loc_2", nil, []string{"INVALID input.lines"}},
		{"too many lines", "loc_1", "loc_2", many, []string{"INVALID input.lines"}},
		{"zero quantity", "loc_1", "loc_2", []TransferLine{{VariantID: "var_a"}}, []string{"INVALID input.lines.0.quantity"}},
		{"negative quantity", "loc_1", "loc_2", []TransferLine{{VariantID: "var_a", Quantity: -3}}, []string{"INVALID input.lines.0.quantity"}},
		{"huge quantity", "loc_1", "loc_2", []TransferLine{{VariantID: "var_a", Quantity: MaxQuantity + 1}}, []string{"INVALID input.lines.0.quantity"}},
		{"duplicate variant", "loc_1", "loc_2", []TransferLine{line, line}, []string{"INVALID input.lines.1.variantId"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := problems(TransferInput{IdempotencyKey: "k", FromLocationID: tc.from, ToLocationID: tc.to, Lines: tc.lines}.Validate())
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestValidateRead(t *testing.T) {
	ids := make([]string, MaxReadVariants+1)
	for i := range ids {
		ids[i] = "var_" + strings.Repeat("y", i+1)
	}
	if got, err := validateRead([]string{"b", "a", "b"}); err != nil || !slices.Equal(got, []string{"b", "a"}) {
		t.Fatalf("dedupe = %v, %v", got, err)
	}
	if _, err := validateRead(append(ids[:MaxReadVariants:MaxReadVariants], ids[0])); err != nil {
		t.Fatalf("%d distinct ids with a duplicate refused: %v", MaxReadVariants, err)
	}
	if got := problems(func() error { _, err := validateRead(ids); return err }()); !slices.Equal(got, []string{"INVALID variantIds"}) {
		t.Fatalf("too many ids: %v", got)
	}
}

func TestPlausibleID(t *testing.T) {
	for id, want := range map[string]bool{
		"var_01hzy3": true, "loc_ABC_9": true, "": false, strings.Repeat("a", 65): false,
		"var#x": false, "a b": false, "ｖａｒ": false,
	} {
		if got := plausibleID(id); got != want {
			t.Errorf("plausibleID(%q) = %v", id, got)
		}
	}
}
