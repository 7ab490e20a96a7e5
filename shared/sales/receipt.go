package sales

import (
	"fmt"
	"strings"
	"time"

	"github.com/renkei-pos/renkei/shared/giftcards"
	"github.com/renkei-pos/renkei/shared/tax"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// Receipt is the printable receipt of an order, following Japan's qualified
// invoice (適格簡易請求書) rules: the issuer and its registration number, the
// date, the lines with reduced-rate lines marked ※, and per-rate taxable
// totals and tax.
type Receipt struct {
	IssuerName                string
	InvoiceRegistrationNumber string
	IssuedAt                  time.Time
	Text                      string
}

// NewReceipt renders the receipt of o as issued by t at loc.
func NewReceipt(o Order, t tenant.Tenant, loc tenant.Location) Receipt {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	row := func(left, right string) { line("%s%s", pad(left, 32-width(right)), right) }
	stamp := "2006-01-02 15:04"
	zone, err := loc.Zone()
	if err != nil { // a stored zone that does not resolve: say the time is UTC rather than pass it off as local
		zone, stamp = time.UTC, stamp+" UTC"
	}
	line("%s", t.BusinessName)
	if loc.Name != "" {
		line("%s", loc.Name)
	}
	if t.InvoiceRegistrationNumber != "" {
		line("登録番号 %s", t.InvoiceRegistrationNumber)
	}
	line("%s", o.CreatedAt.In(zone).Format(stamp))
	// The register (レジ番号) and the transaction number (取引番号), as
	// Japanese receipts give them; the register's number is part of its id.
	// An order taken before registers has a number but no register.
	if _, n, ok := tenant.ParseRegisterID(o.RegisterID); ok {
		row("レジ番号", fmt.Sprintf("%02d", n))
	}
	row("取引番号", o.Number)
	line("%s", strings.Repeat("-", 32))
	reduced := false
	for _, l := range o.Lines {
		mark := ""
		if l.TaxCategory == tax.Reduced {
			mark, reduced = " ※", true
		}
		line("%s%s", l.Name, mark)
		row(fmt.Sprintf("  %s × %d", money(l.UnitPrice, o.Currency), l.Quantity), money(l.Quantity*l.UnitPrice, o.Currency))
		if l.Discount > 0 {
			row("  値引", "-"+money(l.Discount, o.Currency))
		}
	}
	line("%s", strings.Repeat("-", 32))
	row("小計", money(o.Subtotal, o.Currency))
	if o.OrderDiscount > 0 {
		row("値引", "-"+money(o.OrderDiscount, o.Currency))
	}
	if !o.PricesIncludeTax {
		row("消費税", money(o.TaxTotal, o.Currency))
	}
	row("合計", money(o.Total, o.Currency))
	for _, r := range o.Taxes {
		label := fmt.Sprintf("(%d%%対象", r.RatePercent)
		if r.Category == tax.Exempt {
			label = "(非課税"
		}
		taxWord := "内消費税"
		if !o.PricesIncludeTax {
			taxWord = "消費税"
		}
		line("%s %s %s %s)", label, money(r.Taxable, o.Currency), taxWord, money(r.Tax, o.Currency))
	}
	if reduced {
		line("※は軽減税率(8%%)対象商品")
	}
	// Gift card loads: not a sale of goods (不課税), after the taxed totals.
	if len(o.GiftCardLoads) > 0 {
		line("%s", strings.Repeat("-", 32))
		for _, l := range o.GiftCardLoads {
			row("ギフトカード入金 *"+giftcards.Last4(l.Number), money(l.Amount, o.Currency))
		}
		line("(ギフトカード入金は不課税)")
		row("お支払合計", money(o.Total+o.GiftCardLoadTotal, o.Currency))
	}
	for _, p := range o.Payments {
		row(paymentLabel(p), money(p.Amount, o.Currency))
		if p.Method == Cash && p.Tendered != nil {
			row("  お預り", money(*p.Tendered, o.Currency))
			row("  お釣り", money(*p.Change, o.Currency))
		}
	}
	return Receipt{IssuerName: t.BusinessName, InvoiceRegistrationNumber: t.InvoiceRegistrationNumber, IssuedAt: o.CreatedAt, Text: b.String()}
}

func paymentLabel(p Payment) string {
	switch p.Method {
	case Cash:
		return "現金"
	case Card:
		return "カード"
	case GiftCard:
		return "ギフトカード *" + giftcards.Last4(p.GiftCardNumber)
	default:
		return "その他 " + p.Reference
	}
}

// money formats minor units: ¥1,080 for JPY, "USD 12.34" otherwise.
func money(amount int64, currency string) string {
	neg := amount < 0
	if neg {
		amount = -amount
	}
	exp, _ := tenant.CurrencyExponent(currency)
	unit := int64(1)
	for i := 0; i < exp; i++ {
		unit *= 10
	}
	s := group(amount / unit)
	if exp > 0 {
		s += fmt.Sprintf(".%0*d", exp, amount%unit)
	}
	if currency == "JPY" {
		s = "¥" + s
	} else {
		s = currency + " " + s
	}
	if neg {
		s = "-" + s
	}
	return s
}

func group(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// width counts East Asian wide characters as two columns, as receipt printers do.
func width(s string) int {
	w := 0
	for _, r := range s {
		if r >= 0x1100 && (r <= 0x115f || (r >= 0x2e80 && r <= 0xa4cf) || (r >= 0xac00 && r <= 0xd7a3) || (r >= 0xf900 && r <= 0xfaff) || (r >= 0xfe30 && r <= 0xfe4f) || (r >= 0xff00 && r <= 0xff60) || (r >= 0xffe0 && r <= 0xffe6)) {
			w += 2
		} else {
			w++
		}
	}
	return w
}

func pad(s string, to int) string {
	if w := width(s); w < to {
		return s + strings.Repeat(" ", to-w)
	}
	return s + " "
}
