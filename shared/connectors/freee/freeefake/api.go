package freeefake

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// api serves a request that passed the schema: authentication, then the
// operation, against the in-memory companies and deals. The answer is
// written once the fake's lock is released and OnDealPosted's hook (which
// may call the fake) has run.
func (f *Fake) api(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	f.mu.Lock()
	f.posted = nil
	f.apiLocked(rec, r)
	posted, hook := f.posted, f.onPosted
	f.posted = nil
	f.mu.Unlock()
	if posted != nil && hook != nil {
		hook(*posted)
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func (f *Fake) apiLocked(w http.ResponseWriter, r *http.Request) {
	tok, ok := f.access[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	if !ok || tok.expired {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "アクセストークンが無効です", "code": "invalid_access_token"})
		return
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/api/1/"), "/")
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodGet && len(parts) == 1 && parts[0] == "companies":
		// The token's user belongs to the company it was issued for.
		list := []any{}
		if c, ok := f.companies[tok.company]; ok {
			list = append(list, map[string]any{"id": c.ID, "name": c.Name, "name_kana": nil, "display_name": c.Name,
				"company_number": "0123456789", "role": "admin"})
		}
		writeJSON(w, http.StatusOK, map[string]any{"companies": list})
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "companies":
		if c := f.company(w, tok, parts[1]); c != nil {
			writeJSON(w, http.StatusOK, map[string]any{"company": companyJSON(c)})
		}
	case r.Method == http.MethodGet && len(parts) == 3 && parts[0] == "taxes" && parts[1] == "companies":
		if c := f.company(w, tok, parts[2]); c != nil {
			var taxes []any
			for _, code := range slices.Sorted(slices.Values(append(slices.Clone(c.TaxCodes), c.UnavailableTaxCodes...))) {
				taxes = append(taxes, map[string]any{"code": code, "name": "tax_" + strconv.FormatInt(code, 10),
					"name_ja": named(c.TaxNames, code, "税区分"), "display_category": nil, "available": slices.Contains(c.TaxCodes, code)})
			}
			writeJSON(w, http.StatusOK, map[string]any{"taxes": taxes})
		}
	case r.Method == http.MethodGet && len(parts) == 1 && parts[0] == "account_items":
		if c := f.company(w, tok, q.Get("company_id")); c != nil {
			var items []any
			for _, id := range c.AccountItems {
				category := c.AccountItemCategories[id]
				if category == "" {
					category = "売上高"
				}
				items = append(items, accountItemJSON(id, named(c.AccountItemNames, id, "勘定科目"), category))
			}
			writeJSON(w, http.StatusOK, map[string]any{"account_items": items})
		}
	case r.Method == http.MethodGet && len(parts) == 1 && parts[0] == "walletables":
		if c := f.company(w, tok, q.Get("company_id")); c != nil {
			var ws []any
			for _, wt := range c.Walletables {
				ws = append(ws, map[string]any{"id": wt.ID, "name": named(c.WalletableNames, wt.ID, wt.Type+" "), "bank_id": nil,
					"type": wt.Type, "update_date": "2026-01-01"})
			}
			writeJSON(w, http.StatusOK, map[string]any{"walletables": ws})
		}
	case r.Method == http.MethodGet && len(parts) == 1 && parts[0] == "sections":
		if c := f.company(w, tok, q.Get("company_id")); c != nil {
			var ss []any
			for _, id := range c.Sections {
				ss = append(ss, map[string]any{"id": id, "name": named(c.SectionNames, id, "部門"), "available": true, "company_id": c.ID})
			}
			writeJSON(w, http.StatusOK, map[string]any{"sections": ss})
		}
	case parts[0] == "deals":
		f.dealsAPI(w, r, tok, parts[1:])
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"status_code": 404,
			"errors": []any{map[string]any{"type": "status", "messages": []string{"not served by the fake"}}}})
	}
}

// company resolves a company id the token may use: 404 for an unknown one,
// 403 for one the token's user does not belong to.
func (f *Fake) company(w http.ResponseWriter, tok accessToken, id string) *Company {
	n, _ := strconv.ParseInt(id, 10, 64)
	c, ok := f.companies[n]
	if !ok || n != tok.company {
		writeJSON(w, http.StatusForbidden, map[string]any{"status_code": 403,
			"errors": []any{map[string]any{"type": "status", "messages": []string{"指定した事業所へのアクセス権限がありません。"}}}})
		return nil
	}
	return c
}

type detailIn struct {
	ID            int64  `json:"id,omitempty"`
	TaxCode       int64  `json:"tax_code"`
	AccountItemID int64  `json:"account_item_id"`
	Amount        int64  `json:"amount"`
	Vat           *int64 `json:"vat,omitempty"`
	SectionID     int64  `json:"section_id,omitempty"`
}

type paymentIn struct {
	CompanyID          int64  `json:"company_id,omitempty"`
	Amount             int64  `json:"amount"`
	FromWalletableID   int64  `json:"from_walletable_id"`
	FromWalletableType string `json:"from_walletable_type"`
	Date               string `json:"date"`
}

type dealIn struct {
	CompanyID int64       `json:"company_id"`
	IssueDate string      `json:"issue_date"`
	Type      string      `json:"type"`
	RefNumber string      `json:"ref_number,omitempty"`
	Details   []detailIn  `json:"details"`
	Payments  []paymentIn `json:"payments,omitempty"`
}

func (f *Fake) dealsAPI(w http.ResponseWriter, r *http.Request, tok accessToken, rest []string) {
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodGet && len(rest) == 0:
		c := f.company(w, tok, q.Get("company_id"))
		if c == nil {
			return
		}
		var match []*Deal
		for _, d := range f.deals {
			if d.CompanyID != c.ID || (q.Has("type") && d.Type != q.Get("type")) ||
				(q.Has("start_issue_date") && d.IssueDate < q.Get("start_issue_date")) ||
				(q.Has("end_issue_date") && d.IssueDate > q.Get("end_issue_date")) {
				continue
			}
			match = append(match, d)
		}
		sort.SliceStable(match, func(i, j int) bool { return match[i].IssueDate > match[j].IssueDate }) // freee: newest first
		offset, _ := strconv.Atoi(q.Get("offset"))
		limit := 20
		if q.Has("limit") {
			limit, _ = strconv.Atoi(q.Get("limit"))
		}
		out := []any{}
		for i := offset; i < len(match) && i < offset+limit; i++ {
			out = append(out, dealJSON(match[i]))
		}
		writeJSON(w, http.StatusOK, map[string]any{"deals": out, "meta": map[string]any{"total_count": len(match)}})
	case r.Method == http.MethodPost && len(rest) == 0:
		var in dealIn
		if !f.decode(w, r, &in) {
			return
		}
		c := f.company(w, tok, strconv.FormatInt(in.CompanyID, 10))
		if c == nil || !f.checkDeal(w, c, in) {
			return
		}
		f.nextID++
		d := &Deal{ID: f.nextID, CompanyID: c.ID, IssueDate: in.IssueDate, Type: in.Type, RefNumber: in.RefNumber}
		d.Details = f.details(nil, in.Details)
		for _, p := range in.Payments {
			f.nextID++
			d.Payments = append(d.Payments, Payment{ID: f.nextID, Date: p.Date, WalletableType: p.FromWalletableType, WalletableID: p.FromWalletableID, Amount: p.Amount})
		}
		f.deals = append(f.deals, d)
		posted := copyDeal(d)
		f.posted = &posted
		writeJSON(w, http.StatusCreated, map[string]any{"deal": dealJSON(d)})
	case len(rest) >= 1:
		id, _ := strconv.ParseInt(rest[0], 10, 64)
		i := slices.IndexFunc(f.deals, func(d *Deal) bool { return d.ID == id && d.CompanyID == tok.company })
		if i < 0 {
			writeJSON(w, http.StatusNotFound, map[string]any{"status_code": 404,
				"errors": []any{map[string]any{"type": "status", "messages": []string{"取引が見つかりません。"}}}})
			return
		}
		f.dealAPI(w, r, tok, f.deals[i], rest[1:])
	default:
		badRequest(w, "not served by the fake")
	}
}

func (f *Fake) dealAPI(w http.ResponseWriter, r *http.Request, tok accessToken, d *Deal, rest []string) {
	c := f.companies[d.CompanyID]
	switch {
	case r.Method == http.MethodGet && len(rest) == 0:
		writeJSON(w, http.StatusOK, map[string]any{"deal": dealJSON(d)})
	case r.Method == http.MethodPut && len(rest) == 0:
		var in dealIn
		if !f.decode(w, r, &in) || !f.checkDeal(w, c, in) {
			return
		}
		if in.Payments != nil {
			badRequest(w, "payments cannot be updated with the deal")
			return
		}
		d.IssueDate, d.Type, d.RefNumber = in.IssueDate, in.Type, in.RefNumber
		d.Details = f.details(d.Details, in.Details)
		writeJSON(w, http.StatusOK, map[string]any{"deal": dealJSON(d)})
	case r.Method == http.MethodPost && len(rest) == 1 && rest[0] == "payments":
		var in paymentIn
		if !f.decode(w, r, &in) || !f.checkPayment(w, c, in) {
			return
		}
		f.nextID++
		d.Payments = append(d.Payments, Payment{ID: f.nextID, Date: in.Date, WalletableType: in.FromWalletableType, WalletableID: in.FromWalletableID, Amount: in.Amount})
		writeJSON(w, http.StatusCreated, map[string]any{"deal": dealJSON(d)})
	case len(rest) == 2 && rest[0] == "payments":
		pid, _ := strconv.ParseInt(rest[1], 10, 64)
		i := slices.IndexFunc(d.Payments, func(p Payment) bool { return p.ID == pid })
		if i < 0 {
			writeJSON(w, http.StatusNotFound, map[string]any{"status_code": 404,
				"errors": []any{map[string]any{"type": "status", "messages": []string{"支払行が見つかりません。"}}}})
			return
		}
		if r.Method == http.MethodDelete {
			d.Payments = append(d.Payments[:i], d.Payments[i+1:]...)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		var in paymentIn
		if !f.decode(w, r, &in) || !f.checkPayment(w, c, in) {
			return
		}
		d.Payments[i] = Payment{ID: pid, Date: in.Date, WalletableType: in.FromWalletableType, WalletableID: in.FromWalletableID, Amount: in.Amount}
		writeJSON(w, http.StatusOK, map[string]any{"deal": dealJSON(d)})
	default:
		badRequest(w, "not served by the fake")
	}
}

// details applies freee's update rule: a detail with an id updates that
// detail, one without is new, and the deal's other details are removed.
func (f *Fake) details(old []Detail, in []detailIn) []Detail {
	var out []Detail
	for _, x := range in {
		id := x.ID
		if id == 0 || !slices.ContainsFunc(old, func(o Detail) bool { return o.ID == id }) {
			f.nextID++
			id = f.nextID
		}
		var vat int64
		if x.Vat != nil {
			vat = *x.Vat
		}
		out = append(out, Detail{ID: id, AccountItemID: x.AccountItemID, TaxCode: x.TaxCode, Amount: x.Amount, Vat: vat, SectionID: x.SectionID})
	}
	return out
}

// checkDeal refuses what freee refuses beyond the schema: ids that do not
// exist in the company, payments over the deal's amount.
func (f *Fake) checkDeal(w http.ResponseWriter, c *Company, in dealIn) bool {
	if len(in.Details) == 0 {
		badRequest(w, "明細行を入力してください。")
		return false
	}
	var total, paid int64
	for _, d := range in.Details {
		switch {
		case !slices.Contains(c.AccountItems, d.AccountItemID):
			badRequest(w, "勘定科目が存在しません。")
			return false
		case !slices.Contains(c.TaxCodes, d.TaxCode):
			badRequest(w, "税区分が存在しません。")
			return false
		case d.SectionID != 0 && !slices.Contains(c.Sections, d.SectionID):
			badRequest(w, "部門が存在しません。")
			return false
		case d.Amount <= 0:
			badRequest(w, "金額は1以上で入力してください。")
			return false
		}
		total += d.Amount
	}
	for _, p := range in.Payments {
		if !f.checkPayment(w, c, p) {
			return false
		}
		paid += p.Amount
	}
	if paid > total {
		badRequest(w, "支払金額が取引金額を超えています。")
		return false
	}
	return true
}

func (f *Fake) checkPayment(w http.ResponseWriter, c *Company, p paymentIn) bool {
	if !slices.Contains(c.Walletables, Walletable{p.FromWalletableType, p.FromWalletableID}) {
		badRequest(w, "口座が存在しません。")
		return false
	}
	if p.Amount <= 0 {
		badRequest(w, "支払金額は1以上で入力してください。")
		return false
	}
	return true
}

// decode reads a JSON body strictly: a field freee does not know is a
// request the connector should not send.
func (f *Fake) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		f.invalid = append(f.invalid, r.Method+" "+r.URL.Path+": "+err.Error())
		badRequest(w, "リクエストの形式が不正です。")
		return false
	}
	return true
}

func dealJSON(d *Deal) map[string]any {
	details := []any{}
	for _, x := range d.Details {
		m := map[string]any{"id": x.ID, "account_item_id": x.AccountItemID, "tax_code": x.TaxCode, "amount": x.Amount, "vat": x.Vat,
			"entry_side": "credit", "section_id": nil, "tag_ids": []int64{}}
		if x.SectionID != 0 {
			m["section_id"] = x.SectionID
		}
		details = append(details, m)
	}
	payments := []any{}
	var paid int64
	for _, p := range d.Payments {
		payments = append(payments, map[string]any{"id": p.ID, "date": p.Date, "from_walletable_type": p.WalletableType,
			"from_walletable_id": p.WalletableID, "amount": p.Amount})
		paid += p.Amount
	}
	status := "unsettled"
	if paid >= d.Amount() {
		status = "settled"
	}
	var ref any
	if d.RefNumber != "" {
		ref = d.RefNumber
	}
	return map[string]any{"id": d.ID, "company_id": d.CompanyID, "issue_date": d.IssueDate, "due_date": nil, "amount": d.Amount(),
		"due_amount": d.Amount() - paid, "type": d.Type, "partner_id": nil, "partner_code": nil, "ref_number": ref, "status": status,
		"deal_origin_name": "API", "details": details, "payments": payments, "receipts": []any{}}
}

func companyJSON(c *Company) map[string]any {
	return map[string]any{"id": c.ID, "name": c.Name, "name_kana": nil, "display_name": c.Name, "tax_at_source_calc_type": 0,
		"contact_name": nil, "head_count": nil, "corporate_number": "", "txn_number_format": "not_used", "default_wallet_account_id": nil,
		"private_settlement": false, "minus_format": 0, "org_code": 1, "company_number": "", "role": "admin", "phone1": nil, "phone2": nil,
		"fax": nil, "zipcode": nil, "prefecture_code": nil, "street_name1": nil, "street_name2": nil, "invoice_layout": "default_classic",
		"amount_fraction": 0, "use_partner_code": false, "industry_class": nil, "industry_code": nil, "workflow_setting": "disable",
		"fiscal_years": []any{}}
}

// named is names[id], else prefix and the id.
func named(names map[int64]string, id int64, prefix string) string {
	if n, ok := names[id]; ok {
		return n
	}
	return prefix + strconv.FormatInt(id, 10)
}

func accountItemJSON(id int64, name, category string) map[string]any {
	return map[string]any{"id": id, "name": name, "tax_code": 129, "shortcut": nil, "shortcut_num": nil,
		"default_tax_code": 129, "account_category": category, "account_category_id": 1, "categories": []string{"損益", "売上高"},
		"available": true, "walletable_id": nil, "group_name": nil, "group_id": nil, "corresponding_income_name": nil,
		"corresponding_income_id": nil, "corresponding_expense_name": nil, "corresponding_expense_id": nil, "update_date": "2026-01-01"}
}

func badRequest(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusBadRequest, map[string]any{"status_code": 400,
		"errors": []any{map[string]any{"type": "validation", "messages": []string{msg}}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
