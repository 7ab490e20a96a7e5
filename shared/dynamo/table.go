package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/deadline"
)

// Attribute names of the table's keys and indexes.
const (
	attrPK     = "pk"
	attrSK     = "sk"
	attrGSI1PK = "gsi1pk"
	attrGSI1SK = "gsi1sk"
	attrGSI2PK = "gsi2pk"
	attrGSI2SK = "gsi2sk"
	attrTTL    = "ttl"
	// IndexGSI1 and IndexGSI2 are the overloaded global secondary indexes.
	IndexGSI1 = "gsi1"
	IndexGSI2 = "gsi2"
)

// IndexAttributes are the only non-key attributes the indexes project
// (INCLUDE; infra's newTable declares the same list): what a Query reads
// from an index itself — the order listings' filters (status, locationId)
// and the variant search's hits (itemId, itemName). A Query that wants
// whole items gets them from the table by key (queryPage, query.go), so an
// index entry is a few hundred bytes whatever its item's size, and an
// update that changes none of these attributes (a stock take, a refund on
// an order) writes no index at all. docs/operations.md "Write
// amplification" has the figures and the migration.
var IndexAttributes = []string{"itemId", "itemName", "locationId", "status"}

// DefaultCallTimeout bounds each storage call so an outage fails fast and
// retryably instead of hanging a request. It is a ceiling: a call gets at
// most what is left of the request's budget (deadline.Call), is not sent
// with less than deadline.MinCall left, and a call that runs out of time
// answers UNAVAILABLE (throttle.go).
const DefaultCallTimeout = 5 * time.Second

// Table is the single table and the client that reaches it.
type Table struct {
	client      *dynamodb.Client
	name        string
	callTimeout time.Duration
}

// New returns a table adapter. Its client reports throttling as UNAVAILABLE
// (throttle.go).
func New(client *dynamodb.Client, name string) *Table {
	return &Table{client: withThrottleAsUnavailable(client), name: name, callTimeout: DefaultCallTimeout}
}

// Name returns the table name.
func (t *Table) Name() string { return t.name }

// Client returns the underlying SDK client (for benchmarks of the storage floor).
func (t *Table) Client() *dynamodb.Client { return t.client }

func (t *Table) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return deadline.Call(ctx, t.callTimeout)
}

// Ping checks that the table answers.
func (t *Table) Ping(ctx context.Context) error {
	ctx, cancel := t.call(ctx)
	defer cancel()
	_, err := t.client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &t.name})
	return err
}

// EnsureTable creates the table (keys, both GSIs, stream, TTL) if it does not
// exist and waits until it is active. Used locally; in AWS the CDK stack owns it.
// A table that exists is left as it is: one created before the indexes
// projected IndexAttributes still projects ALL, which serves every query
// the same (an ALL index holds IndexAttributes too, and whole items are
// read from the table either way) at the old write cost.
func (t *Table) EnsureTable(ctx context.Context) error {
	_, err := t.client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &t.name})
	var nf *types.ResourceNotFoundException
	if err == nil {
		return nil
	}
	if !errors.As(err, &nf) {
		return fmt.Errorf("describe table %s: %w", t.name, err)
	}
	s := types.ScalarAttributeTypeS
	gsi := func(name, pk, sk string) types.GlobalSecondaryIndex {
		return types.GlobalSecondaryIndex{
			IndexName: aws.String(name),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(pk), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(sk), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: IndexAttributes},
		}
	}
	_, err = t.client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   &t.name,
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(attrPK), AttributeType: s}, {AttributeName: aws.String(attrSK), AttributeType: s},
			{AttributeName: aws.String(attrGSI1PK), AttributeType: s}, {AttributeName: aws.String(attrGSI1SK), AttributeType: s},
			{AttributeName: aws.String(attrGSI2PK), AttributeType: s}, {AttributeName: aws.String(attrGSI2SK), AttributeType: s},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(attrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(attrSK), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{gsi(IndexGSI1, attrGSI1PK, attrGSI1SK), gsi(IndexGSI2, attrGSI2PK, attrGSI2SK)},
		StreamSpecification:    &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewImage},
	})
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create table %s: %w", t.name, err)
	}
	w := dynamodb.NewTableExistsWaiter(t.client)
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: &t.name}, 30*time.Second); err != nil {
		return fmt.Errorf("wait for table %s: %w", t.name, err)
	}
	_, err = t.client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               &t.name,
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(attrTTL), Enabled: aws.Bool(true)},
	})
	if err != nil {
		return fmt.Errorf("enable TTL on %s: %w", t.name, err)
	}
	return nil
}
