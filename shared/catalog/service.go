package catalog

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// Store persists the catalog of the tenant in ctx.
type Store interface {
	// CreateItem writes a new item and its variants; TAKEN (on the
	// variant's VariantField) when a SKU or barcode is in use.
	CreateItem(ctx context.Context, it Item) error
	// UpdateItem reads the item, applies update to it and writes the result
	// with its variants, atomically and only if nobody changed the item in
	// between (it retries a few times, then CONFLICT). ErrItemNotFound when
	// the item does not exist; TAKEN as for CreateItem; update's error as is.
	UpdateItem(ctx context.Context, id string, update func(current Item) (Item, error)) (Item, error)
	// ListItems returns up to first items in name order after the cursor
	// after ("" for the start), matching query ("" for all), and the cursor
	// of the next page ("" when there is none). A malformed cursor is INVALID
	// on ["after"].
	ListItems(ctx context.Context, query string, first int, after string) ([]Item, string, error)
	// VariantByBarcode finds the variant with a barcode (GTIN14-equal);
	// NOT_FOUND if none.
	VariantByBarcode(ctx context.Context, barcode string) (Variant, error)
	// GetItems and GetVariants read by id; missing ids are absent.
	GetItems(ctx context.Context, ids []string) ([]Item, error)
	GetVariants(ctx context.Context, ids []string) ([]Variant, error)
}

// TenantReader reads the tenant in ctx (for its currency).
type TenantReader interface {
	GetTenant(ctx context.Context) (tenant.Tenant, error)
}

// ErrItemNotFound is an upsert's answer for an item id that does not exist
// in the tenant (another tenant's id looks the same).
var ErrItemNotFound = apperr.New(apperr.NotFound, "no item with this id", "input", "id")

// Service is the catalog use cases. Every method checks the caller's
// permission (catalog:read or catalog:write) before it touches the store.
type Service struct {
	Store   Store
	Tenants TenantReader
	Now     func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

// Upsert validates the input and creates or updates the item in one write.
func (s *Service) Upsert(ctx context.Context, in UpsertInput) (Item, error) {
	if _, err := identity.Require(ctx, identity.WriteCatalog); err != nil {
		return Item{}, err
	}
	t, err := s.Tenants.GetTenant(ctx)
	if err != nil {
		return Item{}, err
	}
	norm, err := in.normalize(t.Currency)
	if err != nil {
		return Item{}, err
	}
	now := s.now()
	if norm.ID == "" {
		it, err := norm.apply(Item{ID: ids.NewAt(ItemIDPrefix, now), CreatedAt: now}, now)
		if err != nil {
			return Item{}, err
		}
		if err := s.Store.CreateItem(ctx, it); err != nil {
			return Item{}, err
		}
		return it, nil
	}
	if !ids.Valid(ItemIDPrefix, norm.ID) {
		return Item{}, ErrItemNotFound
	}
	return s.Store.UpdateItem(ctx, norm.ID, func(current Item) (Item, error) { return norm.apply(current, now) })
}

// List returns a page of items in name order (case-insensitive), filtered
// by query when set: a prefix of the name, SKU or barcode. next is the
// cursor of the following page, "" when there is none.
func (s *Service) List(ctx context.Context, query string, first int, after string) (items []Item, next string, err error) {
	if _, err := identity.Require(ctx, identity.ReadCatalog); err != nil {
		return nil, "", err
	}
	if first < 1 || first > MaxPageSize {
		return nil, "", apperr.Newf(apperr.Invalid, []string{"first"}, "first must be between 1 and %d", MaxPageSize)
	}
	query = strings.TrimSpace(query)
	if utf8.RuneCountInString(query) > MaxQueryLen || !utf8.ValidString(query) {
		return nil, "", apperr.Newf(apperr.Invalid, []string{"query"}, "query must be at most %d characters", MaxQueryLen)
	}
	return s.Store.ListItems(ctx, query, first, after)
}

// ByBarcode returns the variant with a barcode; NOT_FOUND if none.
func (s *Service) ByBarcode(ctx context.Context, barcode string) (Variant, error) {
	if _, err := identity.Require(ctx, identity.ReadCatalog); err != nil {
		return Variant{}, err
	}
	barcode = strings.TrimSpace(barcode)
	if !ValidBarcode(barcode) {
		return Variant{}, apperr.New(apperr.NotFound, "no variant has this barcode")
	}
	return s.Store.VariantByBarcode(ctx, barcode)
}

// GetItems reads items by id, in the order asked, once each; ids that do
// not exist in the tenant are absent.
func (s *Service) GetItems(ctx context.Context, ids []string) ([]Item, error) {
	if _, err := identity.Require(ctx, identity.ReadCatalog); err != nil {
		return nil, err
	}
	want := wellFormed(ItemIDPrefix, ids)
	if len(want) == 0 {
		return []Item{}, nil
	}
	got, err := s.Store.GetItems(ctx, want)
	if err != nil {
		return nil, err
	}
	return inOrder(want, got, func(it Item) string { return it.ID }), nil
}

// GetVariants reads variants by id, in the order asked, once each; ids
// that do not exist in the tenant are absent.
func (s *Service) GetVariants(ctx context.Context, ids []string) ([]Variant, error) {
	if _, err := identity.Require(ctx, identity.ReadCatalog); err != nil {
		return nil, err
	}
	want := wellFormed(VariantIDPrefix, ids)
	if len(want) == 0 {
		return []Variant{}, nil
	}
	got, err := s.Store.GetVariants(ctx, want)
	if err != nil {
		return nil, err
	}
	return inOrder(want, got, func(v Variant) string { return v.ID }), nil
}

// wellFormed drops duplicates and ids that cannot exist, so no junk ever
// becomes a storage key.
func wellFormed(prefix string, in []string) []string {
	seen := make(map[string]bool, len(in))
	out := make([]string, 0, len(in))
	for _, id := range in {
		if !seen[id] && ids.Valid(prefix, id) {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func inOrder[T any](want []string, got []T, id func(T) string) []T {
	by := make(map[string]T, len(got))
	for _, g := range got {
		by[id(g)] = g
	}
	out := make([]T, 0, len(got))
	for _, w := range want {
		if g, ok := by[w]; ok {
			out = append(out, g)
		}
	}
	return out
}
