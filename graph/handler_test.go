package graph

import "testing"

func TestNewHandler_SchemaBinds(t *testing.T) {
	if _, err := NewHandler(Config{}); err != nil {
		t.Fatal(err)
	}
}
