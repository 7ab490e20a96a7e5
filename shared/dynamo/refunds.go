package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/idempotency"
	"github.com/renkei-pos/renkei/shared/inventory"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tax"
)

// Refund items: pk `T#<tid>#REFUND#<refundId>`, sk `REFUND`; gsi1 lists a
// location's refunds by time (`T#<tid>#REFUNDS#<loc>`, `<createdAt>#<id>`),
// for the daily close. The order keeps a summary of each of its refunds and
// the refunded quantities, amounts and taxes (orderRefundsItem), written in
// the refund's transaction under the number of refunds read.

const skRefund = "REFUND"

// EventOrderRefunded is the outbox event of a refund.
const EventOrderRefunded = "order.refunded"

func refundPK(tpk, id string) string      { return tpk + "#REFUND#" + id }
func refundListPK(tpk, loc string) string { return tpk + "#REFUNDS#" + loc }

// RefundStore implements sales.RefundStore on the single table.
type RefundStore struct{ t *Table }

var _ sales.RefundStore = (*RefundStore)(nil)

// NewRefundStore returns the refund store.
func NewRefundStore(t *Table) *RefundStore { return &RefundStore{t: t} }

// orderRefundsItem is the refund state an order item carries.
type orderRefundsItem struct {
	RefundCount   int64               `dynamodbav:"refundCount,omitempty"`
	RefundedTotal int64               `dynamodbav:"refundedTotal,omitempty"`
	RefundedTaxes []taxLineItem       `dynamodbav:"refundedTaxes,omitempty"`
	Refunds       []refundSummaryItem `dynamodbav:"refunds,omitempty"`
}

type refundSummaryItem struct {
	ID        string             `dynamodbav:"id"`
	Amount    int64              `dynamodbav:"amount"`
	TaxTotal  int64              `dynamodbav:"taxTotal"`
	Reason    string             `dynamodbav:"reason,omitempty"`
	Taxes     []taxLineItem      `dynamodbav:"taxes"`
	Tenders   []refundTenderItem `dynamodbav:"tenders"`
	CreatedAt string             `dynamodbav:"createdAt"`
}

func summaryToItem(s sales.RefundSummary) refundSummaryItem {
	it := refundSummaryItem{ID: s.ID, Amount: s.Amount, TaxTotal: s.TaxTotal, Reason: s.Reason, CreatedAt: fmtTime(s.CreatedAt),
		Taxes: []taxLineItem{}, Tenders: []refundTenderItem{}}
	for _, t := range s.Taxes {
		it.Taxes = append(it.Taxes, taxLineItem{Category: string(t.Category), RatePercent: t.RatePercent, Taxable: t.Taxable, Tax: t.Tax})
	}
	for _, t := range s.Tenders {
		it.Tenders = append(it.Tenders, refundTenderItem{PaymentID: t.PaymentID, Method: string(t.Method), Amount: t.Amount, Reference: t.Reference,
			GiftCardNumber: t.GiftCardNumber})
	}
	return it
}

func (it refundSummaryItem) domain() sales.RefundSummary {
	s := sales.RefundSummary{ID: it.ID, Amount: it.Amount, TaxTotal: it.TaxTotal, Reason: it.Reason, CreatedAt: parseTime(it.CreatedAt)}
	for _, t := range it.Taxes {
		s.Taxes = append(s.Taxes, sales.TaxLine{Category: tax.Category(t.Category), RatePercent: t.RatePercent, Taxable: t.Taxable, Tax: t.Tax})
	}
	for _, t := range it.Tenders {
		s.Tenders = append(s.Tenders, sales.RefundTender{PaymentID: t.PaymentID, Method: sales.PaymentMethod(t.Method), Amount: t.Amount, Reference: t.Reference,
			GiftCardNumber: t.GiftCardNumber})
	}
	return s
}

// applyTo sets the order's refund state from the item (payments: the
// item's payments, in the order's order).
func (r orderRefundsItem) applyTo(o *sales.Order, payments []paymentItem) {
	o.RefundedTotal = r.RefundedTotal
	for _, t := range r.RefundedTaxes {
		o.RefundedTaxes = append(o.RefundedTaxes, sales.TaxLine{Category: tax.Category(t.Category), RatePercent: t.RatePercent, Taxable: t.Taxable, Tax: t.Tax})
	}
	for _, s := range r.Refunds {
		o.Refunds = append(o.Refunds, s.domain())
	}
	for i := range o.Payments {
		if i < len(payments) {
			o.Payments[i].Refunded = payments[i].Refunded
		}
	}
}

// refundStateToItem is the order's refund state as stored, setting each
// payment's refunded amount on payments (the order's, in order), so an
// order written whole keeps its refunds.
func refundStateToItem(o sales.Order, payments []paymentItem) orderRefundsItem {
	r := orderRefundsItem{RefundCount: int64(len(o.Refunds)), RefundedTotal: o.RefundedTotal}
	for _, t := range o.RefundedTaxes {
		r.RefundedTaxes = append(r.RefundedTaxes, taxLineItem{Category: string(t.Category), RatePercent: t.RatePercent, Taxable: t.Taxable, Tax: t.Tax})
	}
	for _, s := range o.Refunds {
		r.Refunds = append(r.Refunds, summaryToItem(s))
	}
	for i := range payments {
		if i < len(o.Payments) {
			payments[i].Refunded = o.Payments[i].Refunded
		}
	}
	return r
}

type refundItem struct {
	PK                string             `dynamodbav:"pk"`
	SK                string             `dynamodbav:"sk"`
	Type              string             `dynamodbav:"type"`
	GSI1PK            string             `dynamodbav:"gsi1pk"`
	GSI1SK            string             `dynamodbav:"gsi1sk"`
	ID                string             `dynamodbav:"id"`
	OrderID           string             `dynamodbav:"orderId"`
	OrderNumber       string             `dynamodbav:"orderNumber"`
	OrderCreatedAt    string             `dynamodbav:"orderCreatedAt"`
	OrderBusinessDate string             `dynamodbav:"orderBusinessDate"`
	LocationID        string             `dynamodbav:"locationId"`
	RegisterID        string             `dynamodbav:"registerId,omitempty"`
	StaffID           string             `dynamodbav:"staffId,omitempty"`
	APIKeyID          string             `dynamodbav:"apiKeyId,omitempty"`
	Reason            string             `dynamodbav:"reason,omitempty"`
	Restock           bool               `dynamodbav:"restock"`
	Currency          string             `dynamodbav:"currency"`
	PricesIncludeTax  bool               `dynamodbav:"pricesIncludeTax"`
	Amount            int64              `dynamodbav:"amount"`
	TaxTotal          int64              `dynamodbav:"taxTotal"`
	Lines             []refundLineItem   `dynamodbav:"lines"`
	Taxes             []taxLineItem      `dynamodbav:"taxes"`
	Tenders           []refundTenderItem `dynamodbav:"tenders"`
	CreatedAt         string             `dynamodbav:"createdAt"`
	BusinessDate      string             `dynamodbav:"businessDate"`
}

type refundLineItem struct {
	LineID         string `dynamodbav:"lineId"`
	VariantID      string `dynamodbav:"variantId"`
	SKU            string `dynamodbav:"sku"`
	Name           string `dynamodbav:"name"`
	Quantity       int64  `dynamodbav:"quantity"`
	Amount         int64  `dynamodbav:"amount"`
	TaxCategory    string `dynamodbav:"taxCategory"`
	TaxRatePercent int    `dynamodbav:"taxRatePercent"`
	Restocked      bool   `dynamodbav:"restocked"`
}

type refundTenderItem struct {
	PaymentID string `dynamodbav:"paymentId"`
	Method    string `dynamodbav:"method"`
	Amount    int64  `dynamodbav:"amount"`
	Reference string `dynamodbav:"reference,omitempty"`
	// GiftCardNumber is the card a GIFT_CARD tender paid back onto.
	GiftCardNumber string `dynamodbav:"giftCardNumber,omitempty"`
}

func refundToItem(tpk string, r sales.Refund, o sales.Order) refundItem {
	it := refundItem{
		PK: refundPK(tpk, r.ID), SK: skRefund, Type: "Refund",
		GSI1PK: refundListPK(tpk, r.LocationID), GSI1SK: r.CreatedAt.UTC().Format(sortTime) + "#" + r.ID,
		ID: r.ID, OrderID: r.OrderID, OrderNumber: r.OrderNumber, OrderCreatedAt: fmtTime(o.CreatedAt), OrderBusinessDate: o.BusinessDate,
		LocationID: r.LocationID, RegisterID: r.RegisterID, StaffID: r.StaffID, APIKeyID: r.APIKeyID, Reason: r.Reason, Restock: r.Restock,
		Currency: r.Currency, PricesIncludeTax: r.PricesIncludeTax, Amount: r.Amount, TaxTotal: r.TaxTotal,
		Lines: []refundLineItem{}, Taxes: []taxLineItem{}, Tenders: []refundTenderItem{},
		CreatedAt: fmtTime(r.CreatedAt), BusinessDate: r.BusinessDate,
	}
	for _, l := range r.Lines {
		it.Lines = append(it.Lines, refundLineItem{LineID: l.LineID, VariantID: l.VariantID, SKU: l.SKU, Name: l.Name, Quantity: l.Quantity, Amount: l.Amount,
			TaxCategory: string(l.TaxCategory), TaxRatePercent: l.TaxRatePercent, Restocked: l.Restocked})
	}
	for _, t := range r.Taxes {
		it.Taxes = append(it.Taxes, taxLineItem{Category: string(t.Category), RatePercent: t.RatePercent, Taxable: t.Taxable, Tax: t.Tax})
	}
	for _, t := range r.Tenders {
		it.Tenders = append(it.Tenders, refundTenderItem{PaymentID: t.PaymentID, Method: string(t.Method), Amount: t.Amount, Reference: t.Reference,
			GiftCardNumber: t.GiftCardNumber})
	}
	return it
}

func (it refundItem) domain() sales.Refund {
	r := sales.Refund{
		ID: it.ID, OrderID: it.OrderID, OrderNumber: it.OrderNumber, LocationID: it.LocationID, RegisterID: it.RegisterID, StaffID: it.StaffID,
		APIKeyID: it.APIKeyID, Reason: it.Reason, Restock: it.Restock, Currency: it.Currency, PricesIncludeTax: it.PricesIncludeTax,
		Amount: it.Amount, TaxTotal: it.TaxTotal, CreatedAt: parseTime(it.CreatedAt), BusinessDate: it.BusinessDate,
	}
	for _, l := range it.Lines {
		r.Lines = append(r.Lines, sales.RefundLine{LineID: l.LineID, VariantID: l.VariantID, SKU: l.SKU, Name: l.Name, Quantity: l.Quantity, Amount: l.Amount,
			TaxCategory: tax.Category(l.TaxCategory), TaxRatePercent: l.TaxRatePercent, Restocked: l.Restocked})
	}
	for _, t := range it.Taxes {
		r.Taxes = append(r.Taxes, sales.TaxLine{Category: tax.Category(t.Category), RatePercent: t.RatePercent, Taxable: t.Taxable, Tax: t.Tax})
	}
	for _, t := range it.Tenders {
		r.Tenders = append(r.Tenders, sales.RefundTender{PaymentID: t.PaymentID, Method: sales.PaymentMethod(t.Method), Amount: t.Amount, Reference: t.Reference,
			GiftCardNumber: t.GiftCardNumber})
	}
	return r
}

// LoadRefund reads the idempotency record, the order and the tenant in one
// BatchGetItem.
func (st *RefundStore) LoadRefund(ctx context.Context, orderID string, idem idempotency.Request) (sales.RefundLoaded, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return sales.RefundLoaded{}, err
	}
	idemKey, err := st.t.idempotencyKey(ctx, idem)
	if err != nil {
		return sales.RefundLoaded{}, err
	}
	raws, err := st.t.BatchGet(ctx, []map[string]types.AttributeValue{idemKey, key(orderPK(tpk, orderID), skOrder), key(tpk, skTenant)})
	if err != nil {
		return sales.RefundLoaded{}, fmt.Errorf("load refund: %w", err)
	}
	var out sales.RefundLoaded
	tenantFound := false
	for _, raw := range raws {
		switch sk := raw[attrSK].(*types.AttributeValueMemberS).Value; sk {
		case "IDEM":
			res, err := matchIdempotency(raw, idem.Hash)
			if err != nil {
				return sales.RefundLoaded{}, err
			}
			out.ReplayRefundID = string(res)
		case skOrder:
			var it orderItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return sales.RefundLoaded{}, fmt.Errorf("decode order: %w", err)
			}
			out.Order, out.OrderFound = it.domain(), true
		case skTenant:
			var it tenantItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return sales.RefundLoaded{}, fmt.Errorf("decode tenant: %w", err)
			}
			out.Tenant, tenantFound = it.domain(), true
		}
	}
	if !tenantFound {
		return sales.RefundLoaded{}, errors.New("load refund: tenant record missing")
	}
	return out, nil
}

// LoadRefundPlace reads the location and the variant records in one
// BatchGetItem.
func (st *RefundStore) LoadRefundPlace(ctx context.Context, locationID string, variantIDs []string) (sales.RefundPlace, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return sales.RefundPlace{}, err
	}
	keys := []map[string]types.AttributeValue{key(tpk, skLocPrefix+locationID)}
	seen := map[string]bool{}
	for _, id := range variantIDs {
		if !seen[id] {
			seen[id] = true
			keys = append(keys, key(variantPK(tpk, id), skVariant))
		}
	}
	raws, err := st.t.batchGetConcurrently(ctx, keys)
	if err != nil {
		return sales.RefundPlace{}, fmt.Errorf("load refund location: %w", err)
	}
	out := sales.RefundPlace{Tracked: map[string]bool{}}
	for _, raw := range raws {
		if raw[attrSK].(*types.AttributeValueMemberS).Value == skVariant {
			var it variantItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return sales.RefundPlace{}, fmt.Errorf("decode variant: %w", err)
			}
			out.Tracked[it.ID] = it.TrackStock
			continue
		}
		var it locationItem
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return sales.RefundPlace{}, fmt.Errorf("decode location: %w", err)
		}
		out.Location, out.LocationFound = it.domain(), true
	}
	return out, nil
}

// GetRefund reads one refund.
func (st *RefundStore) GetRefund(ctx context.Context, id string) (sales.Refund, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return sales.Refund{}, err
	}
	it, err := getOrNotFound[refundItem](ctx, st.t, key(refundPK(tpk, id), skRefund), "refund", apperr.New(apperr.NotFound, "refund not found"))
	if err != nil {
		return sales.Refund{}, err
	}
	return it.domain(), nil
}

// SaveRefund writes the refund in one transaction: the idempotency record
// (TransactIdempotent puts it first), the refund item, the order's update
// under the number of refunds read and a refundable status, one commutative
// add per restocked variant (levelWrite, reason REFUND) and the
// order.refunded event: 4 + restocked variants actions.
func (st *RefundStore) SaveRefund(ctx context.Context, p sales.RefundPlan, idem idempotency.Request) (string, bool, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return "", false, err
	}
	r := p.Refund
	put, err := putNew(st.t, refundToItem(tpk, r, p.Order))
	if err != nil {
		return "", false, err
	}
	update, err := st.orderUpdate(tpk, p)
	if err != nil {
		return "", false, err
	}
	event, _, err := outboxPut(ctx, st.t, EventOrderRefunded, newOrderRefundedData(p), r.CreatedAt)
	if err != nil {
		return "", false, err
	}
	const orderAt = 1
	items := []types.TransactWriteItem{put, update, event}
	for _, k := range restocks(r) {
		values := map[string]types.AttributeValue{":back": n(k.quantity)}
		entry := levelChangeItem{Reason: string(inventory.ReasonRefund), Delta: k.quantity, Reference: r.ID, OccurredAt: fmtTime(r.CreatedAt)}
		items = append(items, levelWrite(st.t, tpk, r.LocationID, k.variantID, entry, levelOnHand{add: ":back"}, "", values))
	}
	// Gift card tenders: one REFUND activity per card, in this transaction.
	cards := cardRefunds(r)
	cardAt := make([]int, len(cards))
	for i, c := range cards {
		writes, err := GiftCardRefundWrites(ctx, st.t, GiftCardMove{Number: c.number, Amount: c.amount, By: staffKey(r.StaffID, r.APIKeyID),
			LocationID: r.LocationID, RegisterID: r.RegisterID, OrderID: r.OrderID, RefundID: r.ID, Reason: r.Reason, At: r.CreatedAt}, r.CreatedAt)
		if err != nil {
			return "", false, err
		}
		cardAt[i] = len(items) + GiftCardCardAction
		items = append(items, writes...)
	}
	stored, replayed, err := st.t.TransactIdempotent(ctx, idem, []byte(r.ID), items, r.CreatedAt)
	var ce *CanceledError
	if errors.As(err, &ce) && ce.Failed(orderAt) {
		return "", false, fmt.Errorf("save refund: %w", sales.ErrOrderMoved)
	}
	if errors.As(err, &ce) {
		for i, at := range cardAt {
			if ce.Failed(at) {
				return "", false, giftCardRefundRefusal(ce.Items[at], cards[i].amount, r.CreatedAt)
			}
		}
	}
	if err != nil {
		return "", false, fmt.Errorf("save refund: %w", err)
	}
	return string(stored), replayed, nil
}

// cardRefund is what a refund pays back onto one gift card.
type cardRefund struct {
	number string
	amount int64
}

// cardRefunds sums the refund's GIFT_CARD tenders per card, in first-tender
// order (a transaction writes a card once).
func cardRefunds(r sales.Refund) []cardRefund {
	var out []cardRefund
	for _, t := range r.Tenders {
		if t.Method != sales.GiftCard || t.Amount <= 0 {
			continue
		}
		if at := slices.IndexFunc(out, func(c cardRefund) bool { return c.number == t.GiftCardNumber }); at >= 0 {
			out[at].amount += t.Amount
		} else {
			out = append(out, cardRefund{t.GiftCardNumber, t.Amount})
		}
	}
	return out
}

// giftCardRefundRefusal is the userError of a card that would not take a
// refund back (gone, or deactivated): the refund can go onto another card
// (toGiftCardNumber).
func giftCardRefundRefusal(old map[string]types.AttributeValue, amount int64, now time.Time) error {
	err := GiftCardRefusal(old, amount, now, "input", "toGiftCardNumber")
	if e, ok := err.(*apperr.Error); ok {
		e.Message += "; refund onto another gift card with toGiftCardNumber"
	}
	return err
}

type restock struct {
	variantID string
	quantity  int64
}

// restocks sums the restocked units per variant, in first-line order.
func restocks(r sales.Refund) []restock {
	var out []restock
	for _, l := range r.Lines {
		if !l.Restocked || l.Quantity == 0 {
			continue
		}
		if at := slices.IndexFunc(out, func(k restock) bool { return k.variantID == l.VariantID }); at >= 0 {
			out[at].quantity += l.Quantity
			continue
		}
		out = append(out, restock{l.VariantID, l.Quantity})
	}
	return out
}

// orderUpdate writes the plan's order state: the refunded lines' and
// payments' new figures, the status, totals, the refund's summary and the
// refund count, under the count read and a refundable status.
func (st *RefundStore) orderUpdate(tpk string, p sales.RefundPlan) (types.TransactWriteItem, error) {
	o, r := p.Order, p.Refund
	taxes := make([]taxLineItem, 0, len(o.RefundedTaxes))
	for _, t := range o.RefundedTaxes {
		taxes = append(taxes, taxLineItem{Category: string(t.Category), RatePercent: t.RatePercent, Taxable: t.Taxable, Tax: t.Tax})
	}
	taxesAV, err := attributevalue.Marshal(taxes)
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("encode refunded taxes: %w", err)
	}
	summary, err := attributevalue.Marshal([]refundSummaryItem{summaryToItem(r.Summary())})
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("encode refund summary: %w", err)
	}
	values := map[string]types.AttributeValue{
		":status": s(string(o.Status)), ":count": n(int64(p.Read + 1)), ":total": n(o.RefundedTotal), ":taxes": taxesAV,
		":summary": summary, ":none": &types.AttributeValueMemberL{Value: []types.AttributeValue{}},
	}
	names := map[string]string{"#status": "status", "#refunds": "refunds"}
	set := "SET #status = :status, refundCount = :count, refundedTotal = :total, refundedTaxes = :taxes, #refunds = list_append(if_not_exists(#refunds, :none), :summary)"
	for _, l := range r.Lines {
		i := slices.IndexFunc(o.Lines, func(x sales.Line) bool { return x.ID == l.LineID })
		if i < 0 {
			return types.TransactWriteItem{}, fmt.Errorf("refund %s: line %s is not in the order", r.ID, l.LineID)
		}
		v := ":l" + strconv.Itoa(i)
		names["#lines"] = "lines"
		set += fmt.Sprintf(", #lines[%d].refundedQuantity = %s", i, v)
		values[v] = n(o.Lines[i].RefundedQuantity)
	}
	for _, t := range r.Tenders {
		i := slices.IndexFunc(o.Payments, func(x sales.Payment) bool { return x.ID == t.PaymentID })
		if i < 0 {
			return types.TransactWriteItem{}, fmt.Errorf("refund %s: payment %s is not in the order", r.ID, t.PaymentID)
		}
		v := ":p" + strconv.Itoa(i)
		names["#payments"] = "payments" // absent from a refund of nothing (a sale of total 0): DynamoDB refuses unused names
		set += fmt.Sprintf(", #payments[%d].refunded = %s, #payments[%d].#status = %ss", i, v, i, v)
		values[v], values[v+"s"] = n(o.Payments[i].Refunded), s(string(o.Payments[i].Status))
	}
	cond := refundableCondition(p, names, values, r.CreatedAt)
	return types.TransactWriteItem{Update: &types.Update{
		TableName: &st.t.name, Key: key(orderPK(tpk, o.ID), skOrder),
		UpdateExpression: aws.String(set + " REMOVE refundClaim"), ConditionExpression: aws.String(cond),
		ExpressionAttributeNames: names, ExpressionAttributeValues: values,
	}}, nil
}

// refundableCondition is what a refund's writes of the order require: the
// order exists, is refundable, still has the refunds read, and no other
// request holds a live claim on it (refundClaim: {hash, until}).
func refundableCondition(p sales.RefundPlan, names map[string]string, values map[string]types.AttributeValue, now time.Time) string {
	names["#status"], names["#hash"], names["#until"] = "status", "hash", "until"
	values[":completed"], values[":partial"] = s(string(sales.StatusCompleted)), s(string(sales.StatusPartiallyRefunded))
	values[":claim"], values[":now"] = s(p.Claim), s(now.UTC().Format(sortTime)) // fixed width: compares as text
	cond := "attribute_exists(pk) AND #status IN (:completed, :partial) AND " +
		"(attribute_not_exists(refundClaim) OR refundClaim.#hash = :claim OR refundClaim.#until < :now) AND "
	if p.Read == 0 {
		return cond + "attribute_not_exists(refundCount)"
	}
	values[":read"] = n(int64(p.Read))
	return cond + "refundCount = :read"
}

// ClaimCardRefund sets the order's refundClaim to the plan's request until
// the given time, under the same condition as the refund's write.
func (st *RefundStore) ClaimCardRefund(ctx context.Context, p sales.RefundPlan, until time.Time) error {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return err
	}
	names, values := map[string]string{}, map[string]types.AttributeValue{
		":c": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"hash": s(p.Claim), "until": s(until.UTC().Format(sortTime))}},
	}
	cond := refundableCondition(p, names, values, p.Refund.CreatedAt)
	cctx, cancel := st.t.call(ctx)
	defer cancel()
	_, err = st.t.client.UpdateItem(cctx, &dynamodb.UpdateItemInput{
		TableName: &st.t.name, Key: key(orderPK(tpk, p.Order.ID), skOrder),
		UpdateExpression: aws.String("SET refundClaim = :c"), ConditionExpression: aws.String(cond),
		ExpressionAttributeNames: names, ExpressionAttributeValues: values,
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return fmt.Errorf("claim the order for a card refund: %w", sales.ErrOrderMoved)
	}
	if err != nil {
		return fmt.Errorf("claim the order for a card refund: %w", err)
	}
	return nil
}

// orderRefundedData is the data of the order.refunded outbox event: what a
// report needs to aggregate refunds from the stream. Its lists are never
// null.
type orderRefundedData struct {
	RefundID          string                    `json:"refundId"`
	OrderID           string                    `json:"orderId"`
	OrderNumber       string                    `json:"orderNumber"`
	LocationID        string                    `json:"locationId"`
	RegisterID        string                    `json:"registerId,omitempty"`
	BusinessDate      string                    `json:"businessDate"`
	OrderBusinessDate string                    `json:"orderBusinessDate"`
	StaffID           string                    `json:"staffId,omitempty"`
	APIKeyID          string                    `json:"apiKeyId,omitempty"`
	Currency          string                    `json:"currency"`
	PricesIncludeTax  bool                      `json:"pricesIncludeTax"`
	Amount            int64                     `json:"amount"`
	TaxTotal          int64                     `json:"taxTotal"`
	Restock           bool                      `json:"restock"`
	OrderStatus       string                    `json:"orderStatus"`
	Lines             []orderRefundedLineData   `json:"lines"`
	Taxes             []orderRefundedTaxData    `json:"taxes"`
	Tenders           []orderRefundedTenderData `json:"tenders"`
	OccurredAt        time.Time                 `json:"occurredAt"`
}

type orderRefundedLineData struct {
	LineID         string `json:"lineId"`
	VariantID      string `json:"variantId"`
	SKU            string `json:"sku"`
	Quantity       int64  `json:"quantity"`
	Amount         int64  `json:"amount"`
	TaxCategory    string `json:"taxCategory"`
	TaxRatePercent int    `json:"taxRatePercent"`
}

type orderRefundedTaxData struct {
	TaxCategory string `json:"taxCategory"`
	RatePercent int    `json:"ratePercent"`
	Taxable     int64  `json:"taxable"`
	Tax         int64  `json:"tax"`
}

type orderRefundedTenderData struct {
	Method string `json:"method"`
	Amount int64  `json:"amount"`
}

func newOrderRefundedData(p sales.RefundPlan) orderRefundedData {
	r, o := p.Refund, p.Order
	e := orderRefundedData{RefundID: r.ID, OrderID: r.OrderID, OrderNumber: r.OrderNumber, LocationID: r.LocationID, RegisterID: r.RegisterID,
		BusinessDate: r.BusinessDate, OrderBusinessDate: o.BusinessDate, StaffID: r.StaffID, APIKeyID: r.APIKeyID, Currency: r.Currency,
		PricesIncludeTax: r.PricesIncludeTax, Amount: r.Amount, TaxTotal: r.TaxTotal, Restock: r.Restock, OrderStatus: string(o.Status),
		Lines: []orderRefundedLineData{}, Taxes: []orderRefundedTaxData{}, Tenders: []orderRefundedTenderData{}, OccurredAt: r.CreatedAt}
	for _, l := range r.Lines {
		e.Lines = append(e.Lines, orderRefundedLineData{LineID: l.LineID, VariantID: l.VariantID, SKU: l.SKU, Quantity: l.Quantity, Amount: l.Amount,
			TaxCategory: string(l.TaxCategory), TaxRatePercent: l.TaxRatePercent})
	}
	for _, t := range r.Taxes {
		e.Taxes = append(e.Taxes, orderRefundedTaxData{TaxCategory: string(t.Category), RatePercent: t.RatePercent, Taxable: t.Taxable, Tax: t.Tax})
	}
	for _, t := range r.Tenders {
		e.Tenders = append(e.Tenders, orderRefundedTenderData{Method: string(t.Method), Amount: t.Amount})
	}
	return e
}
