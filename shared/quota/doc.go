// Package quota limits each tenant's requests platform-wide: every API
// instance leases tokens in chunks from one DynamoDB item per tenant
// (T#<tenantId>#QUOTA, a GCRA token bucket updated with a conditional ADD),
// so the limit holds however many instances serve the tenant, at one storage
// call per chunk rather than per request. When the table is slow or failing
// the limiter fails open to a bounded per-instance limit.
package quota
