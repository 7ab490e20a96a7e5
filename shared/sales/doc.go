// Package sales is selling: checkout (pricing server-side, tax, tenders),
// orders with their human-readable numbers, Japan receipts, and customers.
// A checkout is priced and validated here as pure code; the Store writes the
// order, its register's next number, its commutative stock takes, the
// idempotency record and the `order.completed` outbox event in one
// transaction.
package sales
