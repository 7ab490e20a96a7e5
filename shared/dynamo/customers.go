package dynamo

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/sales"
)

// Customers: pk `T#<tid>#CUST#<id>`, sk `CUST`; gsi1 lists them by name
// (`T#<tid>#CUSTOMERS`, `<lower(name)>#<id>`), so a name-prefix search is a
// begins_with query.

const skCustomer = "CUST"

func customerPK(tpk, id string) string { return tpk + "#CUST#" + id }

type customerItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	Type      string `dynamodbav:"type"`
	GSI1PK    string `dynamodbav:"gsi1pk"`
	GSI1SK    string `dynamodbav:"gsi1sk"`
	ID        string `dynamodbav:"id"`
	Name      string `dynamodbav:"name"`
	Email     string `dynamodbav:"email,omitempty"`
	Phone     string `dynamodbav:"phone,omitempty"`
	CreatedAt string `dynamodbav:"createdAt"`
}

func (it customerItem) domain() sales.Customer {
	return sales.Customer{ID: it.ID, Name: it.Name, Email: it.Email, Phone: it.Phone, CreatedAt: parseTime(it.CreatedAt)}
}

// customerCreatedData is the `data` of a customer.created event; email and
// phone are absent when unknown.
type customerCreatedData struct {
	CustomerID string `json:"customerId"`
	Name       string `json:"name"`
	Email      string `json:"email,omitempty"`
	Phone      string `json:"phone,omitempty"`
	CreatedAt  string `json:"createdAt"`
}

// CreateCustomer writes a new customer and its customer.created outbox
// event in one transaction.
func (st *SalesStore) CreateCustomer(ctx context.Context, c sales.Customer) error {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return err
	}
	put, err := putNew(st.t, customerItem{PK: customerPK(tpk, c.ID), SK: skCustomer, Type: "Customer", GSI1PK: tpk + "#CUSTOMERS",
		GSI1SK: strings.ToLower(c.Name) + "#" + c.ID, ID: c.ID, Name: c.Name, Email: c.Email, Phone: c.Phone, CreatedAt: fmtTime(c.CreatedAt)})
	if err != nil {
		return err
	}
	event, _, err := outboxPut(ctx, st.t, EventCustomerCreated,
		customerCreatedData{CustomerID: c.ID, Name: c.Name, Email: c.Email, Phone: c.Phone, CreatedAt: fmtTime(c.CreatedAt)}, c.CreatedAt)
	if err != nil {
		return err
	}
	if err := st.t.Transact(ctx, []types.TransactWriteItem{put, event}); err != nil {
		return fmt.Errorf("create customer: %w", err)
	}
	return nil
}

// GetCustomers batch-reads customers of the tenant in ctx.
func (st *SalesStore) GetCustomers(ctx context.Context, ids []string) ([]sales.Customer, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return nil, err
	}
	var keys []map[string]types.AttributeValue
	seen := map[string]bool{}
	for _, id := range ids {
		if !seen[id] && id != "" {
			seen[id] = true
			keys = append(keys, key(customerPK(tpk, id), skCustomer))
		}
	}
	items, err := batchGetAs[customerItem](ctx, st.t, keys, "customer")
	if err != nil {
		return nil, err
	}
	out := make([]sales.Customer, 0, len(items))
	for _, it := range items {
		out = append(out, it.domain())
	}
	return out, nil
}

// ListCustomers pages through customers by name, or by name prefix. The
// cursor names the prefix it was made for.
func (st *SalesStore) ListCustomers(ctx context.Context, query string, first int, after string) ([]sales.Customer, string, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return nil, "", err
	}
	q := strings.ToLower(strings.TrimSpace(query))
	bound := "customers|" + q
	in := &dynamodb.QueryInput{
		TableName: &st.t.name, IndexName: aws.String(IndexGSI1),
		KeyConditionExpression:    aws.String("gsi1pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(tpk + "#CUSTOMERS")},
	}
	if q != "" {
		in.KeyConditionExpression = aws.String("gsi1pk = :pk AND begins_with(gsi1sk, :q)")
		in.ExpressionAttributeValues[":q"] = s(q)
	}
	if after != "" {
		sk, ok := unbindCursor(bound, after)
		i := strings.LastIndexByte(sk, '#')
		if !ok || i < 0 || !strings.HasPrefix(sk, q) || !ids.Valid(sales.CustomerIDPrefix, sk[i+1:]) {
			return nil, "", errCursor()
		}
		in.ExclusiveStartKey = map[string]types.AttributeValue{"gsi1pk": s(tpk + "#CUSTOMERS"), "gsi1sk": s(sk), attrPK: s(customerPK(tpk, sk[i+1:])), attrSK: s(skCustomer)}
	}
	recs, err := queryItems[customerItem](ctx, st.t, in, first+1, nil)
	if err != nil {
		return nil, "", fmt.Errorf("list customers: %w", err)
	}
	recs, next := cutPage(recs, first, bound, func(it customerItem) string { return it.GSI1SK })
	list := make([]sales.Customer, len(recs))
	for i, it := range recs {
		list[i] = it.domain()
	}
	return list, next, nil
}
