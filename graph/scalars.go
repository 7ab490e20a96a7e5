package graph

import (
	"encoding/json"
	"fmt"
	"math"
)

// Long is the contract's 64-bit integer scalar.
type Long int64

// ImplementsGraphQLType binds Long to the schema's scalar.
func (Long) ImplementsGraphQLType(name string) bool { return name == "Long" }

// maxSafeJSON is the largest integer a JSON number carries exactly in every
// client (2^53); larger values are refused rather than silently rounded.
const maxSafeJSON = 1 << 53

// UnmarshalGraphQL accepts integral numbers (from literals or JSON variables).
func (l *Long) UnmarshalGraphQL(input any) error {
	switch v := input.(type) {
	case int32:
		*l = Long(v)
	case int64:
		*l = Long(v)
	case int:
		*l = Long(v)
	case float64:
		if v != math.Trunc(v) || math.Abs(v) > maxSafeJSON {
			return fmt.Errorf("Long must be an integer between -2^53 and 2^53")
		}
		*l = Long(v)
	case json.Number:
		n, err := v.Int64()
		if err != nil {
			return fmt.Errorf("Long must be an integer")
		}
		*l = Long(n)
	default:
		return fmt.Errorf("Long must be an integer")
	}
	return nil
}

// MarshalJSON writes a JSON number.
func (l Long) MarshalJSON() ([]byte, error) { return json.Marshal(int64(l)) }

// JSON is the contract's arbitrary-object scalar.
type JSON map[string]any

// ImplementsGraphQLType binds JSON to the schema's scalar.
func (JSON) ImplementsGraphQLType(name string) bool { return name == "JSON" }

// UnmarshalGraphQL accepts a JSON object.
func (j *JSON) UnmarshalGraphQL(input any) error {
	m, ok := input.(map[string]any)
	if !ok {
		return fmt.Errorf("JSON must be an object")
	}
	*j = m
	return nil
}

// MarshalJSON writes the object ({} for nil).
func (j JSON) MarshalJSON() ([]byte, error) {
	if j == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(map[string]any(j))
}
