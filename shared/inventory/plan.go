package inventory

import (
	"cmp"
	"fmt"
	"strconv"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/idempotency"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// Operation names of the idempotent writes (they scope idempotency keys).
const (
	OpAdjust   = "adjustInventory"
	OpTransfer = "transferInventory"
)

// Variant is what the ledger needs to know about a catalog variant.
type Variant struct {
	ID         string
	SKU        string
	TrackStock bool
}

// Lookup lists what one read depends on; a Store reads it in one round trip.
type Lookup struct {
	Idempotency idempotency.Request // zero for plain reads
	LocationIDs []string
	VariantIDs  []string
	Levels      []LevelKey
}

// Snapshot is the state a change is decided on.
type Snapshot struct {
	// Replayed is set when the idempotency key was already used for this very
	// request; Replay then holds its stored result and nothing else is read.
	Replayed bool
	Replay   []StockLevel
	// Locations and Variants hold those of the asked ids that exist in the
	// tenant; Levels the asked levels that were ever written.
	Locations          map[string]tenant.Location
	Variants           map[string]Variant
	Levels             map[LevelKey]StockLevel
	AllowNegativeStock bool
}

// Level returns a level, or the zero level (on-hand 0, version 0) when it was
// never written.
func (s Snapshot) Level(k LevelKey) StockLevel {
	if l, ok := s.Levels[k]; ok {
		return l
	}
	return StockLevel{LocationID: k.LocationID, VariantID: k.VariantID}
}

// Update is one level's new state within a write. Level.Version is the read
// version + 1: the store writes it only if the level still has the read one.
// Adjustments, transfers and counts change levels this way: their answer is
// the exact resulting level.
type Update struct {
	Level  StockLevel
	Delta  int64
	Reason Reason
}

// ReadVersion is the version the update was computed from (0: never written).
func (u Update) ReadVersion() int64 { return u.Level.Version - 1 }

// Take is a commutative decrement of one level, the way a sale takes stock:
// the store subtracts Quantity from whatever the level holds when the write
// lands, whatever its version, and refuses it (and the write it is part of)
// only when that would take the level below zero and AllowNegative is false.
// Two takes of one level never invalidate each other, so concurrent sales of
// one item all commit while stock lasts. The writer does not learn the
// resulting level: every write of a level also records what changed
// (reason, delta, reference, time) on the level itself with its new version,
// and inventory.changed is derived from the level's successive states.
type Take struct {
	LocationID    string
	VariantID     string
	Quantity      int64 // > 0
	AllowNegative bool
	Reason        Reason
	Reference     string // what took the stock: an order id
	At            time.Time
}

// Write is one stock change: the updates (each leaving its ledger entry on
// its level, from which inventory.changed is derived) and the idempotency
// record holding the resulting levels, in one transaction.
type Write struct {
	Idempotency idempotency.Request
	Updates     []Update
	At          time.Time
}

// Levels returns the levels the write results in, in update order.
func (w Write) Levels() []StockLevel {
	out := make([]StockLevel, len(w.Updates))
	for i, u := range w.Updates {
		out[i] = u.Level
	}
	return out
}

// Lookup is what an adjustment reads: its record, location, variants and levels.
func (in AdjustInput) Lookup() Lookup {
	q := Lookup{Idempotency: in.Request()}
	q.LocationIDs = plausible(in.LocationID)
	for _, c := range in.Changes {
		if !plausibleID(c.VariantID) {
			continue
		}
		q.VariantIDs = append(q.VariantIDs, c.VariantID)
		for _, loc := range q.LocationIDs {
			q.Levels = append(q.Levels, LevelKey{loc, c.VariantID})
		}
	}
	return q
}

// Lookup is what a transfer reads: its record, both locations, the variants
// and the levels on both sides.
func (in TransferInput) Lookup() Lookup {
	q := Lookup{Idempotency: in.Request()}
	q.LocationIDs = plausible(in.FromLocationID, in.ToLocationID)
	for _, l := range in.Lines {
		if !plausibleID(l.VariantID) {
			continue
		}
		q.VariantIDs = append(q.VariantIDs, l.VariantID)
		for _, loc := range q.LocationIDs {
			q.Levels = append(q.Levels, LevelKey{loc, l.VariantID})
		}
	}
	return q
}

func plausible(ids ...string) []string {
	var out []string
	for _, id := range ids {
		if plausibleID(id) {
			out = append(out, id)
		}
	}
	return out
}

// Request is the adjustment as an idempotent request: its key, and the
// hash of everything else under the field names written here.
func (in AdjustInput) Request() idempotency.Request {
	changes := make([]idempotency.Fields, len(in.Changes))
	for i, c := range in.Changes {
		f := idempotency.Fields{"variantId": c.VariantID, "reason": string(c.Reason), "delta": nil, "setTo": nil}
		if c.Delta != nil {
			f["delta"] = *c.Delta
		}
		if c.SetTo != nil {
			f["setTo"] = *c.SetTo
		}
		changes[i] = f
	}
	return idempotency.New(OpAdjust, in.IdempotencyKey, idempotency.Fields{"locationId": in.LocationID, "changes": changes})
}

// Request is the transfer as an idempotent request.
func (in TransferInput) Request() idempotency.Request {
	lines := make([]idempotency.Fields, len(in.Lines))
	for i, l := range in.Lines {
		lines[i] = idempotency.Fields{"variantId": l.VariantID, "quantity": l.Quantity}
	}
	return idempotency.New(OpTransfer, in.IdempotencyKey, idempotency.Fields{"fromLocationId": in.FromLocationID, "toLocationId": in.ToLocationID, "lines": lines})
}

// PlanAdjust decides an adjustment against a snapshot: the location and
// every variant must exist in the tenant and track stock, and no change may
// take a level below zero unless the tenant allows negative stock.
func PlanAdjust(in AdjustInput, snap Snapshot, at time.Time) (Write, error) {
	var errs apperr.List
	if _, ok := snap.Locations[in.LocationID]; !ok {
		errs.Add(apperr.NotFound, "location not found", "input", "locationId")
	}
	for i, c := range in.Changes {
		checkVariant(&errs, snap, c.VariantID, "input", "changes", strconv.Itoa(i), "variantId")
	}
	if err := errs.Err(); err != nil {
		return Write{}, err
	}
	w := Write{Idempotency: in.Lookup().Idempotency, At: at}
	var short shortfall
	for i, c := range in.Changes {
		cur := snap.Level(LevelKey{in.LocationID, c.VariantID})
		next := cur.OnHand
		if c.SetTo != nil {
			next = *c.SetTo
		} else {
			next += *c.Delta
		}
		if err := checkRange(next, "input", "changes", strconv.Itoa(i)); err != nil {
			errs = append(errs, err)
			continue
		}
		short.check(snap, cur, next, "this location", "input", "changes", strconv.Itoa(i), "delta")
		w.Updates = append(w.Updates, update(cur, next, c.Reason, at))
	}
	if err := errs.Err(); err != nil {
		return Write{}, err
	}
	if err := short.Err(); err != nil {
		return Write{}, err
	}
	return w, nil
}

// PlanTransfer decides a transfer: both locations and every variant must
// exist and track stock, and the source may not go below zero unless the
// tenant allows negative stock. Updates are the source levels in line order,
// then the destination levels.
func PlanTransfer(in TransferInput, snap Snapshot, at time.Time) (Write, error) {
	var errs apperr.List
	if _, ok := snap.Locations[in.FromLocationID]; !ok {
		errs.Add(apperr.NotFound, "location not found", "input", "fromLocationId")
	}
	if _, ok := snap.Locations[in.ToLocationID]; !ok {
		errs.Add(apperr.NotFound, "location not found", "input", "toLocationId")
	}
	for i, l := range in.Lines {
		checkVariant(&errs, snap, l.VariantID, "input", "lines", strconv.Itoa(i), "variantId")
	}
	if err := errs.Err(); err != nil {
		return Write{}, err
	}
	w := Write{Idempotency: in.Lookup().Idempotency, At: at}
	var short shortfall
	arrivals := make([]Update, 0, len(in.Lines))
	for i, l := range in.Lines {
		line := []string{"input", "lines", strconv.Itoa(i)}
		from := snap.Level(LevelKey{in.FromLocationID, l.VariantID})
		to := snap.Level(LevelKey{in.ToLocationID, l.VariantID})
		left, arrived := from.OnHand-l.Quantity, to.OnHand+l.Quantity
		if err := cmp.Or(checkRange(left, line...), checkRange(arrived, line...)); err != nil {
			errs = append(errs, err)
			continue
		}
		short.check(snap, from, left, "the source location", append(line, "quantity")...)
		w.Updates = append(w.Updates, update(from, left, ReasonTransferOut, at))
		arrivals = append(arrivals, update(to, arrived, ReasonTransferIn, at))
	}
	if err := errs.Err(); err != nil {
		return Write{}, err
	}
	if err := short.Err(); err != nil {
		return Write{}, err
	}
	w.Updates = append(w.Updates, arrivals...)
	return w, nil
}

func checkVariant(errs *apperr.List, snap Snapshot, id string, field ...string) {
	v, ok := snap.Variants[id]
	switch {
	case !ok:
		errs.Add(apperr.NotFound, "variant not found", field...)
	case !v.TrackStock:
		errs.Add(apperr.Invalid, fmt.Sprintf("variant %s does not track stock", v.SKU), field...)
	}
}

func checkRange(next int64, field ...string) *apperr.Error {
	if next > MaxOnHand || next < -MaxOnHand {
		return apperr.Newf(apperr.Invalid, field, "the resulting on-hand must be between %d and %d", -MaxOnHand, MaxOnHand)
	}
	return nil
}

func update(cur StockLevel, next int64, r Reason, at time.Time) Update {
	return Update{
		Level:  StockLevel{LocationID: cur.LocationID, VariantID: cur.VariantID, OnHand: next, Version: cur.Version + 1, UpdatedAt: at},
		Delta:  next - cur.OnHand,
		Reason: r,
	}
}

// shortfall collects one OUT_OF_STOCK per change that would take a level
// below zero, naming its SKU. Only a decrease is refused: a level already
// negative (offline sales) may always be raised, even if it stays negative.
type shortfall struct{ apperr.List }

func (s *shortfall) check(snap Snapshot, cur StockLevel, next int64, where string, field ...string) {
	if next < 0 && next < cur.OnHand && !snap.AllowNegativeStock {
		s.List = append(s.List, apperr.Newf(apperr.OutOfStock, field, "not enough stock of SKU %s at %s (on hand %d)", snap.Variants[cur.VariantID].SKU, where, cur.OnHand))
	}
}
