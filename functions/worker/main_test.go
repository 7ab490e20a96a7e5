package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/renkei-pos/renkei/shared/dynamo"
	"github.com/renkei-pos/renkei/shared/dynamolocal"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/integrations"
	"github.com/renkei-pos/renkei/shared/jobqueue"
	"github.com/renkei-pos/renkei/shared/sqslocal"
	"github.com/renkei-pos/renkei/shared/sqsqueue"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// TestBuild runs the Lambda entry with the Lambda's default AWS
// configuration against DynamoDB Local and the embedded goaws: the
// settings it requires are checked at cold start, and a batch whose jobs
// are gone or whose bodies are no job messages is acked whole.
func TestBuild(t *testing.T) {
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	full := map[string]string{"RENKEI_TABLE": "renkei-worker-test", "RENKEI_JOBS_QUEUE_URL": "set below", "RENKEI_SECRETS_KMS_KEY_ID": "alias/renkei-integration-secrets"}
	for _, tc := range []struct{ unset, bad, want string }{
		{unset: "RENKEI_TABLE", want: "RENKEI_TABLE"},
		{unset: "RENKEI_JOBS_QUEUE_URL", want: "RENKEI_JOBS_QUEUE_URL"},
		{unset: "RENKEI_SECRETS_KMS_KEY_ID", want: "RENKEI_SECRETS_KMS_KEY_ID"},
		{bad: "0", want: "RENKEI_WORKER_CONCURRENCY"},
		{bad: "many", want: "RENKEI_WORKER_CONCURRENCY"},
		{unset: "-", bad: "local", want: "RENKEI_ENV"},
	} {
		vars := map[string]string{}
		for k, v := range full {
			if k != tc.unset {
				vars[k] = v
			}
		}
		switch {
		case tc.want == "RENKEI_ENV":
			vars["RENKEI_ENV"] = tc.bad
		case tc.bad != "":
			vars["RENKEI_WORKER_CONCURRENCY"] = tc.bad
		}
		if _, err := build(t.Context(), env(vars), discard); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want one naming %s", tc, err, tc.want)
		}
	}

	ddb := dynamolocal.MustStart(t)
	sqsSrv, err := sqslocal.Start(t.Context(), sqslocal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sqsSrv.Stop(context.Background())
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", ddb.Endpoint())
	t.Setenv("AWS_ENDPOINT_URL_SQS", sqsSrv.Endpoint())
	t.Setenv("AWS_ENDPOINT_URL_KMS", "http://127.0.0.1:1") // never called here
	t.Setenv("AWS_REGION", sqslocal.Region)
	t.Setenv("AWS_ACCESS_KEY_ID", "local")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
	client, err := dynamolocal.NewClient(t.Context(), ddb.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	if err := dynamo.New(client, full["RENKEI_TABLE"]).EnsureTable(t.Context()); err != nil {
		t.Fatal(err)
	}
	sqsClient, err := sqslocal.NewClient(t.Context(), sqsSrv.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	q, err := sqsqueue.EnsureQueues(t.Context(), sqsClient, "renkei-jobs", 180)
	if err != nil {
		t.Fatal(err)
	}
	full["RENKEI_JOBS_QUEUE_URL"] = q.Jobs
	h, err := build(t.Context(), env(full), discard)
	if err != nil {
		t.Fatal(err)
	}

	gone := integrations.Message{TenantID: ids.New(ids.Tenant), JobID: ids.New(integrations.JobIDPrefix)}
	if err := jobqueue.NewSender(sqsClient, q.Jobs).Send(t.Context(), []integrations.Message{gone}); err != nil {
		t.Fatal(err)
	}
	out, err := sqsClient.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(q.Jobs), WaitTimeSeconds: 2})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("receive: %v %v", out, err)
	}
	m := out.Messages[0]
	arn := "arn:aws:sqs:" + sqslocal.Region + ":" + sqslocal.AccountID + ":renkei-jobs"
	resp, err := h(t.Context(), events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body), Attributes: m.Attributes, EventSourceARN: arn},
		{MessageId: "not-a-job", ReceiptHandle: "r", Body: `{"hello":"world"}`, EventSourceARN: arn},
		{MessageId: "bad-address", ReceiptHandle: "r2", Body: `{"t":"tnt_x","j":"job_x"}`, EventSourceARN: arn},
	}})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("a job never written, a foreign body and a bad address: %+v %v; want all acked", resp, err)
	}
}
