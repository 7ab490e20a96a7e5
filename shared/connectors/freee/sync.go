package freee

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/integrations"
)

// Sync returns a POST_DAILY_SALES job for every whole-location close not
// yet posted: the newest revision of each (location, business date) from
// the settings' startDate (or 400 days back, whichever is later) to today,
// less those whose revision is marked posted. Each job carries the close
// as a register.closed event with an id derived from the close revision,
// so syncing twice asks for the same jobs.
func (c *Connector) Sync(ctx context.Context, cfg integrations.Config) ([]integrations.JobSpec, error) {
	if c.closes == nil {
		return nil, errors.New("the freee connector has no close store")
	}
	st, err := parseStored(cfg.Integration.Settings, cfg.Local)
	if err != nil {
		return nil, integrations.Permanent(fmt.Errorf("the integration's settings are not usable (connect it again): %w", err))
	}
	now := c.now().UTC()
	since := now.Add(-syncWindow).Format(time.DateOnly)
	if st.StartDate > since {
		since = st.StartDate
	}
	// Business dates are in each location's zone, up to a day ahead of UTC.
	until := now.AddDate(0, 0, 1).Format(time.DateOnly)
	closes, err := c.closes.LocationCloses(ctx, since, until)
	if err != nil {
		return nil, fmt.Errorf("list closes: %w", err)
	}
	var specs []integrations.JobSpec
	for _, cl := range closes {
		if cl.RegisterID != "" {
			continue
		}
		d := closeDataOf(cl)
		if cfg.Marks != nil {
			mark, err := cfg.Marks.Get(ctx, cfg.Integration.ID, d.jobKey())
			if err != nil {
				return nil, err
			}
			if mark >= int64(cl.Revision) {
				continue
			}
		}
		data, err := json.Marshal(d)
		if err != nil {
			return nil, fmt.Errorf("encode close %s: %w", cl.ID, err)
		}
		ev := integrations.Event{
			ID:   ids.Derive("evt", cl.ClosedAt, "freee.sync|"+cl.LocationID+"|"+cl.BusinessDate+"|"+strconv.Itoa(cl.Revision)),
			Type: integrations.EventRegisterClosed, CreatedAt: cl.ClosedAt, TenantID: cfg.Integration.TenantID, Data: data,
		}
		specs = append(specs, integrations.JobSpec{Kind: integrations.KindPostDailySales, Key: d.jobKey(), Event: ev})
	}
	return specs, nil
}
