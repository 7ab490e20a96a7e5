package tax_test

import (
	"fmt"

	"github.com/renkei-pos/renkei/shared/tax"
)

func ExampleCompute() {
	res, err := tax.Compute(tax.Input{
		Lines: []tax.Line{
			{UnitPrice: 540, Quantity: 2, Category: tax.Reduced},
			{UnitPrice: 1100, Quantity: 1, Category: tax.Standard},
		},
		OrderDiscount:    tax.AmountOff(100),
		PricesIncludeTax: true,
		Rounding:         tax.Floor,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res.Rates {
		fmt.Printf("%d%% taxable ¥%d, tax ¥%d\n", r.RatePercent, r.Taxable, r.Tax)
	}
	fmt.Printf("total ¥%d (tax ¥%d included)\n", res.Total, res.TaxTotal)
	// ¥100 over nets 1080 and 1100: 49 r1180 and 50 r980, the spare yen to
	// the larger remainder → 50, 50. Standard 1050 × 10 / 110 = 95.45 → 95;
	// reduced 1030 × 8 / 108 = 76.30 → 76.

	// Output:
	// 10% taxable ¥1050, tax ¥95
	// 8% taxable ¥1030, tax ¥76
	// total ¥2080 (tax ¥171 included)
}
