package sales

import (
	"context"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/backoff"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// CloseRegister closes a register's drawer (or the whole location) for a
// business date. The same request again returns the close it made; a close
// of a date already closed with the same figures and counted cash returns
// that close; different ones (a recount, sales since) make the next
// revision.
func (s *Service) CloseRegister(ctx context.Context, in CloseInput) (RegisterClose, error) {
	p, err := identity.Require(ctx, identity.CloseRegister)
	if err != nil {
		return RegisterClose{}, err
	}
	if err := in.Validate(); err != nil {
		return RegisterClose{}, err
	}
	if !p.CanUseLocation(in.LocationID) {
		return RegisterClose{}, apperr.New(apperr.Forbidden, "you may not close registers at this location", "input", "locationId")
	}
	req := in.Request()
	scope, err := s.Closes.LoadCloseScope(ctx, in.LocationID, in.RegisterID, req)
	if err != nil {
		return RegisterClose{}, err
	}
	switch {
	case scope.ReplayErr != nil:
		return RegisterClose{}, scope.ReplayErr
	case scope.Replayed != nil:
		return *scope.Replayed, nil
	}
	if scope.Location == nil {
		return RegisterClose{}, apperr.New(apperr.NotFound, "location not found", "input", "locationId")
	}
	if in.RegisterID != "" && (scope.Register == nil || scope.Register.LocationID != in.LocationID) {
		return RegisterClose{}, apperr.New(apperr.NotFound, "register not found", "input", "registerId")
	}
	zone, err := scope.Location.Zone()
	if err != nil {
		return RegisterClose{}, apperr.Newf(apperr.Invalid, []string{"input", "locationId"}, "the location's time zone %q is not a known IANA zone", scope.Location.Timezone)
	}
	now := s.Now().UTC()
	if in.BusinessDate > now.In(zone).Format(time.DateOnly) {
		return RegisterClose{}, apperr.New(apperr.Invalid, "businessDate is in the future", "input", "businessDate")
	}
	k := CloseKey{LocationID: in.LocationID, RegisterID: in.RegisterID, BusinessDate: in.BusinessDate}
	var out RegisterClose
	wrote := false
	err = backoff.Contention.Retry(ctx, func(int) (bool, error) {
		c, latest, err := s.computeClose(ctx, k, zone, in.CountedCash.Amount, now)
		if err != nil {
			return false, err
		}
		c.Currency = scope.Tenant.Currency
		if latest != nil && sameFigures(*latest, c) {
			out = *latest
			return false, nil
		}
		stored, replayed, err := s.Closes.SaveClose(ctx, c, &req)
		out, wrote = stored, err == nil && !replayed
		return apperr.Is(err, apperr.Conflict), err
	})
	if err != nil || !wrote {
		return out, err
	}
	return s.settleClose(ctx, k, zone, out, now)
}

// settleClose reads the day again after a close was written and, while its
// figures moved, writes the next revision (with the newest revision's
// counted cash). A late sync that wrote its sales after the close read the
// day but looked for closes before it was written made no revision; this
// read comes after both, so the close ends counting them.
func (s *Service) settleClose(ctx context.Context, k CloseKey, zone *time.Location, c RegisterClose, now time.Time) (RegisterClose, error) {
	from, to, err := DayBounds(k.BusinessDate, zone)
	if err != nil {
		return RegisterClose{}, err
	}
	err = backoff.Contention.Retry(ctx, func(int) (bool, error) {
		latest, err := s.Closes.LatestCloses(ctx, k.LocationID, k.BusinessDate)
		if err != nil {
			return false, err
		}
		orders, refunds, err := s.Closes.DayActivity(ctx, k.LocationID, from, to)
		if err != nil {
			return false, err
		}
		for _, l := range latest {
			if l.Key() != k {
				continue
			}
			next, _, err := nextClose(k, latest, orders, refunds, l.CountedCash, now)
			if err != nil || sameFigures(l, next) {
				c = l
				return false, err
			}
			stored, _, err := s.Closes.SaveClose(ctx, next, nil)
			if err == nil {
				c = stored
			}
			return apperr.Is(err, apperr.Conflict), err
		}
		return false, nil
	})
	return c, err
}

// computeClose computes the next revision of a close (counted is the cash
// counted) and returns the latest one stored, nil when none.
func (s *Service) computeClose(ctx context.Context, k CloseKey, zone *time.Location, counted int64, now time.Time) (RegisterClose, *RegisterClose, error) {
	from, to, err := DayBounds(k.BusinessDate, zone)
	if err != nil {
		return RegisterClose{}, nil, err
	}
	latest, err := s.Closes.LatestCloses(ctx, k.LocationID, k.BusinessDate)
	if err != nil {
		return RegisterClose{}, nil, err
	}
	orders, refunds, err := s.Closes.DayActivity(ctx, k.LocationID, from, to)
	if err != nil {
		return RegisterClose{}, nil, err
	}
	c, prev, err := nextClose(k, latest, orders, refunds, counted, now)
	return c, prev, err
}

// nextClose is the next revision of k's close from the day's orders and
// refunds, and k's latest stored revision (nil when none).
func nextClose(k CloseKey, latest []RegisterClose, orders []Order, refunds []Refund, counted int64, now time.Time) (RegisterClose, *RegisterClose, error) {
	f, err := ComputeClose(orders, refunds, k.RegisterID)
	if err != nil {
		return RegisterClose{}, nil, err
	}
	c := RegisterClose{ID: ids.NewAt("cls", now), LocationID: k.LocationID, RegisterID: k.RegisterID, BusinessDate: k.BusinessDate,
		Revision: 1, CloseFigures: f, CountedCash: counted, Difference: counted - f.ExpectedCash, ClosedAt: now}
	var prev *RegisterClose
	for i := range latest {
		if latest[i].Key() == k {
			prev = &latest[i]
			c.Revision = prev.Revision + 1
			c.Currency = prev.Currency
		}
	}
	return c, prev, nil
}

// withOrders adds to a day's orders as read the ones just written there
// that the read does not list yet (an index trails the table by a moment).
func withOrders(day []Order, written []*Order, loc, date string) []Order {
	have := make(map[string]bool, len(day))
	for _, o := range day {
		have[o.ID] = true
	}
	for _, o := range written {
		if o != nil && o.LocationID == loc && o.BusinessDate == date && !have[o.ID] {
			day = append(day, *o)
		}
	}
	return day
}

// reviseCloses makes the next revision of every close of the dates the
// sync's orders fall on — each location's close and the close of the
// register that took them — whose figures they change. Revisions keep the
// counted cash of the one before (nobody counted again). DUPLICATE sales
// count too: a sync that failed after writing its sales but before their
// revisions is sent again, and the retry makes them.
func (sy *offlineSync) reviseCloses(ctx context.Context, locations map[string]tenant.Location) error {
	type day struct{ loc, date string }
	registers := map[day]map[string]bool{}
	var orders []*Order
	for i := range sy.results {
		if o := sy.results[i].Order; o != nil && sy.results[i].Status != OfflineRejected {
			orders = append(orders, o)
		}
	}
	for _, o := range orders {
		d := day{o.LocationID, o.BusinessDate}
		if registers[d] == nil {
			registers[d] = map[string]bool{"": true}
		}
		registers[d][o.RegisterID] = true
	}
	for d, regs := range registers {
		loc, ok := locations[d.loc]
		if !ok { // a replayed sale of a location since removed: no close to revise
			continue
		}
		zone, err := loc.Zone()
		if err != nil {
			return err
		}
		err = backoff.Contention.Retry(ctx, func(int) (bool, error) {
			latest, err := sy.s.Closes.LatestCloses(ctx, d.loc, d.date)
			if err != nil || len(latest) == 0 {
				return false, err
			}
			from, to, err := DayBounds(d.date, zone)
			if err != nil {
				return false, err
			}
			dayOrders, refunds, err := sy.s.Closes.DayActivity(ctx, d.loc, from, to)
			if err != nil {
				return false, err
			}
			sold := withOrders(dayOrders, orders, d.loc, d.date)
			for _, old := range latest {
				if !regs[old.RegisterID] {
					continue
				}
				c, _, err := nextClose(old.Key(), latest, sold, refunds, old.CountedCash, sy.now)
				if err != nil {
					return false, err
				}
				if sameFigures(old, c) {
					continue
				}
				if _, _, err := sy.s.Closes.SaveClose(ctx, c, nil); err != nil {
					return apperr.Is(err, apperr.Conflict), err
				}
			}
			return false, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
