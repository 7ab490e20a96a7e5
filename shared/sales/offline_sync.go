package sales

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/backoff"
	"github.com/renkei-pos/renkei/shared/idempotency"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/inventory"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// offlineSync is one sync in progress: the sales, what was read for them,
// and each sale's result (indexes are the input's; goroutines write
// distinct indexes only).
type offlineSync struct {
	s        *Service
	p        identity.Principal
	in       []OfflineSaleInput
	now      time.Time
	results  []OfflineResult
	replayOf []string // order id of a DUPLICATE still to be read
	created  []*Order
}

func (s *Service) syncOffline(ctx context.Context, in []OfflineSaleInput) ([]OfflineResult, error) {
	p, err := identity.Require(ctx, identity.Sell)
	if err != nil {
		return nil, err
	}
	if len(in) > MaxOfflineSales {
		return nil, apperr.Newf(apperr.Invalid, []string{"input", "sales"}, "a sync has at most %d sales (got %d)", MaxOfflineSales, len(in))
	}
	// A copy: validate normalizes card numbers in place, and the caller's
	// slice is its own (concurrent syncs may share one).
	sy := &offlineSync{s: s, p: p, in: slices.Clone(in), now: s.Now().UTC(),
		results: make([]OfflineResult, len(in)), replayOf: make([]string, len(in)), created: make([]*Order, len(in))}
	reqs, firstOf, q := sy.validate()
	loaded, err := s.Offline.LoadOffline(ctx, q)
	if err != nil {
		return nil, err
	}
	byRegister, err := sy.price(loaded, reqs, firstOf)
	if err != nil {
		return nil, err
	}
	if err := sy.write(ctx, loaded, byRegister); err != nil {
		return nil, err
	}
	if err := sy.finish(ctx, firstOf, reqs); err != nil {
		return nil, err
	}
	if err := sy.reviseCloses(ctx, loaded.Locations); err != nil {
		return nil, err
	}
	return sy.results, nil
}

var errSaleIDReused = apperr.New(apperr.IdempotencyKeyReused, "this clientSaleId was already used with a different sale", "input", "clientSaleId")

func (sy *offlineSync) reject(i int, err error) {
	sy.results[i].Status, sy.results[i].Errors = OfflineRejected, errorsAt(err, i)
}

// normalizeOfflineCards drops the spaces and hyphens of the sale's gift
// card numbers (on a copy of its payments).
func normalizeOfflineCards(in OfflineSaleInput) OfflineSaleInput {
	if !slices.ContainsFunc(in.Payments, func(p PaymentInput) bool { return p.GiftCardNumber != "" }) {
		return in
	}
	co := CheckoutInput{Payments: slices.Clone(in.Payments)}
	co.normalizeGiftCards()
	in.Payments = co.Payments
	return in
}

// registerFor is the register a sale is numbered at, as for a checkout.
func (sy *offlineSync) registerFor(in OfflineSaleInput) string {
	switch {
	case in.RegisterID != "":
		return in.RegisterID
	case sy.p.RegisterID != "":
		return sy.p.RegisterID
	}
	return tenant.RegisterID(in.LocationID, 1)
}

// validate checks each sale's shape and location, and gathers the keys of
// the one read. firstOf maps a clientSaleId to the first sale carrying it;
// later ones with it are resolved against that one (finish).
func (sy *offlineSync) validate() ([]idempotency.Request, map[string]int, OfflineQuery) {
	reqs := make([]idempotency.Request, len(sy.in))
	firstOf := map[string]int{}
	var q OfflineQuery
	seen := map[string]bool{}
	add := func(list *[]string, kind, id string) {
		if id != "" && !seen[kind+id] {
			seen[kind+id] = true
			*list = append(*list, id)
		}
	}
	for i, in := range sy.in {
		sy.results[i].ClientSaleID = in.ClientSaleID
		in = normalizeOfflineCards(in)
		sy.in[i] = in
		if err := in.Validate(sy.now); err != nil {
			sy.reject(i, err)
			continue
		}
		if !sy.p.CanUseLocation(in.LocationID) {
			sy.reject(i, apperr.New(apperr.Forbidden, "you may not sell at this location", "input", "locationId"))
			continue
		}
		reqs[i] = in.Request()
		if _, dup := firstOf[in.ClientSaleID]; dup {
			continue
		}
		firstOf[in.ClientSaleID] = i
		q.Requests = append(q.Requests, reqs[i])
		add(&q.LocationIDs, "L", in.LocationID)
		if reg := sy.registerFor(in); validRegister(reg) {
			add(&q.RegisterIDs, "R", reg)
		}
		add(&q.CustomerIDs, "C", in.CustomerID)
		for _, v := range in.checkout().VariantIDs() {
			add(&q.VariantIDs, "V", v)
			if !seen["S"+in.LocationID+"\x00"+v] {
				seen["S"+in.LocationID+"\x00"+v] = true
				q.Levels = append(q.Levels, inventory.LevelKey{LocationID: in.LocationID, VariantID: v})
			}
		}
	}
	return reqs, firstOf, q
}

func validRegister(id string) bool {
	_, _, ok := tenant.ParseRegisterID(id)
	return ok
}

// price answers the replays and prices every other first sale of its key,
// returning them by register in input order.
func (sy *offlineSync) price(loaded OfflineLoaded, reqs []idempotency.Request, firstOf map[string]int) (map[string][]sellAt, error) {
	levelsAt := map[string]map[string]inventory.StockLevel{}
	for k, l := range loaded.Levels {
		if levelsAt[k.LocationID] == nil {
			levelsAt[k.LocationID] = map[string]inventory.StockLevel{}
		}
		levelsAt[k.LocationID][k.VariantID] = l
	}
	byRegister := map[string][]sellAt{}
	for i, in := range sy.in {
		if sy.results[i].Status != "" || firstOf[in.ClientSaleID] != i {
			continue
		}
		if r, ok := loaded.Replays[in.ClientSaleID]; ok {
			if r.Err != nil {
				sy.reject(i, errSaleIDReused)
			} else {
				sy.results[i].Status, sy.replayOf[i] = OfflineDuplicate, r.ID
			}
			continue
		}
		var errs apperr.List
		loc, locFound := loaded.Locations[in.LocationID]
		if !locFound {
			errs.Add(apperr.NotFound, "location not found", "input", "locationId")
		}
		regID := sy.registerFor(in)
		var reg *RegisterState
		if r, ok := loaded.Registers[regID]; ok {
			reg = &r
		}
		if err := checkRegister(reg, in.LocationID); err != nil && (locFound || in.RegisterID != "") {
			errs = append(errs, err)
		}
		snap := Snapshot{Tenant: loaded.Tenant, Location: loc, Variants: loaded.Variants, Levels: levelsAt[in.LocationID]}
		if in.CustomerID != "" {
			c, ok := loaded.Customers[in.CustomerID]
			if !ok {
				errs.Add(apperr.NotFound, "customer not found", "input", "customerId")
			}
			snap.Customer = &c
		}
		if len(errs) > 0 {
			sy.reject(i, errs)
			continue
		}
		sale, err := priceOffline(in, snap, *reg, sy.p)
		if _, expected := apperr.Expected(err); err != nil && !expected {
			return nil, err
		}
		if err != nil {
			sy.reject(i, err)
			continue
		}
		byRegister[regID] = append(byRegister[regID], sellAt{index: i, write: OfflineWrite{Sale: sale, Idempotency: reqs[i]}})
	}
	return byRegister, nil
}

// priceOffline prices a sale with checkout's Price, dated when it happened,
// at its register, never refused for stock.
func priceOffline(in OfflineSaleInput, snap Snapshot, reg RegisterState, p identity.Principal) (Sale, error) {
	at := in.OccurredAt.UTC()
	sale, err := Price(in.checkout(), snap, ids.NewAt("ord", at), at)
	if err != nil {
		return Sale{}, err
	}
	for i, pi := range in.Payments {
		if pi.Method == Card {
			sale.Order.Payments[i].Method = Card
		}
	}
	o := &sale.Order
	o.Source, o.RegisterID, o.StaffID, o.APIKeyID = "OFFLINE", reg.Register.ID, p.UserID, p.APIKeyID
	sale.AllowNegativeStock = true
	return sale, nil
}

// write writes each register's sales in groups, one register after the
// other's group at a time but registers side by side, then marks the
// levels the sync took below zero.
func (sy *offlineSync) write(ctx context.Context, loaded OfflineLoaded, byRegister map[string][]sellAt) error {
	var wg sync.WaitGroup
	errs := make([]error, 0, len(byRegister))
	var mu sync.Mutex
	for regID, list := range byRegister {
		reg := loaded.Registers[regID]
		loc := loaded.Locations[reg.Register.LocationID]
		wg.Go(func() {
			err := sy.writeRegister(ctx, reg, loc, list)
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	var levels []inventory.LevelKey
	seen := map[inventory.LevelKey]bool{}
	for _, o := range sy.created {
		if o == nil {
			continue
		}
		for _, l := range o.Lines {
			k := inventory.LevelKey{LocationID: o.LocationID, VariantID: l.VariantID}
			if v, ok := loaded.Variants[l.VariantID]; ok && v.TrackStock && !seen[k] {
				seen[k] = true
				levels = append(levels, k)
			}
		}
	}
	var cards []string
	for _, o := range sy.created {
		if o == nil {
			continue
		}
		for _, p := range o.Payments {
			if p.Method == GiftCard && !slices.Contains(cards, p.GiftCardNumber) {
				cards = append(cards, p.GiftCardNumber)
			}
		}
	}
	if len(cards) > 0 {
		if err := sy.s.Offline.MarkGiftCardsFlagged(ctx, cards, sy.now); err != nil {
			return err
		}
	}
	if len(levels) == 0 {
		return nil
	}
	return sy.s.Offline.MarkOversold(ctx, levels, sy.now)
}

// groupSize is how many of list's first sales fit one transaction.
func groupSize(list []sellAt) int {
	levels := map[string]bool{}
	cards := map[string]bool{}
	n, cardActions := 0, 0
	for _, sa := range list {
		fresh := 0
		for _, d := range sa.write.Sale.Decrements {
			if !levels[d.VariantID] {
				fresh++
			}
		}
		redeems := sa.write.Sale.Redeems()
		again := false
		for _, r := range redeems {
			again = again || cards[r.Number]
		}
		if n > 0 && (again || 1+(n+1)*actionsPerSale+cardActions+giftCardActions*len(redeems)+len(levels)+fresh > maxGroupActions) {
			break
		}
		for _, d := range sa.write.Sale.Decrements {
			levels[d.VariantID] = true
		}
		for _, r := range redeems {
			cards[r.Number] = true
		}
		cardActions += giftCardActions * len(redeems)
		n++
	}
	return n
}

func (sy *offlineSync) number(loc tenant.Location, reg RegisterState, list []sellAt) OfflineGroup {
	g := OfflineGroup{Register: reg, Sales: make([]OfflineWrite, len(list))}
	for i, sa := range list {
		w := sa.write
		w.Sale.Order.Number = OrderNumber(loc.Number, reg.Register.Number, reg.Seq+int64(i)+1)
		g.Sales[i] = w
	}
	return g
}

func (sy *offlineSync) created1(sa sellAt, o Order) {
	sy.results[sa.index].Status, sy.created[sa.index] = OfflineCreated, &o
	sy.results[sa.index].Order = &o
}

// writeRegister writes one register's sales group by group; a group whose
// transaction is cancelled (a concurrent duplicate, another sale taking the
// register's next number) is written again one sale per transaction, so a
// sale that cannot be written only rejects itself.
func (sy *offlineSync) writeRegister(ctx context.Context, reg RegisterState, loc tenant.Location, list []sellAt) error {
	for len(list) > 0 {
		group := list[:groupSize(list)]
		list = list[len(group):]
		g := sy.number(loc, reg, group)
		err := sy.s.Offline.SaveOfflineGroup(ctx, g, sy.now)
		var conflict *OfflineConflict
		switch {
		case err == nil:
			reg.Seq += int64(len(group))
			for i, sa := range group {
				sy.created1(sa, g.Sales[i].Sale.Order)
			}
			continue
		case !errors.As(err, &conflict):
			return err
		}
		for _, sa := range group {
			if reg, err = sy.writeOne(ctx, reg, loc, sa); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeOne writes one sale in its own transaction, taking the register's
// next number again when another sale took it first (backoff.Contention).
func (sy *offlineSync) writeOne(ctx context.Context, reg RegisterState, loc tenant.Location, sa sellAt) (RegisterState, error) {
	err := backoff.Contention.Retry(ctx, func(int) (bool, error) {
		g := sy.number(loc, reg, []sellAt{sa})
		err := sy.s.Offline.SaveOfflineGroup(ctx, g, sy.now)
		var conflict *OfflineConflict
		switch {
		case err == nil:
			reg.Seq++
			sy.created1(sa, g.Sales[0].Sale.Order)
			return false, nil
		case !errors.As(err, &conflict):
			return false, err
		}
		if bad, ok := conflict.Rejected[0]; ok {
			sy.reject(sa.index, bad)
			return false, nil
		}
		if r, ok := conflict.Replays[0]; ok {
			if r.Err != nil {
				sy.reject(sa.index, errSaleIDReused)
			} else {
				sy.results[sa.index].Status, sy.replayOf[sa.index] = OfflineDuplicate, r.ID
			}
			return false, nil
		}
		if !conflict.RegisterMoved {
			return false, fmt.Errorf("offline sale %s: %w", sa.write.Idempotency.Key, err)
		}
		if bad := checkRegister(conflict.Register, loc.ID); bad != nil {
			sy.reject(sa.index, bad)
			return false, nil
		}
		reg = *conflict.Register
		return true, err
	})
	return reg, err
}

// finish reads the orders of duplicates and answers the later sales of a
// key the batch repeats as its first one was answered.
func (sy *offlineSync) finish(ctx context.Context, firstOf map[string]int, reqs []idempotency.Request) error {
	var want []string
	for _, id := range sy.replayOf {
		if id != "" {
			want = append(want, id)
		}
	}
	if len(want) > 0 {
		orders, err := sy.s.Offline.GetOrders(ctx, want)
		if err != nil {
			return err
		}
		for i, id := range sy.replayOf {
			if id == "" {
				continue
			}
			o, ok := orders[id]
			if !ok {
				return fmt.Errorf("offline sale %s: replayed order %s not found", sy.in[i].ClientSaleID, id)
			}
			sy.results[i].Order = &o
		}
	}
	for i, in := range sy.in {
		j, ok := firstOf[in.ClientSaleID]
		if !ok || j == i || sy.results[i].Status != "" {
			continue
		}
		first := sy.results[j]
		switch {
		case reqs[i].Hash != reqs[j].Hash:
			sy.reject(i, errSaleIDReused)
		case first.Status == OfflineRejected:
			sy.results[i].Status, sy.results[i].Errors = OfflineRejected, first.Errors
		default:
			sy.results[i].Status, sy.results[i].Order = OfflineDuplicate, first.Order
		}
	}
	return nil
}
