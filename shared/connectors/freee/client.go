package freee

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/renkei-pos/renkei/shared/integrations"
)

// session is one run's conversation with freee: one company, one token
// pair, refreshed at most once.
type session struct {
	c         *Connector
	base      string
	tokenURL  string
	company   int64
	tokens    secrets
	refreshed bool
	// save stores a rotated token pair before it is used (freee's refresh
	// tokens are single-use: a pair not stored is a pair lost).
	save func(ctx context.Context, s secrets) error
}

const (
	maxResponseBytes = 8 << 20
	maxErrorText     = 300
	// defaultRateLimitWait applies when freee limits without saying until
	// when.
	defaultRateLimitWait = time.Minute
	maxRateLimitWait     = time.Hour
)

// apiError is an answer from freee other than success. Its text is for the
// merchant: the call and freee's own messages, never a token.
type apiError struct {
	Op          string // "POST /api/1/deals"
	Status      int
	Messages    []string
	RateLimited bool
	RetryAfter  time.Duration
	// token marks an answer of the token endpoint.
	token        bool
	afterRefresh bool
}

func (e *apiError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "freee answered %d to %s", e.Status, e.Op)
	if e.afterRefresh {
		b.WriteString(" after a token refresh")
	}
	if e.RateLimited {
		b.WriteString(" (rate limited)")
	}
	if len(e.Messages) > 0 {
		b.WriteString(": ")
		b.WriteString(clip(strings.Join(e.Messages, "; "), maxErrorText))
	}
	return b.String()
}

// transportError is a call that got no answer (timeout, connection).
type transportError struct {
	Op    string
	cause error
}

func (e *transportError) Error() string {
	if errors.Is(e.cause, context.DeadlineExceeded) {
		return "freee did not answer " + e.Op + " in time"
	}
	return "freee could not be reached for " + e.Op
}

func (e *transportError) Unwrap() error { return e.cause }

// call sends one API request and decodes a success into out (nil: ignore
// the body). A 401 refreshes the token pair once and tries again.
func (s *session) call(ctx context.Context, method, path string, query url.Values, body, out any) error {
	err := s.once(ctx, method, path, query, body, out)
	var ae *apiError
	if !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized {
		return err
	}
	if !s.refreshed {
		if err := s.refresh(ctx); err != nil {
			return err
		}
		err = s.once(ctx, method, path, query, body, out)
		if !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized {
			return err
		}
	}
	ae.afterRefresh = true
	return err
}

func (s *session) once(ctx context.Context, method, path string, query url.Values, body, out any) error {
	op := method + " " + path
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode %s: %w", op, err)
		}
		rd = bytes.NewReader(b)
	}
	u := strings.TrimRight(s.base, "/") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	ctx, cancel := context.WithTimeout(ctx, s.c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("build %s: %w", op, err)
	}
	req.Header.Set("Authorization", "Bearer "+s.tokens.AccessToken)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := s.c.client.Do(req)
	if err != nil {
		return &transportError{Op: op, cause: err}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxResponseBytes))
	if err != nil {
		return &transportError{Op: op, cause: err}
	}
	if res.StatusCode/100 != 2 {
		return s.c.answerError(op, res, raw)
	}
	if out == nil || res.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("freee answered %s with a body renkei could not read: %w", op, err)
	}
	return nil
}

// answerError reads freee's error answer: its messages (badRequestError's
// errors[].messages, or message) and, for 429 and the rate-limit 403, how
// long to wait.
func (c *Connector) answerError(op string, res *http.Response, raw []byte) *apiError {
	e := &apiError{Op: op, Status: res.StatusCode}
	var body struct {
		Message any `json:"message"`
		Errors  []struct {
			Messages any `json:"messages"`
		} `json:"errors"`
	}
	if json.Unmarshal(raw, &body) == nil {
		e.Messages = appendMessages(e.Messages, body.Message)
		for _, x := range body.Errors {
			e.Messages = appendMessages(e.Messages, x.Messages)
		}
	}
	remaining := res.Header.Get("X-RateLimit-Remaining")
	e.RateLimited = res.StatusCode == http.StatusTooManyRequests ||
		(res.StatusCode == http.StatusForbidden && (res.Header.Get("Retry-After") != "" || remaining == "0" ||
			strings.Contains(strings.Join(e.Messages, " "), "制限")))
	if e.RateLimited {
		now := c.now()
		e.RetryAfter = integrations.ParseRetryAfter(res.Header, now, maxRateLimitWait)
		if e.RetryAfter == 0 {
			if t, err := time.Parse(time.RFC3339, res.Header.Get("X-RateLimit-Reset")); err == nil && t.After(now) {
				e.RetryAfter = min(t.Sub(now), maxRateLimitWait)
			}
		}
		if e.RetryAfter == 0 {
			e.RetryAfter = defaultRateLimitWait
		}
	}
	return e
}

// appendMessages adds freee's message(s): a string or a list of strings.
func appendMessages(dst []string, v any) []string {
	switch m := v.(type) {
	case string:
		if m != "" {
			dst = append(dst, m)
		}
	case []any:
		for _, x := range m {
			if s, ok := x.(string); ok && s != "" {
				dst = append(dst, s)
			}
		}
	}
	return dst
}

// tokenAnswer is the token endpoint's success.
type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	CompanyID    flexID `json:"company_id"`
}

// refresh trades the refresh token for a new pair and stores the pair
// before anything uses it.
func (s *session) refresh(ctx context.Context) error {
	s.refreshed = true
	tok, err := s.c.grant(ctx, s.tokenURL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {s.tokens.RefreshToken}})
	if err != nil {
		return err
	}
	next := secrets{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken}
	if s.save != nil {
		if err := saveWithRetry(ctx, s.save, next); err != nil {
			return fmt.Errorf("the refreshed freee token pair could not be stored (reconnect the integration if jobs keep failing): %w", err)
		}
	}
	s.tokens = next
	return nil
}

// saveWithRetry tries a few times: the old refresh token is spent, so
// losing the new pair means reconnecting.
func saveWithRetry(ctx context.Context, save func(context.Context, secrets) error, s secrets) error {
	var err error
	for attempt := range 3 {
		if err = save(ctx, s); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt+1) * 100 * time.Millisecond):
		}
	}
	return err
}

// grant posts to the token endpoint (form-encoded, client credentials in
// the body) and returns the new pair.
func (c *Connector) grant(ctx context.Context, tokenURL string, form url.Values) (tokenAnswer, error) {
	const op = "POST token"
	form.Set("client_id", c.app.ClientID)
	form.Set("client_secret", c.app.ClientSecret)
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return tokenAnswer{}, fmt.Errorf("build %s: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	res, err := c.client.Do(req)
	if err != nil {
		return tokenAnswer{}, &transportError{Op: "the token endpoint", cause: err}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return tokenAnswer{}, &transportError{Op: "the token endpoint", cause: err}
	}
	if res.StatusCode != http.StatusOK {
		e := c.answerError("the token request", res, nil)
		e.token = true
		var oauth struct {
			Error string `json:"error"`
		}
		// Only the OAuth error code is kept: a description could echo
		// what was sent.
		if json.Unmarshal(raw, &oauth) == nil && oauth.Error != "" && len(oauth.Error) <= 64 {
			e.Messages = []string{oauth.Error}
		}
		return tokenAnswer{}, e
	}
	var tok tokenAnswer
	if err := json.Unmarshal(raw, &tok); err != nil || tok.AccessToken == "" || tok.RefreshToken == "" {
		return tokenAnswer{}, errors.New("freee's token endpoint answered without a token pair")
	}
	return tok, nil
}

// clip bounds s to n bytes on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
