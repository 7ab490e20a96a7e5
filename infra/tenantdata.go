package main

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Tenant isolation in IAM (docs/operations.md "Tenant isolation, layer by
// layer" has the table of every call path and its credentials).
//
// Every tenant-owned partition key — the table's pk and every tenant GSI
// partition key — starts with the fixed-width "T#<tenantId>" (tnt_ + 26
// characters). Tenant work runs with a session of the TenantData role,
// assumed per tenant by shared/tenantcreds with the session tag
// tenant=<id>; its policy allows the table's actions only on keys matching
// "T#${aws:PrincipalTag/tenant}*". The functions' own roles keep only what
// they do before a tenant is known, on platform-prefixed keys.
//
// dynamodb:LeadingKeys is tested with ForAllValues, which is true of an
// empty set: an action that carries no partition key (Scan, the stream
// reads, DescribeTable) would pass the condition, so such actions are simply
// never granted with it.

// tenantTagPattern matches a tenant id and nothing longer or shorter
// (ids.Tenant: "tnt_" + 26 characters): the trust policy refuses any other
// session tag, so "T#<tag>*" can never be a prefix of another tenant's keys.
var tenantTagPattern = "tnt_" + strings.Repeat("?", 26)

// tenantKeyPattern is the TenantData role's leading-key pattern.
const tenantKeyPattern = "T#${aws:PrincipalTag/tenant}*"

// tenantActions are what tenant work does on its own keys, table and
// indexes (TransactWriteItems and TransactGetItems are authorized as these
// per item). No Scan, no BatchWriteItem, no stream read.
var tenantActions = []string{
	"dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem", "dynamodb:GetItem",
	"dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem",
}

// keyGrant allows actions on items whose partition key matches one of keys
// (StringLike patterns), on the table or on one index.
type keyGrant struct {
	actions []string
	keys    []string
	index   string // "" = the table
}

// tenantPlatformWrites are the platform items a tenant's own transactions
// write beside its items (sign-up and new staff: LOGIN#; API keys:
// APIKEYHASH#; sessions: SESSION#; Stripe onboarding: STRIPEACCT#; card
// sales and their settlement: PENDINGPAY#; connecting an integration:
// INTEGRATION#), and the one platform item a tenant's request reads (the
// stream watermark: reports' "as of"). Writes only, each action on the
// prefixes that need it; never a read of another tenant's lookup items.
var tenantPlatformWrites = []keyGrant{
	{actions: []string{"dynamodb:PutItem"}, keys: []string{"LOGIN#*", "APIKEYHASH#*", "SESSION#*", "STRIPEACCT#*", "PENDINGPAY#*", "INTEGRATION#*"}},
	{actions: []string{"dynamodb:UpdateItem"}, keys: []string{"APIKEYHASH#*", "SESSION#*"}},
	{actions: []string{"dynamodb:DeleteItem"}, keys: []string{"PENDINGPAY#*"}},
	{actions: []string{"dynamodb:GetItem"}, keys: []string{"STREAMPOS#WATERMARK"}},
}

// Each function's own role: what it does without a tenant in context.
var (
	// The api: log-in (the e-mail's login, the attempt counters), bearer
	// API keys, refresh (the session family), and the webhooks' lookups
	// (Stripe account, Shopify integration) before their tenant is known.
	apiPlatformKeys = []keyGrant{
		{actions: []string{"dynamodb:GetItem"}, keys: []string{"LOGIN#*", "APIKEYHASH#*", "STRIPEACCT#*", "INTEGRATION#*"}},
		{actions: []string{"dynamodb:UpdateItem"}, keys: []string{"LOGINFAIL#*", "SESSION#*"}},
		{actions: []string{"dynamodb:DeleteItem"}, keys: []string{"LOGINFAIL#*"}},
	}
	// The scheduler: the pending-payment index (expired card sales of every
	// tenant) and the outbox index on gsi2 (events the stream did not
	// dispatch); each found item is then handled with its tenant's session.
	schedulerPlatformKeys = []keyGrant{
		{actions: []string{"dynamodb:Query"}, keys: []string{"PENDINGPAY#*"}},
		{actions: []string{"dynamodb:Query"}, keys: []string{"OUTBOX#*"}, index: "gsi2"},
	}
	// The dispatcher: its watermark. (Its stream reads are the event source
	// mapping's, on the stream ARN; tenants' items with tenants' sessions.)
	dispatcherPlatformKeys = []keyGrant{
		{actions: []string{"dynamodb:UpdateItem"}, keys: []string{"STREAMPOS#WATERMARK"}},
	}
	// The worker touches no platform item: every job names its tenant.
	workerPlatformKeys []keyGrant
)

// leadingKeys is the condition limiting an action to partition keys
// matching patterns.
func leadingKeys(patterns ...string) *map[string]interface{} {
	return &map[string]interface{}{
		"ForAllValues:StringLike": map[string]interface{}{"dynamodb:LeadingKeys": patterns},
	}
}

// keyStatements are grants as policy statements.
func keyStatements(table awsdynamodb.Table, grants []keyGrant) []awsiam.PolicyStatement {
	var out []awsiam.PolicyStatement
	for _, g := range grants {
		resource := table.TableArn()
		if g.index != "" {
			resource = jsii.String(*table.TableArn() + "/index/" + g.index)
		}
		out = append(out, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Effect:     awsiam.Effect_ALLOW,
			Actions:    jsii.Strings(g.actions...),
			Resources:  &[]*string{resource},
			Conditions: leadingKeys(g.keys...),
		}))
	}
	return out
}

// isolateTenants creates the TenantData role, lets each function assume it
// (RENKEI_TENANT_ROLE_ARN) and gives each function's own role its platform
// keys only.
func isolateTenants(scope constructs.Construct, table awsdynamodb.Table, api, scheduler, dispatcher, worker awslambda.Function) awsiam.Role {
	fns := []awslambda.Function{api, scheduler, dispatcher, worker}
	role := newTenantDataRole(scope, table, fns)
	for i, grants := range [][]keyGrant{apiPlatformKeys, schedulerPlatformKeys, dispatcherPlatformKeys, workerPlatformKeys} {
		fn := fns[i]
		for _, st := range keyStatements(table, grants) {
			fn.AddToRolePolicy(st)
		}
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Effect:    awsiam.Effect_ALLOW,
			Actions:   jsii.Strings("sts:AssumeRole", "sts:TagSession"),
			Resources: &[]*string{role.RoleArn()},
		}))
		fn.AddEnvironment(jsii.String("RENKEI_TENANT_ROLE_ARN"), role.RoleArn(), nil)
	}
	// The api's health check (GET /healthz pings the table): no item, no key.
	api.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Effect:    awsiam.Effect_ALLOW,
		Actions:   jsii.Strings("dynamodb:DescribeTable"),
		Resources: &[]*string{table.TableArn()},
	}))
	return role
}

// newTenantDataRole is the role tenant work runs as, one session per
// tenant. Only the functions' roles may assume it, only with exactly one
// session tag, tenant, whose value has a tenant id's shape.
func newTenantDataRole(scope constructs.Construct, table awsdynamodb.Table, fns []awslambda.Function) awsiam.Role {
	var principals []awsiam.IPrincipal
	for _, fn := range fns {
		principals = append(principals, awsiam.NewArnPrincipal(fn.Role().RoleArn()))
	}
	role := awsiam.NewRole(scope, jsii.String("TenantDataRole"), &awsiam.RoleProps{
		Description: jsii.String("renkei: one tenant's items; assumed per tenant with the session tag tenant=<id> (shared/tenantcreds)"),
		AssumedBy: awsiam.NewSessionTagsPrincipal(awsiam.NewPrincipalWithConditions(
			awsiam.NewCompositePrincipal(principals...),
			&map[string]interface{}{
				"StringLike":                map[string]interface{}{"aws:RequestTag/tenant": tenantTagPattern},
				"ForAllValues:StringEquals": map[string]interface{}{"aws:TagKeys": []string{"tenant"}},
			})),
		// shared/tenantcreds asks for an hour and renews 5 minutes early.
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
	})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Effect:     awsiam.Effect_ALLOW,
		Actions:    jsii.Strings(tenantActions...),
		Resources:  &[]*string{table.TableArn(), jsii.String(*table.TableArn() + "/index/*")},
		Conditions: leadingKeys(tenantKeyPattern),
	}))
	for _, st := range keyStatements(table, tenantPlatformWrites) {
		role.AddToPolicy(st)
	}
	return role
}
