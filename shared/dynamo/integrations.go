package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/backoff"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/integrations"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// Integrations: the tenant's integrations share one partition
// (`T#<tid>#INTEGRATION`, sk = the integration id, which sorts by creation
// time), so listing them is one Query of at most MaxIntegrations items. The
// item carries the job counters (pendingJobs, failedJobs), added to in the
// transaction of every job transition (integrations_jobs.go), and the last
// success and error. A platform item `INTEGRATION#<iid>` maps the id to its
// tenant for inbound webhooks, which carry only the id; it is written in the
// integration's own transaction.

const (
	pkIntegrationLookup = "INTEGRATION#" // + integration id: the platform lookup
	skIntegrationLookup = "INTEGRATION"
)

func integrationsPK(tpk string) string { return tpk + "#INTEGRATION" }

func integrationKey(tpk, id string) map[string]types.AttributeValue {
	return key(integrationsPK(tpk), id)
}

// updateItem runs one UpdateItem, retrying it under backoff.Contention
// while a transaction holds the item. The integration item is written by
// the transaction of every job transition, and a job item by its own: a
// plain write that lands meanwhile is refused with
// TransactionConflictException, which the SDK does not retry — and a
// refused SaveSecrets would lose a freee token pair that is already
// rotated. Other errors (a failed condition) come back as they are.
func (t *Table) updateItem(ctx context.Context, in *dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) {
	var out *dynamodb.UpdateItemOutput
	err := backoff.Contention.Retry(ctx, func(int) (bool, error) {
		cctx, cancel := t.call(ctx)
		defer cancel()
		res, err := t.client.UpdateItem(cctx, in)
		var conflict *types.TransactionConflictException
		if errors.As(err, &conflict) {
			return true, err
		}
		out = res
		return false, err
	})
	return out, err
}

// IntegrationStore implements integrations.Store on the single table.
type IntegrationStore struct{ t *Table }

var _ integrations.Store = (*IntegrationStore)(nil)

// NewIntegrationStore returns the integration hub's store.
func NewIntegrationStore(t *Table) *IntegrationStore { return &IntegrationStore{t: t} }

type integrationItem struct {
	PK            string                 `dynamodbav:"pk"`
	SK            string                 `dynamodbav:"sk"`
	Type          string                 `dynamodbav:"type"`
	ID            string                 `dynamodbav:"id"`
	TenantID      string                 `dynamodbav:"tenantId"`
	Provider      string                 `dynamodbav:"provider"`
	Name          string                 `dynamodbav:"name"`
	Settings      string                 `dynamodbav:"settings"` // public settings, JSON
	Secrets       []byte                 `dynamodbav:"secrets,omitempty"`
	Disconnected  bool                   `dynamodbav:"disconnected"`
	Warnings      []integrations.Warning `dynamodbav:"warnings,omitempty"`
	PendingJobs   int64                  `dynamodbav:"pendingJobs"`
	FailedJobs    int64                  `dynamodbav:"failedJobs"`
	LastSuccessAt string                 `dynamodbav:"lastSuccessAt,omitempty"`
	LastErrorAt   string                 `dynamodbav:"lastErrorAt,omitempty"`
	LastError     string                 `dynamodbav:"lastError,omitempty"`
	CreatedAt     string                 `dynamodbav:"createdAt"`
	UpdatedAt     string                 `dynamodbav:"updatedAt"`
}

// integrationLookupItem is the platform item integration id → tenant.
type integrationLookupItem struct {
	PK       string `dynamodbav:"pk"`
	SK       string `dynamodbav:"sk"`
	Type     string `dynamodbav:"type"`
	TenantID string `dynamodbav:"tenantId"`
}

func (it integrationItem) domain() integrations.Integration {
	in := integrations.Integration{ID: it.ID, TenantID: it.TenantID, Provider: integrations.Provider(it.Provider), Name: it.Name,
		Settings: json.RawMessage(it.Settings), SealedSecrets: it.Secrets, Disconnected: it.Disconnected, Warnings: it.Warnings,
		PendingJobs: it.PendingJobs, FailedJobs: it.FailedJobs, LastError: it.LastError,
		CreatedAt: parseTime(it.CreatedAt), UpdatedAt: parseTime(it.UpdatedAt)}
	if it.LastSuccessAt != "" {
		in.LastSuccessAt = parseTime(it.LastSuccessAt)
	}
	if it.LastErrorAt != "" {
		in.LastErrorAt = parseTime(it.LastErrorAt)
	}
	return in
}

func errIntegrationNotFound() error {
	return apperr.New(apperr.NotFound, "integration not found", "id")
}

// capWarnings keeps at most MaxWarningItems items per warning (Count stays
// exact), so a sync that finds thousands of unmatched SKUs cannot grow the
// integration item towards DynamoDB's item size limit.
func capWarnings(w []integrations.Warning) []integrations.Warning {
	out := make([]integrations.Warning, len(w))
	for i, x := range w {
		if len(x.Items) > integrations.MaxWarningItems {
			x.Items = x.Items[:integrations.MaxWarningItems]
		}
		out[i] = x
	}
	return out
}

// CreateIntegration writes the integration and its platform lookup in one
// transaction.
func (st *IntegrationStore) CreateIntegration(ctx context.Context, in integrations.Integration) error {
	tid, err := tenant.IDFrom(ctx)
	if err != nil {
		return err
	}
	if !ids.Valid(ids.Integration, in.ID) || (in.TenantID != "" && in.TenantID != tid) || !in.Provider.Valid() {
		return fmt.Errorf("create integration: malformed integration (id %q, provider %q)", in.ID, in.Provider)
	}
	settings := string(in.Settings)
	if settings == "" {
		settings = "{}"
	}
	put, err := putNew(st.t, integrationItem{PK: integrationsPK("T#" + tid), SK: in.ID, Type: "Integration", ID: in.ID, TenantID: tid,
		Provider: string(in.Provider), Name: in.Name, Settings: settings, Secrets: in.SealedSecrets, Disconnected: in.Disconnected,
		Warnings: capWarnings(in.Warnings), CreatedAt: fmtTime(in.CreatedAt), UpdatedAt: fmtTime(in.CreatedAt)})
	if err != nil {
		return err
	}
	lookup, err := putNew(st.t, integrationLookupItem{PK: pkIntegrationLookup + in.ID, SK: skIntegrationLookup, Type: "IntegrationLookup", TenantID: tid})
	if err != nil {
		return err
	}
	err = st.t.Transact(ctx, []types.TransactWriteItem{put, lookup})
	var ce *CanceledError
	if errors.As(err, &ce) {
		return apperr.New(apperr.Conflict, "an integration with this id exists", "id")
	}
	if err != nil {
		return fmt.Errorf("create integration: %w", err)
	}
	return nil
}

// GetIntegration reads one integration of the tenant in ctx.
func (st *IntegrationStore) GetIntegration(ctx context.Context, id string) (integrations.Integration, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return integrations.Integration{}, err
	}
	if !ids.Valid(ids.Integration, id) {
		return integrations.Integration{}, errIntegrationNotFound()
	}
	it, err := getOrNotFound[integrationItem](ctx, st.t, integrationKey(tpk, id), "integration", errIntegrationNotFound())
	if err != nil {
		return integrations.Integration{}, err
	}
	return it.domain(), nil
}

// ListIntegrations reads the tenant's integrations in creation order: one
// strongly consistent Query of its integration partition.
func (st *IntegrationStore) ListIntegrations(ctx context.Context) ([]integrations.Integration, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return nil, err
	}
	items, err := queryItems[integrationItem](ctx, st.t, &dynamodb.QueryInput{
		TableName: &st.t.name, ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(integrationsPK(tpk))},
	}, integrations.MaxIntegrations, nil)
	if err != nil {
		return nil, fmt.Errorf("list integrations: %w", err)
	}
	out := make([]integrations.Integration, len(items))
	for i, it := range items {
		out[i] = it.domain()
	}
	return out, nil
}

// CountIntegrations counts the tenant's integrations (Select COUNT: no
// item is returned).
func (st *IntegrationStore) CountIntegrations(ctx context.Context) (int, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return 0, err
	}
	in := &dynamodb.QueryInput{
		TableName: &st.t.name, ConsistentRead: aws.Bool(true), Select: types.SelectCount,
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(integrationsPK(tpk))},
	}
	total := 0
	for {
		cctx, cancel := st.t.call(ctx)
		res, err := st.t.client.Query(cctx, in)
		cancel()
		if err != nil {
			return 0, fmt.Errorf("count integrations: %w", err)
		}
		total += int(res.Count)
		if res.LastEvaluatedKey == nil {
			return total, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

// Disconnect marks the integration disconnected. A second call changes
// nothing (updatedAt stays the first disconnection's).
func (st *IntegrationStore) Disconnect(ctx context.Context, id string, at time.Time) (integrations.Integration, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return integrations.Integration{}, err
	}
	if !ids.Valid(ids.Integration, id) {
		return integrations.Integration{}, errIntegrationNotFound()
	}
	res, err := st.t.updateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &st.t.name, Key: integrationKey(tpk, id),
		UpdateExpression:          aws.String("SET disconnected = :t, updatedAt = :at"),
		ConditionExpression:       aws.String("attribute_exists(pk) AND disconnected = :f"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberBOOL{Value: true}, ":f": &types.AttributeValueMemberBOOL{Value: false}, ":at": s(fmtTime(at))},
		ReturnValues:              types.ReturnValueAllNew,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return st.GetIntegration(ctx, id) // absent (NOT_FOUND) or already disconnected
	}
	if err != nil {
		return integrations.Integration{}, fmt.Errorf("disconnect integration: %w", err)
	}
	var it integrationItem
	if err := attributevalue.UnmarshalMap(res.Attributes, &it); err != nil {
		return integrations.Integration{}, fmt.Errorf("decode integration: %w", err)
	}
	return it.domain(), nil
}

// SaveSecrets replaces the sealed secrets (none: the attribute is removed).
func (st *IntegrationStore) SaveSecrets(ctx context.Context, id string, sealed []byte, at time.Time) error {
	if len(sealed) == 0 {
		return st.updateIntegration(ctx, id, "SET updatedAt = :at REMOVE secrets", map[string]types.AttributeValue{":at": s(fmtTime(at))})
	}
	return st.updateIntegration(ctx, id, "SET secrets = :v, updatedAt = :at",
		map[string]types.AttributeValue{":v": &types.AttributeValueMemberB{Value: sealed}, ":at": s(fmtTime(at))})
}

// SaveWarnings replaces the warnings (none: the attribute is removed).
func (st *IntegrationStore) SaveWarnings(ctx context.Context, id string, w []integrations.Warning, at time.Time) error {
	if len(w) == 0 {
		return st.updateIntegration(ctx, id, "SET updatedAt = :at REMOVE warnings", map[string]types.AttributeValue{":at": s(fmtTime(at))})
	}
	av, err := attributevalue.Marshal(capWarnings(w))
	if err != nil {
		return fmt.Errorf("encode warnings: %w", err)
	}
	return st.updateIntegration(ctx, id, "SET warnings = :v, updatedAt = :at", map[string]types.AttributeValue{":v": av, ":at": s(fmtTime(at))})
}

// updateIntegration applies update to an existing integration.
func (st *IntegrationStore) updateIntegration(ctx context.Context, id, update string, values map[string]types.AttributeValue) error {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return err
	}
	if !ids.Valid(ids.Integration, id) {
		return errIntegrationNotFound()
	}
	_, err = st.t.updateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &st.t.name, Key: integrationKey(tpk, id), UpdateExpression: aws.String(update),
		ConditionExpression: aws.String("attribute_exists(pk)"), ExpressionAttributeValues: values,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return errIntegrationNotFound()
	}
	if err != nil {
		return fmt.Errorf("update integration: %w", err)
	}
	return nil
}

// TenantOfIntegration reads the platform lookup: the one read that takes no
// tenant from ctx (an inbound webhook names only the integration).
func (st *IntegrationStore) TenantOfIntegration(ctx context.Context, integrationID string) (string, error) {
	if !ids.Valid(ids.Integration, integrationID) {
		return "", errIntegrationNotFound()
	}
	it, err := getOrNotFound[integrationLookupItem](ctx, st.t, key(pkIntegrationLookup+integrationID, skIntegrationLookup), "integration", errIntegrationNotFound())
	if err != nil {
		return "", err
	}
	return it.TenantID, nil
}
