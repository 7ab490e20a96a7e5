package tests

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// These tests drive several registers (レジ) of one location at once, as a
// busy store does (issue 7): sales of one item must not oversell, and every
// register numbers its own orders LLL-RR-NNNNNN without gaps.

// till is a register as a POS app knows it.
type till struct {
	id     string
	number int
}

const tillCheckoutMutation = `mutation($in: CheckoutInput!) { checkout(input: $in) {
  order { id number register { id number } receipt { text } }
  userErrors { field message code } } }`

// orderNumberPattern is LLL-RR-NNNNNN: location, register, sequence.
var orderNumberPattern = regexp.MustCompile(`^(\d{3})-(\d{2})-(\d{6})$`)

// tillsAt returns n registers of a location, numbers 1…n: register 1, which
// the location was created with, and n-1 created here.
func tillsAt(tb testing.TB, m merchant, loc string, n int) []till {
	tb.Helper()
	for i := 2; i <= n; i++ {
		r := gql(tb, m.token, `mutation($in: CreateRegisterInput!) { createRegister(input: $in) { register { id number name } userErrors { field message code } } }`,
			map[string]any{"in": map[string]any{"locationId": loc, "name": fmt.Sprint("レジ", i)}})
		mustOK(tb, r, "createRegister")
		if got := num(tb, r.Data, "createRegister.register.number"); got != int64(i) {
			tb.Fatalf("register created as number %d, want %d", got, i)
		}
	}
	tills := registersAt(tb, m, loc)
	if len(tills) != n {
		tb.Fatalf("registers(locationId) = %v, want %d", tills, n)
	}
	for i, t := range tills {
		if t.number != i+1 || t.id == "" {
			tb.Fatalf("registers(locationId) = %v, want numbers 1…%d", tills, n)
		}
	}
	return tills
}

// registersAt lists a location's POS registers by number (its integration
// register takes no checkout).
func registersAt(tb testing.TB, m merchant, loc string) []till {
	tb.Helper()
	r := gql(tb, m.token, `query($loc: ID!) { registers(locationId: $loc) { id number kind } }`, map[string]any{"loc": loc})
	mustOK(tb, r, "")
	var tills []till
	for _, x := range field(tb, r.Data, "registers").([]any) {
		reg := x.(map[string]any)
		if reg["kind"] == "POS" {
			tills = append(tills, till{id: reg["id"].(string), number: int(reg["number"].(float64))})
		}
	}
	sort.Slice(tills, func(i, j int) bool { return tills[i].number < tills[j].number })
	return tills
}

// sellOne sells one unit of a variant at a register, paid in cash.
func sellOne(tb testing.TB, m merchant, loc string, t till, variant string, price int64, key string) gqlResponse {
	tb.Helper()
	return gql(tb, m.token, tillCheckoutMutation, map[string]any{"in": map[string]any{"idempotencyKey": key, "locationId": loc, "registerId": t.id,
		"lines": []any{map[string]any{"variantId": variant, "quantity": 1}}, "payments": []any{cashPayment(price, price)}}})
}

// checkTillNumber fails unless an order number is LLL-RR-NNNNNN for this
// location number and register, and returns its sequence.
func checkTillNumber(tb testing.TB, number string, location int, t till) int {
	tb.Helper()
	p := orderNumberPattern.FindStringSubmatch(number)
	if p == nil {
		tb.Fatalf("order number %q is not LLL-RR-NNNNNN", number)
	}
	if p[1] != fmt.Sprintf("%03d", location) || p[2] != fmt.Sprintf("%02d", t.number) {
		tb.Fatalf("order number %q sold at location %d, register %d", number, location, t.number)
	}
	seq, _ := strconv.Atoi(p[3])
	return seq
}

// tillSale is an order as a register got it back.
type tillSale struct {
	till   till
	number string
}

func TestRegisters_LastUnitsAcrossRegisters(t *testing.T) {
	s := newStore(t, "busy", nil)
	tills := tillsAt(t, s.m, s.loc, 8)
	seqs := map[int][]int{} // per register, across rounds
	for round := range 3 {
		setStock(t, s.m, s.loc, s.mug, 5)
		start := make(chan struct{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		orders, outOfStock, other := map[string]tillSale{}, 0, []string{}
		for _, reg := range tills {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				r := sellOne(t, s.m, s.loc, reg, s.mug, 1105, fmt.Sprintf("last-%d-%d", round, reg.number))
				mu.Lock()
				defer mu.Unlock()
				codes := userErrorCodes(t, r.Data, "checkout")
				switch {
				case len(r.Errors) == 0 && len(codes) == 0:
					orders[str(t, r.Data, "checkout.order.id")] = tillSale{reg, str(t, r.Data, "checkout.order.number")}
				case len(r.Errors) == 0 && slices.Equal(codes, []string{"OUT_OF_STOCK"}) && field(t, r.Data, "checkout.order") == nil:
					outOfStock++
				default:
					other = append(other, fmt.Sprint(r.Errors, field(t, r.Data, "checkout.userErrors")))
				}
			}()
		}
		close(start)
		wg.Wait()
		if len(orders) != 5 || outOfStock != 3 || len(other) > 0 {
			t.Fatalf("round %d: %d orders %v, %d out of stock, other %v; want 5 orders and 3 OUT_OF_STOCK", round, len(orders), orders, outOfStock, other)
		}
		for _, o := range orders {
			seqs[o.till.number] = append(seqs[o.till.number], checkTillNumber(t, o.number, 1, o.till))
		}
		if got := onHand(t, s.m, s.loc, s.mug); got != 0 {
			t.Fatalf("round %d: onHand = %d, want 0", round, got)
		}
	}
	// A sale refused for stock takes no number: each register's orders are
	// still 1…k.
	for n, got := range seqs {
		if !slices.Equal(sorted(got), oneTo(len(got))) {
			t.Errorf("register %d numbered its orders %v", n, got)
		}
	}
}

func sorted(s []int) []int {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// oneTo returns 1…n.
func oneTo(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i + 1
	}
	return s
}

func TestRegisters_OrderNumbersGapFreeUnderConcurrency(t *testing.T) {
	s := newStore(t, "numbering", nil)
	// The store's second location, so the number's LLL part is 002.
	loc := createLocation(t, s.m, "numbering Ebisu")
	setStock(t, s.m, loc, s.mug, 100)
	tills := tillsAt(t, s.m, loc, 4)
	// Per register: 3 concurrent clients, 3 sales each; the first client
	// sends every sale twice at once, as a client retrying after a timeout
	// does: one order, one number.
	const sellers, salesEach = 3, 3
	type sold struct {
		till           till
		number, regID  string
		regNumber      int64
		orderID, error string
	}
	var mu sync.Mutex
	var results []sold
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, reg := range tills {
		for c := range sellers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for i := range salesEach {
					key := fmt.Sprintf("gapfree-%d-%d-%d", reg.number, c, i)
					copies := 1
					if c == 0 {
						copies = 2
					}
					var sent sync.WaitGroup
					for range copies {
						sent.Add(1)
						go func() {
							defer sent.Done()
							r := sellOne(t, s.m, loc, reg, s.mug, 1105, key)
							res := sold{till: reg}
							if len(r.Errors) > 0 || len(userErrorCodes(t, r.Data, "checkout")) > 0 {
								res.error = fmt.Sprint(r.Errors, field(t, r.Data, "checkout.userErrors"))
							} else {
								res.orderID, res.number = str(t, r.Data, "checkout.order.id"), str(t, r.Data, "checkout.order.number")
								res.regID, res.regNumber = str(t, r.Data, "checkout.order.register.id"), num(t, r.Data, "checkout.order.register.number")
							}
							mu.Lock()
							results = append(results, res)
							mu.Unlock()
						}()
					}
					sent.Wait()
				}
			}()
		}
	}
	close(start)
	wg.Wait()

	seqs := map[int][]int{}
	numbers := map[string]bool{}
	byOrder := map[string]string{}
	for _, r := range results {
		if r.error != "" {
			t.Fatalf("checkout at register %d: %s", r.till.number, r.error)
		}
		if r.regID != r.till.id || r.regNumber != int64(r.till.number) {
			t.Fatalf("order %s sold at register %v has register %s (number %d)", r.number, r.till, r.regID, r.regNumber)
		}
		if seen, ok := byOrder[r.orderID]; ok {
			if seen != r.number {
				t.Fatalf("order %s answered as %s and as %s", r.orderID, seen, r.number)
			}
			continue // the replay of a retried sale
		}
		byOrder[r.orderID] = r.number
		seqs[r.till.number] = append(seqs[r.till.number], checkTillNumber(t, r.number, 2, r.till))
		numbers[r.number] = true
	}
	if want := len(tills) * (sellers + 1) * salesEach; len(results) != want { // client 0 sends each sale twice
		t.Fatalf("%d answers, want %d", len(results), want)
	}
	for _, reg := range tills {
		if got := sorted(seqs[reg.number]); !slices.Equal(got, oneTo(sellers*salesEach)) {
			t.Errorf("register %d numbered its orders %v, want 1…%d", reg.number, got, sellers*salesEach)
		}
	}
	// What was answered is what was stored.
	list := gql(t, s.m.token, `query($f: OrderFilter) { orders(filter: $f, first: 100) { nodes { number register { number } } } }`, map[string]any{"f": map[string]any{"locationId": loc}})
	mustOK(t, list, "")
	nodes := field(t, list.Data, "orders.nodes").([]any)
	stored := map[string]bool{}
	for _, n := range nodes {
		o := n.(map[string]any)
		stored[o["number"].(string)] = true
		if rn := o["register"].(map[string]any)["number"].(float64); !strings.HasPrefix(o["number"].(string), fmt.Sprintf("002-%02d-", int(rn))) {
			t.Errorf("stored order %s has register %v", o["number"], rn)
		}
	}
	if len(nodes) != len(tills)*sellers*salesEach || len(stored) != len(nodes) || !maps.Equal(stored, numbers) {
		t.Fatalf("%d orders stored (%d distinct numbers), %d answered", len(nodes), len(stored), len(numbers))
	}
	if got := onHand(t, s.m, loc, s.mug); got != 100-int64(len(nodes)) {
		t.Fatalf("onHand = %d after %d sales of 1 from 100", got, len(nodes))
	}
}

func TestRegisters_CheckoutWithoutRegisterID(t *testing.T) {
	s := newStore(t, "oldclient", nil)
	first := registersAt(t, s.m, s.loc)
	if len(first) != 1 || first[0].number != 1 {
		t.Fatalf("a new location's registers = %v, want register 1 alone", first)
	}
	for i, want := range []string{"001-01-000001", "001-01-000002"} {
		// The input of a client that predates registers: no registerId.
		r := gql(t, s.m.token, tillCheckoutMutation, map[string]any{"in": s.basket(fmt.Sprint("old-", i), cashPayment(2185, 2185))})
		mustOK(t, r, "checkout")
		if got := str(t, r.Data, "checkout.order.number"); got != want {
			t.Fatalf("order number %q, want %q", got, want)
		}
		if id, n := str(t, r.Data, "checkout.order.register.id"), num(t, r.Data, "checkout.order.register.number"); id != first[0].id || n != 1 {
			t.Fatalf("order register %s (number %d), want register 1 %s", id, n, first[0].id)
		}
		text := str(t, r.Data, "checkout.order.receipt.text")
		for _, part := range []string{"レジ", "取引番号", want} {
			if !strings.Contains(text, part) {
				t.Fatalf("receipt lacks %q:\n%s", part, text)
			}
		}
		if line := receiptLine(text, "レジ"); !strings.HasSuffix(strings.TrimSpace(line), "1") {
			t.Fatalf("receipt's register line %q does not name register 1:\n%s", line, text)
		}
	}
}

// receiptLine returns the first line of text containing part.
func receiptLine(text, part string) string {
	for line := range strings.Lines(text) {
		if strings.Contains(line, part) {
			return line
		}
	}
	return ""
}
