// Package tax computes what a sale costs under Japanese consumption tax: line
// and order discounts, each line's total, and one tax amount per rate per
// order, as the qualified invoice system (適格請求書等保存方式) requires. It is
// pure integer arithmetic with no I/O, so checkout, refunds, receipts and
// reports all reach the same figures.
//
// # Amounts
//
// Every amount is an int64 in the currency's minor unit (JPY: yen). The
// engine never looks at the currency: rates and rounding apply to minor
// units, so a currency with two decimals works the same way, with cents.
// Amounts are bounded by [MaxAmount] (10^13 minor units) per unit price, per
// line and per order, which keeps every sum inside int64; products that could
// still exceed it (discount allocation) are computed in 128 bits.
//
// # Order of computation
//
//  1. Line gross = unit price × quantity.
//  2. Line discount: an amount (0 to the gross), or a percent (0–100) whose
//     amount is floor(gross × percent / 100).
//  3. Subtotal = the sum of line nets (gross − line discount).
//  4. Order discount: an amount (0 to the subtotal), or a percent whose amount
//     is floor(subtotal × percent / 100). It is allocated to the lines in
//     proportion to their nets by the largest-remainder method: each line
//     gets floor(discount × net / subtotal), and the minor units left over go
//     one each to the lines with the largest remainders, the lower line index
//     first on a tie. The allocations sum to the order discount exactly and
//     none exceeds its line's net.
//  5. Line total = net − allocated order discount.
//  6. Per tax category present: the taxable base is the sum of its line
//     totals, and its tax is computed once on that base (not per line), by
//     [TaxOf]: base × r / (100 + r) when prices include tax, base × r / 100
//     when they do not, rounded by the tenant's [Rounding].
//  7. Total = the sum of line totals, plus the tax when prices exclude it.
//
// Percent discounts are floored, whatever the tax rounding: the discount is
// never more than the stated percent, never exceeds its base, and does not
// change when a tenant changes how its tax is rounded.
package tax
