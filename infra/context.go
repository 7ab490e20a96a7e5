package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// loadCDKContext returns the "context" object of the repository's cdk.json.
//
// The CDK CLI passes cdk.json's context (feature flags) to the app, but a
// plain `go run .` (make synth) and the tests run without the CLI. Loading
// the same file here keeps all three producing the same template. A missing
// file yields no context.
func loadCDKContext(path string) (map[string]interface{}, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]interface{}{}, nil
	}
	if err != nil {
		return nil, err
	}
	var file struct {
		Context map[string]interface{} `json:"context"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if file.Context == nil {
		file.Context = map[string]interface{}{}
	}
	return file.Context, nil
}
