package identity

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/text"
)

// User is a person who works for a tenant.
type User struct {
	ID          string
	TenantID    string
	Email       string // normalized (trimmed, lower case)
	Name        string
	Role        Role
	LocationIDs []string // empty: all locations
	CreatedAt   time.Time
	// DeactivatedAt is set once the user may no longer log in or act.
	DeactivatedAt *time.Time
}

// Login is the platform-wide record that finds a user by email before the
// tenant is known. Email is unique across the platform.
type Login struct {
	Email        string
	TenantID     string
	UserID       string
	PasswordHash string
}

// MinPasswordLen and MaxPasswordLen bound passwords (bytes beyond the max
// would only make hashing a denial-of-service vector).
const (
	MinPasswordLen = 10
	MaxPasswordLen = 256
)

// NormalizeEmail trims and lower-cases an address.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func validateEmail(errs *apperr.List, email string) {
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || len(email) > 254 || !strings.Contains(email[strings.LastIndexByte(email, '@'):], ".") {
		errs.Add(apperr.Invalid, "email must be a valid address", "input", "email")
	}
}

func validatePassword(errs *apperr.List, pw string) {
	if n := utf8.RuneCountInString(pw); n < MinPasswordLen {
		errs.Add(apperr.Invalid, "password must be at least 10 characters", "input", "password")
	} else if len(pw) > MaxPasswordLen {
		errs.Add(apperr.Invalid, "password must be at most 256 bytes", "input", "password")
	}
}

func validatePersonName(errs *apperr.List, name, field string) {
	if err := text.Name.Named(field).Validate(name, "input", field); err != nil {
		*errs = append(*errs, err)
	}
}
