package catalog

import "strings"

// ValidBarcode reports whether s is a GS1 barcode number as printed under a
// JAN/EAN/UPC/GTIN symbol: 8, 12, 13 or 14 digits ending in a correct check
// digit.
func ValidBarcode(s string) bool {
	if !barcodeShape(s) {
		return false
	}
	sum := 0
	for i := len(s) - 2; i >= 0; i-- {
		d := int(s[i] - '0')
		if (len(s)-2-i)%2 == 0 { // the digit left of the check digit weighs 3
			d *= 3
		}
		sum += d
	}
	return int(s[len(s)-1]-'0') == (10-sum%10)%10
}

// GTIN14 returns the barcode as a 14-digit GTIN (left-padded with zeros),
// the form under which GS1 treats GTIN-8/12/13/14 as one number space: the
// UPC-A 012345678905 and the EAN-13 0012345678905 are one product. Barcode
// uniqueness and lookup use this form. ok is false when s is not 8, 12, 13
// or 14 digits.
func GTIN14(s string) (gtin string, ok bool) {
	if !barcodeShape(s) {
		return "", false
	}
	return strings.Repeat("0", 14-len(s)) + s, true
}

func barcodeShape(s string) bool {
	switch len(s) {
	case 8, 12, 13, 14:
	default:
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
