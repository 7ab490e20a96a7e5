// Package dynamotest sets up the single table on DynamoDB Local for the tests
// of the packages served by shared/dynamo: a table, and a tenant with its
// owner written the way sign-up writes them.
package dynamotest

import (
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/dynamo"
	"github.com/renkei-pos/renkei/shared/dynamolocal"
	"github.com/renkei-pos/renkei/shared/identity"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// MustTable starts DynamoDB Local for one test and returns the table called
// name on it, created.
func MustTable(tb testing.TB, name string) *dynamo.Table {
	tb.Helper()
	srv := dynamolocal.MustStart(tb)
	client, err := dynamolocal.NewClient(tb.Context(), srv.Endpoint())
	if err != nil {
		tb.Fatal(err)
	}
	table := dynamo.New(client, name)
	if err := table.EnsureTable(tb.Context()); err != nil {
		tb.Fatal(err)
	}
	return table
}

// MustTenant writes a new tenant called name to table with an owner user and
// that owner's login, and returns the tenant.
func MustTenant(tb testing.TB, table *dynamo.Table, name string) tenant.Tenant {
	tb.Helper()
	now := time.Now().UTC()
	tn, err := tenant.New(ids.New(ids.Tenant), name, "", "", now)
	if err != nil {
		tb.Fatal(err)
	}
	owner := identity.User{ID: ids.New(ids.User), TenantID: tn.ID, Email: "o@example.com", Name: "O", Role: identity.Owner, CreatedAt: now}
	login := identity.Login{Email: owner.Email, TenantID: tn.ID, UserID: owner.ID, PasswordHash: "h"}
	if err := dynamo.NewIdentityStore(table).CreateTenant(tb.Context(), tn, owner, login); err != nil {
		tb.Fatal(err)
	}
	return tn
}
