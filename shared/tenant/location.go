package tenant

import (
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/text"
)

// MaxLocations bounds how many locations one tenant may have; lists of
// locations are returned whole.
const MaxLocations = 500

// Location is a store or other place where a tenant sells and keeps stock.
type Location struct {
	ID        string
	Number    int // 1, 2, 3… in creation order within the tenant; prefixes order numbers
	Name      string
	Timezone  string // business dates are in this zone
	CreatedAt time.Time
	// RegisterCount is how many registers the location has: they are
	// numbered 1…RegisterCount, so their ids are known from it. 0 for a
	// location created before registers existed, until one is created.
	RegisterCount int
	// TerminalLocationID is the location's card-reader location at the
	// processor (Stripe Terminal), "" until a reader first needs one.
	TerminalLocationID string
}

// NewLocation validates and builds a location; the timezone defaults to the tenant's.
func NewLocation(id, name, timezone string, t Tenant, now time.Time) (Location, error) {
	var errs apperr.List
	name = text.Name.Check(&errs, name, "input", "name")
	if timezone == "" {
		timezone = t.Timezone
	}
	if !ValidTimezone(timezone) {
		errs.Add(apperr.Invalid, "timezone must be an IANA time zone such as Asia/Tokyo", "input", "timezone")
	}
	if err := errs.Err(); err != nil {
		return Location{}, err
	}
	return Location{ID: id, Name: name, Timezone: timezone, CreatedAt: now, RegisterCount: 1}, nil
}

// RegisterIDs are the ids of the location's registers, by number: its POS
// registers 1…RegisterCount, then its integration register (absent from a
// read until written, for a location created before it).
func (l Location) RegisterIDs() []string {
	pos := max(0, min(l.RegisterCount, MaxPOSRegisters))
	out := make([]string, pos, pos+1)
	for i := range out {
		out[i] = RegisterID(l.ID, i+1)
	}
	return append(out, IntegrationRegisterID(l.ID))
}
