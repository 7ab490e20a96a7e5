package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/backoff"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// Registers: one partition per register, T#<tid>#REG#<registerId> /
// REGISTER, so that a sale's per-register writes (the register's order
// sequence, `seq`, which checkout sets) never touch the tenant's root
// partition or another register. A location's registers are numbered
// 1…registerCount (an attribute of the location item), so their ids are
// known from the location alone: listing them is the location read and one
// BatchGetItem. The integration register, number 99 (not counted), is
// written with the location; for a location created before it,
// EnsureIntegrationRegister writes it on first need.
const (
	pkRegisterInfix = "#REG#" // T#<tid> + this + register id
	skRegister      = "REGISTER"
)

// registerPK is the register's partition key in the tenant whose root
// partition is tpk.
func registerPK(tpk, registerID string) string { return tpk + pkRegisterInfix + registerID }

// registerItem is a register as stored. `seq` (the register's last order
// number) lives on the same item but belongs to checkout: this shape omits
// it, so nothing written from it can overwrite it.
type registerItem struct {
	PK            string `dynamodbav:"pk"`
	SK            string `dynamodbav:"sk"`
	Type          string `dynamodbav:"type"`
	ID            string `dynamodbav:"id"`
	LocationID    string `dynamodbav:"locationId"`
	Number        int    `dynamodbav:"number"`
	Name          string `dynamodbav:"name"`
	Kind          string `dynamodbav:"kind,omitempty"` // absent on registers written before kinds: POS
	CreatedAt     string `dynamodbav:"createdAt"`
	DeactivatedAt string `dynamodbav:"deactivatedAt,omitempty"` // absent while active
}

func registerToItem(tpk string, r tenant.Register) registerItem {
	return registerItem{PK: registerPK(tpk, r.ID), SK: skRegister, Type: "Register", ID: r.ID, LocationID: r.LocationID, Number: r.Number, Name: r.Name, Kind: string(r.Kind), CreatedAt: fmtTime(r.CreatedAt)}
}

func (it registerItem) domain() tenant.Register {
	kind := tenant.RegisterKind(it.Kind)
	if kind == "" {
		kind = tenant.RegisterPOS
	}
	return tenant.Register{ID: it.ID, LocationID: it.LocationID, Number: it.Number, Name: it.Name, Kind: kind, Active: it.DeactivatedAt == "", CreatedAt: parseTime(it.CreatedAt)}
}

// putRegister is the Put of a new register (attribute_not_exists: a
// register is written once, and never again by this store).
func putRegister(t *Table, tpk string, r tenant.Register) (types.TransactWriteItem, error) {
	return putNew(t, registerToItem(tpk, r))
}

// CreateRegister numbers the register after the location's registerCount
// and writes, in one TransactWriteItems, the location's new count
// (conditioned on the count read) and the register. A lost race comes back
// with the location's current item (ALL_OLD) and is tried again from it,
// without another read, under backoff.Contention.
func (st *TenantStore) CreateRegister(ctx context.Context, locationID string, build func(int) (tenant.Register, error)) (tenant.Register, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return tenant.Register{}, err
	}
	locKey := key(tpk, skLocPrefix+locationID)
	loc, err := getOrNotFound[locationItem](ctx, st.t, locKey, "location", apperr.New(apperr.NotFound, "location not found", "input", "locationId"))
	if err != nil {
		return tenant.Register{}, err
	}
	var made tenant.Register
	err = backoff.Contention.Retry(ctx, func(int) (bool, error) {
		r, err := build(loc.RegisterCount + 1)
		if err != nil {
			return false, err
		}
		put, err := putRegister(st.t, tpk, r)
		if err != nil {
			return false, err
		}
		count := &types.Update{
			TableName: &st.t.name, Key: locKey,
			UpdateExpression:                    aws.String("SET registerCount = :n"),
			ExpressionAttributeValues:           map[string]types.AttributeValue{":n": n(int64(r.Number))},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}
		if loc.RegisterCount == 0 {
			// A location created before registers: its first register.
			count.ConditionExpression = aws.String("attribute_exists(pk) AND attribute_not_exists(registerCount)")
		} else {
			count.ConditionExpression = aws.String("registerCount = :prev")
			count.ExpressionAttributeValues[":prev"] = n(int64(loc.RegisterCount))
		}
		err = st.t.Transact(ctx, []types.TransactWriteItem{{Update: count}, put})
		var ce *CanceledError
		switch {
		case errors.As(err, &ce) && ce.Failed(0):
			// Another register was added meanwhile: go on from the count
			// the cancellation carries.
			if ce.Items[0] == nil {
				return false, apperr.New(apperr.NotFound, "location not found", "input", "locationId")
			}
			loc = locationItem{}
			if err := attributevalue.UnmarshalMap(ce.Items[0], &loc); err != nil {
				return false, fmt.Errorf("decode location: %w", err)
			}
			return true, errors.New("create register: the location's register count moved")
		case errors.As(err, &ce) && ce.Failed(1):
			return false, fmt.Errorf("create register: %s exists beyond its location's count", r.ID)
		case err != nil:
			return false, fmt.Errorf("create register: %w", err)
		}
		made = r
		return false, nil
	})
	return made, err
}

// EnsureIntegrationRegister returns the integration register of l (a
// location of the tenant in ctx, already read), writing it first if the
// location was created before integration registers: a Put under
// attribute_not_exists, and on a lost race (or when it exists) a read.
// Issue 9's integration orders call it before numbering at it.
func (st *TenantStore) EnsureIntegrationRegister(ctx context.Context, l tenant.Location) (tenant.Register, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return tenant.Register{}, err
	}
	r := l.IntegrationRegister()
	put, err := putRegister(st.t, tpk, r)
	if err != nil {
		return tenant.Register{}, err
	}
	err = st.t.Transact(ctx, []types.TransactWriteItem{put})
	var ce *CanceledError
	switch {
	case err == nil:
		return r, nil
	case !errors.As(err, &ce) || !ce.Failed(0):
		return tenant.Register{}, fmt.Errorf("create integration register: %w", err)
	}
	rs, err := st.GetRegisters(ctx, []string{r.ID})
	if err != nil {
		return tenant.Register{}, err
	}
	if len(rs) == 0 {
		return tenant.Register{}, fmt.Errorf("integration register %s: exists, then not found", r.ID)
	}
	return rs[0], nil
}

// GetRegisters reads registers of the tenant in ctx with batched reads.
func (st *TenantStore) GetRegisters(ctx context.Context, ids []string) ([]tenant.Register, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return nil, err
	}
	keys := make([]map[string]types.AttributeValue, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			keys = append(keys, key(registerPK(tpk, id), skRegister))
		}
	}
	items, err := batchGetAs[registerItem](ctx, st.t, keys, "register")
	if err != nil {
		return nil, err
	}
	out := make([]tenant.Register, 0, len(items))
	for _, it := range items {
		out = append(out, it.domain())
	}
	return out, nil
}

// DeactivateRegister sets deactivatedAt once (a later call keeps the first
// time) with one conditional UpdateItem; the register's seq is untouched.
func (st *TenantStore) DeactivateRegister(ctx context.Context, id string, at time.Time) (tenant.Register, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return tenant.Register{}, err
	}
	cctx, cancel := st.t.call(ctx)
	defer cancel()
	out, err := st.t.client.UpdateItem(cctx, &dynamodb.UpdateItemInput{
		TableName: &st.t.name, Key: key(registerPK(tpk, id), skRegister),
		UpdateExpression:          aws.String("SET deactivatedAt = if_not_exists(deactivatedAt, :at)"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": s(fmtTime(at))},
		ReturnValues:              types.ReturnValueAllNew,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return tenant.Register{}, apperr.New(apperr.NotFound, "register not found", "input", "id")
	}
	if err != nil {
		return tenant.Register{}, fmt.Errorf("deactivate register: %w", err)
	}
	var it registerItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return tenant.Register{}, fmt.Errorf("decode register: %w", err)
	}
	return it.domain(), nil
}
