package identity

import (
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
)

func TestLoginPolicy(t *testing.T) {
	p := LoginPolicy{}.withDefaults()
	if p != DefaultLoginPolicy {
		t.Fatalf("zero policy = %+v, want the defaults", p)
	}
	for k, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 6: 32 * time.Second, 7: time.Minute, 100: time.Minute} {
		if got := p.EmailDelay(k); got != want {
			t.Errorf("EmailDelay(%d) = %v, want %v", k, got, want)
		}
	}
	for d, want := range map[time.Duration]time.Duration{0: time.Second, time.Millisecond: time.Second, time.Second: time.Second, 1001 * time.Millisecond: 2 * time.Second, 14 * time.Minute: 14 * time.Minute} {
		l := NewLoginLimited(d)
		if l.RetryAfter != want || apperr.CodeOf(l) != apperr.RateLimited {
			t.Errorf("NewLoginLimited(%v) = %v (%v)", d, l.RetryAfter, apperr.CodeOf(l))
		}
	}
}

func TestClientBucket(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7":                  "192.0.2.7",
		"::ffff:192.0.2.7":           "192.0.2.7",
		"2001:db8:1:2:aaaa::1":       "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:ffff:0:0": "2001:db8:1:2::/64",
		"":                           "",
		"not-an-address":             "not-an-address",
	} {
		if got := ClientBucket(in); got != want {
			t.Errorf("ClientBucket(%q) = %q, want %q", in, got, want)
		}
	}
}
