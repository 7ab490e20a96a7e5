// Package tenant holds a merchant's account (the tenant), its settings and its
// locations (stores, registers' homes), and carries the tenant id through a
// request's context. Everything tenant-owned is keyed by the id found here,
// which only authentication may set.
package tenant
