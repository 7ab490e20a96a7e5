package tenant

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/ids"
)

// MaxRegisters bounds the registers of one location: a register's number is
// two digits of the order number (LLL-RR-NNNNNN).
const MaxRegisters = 99

// IntegrationRegisterNumber is the number reserved for a location's
// integration register: the last one, which POS registers never take.
const IntegrationRegisterNumber = MaxRegisters

// MaxPOSRegisters bounds the POS registers of one location (1…98), which
// createRegister numbers in creation order.
const MaxPOSRegisters = IntegrationRegisterNumber - 1

// RegisterKind says who sells at a register.
type RegisterKind string

const (
	// RegisterPOS is a till: POS checkouts number their orders at it.
	RegisterPOS RegisterKind = "POS"
	// RegisterIntegration is a location's one register for orders that
	// arrive through an integration (EC): they take its numbers, so POS
	// registers keep their own sequences. POS checkout refuses it.
	RegisterIntegration RegisterKind = "INTEGRATION"
)

// IntegrationRegisterName names every location's integration register.
const IntegrationRegisterName = "EC"

// Register is a till (レジ) at a location. Each register numbers its own
// orders, so registers at one location never wait on each other.
type Register struct {
	ID         string
	LocationID string
	Number     int // POS: 1…MaxPOSRegisters in creation order; the integration register: IntegrationRegisterNumber
	Name       string
	Kind       RegisterKind
	// Active is false once the register is deactivated: it sells no more,
	// but its orders and numbers stay.
	Active    bool
	CreatedAt time.Time
}

// RegisterID is the id of a location's register number n. Register ids are
// derived, not random: the location a register belongs to, and the id of a
// location's first register, are known without a read, so checkout reads a
// register in the same batch as everything else.
func RegisterID(locationID string, n int) string {
	body, _ := strings.CutPrefix(locationID, ids.Location+"_")
	return fmt.Sprintf("reg_%s_%02d", body, n)
}

// IntegrationRegisterID is the id of a location's integration register,
// known without a read.
func IntegrationRegisterID(locationID string) string {
	return RegisterID(locationID, IntegrationRegisterNumber)
}

// ParseRegisterID returns the location and number a register id names;
// ok is false for anything that is not a well-formed register id.
func ParseRegisterID(id string) (locationID string, n int, ok bool) {
	rest, found := strings.CutPrefix(id, "reg_")
	if !found || len(rest) != ids.BodyLen+3 || rest[ids.BodyLen] != '_' {
		return "", 0, false
	}
	locationID = ids.Location + "_" + rest[:ids.BodyLen]
	digits := rest[ids.BodyLen+1:]
	if digits[0] < '0' || digits[0] > '9' || digits[1] < '0' || digits[1] > '9' {
		return "", 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 1 || n > MaxRegisters || !ids.Valid(ids.Location, locationID) {
		return "", 0, false
	}
	return locationID, n, true
}

// DefaultRegisterName names register n when nobody named it: the first
// register, which every location is created with, is "Register 1".
func DefaultRegisterName(n int) string { return fmt.Sprintf("Register %d", n) }

// NewRegister builds POS register number n of a location; name is already
// checked (text.Name). A location has at most MaxPOSRegisters: the next
// number is the integration register's.
func NewRegister(locationID string, n int, name string, now time.Time) (Register, error) {
	if n > MaxPOSRegisters {
		return Register{}, apperr.Newf(apperr.Invalid, []string{"input", "locationId"}, "a location has at most %d registers", MaxPOSRegisters)
	}
	return Register{ID: RegisterID(locationID, n), LocationID: locationID, Number: n, Name: name, Kind: RegisterPOS, Active: true, CreatedAt: now}, nil
}

// FirstRegister is the register a location is created with, so that
// clients that know nothing of registers sell at it.
func (l Location) FirstRegister() Register {
	return Register{ID: RegisterID(l.ID, 1), LocationID: l.ID, Number: 1, Name: DefaultRegisterName(1), Kind: RegisterPOS, Active: true, CreatedAt: l.CreatedAt}
}

// IntegrationRegister is the location's register for orders from
// integrations, written with the location (and, for a location created
// before it existed, on first need).
func (l Location) IntegrationRegister() Register {
	return Register{ID: IntegrationRegisterID(l.ID), LocationID: l.ID, Number: IntegrationRegisterNumber, Name: IntegrationRegisterName, Kind: RegisterIntegration, Active: true, CreatedAt: l.CreatedAt}
}
