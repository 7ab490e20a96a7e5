package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// Synthesizing starts a node process and takes a few seconds, so the stack
// is synthesized once for the whole package (TestMain) and every check reads
// the same template.
var (
	synthesized assertions.Template
	ids         logicalIDs
)

// logicalIDs of the resources other resources refer to.
type logicalIDs struct {
	table, queue, deadLetter, streamFailures, secret, stripeKey, stripeWebhook string
	function, scheduler, streams, httpApi, integration, rule                   string
}

func TestMain(m *testing.M) {
	os.Exit(func() int {
		defer jsii.Close()
		codeDir, err := os.MkdirTemp("", "renkei-infra-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(codeDir)
		outDir, err := os.MkdirTemp("", "renkei-infra-test-out-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(outDir)
		// Code_FromAsset only hashes and copies the directory: any file will do.
		// (The cloud assembly must live elsewhere, or the asset copy recurses.)
		if err := os.WriteFile(filepath.Join(codeDir, "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		cdkContext, err := loadCDKContext(filepath.Join(repoRoot, "cdk.json"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outDir), Context: &cdkContext})
		stack := NewRenkeiStack(app, "RenkeiTest", &RenkeiStackProps{ApiCodeDir: codeDir, SchedulerCodeDir: codeDir, StreamsCodeDir: codeDir})
		synthesized = assertions.Template_FromStack(stack, nil)
		if ids, err = findIDs(templateJSON(synthesized)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return m.Run()
	}())
}

type (
	obj = map[string]interface{}
	arr = []interface{}
)

func like(o obj) assertions.Matcher            { return assertions.Match_ObjectLike(&o) }
func with(a ...interface{}) assertions.Matcher { return assertions.Match_ArrayWith(&a) }
func ref(id string) obj                        { return obj{"Ref": id} }
func arn(id string) obj                        { return obj{"Fn::GetAtt": arr{id, "Arn"}} }

func props(t assertions.Template, typ string, p obj) {
	t.HasResourceProperties(jsii.String(typ), like(p))
}

// checks are small on purpose, one concern each, so that a missing property
// fails exactly the check that names it (see TestChecksDetectDefects).
var checks = []struct {
	name  string
	check func(t assertions.Template)
}{
	{"resource counts", func(t assertions.Template) {
		t.ResourceCountIs(jsii.String("AWS::DynamoDB::Table"), jsii.Number(1))
		t.ResourceCountIs(jsii.String("AWS::SQS::Queue"), jsii.Number(3))
		t.ResourceCountIs(jsii.String("AWS::SecretsManager::Secret"), jsii.Number(3))
		// api, scheduler, streams: no LogRetention custom-resource Lambda sneaks in.
		t.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(3))
		t.ResourceCountIs(jsii.String("AWS::Logs::LogGroup"), jsii.Number(3))
		t.ResourceCountIs(jsii.String("AWS::Events::Rule"), jsii.Number(1))
		t.ResourceCountIs(jsii.String("AWS::Lambda::EventSourceMapping"), jsii.Number(1))
		t.ResourceCountIs(jsii.String("AWS::ApiGatewayV2::Route"), jsii.Number(2))
		t.ResourceCountIs(jsii.String("AWS::ApiGatewayV2::Api"), jsii.Number(1))
		t.ResourceCountIs(jsii.String("AWS::ApiGatewayV2::Stage"), jsii.Number(1))
	}},

	// --- table
	{"table key schema pk/sk", func(t assertions.Template) {
		props(t, "AWS::DynamoDB::Table", obj{"KeySchema": arr{
			obj{"AttributeName": "pk", "KeyType": "HASH"},
			obj{"AttributeName": "sk", "KeyType": "RANGE"},
		}})
	}},
	{"table key attributes are strings", func(t assertions.Template) {
		for _, name := range []string{"pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"} {
			props(t, "AWS::DynamoDB::Table", obj{"AttributeDefinitions": with(obj{"AttributeName": name, "AttributeType": "S"})})
		}
	}},
	{"table GSIs gsi1 and gsi2", func(t assertions.Template) {
		gsi := func(name string) assertions.Matcher {
			return like(obj{
				"IndexName": name,
				"KeySchema": arr{
					obj{"AttributeName": name + "pk", "KeyType": "HASH"},
					obj{"AttributeName": name + "sk", "KeyType": "RANGE"},
				},
				"Projection": obj{"ProjectionType": "ALL"},
			})
		}
		props(t, "AWS::DynamoDB::Table", obj{"GlobalSecondaryIndexes": arr{gsi("gsi1"), gsi("gsi2")}})
	}},
	{"table billing on demand", func(t assertions.Template) {
		props(t, "AWS::DynamoDB::Table", obj{"BillingMode": "PAY_PER_REQUEST"})
	}},
	{"table PITR", func(t assertions.Template) {
		props(t, "AWS::DynamoDB::Table", obj{"PointInTimeRecoverySpecification": obj{"PointInTimeRecoveryEnabled": true}})
	}},
	{"table stream NEW_IMAGE", func(t assertions.Template) {
		props(t, "AWS::DynamoDB::Table", obj{"StreamSpecification": obj{"StreamViewType": "NEW_IMAGE"}})
	}},
	{"table TTL ttl", func(t assertions.Template) {
		props(t, "AWS::DynamoDB::Table", obj{"TimeToLiveSpecification": obj{"AttributeName": "ttl", "Enabled": true}})
	}},
	{"table retained and deletion-protected", func(t assertions.Template) {
		t.HasResource(jsii.String("AWS::DynamoDB::Table"), like(obj{
			"DeletionPolicy":      "Retain",
			"UpdateReplacePolicy": "Retain",
			"Properties":          like(obj{"DeletionProtectionEnabled": true}),
		}))
	}},

	// --- queues
	{"jobs queue redrive after 5", func(t assertions.Template) {
		props(t, "AWS::SQS::Queue", obj{"RedrivePolicy": obj{
			"deadLetterTargetArn": arn(ids.deadLetter),
			"maxReceiveCount":     5,
		}})
	}},
	{"jobs queue visibility 180s and SSE", func(t assertions.Template) {
		props(t, "AWS::SQS::Queue", obj{
			"RedrivePolicy":        assertions.Match_AnyValue(),
			"VisibilityTimeout":    180,
			"SqsManagedSseEnabled": true,
		})
	}},
	{"DLQ keeps jobs 14 days, SSE", func(t assertions.Template) {
		props(t, "AWS::SQS::Queue", obj{
			"RedrivePolicy":          assertions.Match_Absent(),
			"MessageRetentionPeriod": 14 * 24 * 3600,
			"SqsManagedSseEnabled":   true,
		})
	}},
	{"queues enforce SSL", func(t assertions.Template) {
		for _, q := range []string{ids.queue, ids.deadLetter, ids.streamFailures} {
			props(t, "AWS::SQS::QueuePolicy", obj{
				"Queues": arr{ref(q)},
				"PolicyDocument": like(obj{"Statement": with(like(obj{
					"Effect":    "Deny",
					"Action":    "sqs:*",
					"Condition": obj{"Bool": obj{"aws:SecureTransport": "false"}},
				}))}),
			})
		}
	}},

	// --- secret
	{"JWT secret generated", func(t assertions.Template) {
		props(t, "AWS::SecretsManager::Secret", obj{"GenerateSecretString": obj{
			"PasswordLength":     64,
			"ExcludePunctuation": true,
		}})
	}},

	// --- functions
	{"function runtime provided.al2023", func(t assertions.Template) {
		for _, fn := range ids.functions() {
			resourceProps(t, fn, obj{"Runtime": "provided.al2023"})
		}
	}},
	{"function arm64", func(t assertions.Template) {
		for _, fn := range ids.functions() {
			resourceProps(t, fn, obj{"Architectures": arr{"arm64"}})
		}
	}},
	{"function handler bootstrap", func(t assertions.Template) {
		for _, fn := range ids.functions() {
			resourceProps(t, fn, obj{"Handler": "bootstrap"})
		}
	}},
	{"function sizing and tracing", func(t assertions.Template) {
		resourceProps(t, ids.function, obj{"MemorySize": 512, "Timeout": 25, "TracingConfig": obj{"Mode": "Active"}})
		resourceProps(t, ids.scheduler, obj{"MemorySize": 256, "Timeout": 50, "TracingConfig": obj{"Mode": "Active"}})
		resourceProps(t, ids.streams, obj{"MemorySize": 256, "Timeout": 60, "TracingConfig": obj{"Mode": "Active"}})
	}},
	{"function environment", func(t assertions.Template) {
		resourceProps(t, ids.function, obj{"Environment": obj{"Variables": obj{
			"RENKEI_MODE":                      "aws",
			"RENKEI_TABLE":                     ref(ids.table),
			"RENKEI_JOBS_QUEUE_URL":            ref(ids.queue),
			"RENKEI_JWT_SECRET_ARN":            ref(ids.secret),
			"RENKEI_STRIPE_SECRET_KEY_ARN":     ref(ids.stripeKey),
			"RENKEI_STRIPE_WEBHOOK_SECRET_ARN": ref(ids.stripeWebhook),
			"STRIPE_CONNECT_RETURN_URL":        onboardingURL("done"),
			"STRIPE_CONNECT_REFRESH_URL":       onboardingURL("refresh"),
		}}})
	}},
	{"scheduler environment", func(t assertions.Template) {
		resourceProps(t, ids.scheduler, obj{"Environment": obj{"Variables": obj{
			"RENKEI_MODE":                      "aws",
			"RENKEI_TABLE":                     ref(ids.table),
			"RENKEI_STRIPE_SECRET_KEY_ARN":     ref(ids.stripeKey),
			"RENKEI_STRIPE_WEBHOOK_SECRET_ARN": ref(ids.stripeWebhook),
			"STRIPE_CONNECT_RETURN_URL":        onboardingURL("done"),
			"STRIPE_CONNECT_REFRESH_URL":       onboardingURL("refresh"),
		}}})
	}},
	{"streams environment", func(t assertions.Template) {
		resourceProps(t, ids.streams, obj{"Environment": obj{"Variables": obj{
			"RENKEI_MODE":  "aws",
			"RENKEI_TABLE": ref(ids.table),
		}}})
	}},
	{"function logs kept one month", func(t assertions.Template) {
		seen := map[string]bool{}
		for _, fn := range ids.functions() {
			group := logGroupOf(t, fn)
			if group == "" || seen[group] {
				panic(fmt.Sprintf("function %s has no log group of its own", fn))
			}
			seen[group] = true
			resourceProps(t, group, obj{"RetentionInDays": 30})
		}
	}},

	// --- grants
	{"IAM: table actions per function", func(t assertions.Template) {
		want := map[string][]string{
			ids.function: {"dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem",
				"dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"},
			ids.scheduler: {"dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"},
			ids.streams:   {"dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"},
		}
		table, index := mustJSON(arn(ids.table)), mustJSON(obj{"Fn::Join": arr{"", arr{arn(ids.table), "/index/*"}}})
		for fn, actions := range want {
			onTable, onIndex := grantedOn(t, fn, table), grantedOn(t, fn, index)
			if got := strings.Join(onTable, " "); got != strings.Join(actions, " ") {
				panic(fmt.Sprintf("%s may %s on the table, want %v", fn, got, actions))
			}
			if got := strings.Join(onIndex, " "); got != strings.Join(actions, " ") {
				panic(fmt.Sprintf("%s may %s on the indexes, want %v", fn, got, actions))
			}
		}
	}},
	{"IAM: no role can Scan", func(t assertions.Template) {
		for _, st := range allStatements(t) {
			for _, a := range stringsOf(st["Action"]) {
				if a == "dynamodb:Scan" || strings.Contains(a, "*") {
					panic(fmt.Sprintf("a policy allows %q", a))
				}
			}
		}
	}},
	{"IAM: secrets read with GetSecretValue only", func(t assertions.Template) {
		want := map[string][]string{
			ids.function:  {ids.secret, ids.stripeKey, ids.stripeWebhook},
			ids.scheduler: {ids.stripeKey, ids.stripeWebhook},
			ids.streams:   nil,
		}
		for fn, secrets := range want {
			var got []string
			for _, st := range statementsOf(t, fn) {
				actions := stringsOf(st["Action"])
				if !strings.Contains(strings.Join(actions, " "), "secretsmanager:") {
					continue
				}
				if len(actions) != 1 || actions[0] != "secretsmanager:GetSecretValue" {
					panic(fmt.Sprintf("%s may %v on secrets, want only GetSecretValue", fn, actions))
				}
				for _, r := range listOf(st["Resource"]) {
					o, _ := r.(obj)
					id, _ := o["Ref"].(string)
					got = append(got, id)
				}
			}
			sort.Strings(got)
			sort.Strings(secrets)
			if strings.Join(got, " ") != strings.Join(secrets, " ") {
				panic(fmt.Sprintf("%s reads secrets %v, want %v", fn, got, secrets))
			}
		}
	}},
	{"IAM: stream reads only for the consumer", func(t assertions.Template) {
		stream := mustJSON(obj{"Fn::GetAtt": arr{ids.table, "StreamArn"}})
		got := strings.Join(grantedOn(t, ids.streams, stream), " ")
		if got != "dynamodb:DescribeStream dynamodb:GetRecords dynamodb:GetShardIterator" {
			panic("the stream consumer may " + got + " on the stream")
		}
		for _, fn := range []string{ids.function, ids.scheduler} {
			if g := grantedOn(t, fn, stream); len(g) > 0 {
				panic(fmt.Sprintf("%s may %v on the stream", fn, g))
			}
		}
	}},
	{"IAM: queue send", func(t assertions.Template) {
		if got := grantedOn(t, ids.function, mustJSON(arn(ids.queue))); !contains(got, "sqs:SendMessage") {
			panic(fmt.Sprintf("the API may %v on the jobs queue", got))
		}
		if got := grantedOn(t, ids.streams, mustJSON(arn(ids.streamFailures))); !contains(got, "sqs:SendMessage") {
			panic(fmt.Sprintf("the stream consumer may %v on its failure queue", got))
		}
	}},

	// --- scheduler
	{"schedule runs the scheduler every minute", func(t assertions.Template) {
		resourceProps(t, ids.rule, obj{
			"ScheduleExpression": "rate(1 minute)",
			"State":              "ENABLED",
			"Targets": arr{like(obj{
				"Arn":         arn(ids.scheduler),
				"RetryPolicy": obj{"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60},
			})},
		})
		props(t, "AWS::Lambda::Permission", obj{
			"Action":       "lambda:InvokeFunction",
			"FunctionName": arn(ids.scheduler),
			"Principal":    "events.amazonaws.com",
			"SourceArn":    arn(ids.rule),
		})
	}},

	// --- stream consumer
	{"stream event source mapping", func(t assertions.Template) {
		props(t, "AWS::Lambda::EventSourceMapping", obj{
			"EventSourceArn":             obj{"Fn::GetAtt": arr{ids.table, "StreamArn"}},
			"FunctionName":               ref(ids.streams),
			"StartingPosition":           "TRIM_HORIZON",
			"BatchSize":                  100,
			"BisectBatchOnFunctionError": true,
			"FunctionResponseTypes":      arr{"ReportBatchItemFailures"},
			"MaximumRetryAttempts":       10,
			"MaximumRecordAgeInSeconds":  86400,
			"DestinationConfig":          obj{"OnFailure": obj{"Destination": arn(ids.streamFailures)}},
		})
	}},
	{"stream failures kept 14 days, SSE", func(t assertions.Template) {
		resourceProps(t, ids.streamFailures, obj{
			"RedrivePolicy":          assertions.Match_Absent(),
			"MessageRetentionPeriod": 14 * 24 * 3600,
			"SqsManagedSseEnabled":   true,
		})
	}},

	// --- secrets
	{"Stripe secrets hold generated placeholders", func(t assertions.Template) {
		for _, id := range []string{ids.stripeKey, ids.stripeWebhook} {
			resourceProps(t, id, obj{"GenerateSecretString": like(obj{}), "SecretString": assertions.Match_Absent()})
		}
	}},

	// --- HTTP API
	{"route POST /graphql", func(t assertions.Template) {
		props(t, "AWS::ApiGatewayV2::Route", obj{
			"RouteKey": "POST /graphql",
			"Target":   obj{"Fn::Join": arr{"", arr{"integrations/", ref(ids.integration)}}},
		})
	}},
	{"route POST /webhooks/stripe without authorizer", func(t assertions.Template) {
		// The Stripe-Signature header is the authentication; the api
		// function verifies it.
		props(t, "AWS::ApiGatewayV2::Route", obj{
			"RouteKey":          "POST /webhooks/stripe",
			"Target":            obj{"Fn::Join": arr{"", arr{"integrations/", ref(ids.integration)}}},
			"AuthorizationType": "NONE",
		})
	}},
	{"Lambda proxy integration, payload 2.0", func(t assertions.Template) {
		props(t, "AWS::ApiGatewayV2::Integration", obj{
			"IntegrationType":      "AWS_PROXY",
			"IntegrationUri":       arn(ids.function),
			"PayloadFormatVersion": "2.0",
		})
	}},
	{"default stage throttled", func(t assertions.Template) {
		props(t, "AWS::ApiGatewayV2::Stage", obj{
			"ApiId":      ref(ids.httpApi),
			"StageName":  "$default",
			"AutoDeploy": true,
			"DefaultRouteSettings": obj{
				"ThrottlingRateLimit":  100,
				"ThrottlingBurstLimit": 200,
			},
		})
	}},
	{"CORS POST with Authorization", func(t assertions.Template) {
		props(t, "AWS::ApiGatewayV2::Api", obj{"CorsConfiguration": like(obj{
			"AllowMethods": arr{"POST"},
			"AllowHeaders": with("Authorization", "Content-Type"),
			"AllowOrigins": assertions.Match_AnyValue(),
		})})
	}},

	// --- outputs
	{"outputs", func(t assertions.Template) {
		t.HasOutput(jsii.String("GraphqlUrl"), like(obj{"Value": like(obj{"Fn::Join": with(with("/graphql"))})}))
		t.HasOutput(jsii.String("TableName"), like(obj{"Value": ref(ids.table)}))
		t.HasOutput(jsii.String("JobsQueueUrl"), like(obj{"Value": ref(ids.queue)}))
		t.HasOutput(jsii.String("StreamFailuresQueueUrl"), like(obj{"Value": ref(ids.streamFailures)}))
		t.HasOutput(jsii.String("StripeSecretKeyArn"), like(obj{"Value": ref(ids.stripeKey)}))
		t.HasOutput(jsii.String("StripeWebhookSecretArn"), like(obj{"Value": ref(ids.stripeWebhook)}))
	}},
}

// runCheck reports an assertion failure as an error: the assertions library
// throws in node, which jsii surfaces in Go as a panic.
func runCheck(check func(assertions.Template), t assertions.Template) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	check(t)
	return nil
}

func TestStack(t *testing.T) {
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if err := runCheck(c.check, synthesized); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestChecksDetectDefects proves the checks can fail: each case breaks one
// property in a copy of the synthesized template and expects the check that
// guards it to report the defect.
func TestChecksDetectDefects(t *testing.T) {
	cases := []struct {
		check  string
		typ    string
		mutate func(props obj)
	}{
		{"table key schema pk/sk", "AWS::DynamoDB::Table", func(p obj) { p["KeySchema"] = p["KeySchema"].(arr)[:1] }},
		{"table GSIs gsi1 and gsi2", "AWS::DynamoDB::Table", func(p obj) { p["GlobalSecondaryIndexes"] = p["GlobalSecondaryIndexes"].(arr)[:1] }},
		{"table billing on demand", "AWS::DynamoDB::Table", func(p obj) { p["BillingMode"] = "PROVISIONED" }},
		{"table PITR", "AWS::DynamoDB::Table", func(p obj) { delete(p, "PointInTimeRecoverySpecification") }},
		{"table stream NEW_IMAGE", "AWS::DynamoDB::Table", func(p obj) { delete(p, "StreamSpecification") }},
		{"table TTL ttl", "AWS::DynamoDB::Table", func(p obj) { delete(p, "TimeToLiveSpecification") }},
		{"table retained and deletion-protected", "AWS::DynamoDB::Table", func(p obj) { delete(p, "DeletionProtectionEnabled") }},
		{"jobs queue redrive after 5", "AWS::SQS::Queue", func(p obj) {
			if rp, ok := p["RedrivePolicy"].(obj); ok {
				rp["maxReceiveCount"] = 10
			}
		}},
		{"function runtime provided.al2023", "AWS::Lambda::Function", func(p obj) { p["Runtime"] = "provided.al2" }},
		{"function arm64", "AWS::Lambda::Function", func(p obj) { delete(p, "Architectures") }},
		{"function handler bootstrap", "AWS::Lambda::Function", func(p obj) { p["Handler"] = "main" }},
		{"function environment", "AWS::Lambda::Function", func(p obj) {
			delete(p["Environment"].(obj)["Variables"].(obj), "RENKEI_JWT_SECRET_ARN")
		}},
		{"IAM: table actions per function", "AWS::IAM::Policy", func(p obj) {
			doc := p["PolicyDocument"].(obj)
			var kept arr
			for _, s := range doc["Statement"].(arr) {
				if b, _ := json.Marshal(s); !strings.Contains(string(b), "dynamodb:") {
					kept = append(kept, s)
				}
			}
			doc["Statement"] = kept
		}},
		{"IAM: no role can Scan", "AWS::IAM::Policy", func(p obj) {
			for _, s := range p["PolicyDocument"].(obj)["Statement"].(arr) {
				if s := s.(obj); strings.Contains(mustJSON(s["Action"]), "dynamodb:GetItem") {
					s["Action"] = append(listOf(s["Action"]), "dynamodb:Scan")
				}
			}
		}},
		{"IAM: secrets read with GetSecretValue only", "AWS::IAM::Policy", func(p obj) {
			for _, s := range p["PolicyDocument"].(obj)["Statement"].(arr) {
				if s := s.(obj); s["Action"] == "secretsmanager:GetSecretValue" {
					s["Action"] = arr{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"}
				}
			}
		}},
		{"route POST /graphql", "AWS::ApiGatewayV2::Route", func(p obj) { p["RouteKey"] = "ANY /{proxy+}" }},
		{"route POST /webhooks/stripe without authorizer", "AWS::ApiGatewayV2::Route", func(p obj) { p["AuthorizationType"] = "JWT" }},
		{"schedule runs the scheduler every minute", "AWS::Events::Rule", func(p obj) { p["ScheduleExpression"] = "rate(1 hour)" }},
		{"stream event source mapping", "AWS::Lambda::EventSourceMapping", func(p obj) { delete(p, "FunctionResponseTypes") }},
		{"stream event source mapping", "AWS::Lambda::EventSourceMapping", func(p obj) { delete(p, "DestinationConfig") }},
		{"default stage throttled", "AWS::ApiGatewayV2::Stage", func(p obj) { delete(p, "DefaultRouteSettings") }},
	}
	pristine := synthesized.ToJSON()
	raw, err := json.Marshal(pristine)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.check, func(t *testing.T) {
			var broken obj
			if err := json.Unmarshal(raw, &broken); err != nil {
				t.Fatal(err)
			}
			touched := 0
			for _, r := range broken["Resources"].(obj) {
				if r := r.(obj); r["Type"] == tc.typ {
					tc.mutate(r["Properties"].(obj))
					touched++
				}
			}
			if touched == 0 {
				t.Fatalf("no %s resource to break", tc.typ)
			}
			check := findCheck(t, tc.check)
			if err := runCheck(check, assertions.Template_FromJSON(&broken, nil)); err == nil {
				t.Fatalf("check %q passed on a template with the defect", tc.check)
			}
		})
	}
}

func findCheck(t *testing.T, name string) func(assertions.Template) {
	t.Helper()
	for _, c := range checks {
		if c.name == name {
			return c.check
		}
	}
	t.Fatalf("no check named %q", name)
	return nil
}
