package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"unicode"

	"github.com/renkei-pos/renkei/shared/integrations"
)

// maxSnippet bounds the part of an endpoint's answer kept in a job's error.
const maxSnippet = 80

// Run delivers one event: a signed POST of its body. A 2xx answer is done;
// anything else (3xx included: redirects are not followed), a timeout or a
// connection failure is retried, after the endpoint's Retry-After when a
// 429 or 503 carries one. The endpoint dedupes by Renkei-Event-Id: a
// delivery whose answer was lost is sent again, with the same id.
func (c *Connector) Run(ctx context.Context, cfg integrations.Config, job integrations.Job) error {
	if job.Kind != integrations.KindDeliverEvent {
		return integrations.Permanent(fmt.Errorf("a webhook does not run %s jobs", job.Kind))
	}
	var s settings
	if err := json.Unmarshal(cfg.Integration.Settings, &s); err != nil || s.URL == "" {
		return integrations.Permanent(errors.New("the webhook's settings are unreadable; reconnect it"))
	}
	var sec secrets
	if err := json.Unmarshal(cfg.Secrets, &sec); err != nil || sec.SigningSecret == "" {
		return integrations.Permanent(errors.New("the webhook's signing secret is missing; reconnect it"))
	}
	u, msg := parseURL(s.URL, cfg.Local)
	if msg != "" {
		return integrations.Permanent(errors.New("the webhook's " + msg))
	}
	payload, err := Body(job.Event)
	if err != nil {
		return integrations.Permanent(err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(payload))
	if err != nil {
		return integrations.Permanent(errors.New("the webhook's url cannot be requested; reconnect it"))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(EventIDHeader, job.Event.ID)
	req.Header.Set(EventTypeHeader, job.Event.Type)
	req.Header.Set(SignatureHeader, Sign(sec.SigningSecret, c.now(), payload))
	client := c.public
	if cfg.Local {
		client = c.local
	}
	resp, err := client.Do(req)
	if err != nil {
		return c.transportError(err)
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	e := fmt.Errorf("endpoint answered %d%s", resp.StatusCode, snippet(resp, head))
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		e = fmt.Errorf("endpoint answered %d (a redirect; redirects are not followed: connect the final URL)", resp.StatusCode)
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		if d := integrations.ParseRetryAfter(resp.Header, c.now(), MaxRetryAfter); d > 0 {
			return integrations.RetryAfter(e, d)
		}
	}
	return e
}

// transportError names what went wrong reaching the endpoint without the
// error's own text, which carries the URL (its query may hold a token).
func (c *Connector) transportError(err error) error {
	var de *net.DNSError
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	var ce x509.CertificateInvalidError
	var re tls.RecordHeaderError
	switch {
	case errors.Is(err, errNotPublic):
		return errNotPublic
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return fmt.Errorf("endpoint did not answer within %s", c.timeout)
	case errors.As(err, &de):
		if de.IsNotFound {
			return errors.New("the endpoint's host does not resolve")
		}
		return errors.New("the endpoint's host could not be looked up")
	case errors.Is(err, syscall.ECONNREFUSED):
		return errors.New("the endpoint refused the connection")
	case errors.Is(err, syscall.ECONNRESET):
		return errors.New("the endpoint reset the connection")
	case errors.As(err, &ue), errors.As(err, &he), errors.As(err, &ce):
		return errors.New("the endpoint's TLS certificate is not valid for its host")
	case errors.As(err, &re):
		return errors.New("the endpoint does not speak TLS")
	case errors.Is(err, context.Canceled):
		return errors.New("delivery canceled")
	}
	return errors.New("could not reach the endpoint")
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// snippet is a short, printable excerpt of a text answer, for the
// merchant reading the job's error; nothing of a binary one.
func snippet(resp *http.Response, head []byte) string {
	ct := resp.Header.Get("Content-Type")
	if len(head) == 0 || (ct != "" && !strings.HasPrefix(ct, "text/") && !strings.Contains(ct, "json")) {
		return ""
	}
	var b strings.Builder
	space := false
	for _, r := range string(head) {
		if b.Len() >= maxSnippet {
			b.WriteString("…")
			break
		}
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case r == unicode.ReplacementChar || !unicode.IsPrint(r):
			r = '?'
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return ""
	}
	return ": " + b.String()
}
