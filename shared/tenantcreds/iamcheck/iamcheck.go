// Package iamcheck emulates, on a DynamoDB client, the IAM policies of
// infra/tenantdata.go, for tests against DynamoDB Local (which ignores
// IAM). Each data call is judged the way AWS would judge it in the stack:
// a context with a tenant runs as the TenantData role's session of that
// tenant (shared/tenantcreds), one without as a function's own role; every
// item the call names (its dynamodb:LeadingKeys: the table's or the
// queried index's partition key) must be allowed for that action, or the
// call fails before it is sent with an AccessDeniedException-like error.
//
// The grants below mirror infra/tenantdata.go (infra is a module of its
// own); infra/tenantdata_test.go asserts the same lines against the
// synthesized template. Change the three together.
//
// The function roles are emulated as one (the union of the four roles'
// platform grants), since the local stack runs the API, the scheduler and
// the integration hub on one client: this proves tenant against platform,
// not api against scheduler.
package iamcheck

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/renkei-pos/renkei/shared/tenant"
)

type grant struct {
	actions []string
	keys    []string // StringLike patterns; "<tenant>" is the session's tenant
	index   string   // "" table, "*" table and any index, else one index
}

// tenantGrants mirror the TenantData role's policy.
var tenantGrants = []grant{
	{actions: []string{"BatchGetItem", "ConditionCheckItem", "DeleteItem", "GetItem", "PutItem", "Query", "UpdateItem"}, keys: []string{"T#<tenant>*"}, index: "*"},
	{actions: []string{"PutItem"}, keys: []string{"LOGIN#*", "APIKEYHASH#*", "SESSION#*", "STRIPEACCT#*", "PENDINGPAY#*", "INTEGRATION#*"}},
	{actions: []string{"UpdateItem"}, keys: []string{"APIKEYHASH#*", "SESSION#*"}},
	{actions: []string{"DeleteItem"}, keys: []string{"PENDINGPAY#*"}},
	{actions: []string{"GetItem"}, keys: []string{"STREAMPOS#WATERMARK"}},
}

// functionGrants are the union of the api's, the scheduler's, the
// dispatcher's and the worker's own roles' item grants.
var functionGrants = []grant{
	{actions: []string{"GetItem"}, keys: []string{"LOGIN#*", "APIKEYHASH#*", "STRIPEACCT#*", "INTEGRATION#*"}},
	{actions: []string{"UpdateItem"}, keys: []string{"LOGINFAIL#*", "SESSION#*"}},
	{actions: []string{"DeleteItem"}, keys: []string{"LOGINFAIL#*"}},
	{actions: []string{"Query"}, keys: []string{"PENDINGPAY#*"}},
	{actions: []string{"Query"}, keys: []string{"OUTBOX#*"}, index: "gsi2"},
	{actions: []string{"UpdateItem"}, keys: []string{"STREAMPOS#WATERMARK"}},
}

// Denied is the error of a call IAM would refuse.
type Denied struct {
	Principal string // "tenant tnt_…" or "function"
	Action    string
	Key       string
	Index     string
}

func (d *Denied) Error() string {
	on := "the table"
	if d.Index != "" {
		on = "index " + d.Index
	}
	return fmt.Sprintf("AccessDeniedException (emulated, as IAM would in AWS): %s may not dynamodb:%s on %s for leading key %q"+
		" (a tenant key needs the tenant in ctx; a new platform key needs a grant in infra/tenantdata.go and shared/tenantcreds/iamcheck)",
		d.Principal, d.Action, on, d.Key)
}

// Option installs the check on a client; denied, if not nil, also hears
// of each refusal (tests collect them).
func Option(denied func(*Denied)) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("renkeiIAMCheck",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					if d := Check(ctx, in.Parameters); d != nil {
						if denied != nil {
							denied(d)
						}
						return middleware.InitializeOutput{}, middleware.Metadata{}, d
					}
					return next.HandleInitialize(ctx, in)
				}), middleware.Before)
		})
	}
}

// access is one item an operation names: the action IAM checks and the
// leading key.
type access struct {
	action, key, index string
}

// Check judges one operation input under ctx's principal; nil = allowed.
// Operations that name no item (DescribeTable, CreateTable…) pass, except
// Scan, BatchWriteItem and PartiQL, which no role is granted.
func Check(ctx context.Context, params any) *Denied {
	tid, err := tenant.IDFrom(ctx)
	principal, grants := "function", functionGrants
	if err == nil {
		principal, grants = "tenant "+tid, tenantGrants
	}
	accesses, forbidden := accessesOf(params)
	if forbidden != "" {
		return &Denied{Principal: principal, Action: forbidden}
	}
	for _, a := range accesses {
		if !allowed(grants, tid, a) {
			return &Denied{Principal: principal, Action: a.action, Key: a.key, Index: a.index}
		}
	}
	return nil
}

func allowed(grants []grant, tid string, a access) bool {
	for _, g := range grants {
		if !contains(g.actions, a.action) || !(g.index == "*" || g.index == a.index) {
			continue
		}
		for _, k := range g.keys {
			if tid != "" {
				k = strings.ReplaceAll(k, "<tenant>", tid)
			} else if strings.Contains(k, "<tenant>") {
				continue
			}
			if like(k, a.key) {
				return true
			}
		}
	}
	return false
}

// like is IAM's StringLike for the patterns above (a trailing * only).
func like(pattern, s string) bool {
	if p, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(s, p)
	}
	return pattern == s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func pkOf(item map[string]types.AttributeValue, attr string) string {
	if v, ok := item[attr].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// eqRE finds "name = :value" terms of a key condition.
var eqRE = regexp.MustCompile(`(#?[A-Za-z0-9_]+)\s*=\s*(:[A-Za-z0-9_]+)`)

func accessesOf(params any) (out []access, forbidden string) {
	switch in := params.(type) {
	case *dynamodb.GetItemInput:
		out = append(out, access{"GetItem", pkOf(in.Key, "pk"), ""})
	case *dynamodb.PutItemInput:
		out = append(out, access{"PutItem", pkOf(in.Item, "pk"), ""})
	case *dynamodb.UpdateItemInput:
		out = append(out, access{"UpdateItem", pkOf(in.Key, "pk"), ""})
	case *dynamodb.DeleteItemInput:
		out = append(out, access{"DeleteItem", pkOf(in.Key, "pk"), ""})
	case *dynamodb.BatchGetItemInput:
		for _, ka := range in.RequestItems {
			for _, k := range ka.Keys {
				out = append(out, access{"BatchGetItem", pkOf(k, "pk"), ""})
			}
		}
	case *dynamodb.TransactGetItemsInput:
		for _, it := range in.TransactItems {
			if it.Get != nil {
				out = append(out, access{"GetItem", pkOf(it.Get.Key, "pk"), ""})
			}
		}
	case *dynamodb.TransactWriteItemsInput:
		for _, it := range in.TransactItems {
			switch {
			case it.Put != nil:
				out = append(out, access{"PutItem", pkOf(it.Put.Item, "pk"), ""})
			case it.Update != nil:
				out = append(out, access{"UpdateItem", pkOf(it.Update.Key, "pk"), ""})
			case it.Delete != nil:
				out = append(out, access{"DeleteItem", pkOf(it.Delete.Key, "pk"), ""})
			case it.ConditionCheck != nil:
				out = append(out, access{"ConditionCheckItem", pkOf(it.ConditionCheck.Key, "pk"), ""})
			}
		}
	case *dynamodb.QueryInput:
		index, attr := "", "pk"
		if in.IndexName != nil {
			index = *in.IndexName
			attr = index + "pk" // gsi1 → gsi1pk, gsi2 → gsi2pk
		}
		key := ""
		if in.KeyConditionExpression != nil {
			for _, m := range eqRE.FindAllStringSubmatch(*in.KeyConditionExpression, -1) {
				name := m[1]
				if n, ok := in.ExpressionAttributeNames[name]; ok {
					name = n
				}
				if name == attr {
					if v, ok := in.ExpressionAttributeValues[m[2]].(*types.AttributeValueMemberS); ok {
						key = v.Value
					}
				}
			}
		}
		out = append(out, access{"Query", key, index})
	case *dynamodb.ScanInput:
		return nil, "Scan"
	case *dynamodb.BatchWriteItemInput:
		return nil, "BatchWriteItem"
	case *dynamodb.ExecuteStatementInput, *dynamodb.BatchExecuteStatementInput, *dynamodb.ExecuteTransactionInput:
		return nil, "PartiQL"
	}
	return out, ""
}
