package sales

import (
	"fmt"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/giftcards"
)

// Gift cards in a checkout. A load line (CheckoutInput.GiftCardLoads) puts
// N yen onto a card: it is not a sale of goods, so it carries no tax, stays
// out of the order's Subtotal/Total (net sales) and is listed on the order
// apart (Order.GiftCardLoads, Order.GiftCardLoadTotal); the payments cover
// Total + GiftCardLoadTotal. A GIFT_CARD payment redeems from a card. Both
// are written in the checkout's one transaction (the card's conditioned
// update, its activity and its gift_card.activity event, built by the
// gift card store): a redeem is `ADD balance :-a` conditioned on the
// balance, the card being ACTIVE and not expired, so two registers spending
// one card can never spend more than it holds; a load activates a PENDING
// (or absent: a printed card's first load creates it) card and is refused
// on a DEACTIVATED one. A failed condition is a userError on the input that
// named the card, and nothing is written.

// GiftCard is the payment method that spends a gift card's balance.
const GiftCard PaymentMethod = "GIFT_CARD"

// Limits of gift cards in one checkout. Every card costs its transaction
// three actions (the card, its activity, its event), so the cards of a sale
// share the transaction's 100 actions with its stock levels: a sale naming
// cards sells at most MaxDistinctVariants - 3 × cards distinct variants.
const (
	MaxGiftCardLoads = 5
	// MaxGiftCards is how many distinct cards one checkout may load or spend.
	MaxGiftCards = 5
	// giftCardActions is what one card adds to the checkout's transaction.
	giftCardActions = 3
)

// GiftCardLoadInput is one load line: Amount onto the card Number.
type GiftCardLoadInput struct {
	Number string
	Amount Money
}

// GiftCardLoad is one load line of an order.
type GiftCardLoad struct {
	ID     string
	Number string // the whole number: the order is the card's sale record; shown masked (MaskCardNumber)
	Amount int64
}

// GiftCardRedeem is the balance a sale spends from one card, for its
// GIFT_CARD payment PaymentIndex.
type GiftCardRedeem struct {
	Number       string
	Amount       int64
	PaymentIndex int
}

// MaskCardNumber hides all but the last 4 digits of a card number (numbers
// are never shown or logged whole).
func MaskCardNumber(n string) string { return giftcards.Mask(n) }

// normalizeGiftCards drops the spaces and hyphens a typed or scanned card
// number may hold (giftcards.ParseNumber), in place; a number that does not
// parse is kept as sent, for Validate to refuse.
func (in *CheckoutInput) normalizeGiftCards() {
	for i, l := range in.GiftCardLoads {
		if n, err := giftcards.ParseNumber(l.Number); err == nil {
			in.GiftCardLoads[i].Number = n
		}
	}
	for i, p := range in.Payments {
		if n, err := giftcards.ParseNumber(p.GiftCardNumber); err == nil && p.GiftCardNumber != "" {
			in.Payments[i].GiftCardNumber = n
		}
	}
}

// validateGiftCards checks the load lines and GIFT_CARD payments: numbers,
// amounts, at most MaxGiftCards distinct cards, no card loaded and spent or
// spent twice in one sale (one transaction writes an item once), and no
// load line beside a CARD payment (a card sale may be cancelled after it
// is written, and a load activates a card and may be spent at once: it
// could not be taken back). A GIFT_CARD payment beside a CARD payment is
// split tender as any other: the card sale's reservation redeems the
// balance at once (conditioned as any checkout), and the transaction that
// cancels the sale (declined, expired, intent canceled) gives it back onto
// the card (pending store, Settle).
func validateGiftCards(errs *apperr.List, in CheckoutInput) {
	if len(in.GiftCardLoads) > MaxGiftCardLoads {
		errs.Add(apperr.Invalid, fmt.Sprintf("a sale loads at most %d gift cards", MaxGiftCardLoads), path("giftCardLoads")...)
	}
	cards := map[string]bool{}
	for i, l := range in.GiftCardLoads {
		if _, err := giftcards.ParseNumber(l.Number, path("giftCardLoads", i, "number")...); err != nil {
			*errs = append(*errs, err.(*apperr.Error))
		} else if cards[l.Number] {
			errs.Add(apperr.Invalid, "the gift card is already loaded in this sale", path("giftCardLoads", i, "number")...)
		}
		cards[l.Number] = true
		validAmount(errs, l.Amount.Amount, 1, "a gift card load", path("giftCardLoads", i, "amount", "amount"))
	}
	for i, p := range in.Payments {
		if p.Method != GiftCard {
			if p.GiftCardNumber != "" {
				errs.Add(apperr.Invalid, "giftCardNumber is for GIFT_CARD payments", path("payments", i, "giftCardNumber")...)
			}
			continue
		}
		if p.Tendered != nil {
			errs.Add(apperr.Invalid, "tendered is for cash payments", path("payments", i, "tendered")...)
		}
		if _, err := giftcards.ParseNumber(p.GiftCardNumber, path("payments", i, "giftCardNumber")...); err != nil {
			*errs = append(*errs, err.(*apperr.Error))
			continue
		}
		if cards[p.GiftCardNumber] {
			errs.Add(apperr.Invalid, "a gift card is loaded or spent once per sale", path("payments", i, "giftCardNumber")...)
		}
		cards[p.GiftCardNumber] = true
	}
	if len(cards) > MaxGiftCards {
		errs.Add(apperr.Invalid, fmt.Sprintf("a sale names at most %d gift cards", MaxGiftCards), path("payments")...)
	}
	if len(cards) > 0 {
		if i := cardIndex(in.Payments); i >= 0 && len(in.GiftCardLoads) > 0 {
			errs.Add(apperr.Invalid, "a sale that loads gift cards takes no CARD payment: sell the loads as their own sale", path("payments", i, "method")...)
		}
		if n := len(in.VariantIDs()); n > MaxDistinctVariants-giftCardActions*len(cards) {
			errs.Add(apperr.Invalid, fmt.Sprintf("a sale naming %d gift cards has at most %d distinct variants", len(cards), MaxDistinctVariants-giftCardActions*len(cards)), path("lines")...)
		}
	}
}

// giftCardLoads builds the order's load lines and their total (each ≤
// tax.MaxAmount, their sum checked by the caller against what is left).
func giftCardLoads(in []GiftCardLoadInput, orderID string) ([]GiftCardLoad, int64) {
	var out []GiftCardLoad
	var total int64
	for i, l := range in {
		out = append(out, GiftCardLoad{ID: fmt.Sprintf("%s-gc%d", orderID, i+1), Number: l.Number, Amount: l.Amount.Amount})
		total += l.Amount.Amount
	}
	return out, total
}

// Redeems are the sale's GIFT_CARD payments as balance decrements.
func (s Sale) Redeems() []GiftCardRedeem {
	var out []GiftCardRedeem
	for i, p := range s.Order.Payments {
		if p.Method == GiftCard {
			out = append(out, GiftCardRedeem{Number: p.GiftCardNumber, Amount: p.Amount, PaymentIndex: i})
		}
	}
	return out
}

// ValidCardNumber reports whether n is a gift card number as stored: 16
// digits whose last is the Luhn check digit of the others.
func ValidCardNumber(n string) bool {
	p, err := giftcards.ParseNumber(n)
	return err == nil && p == n
}
