package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

const (
	// schedulerInterval is how often EventBridge runs the scheduler's jobs
	// (expiring card payments that never completed, ...). A run must finish
	// well within it; overlapping runs are harmless because every job's
	// writes are conditioned on the state they move from.
	schedulerInterval = 1  // minute
	schedulerTimeout  = 50 // seconds

	// The dispatcher (functions/dispatcher), the table's one stream consumer,
	// turns the stream into report aggregates and outbox events into
	// integration jobs. Records of one shard arrive in order; a failing
	// record is reported by sequence number (ReportBatchItemFailures) and the
	// batch is bisected so one poison record cannot block its shard, and
	// after streamRetries the records' coordinates go to the failure queue.
	dispatcherTimeout = 60 // seconds
	streamBatchSize   = 100
	streamRetries     = 10
	streamMaxAgeDays  = 1 // the stream keeps records for 24 hours anyway
)

// stripeSecrets are the platform's Stripe credentials and onboarding URLs.
type stripeSecrets struct {
	secretKey, webhookSecret awssecretsmanager.Secret
	returnURL, refreshURL    string
}

// configure gives a function that talks to Stripe the secrets' ARNs (read
// at cold start, GetSecretValue only) and the onboarding URLs: the api and
// the scheduler build the same card gateway from the same settings.
func (s stripeSecrets) configure(fn awslambda.Function) {
	fn.AddEnvironment(jsii.String("RENKEI_STRIPE_SECRET_KEY_ARN"), s.secretKey.SecretArn(), nil)
	fn.AddEnvironment(jsii.String("RENKEI_STRIPE_WEBHOOK_SECRET_ARN"), s.webhookSecret.SecretArn(), nil)
	fn.AddEnvironment(jsii.String("STRIPE_CONNECT_RETURN_URL"), jsii.String(s.returnURL), nil)
	fn.AddEnvironment(jsii.String("STRIPE_CONNECT_REFRESH_URL"), jsii.String(s.refreshURL), nil)
	grantGetSecretValue(fn, s.secretKey, s.webhookSecret)
}

// newStripeSecrets creates the two secrets with a generated placeholder: the
// real values never appear in the template. After the first deploy an
// operator puts the Stripe secret key (sk_...) and the webhook endpoint's
// signing secret (whsec_...) into them; until then the API refuses card
// payments (Stripe rejects the placeholder) and every webhook (the
// signature cannot match), and says so in its cold-start log.
func newStripeSecrets(scope constructs.Construct) stripeSecrets {
	placeholder := &awssecretsmanager.SecretStringGenerator{PasswordLength: jsii.Number(32), ExcludePunctuation: jsii.Bool(true)}
	return stripeSecrets{
		secretKey: awssecretsmanager.NewSecret(scope, jsii.String("StripeSecretKey"), &awssecretsmanager.SecretProps{
			Description:          jsii.String("renkei: Stripe platform secret key (sk_...); put the real value after deploying"),
			GenerateSecretString: placeholder,
		}),
		webhookSecret: awssecretsmanager.NewSecret(scope, jsii.String("StripeWebhookSecret"), &awssecretsmanager.SecretProps{
			Description:          jsii.String("renkei: Stripe webhook signing secret (whsec_...) of POST /webhooks/stripe; put the real value after deploying"),
			GenerateSecretString: placeholder,
		}),
	}
}

// newScheduler is functions/scheduler, run by an EventBridge rule every
// schedulerInterval minutes. Its outbox sweeper re-dispatches events the
// stream did not (the sparse gsi2 index of undispatched events: Query, then
// the dispatcher's own writes); the caller lets it send to the jobs queue.
// Expiring a pending card sale cancels its PaymentIntent on Stripe: the
// caller gives it the Stripe settings (stripeSecrets.configure).
func newScheduler(scope constructs.Construct, codeDir string, table awsdynamodb.Table) awslambda.Function {
	fn := newGoFunction(scope, "Scheduler", "renkei scheduled jobs (expire unpaid card sales, sweep the outbox)", codeDir, 256, schedulerTimeout)
	fn.AddEnvironment(jsii.String("RENKEI_TABLE"), table.TableName(), nil)
	awsevents.NewRule(scope, jsii.String("SchedulerSchedule"), &awsevents.RuleProps{
		Description: jsii.String("renkei: run the scheduled jobs"),
		Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(schedulerInterval))),
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fn, &awseventstargets.LambdaFunctionProps{
			// A failed or late run is not retried: the next tick runs the
			// same jobs over the same state a minute later.
			RetryAttempts: jsii.Number(0),
			MaxEventAge:   awscdk.Duration_Seconds(jsii.Number(60 * schedulerInterval)),
		})},
	})
	return fn
}

// newDispatcher is functions/dispatcher, the one consumer of the table's
// stream, and the queue receiving what it gives up on. The caller lets it
// send to the jobs queue.
func newDispatcher(scope constructs.Construct, codeDir string, table awsdynamodb.Table) (awslambda.Function, awssqs.Queue) {
	failures := awssqs.NewQueue(scope, jsii.String("StreamFailures"), &awssqs.QueueProps{
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
	})
	fn := newGoFunction(scope, "Dispatcher", "renkei table stream consumer (report aggregates, integration dispatch)", codeDir, 256, dispatcherTimeout)
	fn.AddEnvironment(jsii.String("RENKEI_TABLE"), table.TableName(), nil)
	// The event source grants the stream reads and SendMessage on the
	// failure queue.
	fn.AddEventSource(awslambdaeventsources.NewDynamoEventSource(table, &awslambdaeventsources.DynamoEventSourceProps{
		// From the oldest record kept: records written before the mapping
		// existed still reach the aggregates.
		StartingPosition:        awslambda.StartingPosition_TRIM_HORIZON,
		BatchSize:               jsii.Number(streamBatchSize),
		BisectBatchOnError:      jsii.Bool(true),
		ReportBatchItemFailures: jsii.Bool(true),
		RetryAttempts:           jsii.Number(streamRetries),
		MaxRecordAge:            awscdk.Duration_Days(jsii.Number(streamMaxAgeDays)),
		OnFailure:               awslambdaeventsources.NewSqsDlq(failures),
		// Only the images that carry events reach the function (outbox
		// items and stock levels: dynamo.EventFromImage reads nothing
		// else). Orders, jobs, counters, quota leases and the consumer's
		// own watermark never wake it.
		Filters: &[]*map[string]interface{}{awslambda.FilterCriteria_Filter(&map[string]interface{}{
			"dynamodb": map[string]interface{}{"NewImage": map[string]interface{}{
				"type": map[string]interface{}{"S": awslambda.FilterRule_Or(jsii.String("Event"), jsii.String("StockLevel"))},
			}},
		})},
	}))
	return fn, failures
}
