package identity

// ImportSales is recording an order an integration received (a Shopify
// order as a sale). No role or API key scope grants it: only the
// integration principal holds it, and it holds nothing else.
const ImportSales Permission = "sales:import"

// IntegrationPrincipal is the caller a job acts as when it writes to renkei
// on an integration's behalf (the worker puts it in the context of an
// IMPORT_ORDER job): the tenant's integration, allowed to import sales at
// any of the tenant's locations and to do nothing else — no reads through
// the API's services, no refunds, no settings.
func IntegrationPrincipal(tenantID, integrationID string) Principal {
	return Principal{TenantID: tenantID, IntegrationID: integrationID}
}
