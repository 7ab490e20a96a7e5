// Package shopifyhook is the HTTP face of Shopify's webhooks: POST
// /webhooks/shopify/{integrationId} finds the integration, verifies
// X-Shopify-Hmac-Sha256 over the raw body with the integration's webhook
// secret, and records an orders/create as an internal event addressed to
// that integration (deduplicated by X-Shopify-Webhook-Id), which the
// dispatcher turns into an IMPORT_ORDER job. It answers fast, says nothing
// of the inside, and never logs a secret or the order's body.
package shopifyhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/connectors/shopify"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/inbound"
	"github.com/renkei-pos/renkei/shared/integrations"
	"github.com/renkei-pos/renkei/shared/tenant"
	"github.com/renkei-pos/renkei/shared/text"
)

// Pattern is the handler's ServeMux pattern (graph.Config.Routes).
const Pattern = "POST /webhooks/shopify/{integrationId}"

// MaxBodyBytes bounds a webhook's body.
const MaxBodyBytes = 256 << 10

// TopicOrdersCreate is the one topic recorded; others are acknowledged.
const TopicOrdersCreate = "orders/create"

// Headers Shopify sends.
const (
	HeaderHmac      = "X-Shopify-Hmac-Sha256"
	HeaderTopic     = "X-Shopify-Topic"
	HeaderWebhookID = "X-Shopify-Webhook-Id"
)

// handleTimeout bounds the work behind one webhook; Shopify waits 5 s.
const handleTimeout = 4 * time.Second

// Integrations is what the handler reads and writes of the hub's store
// (integrations.Store implements it).
type Integrations interface {
	// TenantOfIntegration resolves an integration id to its tenant.
	TenantOfIntegration(ctx context.Context, integrationID string) (string, error)
	// GetIntegration reads one (tenant in ctx; NOT_FOUND when absent).
	GetIntegration(ctx context.Context, id string) (integrations.Integration, error)
	// RecordInbound writes the event, deduplicated by dedupeKey.
	RecordInbound(ctx context.Context, ev integrations.Event, dedupeKey string) (duplicate bool, err error)
}

// SecretsOpener opens sealed secrets (integrations.Sealer).
type SecretsOpener interface {
	Open(ctx context.Context, sealed, aad []byte) ([]byte, error)
}

// Handler serves Pattern.
type Handler struct {
	Store   Integrations
	Secrets SecretsOpener
	Logger  *slog.Logger
	Now     func() time.Time
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, ok := inbound.ReadBody(w, r, MaxBodyBytes)
	if !ok {
		return
	}
	id := integrationID(r)
	log := h.logger().With("integrationId", id, "topic", clean(r.Header.Get(HeaderTopic)), "webhookId", clean(r.Header.Get(HeaderWebhookID)))
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), handleTimeout)
	defer cancel()
	status, msg := h.handle(ctx, log, id, r.Header, body)
	inbound.Answer(w, status, msg)
}

// handle does the work and returns the answer.
func (h *Handler) handle(ctx context.Context, log *slog.Logger, id string, hdr http.Header, body []byte) (int, string) {
	if !ids.Valid(ids.Integration, id) {
		return http.StatusNotFound, "no such integration"
	}
	tid, err := h.Store.TenantOfIntegration(ctx, id)
	if err != nil {
		return h.storeFailure(ctx, log, "resolve the integration's tenant", err)
	}
	ctx = tenant.WithID(ctx, tid)
	log = log.With("tenantId", tid)
	in, err := h.Store.GetIntegration(ctx, id)
	if err != nil {
		return h.storeFailure(ctx, log, "read the integration", err)
	}
	if in.Provider != integrations.Shopify || in.Disconnected {
		log.InfoContext(ctx, "shopify webhook for an integration that is not a connected Shopify integration")
		return http.StatusNotFound, "no such integration"
	}
	// The aad of integrations.SecretsAAD: tenant and integration.
	plain, err := h.Secrets.Open(ctx, in.SealedSecrets, []byte(tid+"|"+id))
	if err != nil {
		log.ErrorContext(ctx, "shopify webhook: the integration's secrets could not be opened", "error", err.Error())
		return http.StatusServiceUnavailable, "not processed; retry later"
	}
	sec, err := shopify.ParseSecrets(plain)
	if err != nil {
		log.ErrorContext(ctx, "shopify webhook: "+err.Error())
		return http.StatusServiceUnavailable, "not processed; retry later"
	}
	if !Verify(body, hdr.Get(HeaderHmac), sec.WebhookSecret) {
		log.WarnContext(ctx, "shopify webhook refused: bad signature")
		return http.StatusUnauthorized, "invalid signature"
	}
	if topic := hdr.Get(HeaderTopic); topic != TopicOrdersCreate {
		log.InfoContext(ctx, "shopify webhook ignored: topic not handled")
		return http.StatusOK, ""
	}
	webhookID := hdr.Get(HeaderWebhookID)
	if webhookID == "" || len(webhookID) > 128 || !text.Clean(webhookID, false) {
		return http.StatusBadRequest, "missing " + HeaderWebhookID
	}
	order, err := shopify.ReduceOrder(body)
	if err != nil {
		log.WarnContext(ctx, "shopify webhook refused: "+err.Error())
		return http.StatusBadRequest, "not a valid order"
	}
	data, err := json.Marshal(order)
	if err != nil {
		return h.storeFailure(ctx, log, "encode the order", err)
	}
	ev := integrations.Event{
		// Derived from the webhook id (and dated by the order): a delivery
		// of the same webhook is the same event.
		ID:   ids.Derive("evt", order.CreatedAt, "shopify|"+id+"|"+webhookID),
		Type: integrations.EventShopifyOrder, CreatedAt: h.now().UTC(), TenantID: tid, Data: data,
		IntegrationID: id, FromOutbox: true,
	}
	dup, err := h.Store.RecordInbound(ctx, ev, id+"|"+webhookID)
	if err != nil {
		return h.storeFailure(ctx, log, "record the order", err)
	}
	log.InfoContext(ctx, "shopify order received", "orderId", order.ID, "eventId", ev.ID, "duplicate", dup)
	return http.StatusOK, ""
}

// storeFailure answers a failed step: an unknown integration is 404; our
// own trouble is 503, which Shopify retries.
func (h *Handler) storeFailure(ctx context.Context, log *slog.Logger, what string, err error) (int, string) {
	if apperr.Is(err, apperr.NotFound) {
		return http.StatusNotFound, "no such integration"
	}
	log.ErrorContext(ctx, "shopify webhook: could not "+what, "error", err.Error())
	return http.StatusServiceUnavailable, "not processed; retry later"
}

// Verify checks Shopify's signature: the base64 HMAC-SHA256 of the raw
// body with the webhook secret, compared in constant time.
func Verify(body []byte, signature, secret string) bool {
	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(signature))
	if err != nil || len(got) != sha256.Size || secret == "" {
		return false
	}
	return hmac.Equal(Sign(body, secret), got)
}

// Sign is the signature of body (raw bytes; Verify and tests, the fake shop).
func Sign(body []byte, secret string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return m.Sum(nil)
}

// SignatureHeader is Sign as Shopify sends it in HeaderHmac.
func SignatureHeader(body []byte, secret string) string {
	return base64.StdEncoding.EncodeToString(Sign(body, secret))
}

// integrationID is the path's integration id.
func integrationID(r *http.Request) string {
	if id := r.PathValue("integrationId"); id != "" {
		return id
	}
	rest, _ := strings.CutPrefix(r.URL.Path, "/webhooks/shopify/")
	return rest
}

// clean keeps a header fit for a log attribute.
func clean(v string) string {
	if len(v) > 128 || !text.Clean(v, false) {
		return "?"
	}
	return v
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}
