package stack

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/renkei-pos/renkei/shared/connectors/freee"
	"github.com/renkei-pos/renkei/shared/dynamo"
	"github.com/renkei-pos/renkei/shared/jobqueue"
	"github.com/renkei-pos/renkei/shared/secretbox"
)

// HubFromAWS builds the integration hub of a Lambda function: secrets
// sealed with KMS (RENKEI_SECRETS_KMS_KEY_ID; a function that never
// touches secrets — the dispatcher, the scheduler — may leave it unset and
// gets a sealer that refuses), jobs sent to RENKEI_JOBS_QUEUE_URL, renkei's
// freee app from FREEE_CLIENT_ID, FREEE_AUTHORIZE_URL (optional, https)
// and the secret LoadAWS read. It also returns the SQS client (the worker
// changes visibility with it).
func HubFromAWS(a *AWS, getenv func(string) string, logger *slog.Logger) (*Hub, *sqs.Client, error) {
	queueURL := getenv("RENKEI_JOBS_QUEUE_URL")
	if queueURL == "" {
		return nil, nil, errors.New("RENKEI_JOBS_QUEUE_URL is not set")
	}
	if u := getenv("FREEE_AUTHORIZE_URL"); u != "" && !strings.HasPrefix(u, "https://") {
		return nil, nil, errors.New("FREEE_AUTHORIZE_URL must be an https URL")
	}
	sqsClient := sqs.NewFromConfig(a.Config)
	cfg := HubConfig{
		Queue: jobqueue.NewSender(sqsClient, queueURL),
		Freee: freee.App{ClientID: getenv("FREEE_CLIENT_ID"), ClientSecret: a.FreeeClientSecret,
			AuthorizeURL: getenv("FREEE_AUTHORIZE_URL")},
		Logger: logger,
	}
	if keyID := getenv("RENKEI_SECRETS_KMS_KEY_ID"); keyID != "" {
		cfg.Sealer = secretbox.NewKMS(kms.NewFromConfig(a.Config), keyID)
	} else {
		cfg.Sealer = noSecrets{}
	}
	return NewHub(dynamo.New(a.DynamoDB, a.Table), cfg), sqsClient, nil
}

// noSecrets is the sealer of a function without the KMS key: it refuses.
type noSecrets struct{}

func (noSecrets) Seal(context.Context, []byte, []byte) ([]byte, error) {
	return nil, errors.New("this function holds no key for integration secrets")
}

func (noSecrets) Open(context.Context, []byte, []byte) ([]byte, error) {
	return nil, errors.New("this function holds no key for integration secrets")
}
