package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/ids"
)

// Marks: one item per (integration, key), pk
// `T#<tid>#INTMARK#<iid>#<key>`, sk `INTMARK`, holding the newest version
// acted on (e.g. the stock version last pushed to Shopify for a level).
// Advance is one conditional UpdateItem, so two workers pushing two
// versions of one level leave the newer mark whatever their order.

const skMark = "INTMARK"

// maxMarkKey bounds a mark's key (a connector's own, e.g. "<loc>|<variant>").
const maxMarkKey = 512

func markPK(tpk, integrationID, k string) string { return tpk + "#INTMARK#" + integrationID + "#" + k }

type markItem struct {
	Version int64 `dynamodbav:"version"`
}

func (st *IntegrationStore) markKey(ctx context.Context, integrationID, k string) (map[string]types.AttributeValue, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return nil, err
	}
	if !ids.Valid(ids.Integration, integrationID) || k == "" || len(k) > maxMarkKey {
		return nil, fmt.Errorf("mark: malformed integration %q or key", integrationID)
	}
	return key(markPK(tpk, integrationID, k), skMark), nil
}

// Advance sets the mark to version when it is absent or lower, and reports
// whether it did.
func (st *IntegrationStore) Advance(ctx context.Context, integrationID, k string, version int64) (bool, error) {
	mk, err := st.markKey(ctx, integrationID, k)
	if err != nil {
		return false, err
	}
	_, err = st.t.updateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &st.t.name, Key: mk,
		UpdateExpression:         aws.String("SET version = :v, #type = :type, integrationId = :iid, updatedAt = :at"),
		ConditionExpression:      aws.String("attribute_not_exists(pk) OR version < :v"),
		ExpressionAttributeNames: map[string]string{"#type": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":v": n(version), ":type": s("IntegrationMark"), ":iid": s(integrationID), ":at": s(fmtTime(time.Now())),
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("advance mark: %w", err)
	}
	return true, nil
}

// Get returns the mark's version (0 when absent).
func (st *IntegrationStore) Get(ctx context.Context, integrationID, k string) (int64, error) {
	mk, err := st.markKey(ctx, integrationID, k)
	if err != nil {
		return 0, err
	}
	var it markItem
	if _, err := st.t.get(ctx, mk, &it); err != nil {
		return 0, fmt.Errorf("get mark: %w", err)
	}
	return it.Version, nil
}
