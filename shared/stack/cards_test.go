package stack

import (
	"testing"
	"time"
)

func TestPendingTTLFromEnv(t *testing.T) {
	for v, want := range map[string]time.Duration{"": 0, "15m": 15 * time.Minute, "1m": time.Minute, "24h": 24 * time.Hour} {
		got, err := PendingTTLFromEnv(func(string) string { return v })
		if err != nil || got != want {
			t.Errorf("%q: %v %v", v, got, err)
		}
	}
	for _, v := range []string{"15", "30s", "25h", "-5m", "soon"} {
		if _, err := PendingTTLFromEnv(func(string) string { return v }); err == nil {
			t.Errorf("%q accepted", v)
		}
	}
}
