package shopify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"time"

	"github.com/renkei-pos/renkei/shared/integrations"
)

// APIVersion is the Admin API version every request names: 2025-01 has
// inventorySetQuantities with ignoreCompareQuantity (absolute quantities,
// no compare-and-set), productVariants(query:) and locations.
const APIVersion = "2025-01"

// TokenHeader carries the Admin API access token.
const TokenHeader = "X-Shopify-Access-Token"

// Limits of one call.
const (
	// DefaultTimeout bounds one request.
	DefaultTimeout = 10 * time.Second
	// maxResponseBytes bounds a response read.
	maxResponseBytes = 4 << 20
	// maxRetryAfter caps a delay Shopify asks for.
	maxRetryAfter = 15 * time.Minute
	// defaultThrottleDelay is the wait after a 429 or THROTTLED without a
	// usable hint (Shopify restores 50–100 points a second).
	defaultThrottleDelay = 2 * time.Second
)

// apiError is a failed call, described for the merchant: it never carries
// the token, and Shopify's own messages only where they describe the
// request (userErrors, GraphQL errors).
type apiError struct {
	Status     int           // HTTP status; 0 for a transport failure
	Throttled  bool          // 429 or a THROTTLED GraphQL error
	RetryAfter time.Duration // what Shopify asked for (0: none)
	Refused    bool          // Shopify answered and refused the request itself
	Msg        string
}

func (e *apiError) Error() string { return e.Msg }

// classify turns a failed call into the worker's terms: throttling waits
// what Shopify asked, a refused request fails at once, the rest is retried
// (5xx, timeouts, 401: a token revoked then restored works again; after
// MaxAttempts the job is FAILED with the readable text).
func classify(err error) error {
	var ae *apiError
	if !errors.As(err, &ae) {
		return err
	}
	switch {
	case ae.Throttled:
		after := ae.RetryAfter
		if after <= 0 {
			after = defaultThrottleDelay
		}
		return integrations.RetryAfter(err, after)
	case ae.Refused:
		return integrations.Permanent(err)
	}
	return err
}

// client is one shop's Admin GraphQL endpoint.
type client struct {
	http     *http.Client
	endpoint string
	token    string
	now      func() time.Time
}

type gqlRequest struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables,omitempty"`
}

type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

type gqlResponse struct {
	Data       json.RawMessage `json:"data"`
	Errors     []gqlError      `json:"errors"`
	Extensions struct {
		Cost *struct {
			RequestedQueryCost float64 `json:"requestedQueryCost"`
			ThrottleStatus     struct {
				MaximumAvailable   float64 `json:"maximumAvailable"`
				CurrentlyAvailable float64 `json:"currentlyAvailable"`
				RestoreRate        float64 `json:"restoreRate"`
			} `json:"throttleStatus"`
		} `json:"cost"`
	} `json:"extensions"`
}

// do runs one operation and decodes its data into out.
func (c *client) do(ctx context.Context, op, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(gqlRequest{Query: query, Variables: vars})
	if err != nil {
		return fmt.Errorf("encode Shopify %s: %w", op, err)
	}
	ctx, cancel := context.WithTimeout(ctx, DefaultTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("bad Shopify endpoint for %s", op)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set(TokenHeader, c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		msg := "Shopify did not answer " + op
		if errors.Is(err, context.DeadlineExceeded) {
			msg += fmt.Sprintf(" within %s", DefaultTimeout)
		}
		return &apiError{Msg: msg}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return &apiError{Status: resp.StatusCode, Msg: "Shopify's answer to " + op + " was cut off"}
	}
	switch s := resp.StatusCode; {
	case s == http.StatusTooManyRequests:
		return &apiError{Status: s, Throttled: true, RetryAfter: integrations.ParseRetryAfter(resp.Header, c.now(), maxRetryAfter),
			Msg: "Shopify answered 429 (rate limited) to " + op}
	case s == http.StatusUnauthorized:
		return &apiError{Status: s, Msg: "Shopify answered 401 to " + op + ": the access token was refused (revoked, or the app uninstalled)"}
	case s == http.StatusForbidden:
		return &apiError{Status: s, Msg: "Shopify answered 403 to " + op + ": the app lacks an access scope it needs (read_locations, read_products, write_inventory)"}
	case s == http.StatusNotFound:
		return &apiError{Status: s, Msg: "Shopify answered 404 to " + op + ": no such shop, or the API version " + APIVersion + " is not served"}
	case s == http.StatusPaymentRequired || s == http.StatusLocked:
		return &apiError{Status: s, Msg: fmt.Sprintf("Shopify answered %d to %s: the shop is frozen or locked", s, op)}
	case s >= 500:
		return &apiError{Status: s, Msg: fmt.Sprintf("Shopify answered %d to %s", s, op)}
	case s != http.StatusOK:
		return &apiError{Status: s, Refused: true, Msg: fmt.Sprintf("Shopify answered %d to %s", s, op)}
	}
	var r gqlResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return &apiError{Status: resp.StatusCode, Msg: "Shopify's answer to " + op + " is not JSON"}
	}
	if len(r.Errors) > 0 {
		for _, e := range r.Errors {
			if e.Extensions.Code == "THROTTLED" {
				return &apiError{Status: resp.StatusCode, Throttled: true, RetryAfter: r.throttleDelay(), Msg: "Shopify throttled " + op + " (query cost)"}
			}
		}
		if r.Errors[0].Extensions.Code == "INTERNAL_SERVER_ERROR" {
			return &apiError{Status: resp.StatusCode, Msg: "Shopify failed on " + op + " (internal error)"}
		}
		return &apiError{Status: resp.StatusCode, Refused: true, Msg: "Shopify refused " + op + ": " + clip(r.Errors[0].Message)}
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			return &apiError{Status: resp.StatusCode, Msg: "Shopify's answer to " + op + " has an unexpected shape"}
		}
	}
	return nil
}

// throttleDelay is how long until the bucket holds the query's cost again.
func (r gqlResponse) throttleDelay() time.Duration {
	c := r.Extensions.Cost
	if c == nil || c.ThrottleStatus.RestoreRate <= 0 {
		return 0
	}
	missing := c.RequestedQueryCost - c.ThrottleStatus.CurrentlyAvailable
	if missing <= 0 {
		return time.Second
	}
	d := time.Duration(math.Ceil(missing/c.ThrottleStatus.RestoreRate)) * time.Second
	return min(d, maxRetryAfter)
}

// clip bounds a message of Shopify's kept in a job's error.
func clip(s string) string {
	if r := []rune(s); len(r) > 200 {
		return string(r[:200]) + "…"
	}
	return s
}
