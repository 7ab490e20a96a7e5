package giftcards

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"

	"github.com/renkei-pos/renkei/shared/apperr"
)

// NumberLength is the length of a card number: 15 digits and a Luhn check digit.
const NumberLength = 16

// ParseNumber normalizes a card number as typed or scanned (spaces and
// hyphens between groups are dropped) and checks its length and check
// digit; the error is INVALID at field.
func ParseNumber(raw string, field ...string) (string, error) {
	n := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, raw)
	if len(n) != NumberLength || !allDigits(n) {
		return "", apperr.New(apperr.Invalid, fmt.Sprintf("a gift card number has %d digits", NumberLength), field...)
	}
	if !LuhnValid(n) {
		return "", apperr.New(apperr.Invalid, "the gift card number's check digit is wrong", field...)
	}
	return n, nil
}

// LuhnValid reports whether digits ends with its Luhn check digit.
func LuhnValid(digits string) bool {
	if len(digits) < 2 || !allDigits(digits) {
		return false
	}
	return luhnDigit(digits[:len(digits)-1]) == digits[len(digits)-1]
}

// luhnDigit is the check digit to append to body.
func luhnDigit(body string) byte {
	sum := 0
	for i := len(body) - 1; i >= 0; i-- {
		d := int(body[i] - '0')
		if (len(body)-1-i)%2 == 0 { // doubled: every second digit from the check digit
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

// NewNumber generates a random card number for an e-gift: 15 random digits
// (the first not 0, so the number keeps its length in any spreadsheet) and
// the check digit.
func NewNumber() (string, error) {
	var b strings.Builder
	for i := 0; i < NumberLength-1; i++ {
		max := int64(10)
		if i == 0 {
			max = 9
		}
		v, err := rand.Int(rand.Reader, big.NewInt(max))
		if err != nil {
			return "", fmt.Errorf("generate a gift card number: %w", err)
		}
		d := v.Int64()
		if i == 0 {
			d++
		}
		b.WriteByte(byte('0' + d))
	}
	body := b.String()
	return body + string(luhnDigit(body)), nil
}

// Mask hides all but the last four digits, for logs, events and errors.
func Mask(number string) string {
	if len(number) <= 4 {
		return strings.Repeat("*", len(number))
	}
	return strings.Repeat("*", len(number)-4) + number[len(number)-4:]
}

// Last4 is the last four digits of number.
func Last4(number string) string {
	if len(number) <= 4 {
		return number
	}
	return number[len(number)-4:]
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
