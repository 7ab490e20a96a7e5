package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// The integration hub: outbox event → dispatcher → jobs queue → worker →
// connector. The dispatcher is in workers.go (it is the stream consumer).
const (
	// workerTimeout bounds one batch of jobs (each connector call has a
	// 10 s HTTP timeout). SQS must hide a received job for longer than the
	// worker may hold it: AWS recommends 6× the function timeout for a
	// Lambda event source (jobsVisibility).
	workerTimeout  = 60 // seconds
	jobsVisibility = 6 * workerTimeout
	workerMemory   = 512 // MB

	// workerBatchSize is the most jobs one invocation receives (the SQS
	// event source's maximum without a batching window).
	workerBatchSize = 10
	// workerMaxConcurrency caps the worker's concurrent invocations, so a
	// backlog cannot take the account's Lambda concurrency from the API.
	workerMaxConcurrency = 20

	// jobsOldestAgeAlarm: a job waiting longer than this means the worker
	// is not keeping up (or is stuck); seconds.
	jobsOldestAgeAlarm = 15 * 60
)

// secretsContextKeys are the KMS encryption-context keys under which
// shared/secretbox (NewKMS) binds each data key to its owner, the Sealer's
// aad (tenant and integration): "aad", or "aad-b64" for an aad that is not
// UTF-8. The roles refuse KMS calls without an encryption context or with
// any other key.
var secretsContextKeys = []string{"aad", "aad-b64"}

// jobQueues are the integration jobs queue and its dead-letter queue.
type jobQueues struct {
	queue, deadLetter awssqs.Queue
}

// sender lets fn enqueue jobs: the queue's URL in RENKEI_JOBS_QUEUE_URL and
// sqs:SendMessage on it, nothing else (the URL is known, so no
// GetQueueUrl; the queue is SQS-managed-encrypted, so no KMS).
func (q jobQueues) sender(fn awslambda.Function) {
	fn.AddEnvironment(jsii.String("RENKEI_JOBS_QUEUE_URL"), q.queue.QueueUrl(), nil)
	grantQueue(fn, q.queue, "sqs:SendMessage")
}

// integrationSecrets are the KMS key wrapping the data keys of every
// integration's sealed credentials, and renkei's freee app credentials.
type integrationSecrets struct {
	key               awskms.Key
	freeeClientSecret awssecretsmanager.Secret
	freeeClientID     string
}

// newIntegrationSecrets creates the key (customer managed, yearly rotation,
// kept when the stack goes: sealed credentials in the retained table would
// be unreadable without it) and the freee client secret with a generated
// placeholder, like the Stripe secrets.
func newIntegrationSecrets(scope constructs.Construct, freeeClientID string) integrationSecrets {
	return integrationSecrets{
		key: awskms.NewKey(scope, jsii.String("SecretsKey"), &awskms.KeyProps{
			Description:       jsii.String("renkei: wraps the data keys of integration credentials (envelope encryption)"),
			EnableKeyRotation: jsii.Bool(true),
			RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
		}),
		freeeClientSecret: awssecretsmanager.NewSecret(scope, jsii.String("FreeeClientSecret"), &awssecretsmanager.SecretProps{
			Description: jsii.String("renkei: freee app client secret (authorization-code exchange, token refresh); put the real value after deploying"),
			GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
				PasswordLength: jsii.Number(32), ExcludePunctuation: jsii.Bool(true),
			},
		}),
		freeeClientID: freeeClientID,
	}
}

// configure gives a function that seals or opens integration credentials
// (the api: connectIntegration, the Shopify webhook; the worker) the key
// and the freee app's settings.
func (s integrationSecrets) configure(fn awslambda.Function) {
	fn.AddEnvironment(jsii.String("RENKEI_SECRETS_KMS_KEY_ID"), s.key.KeyArn(), nil)
	fn.AddEnvironment(jsii.String("FREEE_CLIENT_SECRET_ARN"), s.freeeClientSecret.SecretArn(), nil)
	if s.freeeClientID != "" {
		fn.AddEnvironment(jsii.String("FREEE_CLIENT_ID"), jsii.String(s.freeeClientID), nil)
	}
	grantGetSecretValue(fn, s.freeeClientSecret)
	grantSecretsKey(fn, s.key)
}

// newWorker is functions/worker: it runs the jobs of the jobs queue through
// their connectors. Failed jobs are reported per message
// (ReportBatchItemFailures) after the worker has set their visibility to
// the retry delay (ChangeMessageVisibility).
func newWorker(scope constructs.Construct, codeDir string, table awsdynamodb.Table, jobs jobQueues) awslambda.Function {
	fn := newGoFunction(scope, "Worker", "renkei integration worker (runs connector jobs)", codeDir, workerMemory, workerTimeout)
	fn.AddEnvironment(jsii.String("RENKEI_TABLE"), table.TableName(), nil)
	fn.AddEnvironment(jsii.String("RENKEI_JOBS_QUEUE_URL"), jobs.queue.QueueUrl(), nil)
	// A plain mapping rather than SqsEventSource, which would also grant
	// GetQueueUrl: the role gets exactly what the poller and the worker call.
	fn.AddEventSourceMapping(jsii.String("JobsSource"), &awslambda.EventSourceMappingOptions{
		EventSourceArn:          jobs.queue.QueueArn(),
		BatchSize:               jsii.Number(workerBatchSize),
		ReportBatchItemFailures: jsii.Bool(true),
		MaxConcurrency:          jsii.Number(workerMaxConcurrency),
	})
	// SendMessage too: a SYNC job queues the resync's jobs, and a job near
	// its redrive count is handed a fresh message (integrations.Worker).
	grantQueue(fn, jobs.queue,
		"sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage", "sqs:SendMessage")
	return fn
}

// grantQueue allows fn exactly the given SQS actions on queue.
func grantQueue(fn awslambda.Function, queue awssqs.IQueue, actions ...string) {
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Effect:    awsiam.Effect_ALLOW,
		Actions:   jsii.Strings(actions...),
		Resources: jsii.Strings(*queue.QueueArn()),
	}))
}

// grantSecretsKey allows fn to make and unwrap data keys under key
// (GenerateDataKey, Decrypt) and nothing else — no Encrypt, no ReEncrypt,
// no key management — and only with secretbox's encryption context (the
// owner), which KMS then requires unchanged to unwrap. (ForAllValues over
// an empty key set is true: the Null condition makes the context required.)
func grantSecretsKey(fn awslambda.Function, key awskms.IKey) {
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Effect:    awsiam.Effect_ALLOW,
		Actions:   jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
		Resources: jsii.Strings(*key.KeyArn()),
		Conditions: &map[string]interface{}{
			"Null":                      map[string]interface{}{"kms:EncryptionContextKeys": "false"},
			"ForAllValues:StringEquals": map[string]interface{}{"kms:EncryptionContextKeys": secretsContextKeys},
		},
	}))
}

// alarmEmail is the context value alarmEmail (`cdk deploy -c
// alarmEmail=ops@example.com`): an address subscribed to the alarm topic.
func alarmEmail(scope constructs.Construct) string {
	s, _ := scope.Node().TryGetContext(jsii.String("alarmEmail")).(string)
	return s
}

// newAlarms raises the hub's alarms on one SNS topic: a job in the DLQ, a
// stream batch the dispatcher gave up on, the worker failing as a whole
// (a crash or a timeout, not a job's error, which is reported per message),
// and jobs waiting longer than jobsOldestAgeAlarm.
func newAlarms(scope constructs.Construct, email string, jobs jobQueues, streamFailures awssqs.Queue, worker awslambda.Function) awssns.Topic {
	// Encrypted, TLS-only, CloudWatch allowed to publish (ops.go).
	topic := newAlarmTopic(scope)
	if email != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(email), nil))
	}
	action := awscloudwatchactions.NewSnsAction(topic)
	minute := awscdk.Duration_Minutes(jsii.Number(1))
	alarm := func(id, description string, metric awscloudwatch.IMetric, threshold float64, op awscloudwatch.ComparisonOperator) {
		a := awscloudwatch.NewAlarm(scope, jsii.String(id), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(description),
			Metric:             metric,
			Threshold:          jsii.Number(threshold),
			ComparisonOperator: op,
			EvaluationPeriods:  jsii.Number(1),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		a.AddAlarmAction(action)
	}
	atLeast := awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD
	max := jsii.String("Maximum")
	alarm("JobsDeadLetterAlarm", "renkei: an integration job landed in the jobs DLQ (its job is FAILED; retryIntegrationJob runs it again)",
		jobs.deadLetter.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: minute, Statistic: max}),
		1, atLeast)
	alarm("StreamFailuresAlarm", "renkei: the stream consumer gave up on records (StreamFailures queue): reports and integration dispatch may miss them",
		streamFailures.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: minute, Statistic: max}),
		1, atLeast)
	alarm("WorkerErrorsAlarm", "renkei: the integration worker crashed or timed out",
		worker.MetricErrors(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum")}),
		1, atLeast)
	alarm("JobsOldestAgeAlarm", "renkei: integration jobs wait longer than 15 minutes",
		jobs.queue.MetricApproximateAgeOfOldestMessage(&awscloudwatch.MetricOptions{Period: minute, Statistic: max}),
		jobsOldestAgeAlarm, awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD)
	return topic
}
