package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
)

// Tenant isolation (tenantdata.go): the TenantData role's trust and
// policy, and the functions' own roles reduced to platform keys. Each check
// has breaking cases in TestTenantChecksDetectDefects.

// The expectations are spelled out here, not read from tenantdata.go, so a
// change to a grant must change both.
const (
	wantTenantTag = "tnt_??????????????????????????" // tnt_ + 26 single-character wildcards
	wantTenantKey = "T#${aws:PrincipalTag/tenant}*"
)

// platformPrefixes are the partition-key prefixes of platform items.
var platformPrefixes = []string{"LOGIN#", "APIKEYHASH#", "SESSION#", "LOGINFAIL#", "STRIPEACCT#", "PENDINGPAY#", "INTEGRATION#", "STREAMPOS#", "OUTBOX#"}

func init() {
	checks = append(checks, tenantChecks...)
}

// tenantRole is the TenantData role's logical id.
func tenantRole(t assertions.Template) string {
	var found []string
	for id, r := range templateJSON(t)["Resources"].(obj) {
		r := r.(obj)
		p, _ := r["Properties"].(obj)
		if d, _ := p["Description"].(string); r["Type"] == "AWS::IAM::Role" && strings.HasPrefix(d, "renkei: one tenant's items") {
			found = append(found, id)
		}
	}
	if len(found) != 1 {
		panic(fmt.Sprintf("%d TenantData roles, want 1", len(found)))
	}
	return found[0]
}

// roleStatements are the statements of the inline policies attached to a role.
func roleStatements(t assertions.Template, role string) []obj {
	var out []obj
	for _, r := range templateJSON(t)["Resources"].(obj) {
		r := r.(obj)
		if r["Type"] != "AWS::IAM::Policy" {
			continue
		}
		p := r["Properties"].(obj)
		for _, rr := range listOf(p["Roles"]) {
			if o, _ := rr.(obj); o["Ref"] == role {
				out = append(out, statements(p)...)
			}
		}
	}
	return out
}

// keyGrantOf reads a statement as "actions on resource for keys": the
// patterns of its ForAllValues:StringLike dynamodb:LeadingKeys condition,
// or panics when the statement has any other condition or none.
func keyGrantOf(st obj) (actions []string, resources []string, keys []string) {
	actions = stringsOf(st["Action"])
	sort.Strings(actions)
	for _, r := range listOf(st["Resource"]) {
		resources = append(resources, mustJSON(r))
	}
	cond, _ := st["Condition"].(obj)
	if len(cond) != 1 {
		panic(fmt.Sprintf("statement %s: want exactly one condition, ForAllValues:StringLike on dynamodb:LeadingKeys", mustJSON(st)))
	}
	like, _ := cond["ForAllValues:StringLike"].(obj)
	if len(like) != 1 || like["dynamodb:LeadingKeys"] == nil {
		panic(fmt.Sprintf("statement %s: want exactly one condition, ForAllValues:StringLike on dynamodb:LeadingKeys", mustJSON(st)))
	}
	keys = stringsOf(like["dynamodb:LeadingKeys"])
	sort.Strings(keys)
	return actions, resources, keys
}

// grantLines are a role's DynamoDB item grants as sorted lines
// "<actions> on <table|index/...> for <keys>".
func grantLines(t assertions.Template, stmts []obj) []string {
	table, allIndexes := mustJSON(arn(ids.table)), mustJSON(obj{"Fn::Join": arr{"", arr{arn(ids.table), "/index/*"}}})
	var out []string
	for _, st := range stmts {
		if !strings.Contains(mustJSON(st["Action"]), "dynamodb:") {
			continue
		}
		if st["Effect"] != "Allow" {
			panic("a DynamoDB statement that is not Allow: " + mustJSON(st))
		}
		all := stringsOf(st["Action"])
		if len(all) == 1 && all[0] == "dynamodb:DescribeTable" {
			continue // no item; asserted by "IAM: table actions per function"
		}
		if strings.Contains(mustJSON(st["Resource"]), "StreamArn") || onlyStreamActions(all) {
			continue // the event source mapping's; "IAM: stream reads only for the consumer"
		}
		actions, resources, keys := keyGrantOf(st)
		var on []string
		for _, r := range resources {
			switch {
			case r == table:
				on = append(on, "table")
			case r == allIndexes:
				on = append(on, "index/*")
			case strings.Contains(r, "/index/"):
				var j obj
				_ = json.Unmarshal([]byte(r), &j)
				parts := j["Fn::Join"].(arr)[1].(arr)
				on = append(on, strings.TrimPrefix(parts[len(parts)-1].(string), "/"))
			default:
				panic("a DynamoDB grant on " + r)
			}
		}
		out = append(out, fmt.Sprintf("%s on %s for %s", strings.Join(actions, ","), strings.Join(on, "+"), strings.Join(keys, ",")))
	}
	sort.Strings(out)
	return out
}

// onlyStreamActions: the DynamoDB actions are stream reads (the event
// source mapping adds ListStreams on "*"), not item actions.
func onlyStreamActions(actions []string) bool {
	for _, a := range actions {
		switch a {
		case "dynamodb:ListStreams", "dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator":
		default:
			if strings.HasPrefix(a, "dynamodb:") {
				return false
			}
		}
	}
	return true
}

func sameLines(what string, got, want []string) {
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		panic(fmt.Sprintf("%s:\n got  %s\n want %s", what, strings.Join(got, "\n      "), strings.Join(want, "\n      ")))
	}
}

var tenantChecks = []struct {
	name  string
	check func(t assertions.Template)
}{
	{"tenant isolation: TenantData trust (function roles, one tenant tag)", func(t assertions.Template) {
		role := tenantRole(t)
		p := templateJSON(t)["Resources"].(obj)[role].(obj)["Properties"].(obj)
		if p["MaxSessionDuration"] != float64(3600) {
			panic(fmt.Sprintf("MaxSessionDuration %v, want 3600", p["MaxSessionDuration"]))
		}
		stmts := p["AssumeRolePolicyDocument"].(obj)["Statement"].(arr)
		if len(stmts) != 1 {
			panic(fmt.Sprintf("%d trust statements, want 1", len(stmts)))
		}
		st := stmts[0].(obj)
		actions := stringsOf(st["Action"])
		sort.Strings(actions)
		if st["Effect"] != "Allow" || strings.Join(actions, " ") != "sts:AssumeRole sts:TagSession" {
			panic(fmt.Sprintf("trust allows %v %v, want sts:AssumeRole sts:TagSession", st["Effect"], actions))
		}
		var want, got []string
		for _, fn := range ids.functions() {
			role := getAttTarget(templateJSON(t)["Resources"].(obj)[fn].(obj)["Properties"].(obj)["Role"])
			want = append(want, mustJSON(arn(role)))
		}
		principal, _ := st["Principal"].(obj)
		if len(principal) != 1 {
			panic("trust principal " + mustJSON(st["Principal"]))
		}
		for _, a := range listOf(principal["AWS"]) {
			got = append(got, mustJSON(a))
		}
		sort.Strings(got)
		sameLines("the TenantData role's principals", got, want)
		wantCond := mustJSON(obj{
			"ForAllValues:StringEquals": obj{"aws:TagKeys": arr{"tenant"}},
			"StringLike":                obj{"aws:RequestTag/tenant": wantTenantTag},
		})
		if got := mustJSON(st["Condition"]); got != wantCond {
			panic(fmt.Sprintf("trust condition %s, want %s", got, wantCond))
		}
	}},
	{"tenant isolation: TenantData reaches T#<tenant> keys and named platform writes only", func(t assertions.Template) {
		sameLines("the TenantData role's grants", grantLines(t, roleStatements(t, tenantRole(t))), []string{
			"dynamodb:BatchGetItem,dynamodb:ConditionCheckItem,dynamodb:DeleteItem,dynamodb:GetItem,dynamodb:PutItem,dynamodb:Query,dynamodb:UpdateItem on table+index/* for " + wantTenantKey,
			"dynamodb:PutItem on table for APIKEYHASH#*,INTEGRATION#*,LOGIN#*,PENDINGPAY#*,SESSION#*,STRIPEACCT#*",
			"dynamodb:UpdateItem on table for APIKEYHASH#*,SESSION#*",
			"dynamodb:DeleteItem on table for PENDINGPAY#*",
			"dynamodb:GetItem on table for STREAMPOS#WATERMARK",
		})
	}},
	{"tenant isolation: TenantData has no keyless or non-DynamoDB action", func(t assertions.Template) {
		for _, st := range roleStatements(t, tenantRole(t)) {
			for _, a := range stringsOf(st["Action"]) {
				switch {
				case !strings.HasPrefix(a, "dynamodb:"), strings.Contains(a, "*"),
					a == "dynamodb:Scan", a == "dynamodb:BatchWriteItem", a == "dynamodb:DescribeTable",
					strings.Contains(a, "Stream"), a == "dynamodb:GetRecords", a == "dynamodb:GetShardIterator",
					a == "dynamodb:PartiQLSelect", a == "dynamodb:ExecuteStatement":
					panic("the TenantData role may " + a)
				}
			}
		}
	}},
	{"tenant isolation: function roles reach platform keys only", func(t assertions.Template) {
		want := map[string][]string{
			ids.function: {
				"dynamodb:GetItem on table for APIKEYHASH#*,INTEGRATION#*,LOGIN#*,STRIPEACCT#*",
				"dynamodb:UpdateItem on table for LOGINFAIL#*,SESSION#*",
				"dynamodb:DeleteItem on table for LOGINFAIL#*",
			},
			ids.scheduler: {
				"dynamodb:Query on table for PENDINGPAY#*",
				"dynamodb:Query on index/gsi2 for OUTBOX#*",
			},
			ids.dispatcher: {"dynamodb:UpdateItem on table for STREAMPOS#WATERMARK"},
			ids.worker:     nil,
		}
		for fn, lines := range want {
			got := grantLines(t, statementsOf(t, fn))
			for _, l := range got {
				keys := l[strings.LastIndex(l, " for ")+5:]
				for _, k := range strings.Split(keys, ",") {
					platform := false
					for _, p := range platformPrefixes {
						platform = platform || (strings.HasPrefix(k, p) && len(k) > len(p))
					}
					if !platform {
						panic(fmt.Sprintf("%s's own role reaches keys %q: not a platform prefix", fn, k))
					}
				}
			}
			sameLines(fn+"'s own DynamoDB grants", got, lines)
		}
	}},
	{"tenant isolation: every function may assume TenantData (RENKEI_TENANT_ROLE_ARN)", func(t assertions.Template) {
		role := tenantRole(t)
		for _, fn := range ids.functions() {
			var got []string
			for _, st := range statementsOf(t, fn) {
				if strings.Contains(mustJSON(st["Action"]), "sts:") {
					a := stringsOf(st["Action"])
					sort.Strings(a)
					got = append(got, strings.Join(a, ",")+" on "+mustJSON(st["Resource"]))
				}
			}
			sameLines(fn+"'s STS grants", got, []string{"sts:AssumeRole,sts:TagSession on " + mustJSON(arn(role))})
			resourceProps(t, fn, obj{"Environment": obj{"Variables": like(obj{"RENKEI_TENANT_ROLE_ARN": arn(role)})}})
		}
	}},
}

// TestTenantChecksDetectDefects breaks the synthesized template one way at
// a time and expects the named check to fail.
func TestTenantChecksDetectDefects(t *testing.T) {
	raw, err := json.Marshal(synthesized.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	trust := func(r obj) obj {
		return r["AssumeRolePolicyDocument"].(obj)["Statement"].(arr)[0].(obj)
	}
	isTenantRole := func(r obj) bool {
		d, _ := r["Description"].(string)
		return strings.HasPrefix(d, "renkei: one tenant's items")
	}
	// tenantStatement is the TenantData policy's T#<tenant> statement.
	eachTenantStatement := func(p obj, f func(s obj)) {
		eachStatement(p, func(s obj) {
			if strings.Contains(mustJSON(s["Condition"]), "PrincipalTag") {
				f(s)
			}
		})
	}
	cases := []struct {
		check  string
		typ    string
		mutate func(p obj)
	}{
		{"tenant isolation: TenantData trust (function roles, one tenant tag)", "AWS::IAM::Role", func(p obj) {
			if isTenantRole(p) {
				delete(trust(p), "Condition")
			}
		}},
		{"tenant isolation: TenantData trust (function roles, one tenant tag)", "AWS::IAM::Role", func(p obj) {
			if isTenantRole(p) {
				trust(p)["Condition"].(obj)["StringLike"] = obj{"aws:RequestTag/tenant": "tnt_*"}
			}
		}},
		{"tenant isolation: TenantData trust (function roles, one tenant tag)", "AWS::IAM::Role", func(p obj) {
			if isTenantRole(p) {
				delete(trust(p)["Condition"].(obj), "ForAllValues:StringEquals") // other tags allowed
			}
		}},
		{"tenant isolation: TenantData trust (function roles, one tenant tag)", "AWS::IAM::Role", func(p obj) {
			if isTenantRole(p) {
				trust(p)["Action"] = "sts:AssumeRole" // untagged sessions: no tenant in the policy
			}
		}},
		{"tenant isolation: TenantData trust (function roles, one tenant tag)", "AWS::IAM::Role", func(p obj) {
			if isTenantRole(p) {
				trust(p)["Principal"] = obj{"AWS": "*"}
			}
		}},
		{"tenant isolation: TenantData trust (function roles, one tenant tag)", "AWS::IAM::Role", func(p obj) {
			if isTenantRole(p) {
				p["MaxSessionDuration"] = 43200
			}
		}},
		{"tenant isolation: TenantData reaches T#<tenant> keys and named platform writes only", "AWS::IAM::Policy", func(p obj) {
			eachTenantStatement(p, func(s obj) {
				s["Condition"] = obj{"ForAllValues:StringLike": obj{"dynamodb:LeadingKeys": arr{"T#*"}}}
			})
		}},
		{"tenant isolation: TenantData reaches T#<tenant> keys and named platform writes only", "AWS::IAM::Policy", func(p obj) {
			eachTenantStatement(p, func(s obj) {
				s["Condition"] = obj{"ForAnyValue:StringLike": obj{"dynamodb:LeadingKeys": arr{wantTenantKey}}}
			})
		}},
		{"tenant isolation: TenantData reaches T#<tenant> keys and named platform writes only", "AWS::IAM::Policy", func(p obj) {
			eachTenantStatement(p, func(s obj) { delete(s, "Condition") })
		}},
		{"tenant isolation: TenantData reaches T#<tenant> keys and named platform writes only", "AWS::IAM::Policy", func(p obj) {
			eachTenantStatement(p, func(s obj) {
				addStatement(p, obj{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": s["Resource"],
					"Condition": obj{"ForAllValues:StringLike": obj{"dynamodb:LeadingKeys": arr{"LOGIN#*"}}}})
			})
		}},
		{"tenant isolation: TenantData has no keyless or non-DynamoDB action", "AWS::IAM::Policy", func(p obj) {
			eachTenantStatement(p, func(s obj) { s["Action"] = append(listOf(s["Action"]), "dynamodb:Scan") })
		}},
		{"tenant isolation: TenantData has no keyless or non-DynamoDB action", "AWS::IAM::Policy", func(p obj) {
			eachTenantStatement(p, func(s obj) { s["Action"] = append(listOf(s["Action"]), "dynamodb:GetRecords") })
		}},
		{"tenant isolation: function roles reach platform keys only", "AWS::IAM::Policy", func(p obj) {
			eachStatement(p, func(s obj) {
				if strings.Contains(mustJSON(s["Condition"]), "LOGIN#*") && !strings.Contains(mustJSON(s["Action"]), "PutItem") {
					s["Condition"] = obj{"ForAllValues:StringLike": obj{"dynamodb:LeadingKeys": arr{"LOGIN#*", "T#*"}}}
				}
			})
		}},
		{"tenant isolation: function roles reach platform keys only", "AWS::IAM::Policy", func(p obj) {
			eachStatement(p, func(s obj) {
				if strings.Contains(mustJSON(s["Condition"]), "OUTBOX#*") {
					delete(s, "Condition")
				}
			})
		}},
		{"tenant isolation: function roles reach platform keys only", "AWS::IAM::Policy", func(p obj) {
			eachStatement(p, func(s obj) {
				if strings.Contains(mustJSON(s["Condition"]), "STREAMPOS#WATERMARK") && strings.Contains(mustJSON(s["Action"]), "UpdateItem") {
					s["Action"] = arr{"dynamodb:PutItem", "dynamodb:UpdateItem"}
				}
			})
		}},
		{"tenant isolation: function roles reach platform keys only", "AWS::IAM::Policy", func(p obj) {
			eachStatement(p, func(s obj) {
				if strings.Contains(mustJSON(s["Condition"]), "PENDINGPAY#*") && mustJSON(s["Action"]) == `"dynamodb:Query"` {
					s["Condition"] = obj{"ForAllValues:StringLike": obj{"dynamodb:LeadingKeys": arr{"PENDINGPAY"}}}
				}
			})
		}},
		{"tenant isolation: every function may assume TenantData (RENKEI_TENANT_ROLE_ARN)", "AWS::Lambda::Function", func(p obj) {
			delete(env(p), "RENKEI_TENANT_ROLE_ARN")
		}},
		{"tenant isolation: every function may assume TenantData (RENKEI_TENANT_ROLE_ARN)", "AWS::IAM::Policy", func(p obj) {
			eachStatement(p, func(s obj) {
				if strings.Contains(mustJSON(s["Action"]), "sts:") {
					s["Resource"] = "*"
				}
			})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.check, func(t *testing.T) {
			var broken obj
			if err := json.Unmarshal(raw, &broken); err != nil {
				t.Fatal(err)
			}
			for _, r := range broken["Resources"].(obj) {
				if r := r.(obj); r["Type"] == tc.typ {
					tc.mutate(r["Properties"].(obj))
				}
			}
			if err := runCheck(findCheck(t, tc.check), assertions.Template_FromJSON(&broken, nil)); err == nil {
				t.Fatalf("check %q passed on a template with the defect", tc.check)
			}
		})
	}
}
