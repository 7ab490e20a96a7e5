package bench

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/renkei-pos/renkei/shared/stack"
)

// wcuMeter asks DynamoDB for the capacity every TransactWriteItems consumed
// (ReturnConsumedCapacity INDEXES; DynamoDB Local reports it, transactional
// rate included) and keeps the last transaction's figures and items.
type wcuMeter struct {
	mu      sync.Mutex
	total   float64
	byIndex map[string]float64 // "table", "gsi1", "gsi2"
	items   []types.TransactWriteItem
}

func (m *wcuMeter) option(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("wcu", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			tw, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput)
			if ok {
				tw.ReturnConsumedCapacity = types.ReturnConsumedCapacityIndexes
			}
			out, md, err := next.HandleInitialize(ctx, in)
			if res, isTW := out.Result.(*dynamodb.TransactWriteItemsOutput); ok && isTW && err == nil {
				m.mu.Lock()
				m.total, m.byIndex, m.items = 0, map[string]float64{}, tw.TransactItems
				for _, c := range res.ConsumedCapacity {
					m.total += val(c.CapacityUnits)
					if c.Table != nil {
						m.byIndex["table"] += val(c.Table.CapacityUnits)
					}
					for name, ic := range c.GlobalSecondaryIndexes {
						m.byIndex[name] += val(ic.CapacityUnits)
					}
				}
				m.mu.Unlock()
			}
			return out, md, err
		}), middleware.Before)
	})
}

func val(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// BenchmarkWriteUnits reports the write units of one checkout transaction,
// as DynamoDB (Local) reports them: a small sale (1 line, cash, no
// customer) and a maximum-size one (100 lines over 47 variants with
// 200-character item and variant names of 3-byte characters, 64-character
// SKUs, 10 EXTERNAL payments with 128-character references, a customer).
// Transactional writes cost 2 units per KB on the table and on each index
// the write touches. It logs each Put's item size (DynamoDB's size rules).
func BenchmarkWriteUnits(b *testing.B) {
	meter := &wcuMeter{}
	l, err := stack.StartLocal(b.Context(), stack.LocalConfig{Rates: stack.Rates{Public: 100000, Tenant: 100000}, DynamoDBOptions: []func(*dynamodb.Options){meter.option}})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close(context.Background())
	token := call(b, l.URL, "", signUpQ, signUpVars())["signUp"].(map[string]any)["accessToken"].(string)
	long := func(n int) string { return strings.Repeat("日", n) }
	var vars []string
	for it := 0; len(vars) < 47; it++ {
		var vs []any
		for v := 0; v < 20; v++ {
			vs = append(vs, map[string]any{"name": fmt.Sprintf("%02d%s", v, long(198)), "sku": fmt.Sprintf("W%d-%02d-%s", it, v, strings.Repeat("S", 58)), "trackStock": true,
				"price": map[string]any{"amount": 100, "currency": "JPY"}})
		}
		d := call(b, l.URL, token, `mutation($in: UpsertItemInput!) { upsertItem(input: $in) { item { variants { id } } userErrors { code message } } }`,
			map[string]any{"in": map[string]any{"name": fmt.Sprintf("%d%s", it, long(199)), "taxCategory": "STANDARD", "variants": vs}})
		for _, v := range d["upsertItem"].(map[string]any)["item"].(map[string]any)["variants"].([]any) {
			vars = append(vars, v.(map[string]any)["id"].(string))
		}
	}
	vars = vars[:47]
	d := call(b, l.URL, token, `mutation($in: CreateLocationInput!) { createLocation(input: $in) { location { id } } }`, map[string]any{"in": map[string]any{"name": "W"}})
	loc := d["createLocation"].(map[string]any)["location"].(map[string]any)["id"].(string)
	var changes []any
	for _, v := range vars {
		changes = append(changes, map[string]any{"variantId": v, "setTo": benchStock, "reason": "RECEIVED"})
	}
	call(b, l.URL, token, `mutation($in: AdjustInventoryInput!) { adjustInventory(input: $in) { userErrors { code message } } }`,
		map[string]any{"in": map[string]any{"idempotencyKey": "stock-w", "locationId": loc, "changes": changes}})
	d = call(b, l.URL, token, `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { customer { id } } }`, map[string]any{"in": map[string]any{"name": "Customer"}})
	cust := d["createCustomer"].(map[string]any)["customer"].(map[string]any)["id"].(string)

	small := func(i int) map[string]any {
		return map[string]any{"idempotencyKey": fmt.Sprint("wcu-small-", i), "locationId": loc, "lines": []any{map[string]any{"variantId": vars[0], "quantity": 1}},
			"payments": []any{map[string]any{"method": "CASH", "amount": map[string]any{"amount": 100, "currency": "JPY"}, "tendered": map[string]any{"amount": 1000, "currency": "JPY"}}}}
	}
	largest := func(i int) map[string]any {
		var lines, pays []any
		for n := range 100 {
			lines = append(lines, map[string]any{"variantId": vars[n%47], "quantity": 1})
		}
		for n := range 10 {
			pays = append(pays, map[string]any{"method": "EXTERNAL", "amount": map[string]any{"amount": 1000, "currency": "JPY"}, "reference": fmt.Sprintf("%02d%s", n, strings.Repeat("R", 126))})
		}
		return map[string]any{"idempotencyKey": fmt.Sprint("wcu-max-", i), "locationId": loc, "customerId": cust, "lines": lines, "payments": pays}
	}
	for _, c := range []struct {
		name string
		in   func(int) map[string]any
	}{{"small-1-line", small}, {"max-100-lines", largest}} {
		b.Run(c.name, func(b *testing.B) {
			for i := range b.N {
				d := call(b, l.URL, token, checkoutQ, map[string]any{"in": c.in(i)})
				if ue := d["checkout"].(map[string]any)["userErrors"].([]any); len(ue) > 0 {
					b.Fatalf("checkout: %v", ue)
				}
			}
			meter.mu.Lock()
			defer meter.mu.Unlock()
			b.ReportMetric(meter.total, "WCU/checkout")
			b.ReportMetric(meter.byIndex["table"], "table-WCU")
			b.ReportMetric(meter.byIndex["gsi1"], "gsi1-WCU")
			b.ReportMetric(meter.byIndex["gsi2"], "gsi2-WCU")
			var sizes []string
			for _, it := range meter.items {
				if it.Put != nil {
					sizes = append(sizes, fmt.Sprintf("%s %.1f KB", itemType(it.Put.Item), float64(itemSize(it.Put.Item))/1024))
				}
			}
			sort.Strings(sizes)
			rule := ruleWCU(b, l.DynamoDB, meter.items)
			b.ReportMetric(rule["table"]+rule["gsi1"]+rule["gsi2"], "rule-WCU/checkout")
			b.Logf("%s: DynamoDB Local reports %.0f WCU (table %.0f, gsi1 %.0f, gsi2 %.0f) over %d actions; by the WCU rules %.0f (table %.0f, gsi1 %.0f, gsi2 %.0f); puts: %s",
				c.name, meter.total, meter.byIndex["table"], meter.byIndex["gsi1"], meter.byIndex["gsi2"], len(meter.items),
				rule["table"]+rule["gsi1"]+rule["gsi2"], rule["table"], rule["gsi1"], rule["gsi2"], strings.Join(sizes, ", "))
		})
	}
}

// ruleWCU computes a checkout transaction's write units by DynamoDB's
// rules, from the items as stored after it: a transactional write costs 2
// units per started KB of the item, on the table and on each index the
// write touches. A Put of an item with an index's keys writes that index
// entry (the whole item under ALL; its keys and projected attributes under
// INCLUDE); an Update writes an ALL index whenever the item is in it, an
// INCLUDE index only when a key or projected attribute changes — and the
// checkout's Updates (the register's sequence, the stock takes) change
// none. (DynamoDB Local's own figure leaves out the Updates of a
// transaction, so this is the one to plan with.)
func ruleWCU(b *testing.B, c *dynamodb.Client, items []types.TransactWriteItem) map[string]float64 {
	units := func(size int) float64 { return 2 * math.Ceil(float64(size)/1024) }
	out := map[string]float64{}
	var desc *types.TableDescription
	for _, it := range items {
		var name *string
		var item map[string]types.AttributeValue
		isPut := it.Put != nil
		switch {
		case isPut:
			name, item = it.Put.TableName, it.Put.Item
		case it.Update != nil:
			name = it.Update.TableName
			got, err := c.GetItem(b.Context(), &dynamodb.GetItemInput{TableName: name, Key: it.Update.Key, ConsistentRead: aws.Bool(true)})
			if err != nil {
				b.Fatal(err)
			}
			item = got.Item
		default:
			continue
		}
		if desc == nil {
			d, err := c.DescribeTable(b.Context(), &dynamodb.DescribeTableInput{TableName: name})
			if err != nil {
				b.Fatal(err)
			}
			desc = d.Table
		}
		out["table"] += units(itemSize(item))
		for _, g := range desc.GlobalSecondaryIndexes {
			idx := *g.IndexName
			if _, in := item[idx+"pk"]; !in {
				continue
			}
			all := g.Projection.ProjectionType == types.ProjectionTypeAll
			switch {
			case all:
				out[idx] += units(itemSize(item))
			case isPut:
				entry := map[string]types.AttributeValue{}
				for _, a := range append([]string{"pk", "sk", idx + "pk", idx + "sk"}, g.Projection.NonKeyAttributes...) {
					if v, ok := item[a]; ok {
						entry[a] = v
					}
				}
				out[idx] += units(itemSize(entry))
			}
		}
	}
	return out
}

func itemType(it map[string]types.AttributeValue) string {
	if t, ok := it["type"].(*types.AttributeValueMemberS); ok {
		return t.Value
	}
	if sk, ok := it["sk"].(*types.AttributeValueMemberS); ok {
		return sk.Value
	}
	return "?"
}

// itemSize is an item's size by DynamoDB's rules: each attribute's name in
// bytes plus its value (strings and binaries their length, numbers about
// one byte per two significant digits plus one, lists and maps 3 bytes
// plus one per element plus their elements).
func itemSize(it map[string]types.AttributeValue) int {
	n := 0
	for k, v := range it {
		n += len(k) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		digits := len(strings.TrimLeft(strings.NewReplacer("-", "", ".", "").Replace(v.Value), "0"))
		return int(math.Ceil(float64(digits)/2)) + 1
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += 1 + len(k) + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberSS:
		n := 0
		for _, e := range v.Value {
			n += len(e)
		}
		return n
	}
	return 0
}
