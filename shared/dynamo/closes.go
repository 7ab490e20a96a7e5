package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/idempotency"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tax"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// Close items: pk `T#<tid>#CLOSE#<locationId>`, sk
// `<businessDate>#<registerId|ALL>#<revision, 4 digits>`. A location's
// closes of one date are one Query (begins_with the date); revisions of one
// close sort in order, and each is put only if it does not exist, so two
// writers of the same revision cannot both win. The register.closed event
// carries the whole close, in the same transaction.

const (
	skCloseAll = "ALL"
	// EventRegisterClosed is written with every close revision.
	EventRegisterClosed = "register.closed"
	// maxDayOrders bounds the orders a close reads for one location's day.
	maxDayOrders = 1_000_000
)

var _ sales.CloseStore = (*SalesStore)(nil)

func closePK(tpk, locationID string) string { return tpk + "#CLOSE#" + locationID }

func closeSK(k sales.CloseKey, revision int) string {
	reg := k.RegisterID
	if reg == "" {
		reg = skCloseAll
	}
	return fmt.Sprintf("%s#%s#%04d", k.BusinessDate, reg, revision)
}

type closeItem struct {
	PK            string             `dynamodbav:"pk"`
	SK            string             `dynamodbav:"sk"`
	Type          string             `dynamodbav:"type"`
	ID            string             `dynamodbav:"id"`
	LocationID    string             `dynamodbav:"locationId"`
	RegisterID    string             `dynamodbav:"registerId,omitempty"`
	BusinessDate  string             `dynamodbav:"businessDate"`
	Revision      int                `dynamodbav:"revision"`
	Currency      string             `dynamodbav:"currency"`
	OrderCount    int                `dynamodbav:"orderCount"`
	Gross         int64              `dynamodbav:"grossSales"`
	Discounts     int64              `dynamodbav:"discounts"`
	Refunds       int64              `dynamodbav:"refunds"`
	Net           int64              `dynamodbav:"netSales"`
	Taxes         []taxLineItem      `dynamodbav:"taxes"`
	Payments      []paymentTotalItem `dynamodbav:"payments"`
	ExpectedCash  int64              `dynamodbav:"expectedCash"`
	GiftCardLoads int64              `dynamodbav:"giftCardLoads,omitempty"`
	CountedCash   int64              `dynamodbav:"countedCash"`
	Difference    int64              `dynamodbav:"difference"`
	ClosedAt      string             `dynamodbav:"closedAt"`
}

type paymentTotalItem struct {
	Method string `dynamodbav:"method"`
	Amount int64  `dynamodbav:"amount"`
}

func closeToItem(tpk string, c sales.RegisterClose) closeItem {
	it := closeItem{PK: closePK(tpk, c.LocationID), SK: closeSK(c.Key(), c.Revision), Type: "RegisterClose", ID: c.ID, LocationID: c.LocationID,
		RegisterID: c.RegisterID, BusinessDate: c.BusinessDate, Revision: c.Revision, Currency: c.Currency, OrderCount: c.OrderCount,
		Gross: c.Gross, Discounts: c.Discounts, Refunds: c.Refunds, Net: c.Net, GiftCardLoads: c.GiftCardLoads, ExpectedCash: c.ExpectedCash, CountedCash: c.CountedCash,
		Difference: c.Difference, ClosedAt: fmtTime(c.ClosedAt), Taxes: []taxLineItem{}, Payments: []paymentTotalItem{}}
	for _, t := range c.Taxes {
		it.Taxes = append(it.Taxes, taxLineItem{Category: string(t.Category), RatePercent: t.RatePercent, Taxable: t.Taxable, Tax: t.Tax})
	}
	for _, p := range c.Payments {
		it.Payments = append(it.Payments, paymentTotalItem{Method: string(p.Method), Amount: p.Amount})
	}
	return it
}

func (it closeItem) domain() sales.RegisterClose {
	c := sales.RegisterClose{ID: it.ID, LocationID: it.LocationID, RegisterID: it.RegisterID, BusinessDate: it.BusinessDate, Revision: it.Revision,
		Currency: it.Currency, CountedCash: it.CountedCash, Difference: it.Difference, ClosedAt: parseTime(it.ClosedAt)}
	c.OrderCount, c.Gross, c.Discounts, c.Refunds, c.Net, c.ExpectedCash = it.OrderCount, it.Gross, it.Discounts, it.Refunds, it.Net, it.ExpectedCash
	c.GiftCardLoads = it.GiftCardLoads
	for _, t := range it.Taxes {
		c.Taxes = append(c.Taxes, sales.TaxLine{Category: tax.Category(t.Category), RatePercent: t.RatePercent, Taxable: t.Taxable, Tax: t.Tax})
	}
	for _, p := range it.Payments {
		c.Payments = append(c.Payments, sales.PaymentTotal{Method: sales.PaymentMethod(p.Method), Amount: p.Amount})
	}
	return c
}

// LoadCloseScope reads the tenant, location, register and the request's
// record in one BatchGetItem, and the replayed close when there is one.
func (st *SalesStore) LoadCloseScope(ctx context.Context, locationID, registerID string, req idempotency.Request) (sales.CloseScope, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return sales.CloseScope{}, err
	}
	idemKey, err := st.t.idempotencyKey(ctx, req)
	if err != nil {
		return sales.CloseScope{}, err
	}
	keys := []map[string]types.AttributeValue{key(tpk, skTenant), key(tpk, skLocPrefix+locationID), idemKey}
	if _, _, ok := tenant.ParseRegisterID(registerID); ok {
		keys = append(keys, key(registerPK(tpk, registerID), skRegister))
	}
	raws, err := st.t.BatchGet(ctx, keys)
	if err != nil {
		return sales.CloseScope{}, fmt.Errorf("load close: %w", err)
	}
	idemPK := idemKey[attrPK].(*types.AttributeValueMemberS).Value
	var out sales.CloseScope
	var replayKey string
	for _, raw := range raws {
		pk, sk := raw[attrPK].(*types.AttributeValueMemberS).Value, raw[attrSK].(*types.AttributeValueMemberS).Value
		var derr error
		switch {
		case pk == idemPK:
			res, err := matchIdempotency(raw, req.Hash)
			replayKey, out.ReplayErr = string(res), err
		case sk == skRegister:
			var rs *sales.RegisterState
			if rs, derr = registerState(raw); derr == nil {
				out.Register = &rs.Register
			}
		case sk == skTenant:
			var it tenantItem
			derr = attributevalue.UnmarshalMap(raw, &it)
			out.Tenant = it.domain()
		default:
			var it locationItem
			derr = attributevalue.UnmarshalMap(raw, &it)
			l := it.domain()
			out.Location = &l
		}
		if derr != nil {
			return sales.CloseScope{}, fmt.Errorf("load close: decode %s: %w", sk, derr)
		}
	}
	if replayKey != "" {
		c, err := st.getClose(ctx, tpk, replayKey)
		if err != nil {
			return sales.CloseScope{}, err
		}
		out.Replayed = &c
	}
	return out, nil
}

// closeRef is how an idempotency record names its close: "<locationId>|<sk>".
func closeRef(c sales.RegisterClose) string { return c.LocationID + "|" + closeSK(c.Key(), c.Revision) }

func (st *SalesStore) getClose(ctx context.Context, tpk, ref string) (sales.RegisterClose, error) {
	loc, sk, ok := strings.Cut(ref, "|")
	if !ok {
		return sales.RegisterClose{}, fmt.Errorf("close reference %q", ref)
	}
	var it closeItem
	found, err := st.t.get(ctx, key(closePK(tpk, loc), sk), &it)
	if err != nil {
		return sales.RegisterClose{}, fmt.Errorf("get close: %w", err)
	}
	if !found {
		return sales.RegisterClose{}, fmt.Errorf("close %s not found", ref)
	}
	return it.domain(), nil
}

// LatestCloses queries the location's closes of date (one partition, one
// sort-key prefix) and keeps the newest revision of each.
func (st *SalesStore) LatestCloses(ctx context.Context, locationID, date string) ([]sales.RegisterClose, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return nil, err
	}
	items, err := queryItems[closeItem](ctx, st.t, &dynamodb.QueryInput{
		TableName: &st.t.name, ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :date)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(closePK(tpk, locationID)), ":date": s(date + "#")},
	}, maxDayOrders, nil)
	if err != nil {
		return nil, fmt.Errorf("list closes: %w", err)
	}
	latest := map[string]int{} // register → index in out
	var out []sales.RegisterClose
	for _, it := range items { // ascending sk: revisions of one close in order
		c := it.domain()
		if i, ok := latest[c.RegisterID]; ok {
			out[i] = c
			continue
		}
		latest[c.RegisterID] = len(out)
		out = append(out, c)
	}
	return out, nil
}

// DayActivity reads every order and every refund of the location created
// in [from, to): two Queries, run at once, of their lists on gsi1
// (`T#<tid>#ORDERS#<lid>` and `T#<tid>#REFUNDS#<lid>`, both sorted by
// `<createdAt>#<id>`), page by page to the end.
func (st *SalesStore) DayActivity(ctx context.Context, locationID string, from, to time.Time) ([]sales.Order, []sales.Refund, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return nil, nil, err
	}
	byTime := func(pk string) *dynamodb.QueryInput {
		return &dynamodb.QueryInput{
			TableName: &st.t.name, IndexName: aws.String(IndexGSI1),
			KeyConditionExpression: aws.String("gsi1pk = :pk AND gsi1sk BETWEEN :lo AND :hi"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(pk),
				":lo": s(from.UTC().Format(sortTime)), ":hi": s(to.Add(-time.Nanosecond).UTC().Format(sortTime) + "#~")},
		}
	}
	var refundItems []refundItem
	var refundErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		refundItems, refundErr = queryItems[refundItem](ctx, st.t, byTime(refundListPK(tpk, locationID)), maxDayOrders, nil)
	}()
	orderItems, err := queryItems[orderItem](ctx, st.t, byTime(orderListPK(tpk, locationID)), maxDayOrders, nil)
	<-done
	if err = errors.Join(err, refundErr); err != nil {
		return nil, nil, fmt.Errorf("read the day's orders and refunds: %w", err)
	}
	orders := make([]sales.Order, len(orderItems))
	for i, it := range orderItems {
		orders[i] = it.domain()
	}
	refunds := make([]sales.Refund, len(refundItems))
	for i, it := range refundItems {
		refunds[i] = it.domain()
	}
	return orders, refunds, nil
}

// SaveClose writes the close revision, its register.closed event and (req
// non-nil) the request's record in one transaction.
func (st *SalesStore) SaveClose(ctx context.Context, c sales.RegisterClose, req *idempotency.Request) (sales.RegisterClose, bool, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return sales.RegisterClose{}, false, err
	}
	put, err := putNew(st.t, closeToItem(tpk, c))
	if err != nil {
		return sales.RegisterClose{}, false, err
	}
	event, _, err := outboxPut(ctx, st.t, EventRegisterClosed, sales.NewCloseEvent(c), c.ClosedAt)
	if err != nil {
		return sales.RegisterClose{}, false, err
	}
	items := []types.TransactWriteItem{put, event}
	if req == nil {
		err = st.t.Transact(ctx, items)
	} else {
		var stored []byte
		var replayed bool
		stored, replayed, err = st.t.TransactIdempotent(ctx, *req, []byte(closeRef(c)), items, c.ClosedAt)
		if replayed {
			got, err := st.getClose(ctx, tpk, string(stored))
			return got, true, err
		}
	}
	var ce *CanceledError
	if errors.As(err, &ce) && ce.Failed(0) {
		return sales.RegisterClose{}, false, apperr.New(apperr.Conflict, "revision "+strconv.Itoa(c.Revision)+" of this close was written meanwhile")
	}
	if err != nil {
		return sales.RegisterClose{}, false, err
	}
	return c, false, nil
}
