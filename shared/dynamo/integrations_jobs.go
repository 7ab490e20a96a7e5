package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/renkei-pos/renkei/shared/apperr"
	"github.com/renkei-pos/renkei/shared/ids"
	"github.com/renkei-pos/renkei/shared/integrations"
	"github.com/renkei-pos/renkei/shared/tenant"
)

// Integration jobs: one item per job, pk `T#<tid>#INTJOB#<jobId>`, sk
// `INTJOB`, so a claim or a transition touches one item. gsi1 is
// (`T#<tid>#INTJOBS#<iid>#<STATUS>`, `<createdAt>#<jobId>`), rewritten with
// every transition, so an integration's jobs of one status — and its oldest
// PENDING or RUNNING job — are one Query; gsi2 is (`T#<tid>#INTJOBS#<iid>`,
// same sort key), all of them newest first.
//
// Every transition that changes what the integration counts (pendingJobs:
// PENDING and RUNNING jobs; failedJobs: FAILED ones) is one
// TransactWriteItems: the job's update, conditioned on the state it moves
// from, and the integration item's ADDs. A claim changes no counter and is
// one conditional UpdateItem. Completing, retrying or failing a job is
// conditioned on status RUNNING at the attempts the caller claimed, so a
// worker whose lease ran out and was taken over cannot overwrite the new
// attempt's outcome: it gets CONFLICT.
//
// The integration item is written by every transition of its jobs; two
// transactions on it at once conflict and are retried (Transact). That
// bounds one integration's job rate (not a tenant's, nor the platform's)
// to what a single item sustains, far above a shop's sales rate.

const skJob = "INTJOB"

// Terminal jobs expire: succeeded ones after 30 days, failed ones after 90
// (they are the merchant's to look at and retry).
const (
	succeededJobTTL = 30 * 24 * time.Hour
	failedJobTTL    = 90 * 24 * time.Hour
)

// maxTransactBytes keeps a CreateJobs transaction below DynamoDB's 4 MB
// limit, with room for the counter updates.
const maxTransactBytes = 3 << 20

func jobPK(tpk, id string) string            { return tpk + "#INTJOB#" + id }
func jobListPK(tpk, iid string) string       { return tpk + "#INTJOBS#" + iid }
func jobSortKey(createdAt, id string) string { return createdAt + "#" + id }
func jobStatusPK(tpk, iid string, st integrations.JobStatus) string {
	return jobListPK(tpk, iid) + "#" + string(st)
}

// validJobID bounds a job id (made by the dispatcher, or given to the API)
// to a plain key segment.
func validJobID(id string) bool {
	return id != "" && len(id) <= 128 && !strings.ContainsAny(id, "#|") && strings.TrimSpace(id) == id
}

func errJobNotFound() error { return apperr.New(apperr.NotFound, "integration job not found", "id") }

// errJobMoved answers a transition whose job is no longer RUNNING at the
// caller's attempt: its lease was taken over, or it already finished.
func errJobMoved() error {
	return apperr.New(apperr.Conflict, "the job has moved on: another attempt holds it, or it has finished")
}

type jobEventItem struct {
	ID            string `dynamodbav:"id"`
	Type          string `dynamodbav:"type"`
	CreatedAt     string `dynamodbav:"createdAt"`
	TenantID      string `dynamodbav:"tenantId"`
	Data          string `dynamodbav:"data"`
	IntegrationID string `dynamodbav:"integrationId,omitempty"`
	FromOutbox    bool   `dynamodbav:"fromOutbox,omitempty"`
}

// jobItem is one job. Its times are fixed-width (sortTime): nextAttemptAt
// and leaseUntil are compared as text in conditions.
type jobItem struct {
	PK            string       `dynamodbav:"pk"`
	SK            string       `dynamodbav:"sk"`
	Type          string       `dynamodbav:"type"`
	GSI1PK        string       `dynamodbav:"gsi1pk"`
	GSI1SK        string       `dynamodbav:"gsi1sk"`
	GSI2PK        string       `dynamodbav:"gsi2pk"`
	GSI2SK        string       `dynamodbav:"gsi2sk"`
	ID            string       `dynamodbav:"id"`
	TenantID      string       `dynamodbav:"tenantId"`
	IntegrationID string       `dynamodbav:"integrationId"`
	Provider      string       `dynamodbav:"provider"`
	Kind          string       `dynamodbav:"kind"`
	Key           string       `dynamodbav:"key"`
	Status        string       `dynamodbav:"status"`
	Attempts      int          `dynamodbav:"attempts"`
	LastError     string       `dynamodbav:"lastError,omitempty"`
	Event         jobEventItem `dynamodbav:"event"`
	NextAttemptAt string       `dynamodbav:"nextAttemptAt"`
	LeaseUntil    string       `dynamodbav:"leaseUntil,omitempty"`
	CreatedAt     string       `dynamodbav:"createdAt"`
	UpdatedAt     string       `dynamodbav:"updatedAt"`
	TTL           int64        `dynamodbav:"ttl,omitempty"`
}

func fmtSortTime(t time.Time) string { return t.UTC().Format(sortTime) }

func parseSortTime(v string) time.Time {
	if v == "" {
		return time.Time{}
	}
	t, _ := time.Parse(sortTime, v)
	return t
}

func (it jobItem) domain() integrations.Job {
	return integrations.Job{ID: it.ID, TenantID: it.TenantID, IntegrationID: it.IntegrationID, Provider: integrations.Provider(it.Provider),
		Kind: it.Kind, Key: it.Key, Status: integrations.JobStatus(it.Status), Attempts: it.Attempts, LastError: it.LastError,
		Event: integrations.Event{ID: it.Event.ID, Type: it.Event.Type, CreatedAt: parseTime(it.Event.CreatedAt), TenantID: it.Event.TenantID,
			Data: json.RawMessage(it.Event.Data), IntegrationID: it.Event.IntegrationID, FromOutbox: it.Event.FromOutbox},
		NextAttemptAt: parseSortTime(it.NextAttemptAt), LeaseUntil: parseSortTime(it.LeaseUntil),
		CreatedAt: parseSortTime(it.CreatedAt), UpdatedAt: parseSortTime(it.UpdatedAt)}
}

// newJobItem is the PENDING item of a job to create for the tenant tid.
func newJobItem(tid string, j integrations.Job, now time.Time) (jobItem, error) {
	if !validJobID(j.ID) || !ids.Valid(ids.Integration, j.IntegrationID) || !j.Provider.Valid() || j.Kind == "" || j.Event.ID == "" ||
		(j.TenantID != "" && j.TenantID != tid) || (j.Event.TenantID != "" && j.Event.TenantID != tid) {
		return jobItem{}, fmt.Errorf("create jobs: malformed job %q (integration %q, kind %q)", j.ID, j.IntegrationID, j.Kind)
	}
	tpk := "T#" + tid
	created := j.CreatedAt
	if created.IsZero() {
		created = now
	}
	next := j.NextAttemptAt
	if next.IsZero() {
		next = created
	}
	data := string(j.Event.Data)
	if data == "" {
		data = "null"
	}
	at := fmtSortTime(created)
	return jobItem{PK: jobPK(tpk, j.ID), SK: skJob, Type: "IntegrationJob",
		GSI1PK: jobStatusPK(tpk, j.IntegrationID, integrations.JobPending), GSI1SK: jobSortKey(at, j.ID),
		GSI2PK: jobListPK(tpk, j.IntegrationID), GSI2SK: jobSortKey(at, j.ID),
		ID: j.ID, TenantID: tid, IntegrationID: j.IntegrationID, Provider: string(j.Provider), Kind: j.Kind, Key: j.Key,
		Status: string(integrations.JobPending),
		Event: jobEventItem{ID: j.Event.ID, Type: j.Event.Type, CreatedAt: fmtTime(j.Event.CreatedAt), TenantID: tid, Data: data,
			IntegrationID: j.Event.IntegrationID, FromOutbox: j.Event.FromOutbox},
		NextAttemptAt: fmtSortTime(next), CreatedAt: at, UpdatedAt: at}, nil
}

// CreateJobs writes the jobs that do not exist yet, PENDING, adding each to
// its integration's pendingJobs in the same transaction, and returns every
// job's stored state in the order given (a job id given twice is one job).
// Jobs go in transactions of up to 100 actions (the jobs and one counter
// update per integration among them). When a job exists, its transaction is
// cancelled as a whole: the existing jobs are read, and the rest written
// again, so the counters count each job once however often an event is
// dispatched.
func (st *IntegrationStore) CreateJobs(ctx context.Context, jobs []integrations.Job) ([]integrations.Job, error) {
	tid, err := tenant.IDFrom(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	var order []string
	items := map[string]jobItem{}
	for _, j := range jobs {
		if _, dup := items[j.ID]; dup {
			continue
		}
		it, err := newJobItem(tid, j, now)
		if err != nil {
			return nil, err
		}
		items[j.ID] = it
		order = append(order, j.ID)
	}
	stored := map[string]jobItem{}
	for start := 0; start < len(order); {
		var chunk []jobItem
		integrationsIn, bytes := map[string]bool{}, 0
		for ; start < len(order); start++ {
			it := items[order[start]]
			size := 1024 + len(it.Event.Data) + len(it.Key)
			actions := len(chunk) + 1 + len(integrationsIn)
			if !integrationsIn[it.IntegrationID] {
				actions++
			}
			if len(chunk) > 0 && (actions > maxTransactActions || bytes+size > maxTransactBytes) {
				break
			}
			chunk = append(chunk, it)
			integrationsIn[it.IntegrationID] = true
			bytes += size
		}
		if err := st.createJobChunk(ctx, tid, chunk, stored); err != nil {
			return nil, err
		}
	}
	out := make([]integrations.Job, len(order))
	for i, id := range order {
		out[i] = stored[id].domain()
	}
	return out, nil
}

// createJobChunk writes one transaction's worth of jobs, dropping the ones
// that turn out to exist (recorded in stored as they are) until the rest is
// written. Each round either writes, or finds at least one job to drop.
func (st *IntegrationStore) createJobChunk(ctx context.Context, tid string, chunk []jobItem, stored map[string]jobItem) error {
	tpk := "T#" + tid
	for len(chunk) > 0 {
		var tx []types.TransactWriteItem
		counts := map[string]int64{}
		var iids []string
		for _, it := range chunk {
			put, err := putNew(st.t, it)
			if err != nil {
				return err
			}
			tx = append(tx, put)
			if counts[it.IntegrationID] == 0 {
				iids = append(iids, it.IntegrationID)
			}
			counts[it.IntegrationID]++
		}
		for _, iid := range iids {
			tx = append(tx, types.TransactWriteItem{Update: &types.Update{
				TableName: &st.t.name, Key: integrationKey(tpk, iid),
				UpdateExpression:          aws.String("ADD pendingJobs :n"),
				ConditionExpression:       aws.String("attribute_exists(pk)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":n": n(counts[iid])},
			}})
		}
		err := st.t.Transact(ctx, tx)
		if err == nil {
			for _, it := range chunk {
				stored[it.ID] = it
			}
			return nil
		}
		var ce *CanceledError
		if !errors.As(err, &ce) {
			return fmt.Errorf("create jobs: %w", err)
		}
		for i := range iids {
			if ce.Failed(len(chunk) + i) {
				return fmt.Errorf("create jobs: %w", errIntegrationNotFound())
			}
		}
		keys := make([]map[string]types.AttributeValue, len(chunk))
		for i, it := range chunk {
			keys[i] = key(it.PK, it.SK)
		}
		existing, err := batchGetAs[jobItem](ctx, st.t, keys, "job")
		if err != nil {
			return fmt.Errorf("create jobs: %w", err)
		}
		if len(existing) == 0 {
			return fmt.Errorf("create jobs: a condition failed but no job exists: %w", ce)
		}
		for _, it := range existing {
			stored[it.ID] = it
		}
		chunk = slices.DeleteFunc(chunk, func(it jobItem) bool { _, ok := stored[it.ID]; return ok })
	}
	return nil
}

// GetJob reads one job of the tenant in ctx.
func (st *IntegrationStore) GetJob(ctx context.Context, id string) (integrations.Job, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return integrations.Job{}, err
	}
	if !validJobID(id) {
		return integrations.Job{}, errJobNotFound()
	}
	it, err := getOrNotFound[jobItem](ctx, st.t, key(jobPK(tpk, id), skJob), "job", errJobNotFound())
	if err != nil {
		return integrations.Job{}, err
	}
	return it.domain(), nil
}

// ListJobs pages an integration's jobs newest first: gsi1 for one status,
// gsi2 for all. The cursor is bound to (integration, status).
func (st *IntegrationStore) ListJobs(ctx context.Context, integrationID string, status integrations.JobStatus, first int, after string) ([]integrations.Job, string, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return nil, "", err
	}
	if status != "" && !status.Valid() {
		return nil, "", apperr.New(apperr.Invalid, "status is not a job status", "status")
	}
	if first < 1 {
		return nil, "", apperr.New(apperr.Invalid, "first must be at least 1", "first")
	}
	if !ids.Valid(ids.Integration, integrationID) {
		return nil, "", errIntegrationNotFound()
	}
	index, pkAttr, skAttr, pk := IndexGSI2, attrGSI2PK, attrGSI2SK, jobListPK(tpk, integrationID)
	if status != "" {
		index, pkAttr, skAttr, pk = IndexGSI1, attrGSI1PK, attrGSI1SK, jobStatusPK(tpk, integrationID, status)
	}
	query := "intjobs|" + integrationID + "|" + string(status)
	in := &dynamodb.QueryInput{
		TableName: &st.t.name, IndexName: aws.String(index), ScanIndexForward: aws.Bool(false),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": pkAttr},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(pk)},
	}
	if after != "" {
		sk, ok := unbindCursor(query, after)
		jobID, valid := jobIDOfSortKey(sk)
		if !ok || !valid {
			return nil, "", errCursor()
		}
		in.ExclusiveStartKey = map[string]types.AttributeValue{pkAttr: s(pk), skAttr: s(sk), attrPK: s(jobPK(tpk, jobID)), attrSK: s(skJob)}
	}
	items, err := queryItems[jobItem](ctx, st.t, in, first+1, nil)
	if err != nil {
		return nil, "", fmt.Errorf("list jobs: %w", err)
	}
	items, next := cutPage(items, first, query, func(it jobItem) string { return it.GSI2SK })
	out := make([]integrations.Job, len(items))
	for i, it := range items {
		out[i] = it.domain()
	}
	return out, next, nil
}

// jobIDOfSortKey checks a job list sort key (`<createdAt>#<jobId>`) and
// returns its job id.
func jobIDOfSortKey(sk string) (string, bool) {
	ts, id, ok := strings.Cut(sk, "#")
	if !ok || len(ts) != len(sortTime) || !validJobID(id) {
		return "", false
	}
	_, err := time.Parse(sortTime, ts)
	return id, err == nil
}

// OldestPending returns the creation time of the integration's oldest
// PENDING or RUNNING job: the first item of each status partition of gsi1
// (two Limit-1 Queries), the older of the two.
func (st *IntegrationStore) OldestPending(ctx context.Context, integrationID string) (time.Time, bool, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return time.Time{}, false, err
	}
	if !ids.Valid(ids.Integration, integrationID) {
		return time.Time{}, false, errIntegrationNotFound()
	}
	var oldest string
	for _, status := range []integrations.JobStatus{integrations.JobPending, integrations.JobRunning} {
		items, err := queryItems[jobItem](ctx, st.t, &dynamodb.QueryInput{
			TableName: &st.t.name, IndexName: aws.String(IndexGSI1), Limit: aws.Int32(1),
			ProjectionExpression:      aws.String("gsi1sk"), // only its sort key: no read of the job itself
			KeyConditionExpression:    aws.String("gsi1pk = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(jobStatusPK(tpk, integrationID, status))},
		}, 1, nil)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("oldest pending job: %w", err)
		}
		if len(items) == 1 && (oldest == "" || items[0].GSI1SK < oldest) {
			oldest = items[0].GSI1SK
		}
	}
	if oldest == "" {
		return time.Time{}, false, nil
	}
	return parseSortTime(oldest[:len(sortTime)]), true, nil
}
