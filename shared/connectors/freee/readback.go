package freee

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
)

// dealRow is a deal as freee lists it (the fields renkei reads).
type dealRow struct {
	ID        int64        `json:"id"`
	RefNumber *string      `json:"ref_number"`
	Details   []detailRow  `json:"details"`
	Payments  []paymentRow `json:"payments"`
}

type detailRow struct {
	ID            int64  `json:"id"`
	AccountItemID int64  `json:"account_item_id"`
	TaxCode       int64  `json:"tax_code"`
	Amount        int64  `json:"amount"`
	Vat           int64  `json:"vat"`
	SectionID     *int64 `json:"section_id"`
}

type paymentRow struct {
	ID                 int64  `json:"id"`
	Date               string `json:"date"`
	FromWalletableType string `json:"from_walletable_type"`
	FromWalletableID   int64  `json:"from_walletable_id"`
	Amount             int64  `json:"amount"`
}

const (
	pageSize = 100
	// maxPages bounds the read-back: 10,000 income deals on one date.
	maxPages = 100
)

// find reads the company's income deals of the close's date and returns
// the one carrying the highest revision of the close's ref_number (nil
// when there is none).
func (c *Connector) find(ctx context.Context, s *session, d closeData) (*dealRow, int, error) {
	prefix := refPrefix(d.LocationID, d.BusinessDate)
	var best *dealRow
	bestRev := 0
	for page := 0; page < maxPages; page++ {
		q := url.Values{"company_id": {strconv.FormatInt(s.company, 10)}, "type": {"income"},
			"start_issue_date": {d.BusinessDate}, "end_issue_date": {d.BusinessDate},
			"offset": {strconv.Itoa(page * pageSize)}, "limit": {strconv.Itoa(pageSize)}}
		var res struct {
			Deals []dealRow `json:"deals"`
			Meta  struct {
				TotalCount int `json:"total_count"`
			} `json:"meta"`
		}
		if err := s.call(ctx, http.MethodGet, "/api/1/deals", q, nil, &res); err != nil {
			return nil, 0, err
		}
		for i := range res.Deals {
			if res.Deals[i].RefNumber == nil {
				continue
			}
			if rev, ok := refRevision(*res.Deals[i].RefNumber, prefix); ok && rev > bestRev {
				best, bestRev = &res.Deals[i], rev
			}
		}
		if len(res.Deals) < pageSize || (page+1)*pageSize >= res.Meta.TotalCount {
			return best, bestRev, nil
		}
	}
	return nil, 0, fmt.Errorf("freee lists more than %d income deals on %s: renkei cannot tell whether the close was posted", maxPages*pageSize, d.BusinessDate)
}

// Wire shapes of the deal requests (dealCreateParams, dealUpdateParams,
// paymentParams).
type detailParams struct {
	ID            int64 `json:"id,omitempty"` // update only: keeps freee's detail
	TaxCode       int64 `json:"tax_code"`
	AccountItemID int64 `json:"account_item_id"`
	Amount        int64 `json:"amount"`
	Vat           int64 `json:"vat"`
	SectionID     int64 `json:"section_id,omitempty"`
}

type paymentParams struct {
	CompanyID          int64  `json:"company_id,omitempty"` // the payment endpoints only
	Amount             int64  `json:"amount"`
	FromWalletableID   int64  `json:"from_walletable_id"`
	FromWalletableType string `json:"from_walletable_type"`
	Date               string `json:"date"`
}

type dealParams struct {
	CompanyID int64           `json:"company_id"`
	IssueDate string          `json:"issue_date"`
	Type      string          `json:"type"`
	RefNumber string          `json:"ref_number"`
	Details   []detailParams  `json:"details"`
	Payments  []paymentParams `json:"payments,omitempty"` // create only
}

func dealBody(company int64, st settings, w wantDeal) dealParams {
	p := dealParams{CompanyID: company, IssueDate: w.IssueDate, Type: "income", RefNumber: w.RefNumber}
	for _, x := range w.Details {
		p.Details = append(p.Details, detailParams{TaxCode: x.TaxCode, AccountItemID: x.account(st),
			Amount: x.Amount, Vat: x.Vat, SectionID: x.SectionID})
	}
	for _, x := range w.Payments {
		p.Payments = append(p.Payments, x.params(0, w.IssueDate))
	}
	return p
}

func (p wantPayment) params(company int64, date string) paymentParams {
	return paymentParams{CompanyID: company, Amount: p.Amount, FromWalletableID: p.Walletable.ID, FromWalletableType: p.Walletable.Type, Date: date}
}

// holds reports whether the deal already carries want's figures (the same
// revision posted, or a correction that finished).
func (r *dealRow) holds(st settings, w wantDeal) bool {
	if len(r.Details) != len(w.Details) || len(r.Payments) != len(w.Payments) {
		return false
	}
	for _, x := range w.Details {
		if !slices.ContainsFunc(r.Details, func(y detailRow) bool {
			return y.TaxCode == x.TaxCode && y.Amount == x.Amount && y.Vat == x.Vat &&
				y.AccountItemID == x.account(st) && sectionOf(y) == x.SectionID
		}) {
			return false
		}
	}
	for _, x := range w.Payments {
		if !slices.ContainsFunc(r.Payments, func(y paymentRow) bool {
			return y.Amount == x.Amount && y.Date == w.IssueDate && y.FromWalletableID == x.Walletable.ID && y.FromWalletableType == x.Walletable.Type
		}) {
			return false
		}
	}
	return true
}

// account is the detail's freee account item.
func (x wantDetail) account(st settings) int64 {
	if x.AccountItemID != 0 {
		return x.AccountItemID
	}
	return st.AccountMapping.SalesAccountItemID
}

func sectionOf(d detailRow) int64 {
	if d.SectionID == nil {
		return 0
	}
	return *d.SectionID
}

// correct writes want over an older revision's deal. Payments are not part
// of a deal update; they have their own calls, ordered so the deal never
// shows more paid than its amount: payments shrink or go first, then the
// deal's details and ref_number, then payments grow or are added. A
// correction cut short is finished by the next attempt (the deal then
// holds this revision's ref_number but not its figures).
func (c *Connector) correct(ctx context.Context, s *session, st settings, r *dealRow, w wantDeal) error {
	dealPath := "/api/1/deals/" + strconv.FormatInt(r.ID, 10)
	company := url.Values{"company_id": {strconv.FormatInt(s.company, 10)}}
	used := make([]bool, len(r.Payments))
	type change struct {
		id   int64
		want wantPayment
	}
	var grow []change
	for _, x := range w.Payments {
		i := nextPayment(r.Payments, used, x.Walletable)
		if i < 0 {
			grow = append(grow, change{want: x})
			continue
		}
		used[i] = true
		y := r.Payments[i]
		switch {
		case y.Amount > x.Amount:
			if err := s.call(ctx, http.MethodPut, dealPath+"/payments/"+strconv.FormatInt(y.ID, 10), nil, x.params(s.company, w.IssueDate), nil); err != nil {
				return err
			}
		case y.Amount < x.Amount || y.Date != w.IssueDate:
			grow = append(grow, change{id: y.ID, want: x})
		}
	}
	for i, y := range r.Payments {
		if !used[i] {
			if err := s.call(ctx, http.MethodDelete, dealPath+"/payments/"+strconv.FormatInt(y.ID, 10), company, nil, nil); err != nil {
				return err
			}
		}
	}

	upd := dealBody(s.company, st, w)
	upd.Payments = nil
	taken := make([]bool, len(r.Details))
	for i := range upd.Details {
		for j, y := range r.Details {
			if !taken[j] && y.TaxCode == upd.Details[i].TaxCode && y.AccountItemID == upd.Details[i].AccountItemID {
				upd.Details[i].ID, taken[j] = y.ID, true
				break
			}
		}
	}
	if err := s.call(ctx, http.MethodPut, dealPath, nil, upd, nil); err != nil {
		return err
	}

	for _, g := range grow {
		var err error
		if g.id == 0 {
			err = s.call(ctx, http.MethodPost, dealPath+"/payments", nil, g.want.params(s.company, w.IssueDate), nil)
		} else {
			err = s.call(ctx, http.MethodPut, dealPath+"/payments/"+strconv.FormatInt(g.id, 10), nil, g.want.params(s.company, w.IssueDate), nil)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// nextPayment is the first payment from w not used yet (-1: none).
func nextPayment(ps []paymentRow, used []bool, w walletable) int {
	for i, y := range ps {
		if !used[i] && y.FromWalletableID == w.ID && y.FromWalletableType == w.Type {
			return i
		}
	}
	return -1
}
