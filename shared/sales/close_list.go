package sales

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/identity"
)

// Bounds of a close listing (ListCloses).
const (
	// MaxCloseRangeDays is the most business dates one listing spans.
	MaxCloseRangeDays = 92
	// MaxCloseList is the most close revisions one listing returns; a
	// range holding more is INVALID (narrow it, or name a location).
	MaxCloseList = 400
	// MaxCloseListLocations is the most locations a listing without a
	// location reads (one Query each); a caller who may see more names one.
	MaxCloseListLocations = 50
)

// CloseLister reads closes for listings. Every method acts on the tenant
// in ctx.
type CloseLister interface {
	// CloseLocationIDs returns the ids of the tenant's locations.
	CloseLocationIDs(ctx context.Context) ([]string, error)
	// CloseRevisions returns every revision of every close (the location's and
	// its registers') of the location whose business date is in [from, to]
	// (YYYY-MM-DD), at most limit of them, in no particular order.
	CloseRevisions(ctx context.Context, locationID, from, to string, limit int) ([]RegisterClose, error)
}

// CloseListInput asks for the closes of business dates from..to
// (YYYY-MM-DD, both included), of one location or (LocationID "") of every
// location the caller may see.
type CloseListInput struct {
	From, To   string
	LocationID string
}

// ListCloses lists close revisions — every revision of every close, the
// locations' and the registers' — whose business date is in the range,
// newest first: by business date, then closing time, descending (ReadReports:
// MANAGER, OWNER, REPORTS_READ keys). A location that is not the tenant's,
// or not one the caller may use, is NOT_FOUND.
func (s *Service) ListCloses(ctx context.Context, in CloseListInput) ([]RegisterClose, error) {
	p, err := identity.Require(ctx, identity.ReadReports)
	if err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	notFound := apperr.New(apperr.NotFound, "location not found", "locationId")
	if in.LocationID != "" && (len(in.LocationID) > maxIDLen || !p.CanUseLocation(in.LocationID)) {
		return nil, notFound
	}
	all, err := s.Closes.CloseLocationIDs(ctx)
	if err != nil {
		return nil, err
	}
	var locs []string
	for _, id := range all {
		if (in.LocationID == "" || id == in.LocationID) && p.CanUseLocation(id) {
			locs = append(locs, id)
		}
	}
	switch {
	case in.LocationID != "" && len(locs) == 0:
		return nil, notFound
	case len(locs) > MaxCloseListLocations:
		return nil, apperr.Newf(apperr.Invalid, []string{"locationId"},
			"a listing without locationId covers at most %d locations and you may see %d; ask per location", MaxCloseListLocations, len(locs))
	}
	var out []RegisterClose
	for _, loc := range locs {
		cs, err := s.Closes.CloseRevisions(ctx, loc, in.From, in.To, MaxCloseList+1-len(out))
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
		if len(out) > MaxCloseList {
			return nil, apperr.Newf(apperr.Invalid, []string{"from"},
				"the range holds more than %d closes; narrow it or give locationId", MaxCloseList)
		}
	}
	slices.SortFunc(out, func(a, b RegisterClose) int {
		return cmp.Or(cmp.Compare(b.BusinessDate, a.BusinessDate), b.ClosedAt.Compare(a.ClosedAt), cmp.Compare(b.ID, a.ID))
	})
	if out == nil {
		out = []RegisterClose{}
	}
	return out, nil
}

func (in CloseListInput) validate() error {
	var errs apperr.List
	from, ferr := time.Parse(time.DateOnly, in.From)
	if ferr != nil || len(in.From) != len(time.DateOnly) {
		errs.Add(apperr.Invalid, "from must be a date YYYY-MM-DD", "from")
	}
	to, terr := time.Parse(time.DateOnly, in.To)
	if terr != nil || len(in.To) != len(time.DateOnly) {
		errs.Add(apperr.Invalid, "to must be a date YYYY-MM-DD", "to")
	}
	if len(errs) == 0 {
		switch days := int(to.Sub(from).Hours()/24) + 1; {
		case days < 1:
			errs.Add(apperr.Invalid, "to must not be before from", "to")
		case days > MaxCloseRangeDays:
			errs.Add(apperr.Invalid, "a listing spans at most 92 business dates", "to")
		}
	}
	return errs.Err()
}
