package tax

import (
	"fmt"
	"slices"
	"strings"
)

// InputError is an input the engine refuses, with the offending field and a
// reason fit to show the user. Field is the path in the GraphQL contract's
// names with line indexes from 0, e.g. ["lines", "2", "discount", "percent"];
// unitPrice and taxCategory are the catalog's values for that line, and
// taxRounding the tenant's setting. Amounts beyond MaxAmount are InputErrors
// too.
type InputError struct {
	Field   []string
	Message string
}

// Error returns the field path and the message, prefixed by the package.
func (e *InputError) Error() string {
	return "tax: " + strings.Join(e.Field, ".") + ": " + e.Message
}

// invalid returns an InputError for the field at path, which it copies.
func invalid(path []string, format string, args ...any) *InputError {
	return &InputError{Field: slices.Clone(path), Message: fmt.Sprintf(format, args...)}
}
