package freee

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/renkei-pos/renkei/shared/integrations"
)

// Plan gives a whole-location close (register.closed without a registerId)
// one POST_DAILY_SALES job keyed "<locationId>|<businessDate>". A
// register's own close is a cash-drawer count: its sales are part of the
// location's close, so it is not posted. Closes before the settings'
// startDate are not posted either.
func (c *Connector) Plan(ev integrations.Event, in integrations.Integration) ([]integrations.JobSpec, error) {
	if ev.Type != integrations.EventRegisterClosed {
		return nil, nil
	}
	d, err := decodeClose(ev.Data)
	if err != nil {
		return nil, err
	}
	if d.RegisterID != "" {
		return nil, nil
	}
	var st struct {
		StartDate string `json:"startDate"`
	}
	if err := json.Unmarshal(in.Settings, &st); err != nil {
		return nil, fmt.Errorf("read freee settings: %w", err)
	}
	if st.StartDate != "" && d.BusinessDate < st.StartDate {
		return nil, nil
	}
	return []integrations.JobSpec{{Kind: integrations.KindPostDailySales, Key: d.jobKey(), Event: ev}}, nil
}

// maxRevision keeps ref_number within 20 characters.
const maxRevision = 9999

// Run posts one close as a deal, once: a revision already marked posted is
// skipped without a call; otherwise freee is read back for the deal of the
// location and date (by ref_number) and the close is posted (none there),
// skipped (the same or a newer revision there) or written over the older
// revision's deal (a correction).
func (c *Connector) Run(ctx context.Context, cfg integrations.Config, job integrations.Job) error {
	if job.Kind != integrations.KindPostDailySales {
		return integrations.Permanent(fmt.Errorf("the freee connector does not run %s jobs", job.Kind))
	}
	d, err := decodeClose(job.Event.Data)
	if err != nil {
		return integrations.Permanent(err)
	}
	if d.RegisterID != "" {
		return nil
	}
	if d.Revision > maxRevision {
		return integrations.Permanent(fmt.Errorf("revision %d of the close of %s is beyond what a freee ref_number can hold; post it by hand", d.Revision, d.BusinessDate))
	}
	st, err := parseStored(cfg.Integration.Settings, cfg.Local)
	if err != nil {
		return integrations.Permanent(fmt.Errorf("the integration's settings are not usable (connect it again): %w", err))
	}
	var tok secrets
	if err := json.Unmarshal(cfg.Secrets, &tok); err != nil || tok.AccessToken == "" || tok.RefreshToken == "" {
		return integrations.Permanent(errors.New("the integration has no freee token pair: connect it again"))
	}
	key := d.jobKey()
	if cfg.Marks != nil {
		mark, err := cfg.Marks.Get(ctx, cfg.Integration.ID, key)
		if err != nil {
			return err
		}
		if mark >= int64(d.Revision) {
			return nil
		}
	}
	want, err := buildDeal(d, st.AccountMapping)
	empty := errors.Is(err, errNothingToPost)
	if err != nil && !empty {
		return integrations.Permanent(err)
	}
	s := c.storedSession(st, st.CompanyID, tok, cfg.SaveSecrets)
	if err := c.post(ctx, s, st, d, want, empty); err != nil {
		return runError(err)
	}
	if cfg.Marks != nil {
		if _, err := cfg.Marks.Advance(ctx, cfg.Integration.ID, key, int64(d.Revision)); err != nil {
			return err // the next attempt finds the deal by reading back
		}
	}
	return nil
}

// post makes freee hold want for (location, date) unless it holds a newer
// revision.
func (c *Connector) post(ctx context.Context, s *session, st settings, d closeData, want wantDeal, empty bool) error {
	found, rev, err := c.find(ctx, s, d)
	if err != nil {
		return err
	}
	switch {
	case found == nil && empty:
		return nil
	case found == nil:
		return s.call(ctx, http.MethodPost, "/api/1/deals", nil, dealBody(s.company, st, want), nil)
	case rev > d.Revision:
		return nil // a newer revision was posted already
	case empty:
		return integrations.Permanent(fmt.Errorf("revision %d of the close of %s has no sales, but freee deal %d holds revision %d: remove that deal by hand",
			d.Revision, d.BusinessDate, found.ID, rev))
	case rev == d.Revision && found.holds(st, want):
		return nil
	}
	return c.correct(ctx, s, st, found, want)
}

// runError tells the worker what a failure means: rate limits wait as
// freee asked, a request freee refused is permanent, anything else (5xx,
// timeouts, a token refused after its refresh) is tried again.
func runError(err error) error {
	var ae *apiError
	if !errors.As(err, &ae) {
		return err
	}
	switch {
	case ae.RateLimited:
		return integrations.RetryAfter(err, ae.RetryAfter)
	case ae.token, ae.Status == http.StatusUnauthorized, ae.Status == http.StatusNotFound, ae.Status == http.StatusConflict:
		return err
	case ae.Status/100 == 4:
		return integrations.Permanent(err)
	}
	return err
}
