package freeefake

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// SchemaEnv names a variable that may point at freee's published schema;
// without it the schema is looked up at ../shared/contracts/freee beside
// the repository (where the workplace and CI keep it).
const SchemaEnv = "RENKEI_FREEE_SCHEMA"

const schemaRel = "../shared/contracts/freee/accounting-api-schema.json"

// contract is freee's accounting API schema, parsed, and a router over it.
// The schema is 2 MB: it is parsed once per process and shared by every
// fake (read-only after loading).
type contract struct {
	doc    *openapi3.T
	router routers.Router
}

var (
	loadOnce   sync.Once
	loaded     *contract
	loadFailed error
)

func loadContract() (*contract, error) {
	loadOnce.Do(func() {
		loaded, loadFailed = parseContract()
	})
	return loaded, loadFailed
}

func parseContract() (*contract, error) {
	path, err := SchemaPath()
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("load freee schema %s: %w", path, err)
	}
	// The schema names the real host; the fake listens on loopback, so
	// routes match by path alone.
	doc.Servers = nil
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route freee schema: %w", err)
	}
	return &contract{doc: doc, router: router}, nil
}

// SchemaPath finds freee's schema: $RENKEI_FREEE_SCHEMA, or
// ../shared/contracts/freee/accounting-api-schema.json relative to the
// repository root (the nearest directory above the working directory that
// holds go.mod).
func SchemaPath() (string, error) {
	if p := os.Getenv(SchemaEnv); p != "" {
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, filepath.FromSlash(schemaRel))
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("freee schema not found at %s (set %s): %w", p, SchemaEnv, err)
			}
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("freee schema: no go.mod above the working directory (set " + SchemaEnv + ")")
		}
		dir = parent
	}
}

// validate checks one request against the schema: its operation exists,
// its path and query parameters, body and bearer token are as declared.
// The request's body must be re-readable (the caller buffers it).
func (c *contract) validate(ctx context.Context, r *http.Request) error {
	route, params, err := c.router.FindRoute(r)
	if err != nil {
		return fmt.Errorf("%s %s is not an operation of the freee API: %w", r.Method, r.URL.Path, err)
	}
	in := &openapi3filter.RequestValidationInput{
		Request: r, PathParams: params, Route: route,
		Options: &openapi3filter.Options{
			MultiError:                        true,
			RejectWhenRequestBodyNotSpecified: true,
			AuthenticationFunc:                bearerPresent,
		},
	}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		return fmt.Errorf("%s %s: %w", r.Method, r.URL.Path, err)
	}
	return nil
}

// bearerPresent is the schema's oauth2 requirement as far as a request can
// show it: an Authorization: Bearer header. Whether the token is good is
// the fake's business (401), not the contract's.
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	h := in.RequestValidationInput.Request.Header.Get("Authorization")
	if !strings.HasPrefix(h, "Bearer ") || len(h) == len("Bearer ") {
		return errors.New("no bearer token")
	}
	return nil
}
