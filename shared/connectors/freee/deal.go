package freee

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/sales"
)

// closeData is the data of a register.closed event (sales.CloseEvent, as
// delivered): the whole close revision.
type closeData sales.CloseEvent

type (
	closeTax   = sales.CloseEventTax
	closeTotal = sales.CloseEventTotal
)

// closeDataOf is the event data of a stored close (for Sync's jobs).
func closeDataOf(c sales.RegisterClose) closeData { return closeData(sales.NewCloseEvent(c)) }

func decodeClose(raw json.RawMessage) (closeData, error) {
	var d closeData
	if err := json.Unmarshal(raw, &d); err != nil {
		return d, fmt.Errorf("the close in the job could not be read: %w", err)
	}
	if !ids.Valid(ids.Location, d.LocationID) || !isDate(d.BusinessDate) || d.Revision < 1 {
		return d, errors.New("the close in the job has no location, business date or revision")
	}
	return d, nil
}

// jobKey is the job's Key and the mark's key: one per location and date.
func (d closeData) jobKey() string { return d.LocationID + "|" + d.BusinessDate }

// wantDeal is the deal a close posts, before freee's ids.
type wantDeal struct {
	IssueDate string
	RefNumber string
	Details   []wantDetail
	Payments  []wantPayment
}

type wantDetail struct {
	// AccountItemID is the detail's account: 0 for the mapped sales
	// account, else the gift card liability account (loads).
	AccountItemID int64
	TaxCode       int64
	Amount        int64 // tax included
	Vat           int64
	SectionID     int64
}

type wantPayment struct {
	Method     string
	Walletable walletable
	Amount     int64
}

// taxCodeOutOfScope is freee's tax code 対象外 (outside consumption tax),
// the code of a gift card load's liability detail.
const taxCodeOutOfScope = 2

// errNothingToPost is a close without sales to book.
var errNothingToPost = errors.New("nothing to post")

// buildDeal turns a close into the deal: one detail per tax rate with its
// tax-inclusive amount and the close's tax for the rate, one payment per
// method. The close's taxableAmount is in the tenant's price basis, which
// the close does not record; its payments tell: they add up to the
// taxable amounts when prices include tax, and to taxable + tax when they
// do not. A close where neither holds (the basis changed within the day)
// is refused rather than booked wrongly.
func buildDeal(d closeData, m mapping) (wantDeal, error) {
	if d.Currency != "JPY" {
		return wantDeal{}, fmt.Errorf("freee books yen; the close of %s is in %s", d.BusinessDate, d.Currency)
	}
	var taxable, vat, paid int64
	for _, t := range d.Taxes {
		taxable, vat = taxable+t.Taxable, vat+t.Tax
	}
	for _, p := range d.Payments {
		paid += p.Amount
	}
	// Gift card loads were paid for but are no sale: a liability detail of
	// their own, outside consumption tax.
	paid -= d.GiftCardLoads
	var inclusive bool
	switch {
	case paid == taxable:
		inclusive = true
	case paid == taxable+vat:
		inclusive = false
	default:
		return wantDeal{}, fmt.Errorf("the close of %s does not add up: payments %d, sales %d, tax %d (were prices switched between tax-inclusive and tax-exclusive during the day?); post this day by hand",
			d.BusinessDate, paid, taxable, vat)
	}
	w := wantDeal{IssueDate: d.BusinessDate, RefNumber: refNumber(d.LocationID, d.BusinessDate, d.Revision)}
	section := m.Sections[d.LocationID]
	for _, t := range d.Taxes {
		amount := t.Taxable
		if !inclusive {
			amount += t.Tax
		}
		if amount == 0 && t.Tax == 0 {
			continue
		}
		code, ok := m.TaxCodes[t.Category]
		if !ok {
			return wantDeal{}, fmt.Errorf("no freee tax code is mapped for %s", t.Category)
		}
		if amount < 0 {
			return wantDeal{}, fmt.Errorf("the close of %s has negative sales at %d%% (%d yen: more refunded than sold); freee income deals take no negative lines, post this day by hand",
				d.BusinessDate, t.RatePercent, amount)
		}
		w.Details = append(w.Details, wantDetail{TaxCode: code, Amount: amount, Vat: t.Tax, SectionID: section})
	}
	if d.GiftCardLoads != 0 {
		if m.GiftCardLiabilityAccountItemID == 0 {
			return wantDeal{}, fmt.Errorf("the close of %s has gift card loads (%d yen) but no freee liability account is mapped for them: set accountMapping.giftCardLiabilityAccountItemId", d.BusinessDate, d.GiftCardLoads)
		}
		if d.GiftCardLoads < 0 {
			return wantDeal{}, fmt.Errorf("the close of %s has more gift card loads given back than loaded (%d yen); freee income deals take no negative lines, post this day by hand", d.BusinessDate, d.GiftCardLoads)
		}
		w.Details = append(w.Details, wantDetail{AccountItemID: m.GiftCardLiabilityAccountItemID, TaxCode: taxCodeOutOfScope, Amount: d.GiftCardLoads, SectionID: section})
	}
	for _, p := range d.Payments {
		if p.Amount == 0 {
			continue
		}
		wt, ok := m.Walletables[p.Method]
		if !ok {
			return wantDeal{}, fmt.Errorf("no freee walletable is mapped for %s", p.Method)
		}
		if p.Amount < 0 {
			return wantDeal{}, fmt.Errorf("the close of %s has more refunded than taken by %s (%d yen); freee payment lines cannot be negative, post this day by hand",
				d.BusinessDate, p.Method, p.Amount)
		}
		w.Payments = append(w.Payments, wantPayment{Method: p.Method, Walletable: wt, Amount: p.Amount})
	}
	if len(w.Details) == 0 {
		return w, errNothingToPost
	}
	return w, nil
}

// refNumber is the deal's 管理番号: "RK<yymmdd>-<location>-<revision>",
// at most 20 characters (freee's limit for 管理番号): the location is the
// first 30 bits of SHA-256 of its id in base 32 (6 characters), the
// revision at most 4 digits.
func refNumber(locationID, date string, revision int) string {
	return refPrefix(locationID, date) + strconv.Itoa(revision)
}

// refPrefix is what every revision's ref_number of (location, date)
// starts with.
func refPrefix(locationID, date string) string {
	sum := sha256.Sum256([]byte(locationID))
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	var loc [6]byte
	bits := uint64(sum[0])<<24 | uint64(sum[1])<<16 | uint64(sum[2])<<8 | uint64(sum[3])
	for i := range loc {
		loc[i] = alphabet[(bits>>(32-5*(i+1)))&31]
	}
	return "RK" + strings.ReplaceAll(date, "-", "")[2:] + "-" + string(loc[:]) + "-"
}

// refRevision returns the revision of ref when it is a ref_number of
// (location, date).
func refRevision(ref, prefix string) (int, bool) {
	rest, ok := strings.CutPrefix(ref, prefix)
	if !ok || rest == "" || len(rest) > 4 {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 1 || strconv.Itoa(n) != rest {
		return 0, false
	}
	return n, true
}
