package stripemock

import "testing"

// MustStart starts stripe-mock for one test and stops it in tb.Cleanup.
func MustStart(tb testing.TB) *Server {
	tb.Helper()
	s, err := Start(tb.Context())
	if err != nil {
		tb.Fatalf("start stripe-mock: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Stop(); err != nil {
			tb.Errorf("stop stripe-mock: %v", err)
		}
	})
	return s
}
