// Package webhook is the WEBHOOK connector of the integration hub: it
// delivers the tenant's business events (order.completed, order.refunded,
// inventory.changed, register.closed, customer.created, timecard.closed) to a merchant's
// HTTPS endpoint, signed like Stripe's webhooks (Renkei-Signature), once per
// event id, and only to public addresses in production: the URL is checked
// when the integration is connected and every address is checked again when
// a delivery dials, so DNS cannot point a delivery into renkei's network.
package webhook
