package freee_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/connectors/freee/freeefake"
	"github.com/renkei-pos/renkei/shared/dynamo"
	"github.com/renkei-pos/renkei/shared/dynamo/dynamotest"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/sales"
	"github.com/renkei-pos/renkei/shared/tax"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// TestConnector_Run_StoredCloseEvent: the register.closed event exactly as
// the store writes it to the outbox (read back through EventFromImage, as
// the stream consumer does) posts the worked example of the docs.
func TestConnector_Run_StoredCloseEvent(t *testing.T) {
	tbl := dynamotest.MustTable(t, "freee")
	tn := dynamotest.MustTenant(t, tbl, "freee shop")
	ctx := tenant.WithID(t.Context(), tn.ID)
	loc := ids.New(ids.Location)
	c := sales.RegisterClose{ID: ids.New("cls"), LocationID: loc, BusinessDate: "2026-11-30", Revision: 1, Currency: "JPY",
		ClosedAt: time.Now().UTC(), CloseFigures: sales.CloseFigures{OrderCount: 12, Gross: 44800, Net: 44800,
			Taxes: []sales.TaxLine{{Category: tax.Standard, RatePercent: 10, Taxable: 33000, Tax: 3000},
				{Category: tax.Reduced, RatePercent: 8, Taxable: 10800, Tax: 800}, {Category: tax.Exempt, Taxable: 1000}},
			Payments: []sales.PaymentTotal{{Method: sales.Cash, Amount: 20800}, {Method: sales.Card, Amount: 21000}, {Method: sales.External, Amount: 3000}}}}
	if _, _, err := dynamo.NewSalesStore(tbl).SaveClose(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	out, err := tbl.Client().Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(tbl.Name()), FilterExpression: aws.String("eventType = :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberS{Value: "register.closed"}}})
	if err != nil || len(out.Items) != 1 {
		t.Fatalf("outbox: %d register.closed items, %v", len(out.Items), err)
	}
	ev, ok, err := dynamo.EventFromImage(out.Items[0])
	if err != nil || !ok {
		t.Fatalf("EventFromImage: %v %v", ok, err)
	}

	r := newRig(t)
	if err := r.run(t, ev.Integration()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	d := oneDeal(t, r.f)
	if d.Amount() != 44800 || detailOf(t, d, 129).Vat != 3000 || detailOf(t, d, 156).Amount != 10800 || detailOf(t, d, 2).Amount != 1000 ||
		paymentOf(t, d, "wallet", 1).Amount != 20800 || paymentOf(t, d, "bank_account", 2).Amount != 21000 || paymentOf(t, d, "wallet", 3).Amount != 3000 {
		t.Fatalf("deal %+v", d)
	}
	if d.CompanyID != freeefake.DefaultCompanyID || d.IssueDate != "2026-11-30" {
		t.Fatalf("deal %+v", d)
	}
}
