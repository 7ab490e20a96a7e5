package ids

import (
	"testing"
	"time"
)

func TestNew_FixedLengthValidAndOrdered(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	a := NewAt(Tenant, t0)
	b := NewAt(Tenant, t0.Add(time.Millisecond))
	if len(a) != len(Tenant)+1+BodyLen {
		t.Fatalf("len(%q) = %d", a, len(a))
	}
	if !Valid(Tenant, a) || !Valid(Tenant, b) {
		t.Fatalf("generated ids not valid: %q %q", a, b)
	}
	if !(a < b) {
		t.Fatalf("ids not time-ordered: %q >= %q", a, b)
	}
	if NewAt(Tenant, t0) == a {
		t.Fatal("two ids at the same instant collided")
	}
}

func TestValid_Rejects(t *testing.T) {
	good := New(User)
	for _, s := range []string{"", "usr_", good[:len(good)-1], "loc" + good[3:], good + "0", "usr_" + "ABCDEFGHJKMNPQRSTVWXYZ0123", "usr_8zzzzzzzzzzzzzzzzzzzzzzzzz"} {
		if Valid(User, s) {
			t.Errorf("Valid(%q) = true", s)
		}
	}
}
