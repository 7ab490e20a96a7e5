package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// RenkeiStackProps configures the renkei backend stack.
type RenkeiStackProps struct {
	awscdk.StackProps

	// ApiCodeDir is a directory holding the prebuilt Lambda `bootstrap`
	// binary of functions/api (linux/arm64). The CDK app never compiles Go
	// itself: `make build` does, so synth stays fast and deterministic.
	ApiCodeDir string
	// SchedulerCodeDir, DispatcherCodeDir and WorkerCodeDir hold the
	// `bootstrap` binaries of functions/scheduler, functions/dispatcher and
	// functions/worker, built the same way.
	SchedulerCodeDir  string
	DispatcherCodeDir string
	WorkerCodeDir     string

	// ConsoleDir is the built merchant console (`make console`:
	// console/dist), with index.html and assets/; uploaded to the console
	// bucket (console.go).
	ConsoleDir string

	// StripeConnectReturnURL and StripeConnectRefreshURL are where Stripe's
	// hosted onboarding sends a merchant back (done / link expired): the
	// back office. Empty: the console's root with ?cardOnboarding=done or
	// =refresh, which it routes to its onboarding page (as make run's).
	StripeConnectReturnURL  string
	StripeConnectRefreshURL string

	// CorsAllowOrigins are browser origins allowed to call the API besides
	// the console's own (always allowed); empty: the context value
	// corsOrigins. Never "*" (corsOrigins, ops.go; cors.go).
	CorsAllowOrigins []string

	// FreeeClientID is renkei's freee app's client id (FREEE_CLIENT_ID on
	// the api and the worker); empty leaves it unset. Its client secret is
	// the FreeeClientSecret secret.
	FreeeClientID string
}

const (
	// maxJobReceives: after this many failed deliveries a job lands in the
	// DLQ (the design's "DLQ after 5"); job state in DynamoDB keeps it visible.
	maxJobReceives = 5

	// apiTimeout is the api function's timeout (seconds), below API
	// Gateway's 30 s integration limit.
	apiTimeout = 25
)

// NewRenkeiStack defines the whole serverless backend: the single table, the
// jobs queue, the JWT signing secret, the api function and its HTTP API.
func NewRenkeiStack(scope constructs.Construct, id string, props *RenkeiStackProps) awscdk.Stack {
	if props == nil {
		props = &RenkeiStackProps{}
	}
	for name, dir := range map[string]string{
		"ApiCodeDir": props.ApiCodeDir, "SchedulerCodeDir": props.SchedulerCodeDir,
		"DispatcherCodeDir": props.DispatcherCodeDir, "WorkerCodeDir": props.WorkerCodeDir,
	} {
		if dir == "" {
			panic("renkei infra: RenkeiStackProps." + name + " is required (directory containing the function's `bootstrap` binary)")
		}
	}
	if props.ConsoleDir == "" {
		panic("renkei infra: RenkeiStackProps.ConsoleDir is required (the built console: `make console`, console/dist)")
	}
	stack := awscdk.NewStack(scope, &id, &props.StackProps)

	table := newTable(stack)
	jobs := newJobsQueue(stack)

	// The JWT signing key never appears in the template or in the function's
	// environment: only its ARN does; the function reads the value at cold start.
	jwtSecret := awssecretsmanager.NewSecret(stack, jsii.String("JwtSigningSecret"), &awssecretsmanager.SecretProps{
		Description: jsii.String("renkei: HMAC key signing access tokens (JWT)"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength:     jsii.Number(64),
			ExcludePunctuation: jsii.Bool(true),
		},
	})

	stripe := newStripeSecrets(stack)
	hub := newIntegrationSecrets(stack, props.FreeeClientID)

	api := newApiFunction(stack, props.ApiCodeDir)
	api.AddEnvironment(jsii.String("RENKEI_TABLE"), table.TableName(), nil)
	api.AddEnvironment(jsii.String("RENKEI_JWT_SECRET_ARN"), jwtSecret.SecretArn(), nil)
	grantGetSecretValue(api, jwtSecret)
	// connectIntegration seals credentials and exchanges freee's
	// authorization code; the inbound Shopify webhook opens its secret;
	// retryIntegrationJob and syncIntegration enqueue jobs.
	hub.configure(api)
	jobs.sender(api)

	stage := newHttpApi(stack, api)
	// The console and the API, one origin (console.go); the console's
	// origin and the configured ones may call the API directly (cors.go).
	// CloudFront proves to the API that a request came through it (and so
	// that the viewer address it names is true) with this secret: generated,
	// read by the api at cold start, never in the template or environment.
	originVerify := awssecretsmanager.NewSecret(stack, jsii.String("ConsoleOriginVerify"), &awssecretsmanager.SecretProps{
		Description: jsii.String("renkei: the header value CloudFront sends the API so it may trust the viewer address"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength:     jsii.Number(48),
			ExcludePunctuation: jsii.Bool(true),
		},
	})
	api.AddEnvironment(jsii.String("RENKEI_ORIGIN_VERIFY_SECRET_ARN"), originVerify.SecretArn(), nil)
	grantGetSecretValue(api, originVerify)
	console := newConsole(stack, props.ConsoleDir, stage.Api(), originVerify)
	setAPICors(stack, stage.Api(), append(corsOrigins(stack, props.CorsAllowOrigins), console.origin()))
	stripe.returnURL, stripe.refreshURL = props.StripeConnectReturnURL, props.StripeConnectRefreshURL
	if stripe.returnURL == "" {
		stripe.returnURL = console.origin() + "/?cardOnboarding=done"
	}
	if stripe.refreshURL == "" {
		stripe.refreshURL = console.origin() + "/?cardOnboarding=refresh"
	}
	stripe.configure(api)

	scheduler := newScheduler(stack, props.SchedulerCodeDir, table)
	stripe.configure(scheduler)
	// The outbox sweeper re-dispatches events the stream did not.
	jobs.sender(scheduler)
	dispatcher, streamFailures := newDispatcher(stack, props.DispatcherCodeDir, table)
	jobs.sender(dispatcher)
	worker := newWorker(stack, props.WorkerCodeDir, table, jobs)
	hub.configure(worker)
	// Tenant data only through per-tenant sessions; each function's own
	// role keeps its platform keys (tenantdata.go).
	isolateTenants(stack, table, api, scheduler, dispatcher, worker)

	topic := newAlarms(stack, alarmEmail(stack), jobs, streamFailures, worker)
	// Operations you can see (ops.go).
	newOpsAlarms(stack, opsTargets{
		topic:      topic,
		functions:  map[string]awslambda.Function{"Api": api, "Scheduler": scheduler, "Dispatcher": dispatcher, "Worker": worker},
		dispatcher: dispatcher,
		table:      table,
		stage:      stage,
	})
	accessLogs(stack, stage)
	contributorInsights(table)
	retain(jwtSecret, jobs.queue, jobs.deadLetter, streamFailures)

	// Stage URLs end with "/".
	awscdk.NewCfnOutput(stack, jsii.String("GraphqlUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("GraphQL endpoint (POST)"),
		Value:       jsii.String(*stage.Url() + "graphql"),
	})
	awscdk.NewCfnOutput(stack, jsii.String("ConsoleUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("the merchant console (and, under /graphql, /auth/ and /webhooks/, the API)"),
		Value:       jsii.String(console.origin()),
	})
	awscdk.NewCfnOutput(stack, jsii.String("BucketName"), &awscdk.CfnOutputProps{
		Description: jsii.String("S3 bucket holding the console's built files"),
		Value:       console.bucket.BucketName(),
	})
	awscdk.NewCfnOutput(stack, jsii.String("TableName"), &awscdk.CfnOutputProps{
		Description: jsii.String("DynamoDB single table"),
		Value:       table.TableName(),
	})
	awscdk.NewCfnOutput(stack, jsii.String("JobsQueueUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("SQS integration jobs queue"),
		Value:       jobs.queue.QueueUrl(),
	})
	awscdk.NewCfnOutput(stack, jsii.String("StreamFailuresQueueUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("SQS queue receiving stream batches the consumer gave up on"),
		Value:       streamFailures.QueueUrl(),
	})
	awscdk.NewCfnOutput(stack, jsii.String("StripeSecretKeyArn"), &awscdk.CfnOutputProps{
		Description: jsii.String("Secrets Manager secret to put the Stripe secret key (sk_...) in"),
		Value:       stripe.secretKey.SecretArn(),
	})
	awscdk.NewCfnOutput(stack, jsii.String("StripeWebhookSecretArn"), &awscdk.CfnOutputProps{
		Description: jsii.String("Secrets Manager secret to put the Stripe webhook signing secret (whsec_...) in"),
		Value:       stripe.webhookSecret.SecretArn(),
	})
	awscdk.NewCfnOutput(stack, jsii.String("FreeeClientSecretArn"), &awscdk.CfnOutputProps{
		Description: jsii.String("Secrets Manager secret to put renkei's freee app client secret in"),
		Value:       hub.freeeClientSecret.SecretArn(),
	})
	awscdk.NewCfnOutput(stack, jsii.String("SecretsKeyArn"), &awscdk.CfnOutputProps{
		Description: jsii.String("KMS key wrapping the integration secrets' data keys"),
		Value:       hub.key.KeyArn(),
	})

	return stack
}

// newTable is the single table holding every tenant's and the platform's data.
func newTable(scope constructs.Construct) awsdynamodb.Table {
	table := awsdynamodb.NewTable(scope, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey: &awsdynamodb.Attribute{Name: jsii.String("pk"), Type: awsdynamodb.AttributeType_STRING},
		SortKey:      &awsdynamodb.Attribute{Name: jsii.String("sk"), Type: awsdynamodb.AttributeType_STRING},
		// Traffic follows shop hours and spikes at sales; on-demand needs no
		// capacity planning per tenant.
		BillingMode: awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		// Outbox events reach the dispatcher through the stream; it only needs
		// the item as written.
		Stream: awsdynamodb.StreamViewType_NEW_IMAGE,
		// Idempotency records, sessions and other short-lived items expire.
		TimeToLiveAttribute: jsii.String("ttl"),
		// The table is the system of record: never lose it to a stack delete
		// or an accidental replacement.
		RemovalPolicy:      awscdk.RemovalPolicy_RETAIN,
		DeletionProtection: jsii.Bool(true),
	})
	// Generic overloaded indexes; docs/data-model.md says which access pattern
	// uses which key. Partition keys serving tenant queries start with the
	// tenant id, like the base table's.
	for _, name := range []string{"gsi1", "gsi2"} {
		table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:    jsii.String(name),
			PartitionKey: &awsdynamodb.Attribute{Name: jsii.String(name + "pk"), Type: awsdynamodb.AttributeType_STRING},
			SortKey:      &awsdynamodb.Attribute{Name: jsii.String(name + "sk"), Type: awsdynamodb.AttributeType_STRING},
			// Keys and indexAttributes only (tables.go), not whole items.
			ProjectionType:   awsdynamodb.ProjectionType_INCLUDE,
			NonKeyAttributes: indexNonKeyAttributes(),
		})
	}
	return table
}

// newJobsQueue is the standard queue carrying one job per (event, integration)
// from the dispatcher to the worker, with a dead-letter queue behind it.
// Messages carry MessageGroupId = tenant, which makes a standard queue a
// fair queue: one tenant's backlog does not delay the others' jobs.
func newJobsQueue(scope constructs.Construct) jobQueues {
	// A standard queue's message keeps its enqueue time when it moves to
	// the DLQ, so the DLQ keeps messages longer (14 days, the SQS maximum)
	// than the queue (jobsRetentionDays): a job always has at least a week
	// in the DLQ. JobsOldestAgeAlarm fires long before a job could expire
	// from the queue.
	dlq := awssqs.NewQueue(scope, jsii.String("JobsDeadLetter"), &awssqs.QueueProps{
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(jobsDeadLetterRetentionDays)),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
	})
	queue := awssqs.NewQueue(scope, jsii.String("Jobs"), &awssqs.QueueProps{
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(jobsVisibility)),
		RetentionPeriod:   awscdk.Duration_Days(jsii.Number(jobsRetentionDays)),
		Encryption:        awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		DeadLetterQueue: &awssqs.DeadLetterQueue{
			Queue:           dlq,
			MaxReceiveCount: jsii.Number(maxJobReceives),
		},
	})
	return jobQueues{queue: queue, deadLetter: dlq}
}

// newApiFunction is the GraphQL API handler (functions/api), built outside
// CDK. It also serves POST /webhooks/stripe and POST
// /webhooks/shopify/{integrationId}.
func newApiFunction(scope constructs.Construct, codeDir string) awslambda.Function {
	// Requests are interactive (a POS checkout) and API Gateway gives up at
	// 30 s; long work belongs to the worker. A card checkout calls Stripe on
	// the request path (a 20 s HTTP timeout) and a webhook may take 10 s:
	// functions/api ends each request's context a little before this
	// timeout, so a slow Stripe is answered UNAVAILABLE, not cut off.
	return newGoFunction(scope, "Api", "renkei GraphQL API and Stripe webhooks", codeDir, 512, apiTimeout)
}

// newGoFunction is a Go Lambda (a prebuilt `bootstrap` in codeDir) with its
// own log group, logical ids id and id+"Logs".
func newGoFunction(scope constructs.Construct, id, description, codeDir string, memoryMB, timeoutSeconds float64) awslambda.Function {
	// An explicit log group gives the retention without the LogRetention
	// custom resource (an extra Lambda) CDK would otherwise add.
	logs := awslogs.NewLogGroup(scope, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		Retention: awslogs.RetentionDays_ONE_MONTH,
	})
	fn := awslambda.NewFunction(scope, jsii.String(id), &awslambda.FunctionProps{
		Description: jsii.String(description),
		// Go compiles to a native binary named bootstrap on the OS-only runtime;
		// Graviton is cheaper per ms and Go cross-compiles to it trivially.
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromAsset(jsii.String(codeDir), nil),
		MemorySize:   jsii.Number(memoryMB),
		Timeout:      awscdk.Duration_Seconds(jsii.Number(timeoutSeconds)),
		Tracing:      awslambda.Tracing_ACTIVE,
		LogGroup:     logs,
	})
	// Every Lambda runs in AWS mode: provider base URLs are the real ones
	// and webhooks go to public https addresses only (local mode is
	// functions/local's alone).
	fn.AddEnvironment(jsii.String("RENKEI_ENV"), jsii.String("aws"), nil)
	return fn
}

// newHttpApi exposes the api function over an HTTP API and returns its
// $default stage (whose URL is the API's base URL). Its CORS configuration
// is set by setAPICors (cors.go), not here.
func newHttpApi(scope constructs.Construct, fn awslambda.IFunction) awsapigatewayv2.HttpStage {
	rate, burst := stageThrottle(scope)
	httpApi := awsapigatewayv2.NewHttpApi(scope, jsii.String("HttpApi"), &awsapigatewayv2.HttpApiProps{
		// Named after the stack so several stages can share an account.
		ApiName:     jsii.String(*awscdk.Stack_Of(scope).StackName() + "-api"),
		Description: jsii.String("renkei public API"),
		// HttpApiProps cannot throttle the stage it creates, so the $default
		// stage is declared below with the typed HttpStage construct instead
		// of patching the L1 CfnStage.
		CreateDefaultStage: jsii.Bool(false),
	})
	stage := awsapigatewayv2.NewHttpStage(scope, jsii.String("HttpApiDefaultStage"), &awsapigatewayv2.HttpStageProps{
		HttpApi:    httpApi,
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		// The account's ceiling, not a tenant's (limits.go).
		Throttle: &awsapigatewayv2.ThrottleSettings{
			RateLimit:  jsii.Number(rate),
			BurstLimit: jsii.Number(burst),
		},
	})
	// One integration serves every route: the api function routes by path.
	integration := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("GraphqlIntegration"), fn,
		&awsapigatewayv2integrations.HttpLambdaIntegrationProps{
			PayloadFormatVersion: awsapigatewayv2.PayloadFormatVersion_VERSION_2_0(),
		})
	httpApi.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
		Path:        jsii.String("/graphql"),
		Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_POST},
		Integration: integration,
	})
	// The console's cookie auth endpoint (docs/api.md): the refresh token
	// is the HttpOnly cookie, the function checks it (and the
	// Renkei-Session header); logout carries the bearer access token.
	for _, p := range []string{"/auth/refresh", "/auth/logout"} {
		httpApi.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
			Path:        jsii.String(p),
			Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_POST},
			Integration: integration,
		})
	}
	// Stripe's webhooks carry no bearer token: the Stripe-Signature header,
	// verified by the function against the webhook secret, is the
	// authentication, so the route has no authorizer.
	httpApi.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
		Path:        jsii.String("/webhooks/stripe"),
		Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_POST},
		Integration: integration,
	})
	// Shopify's webhooks (orders/create) likewise: X-Shopify-Hmac-Sha256
	// over the raw body, checked against the integration's secret.
	httpApi.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
		Path:        jsii.String("/webhooks/shopify/{integrationId}"),
		Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_POST},
		Integration: integration,
	})
	return stage
}
