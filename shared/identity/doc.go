// Package identity signs merchants up, logs users in, issues and rotates
// sessions, manages staff and API keys, and decides what a caller may do.
// Authentication puts a Principal (and with it the tenant id) into the
// request's context; nothing else may.
package identity
