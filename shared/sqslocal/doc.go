// Package sqslocal runs goaws v0.5.4, an SQS look-alike, inside this process
// on 127.0.0.1, with the background tasks that make visibility timeouts
// expire and move messages to dead-letter queues, and builds SDK clients for it.
//
// goaws keeps its queues and configuration in package-level variables, so
// only one Server can run per process at a time; Start says so with
// ErrAlreadyRunning rather than letting two servers share queues silently.
package sqslocal
