package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
)

// Operations you can see (ops.go): alarms, the alarm topic, access logs,
// Contributor Insights, retention and what is retained, CORS origins.
// Same pattern as stack_test.go: small checks (opsChecks), each proved able
// to fail by a broken copy of the template (TestOpsChecksDetectDefects).

// testCorsOrigins is the test stack's context value corsOrigins.
const testCorsOrigins = "https://backoffice.example.com, http://localhost:5173"

// opsAlarmIDs are the construct ids of the alarms ops.go raises.
var opsAlarmIDs = []string{
	"ApiErrorsAlarm", "SchedulerErrorsAlarm", "DispatcherErrorsAlarm",
	"ApiThrottlesAlarm", "SchedulerThrottlesAlarm", "DispatcherThrottlesAlarm", "WorkerThrottlesAlarm",
	"Api5xxAlarm", "ApiLatencyP99Alarm",
	"TableThrottlesAlarm", "TableThrottlesGsi1Alarm", "TableThrottlesGsi2Alarm",
	"StreamIteratorAgeAlarm", "IntegrationJobsFailedAlarm",
}

// resourcesOf are the template's resources of one type, by logical id.
func resourcesOf(tmpl obj, typ string) map[string]obj {
	out := map[string]obj{}
	for id, r := range tmpl["Resources"].(obj) {
		if r := r.(obj); r["Type"] == typ {
			out[id] = r
		}
	}
	return out
}

// byConstructID is the resource whose logical id is the construct id plus
// CDK's 8-hex-digit hash (a top-level construct of the stack).
func byConstructID(tmpl obj, id string) (string, obj) {
	re := regexp.MustCompile("^" + regexp.QuoteMeta(id) + "[0-9A-F]{8}$")
	for logical, r := range tmpl["Resources"].(obj) {
		if re.MatchString(logical) {
			return logical, r.(obj)
		}
	}
	panic("no resource of construct id " + id)
}

// templateDefect is a change to the synthesized template that the check
// named check must catch.
type templateDefect struct {
	check  string
	mutate func(tmpl obj)
}

// expectDefectsCaught applies each defect to a fresh copy of the
// synthesized template and fails when its check still passes.
func expectDefectsCaught(t *testing.T, defects []templateDefect) {
	t.Helper()
	raw, err := json.Marshal(synthesized.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range defects {
		t.Run(tc.check, func(t *testing.T) {
			var broken obj
			if err := json.Unmarshal(raw, &broken); err != nil {
				t.Fatal(err)
			}
			tc.mutate(broken)
			if err := runCheck(findCheck(t, tc.check), assertions.Template_FromJSON(&broken, nil)); err == nil {
				t.Fatalf("check %q passed on a template with the defect", tc.check)
			}
		})
	}
}

// fail panics like an assertion of the assertions library.
func fail(format string, args ...interface{}) { panic(fmt.Sprintf(format, args...)) }

// functionAlarm asserts a Lambda metric alarm of one function.
func functionAlarm(t assertions.Template, fn, metric, statistic, comparison string, threshold float64) {
	props(t, "AWS::CloudWatch::Alarm", obj{
		"Namespace":          "AWS/Lambda",
		"MetricName":         metric,
		"Dimensions":         arr{obj{"Name": "FunctionName", "Value": ref(fn)}},
		"Statistic":          statistic,
		"ComparisonOperator": comparison,
		"Threshold":          threshold,
		"AlarmActions":       arr{ref(ids.alarmTopic)},
	})
}

// throttleAlarmFor asserts an alarm on the sum of read and write throttle
// events with exactly the given dimensions (the table, or the table and
// one index).
func throttleAlarmFor(tmpl obj, dims obj) {
	want := mustJSON(dims)
	for _, a := range resourcesOf(tmpl, "AWS::CloudWatch::Alarm") {
		p := a["Properties"].(obj)
		metrics, _ := p["Metrics"].([]interface{})
		var read, write, expr bool
		for _, m := range metrics {
			m := m.(obj)
			if e, _ := m["Expression"].(string); e != "" && m["ReturnData"] == true {
				expr = strings.Contains(e, "reads") && strings.Contains(e, "writes") && strings.Contains(e, "+")
				continue
			}
			stat, _ := m["MetricStat"].(obj)
			if stat == nil || stat["Stat"] != "Sum" {
				continue
			}
			metric := stat["Metric"].(obj)
			got := obj{}
			for _, d := range listOf(metric["Dimensions"]) {
				d := d.(obj)
				got[d["Name"].(string)] = d["Value"]
			}
			if metric["Namespace"] != "AWS/DynamoDB" || mustJSON(got) != want {
				continue
			}
			switch {
			case metric["MetricName"] == "ReadThrottleEvents" && m["Id"] == "reads":
				read = true
			case metric["MetricName"] == "WriteThrottleEvents" && m["Id"] == "writes":
				write = true
			}
		}
		if read && write && expr && p["ComparisonOperator"] == "GreaterThanOrEqualToThreshold" &&
			p["Threshold"] == float64(tableThrottlesAlarm) && mustJSON(p["AlarmActions"]) == mustJSON(arr{ref(ids.alarmTopic)}) {
			return
		}
	}
	fail("no alarm on read + write throttle events of %s notifying the alarm topic", want)
}

var opsChecks = []struct {
	name  string
	check func(t assertions.Template)
}{
	// --- alarms
	{"alarm: Errors of every function", func(t assertions.Template) {
		for _, fn := range ids.functions() {
			functionAlarm(t, fn, "Errors", "Sum", "GreaterThanOrEqualToThreshold", 1)
		}
	}},
	{"alarm: Throttles of every function", func(t assertions.Template) {
		for _, fn := range ids.functions() {
			functionAlarm(t, fn, "Throttles", "Sum", "GreaterThanOrEqualToThreshold", 1)
		}
	}},
	{"alarm: API 5xx", func(t assertions.Template) {
		props(t, "AWS::CloudWatch::Alarm", obj{
			"Namespace":          "AWS/ApiGateway",
			"MetricName":         "5xx",
			"Dimensions":         arr{obj{"Name": "ApiId", "Value": ref(ids.httpApi)}},
			"Statistic":          "Sum",
			"Period":             300,
			"ComparisonOperator": "GreaterThanOrEqualToThreshold",
			"Threshold":          apiServerErrorsAlarm,
			"AlarmActions":       arr{ref(ids.alarmTopic)},
		})
	}},
	{"alarm: API p99 latency", func(t assertions.Template) {
		props(t, "AWS::CloudWatch::Alarm", obj{
			"Namespace":          "AWS/ApiGateway",
			"MetricName":         "Latency",
			"Dimensions":         arr{obj{"Name": "ApiId", "Value": ref(ids.httpApi)}},
			"ExtendedStatistic":  "p99",
			"Statistic":          assertions.Match_Absent(),
			"ComparisonOperator": "GreaterThanThreshold",
			"Threshold":          apiLatencyP99Alarm,
			"EvaluationPeriods":  apiLatencyPeriods,
			"DatapointsToAlarm":  apiLatencyPeriods,
			"AlarmActions":       arr{ref(ids.alarmTopic)},
		})
	}},
	{"alarm: throttles of the table and of every index", func(t assertions.Template) {
		tmpl := templateJSON(t)
		throttleAlarmFor(tmpl, obj{"TableName": ref(ids.table)})
		gsis := tmpl["Resources"].(obj)[ids.table].(obj)["Properties"].(obj)["GlobalSecondaryIndexes"]
		if len(listOf(gsis)) == 0 {
			fail("the table has no index")
		}
		for _, g := range listOf(gsis) {
			throttleAlarmFor(tmpl, obj{"GlobalSecondaryIndexName": g.(obj)["IndexName"], "TableName": ref(ids.table)})
		}
	}},
	{"alarm: dispatcher stream iterator age", func(t assertions.Template) {
		props(t, "AWS::CloudWatch::Alarm", obj{
			"Namespace":          "AWS/Lambda",
			"MetricName":         "IteratorAge",
			"Dimensions":         arr{obj{"Name": "FunctionName", "Value": ref(ids.dispatcher)}},
			"Statistic":          "Maximum",
			"ComparisonOperator": "GreaterThanThreshold",
			"Threshold":          streamIteratorAgeAlarm,
			"AlarmActions":       arr{ref(ids.alarmTopic)},
		})
	}},
	{"alarm: integration jobs FAILED", func(t assertions.Template) {
		// shared/metrics emits Renkei/IntegrationJobsFailed without a
		// dimension: the alarm must read exactly that metric.
		props(t, "AWS::CloudWatch::Alarm", obj{
			"Namespace":          "Renkei",
			"MetricName":         "IntegrationJobsFailed",
			"Dimensions":         assertions.Match_Absent(),
			"Statistic":          "Sum",
			"ComparisonOperator": "GreaterThanOrEqualToThreshold",
			"Threshold":          1,
			"AlarmActions":       arr{ref(ids.alarmTopic)},
		})
	}},
	{"every alarm notifies the alarm topic, missing data not breaching", func(t assertions.Template) {
		tmpl := templateJSON(t)
		for _, id := range opsAlarmIDs {
			byConstructID(tmpl, id) // exists
		}
		for id, a := range resourcesOf(tmpl, "AWS::CloudWatch::Alarm") {
			p := a["Properties"].(obj)
			if mustJSON(p["AlarmActions"]) != mustJSON(arr{ref(ids.alarmTopic)}) || p["TreatMissingData"] != "notBreaching" {
				fail("alarm %s: actions %v, missing data %v; want the alarm topic, notBreaching", id, p["AlarmActions"], p["TreatMissingData"])
			}
		}
	}},

	// --- the alarm topic
	{"alarm topic TLS-only, CloudWatch alarms of this account may publish", func(t assertions.Template) {
		props(t, "AWS::SNS::TopicPolicy", obj{
			"Topics": arr{ref(ids.alarmTopic)},
			"PolicyDocument": like(obj{"Statement": with(
				like(obj{
					"Effect":    "Deny",
					"Principal": "*",
					"Action":    "sns:Publish",
					"Resource":  ref(ids.alarmTopic),
					"Condition": obj{"Bool": obj{"aws:SecureTransport": "false"}},
				}),
				like(obj{
					"Effect":    "Allow",
					"Principal": obj{"Service": "cloudwatch.amazonaws.com"},
					"Action":    "sns:Publish",
					"Resource":  ref(ids.alarmTopic),
					"Condition": obj{
						"StringEquals": obj{"aws:SourceAccount": ref("AWS::AccountId")},
						"ArnLike":      obj{"aws:SourceArn": like(obj{"Fn::Join": arr{"", with(":alarm:*")}})},
					},
				}),
			)}),
		})
	}},
	{"alarm topic encrypted with a key CloudWatch may use", func(t assertions.Template) {
		tmpl := templateJSON(t)
		topic := tmpl["Resources"].(obj)[ids.alarmTopic].(obj)["Properties"].(obj)
		key := getAttTarget(topic["KmsMasterKeyId"])
		if key == "" || key == ids.secretsKey {
			fail("the alarm topic's key is %v, want a key of its own", topic["KmsMasterKeyId"])
		}
		resourceProps(t, key, obj{
			"EnableKeyRotation": true,
			"KeyPolicy": like(obj{"Statement": with(like(obj{
				"Effect":    "Allow",
				"Principal": obj{"Service": "cloudwatch.amazonaws.com"},
				"Action":    arr{"kms:Decrypt", "kms:GenerateDataKey"},
			}))}),
		})
	}},

	// --- logs
	{"API access log to a log group kept one month", func(t assertions.Template) {
		tmpl := templateJSON(t)
		var stage obj
		for _, s := range resourcesOf(tmpl, "AWS::ApiGatewayV2::Stage") {
			stage = s["Properties"].(obj)
		}
		settings, _ := stage["AccessLogSettings"].(obj)
		group := getAttTarget(settings["DestinationArn"])
		if group == "" {
			fail("the stage has no access log destination: %v", settings)
		}
		resourceProps(t, group, obj{"RetentionInDays": 30})
		for _, fn := range ids.functions() {
			if logGroupOf(t, fn) == group {
				fail("the access log shares %s's log group", fn)
			}
		}
		var format obj
		if s, _ := settings["Format"].(string); json.Unmarshal([]byte(s), &format) != nil {
			fail("access log format %v is not one JSON object", settings["Format"])
		}
		for _, field := range []string{"requestId", "ip", "routeKey", "status", "responseLatency", "integrationLatency", "integrationError"} {
			if _, ok := format[field]; !ok {
				fail("access log format lacks %s: %v", field, format)
			}
		}
		// Nothing of a request's headers (the bearer token), query, path
		// parameters or body; no authorizer claims.
		for _, v := range format {
			s := fmt.Sprint(v)
			for _, banned := range []string{"header", "authorizer", "querystring", "path", "body", "$input"} {
				if strings.Contains(strings.ToLower(s), banned) {
					fail("access log field %q logs %s", s, banned)
				}
			}
		}
	}},

	// --- Contributor Insights
	{"Contributor Insights on the table and every index", func(t assertions.Template) {
		p := templateJSON(t)["Resources"].(obj)[ids.table].(obj)["Properties"].(obj)
		if mustJSON(p["ContributorInsightsSpecification"]) != mustJSON(obj{"Enabled": true}) {
			fail("table Contributor Insights: %v", p["ContributorInsightsSpecification"])
		}
		for _, g := range listOf(p["GlobalSecondaryIndexes"]) {
			g := g.(obj)
			if mustJSON(g["ContributorInsightsSpecification"]) != mustJSON(obj{"Enabled": true}) {
				fail("index %v Contributor Insights: %v", g["IndexName"], g["ContributorInsightsSpecification"])
			}
		}
	}},

	// --- retention
	{"jobs DLQ keeps messages longer than the jobs queue", func(t assertions.Template) {
		res := templateJSON(t)["Resources"].(obj)
		retention := func(id string) float64 {
			// SQS's default is 4 days.
			if v, ok := res[id].(obj)["Properties"].(obj)["MessageRetentionPeriod"].(float64); ok {
				return v
			}
			return 4 * 24 * 3600
		}
		queue, dlq := retention(ids.queue), retention(ids.deadLetter)
		// A job must keep at least a week in the DLQ after the longest it
		// can have spent in the queue.
		if dlq-queue < 7*24*3600 {
			fail("jobs queue keeps messages %vs, its DLQ %vs: want the DLQ a week longer", queue, dlq)
		}
	}},
	{"JWT secret and queues retained", func(t assertions.Template) {
		for _, id := range []string{ids.secret, ids.queue, ids.deadLetter, ids.streamFailures} {
			r := templateJSON(t)["Resources"].(obj)[id].(obj)
			if r["DeletionPolicy"] != "Retain" || r["UpdateReplacePolicy"] != "Retain" {
				fail("%s: DeletionPolicy %v, UpdateReplacePolicy %v; want Retain", id, r["DeletionPolicy"], r["UpdateReplacePolicy"])
			}
		}
	}},

	// --- CORS: the configured origins and the console's (console_test.go).
}

func init() {
	checks = append(checks, opsChecks...) // run by TestStack, found by findCheck
}

// TestOpsChecksDetectDefects breaks one thing per case in a copy of the
// synthesized template and expects the named check to fail.
func TestOpsChecksDetectDefects(t *testing.T) {
	alarm := func(id string, f func(p obj)) func(tmpl obj) {
		return func(tmpl obj) { _, r := byConstructID(tmpl, id); f(r["Properties"].(obj)) }
	}
	resource := func(id *string, f func(r obj)) func(tmpl obj) {
		return func(tmpl obj) { f(tmpl["Resources"].(obj)[*id].(obj)) }
	}
	ofType := func(typ string, f func(p obj)) func(tmpl obj) {
		return func(tmpl obj) {
			for _, r := range resourcesOf(tmpl, typ) {
				f(r["Properties"].(obj))
			}
		}
	}
	remove := func(id string) func(tmpl obj) {
		return func(tmpl obj) { logical, _ := byConstructID(tmpl, id); delete(tmpl["Resources"].(obj), logical) }
	}
	accessLogFormat := func(f func(format obj)) func(tmpl obj) {
		return ofType("AWS::ApiGatewayV2::Stage", func(p obj) {
			settings := p["AccessLogSettings"].(obj)
			var format obj
			if err := json.Unmarshal([]byte(settings["Format"].(string)), &format); err != nil {
				panic(err)
			}
			f(format)
			settings["Format"] = mustJSON(format)
		})
	}
	statementsOfTopicPolicy := func(f func(s obj)) func(tmpl obj) {
		return ofType("AWS::SNS::TopicPolicy", func(p obj) { eachStatement(p, f) })
	}
	cases := []templateDefect{
		{"alarm: Errors of every function", remove("SchedulerErrorsAlarm")},
		{"alarm: Errors of every function", remove("WorkerErrorsAlarm")},
		{"alarm: Errors of every function", alarm("ApiErrorsAlarm", func(p obj) { p["Threshold"] = 10 })},
		{"alarm: Throttles of every function", remove("DispatcherThrottlesAlarm")},
		{"alarm: Throttles of every function", alarm("WorkerThrottlesAlarm", func(p obj) { p["Statistic"] = "Average" })},
		{"alarm: API 5xx", alarm("Api5xxAlarm", func(p obj) { p["MetricName"] = "4xx" })},
		{"alarm: API 5xx", alarm("Api5xxAlarm", func(p obj) { delete(p, "AlarmActions") })},
		{"alarm: API p99 latency", alarm("ApiLatencyP99Alarm", func(p obj) { p["ExtendedStatistic"] = "p50" })},
		{"alarm: API p99 latency", alarm("ApiLatencyP99Alarm", func(p obj) { delete(p, "ExtendedStatistic"); p["Statistic"] = "Average" })},
		{"alarm: throttles of the table and of every index", remove("TableThrottlesGsi2Alarm")},
		{"alarm: throttles of the table and of every index", remove("TableThrottlesAlarm")},
		{"alarm: throttles of the table and of every index", alarm("TableThrottlesGsi1Alarm", func(p obj) {
			// Watching only reads.
			p["Metrics"].(arr)[0].(obj)["Expression"] = "FILL(reads, 0)"
		})},
		{"alarm: throttles of the table and of every index", func(tmpl obj) {
			// A new index nobody watches.
			p := tmpl["Resources"].(obj)[ids.table].(obj)["Properties"].(obj)
			p["GlobalSecondaryIndexes"] = append(p["GlobalSecondaryIndexes"].(arr), obj{"IndexName": "gsi3"})
		}},
		{"alarm: dispatcher stream iterator age", alarm("StreamIteratorAgeAlarm", func(p obj) { p["Statistic"] = "Minimum" })},
		{"alarm: dispatcher stream iterator age", alarm("StreamIteratorAgeAlarm", func(p obj) {
			p["Dimensions"] = arr{obj{"Name": "FunctionName", "Value": ref(ids.worker)}}
		})},
		{"alarm: integration jobs FAILED", alarm("IntegrationJobsFailedAlarm", func(p obj) { p["Namespace"] = "renkei" })},
		{"alarm: integration jobs FAILED", alarm("IntegrationJobsFailedAlarm", func(p obj) {
			// R5's metric has no dimension: an alarm with one never fires.
			p["Dimensions"] = arr{obj{"Name": "Tenant", "Value": "tnt_x"}}
		})},
		{"every alarm notifies the alarm topic, missing data not breaching", alarm("JobsOldestAgeAlarm", func(p obj) { p["TreatMissingData"] = "breaching" })},
		{"every alarm notifies the alarm topic, missing data not breaching", remove("IntegrationJobsFailedAlarm")},
		{"alarm topic TLS-only, CloudWatch alarms of this account may publish", statementsOfTopicPolicy(func(s obj) {
			if s["Effect"] == "Deny" {
				s["Effect"] = "Allow"
			}
		})},
		{"alarm topic TLS-only, CloudWatch alarms of this account may publish", statementsOfTopicPolicy(func(s obj) {
			if s["Effect"] == "Allow" {
				delete(s, "Condition")
			}
		})},
		{"alarm topic TLS-only, CloudWatch alarms of this account may publish", func(tmpl obj) {
			for id := range resourcesOf(tmpl, "AWS::SNS::TopicPolicy") {
				delete(tmpl["Resources"].(obj), id)
			}
		}},
		{"alarm topic encrypted with a key CloudWatch may use", resource(&ids.alarmTopic, func(r obj) {
			delete(r["Properties"].(obj), "KmsMasterKeyId")
		})},
		{"alarm topic encrypted with a key CloudWatch may use", resource(&ids.alarmTopic, func(r obj) {
			r["Properties"].(obj)["KmsMasterKeyId"] = "alias/aws/sns"
		})},
		{"alarm topic encrypted with a key CloudWatch may use", ofType("AWS::KMS::Key", func(p obj) {
			doc := p["KeyPolicy"].(obj)
			doc["Statement"] = doc["Statement"].(arr)[:1]
		})},
		{"API access log to a log group kept one month", ofType("AWS::ApiGatewayV2::Stage", func(p obj) { delete(p, "AccessLogSettings") })},
		{"API access log to a log group kept one month", ofType("AWS::Logs::LogGroup", func(p obj) { delete(p, "RetentionInDays") })},
		{"API access log to a log group kept one month", accessLogFormat(func(f obj) { delete(f, "status") })},
		{"API access log to a log group kept one month", accessLogFormat(func(f obj) { f["auth"] = "$context.authorizer.claims.sub" })},
		{"API access log to a log group kept one month", accessLogFormat(func(f obj) { f["ua"] = "$request.header.authorization" })},
		{"Contributor Insights on the table and every index", resource(&ids.table, func(r obj) {
			delete(r["Properties"].(obj), "ContributorInsightsSpecification")
		})},
		{"Contributor Insights on the table and every index", resource(&ids.table, func(r obj) {
			delete(r["Properties"].(obj)["GlobalSecondaryIndexes"].(arr)[1].(obj), "ContributorInsightsSpecification")
		})},
		{"jobs DLQ keeps messages longer than the jobs queue", resource(&ids.queue, func(r obj) {
			r["Properties"].(obj)["MessageRetentionPeriod"] = 14 * 24 * 3600
		})},
		{"jobs DLQ keeps messages longer than the jobs queue", resource(&ids.deadLetter, func(r obj) {
			delete(r["Properties"].(obj), "MessageRetentionPeriod")
		})},
		{"JWT secret and queues retained", resource(&ids.secret, func(r obj) { r["DeletionPolicy"] = "Delete" })},
		{"JWT secret and queues retained", resource(&ids.deadLetter, func(r obj) { delete(r, "UpdateReplacePolicy") })},
		{"JWT secret and queues retained", resource(&ids.streamFailures, func(r obj) { delete(r, "DeletionPolicy") })},
	}
	expectDefectsCaught(t, cases)
}

func TestCorsOrigins(t *testing.T) {
	t.Run("origins are checked", func(t *testing.T) {
		for _, o := range []string{"https://backoffice.example.com", "https://bo.example.com:8443", "http://localhost:5173", "http://127.0.0.1:3000"} {
			if err := checkOrigin(o); err != nil {
				t.Errorf("checkOrigin(%q) = %v, want ok", o, err)
			}
		}
		for _, o := range []string{"*", "https://*.example.com", "http://backoffice.example.com", "backoffice.example.com",
			"https://backoffice.example.com/", "https://backoffice.example.com/app", "https://u@backoffice.example.com", "ftp://x.example.com", ""} {
			if err := checkOrigin(o); err == nil {
				t.Errorf("checkOrigin(%q) accepted", o)
			}
		}
	})
	stackWith := func(context map[string]interface{}) awscdk.Stack {
		app := awscdk.NewApp(&awscdk.AppProps{Context: &context})
		return awscdk.NewStack(app, jsii.String("CorsTest"), nil)
	}
	t.Run("from props, else the context value (a comma-separated string or a list)", func(t *testing.T) {
		for _, tc := range []struct {
			context map[string]interface{}
			props   []string
			want    []string
		}{
			{map[string]interface{}{"corsOrigins": "https://a.example.com, https://b.example.com"}, nil, []string{"https://a.example.com", "https://b.example.com"}},
			{map[string]interface{}{"corsOrigins": []interface{}{"https://a.example.com"}}, nil, []string{"https://a.example.com"}},
			{map[string]interface{}{"corsOrigins": "https://a.example.com"}, []string{"https://p.example.com"}, []string{"https://p.example.com"}},
			{map[string]interface{}{}, nil, nil},
			{map[string]interface{}{"corsOrigins": " , "}, nil, nil},
		} {
			got := corsOrigins(stackWith(tc.context), tc.props)
			sort.Strings(got)
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("context %v, props %v: origins %v, want %v", tc.context, tc.props, got, tc.want)
			}
		}
	})
	t.Run("a wildcard is refused at synth", func(t *testing.T) {
		for _, v := range []interface{}{"*", "https://a.example.com,*", []interface{}{"*"}} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("corsOrigins %v accepted", v)
					}
				}()
				corsOrigins(stackWith(map[string]interface{}{"corsOrigins": v}), nil)
			}()
		}
	})
	t.Run("the API resource has no CORS of its own: ApiCors sets it (cors.go)", func(t *testing.T) {
		stack := stackWith(map[string]interface{}{"corsOrigins": "https://a.example.com"})
		fn := awslambda.Function_FromFunctionArn(stack, jsii.String("Fn"), jsii.String("arn:aws:lambda:ap-northeast-1:123456789012:function:api"))
		newHttpApi(stack, fn)
		tmpl := assertions.Template_FromStack(stack, nil)
		tmpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Api"), like(obj{"CorsConfiguration": assertions.Match_Absent()}))
	})
}
