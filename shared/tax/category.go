package tax

// Category is an item's consumption-tax category. Its values are those of the
// GraphQL enum TaxCategory.
type Category string

const (
	// Standard is taxed at the standard rate, 10%.
	Standard Category = "STANDARD"
	// Reduced is taxed at the reduced rate, 8% (food and drink not consumed
	// on the premises, subscribed newspapers).
	Reduced Category = "REDUCED"
	// Exempt is not subject to consumption tax (0%).
	Exempt Category = "EXEMPT"
)

// categories is the order in which results list the rates: highest first.
var categories = [...]Category{Standard, Reduced, Exempt}

// RatePercent returns the category's tax rate in percent, and false when the
// category is unknown.
func (c Category) RatePercent() (int, bool) {
	switch c {
	case Standard:
		return 10, true
	case Reduced:
		return 8, true
	case Exempt:
		return 0, true
	}
	return 0, false
}

// Valid reports whether c is a known category.
func (c Category) Valid() bool {
	_, ok := c.RatePercent()
	return ok
}

// index is c's position in categories; c must be valid.
func (c Category) index() int {
	switch c {
	case Standard:
		return 0
	case Reduced:
		return 1
	}
	return 2
}
