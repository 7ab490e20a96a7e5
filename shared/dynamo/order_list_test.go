package dynamo

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/sales"
)

func TestSalesStore_ListOrders(t *testing.T) {
	sh := newShop(t, mustTable(t), 0)
	sh.allowNegative(t)
	base := time.Now().Add(-10 * time.Hour).UTC()
	var want []string
	for i := 0; i < 5; i++ {
		at := base.Add(time.Duration(i) * time.Hour)
		sh.svc.Now = func() time.Time { return at }
		o, err := sh.checkout(t, fmt.Sprint("l", i), 1)
		if err != nil {
			t.Fatal(err)
		}
		want = append([]string{o.ID}, want...) // newest first
	}
	var got []string
	after := ""
	for page := 0; page < 5; page++ {
		os, next, err := sh.st.ListOrders(sh.ctx, sales.OrderFilter{}, 2, after)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range os {
			got = append(got, o.ID)
		}
		if next == "" {
			break
		}
		after = next
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("pages = %v, want %v", got, want)
	}
	ranged, _, err := sh.st.ListOrders(sh.ctx, sales.OrderFilter{LocationIDs: []string{sh.loc.ID}, From: base.Add(time.Hour), To: base.Add(3 * time.Hour)}, 50, "")
	if err != nil || len(ranged) != 3 || ranged[0].ID != want[1] {
		t.Fatalf("range: %d orders, %v", len(ranged), err)
	}
	if none, _, _ := sh.st.ListOrders(sh.ctx, sales.OrderFilter{Status: sales.StatusRefunded}, 50, ""); len(none) != 0 {
		t.Fatalf("status filter returned %d", len(none))
	}
	if other, _, _ := sh.st.ListOrders(tenantCtx(t), sales.OrderFilter{LocationIDs: []string{sh.loc.ID}}, 50, ""); len(other) != 0 {
		t.Fatalf("another tenant listed %d orders", len(other))
	}
	if _, _, err := sh.st.ListOrders(sh.ctx, sales.OrderFilter{}, 2, "%%%"); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("bad cursor err = %v", err)
	}
}

// putOrders writes orders as they are stored, bypassing checkout (statuses
// a checkout never gives, many orders fast).
func putOrders(tb testing.TB, t *Table, ctx context.Context, os ...sales.Order) {
	tb.Helper()
	tpk, err := tenantPK(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	for _, o := range os {
		av, err := attributevalue.MarshalMap(orderToItem(tpk, o))
		if err == nil {
			_, err = t.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &t.name, Item: av})
		}
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// pageAll follows a listing's cursors to the end (at most 100 pages) and
// returns the order ids in the order listed and the size of every page.
func pageAll(tb testing.TB, l orderLister, ctx context.Context, f sales.OrderFilter, first int) (ids []string, sizes []int) {
	tb.Helper()
	after := ""
	for range 100 {
		os, next, err := l.list(ctx, f, first, after)
		if err != nil {
			tb.Fatal(err)
		}
		sizes = append(sizes, len(os))
		for _, o := range os {
			ids = append(ids, o.ID)
		}
		if next == "" {
			return ids, sizes
		}
		after = next
	}
	tb.Fatal("the listing never ended")
	return nil, nil
}

func TestOrderLister_ReadBudget(t *testing.T) {
	tb := mustTable(t)
	ctx := tenantCtx(t)
	loc1, loc2 := ids.New(ids.Location), ids.New(ids.Location)
	cust := ids.New(sales.CustomerIDPrefix)
	base := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	// 30 orders, newest last: every fifth is COMPLETED, the rest CANCELED;
	// alternating locations; every third has the customer.
	var completed, customerAt1, all []string
	var os []sales.Order
	for i := range 30 {
		o := sales.Order{ID: ids.NewAt("ord", base), LocationID: loc1, Status: sales.StatusCanceled, Currency: "JPY", CreatedAt: base.Add(time.Duration(i) * time.Minute)}
		if i%2 == 1 {
			o.LocationID = loc2
		}
		if i%5 == 0 {
			o.Status = sales.StatusCompleted
			completed = append([]string{o.ID}, completed...)
		}
		if i%3 == 0 {
			o.CustomerID = cust
			if o.LocationID == loc1 {
				customerAt1 = append([]string{o.ID}, customerAt1...)
			}
		}
		all = append([]string{o.ID}, all...)
		os = append(os, o)
	}
	putOrders(t, tb, ctx, os...)
	small := orderLister{t: tb, pages: 2, pageSize: 3} // 6 orders read per listing at most

	for _, tc := range []struct {
		name  string
		f     sales.OrderFilter
		first int
		want  []string
	}{
		{"status over two locations", sales.OrderFilter{Status: sales.StatusCompleted, LocationIDs: []string{loc1, loc2}}, 2, completed},
		{"a customer at one location", sales.OrderFilter{CustomerID: cust, LocationIDs: []string{loc1}}, 2, customerAt1},
		{"no filter", sales.OrderFilter{LocationIDs: []string{loc2, loc1}}, 7, all},
		{"a status nothing has", sales.OrderFilter{Status: sales.StatusRefunded, LocationIDs: []string{loc1}}, 5, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, sizes := pageAll(t, small, ctx, tc.f, tc.first)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
				t.Fatalf("listed %v\nwant   %v (pages %v)", got, tc.want, sizes)
			}
			if tc.f.Status != "" && tc.f.LocationIDs != nil && len(sizes) < 2 {
				t.Fatalf("pages %v: the budget never ran out, the test proves nothing", sizes)
			}
		})
	}
	t.Run("a spent budget answers a cursor, never the end", func(t *testing.T) {
		os, next, err := small.list(ctx, sales.OrderFilter{Status: sales.StatusRefunded, LocationIDs: []string{loc1}}, 5, "")
		if err != nil || len(os) != 0 || next == "" {
			t.Fatalf("orders %d, next %q, err %v", len(os), next, err)
		}
	})
}

func TestOrderLister_Cursors(t *testing.T) {
	tb := mustTable(t)
	ctx := tenantCtx(t)
	loc := ids.New(ids.Location)
	base := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	for i := range 3 {
		putOrders(t, tb, ctx, sales.Order{ID: ids.NewAt("ord", base), LocationID: loc, Status: sales.StatusCompleted, Currency: "JPY", CreatedAt: base.Add(time.Duration(i) * time.Minute)})
	}
	st := NewSalesStore(tb)
	f := sales.OrderFilter{LocationIDs: []string{loc}}
	_, next, err := st.ListOrders(ctx, f, 1, "")
	if err != nil || next == "" {
		t.Fatalf("next %q, err %v", next, err)
	}
	raw, _ := decodeCursor(next)
	for name, tc := range map[string]struct {
		f     sales.OrderFilter
		after string
	}{
		"garbled":                     {f, "%%%"},
		"not base64url":               {f, "a b"},
		"a bare sort key":             {f, encodeCursor(raw[17:])},
		"another status":              {sales.OrderFilter{LocationIDs: f.LocationIDs, Status: sales.StatusCompleted}, next},
		"another location set":        {sales.OrderFilter{}, next},
		"another range":               {sales.OrderFilter{LocationIDs: f.LocationIDs, From: base}, next},
		"a customer listing's cursor": {sales.OrderFilter{CustomerID: ids.New(sales.CustomerIDPrefix)}, next},
		"a forged tag, junk key":      {f, encodeCursor(raw[:17] + "zzz")},
		"very long":                   {f, string(slices.Repeat([]byte("A"), 5000))},
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := st.ListOrders(ctx, tc.f, 1, tc.after); apperr.CodeOf(err) != apperr.Invalid {
				t.Fatalf("err = %v, want INVALID", err)
			}
		})
	}
	t.Run("the same query continues", func(t *testing.T) {
		os, _, err := st.ListOrders(ctx, sales.OrderFilter{LocationIDs: []string{loc}}, 1, next)
		if err != nil || len(os) != 1 {
			t.Fatalf("%d orders, %v", len(os), err)
		}
	})
}
