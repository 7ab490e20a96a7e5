package sales

import (
	"net/mail"
	"strings"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/text"
)

// Customer is a buyer a tenant keeps on file.
type Customer struct {
	ID        string
	Name      string
	Email     string // "" when unknown
	Phone     string
	CreatedAt time.Time
}

// NewCustomer validates and builds a customer.
func NewCustomer(id, name, email, phone string, now time.Time) (Customer, error) {
	var errs apperr.List
	name = text.Name.Check(&errs, name, "input", "name")
	email = strings.ToLower(strings.TrimSpace(email))
	if email != "" {
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
			errs.Add(apperr.Invalid, "email must be a valid address", "input", "email")
		}
	}
	phone = strings.TrimSpace(phone)
	if phone != "" && !validPhone(phone) {
		errs.Add(apperr.Invalid, "phone must be 3 to 32 digits, spaces, +, - or parentheses", "input", "phone")
	}
	if err := errs.Err(); err != nil {
		return Customer{}, err
	}
	return Customer{ID: id, Name: name, Email: email, Phone: phone, CreatedAt: now}, nil
}

func validPhone(p string) bool {
	if len(p) < 3 || len(p) > 32 {
		return false
	}
	digits := 0
	for _, r := range p {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == ' ' || r == '+' || r == '-' || r == '(' || r == ')':
		default:
			return false
		}
	}
	return digits >= 3
}
