package sales

import (
	"context"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/text"
)

// CustomerIDPrefix starts every customer id (see package ids).
const CustomerIDPrefix = "cus"

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

// CreateCustomer adds a customer.
func (s *Service) CreateCustomer(ctx context.Context, name, email, phone string) (Customer, error) {
	if _, err := identity.Require(ctx, identity.WriteCustomers); err != nil {
		return Customer{}, err
	}
	now := s.Now().UTC()
	c, err := NewCustomer(ids.NewAt(CustomerIDPrefix, now), name, email, phone, now)
	if err != nil {
		return Customer{}, err
	}
	if err := s.Store.CreateCustomer(ctx, c); err != nil {
		return Customer{}, fmt.Errorf("create customer: %w", err)
	}
	return c, nil
}

// Customers lists customers by name, optionally by name prefix.
func (s *Service) Customers(ctx context.Context, query string, first int, after string) ([]Customer, string, error) {
	if _, err := identity.Require(ctx, identity.ReadCustomers); err != nil {
		return nil, "", err
	}
	if len(query) > 200 {
		return nil, "", apperr.New(apperr.Invalid, "query is too long", "query")
	}
	return s.Store.ListCustomers(ctx, query, first, after)
}

// GetCustomers reads customers by id (customers:read), in the order asked,
// once each; ids that are not the tenant's customers are absent.
func (s *Service) GetCustomers(ctx context.Context, customerIDs []string) ([]Customer, error) {
	if _, err := identity.Require(ctx, identity.ReadCustomers); err != nil {
		return nil, err
	}
	want := make([]string, 0, len(customerIDs))
	for _, id := range customerIDs {
		if ids.Valid(CustomerIDPrefix, id) && !slices.Contains(want, id) {
			want = append(want, id)
		}
	}
	if len(want) == 0 {
		return []Customer{}, nil
	}
	got, err := s.Store.GetCustomers(ctx, want)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]Customer, len(got))
	for _, c := range got {
		byID[c.ID] = c
	}
	out := make([]Customer, 0, len(got))
	for _, id := range want {
		if c, ok := byID[id]; ok {
			out = append(out, c)
		}
	}
	return out, nil
}
