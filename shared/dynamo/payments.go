package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/payments"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// PaymentStore implements payments.Store: the tenant's connected account
// (on the tenant item), the platform lookup from a Stripe account to its
// tenant, and each location's Terminal location (on the location item).
type PaymentStore struct{ t *Table }

var _ payments.Store = (*PaymentStore)(nil)

// NewPaymentStore returns the payment store.
func NewPaymentStore(t *Table) *PaymentStore { return &PaymentStore{t: t} }

// pkStripeAccount is the platform lookup partition of a connected account:
// account.updated webhooks name the account, not the tenant.
const pkStripeAccount = "STRIPEACCT#"

// stripeAccountItem maps a connected account to its tenant.
type stripeAccountItem struct {
	PK       string `dynamodbav:"pk"`
	SK       string `dynamodbav:"sk"`
	Type     string `dynamodbav:"type"`
	TenantID string `dynamodbav:"tenantId"`
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func timeOrZero(sec int64) time.Time {
	if sec == 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}

// LinkAccount writes the tenant's account id and the lookup item in one
// transaction, only if the tenant has no account yet; otherwise (another
// request linked one first) it returns the account stored. The tenant's
// version is bumped so a concurrent settings update reads it again.
func (st *PaymentStore) LinkAccount(ctx context.Context, a payments.Account) (payments.Account, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return payments.Account{}, err
	}
	tid, _ := tenant.IDFrom(ctx)
	lookup, err := putNew(st.t, stripeAccountItem{PK: pkStripeAccount + a.ID, SK: "STRIPEACCT", Type: "StripeAccount", TenantID: tid})
	if err != nil {
		return payments.Account{}, err
	}
	link := types.TransactWriteItem{Update: &types.Update{
		TableName: &st.t.name, Key: key(tpk, skTenant),
		UpdateExpression:          aws.String("SET stripeAccountId = :a, cardPaymentsEnabled = :e ADD version :one"),
		ConditionExpression:       aws.String("attribute_exists(pk) AND attribute_not_exists(stripeAccountId)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":a": s(a.ID), ":e": &types.AttributeValueMemberBOOL{Value: a.ChargesEnabled}, ":one": n(1)},
	}}
	err = st.t.Transact(ctx, []types.TransactWriteItem{link, lookup})
	var ce *CanceledError
	if errors.As(err, &ce) {
		t, gerr := NewTenantStore(st.t).GetTenant(ctx)
		if gerr != nil {
			return payments.Account{}, gerr
		}
		if t.StripeAccountID == "" {
			return payments.Account{}, fmt.Errorf("link account %s: %w", a.ID, err)
		}
		return payments.Account{ID: t.StripeAccountID, ChargesEnabled: t.CardPaymentsEnabled, AsOf: t.StripeAccountAsOf}, nil
	}
	if err != nil {
		return payments.Account{}, fmt.Errorf("link account: %w", err)
	}
	return payments.Account{ID: a.ID, ChargesEnabled: a.ChargesEnabled}, nil
}

// TenantOfAccount reads the lookup item; NOT_FOUND for an account renkei
// did not create.
func (st *PaymentStore) TenantOfAccount(ctx context.Context, accountID string) (string, error) {
	var it stripeAccountItem
	found, err := st.t.get(ctx, key(pkStripeAccount+accountID, "STRIPEACCT"), &it)
	if err != nil {
		return "", fmt.Errorf("get account lookup: %w", err)
	}
	if !found || it.TenantID == "" {
		return "", apperr.New(apperr.NotFound, "no tenant has this connected account")
	}
	return it.TenantID, nil
}

// ApplyAccount sets cardPaymentsEnabled from a, on condition that a is the
// tenant's account and newer (AsOf, whole seconds as Stripe's Created)
// than the state stored: a late or replayed event changes nothing.
func (st *PaymentStore) ApplyAccount(ctx context.Context, a payments.Account) (bool, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return false, err
	}
	cctx, cancel := st.t.call(ctx)
	defer cancel()
	_, err = st.t.client.UpdateItem(cctx, &dynamodb.UpdateItemInput{
		TableName: &st.t.name, Key: key(tpk, skTenant),
		UpdateExpression:    aws.String("SET cardPaymentsEnabled = :e, stripeAccountAsOf = :t ADD version :one"),
		ConditionExpression: aws.String("stripeAccountId = :a AND (attribute_not_exists(stripeAccountAsOf) OR stripeAccountAsOf < :t)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":a": s(a.ID), ":e": &types.AttributeValueMemberBOOL{Value: a.ChargesEnabled}, ":t": n(a.AsOf.Unix()), ":one": n(1),
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("apply account update: %w", err)
	}
	return true, nil
}

// SetTerminalLocation stores a location's Terminal location unless it has
// one, and returns the one stored; NOT_FOUND when the location does not exist.
func (st *PaymentStore) SetTerminalLocation(ctx context.Context, locationID, terminalLocationID string) (string, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return "", err
	}
	cctx, cancel := st.t.call(ctx)
	_, err = st.t.client.UpdateItem(cctx, &dynamodb.UpdateItemInput{
		TableName: &st.t.name, Key: key(tpk, skLocPrefix+locationID),
		UpdateExpression:          aws.String("SET terminalLocationId = :id"),
		ConditionExpression:       aws.String("attribute_exists(pk) AND attribute_not_exists(terminalLocationId)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":id": s(terminalLocationID)},
	})
	cancel()
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		ls, gerr := NewTenantStore(st.t).GetLocations(ctx, []string{locationID})
		if gerr != nil {
			return "", gerr
		}
		if len(ls) == 0 {
			return "", apperr.New(apperr.NotFound, "location not found")
		}
		return ls[0].TerminalLocationID, nil
	}
	if err != nil {
		return "", fmt.Errorf("set terminal location: %w", err)
	}
	return terminalLocationID, nil
}
