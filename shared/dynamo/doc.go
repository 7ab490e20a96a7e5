// Package dynamo is renkei's single-table DynamoDB adapter. It owns every
// item shape and key (see docs/data-model.md), builds tenant-owned keys only
// from the tenant in the request context, bounds every call with a timeout,
// and runs business writes as single TransactWriteItems with idempotency
// records and bounded, jittered retries of transaction conflicts.
package dynamo
