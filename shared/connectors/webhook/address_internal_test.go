package webhook

import (
	"errors"
	"testing"
)

// TestControlPublic: the socket-level check refuses a non-public address
// even when whatever resolved it let it through.
func TestControlPublic(t *testing.T) {
	for addr, want := range map[string]error{
		"127.0.0.1:443":       errNotPublic,
		"[::1]:443":           errNotPublic,
		"169.254.169.254:80":  errNotPublic,
		"[::ffff:10.0.0.1]:8": errNotPublic,
		"93.184.216.34:443":   nil,
		"[2606:4700::1]:443":  nil,
		"not-an-address":      errNotPublic,
	} {
		if err := controlPublic("tcp", addr, nil); !errors.Is(err, want) {
			t.Errorf("controlPublic(%s) = %v, want %v", addr, err, want)
		}
	}
}
