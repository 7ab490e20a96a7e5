package sales

import (
	"errors"
	"fmt"
	"testing"

	"github.com/renkei-pos/renkei/shared/apperr"
)

func TestApplicationFee(t *testing.T) {
	for _, c := range []struct {
		amount int64
		bps    int
		want   int64
	}{
		{600, 250, 15}, {599, 250, 14}, {1, 250, 0}, {600, 0, 0}, {600, -5, 0}, {10_000_000_000_000, 10_000, 10_000_000_000_000},
	} {
		if got := ApplicationFee(c.amount, c.bps); got != c.want {
			t.Errorf("ApplicationFee(%d, %d) = %d, want %d", c.amount, c.bps, got, c.want)
		}
	}
}

func TestIntentIdempotencyKey(t *testing.T) {
	k := IntentIdempotencyKey("tnt_a", "key-1", 0)
	if k != IntentIdempotencyKey("tnt_a", "key-1", 0) || len(k) > 255 {
		t.Fatalf("not stable or too long: %q", k)
	}
	for _, other := range []string{IntentIdempotencyKey("tnt_b", "key-1", 0), IntentIdempotencyKey("tnt_a", "key-2", 0), IntentIdempotencyKey("tnt_a", "key-1", 1),
		IntentIdempotencyKey("tnt_a", "key-1\x000", 0)} {
		if other == k {
			t.Fatalf("two checkouts share a processor key: %q", k)
		}
	}
}

type coded struct{ code string }

func (c coded) Error() string       { return "declined" }
func (c coded) DeclineCode() string { return c.code }

func TestDeclineCode(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{apperr.New(apperr.PaymentDeclined, "the card was declined (insufficient_funds)"), "insufficient_funds"},
		{&apperr.Error{Code: apperr.PaymentDeclined, Message: "declined", Err: coded{"lost_card"}}, "lost_card"},
		{apperr.New(apperr.PaymentDeclined, "declined"), "card_declined"},
		{fmt.Errorf("wrapped: %w", apperr.New(apperr.PaymentDeclined, "x (expired_card)")), "expired_card"},
	} {
		if got := declineCode(c.err); got != c.want {
			t.Errorf("declineCode(%v) = %q, want %q", c.err, got, c.want)
		}
	}
	if err := cardError(errors.New("boom"), 0); apperr.CodeOf(err) != apperr.Internal {
		t.Fatalf("an unknown processor failure is %v", err)
	}
	if err := cardError(apperr.New(apperr.Unavailable, "x"), 0); apperr.CodeOf(err) != apperr.Unavailable {
		t.Fatalf("an outage is %v", err)
	}
}
