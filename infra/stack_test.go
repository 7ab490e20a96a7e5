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
	function, scheduler, dispatcher, worker, httpApi, integration, rule        string
	secretsKey, freeeSecret, alarmTopic, jobsSource, distribution              string
	originVerify                                                               string
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
		consoleDir, err := testConsoleDir()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(consoleDir)
		cdkContext, err := loadCDKContext(filepath.Join(repoRoot, "cdk.json"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		cdkContext["alarmEmail"] = testAlarmEmail
		cdkContext["corsOrigins"] = testCorsOrigins
		app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outDir), Context: &cdkContext})
		stack := NewRenkeiStack(app, "RenkeiTest", &RenkeiStackProps{
			ApiCodeDir: codeDir, SchedulerCodeDir: codeDir, DispatcherCodeDir: codeDir, WorkerCodeDir: codeDir,
			ConsoleDir:    consoleDir,
			FreeeClientID: testFreeeClientID,
		})
		synthesized = assertions.Template_FromStack(stack, nil)
		if ids, err = findIDs(templateJSON(synthesized)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return m.Run()
	}())
}

// The test stack's freee client id and alarm e-mail (context alarmEmail).
const (
	testFreeeClientID = "test-freee-client-id"
	testAlarmEmail    = "ops@example.com"
)

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
		t.ResourceCountIs(jsii.String("AWS::SecretsManager::Secret"), jsii.Number(5))
		// api, scheduler, dispatcher, worker, and CDK's handlers of the
		// console deployments and of ApiCors: no LogRetention
		// custom-resource Lambda sneaks in.
		t.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(6))
		// The six functions' and the HTTP API's access log.
		t.ResourceCountIs(jsii.String("AWS::Logs::LogGroup"), jsii.Number(7))
		t.ResourceCountIs(jsii.String("AWS::Events::Rule"), jsii.Number(1))
		t.ResourceCountIs(jsii.String("AWS::Lambda::EventSourceMapping"), jsii.Number(2))
		t.ResourceCountIs(jsii.String("AWS::KMS::Key"), jsii.Number(2)) // secrets, alarm topic
		t.ResourceCountIs(jsii.String("AWS::SNS::Topic"), jsii.Number(1))
		t.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(4+len(opsAlarmIDs)))
		t.ResourceCountIs(jsii.String("AWS::ApiGatewayV2::Route"), jsii.Number(5))
		t.ResourceCountIs(jsii.String("AWS::S3::Bucket"), jsii.Number(1))
		t.ResourceCountIs(jsii.String("AWS::CloudFront::Distribution"), jsii.Number(1))
		t.ResourceCountIs(jsii.String("Custom::CDKBucketDeployment"), jsii.Number(2))
		t.ResourceCountIs(jsii.String("Custom::AWS"), jsii.Number(1))
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
				// Their projection: tables_test.go.
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
	{"jobs queue visibility 360s and SSE", func(t assertions.Template) {
		props(t, "AWS::SQS::Queue", obj{
			"RedrivePolicy":        assertions.Match_AnyValue(),
			"VisibilityTimeout":    360,
			"SqsManagedSseEnabled": true,
		})
	}},
	{"jobs queue visibility at least 6x the worker timeout", func(t assertions.Template) {
		res := templateJSON(t)["Resources"].(obj)
		visibility, _ := res[ids.queue].(obj)["Properties"].(obj)["VisibilityTimeout"].(float64)
		timeout, _ := res[ids.worker].(obj)["Properties"].(obj)["Timeout"].(float64)
		if timeout <= 0 || visibility < 6*timeout {
			panic(fmt.Sprintf("jobs queue visibility %vs, worker timeout %vs: want visibility ≥ 6 × timeout", visibility, timeout))
		}
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
		resourceProps(t, ids.dispatcher, obj{"MemorySize": 256, "Timeout": 60, "TracingConfig": obj{"Mode": "Active"}})
		resourceProps(t, ids.worker, obj{"MemorySize": 512, "Timeout": 60, "TracingConfig": obj{"Mode": "Active"}})
	}},
	{"every function runs with RENKEI_ENV=aws", func(t assertions.Template) {
		for _, fn := range ids.functions() {
			resourceProps(t, fn, obj{"Environment": obj{"Variables": like(obj{"RENKEI_ENV": "aws"})}})
		}
	}},
	{"function environment", func(t assertions.Template) {
		resourceProps(t, ids.function, obj{"Environment": obj{"Variables": obj{
			"RENKEI_ENV":                       "aws",
			"RENKEI_TABLE":                     ref(ids.table),
			"RENKEI_JOBS_QUEUE_URL":            ref(ids.queue),
			"RENKEI_JWT_SECRET_ARN":            ref(ids.secret),
			"RENKEI_SECRETS_KMS_KEY_ID":        arn(ids.secretsKey),
			"FREEE_CLIENT_ID":                  testFreeeClientID,
			"FREEE_CLIENT_SECRET_ARN":          ref(ids.freeeSecret),
			"RENKEI_STRIPE_SECRET_KEY_ARN":     ref(ids.stripeKey),
			"RENKEI_STRIPE_WEBHOOK_SECRET_ARN": ref(ids.stripeWebhook),
			"STRIPE_CONNECT_RETURN_URL":        onboardingURL("done"),
			"STRIPE_CONNECT_REFRESH_URL":       onboardingURL("refresh"),
		}}})
	}},
	{"scheduler environment", func(t assertions.Template) {
		resourceProps(t, ids.scheduler, obj{"Environment": obj{"Variables": obj{
			"RENKEI_ENV":                       "aws",
			"RENKEI_TABLE":                     ref(ids.table),
			"RENKEI_JOBS_QUEUE_URL":            ref(ids.queue),
			"RENKEI_STRIPE_SECRET_KEY_ARN":     ref(ids.stripeKey),
			"RENKEI_STRIPE_WEBHOOK_SECRET_ARN": ref(ids.stripeWebhook),
			"STRIPE_CONNECT_RETURN_URL":        onboardingURL("done"),
			"STRIPE_CONNECT_REFRESH_URL":       onboardingURL("refresh"),
		}}})
	}},
	{"dispatcher environment", func(t assertions.Template) {
		resourceProps(t, ids.dispatcher, obj{"Environment": obj{"Variables": obj{
			"RENKEI_ENV":            "aws",
			"RENKEI_TABLE":          ref(ids.table),
			"RENKEI_JOBS_QUEUE_URL": ref(ids.queue),
		}}})
	}},
	{"worker environment", func(t assertions.Template) {
		resourceProps(t, ids.worker, obj{"Environment": obj{"Variables": obj{
			"RENKEI_ENV":                "aws",
			"RENKEI_TABLE":              ref(ids.table),
			"RENKEI_JOBS_QUEUE_URL":     ref(ids.queue),
			"RENKEI_SECRETS_KMS_KEY_ID": arn(ids.secretsKey),
			"FREEE_CLIENT_ID":           testFreeeClientID,
			"FREEE_CLIENT_SECRET_ARN":   ref(ids.freeeSecret),
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
		// The functions' own roles: platform keys only (which keys:
		// tenantdata_test.go); tenant items through the TenantData role.
		want := map[string][]string{
			ids.function:   {"dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:UpdateItem"},
			ids.scheduler:  {"dynamodb:Query"},
			ids.dispatcher: {"dynamodb:UpdateItem"},
			ids.worker:     nil,
		}
		wantIndex := map[string][]string{ids.scheduler: {"dynamodb:Query"}} // gsi2, the outbox index
		table, index := mustJSON(arn(ids.table)), mustJSON(obj{"Fn::Join": arr{"", arr{arn(ids.table), "/index/gsi2"}}})
		for fn, actions := range want {
			onTable, onIndex := grantedOn(t, fn, table), grantedOn(t, fn, index)
			if got := strings.Join(onTable, " "); got != strings.Join(actions, " ") {
				panic(fmt.Sprintf("%s may %s on the table, want %v", fn, got, actions))
			}
			if got := strings.Join(onIndex, " "); got != strings.Join(wantIndex[fn], " ") {
				panic(fmt.Sprintf("%s may %s on gsi2, want %v", fn, got, wantIndex[fn]))
			}
		}
	}},
	{"IAM: no role can Scan", func(t assertions.Template) {
		// Wildcard actions anywhere but in CDK's console deployment
		// handler's role, whose s3:GetObject*-style grants are CDK's own;
		// a check of its own holds it to S3 on the console bucket and the
		// assets (console_test.go).
		tmpl := templateJSON(t)
		deployment := mustJSON(arr{ref(deploymentRole(tmpl))})
		for _, r := range resourcesOf(tmpl, "AWS::IAM::Policy") {
			p := r["Properties"].(obj)
			for _, st := range statements(p) {
				for _, a := range stringsOf(st["Action"]) {
					if a == "dynamodb:Scan" || (strings.Contains(a, "*") && (mustJSON(p["Roles"]) != deployment || !strings.HasPrefix(a, "s3:"))) {
						panic(fmt.Sprintf("a policy allows %q", a))
					}
				}
			}
		}
	}},
	{"IAM: secrets read with GetSecretValue only", func(t assertions.Template) {
		want := map[string][]string{
			ids.function:   {ids.secret, ids.stripeKey, ids.stripeWebhook, ids.freeeSecret, ids.originVerify},
			ids.scheduler:  {ids.stripeKey, ids.stripeWebhook},
			ids.dispatcher: nil,
			ids.worker:     {ids.freeeSecret},
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
		got := strings.Join(grantedOn(t, ids.dispatcher, stream), " ")
		if got != "dynamodb:DescribeStream dynamodb:GetRecords dynamodb:GetShardIterator" {
			panic("the stream consumer may " + got + " on the stream")
		}
		for _, fn := range []string{ids.function, ids.scheduler, ids.worker} {
			if g := grantedOn(t, fn, stream); len(g) > 0 {
				panic(fmt.Sprintf("%s may %v on the stream", fn, g))
			}
		}
	}},
	{"IAM: jobs queue actions per function", func(t assertions.Template) {
		want := map[string]string{
			ids.function:   "sqs:SendMessage",
			ids.scheduler:  "sqs:SendMessage",
			ids.dispatcher: "sqs:SendMessage",
			ids.worker:     "sqs:ChangeMessageVisibility sqs:DeleteMessage sqs:GetQueueAttributes sqs:ReceiveMessage sqs:SendMessage",
		}
		for fn, actions := range want {
			if got := strings.Join(grantedOn(t, fn, mustJSON(arn(ids.queue))), " "); got != actions {
				panic(fmt.Sprintf("%s may %q on the jobs queue, want %q", fn, got, actions))
			}
			if got := grantedOn(t, fn, mustJSON(arn(ids.deadLetter))); len(got) > 0 {
				panic(fmt.Sprintf("%s may %v on the jobs DLQ", fn, got))
			}
		}
		if got := grantedOn(t, ids.dispatcher, mustJSON(arn(ids.streamFailures))); !contains(got, "sqs:SendMessage") {
			panic(fmt.Sprintf("the stream consumer may %v on its failure queue", got))
		}
	}},
	{"IAM: KMS for the api and the worker only, with the encryption context", func(t assertions.Template) {
		key := mustJSON(arn(ids.secretsKey))
		for _, fn := range ids.functions() {
			var kms []obj
			for _, st := range statementsOf(t, fn) {
				if strings.Contains(mustJSON(st["Action"]), "kms:") {
					kms = append(kms, st)
				}
			}
			if fn != ids.function && fn != ids.worker {
				if len(kms) > 0 {
					panic(fmt.Sprintf("%s may use KMS: %v", fn, kms))
				}
				continue
			}
			if len(kms) != 1 {
				panic(fmt.Sprintf("%s has %d KMS statements, want 1", fn, len(kms)))
			}
			st := kms[0]
			if got := strings.Join(stringsOf(st["Action"]), " "); got != "kms:Decrypt kms:GenerateDataKey" || st["Effect"] != "Allow" {
				panic(fmt.Sprintf("%s may %s %v with KMS, want Allow kms:Decrypt kms:GenerateDataKey", fn, st["Effect"], got))
			}
			if r := listOf(st["Resource"]); len(r) != 1 || mustJSON(r[0]) != key {
				panic(fmt.Sprintf("%s may use KMS on %v, want only the secrets key", fn, r))
			}
			wantCond := mustJSON(obj{
				"Null":                      obj{"kms:EncryptionContextKeys": "false"},
				"ForAllValues:StringEquals": obj{"kms:EncryptionContextKeys": arr{"aad", "aad-b64"}},
			})
			if got := mustJSON(st["Condition"]); got != wantCond {
				panic(fmt.Sprintf("%s's KMS condition is %s, want %s", fn, got, wantCond))
			}
		}
	}},
	{"IAM: the dispatcher has no KMS action", func(t assertions.Template) {
		for _, st := range statementsOf(t, ids.dispatcher) {
			for _, a := range stringsOf(st["Action"]) {
				if strings.HasPrefix(a, "kms:") {
					panic("the dispatcher may " + a)
				}
			}
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
			"FunctionName":               ref(ids.dispatcher),
			"StartingPosition":           "TRIM_HORIZON",
			"BatchSize":                  100,
			"BisectBatchOnFunctionError": true,
			"FunctionResponseTypes":      arr{"ReportBatchItemFailures"},
			"MaximumRetryAttempts":       10,
			"MaximumRecordAgeInSeconds":  86400,
			"DestinationConfig":          obj{"OnFailure": obj{"Destination": arn(ids.streamFailures)}},
			// Only event-carrying images (outbox items, stock levels).
			"FilterCriteria": obj{"Filters": arr{obj{"Pattern": `{"dynamodb":{"NewImage":{"type":{"S":["Event","StockLevel"]}}}}`}}},
		})
	}},
	// --- worker
	{"worker event source: jobs queue, batch 10, ReportBatchItemFailures, max concurrency 20", func(t assertions.Template) {
		resourceProps(t, ids.jobsSource, obj{
			"EventSourceArn":        arn(ids.queue),
			"FunctionName":          ref(ids.worker),
			"BatchSize":             10,
			"FunctionResponseTypes": arr{"ReportBatchItemFailures"},
			"ScalingConfig":         obj{"MaximumConcurrency": 20},
		})
	}},

	// --- integration secrets
	{"secrets key customer managed, rotated, retained", func(t assertions.Template) {
		t.HasResource(jsii.String("AWS::KMS::Key"), like(obj{
			"DeletionPolicy":      "Retain",
			"UpdateReplacePolicy": "Retain",
			"Properties": like(obj{
				// This key, not the alarm topic's (ops.go).
				"Description":       assertions.Match_StringLikeRegexp(jsii.String("^renkei: wraps ")),
				"EnableKeyRotation": true,
				"KeySpec":           assertions.Match_Absent(), // symmetric (SYMMETRIC_DEFAULT)
				"KeyUsage":          assertions.Match_Absent(), // ENCRYPT_DECRYPT
			}),
		}))
	}},
	{"freee client secret holds a generated placeholder", func(t assertions.Template) {
		resourceProps(t, ids.freeeSecret, obj{"GenerateSecretString": like(obj{}), "SecretString": assertions.Match_Absent()})
	}},

	// --- alarms
	{"alarm: jobs DLQ has a message", func(t assertions.Template) {
		queueAlarm(t, ids.deadLetter, "ApproximateNumberOfMessagesVisible", "GreaterThanOrEqualToThreshold", 1)
	}},
	{"alarm: StreamFailures has a message", func(t assertions.Template) {
		queueAlarm(t, ids.streamFailures, "ApproximateNumberOfMessagesVisible", "GreaterThanOrEqualToThreshold", 1)
	}},
	{"alarm: jobs wait over 15 minutes", func(t assertions.Template) {
		queueAlarm(t, ids.queue, "ApproximateAgeOfOldestMessage", "GreaterThanThreshold", 900)
	}},
	{"alarm: worker errors", func(t assertions.Template) {
		props(t, "AWS::CloudWatch::Alarm", obj{
			"Namespace":          "AWS/Lambda",
			"MetricName":         "Errors",
			"Dimensions":         arr{obj{"Name": "FunctionName", "Value": ref(ids.worker)}},
			"Statistic":          "Sum",
			"ComparisonOperator": "GreaterThanOrEqualToThreshold",
			"Threshold":          1,
			"AlarmActions":       arr{ref(ids.alarmTopic)},
		})
	}},
	{"alarm topic e-mails alarmEmail", func(t assertions.Template) {
		props(t, "AWS::SNS::Subscription", obj{
			"Protocol": "email",
			"Endpoint": testAlarmEmail,
			"TopicArn": ref(ids.alarmTopic),
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
	{"route POST /webhooks/shopify/{integrationId} without authorizer", func(t assertions.Template) {
		// X-Shopify-Hmac-Sha256 is the authentication; the api function
		// verifies it with the integration's secret.
		props(t, "AWS::ApiGatewayV2::Route", obj{
			"RouteKey":          "POST /webhooks/shopify/{integrationId}",
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
				"ThrottlingRateLimit":  defaultAPIRateLimit, // limits.go, limits_test.go
				"ThrottlingBurstLimit": defaultAPIBurstLimit,
			},
		})
	}},
	{"CORS POST with Authorization", func(t assertions.Template) {
		// Set by the ApiCors custom resource (cors.go, console_test.go).
		for _, call := range apiCorsCalls(templateJSON(t)) {
			cors, _ := call["parameters"].(obj)["CorsConfiguration"].(obj)
			methods, headers := stringsOf(cors["AllowMethods"]), stringsOf(cors["AllowHeaders"])
			if strings.Join(methods, " ") != "POST" || !contains(headers, "Authorization") || !contains(headers, "Content-Type") ||
				!contains(headers, "Renkei-Session") {
				panic(fmt.Sprintf("CORS methods %v, headers %v; want POST with Authorization, Content-Type, Renkei-Session", methods, headers))
			}
		}
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
	{"outputs: integration secrets", func(t assertions.Template) {
		t.HasOutput(jsii.String("FreeeClientSecretArn"), like(obj{"Value": ref(ids.freeeSecret)}))
		t.HasOutput(jsii.String("SecretsKeyArn"), like(obj{"Value": arn(ids.secretsKey)}))
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
		{"function environment", "AWS::Lambda::Function", func(p obj) { delete(env(p), "RENKEI_JWT_SECRET_ARN") }},
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
		{"stream event source mapping", "AWS::Lambda::EventSourceMapping", func(p obj) { delete(p, "FilterCriteria") }},
		{"default stage throttled", "AWS::ApiGatewayV2::Stage", func(p obj) { delete(p, "DefaultRouteSettings") }},

		// --- the integration hub (issue 9)
		{"jobs queue visibility 360s and SSE", "AWS::SQS::Queue", func(p obj) { p["VisibilityTimeout"] = 180 }},
		{"jobs queue visibility at least 6x the worker timeout", "AWS::SQS::Queue", func(p obj) { p["VisibilityTimeout"] = 300 }},
		{"jobs queue visibility at least 6x the worker timeout", "AWS::Lambda::Function", func(p obj) { p["Timeout"] = 120 }},
		{"function sizing and tracing", "AWS::Lambda::Function", func(p obj) { p["MemorySize"] = 128 }},
		{"every function runs with RENKEI_ENV=aws", "AWS::Lambda::Function", func(p obj) { env(p)["RENKEI_ENV"] = "local" }},
		{"every function runs with RENKEI_ENV=aws", "AWS::Lambda::Function", func(p obj) { delete(env(p), "RENKEI_ENV") }},
		{"function environment", "AWS::Lambda::Function", func(p obj) { delete(env(p), "FREEE_CLIENT_SECRET_ARN") }},
		{"function environment", "AWS::Lambda::Function", func(p obj) { delete(env(p), "RENKEI_SECRETS_KMS_KEY_ID") }},
		{"scheduler environment", "AWS::Lambda::Function", func(p obj) { delete(env(p), "RENKEI_JOBS_QUEUE_URL") }},
		{"dispatcher environment", "AWS::Lambda::Function", func(p obj) { delete(env(p), "RENKEI_JOBS_QUEUE_URL") }},
		{"worker environment", "AWS::Lambda::Function", func(p obj) { delete(env(p), "RENKEI_SECRETS_KMS_KEY_ID") }},
		{"worker environment", "AWS::Lambda::Function", func(p obj) { delete(env(p), "RENKEI_JOBS_QUEUE_URL") }},
		{"IAM: table actions per function", "AWS::IAM::Policy", func(p obj) {
			eachStatement(p, func(s obj) {
				if strings.Contains(mustJSON(s["Action"]), "dynamodb:GetItem") {
					s["Action"] = append(listOf(s["Action"]), "dynamodb:BatchWriteItem")
				}
			})
		}},
		{"IAM: jobs queue actions per function", "AWS::IAM::Policy", func(p obj) {
			eachStatement(p, func(s obj) {
				if s["Action"] == "sqs:SendMessage" {
					s["Action"] = arr{"sqs:GetQueueUrl", "sqs:SendMessage"}
				}
			})
		}},
		{"IAM: jobs queue actions per function", "AWS::IAM::Policy", func(p obj) {
			eachStatement(p, func(s obj) {
				if actions := stringsOf(s["Action"]); contains(actions, "sqs:ChangeMessageVisibility") {
					s["Action"] = arr{"sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"}
				}
			})
		}},
		{"IAM: jobs queue actions per function", "AWS::IAM::Policy", func(p obj) {
			addStatement(p, obj{"Effect": "Allow", "Action": "sqs:ReceiveMessage", "Resource": arn(ids.deadLetter)})
		}},
		{"IAM: KMS for the api and the worker only, with the encryption context", "AWS::IAM::Policy", func(p obj) {
			eachStatement(p, func(s obj) {
				if strings.Contains(mustJSON(s["Action"]), "kms:") {
					s["Action"] = append(listOf(s["Action"]), "kms:Encrypt")
				}
			})
		}},
		{"IAM: KMS for the api and the worker only, with the encryption context", "AWS::IAM::Policy", func(p obj) {
			eachStatement(p, func(s obj) { delete(s, "Condition") })
		}},
		{"IAM: KMS for the api and the worker only, with the encryption context", "AWS::IAM::Policy", func(p obj) {
			eachStatement(p, func(s obj) {
				if c, ok := s["Condition"].(obj); ok {
					delete(c, "Null")
				}
			})
		}},
		{"IAM: KMS for the api and the worker only, with the encryption context", "AWS::IAM::Policy", func(p obj) {
			eachStatement(p, func(s obj) {
				if strings.Contains(mustJSON(s["Action"]), "kms:") {
					s["Resource"] = "*"
				}
			})
		}},
		{"IAM: KMS for the api and the worker only, with the encryption context", "AWS::IAM::Policy", func(p obj) {
			addStatement(p, obj{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": arn(ids.secretsKey)})
		}},
		{"IAM: the dispatcher has no KMS action", "AWS::IAM::Policy", func(p obj) {
			addStatement(p, obj{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": arn(ids.secretsKey)})
		}},
		{"IAM: stream reads only for the consumer", "AWS::IAM::Policy", func(p obj) {
			addStatement(p, obj{"Effect": "Allow", "Action": "dynamodb:GetRecords", "Resource": obj{"Fn::GetAtt": arr{ids.table, "StreamArn"}}})
		}},
		{"worker event source: jobs queue, batch 10, ReportBatchItemFailures, max concurrency 20", "AWS::Lambda::EventSourceMapping", func(p obj) {
			delete(p, "FunctionResponseTypes")
		}},
		{"worker event source: jobs queue, batch 10, ReportBatchItemFailures, max concurrency 20", "AWS::Lambda::EventSourceMapping", func(p obj) {
			delete(p, "ScalingConfig")
		}},
		{"worker event source: jobs queue, batch 10, ReportBatchItemFailures, max concurrency 20", "AWS::Lambda::EventSourceMapping", func(p obj) {
			p["BatchSize"] = 100
		}},
		{"secrets key customer managed, rotated, retained", "AWS::KMS::Key", func(p obj) { p["EnableKeyRotation"] = false }},
		{"secrets key customer managed, rotated, retained", "AWS::KMS::Key", func(p obj) { p["KeySpec"] = "RSA_2048" }},
		{"freee client secret holds a generated placeholder", "AWS::SecretsManager::Secret", func(p obj) { delete(p, "GenerateSecretString") }},
		{"freee client secret holds a generated placeholder", "AWS::SecretsManager::Secret", func(p obj) { p["SecretString"] = "cs_live" }},
		{"alarm: jobs DLQ has a message", "AWS::CloudWatch::Alarm", func(p obj) { p["Threshold"] = 5 }},
		{"alarm: jobs DLQ has a message", "AWS::CloudWatch::Alarm", func(p obj) { p["MetricName"] = "NumberOfMessagesSent" }},
		{"alarm: StreamFailures has a message", "AWS::CloudWatch::Alarm", func(p obj) { delete(p, "AlarmActions") }},
		{"alarm: StreamFailures has a message", "AWS::CloudWatch::Alarm", func(p obj) { p["ComparisonOperator"] = "GreaterThanThreshold" }},
		{"alarm: jobs wait over 15 minutes", "AWS::CloudWatch::Alarm", func(p obj) { p["Threshold"] = 3600 }},
		{"alarm: jobs wait over 15 minutes", "AWS::CloudWatch::Alarm", func(p obj) { delete(p, "Dimensions") }},
		{"alarm: worker errors", "AWS::CloudWatch::Alarm", func(p obj) { p["MetricName"] = "Throttles" }},
		{"alarm: worker errors", "AWS::CloudWatch::Alarm", func(p obj) { p["AlarmActions"] = arr{} }},
		{"alarm topic e-mails alarmEmail", "AWS::SNS::Subscription", func(p obj) { p["Endpoint"] = "someone@example.com" }},
		{"route POST /webhooks/shopify/{integrationId} without authorizer", "AWS::ApiGatewayV2::Route", func(p obj) {
			if p["RouteKey"] == "POST /webhooks/shopify/{integrationId}" {
				p["RouteKey"] = "POST /webhooks/shopify"
			}
		}},
	}
	pristine := synthesized.ToJSON()
	raw, err := json.Marshal(pristine)
	if err != nil {
		t.Fatal(err)
	}
	// Defects outside one resource type's properties: a resource's
	// policies, a missing resource or output.
	templateCases := []templateDefect{
		{"secrets key customer managed, rotated, retained", func(tmpl obj) {
			delete(tmpl["Resources"].(obj)[ids.secretsKey].(obj), "DeletionPolicy")
		}},
		{"alarm topic e-mails alarmEmail", func(tmpl obj) {
			res := tmpl["Resources"].(obj)
			for id, r := range res {
				if r.(obj)["Type"] == "AWS::SNS::Subscription" {
					delete(res, id)
				}
			}
		}},
		{"outputs: integration secrets", func(tmpl obj) { delete(tmpl["Outputs"].(obj), "FreeeClientSecretArn") }},
		{"outputs: integration secrets", func(tmpl obj) { delete(tmpl["Outputs"].(obj), "SecretsKeyArn") }},
	}
	expectDefectsCaught(t, templateCases)
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

// env is a function's environment variables (in a template being broken);
// a function without any (CDK's custom resource handlers) gets a
// throwaway map.
func env(p obj) obj {
	e, _ := p["Environment"].(obj)
	if v, ok := e["Variables"].(obj); ok {
		return v
	}
	return obj{}
}

// eachStatement calls f with each statement of a policy being broken.
func eachStatement(p obj, f func(s obj)) {
	for _, s := range p["PolicyDocument"].(obj)["Statement"].(arr) {
		f(s.(obj))
	}
}

// addStatement adds a statement to a policy being broken.
func addStatement(p obj, s obj) {
	doc := p["PolicyDocument"].(obj)
	doc["Statement"] = append(doc["Statement"].(arr), s)
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
