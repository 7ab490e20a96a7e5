package shopifyfake

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// OrderLine is one line item of an order the fake shop sends.
type OrderLine struct {
	SKU      string
	Title    string
	Quantity int64
	Price    string // Shopify's decimal string, e.g. "300" or "12.50"
}

// Order is an order the fake shop sends as an orders/create webhook.
type Order struct {
	ID            int64
	Name          string // "#1001"
	CreatedAt     time.Time
	Currency      string
	TaxesIncluded bool
	TotalPrice    string
	Lines         []OrderLine
}

// OrderPayload is the order as Shopify's orders/create body (the fields
// renkei reads, and a few it must ignore).
func OrderPayload(o Order) []byte {
	lines := make([]map[string]any, len(o.Lines))
	for i, l := range o.Lines {
		lines[i] = map[string]any{"id": o.ID*100 + int64(i), "sku": l.SKU, "title": l.Title, "quantity": l.Quantity, "price": l.Price,
			"total_discount": "0", "requires_shipping": true}
	}
	b, _ := json.Marshal(map[string]any{
		"id": o.ID, "admin_graphql_api_id": fmt.Sprintf("gid://shopify/Order/%d", o.ID), "name": o.Name,
		"created_at": o.CreatedAt.Format(time.RFC3339), "currency": o.Currency, "taxes_included": o.TaxesIncluded,
		"total_price": o.TotalPrice, "financial_status": "paid", "email": "buyer@example.com", "line_items": lines,
	})
	return b
}

// SendOrderCreated posts o to a renkei webhook URL
// (<base>/webhooks/shopify/<integrationId>) as Shopify does: the
// orders/create topic, the webhook id, and the body signed with secret.
// It returns the status renkei answered.
func SendOrderCreated(ctx context.Context, client *http.Client, url, secret, webhookID string, o Order) (int, error) {
	body := OrderPayload(o)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Topic", "orders/create")
	req.Header.Set("X-Shopify-Webhook-Id", webhookID)
	req.Header.Set("X-Shopify-Shop-Domain", "renkei-test.myshopify.com")
	req.Header.Set("X-Shopify-API-Version", Version)
	req.Header.Set("X-Shopify-Hmac-Sha256", base64.StdEncoding.EncodeToString(m.Sum(nil)))
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
