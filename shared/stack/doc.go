// Package stack assembles renkei: the application services on a DynamoDB
// table, the GraphQL handler in front of them, and — for `make run` and the
// tests — the local engines (DynamoDB Local, the embedded SQS emulator)
// started on loopback. The Lambda and local mains stay thin by calling it.
package stack
