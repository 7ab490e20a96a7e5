package dynamo

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/backoff"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// TenantStore implements tenant.Store on the single table.
type TenantStore struct{ t *Table }

var _ tenant.Store = (*TenantStore)(nil)

// NewTenantStore returns the tenant store.
func NewTenantStore(t *Table) *TenantStore { return &TenantStore{t: t} }

type tenantItem struct {
	PK                        string `dynamodbav:"pk"`
	SK                        string `dynamodbav:"sk"`
	Type                      string `dynamodbav:"type"`
	ID                        string `dynamodbav:"id"`
	BusinessName              string `dynamodbav:"businessName"`
	Currency                  string `dynamodbav:"currency"`
	Timezone                  string `dynamodbav:"timezone"`
	PricesIncludeTax          bool   `dynamodbav:"pricesIncludeTax"`
	TaxRounding               string `dynamodbav:"taxRounding"`
	AllowNegativeStock        bool   `dynamodbav:"allowNegativeStock"`
	InvoiceRegistrationNumber string `dynamodbav:"invoiceRegistrationNumber,omitempty"`
	GiftCardValidityMonths    int    `dynamodbav:"giftCardValidityMonths,omitempty"`
	ApplicationFeeBps         int    `dynamodbav:"applicationFeeBps,omitempty"`
	StripeAccountID           string `dynamodbav:"stripeAccountId,omitempty"`
	CardPaymentsEnabled       bool   `dynamodbav:"cardPaymentsEnabled,omitempty"`
	StripeAccountAsOf         int64  `dynamodbav:"stripeAccountAsOf,omitempty"` // unix seconds (payments.go)
	LocationSeq               int64  `dynamodbav:"locationSeq,omitempty"`       // CreateLocation's counter: UpdateTenant writes the item whole, so it carries it over
	CreatedAt                 string `dynamodbav:"createdAt"`
	UpdatedAt                 string `dynamodbav:"updatedAt"`
	Version                   int64  `dynamodbav:"version"`
}

func tenantToItem(t tenant.Tenant) tenantItem {
	return tenantItem{PK: "T#" + t.ID, SK: skTenant, Type: "Tenant", ID: t.ID, BusinessName: t.BusinessName, Currency: t.Currency, Timezone: t.Timezone,
		PricesIncludeTax: t.PricesIncludeTax, TaxRounding: string(t.TaxRounding), AllowNegativeStock: t.AllowNegativeStock,
		InvoiceRegistrationNumber: t.InvoiceRegistrationNumber, GiftCardValidityMonths: t.GiftCardValidityMonths, ApplicationFeeBps: t.ApplicationFeeBps,
		StripeAccountID: t.StripeAccountID, CardPaymentsEnabled: t.CardPaymentsEnabled, StripeAccountAsOf: unixOrZero(t.StripeAccountAsOf), CreatedAt: fmtTime(t.CreatedAt), UpdatedAt: fmtTime(t.UpdatedAt), Version: 1}
}

func (it tenantItem) domain() tenant.Tenant {
	return tenant.Tenant{ID: it.ID, BusinessName: it.BusinessName, Currency: it.Currency, Timezone: it.Timezone, PricesIncludeTax: it.PricesIncludeTax,
		TaxRounding: tenant.Rounding(it.TaxRounding), AllowNegativeStock: it.AllowNegativeStock, InvoiceRegistrationNumber: it.InvoiceRegistrationNumber,
		GiftCardValidityMonths: it.GiftCardValidityMonths, ApplicationFeeBps: it.ApplicationFeeBps, StripeAccountID: it.StripeAccountID, CardPaymentsEnabled: it.CardPaymentsEnabled, StripeAccountAsOf: timeOrZero(it.StripeAccountAsOf), CreatedAt: parseTime(it.CreatedAt), UpdatedAt: parseTime(it.UpdatedAt)}
}

func (st *TenantStore) getItem(ctx context.Context) (tenantItem, error) {
	pk, err := tenantPK(ctx)
	if err != nil {
		return tenantItem{}, err
	}
	return getOrNotFound[tenantItem](ctx, st.t, key(pk, skTenant), "tenant", apperr.New(apperr.NotFound, "tenant not found"))
}

// GetTenant reads the tenant in ctx.
func (st *TenantStore) GetTenant(ctx context.Context) (tenant.Tenant, error) {
	it, err := st.getItem(ctx)
	if err != nil {
		return tenant.Tenant{}, err
	}
	return it.domain(), nil
}

// UpdateTenant applies fn and writes with an optimistic version check,
// reading and applying again under backoff.Contention if another update won
// the race (UNAVAILABLE if that keeps happening).
func (st *TenantStore) UpdateTenant(ctx context.Context, fn func(*tenant.Tenant) error) (tenant.Tenant, error) {
	var updated tenant.Tenant
	err := backoff.Contention.Retry(ctx, func(int) (bool, error) {
		it, err := st.getItem(ctx)
		if err != nil {
			return false, err
		}
		tn := it.domain()
		if err := fn(&tn); err != nil {
			return false, err
		}
		next := tenantToItem(tn)
		next.CreatedAt = it.CreatedAt
		next.LocationSeq = it.LocationSeq
		next.Version = it.Version + 1
		av, err := attributevalue.MarshalMap(next)
		if err != nil {
			return false, err
		}
		cctx, cancel := st.t.call(ctx)
		_, err = st.t.client.PutItem(cctx, &dynamodb.PutItemInput{
			TableName: &st.t.name, Item: av,
			ConditionExpression:       aws.String("version = :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: strconv.FormatInt(it.Version, 10)}},
		})
		cancel()
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			return true, errors.New("update tenant: changed concurrently")
		}
		if err != nil {
			return false, fmt.Errorf("update tenant: %w", err)
		}
		updated = tn
		return false, nil
	})
	return updated, err
}

type locationItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	Type      string `dynamodbav:"type"`
	ID        string `dynamodbav:"id"`
	Name      string `dynamodbav:"name"`
	Timezone  string `dynamodbav:"timezone"`
	Number    int    `dynamodbav:"number"`
	CreatedAt string `dynamodbav:"createdAt"`
	// RegisterCount numbers the location's registers 1…registerCount;
	// absent on locations created before registers.
	RegisterCount int `dynamodbav:"registerCount,omitempty"`
	// TerminalLocationID is the location's Stripe Terminal location, set
	// when a card reader first needs one (payments.go).
	TerminalLocationID string `dynamodbav:"terminalLocationId,omitempty"`
}

func (it locationItem) domain() tenant.Location {
	return tenant.Location{ID: it.ID, Number: it.Number, Name: it.Name, Timezone: it.Timezone, CreatedAt: parseTime(it.CreatedAt), RegisterCount: it.RegisterCount, TerminalLocationID: it.TerminalLocationID}
}

// CreateLocation numbers the location from the tenant's counter (an atomic
// ADD: numbers are never reused, a failed write leaves a gap) and writes it
// with its first register and its integration register in one transaction.
func (st *TenantStore) CreateLocation(ctx context.Context, l tenant.Location) (tenant.Location, error) {
	pk, err := tenantPK(ctx)
	if err != nil {
		return tenant.Location{}, err
	}
	cctx, cancel := st.t.call(ctx)
	out, err := st.t.client.UpdateItem(cctx, &dynamodb.UpdateItemInput{
		TableName: &st.t.name, Key: key(pk, skTenant),
		UpdateExpression:          aws.String("ADD locationSeq :one, version :one"), // a concurrent UpdateTenant reads the counter again
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}},
		ReturnValues:              types.ReturnValueUpdatedNew,
	})
	cancel()
	if err != nil {
		return tenant.Location{}, fmt.Errorf("number location: %w", err)
	}
	if err := attributevalue.Unmarshal(out.Attributes["locationSeq"], &l.Number); err != nil {
		return tenant.Location{}, fmt.Errorf("decode location number: %w", err)
	}
	l.RegisterCount = 1
	put, err := putNew(st.t, locationItem{PK: pk, SK: skLocPrefix + l.ID, Type: "Location", ID: l.ID, Number: l.Number, Name: l.Name, Timezone: l.Timezone, CreatedAt: fmtTime(l.CreatedAt), RegisterCount: l.RegisterCount})
	if err != nil {
		return tenant.Location{}, err
	}
	first, err := putRegister(st.t, pk, l.FirstRegister())
	if err != nil {
		return tenant.Location{}, err
	}
	integration, err := putRegister(st.t, pk, l.IntegrationRegister())
	if err != nil {
		return tenant.Location{}, err
	}
	if err := st.t.Transact(ctx, []types.TransactWriteItem{put, first, integration}); err != nil {
		return tenant.Location{}, fmt.Errorf("create location: %w", err)
	}
	return l, nil
}

// ListLocations queries the tenant's locations (ids sort by creation time).
func (st *TenantStore) ListLocations(ctx context.Context) ([]tenant.Location, error) {
	pk, err := tenantPK(ctx)
	if err != nil {
		return nil, err
	}
	items, err := queryItems[locationItem](ctx, st.t, &dynamodb.QueryInput{
		TableName:                 &st.t.name,
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(pk), ":p": s(skLocPrefix)},
	}, tenant.MaxLocations+1, nil)
	if err != nil {
		return nil, fmt.Errorf("list locations: %w", err)
	}
	out := make([]tenant.Location, len(items))
	for i, it := range items {
		out[i] = it.domain()
	}
	return out, nil
}

// GetLocations reads the given locations of the tenant in ctx in batched
// reads; ids that do not exist (or belong to another tenant) are absent.
func (st *TenantStore) GetLocations(ctx context.Context, ids []string) ([]tenant.Location, error) {
	pk, err := tenantPK(ctx)
	if err != nil {
		return nil, err
	}
	keys := make([]map[string]types.AttributeValue, 0, len(ids))
	seen := map[string]bool{}
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			keys = append(keys, key(pk, skLocPrefix+id))
		}
	}
	items, err := batchGetAs[locationItem](ctx, st.t, keys, "location")
	if err != nil {
		return nil, err
	}
	out := make([]tenant.Location, 0, len(items))
	for _, it := range items {
		out = append(out, it.domain())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
