package timecards

import (
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
)

// Passcodes: a staff member's 4–8 digits for clocking on a shared register,
// set by a manager, stored as an argon2id hash like a password. Guessing is
// limited like log-in: every attempt is counted, atomically and before the
// hash is checked, against the staff member and against the device.

// Passcode length bounds.
const (
	MinPasscode = 4
	MaxPasscode = 8
)

// CheckPasscode validates a passcode's form: INVALID at input.passcode.
func CheckPasscode(pc string) error {
	if len(pc) < MinPasscode || len(pc) > MaxPasscode {
		return apperr.Newf(apperr.Invalid, []string{"input", "passcode"}, "passcode must be %d to %d digits", MinPasscode, MaxPasscode)
	}
	for i := 0; i < len(pc); i++ {
		if pc[i] < '0' || pc[i] > '9' {
			return apperr.Newf(apperr.Invalid, []string{"input", "passcode"}, "passcode must be %d to %d digits", MinPasscode, MaxPasscode)
		}
	}
	return nil
}

// PasscodePolicy limits passcode attempts per counting window. A success
// resets the staff member's count.
type PasscodePolicy struct {
	Window time.Duration
	// MaxPerStaff is the attempts one staff member's passcode takes in a
	// window, from any device: 5 of 10,000 four-digit codes.
	MaxPerStaff int
	// MaxPerDevice is the attempts one credential (a register's key, a
	// session's user) makes in a window, whoever it names: a device cannot
	// spray guesses across staff.
	MaxPerDevice int
}

// DefaultPasscodePolicy is production's policy (docs/api.md, Timecards).
var DefaultPasscodePolicy = PasscodePolicy{Window: 15 * time.Minute, MaxPerStaff: 5, MaxPerDevice: 30}

// WindowStart is the start of the counting window that holds t.
func (p PasscodePolicy) WindowStart(t time.Time) time.Time { return t.Truncate(p.Window) }

// PasscodeAttempt is one passcode entry to count before it is checked.
type PasscodeAttempt struct {
	StaffID string
	// Device is the credential it was entered with: "key#<id>" or "user#<id>".
	Device string
	At     time.Time
}

// PasscodeLimited is the refusal of an attempt over a limit: RATE_LIMITED
// at input.passcode.
func PasscodeLimited(p PasscodePolicy, at time.Time) error {
	wait := p.WindowStart(at).Add(p.Window).Sub(at)
	return apperr.Newf(apperr.RateLimited, []string{"input", "passcode"}, "too many passcode attempts; try again in %d seconds", int((wait+time.Second-1)/time.Second))
}
