package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// Reading the synthesized template: logical ids, one resource's properties,
// a role's policy statements and what they allow on a resource.

// findIDs names the resources the checks refer to, each found by what sets
// it apart (a description, a redrive target, an event source's destination).
func findIDs(tmpl obj) (logicalIDs, error) {
	var errs []string
	find := func(typ string, match func(p obj) bool) string {
		var found []string
		for id, r := range tmpl["Resources"].(obj) {
			r := r.(obj)
			p, _ := r["Properties"].(obj)
			if r["Type"] == typ && match(p) {
				found = append(found, id)
			}
		}
		if len(found) != 1 {
			errs = append(errs, fmt.Sprintf("%d %s resources match, want 1", len(found), typ))
			return ""
		}
		return found[0]
	}
	all := func(obj) bool { return true }
	described := func(prefix string) func(obj) bool {
		return func(p obj) bool { d, _ := p["Description"].(string); return strings.HasPrefix(d, prefix) }
	}
	has := func(key string) func(obj) bool { return func(p obj) bool { _, ok := p[key]; return ok } }
	var x logicalIDs
	x.table = find("AWS::DynamoDB::Table", all)
	x.queue = find("AWS::SQS::Queue", has("RedrivePolicy"))
	x.function = find("AWS::Lambda::Function", described("renkei GraphQL API"))
	x.scheduler = find("AWS::Lambda::Function", described("renkei scheduled jobs"))
	x.dispatcher = find("AWS::Lambda::Function", described("renkei table stream consumer"))
	x.worker = find("AWS::Lambda::Function", described("renkei integration worker"))
	x.secret = find("AWS::SecretsManager::Secret", described("renkei: HMAC key"))
	x.stripeKey = find("AWS::SecretsManager::Secret", described("renkei: Stripe platform secret key"))
	x.stripeWebhook = find("AWS::SecretsManager::Secret", described("renkei: Stripe webhook signing secret"))
	x.freeeSecret = find("AWS::SecretsManager::Secret", described("renkei: freee app client secret"))
	x.originVerify = find("AWS::SecretsManager::Secret", described("renkei: the header value CloudFront sends"))
	x.secretsKey = find("AWS::KMS::Key", described("renkei: wraps"))
	x.alarmTopic = find("AWS::SNS::Topic", all)
	x.httpApi = find("AWS::ApiGatewayV2::Api", all)
	x.integration = find("AWS::ApiGatewayV2::Integration", all)
	x.rule = find("AWS::Events::Rule", all)
	x.distribution = find("AWS::CloudFront::Distribution", all)
	esm := find("AWS::Lambda::EventSourceMapping", has("StartingPosition")) // the stream's
	x.jobsSource = find("AWS::Lambda::EventSourceMapping", func(p obj) bool { _, stream := p["StartingPosition"]; return !stream })
	if len(errs) > 0 {
		return x, fmt.Errorf("infra test: %s", strings.Join(errs, "; "))
	}
	res := tmpl["Resources"].(obj)
	x.deadLetter = getAttTarget(res[x.queue].(obj)["Properties"].(obj)["RedrivePolicy"].(obj)["deadLetterTargetArn"])
	dest, _ := res[esm].(obj)["Properties"].(obj)["DestinationConfig"].(obj)
	if dest != nil {
		x.streamFailures = getAttTarget(dest["OnFailure"].(obj)["Destination"])
	}
	if x.deadLetter == "" || x.streamFailures == "" {
		return x, fmt.Errorf("infra test: no jobs DLQ (%q) or stream failure queue (%q)", x.deadLetter, x.streamFailures)
	}
	return x, nil
}

// getAttTarget is the logical id in {"Fn::GetAtt": [id, attr]}.
func getAttTarget(v interface{}) string {
	if o, ok := v.(obj); ok {
		if a, ok := o["Fn::GetAtt"].(arr); ok && len(a) == 2 {
			id, _ := a[0].(string)
			return id
		}
	}
	return ""
}

// templateJSON is the template as plain Go values.
func templateJSON(t assertions.Template) obj {
	raw, err := json.Marshal(t.ToJSON())
	if err != nil {
		panic(err)
	}
	var o obj
	if err := json.Unmarshal(raw, &o); err != nil {
		panic(err)
	}
	return o
}

// onboardingURL is the default Connect return/refresh URL: the console's
// root (its CloudFront origin) with ?cardOnboarding=<state>.
func onboardingURL(state string) obj {
	return obj{"Fn::Join": arr{"", arr{"https://", obj{"Fn::GetAtt": arr{ids.distribution, "DomainName"}}, "/?cardOnboarding=" + state}}}
}

// ids.functions are the Lambda functions.
func (x logicalIDs) functions() []string {
	return []string{x.function, x.scheduler, x.dispatcher, x.worker}
}

// resourceProps asserts the properties of one resource, by logical id.
func resourceProps(t assertions.Template, id string, p obj) {
	r, ok := templateJSON(t)["Resources"].(obj)[id].(obj)
	if !ok {
		panic("no resource " + id)
	}
	only := obj{"Resources": obj{id: r}}
	assertions.Template_FromJSON(&only, nil).HasResourceProperties(jsii.String(r["Type"].(string)), like(p))
}

// queueAlarm asserts an alarm on one SQS metric of a queue (the maximum
// over a minute) that notifies the alarm topic.
func queueAlarm(t assertions.Template, queue, metric, comparison string, threshold float64) {
	props(t, "AWS::CloudWatch::Alarm", obj{
		"Namespace":          "AWS/SQS",
		"MetricName":         metric,
		"Dimensions":         arr{obj{"Name": "QueueName", "Value": obj{"Fn::GetAtt": arr{queue, "QueueName"}}}},
		"Statistic":          "Maximum",
		"Period":             60,
		"ComparisonOperator": comparison,
		"Threshold":          threshold,
		"AlarmActions":       arr{ref(ids.alarmTopic)},
	})
}

// logGroupOf is the logical id of a function's log group.
func logGroupOf(t assertions.Template, fn string) string {
	p, _ := templateJSON(t)["Resources"].(obj)[fn].(obj)["Properties"].(obj)
	lc, _ := p["LoggingConfig"].(obj)
	g, _ := lc["LogGroup"].(obj)
	id, _ := g["Ref"].(string)
	return id
}

// statementsOf are the policy statements attached to a function's role.
func statementsOf(t assertions.Template, fn string) []obj {
	res := templateJSON(t)["Resources"].(obj)
	role := getAttTarget(res[fn].(obj)["Properties"].(obj)["Role"])
	var out []obj
	for _, r := range res {
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

func statements(policy obj) []obj {
	var out []obj
	for _, s := range policy["PolicyDocument"].(obj)["Statement"].(arr) {
		out = append(out, s.(obj))
	}
	return out
}

// grantedOn is the sorted actions a function's role allows on a resource
// (given as its JSON form, e.g. mustJSON(arn(id))).
func grantedOn(t assertions.Template, fn, resource string) []string {
	set := map[string]bool{}
	for _, st := range statementsOf(t, fn) {
		if st["Effect"] != "Allow" {
			continue
		}
		for _, r := range listOf(st["Resource"]) {
			if mustJSON(r) == resource {
				for _, a := range stringsOf(st["Action"]) {
					set[a] = true
				}
			}
		}
	}
	var out []string
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// listOf reads a policy field that is either one value or a list.
func listOf(v interface{}) arr {
	if a, ok := v.(arr); ok {
		return a
	}
	if v == nil {
		return nil
	}
	return arr{v}
}

func stringsOf(v interface{}) []string {
	var out []string
	for _, x := range listOf(v) {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func mustJSON(v interface{}) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
