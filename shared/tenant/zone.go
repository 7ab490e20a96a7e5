package tenant

import (
	"errors"
	"fmt"
	"sync"
	"time"
	// The zone database, embedded: a Lambda runtime may carry none, and a
	// zone accepted when a location is written must resolve when it sells.
	_ "time/tzdata"
)

// zones caches resolved time zones by IANA name. Only names that resolved
// are kept, so the cache is bounded by the zone database (about 600 names)
// whatever clients send.
var zones sync.Map

// LoadZone resolves an IANA time zone name, once per process. "Local" and
// "" are refused: they would mean the server's zone, not the merchant's.
func LoadZone(name string) (*time.Location, error) {
	if z, ok := zones.Load(name); ok {
		return z.(*time.Location), nil
	}
	if name == "" || name == "Local" || len(name) > 64 {
		return nil, errors.New("not an IANA time zone name")
	}
	z, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", name, err)
	}
	zones.Store(name, z)
	return z, nil
}

// ValidTimezone reports whether tz names an IANA zone.
func ValidTimezone(tz string) bool {
	_, err := LoadZone(tz)
	return err == nil
}

// Zone is the location's time zone, in which its business dates are
// counted. It is an error, never UTC, when the stored name does not resolve.
func (l Location) Zone() (*time.Location, error) { return LoadZone(l.Timezone) }
