package identity

import (
	"net/netip"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
)

// LoginPolicy is how log-in attempts are limited. Every attempt is counted
// atomically before its password is checked, so concurrent guesses cannot
// overrun a limit, and no limit lets a stranger lock a user out: the only
// limit on an email across all addresses is a delay that never exceeds
// EmailDelayCap. Zero fields take the value of DefaultLoginPolicy.
type LoginPolicy struct {
	// Window is the counting window of every limit below.
	Window time.Duration
	// MaxPerPair is the failed attempts one client address may make for one
	// email in a window; a success resets it.
	MaxPerPair int
	// MaxPerClient is the failed attempts one client address may make in a
	// window, whatever the emails.
	MaxPerClient int
	// FreePerEmail is the attempts an email takes in a window, from any
	// address, before delays start.
	FreePerEmail int
	// EmailDelayBase is the wait after the first attempt past FreePerEmail;
	// each further attempt doubles it, up to EmailDelayCap.
	EmailDelayBase, EmailDelayCap time.Duration
}

// DefaultLoginPolicy is production's policy (docs/api.md, Log-in policy).
var DefaultLoginPolicy = LoginPolicy{
	Window:         15 * time.Minute,
	MaxPerPair:     5,
	MaxPerClient:   100,
	FreePerEmail:   10,
	EmailDelayBase: time.Second,
	EmailDelayCap:  time.Minute,
}

// withDefaults fills zero fields from DefaultLoginPolicy.
func (p LoginPolicy) withDefaults() LoginPolicy {
	d := DefaultLoginPolicy
	if p.Window <= 0 {
		p.Window = d.Window
	}
	if p.MaxPerPair <= 0 {
		p.MaxPerPair = d.MaxPerPair
	}
	if p.MaxPerClient <= 0 {
		p.MaxPerClient = d.MaxPerClient
	}
	if p.FreePerEmail <= 0 {
		p.FreePerEmail = d.FreePerEmail
	}
	if p.EmailDelayBase <= 0 {
		p.EmailDelayBase = d.EmailDelayBase
	}
	if p.EmailDelayCap <= 0 {
		p.EmailDelayCap = d.EmailDelayCap
	}
	return p
}

// WindowStart is the start of the counting window that holds t.
func (p LoginPolicy) WindowStart(t time.Time) time.Time { return t.Truncate(p.Window) }

// EmailDelay is how long an email waits after the k-th attempt past its free
// ones (k ≥ 1): EmailDelayBase × 2^(k−1), at most EmailDelayCap.
func (p LoginPolicy) EmailDelay(k int) time.Duration {
	d := p.EmailDelayBase
	for i := 1; i < k && d < p.EmailDelayCap; i++ {
		d *= 2
	}
	return min(d, p.EmailDelayCap)
}

// LoginAttempt is one log-in to count before its password is checked.
type LoginAttempt struct {
	Email string // normalized
	// ClientAddr is the caller's address; "" when unknown, and then only the
	// email's limit applies (a shared "unknown" bucket would be a lock-out).
	ClientAddr string
	At         time.Time
}

// ClientBucket is the address a log-in is counted against: an IPv4 address
// as is, an IPv6 address by its /64 (one subscriber's network holds
// billions of addresses, so counting each apart would count nothing).
func ClientBucket(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap()
	if ip.Is4() {
		return ip.String()
	}
	return netip.PrefixFrom(ip, 64).Masked().String()
}

// LoginLimited refuses a log-in attempt before its password is checked. It
// is RATE_LIMITED to apperr, and tells when an attempt will be accepted.
type LoginLimited struct {
	RetryAfter time.Duration
	err        *apperr.Error
}

// NewLoginLimited returns the refusal of an attempt that may be retried
// after d (rounded up to whole seconds).
func NewLoginLimited(d time.Duration) *LoginLimited {
	d = max((d+time.Second-1)/time.Second*time.Second, time.Second)
	return &LoginLimited{RetryAfter: d, err: apperr.Newf(apperr.RateLimited, nil,
		"too many log-in attempts; try again in %d seconds", int(d.Seconds()))}
}

func (e *LoginLimited) Error() string { return e.err.Error() }

// Unwrap makes the refusal an apperr RATE_LIMITED.
func (e *LoginLimited) Unwrap() error { return e.err }
