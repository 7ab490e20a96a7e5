// Package ddbstream is the table's one stream consumer: the records of the
// DynamoDB stream (NEW_IMAGE) reach every handler that plugs in — the
// sales aggregator, the integration hub's dispatcher — through one Handler
// shape, whether they come from Lambda's event source mapping in
// production (Lambda) or from the local poller (Poller) in `make run` and
// the tests. Delivery is at least once, in order within a shard; a handler
// reports the records it could not handle and they come again.
package ddbstream
