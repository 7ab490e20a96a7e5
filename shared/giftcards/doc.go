// Package giftcards is prepaid gift cards (プリペイド / ギフトカード): card
// numbers (16 digits, Luhn), card states and activities, the tenant's
// validity policy under the Payment Services Act (資金決済法), and the
// unused-balance liability a merchant reports as of a reference date.
// Balance changes made by a sale or a refund are written inside that sale's
// transaction by the sales store; this package's service reads cards and
// makes the managers' changes (issue, adjust, deactivate, cash out).
package giftcards
