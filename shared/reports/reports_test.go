package reports

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/tax"
)

var tokyo = mustZone("Asia/Tokyo")

func mustZone(name string) *time.Location {
	z, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return z
}

// sale is a tax-inclusive order at 2026-11-26 23:30 JST (14:30 UTC): two
// standard-rate shirts with a 100 discount, one reduced-rate tea, paid
// 3000 cash and the rest by card.
func sale() Movement {
	return Movement{EventID: "evt_1", TenantID: "t", LocationID: "loc_1", StaffKey: "usr_1", RegisterID: "reg_1_02",
		At: time.Date(2026, 11, 26, 14, 30, 0, 0, time.UTC),
		Lines: []MovementLine{
			{SKU: "SHIRT", Quantity: 2, Gross: 4000, Discount: 100, Total: 3900, TaxCategory: tax.Standard},
			{SKU: "TEA", Quantity: 1, Gross: 540, Total: 540, TaxCategory: tax.Reduced},
		},
		Taxes:    []RateTax{{Category: tax.Standard, Tax: 354}, {Category: tax.Reduced, Tax: 40}},
		Payments: []MethodAmount{{Method: "CASH", Amount: 3000}, {Method: "CARD", Amount: 1440}},
	}
}

func byKey(cs []Contribution, d dimension) map[string]Figures {
	out := map[string]Figures{}
	for _, c := range cs {
		if c.dim == d {
			out[c.Key] = out[c.Key].Add(c.Figures)
		}
	}
	return out
}

func TestContributions(t *testing.T) {
	cs := Contributions(sale())
	total := byKey(cs, dimTotal)[""]
	want := Figures{Orders: 1, Quantity: 3, Gross: 4540, Discounts: 100, Tax: 394}
	if total != want {
		t.Fatalf("totals %+v, want %+v", total, want)
	}
	if total.Net() != 4440 {
		t.Fatalf("net %d, want what was paid (4440)", total.Net())
	}
	for _, d := range []dimension{dimItem, dimTax, dimPayment, dimStaff, dimRegister} {
		var sum Figures
		for _, f := range byKey(cs, d) {
			f.Orders = 0
			sum = sum.Add(f)
		}
		want := total
		want.Orders = 0
		if sum != want {
			t.Errorf("dimension %s sums to %+v, want the totals %+v", d, sum, want)
		}
	}
	items := byKey(cs, dimItem)
	if f := items["SHIRT"]; f != (Figures{Orders: 1, Quantity: 2, Gross: 4000, Discounts: 100, Tax: 354}) {
		t.Errorf("SHIRT %+v", f)
	}
	taxes := byKey(cs, dimTax)
	if taxes["STANDARD"].Tax != 354 || taxes["REDUCED"].Tax != 40 || taxes["REDUCED"].Gross != 540 || taxes["REDUCED"].Orders != 1 {
		t.Errorf("tax rows %+v", taxes)
	}
	pay := byKey(cs, dimPayment)
	if pay["CASH"].Net() != 3000 || pay["CARD"].Net() != 1440 || pay["CASH"].Orders != 1 || pay["CARD"].Orders != 1 {
		t.Errorf("payment rows %+v: each method's net is what it paid", pay)
	}
	if staff := byKey(cs, dimStaff); staff["usr_1"] != total {
		t.Errorf("staff %+v", staff)
	}
	if regs := byKey(cs, dimRegister); len(regs) != 1 || regs["reg_1_02"] != total {
		t.Errorf("registers %+v: the register that took the sale has the totals", regs)
	}
	t.Run("an order taken before registers is under the empty register", func(t *testing.T) {
		m := sale()
		m.RegisterID = ""
		if regs := byKey(Contributions(m), dimRegister); len(regs) != 1 || regs[""] != total {
			t.Errorf("registers %+v", regs)
		}
	})

	t.Run("a rate's tax is allocated to its lines by their totals", func(t *testing.T) {
		m := sale()
		m.Lines = append(m.Lines, MovementLine{SKU: "CAP", Quantity: 1, Gross: 1000, Total: 1000, TaxCategory: tax.Standard})
		m.Taxes[0].Tax = 445 // (3900+1000)×10/110, floor
		items := byKey(Contributions(m), dimItem)
		if items["SHIRT"].Tax+items["CAP"].Tax != 445 || items["CAP"].Tax != 91 {
			t.Errorf("shirt %d, cap %d", items["SHIRT"].Tax, items["CAP"].Tax)
		}
	})
	t.Run("a refund subtracts and counts no order", func(t *testing.T) {
		m := Movement{EventID: "evt_2", LocationID: "loc_1", StaffKey: "usr_2", RegisterID: "reg_1_03", At: sale().At, Refund: true,
			Lines:    []MovementLine{{SKU: "SHIRT", Quantity: 1, Gross: 1950, Total: 1950, TaxCategory: tax.Standard}},
			Taxes:    []RateTax{{Category: tax.Standard, Tax: 177}},
			Payments: []MethodAmount{{Method: "CASH", Amount: 1950}}}
		cs := Contributions(m)
		want := Figures{Refunds: 1950, Tax: -177}
		if regs := byKey(cs, dimRegister); len(regs) != 1 || regs["reg_1_03"] != want {
			t.Errorf("registers %+v: the drawer the money went out of", regs)
		}
		for _, d := range []dimension{dimTotal, dimItem, dimTax, dimPayment, dimStaff, dimRegister} {
			for k, f := range byKey(cs, d) {
				if f != want {
					t.Errorf("%s %q: %+v, want %+v", d, k, f, want)
				}
			}
		}
		together := byKey(Contributions(sale()), dimTotal)[""].Add(byKey(cs, dimTotal)[""])
		if together.Net() != 4440-1950 || together.Tax != 394-177 || together.Orders != 1 {
			t.Errorf("sale and refund %+v", together)
		}
	})
	t.Run("an order of total 0 has no payment row", func(t *testing.T) {
		m := sale()
		m.Payments = nil
		if p := byKey(Contributions(m), dimPayment); len(p) != 0 {
			t.Errorf("%+v", p)
		}
	})
}

func TestDeltas_LocationClock(t *testing.T) {
	m := sale() // 14:30 UTC is 23:30 in Tokyo
	got := map[string]bool{}
	for _, d := range Deltas(m, tokyo) {
		if d.Month != "2026-11" && !(d.Month == "2026" && strings.HasPrefix(d.SK, "I#Y#2026#")) {
			t.Fatalf("delta %+v: month partition, or year partition for ITEM's year items", d)
		}
		got[d.SK] = true
	}
	for _, sk := range []string{"T#H#2026-11-26T23#", "T#D#2026-11-26#", "T#M#2026-11#", "I#H#2026-11-26T23#SHIRT", "I#D#2026-11-26#TEA",
		"I#Y#2026#SHIRT", "I#Y#2026#TEA", "X#M#2026-11#REDUCED", "P#H#2026-11-26T23#CARD", "S#D#2026-11-26#usr_1", "R#M#2026-11#reg_1_02"} {
		if !got[sk] {
			t.Errorf("no delta %s among %v", sk, got)
		}
	}
	m.At = time.Date(2026, 12, 31, 15, 0, 0, 0, time.UTC) // 00:00 on 1 January in Tokyo
	for _, d := range Deltas(m, tokyo) {
		if d.SK[2] == byte(levelYear) {
			if d.Month != "2027" || !strings.Contains(d.SK, "#2027#") {
				t.Fatalf("delta %+v: the location's year", d)
			}
			continue
		}
		if d.Month != "2027-01" || !strings.Contains(d.SK, "2027-01") {
			t.Fatalf("delta %+v: the location's month", d)
		}
	}
}

func TestRowKey(t *testing.T) {
	for _, c := range []struct {
		g         Grouping
		sk, want  string
		wantFound bool
	}{
		{ByDay, "T#H#2026-11-26T23#", "2026-11-26", true},
		{ByDay, "T#D#2026-11-26#", "2026-11-26", true},
		{ByHour, "T#H#2026-11-26T09#", "09", true},
		{ByLocation, "T#M#2026-11#", "loc_1", true},
		{ByItem, "I#D#2026-11-26#SHIRT#M", "SHIRT#M", true},
		{ByPaymentMethod, "P#M#2026-11#CASH", "CASH", true},
		{ByRegister, "R#D#2026-11-26#reg_1_02", "reg_1_02", true},
		{ByHour, "T#D#2026-11-26#", "", false},
	} {
		got, ok := RowKey(c.g, "loc_1", c.sk)
		if got != c.want || ok != c.wantFound {
			t.Errorf("RowKey(%s, %s) = %q %v, want %q %v", c.g, c.sk, got, ok, c.want, c.wantFound)
		}
	}
}

// TestPlan_CoversEachHourOnce: for random ranges of whole hours, the
// buckets a plan reads cover each hour of the range exactly once and no
// hour outside it.
func TestPlan_CoversEachHourOnce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2025, 12, 20, 0, 0, 0, 0, time.UTC)
	for _, zone := range []*time.Location{tokyo, time.UTC, mustZone("America/New_York")} {
		for i := range 300 {
			from := base.Add(time.Duration(r.IntN(24*60)) * time.Hour)
			to := from.Add(time.Duration(1+r.IntN(24*400)) * time.Hour)
			if i%5 == 0 {
				to = from.Add(time.Duration(1+r.IntN(72)) * time.Hour)
			}
			for _, g := range []Grouping{ByDay, ByHour, ByItem, ByStaff} {
				checkPlan(t, from, to, zone, g)
			}
		}
	}
}

func checkPlan(t *testing.T, from, to time.Time, zone *time.Location, g Grouping) {
	t.Helper()
	covered := map[int64]int64{}
	for _, q := range Plan(from, to, zone, g) {
		lf, ll := q.From[2], q.To[2]
		if lf != ll || q.From[0] != byte(g.dimension()[0]) || (q.Sign != 1 && q.Sign != -1) {
			t.Fatalf("query %+v mixes levels or dimensions, or has no sign", q)
		}
		l := level(lf)
		if g == ByHour && l != levelHour && l != levelHourOfMonth || g == ByDay && l != levelDay && l != levelHour || l == levelHourOfMonth && g != ByHour ||
			l == levelYear && !g.dimension().hasYears() {
			t.Fatalf("%s reads level %c", g, l)
		}
		layout := l.layout()
		if l == levelHourOfMonth {
			layout = hourLayout[:len(monthLayout)]
		}
		label := func(sk string) string { return strings.Split(sk, "#")[2][:len(layout)] }
		first, err := time.ParseInLocation(layout, label(q.From), zone)
		if err != nil {
			t.Fatal(err)
		}
		last, _ := time.ParseInLocation(layout, label(q.To), zone)
		if (piece{l: l, start: first}).partition() != q.Month || (piece{l: l, start: last}).partition() != q.Month {
			t.Fatalf("query %+v leaves its month", q)
		}
		for b := first; !b.After(last); {
			p := piece{l: l, start: b}
			for h := b; h.Before(p.next()); h = h.Add(time.Hour) {
				covered[h.Unix()] += q.Sign
			}
			b = p.next()
		}
	}
	n := 0
	for h := from; h.Before(to); h = h.Add(time.Hour) {
		if covered[h.Unix()] != 1 {
			t.Fatalf("%s %s [%s, %s): hour %s counted %d times", g, zone, from, to, h, covered[h.Unix()])
		}
		n++
	}
	for h, c := range covered {
		if c != 0 && (h < from.Unix() || h >= to.Unix()) {
			t.Fatalf("%s %s [%s, %s): hour %s outside the range counted %d times", g, zone, from, to, time.Unix(h, 0), c)
		}
	}
}

// TestPlan_AYearEndingNow: a year ending now reads whole months (the
// last less the hours after now) and the first day's hours, never the days
// of the partial months; HOUR reads months by hour of day; ITEM reads this
// year less the rest of it, last year's December and the first day's hours.
func TestPlan_AYearEndingNow(t *testing.T) {
	to := time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC) // 15:00 in Tokyo
	from := to.AddDate(-1, 0, 0)
	for _, g := range []Grouping{ByItem, ByHour, ByStaff} {
		qs := Plan(from, to, tokyo, g)
		items := 0
		for _, q := range qs {
			switch q.From[2] {
			case byte(levelDay):
				t.Fatalf("%s: a year ending now reads days: %+v", g, qs)
			case byte(levelMonth), byte(levelYear):
				items++
			case byte(levelHourOfMonth):
				items += 24
			case byte(levelHour):
				a, _ := time.Parse(hourLayout, strings.Split(q.From, "#")[2])
				b, _ := time.Parse(hourLayout, strings.Split(q.To, "#")[2])
				items += int(b.Sub(a).Hours()) + 1
			}
		}
		// The 9 hours of the first day (15:00–24:00), 12 months, the last
		// less its 9 hours after the range.
		want, queries := 9+12+9, 14
		switch g {
		case ByHour:
			want = 9 + 12*24 + 9
		case ByItem:
			// 2025-11-30's 9 hours, 2025-12; 2026 less 2026-12 and the 9
			// hours after the range: 5 queries.
			want, queries = 9+1+1+1+9, 5
		}
		if items != want || len(qs) != queries {
			t.Errorf("%s: %d items per key in %d queries, want %d: %+v", g, items, len(qs), want, qs)
		}
	}
}
