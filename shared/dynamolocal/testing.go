package dynamolocal

import "testing"

// MustStart starts an in-memory DynamoDB Local for one test and stops it in
// tb.Cleanup. Tables live as long as the test; give them unique names if the
// server is shared between subtests.
func MustStart(tb testing.TB) *Server {
	tb.Helper()
	s, err := Start(tb.Context(), Options{})
	if err != nil {
		tb.Fatalf("start DynamoDB Local: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Stop(); err != nil {
			tb.Errorf("stop DynamoDB Local: %v", err)
		}
	})
	return s
}
