package identity

import (
	"context"
	"fmt"

	"github.com/renkei-pos/renkei/shared/apperr"
)

// EndSessionByRefresh ends the session that issued a refresh token, current
// or already rotated away: holding any token of a session is enough to end
// it (never to resume it), so a browser whose access token has expired can
// still log out. Its refresh token stops at once, its access tokens at once
// on this process and within Config.SessionCheckTTL on the others. A token
// that no session issued ends nothing and is no error: logging out is
// idempotent.
func (s *Service) EndSessionByRefresh(ctx context.Context, token string) error {
	sid, hash, ok := parseRefreshToken(token)
	if !ok {
		return nil
	}
	_, err := s.Store.RevokeSessionByToken(ctx, sid, hash)
	if apperr.Is(err, apperr.NotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	s.sessions().revoked(sid, s.Now().UTC())
	return nil
}
