// Package apperr is renkei's one application error type: a stable code, a
// message safe to show to a client, and the input field it concerns. The
// GraphQL layer maps codes to userErrors or top-level errors in one place.
package apperr

import (
	"errors"
	"fmt"
	"strings"
)

// Code is a stable, client-visible error code.
type Code string

// The codes clients can rely on. Internal faults are never shown with their
// cause; they surface as Internal with a request id.
const (
	Invalid              Code = "INVALID"
	NotFound             Code = "NOT_FOUND"
	Forbidden            Code = "FORBIDDEN"
	Conflict             Code = "CONFLICT"
	Taken                Code = "TAKEN"
	BadCredentials       Code = "BAD_CREDENTIALS"
	RateLimited          Code = "RATE_LIMITED"
	IdempotencyKeyReused Code = "IDEMPOTENCY_KEY_REUSED"
	OutOfStock           Code = "OUT_OF_STOCK"
	PaymentDeclined      Code = "PAYMENT_DECLINED"
	// InsufficientBalance: a gift card holds less than the payment asks.
	InsufficientBalance Code = "INSUFFICIENT_BALANCE"
	Unauthenticated     Code = "UNAUTHENTICATED"
	Unavailable         Code = "UNAVAILABLE"
	Internal            Code = "INTERNAL"
)

// Error is an expected failure with a code. Message must be safe for clients.
type Error struct {
	Code    Code
	Message string
	Field   []string // path of the offending input field, e.g. ["input", "email"]
	Err     error    // cause, for logs only
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	if len(e.Field) > 0 {
		b.WriteString(" ")
		b.WriteString(strings.Join(e.Field, "."))
	}
	b.WriteString(": ")
	b.WriteString(e.Message)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error with a code, a client-safe message and an optional field path.
func New(code Code, message string, field ...string) *Error {
	return &Error{Code: code, Message: message, Field: field}
}

// Newf is New with a formatted message.
func Newf(code Code, field []string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Field: field}
}

// Wrap attaches a code and client-safe message to a cause.
func Wrap(err error, code Code, message string) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// List is several expected failures reported together (e.g. every invalid
// field of one input). It is an error itself.
type List []*Error

func (l List) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Add appends an error and returns the list, so validators read top to bottom.
func (l *List) Add(code Code, message string, field ...string) {
	*l = append(*l, New(code, message, field...))
}

// Err returns the list as an error, or nil when it is empty.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// CodeOf returns the code of the first *Error in err's chain, or Internal.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var l List
	if errors.As(err, &l) && len(l) > 0 {
		return l[0].Code
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Expected reports whether err is a business failure the client should see
// (anything with a code other than Internal/Unavailable), and returns them.
func Expected(err error) (List, bool) {
	var l List
	if errors.As(err, &l) {
		return l, true
	}
	var e *Error
	if errors.As(err, &e) && e.Code != Internal && e.Code != Unavailable && e.Code != Unauthenticated {
		return List{e}, true
	}
	return nil, false
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool { return err != nil && CodeOf(err) == code }
