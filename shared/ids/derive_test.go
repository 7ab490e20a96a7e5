package ids

import (
	"testing"
	"time"
)

func TestDerive(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	a := Derive("evt", t0, "tnt_x|loc_y|var_z|7")
	if !Valid("evt", a) {
		t.Fatalf("Derive gave an invalid id %q", a)
	}
	if again := Derive("evt", t0, "tnt_x|loc_y|var_z|7"); again != a {
		t.Fatalf("Derive is not deterministic: %q then %q", a, again)
	}
	if other := Derive("evt", t0, "tnt_x|loc_y|var_z|8"); other == a {
		t.Fatal("two seeds gave one id")
	}
	if later := Derive("evt", t0.Add(time.Millisecond), "tnt_x|loc_y|var_z|7"); !(a < later) {
		t.Fatalf("derived ids do not sort by time: %q >= %q", a, later)
	}
	if a[:14] != NewAt("evt", t0)[:14] {
		t.Fatalf("time part of %q differs from NewAt's", a)
	}
}
