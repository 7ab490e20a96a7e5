package main

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Operations you can see (issue 11): the alarms beyond the integration
// hub's (integrations.go), the alarm topic's protection, the HTTP API's
// access log, what the stack retains, and where CORS origins come from.
// docs/operations.md says what each alarm means and what to do.

const (
	// opsPeriod is the period of the alarms below (seconds).
	opsPeriod = 5 * 60

	// apiServerErrorsAlarm: this many 5xx answers of the HTTP API in 5
	// minutes. The api answers its own failures as GraphQL errors (200) and
	// an exhausted deadline as UNAVAILABLE: a 5xx is a crash, a timeout or
	// a throttled function.
	apiServerErrorsAlarm = 5
	// apiLatencyP99Alarm: the HTTP API's p99 latency (ms) above this for
	// apiLatencyPeriods consecutive periods. A card checkout waits for
	// Stripe; a cash checkout takes tens of milliseconds.
	apiLatencyP99Alarm = 5000
	apiLatencyPeriods  = 3

	// tableThrottlesAlarm: read + write throttle events of the table or of
	// one index in 5 minutes. On-demand throttles only past twice the
	// previous peak or on a hot partition (Contributor Insights names it).
	tableThrottlesAlarm = 10

	// streamIteratorAgeAlarm: the age (ms) of the last stream record the
	// dispatcher read, at its maximum over two consecutive periods. Reports
	// and integration dispatch are that far behind; records older than a
	// day (streamMaxAgeDays) go to StreamFailures.
	streamIteratorAgeAlarm   = 5 * 60 * 1000
	streamIteratorAgePeriods = 2

	// metricsNamespace and integrationJobsFailedMetric are what
	// shared/metrics emits (EMF lines, no dimension for this metric): one
	// per integration job that ended FAILED, out of attempts.
	metricsNamespace            = "Renkei"
	integrationJobsFailedMetric = "IntegrationJobsFailed"

	// jobsRetentionDays and jobsDeadLetterRetentionDays: how long the jobs
	// queue and its DLQ keep a message (newJobsQueue). The DLQ's must be
	// the longer.
	jobsRetentionDays           = 7
	jobsDeadLetterRetentionDays = 14

	// accessLogRetention is how long the HTTP API's access log is kept,
	// like the functions' logs.
	accessLogRetention = awslogs.RetentionDays_ONE_MONTH
)

// tableIndexNames are the table's global secondary indexes (newTable), each
// watched for throttles like the table; the tests check that every index of
// the template has its alarm.
var tableIndexNames = []string{"gsi1", "gsi2"}

// newAlarmTopic is the SNS topic every alarm notifies: encrypted with a
// customer managed key (CloudWatch cannot use the AWS managed SNS key) that
// CloudWatch may use (AWS's documented key policy statement, without
// conditions: the topic policy below is what restricts who publishes), TLS-only (EnforceSSL), and — since a topic policy
// replaces SNS's default one — an explicit grant letting this account's
// CloudWatch alarms publish.
func newAlarmTopic(scope constructs.Construct) awssns.Topic {
	stack := awscdk.Stack_Of(scope)
	cloudwatch := awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)
	fromOurAlarms := &map[string]interface{}{
		"StringEquals": map[string]interface{}{"aws:SourceAccount": stack.Account()},
		"ArnLike": map[string]interface{}{
			"aws:SourceArn": fmt.Sprintf("arn:%s:cloudwatch:%s:%s:alarm:*", *stack.Partition(), *stack.Region(), *stack.Account()),
		},
	}
	key := awskms.NewKey(scope, jsii.String("AlarmsKey"), &awskms.KeyProps{
		Description:       jsii.String("renkei: encrypts the alarm topic's messages"),
		EnableKeyRotation: jsii.Bool(true),
	})
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarmsPublish"),
		Effect:     awsiam.Effect_ALLOW,
		Principals: &[]awsiam.IPrincipal{cloudwatch},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
		Resources:  jsii.Strings("*"),
	}), nil)
	topic := awssns.NewTopic(scope, jsii.String("Alarms"), &awssns.TopicProps{
		DisplayName: jsii.String("renkei alarms"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarmsPublish"),
		Effect:     awsiam.Effect_ALLOW,
		Principals: &[]awsiam.IPrincipal{cloudwatch},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  jsii.Strings(*topic.TopicArn()),
		Conditions: fromOurAlarms,
	}))
	return topic
}

// opsTargets are what the operational alarms watch.
type opsTargets struct {
	topic awssns.ITopic
	// functions by construct id (Api, Scheduler, Dispatcher, Worker).
	functions  map[string]awslambda.Function
	dispatcher awslambda.Function
	table      awsdynamodb.Table
	stage      awsapigatewayv2.HttpStage
}

// newOpsAlarms raises, on the alarm topic: per function Errors (but the
// worker's, which integrations.go raises) and Throttles; the HTTP API's
// 5xx and p99 latency; read/write throttles of the table and of each index;
// the dispatcher's stream iterator age; integration jobs FAILED.
func newOpsAlarms(scope constructs.Construct, o opsTargets) {
	action := awscloudwatchactions.NewSnsAction(o.topic)
	period := awscdk.Duration_Seconds(jsii.Number(opsPeriod))
	sum, atLeast := jsii.String("Sum"), awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD
	above := awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD
	alarm := func(id, description string, metric awscloudwatch.IMetric, threshold, periods float64, op awscloudwatch.ComparisonOperator) {
		a := awscloudwatch.NewAlarm(scope, jsii.String(id), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String("renkei: " + description + " (docs/operations.md, Alarms and what to do)"),
			Metric:             metric,
			Threshold:          jsii.Number(threshold),
			ComparisonOperator: op,
			EvaluationPeriods:  jsii.Number(periods),
			DatapointsToAlarm:  jsii.Number(periods),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		a.AddAlarmAction(action)
	}

	for _, name := range []string{"Api", "Scheduler", "Dispatcher", "Worker"} {
		fn, ok := o.functions[name]
		if !ok {
			panic("renkei infra: no function " + name + " to watch")
		}
		if name != "Worker" { // WorkerErrorsAlarm (integrations.go)
			alarm(name+"ErrorsAlarm", "the "+name+" function crashed or timed out",
				fn.MetricErrors(&awscloudwatch.MetricOptions{Period: period, Statistic: sum}), 1, 1, atLeast)
		}
		alarm(name+"ThrottlesAlarm", "the "+name+" function was throttled (account or reserved concurrency exhausted)",
			fn.MetricThrottles(&awscloudwatch.MetricOptions{Period: period, Statistic: sum}), 1, 1, atLeast)
	}

	api := o.stage.Api()
	alarm("Api5xxAlarm", fmt.Sprintf("the HTTP API answered %d or more 5xx in 5 minutes", apiServerErrorsAlarm),
		api.MetricServerError(&awscloudwatch.MetricOptions{Period: period, Statistic: sum}), apiServerErrorsAlarm, 1, atLeast)
	alarm("ApiLatencyP99Alarm", fmt.Sprintf("the HTTP API's p99 latency is over %d ms for %d minutes", apiLatencyP99Alarm, apiLatencyPeriods*opsPeriod/60),
		api.MetricLatency(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("p99")}), apiLatencyP99Alarm, apiLatencyPeriods, above)

	throttles := func(id, what string, dims map[string]*string) {
		metric := func(name string) awscloudwatch.IMetric {
			return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
				Namespace: jsii.String("AWS/DynamoDB"), MetricName: jsii.String(name),
				DimensionsMap: &dims, Period: period, Statistic: sum,
			})
		}
		alarm(id, fmt.Sprintf("%s throttled %d or more reads and writes in 5 minutes", what, tableThrottlesAlarm),
			awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
				Expression: jsii.String("FILL(reads, 0) + FILL(writes, 0)"),
				Label:      jsii.String(what + " throttle events"),
				Period:     period,
				UsingMetrics: &map[string]awscloudwatch.IMetric{
					"reads": metric("ReadThrottleEvents"), "writes": metric("WriteThrottleEvents"),
				},
			}), tableThrottlesAlarm, 1, atLeast)
	}
	throttles("TableThrottlesAlarm", "the table", map[string]*string{"TableName": o.table.TableName()})
	for _, index := range tableIndexNames {
		throttles("TableThrottles"+strings.ToUpper(index[:1])+index[1:]+"Alarm", "the table's index "+index,
			map[string]*string{"TableName": o.table.TableName(), "GlobalSecondaryIndexName": jsii.String(index)})
	}

	alarm("StreamIteratorAgeAlarm", fmt.Sprintf("the dispatcher is over %d minutes behind the table's stream", streamIteratorAgeAlarm/60000),
		o.dispatcher.Metric(jsii.String("IteratorAge"), &awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Maximum")}),
		streamIteratorAgeAlarm, streamIteratorAgePeriods, above)

	alarm("IntegrationJobsFailedAlarm", "an integration job ended FAILED (out of attempts; retryIntegrationJob runs it again)",
		awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(metricsNamespace), MetricName: jsii.String(integrationJobsFailedMetric),
			Period: period, Statistic: sum,
		}), 1, 1, atLeast)
}

// accessLogFormat is one JSON line per request: who, which route, the
// answer and how long the function took. No header, query string, path
// parameter or body: nothing of a bearer token or a tenant's data.
var accessLogFormat = map[string]string{
	"requestId":          "$context.requestId",
	"requestTime":        "$context.requestTime",
	"ip":                 "$context.identity.sourceIp",
	"userAgent":          "$context.identity.userAgent",
	"routeKey":           "$context.routeKey",
	"protocol":           "$context.protocol",
	"status":             "$context.status",
	"responseLength":     "$context.responseLength",
	"responseLatency":    "$context.responseLatency",
	"integrationStatus":  "$context.integrationStatus",
	"integrationLatency": "$context.integrationLatency",
	"integrationError":   "$context.integrationErrorMessage",
	"error":              "$context.error.message",
}

// accessLogs sends the stage's access log (accessLogFormat) to a log group
// of its own, kept accessLogRetention. (On the L1 stage: HttpStageProps'
// AccessLogSettings would do the same with more code.)
func accessLogs(scope constructs.Construct, stage awsapigatewayv2.HttpStage) awslogs.LogGroup {
	logs := awslogs.NewLogGroup(scope, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		Retention: accessLogRetention,
	})
	format := awscdk.Stack_Of(scope).ToJsonString(accessLogFormat, nil)
	stage.Node().DefaultChild().(awsapigatewayv2.CfnStage).SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: logs.LogGroupArn(),
		Format:         format,
	})
	return logs
}

// contributorInsights turns on CloudWatch Contributor Insights for the
// table and each of its indexes (tableIndexNames): the most accessed and
// the most throttled keys, by name. An escape hatch rather than
// newTable's props, which the write-amplification work owns.
func contributorInsights(table awsdynamodb.Table) {
	cfn := table.Node().DefaultChild().(awsdynamodb.CfnTable)
	cfn.AddPropertyOverride(jsii.String("ContributorInsightsSpecification"), map[string]interface{}{"Enabled": true})
	for i := range tableIndexNames {
		cfn.AddPropertyOverride(jsii.String(fmt.Sprintf("GlobalSecondaryIndexes.%d.ContributorInsightsSpecification", i)),
			map[string]interface{}{"Enabled": true})
	}
}

// retain keeps resources when the stack is deleted or they are replaced:
// the JWT secret (sessions and API keys of the retained table stay
// verifiable) and the queues (jobs in flight, dead letters, stream records
// the dispatcher gave up on).
func retain(resources ...awscdk.IResource) {
	for _, r := range resources {
		r.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN)
	}
}

// corsOrigins are the browser origins allowed to call the API besides the
// console's own (which NewRenkeiStack adds; cors.go sets them all): the
// props' CorsAllowOrigins, else the context value corsOrigins
// (`-c corsOrigins=https://backoffice.example.com,https://…`, or a list
// in cdk.json). None: only the console's origin (the POS app and
// server-to-server callers are not browsers). "*" is refused, and so is anything but an https
// origin or http://localhost / 127.0.0.1 (a back office in development
// against a deployed stack). Local development (make run) is not this
// stack: functions/local serves the API itself.
func corsOrigins(scope constructs.Construct, fromProps []string) []string {
	origins := fromProps
	if len(origins) == 0 {
		switch v := scope.Node().TryGetContext(jsii.String("corsOrigins")).(type) {
		case string:
			origins = strings.Split(v, ",")
		case []interface{}:
			for _, o := range v {
				s, _ := o.(string)
				origins = append(origins, s)
			}
		}
	}
	var out []string
	for _, o := range origins {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if err := checkOrigin(o); err != nil {
			panic("renkei infra: corsOrigins: " + err.Error())
		}
		out = append(out, o)
	}
	return out
}

// checkOrigin accepts an origin as a browser sends it: scheme, host and
// optional port, https (or http on localhost), no path, no wildcard.
func checkOrigin(o string) error {
	if strings.Contains(o, "*") {
		return fmt.Errorf("%q: no wildcard origin; list the back office's origins", o)
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q is not an origin (scheme://host[:port])", o)
	}
	if strings.HasSuffix(o, "/") {
		return fmt.Errorf("%q: an origin has no trailing slash", o)
	}
	local := u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1"
	if u.Scheme != "https" && !(u.Scheme == "http" && local) {
		return fmt.Errorf("%q: https only (http for localhost)", o)
	}
	return nil
}
