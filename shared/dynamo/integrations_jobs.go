package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
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

// ClaimJob moves a due PENDING job, or a RUNNING one whose lease has run
// out, to RUNNING (no counter changes): a strongly consistent read, which
// answers Done, Busy, NotYet or Gone without a write and names the
// integration whose status partition (gsi1) the job moves to, then one
// UpdateItem conditioned on the claim still being open. When a concurrent
// claim wins, the item as it then was tells what it is now.
func (st *IntegrationStore) ClaimJob(ctx context.Context, id string, now time.Time, lease time.Duration) (integrations.Job, integrations.ClaimResult, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return integrations.Job{}, 0, err
	}
	if !validJobID(id) {
		return integrations.Job{}, integrations.Gone, nil
	}
	var cur jobItem
	found, err := st.t.get(ctx, key(jobPK(tpk, id), skJob), &cur)
	if err != nil {
		return integrations.Job{}, 0, fmt.Errorf("claim job: get job: %w", err)
	}
	if !found {
		return integrations.Job{}, integrations.Gone, nil
	}
	nowS := fmtSortTime(now)
	if r := claimOutcome(cur, nowS); r != integrations.Claimed {
		return cur.domain(), r, nil
	}
	res, err := st.t.updateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &st.t.name, Key: key(jobPK(tpk, id), skJob),
		UpdateExpression: aws.String("SET #st = :running, attempts = attempts + :one, leaseUntil = :lease, updatedAt = :now, gsi1pk = :gpk"),
		ConditionExpression: aws.String("integrationId = :iid AND " +
			"((#st = :pending AND nextAttemptAt <= :now) OR (#st = :running AND leaseUntil < :now))"),
		ExpressionAttributeNames: map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":running": s(string(integrations.JobRunning)), ":pending": s(string(integrations.JobPending)), ":one": n(1),
			":lease": s(fmtSortTime(now.Add(lease))), ":now": s(nowS), ":iid": s(cur.IntegrationID),
			":gpk": s(jobStatusPK(tpk, cur.IntegrationID, integrations.JobRunning)),
		},
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		if ccf.Item == nil {
			return integrations.Job{}, integrations.Gone, nil
		}
		var it jobItem
		if err := attributevalue.UnmarshalMap(ccf.Item, &it); err != nil {
			return integrations.Job{}, 0, fmt.Errorf("decode job: %w", err)
		}
		if r := claimOutcome(it, nowS); r != integrations.Claimed {
			return it.domain(), r, nil
		}
		return it.domain(), integrations.Busy, nil // claimable again already: another claim came and went; let the message come again
	}
	if err != nil {
		return integrations.Job{}, 0, fmt.Errorf("claim job: %w", err)
	}
	var it jobItem
	if err := attributevalue.UnmarshalMap(res.Attributes, &it); err != nil {
		return integrations.Job{}, 0, fmt.Errorf("decode job: %w", err)
	}
	return it.domain(), integrations.Claimed, nil
}

// claimOutcome is what claiming it at now (sortTime) would answer:
// Claimed when the claim is open.
func claimOutcome(it jobItem, now string) integrations.ClaimResult {
	switch integrations.JobStatus(it.Status) {
	case integrations.JobSucceeded, integrations.JobFailed:
		return integrations.Done
	case integrations.JobRunning:
		if it.LeaseUntil < now {
			return integrations.Claimed
		}
		return integrations.Busy
	}
	if it.NextAttemptAt <= now {
		return integrations.Claimed
	}
	return integrations.NotYet
}

// jobMove is one transition out of RUNNING: what the job's update sets
// besides its status, and what the integration's update does.
type jobMove struct {
	to          integrations.JobStatus
	jobSet      []string // "attr = :value" clauses
	jobValues   map[string]types.AttributeValue
	ttl         time.Duration
	integration string // the integration's update expression
	intValues   map[string]types.AttributeValue
}

// CompleteJob moves the job from RUNNING (at job.Attempts) to SUCCEEDED and
// records the integration's last success.
func (st *IntegrationStore) CompleteJob(ctx context.Context, job integrations.Job, now time.Time) error {
	return st.moveRunning(ctx, job, now, jobMove{to: integrations.JobSucceeded, ttl: succeededJobTTL,
		integration: "ADD pendingJobs :minus SET lastSuccessAt = :at",
		intValues:   map[string]types.AttributeValue{":minus": n(-1), ":at": s(fmtTime(now))}})
}

// RetryJobLater moves the job from RUNNING back to PENDING, due at next,
// with the error recorded on the job and as the integration's last error.
func (st *IntegrationStore) RetryJobLater(ctx context.Context, job integrations.Job, errMsg string, next, now time.Time) error {
	msg := s(truncateError(errMsg))
	return st.moveRunning(ctx, job, now, jobMove{to: integrations.JobPending,
		jobSet:      []string{"nextAttemptAt = :next", "lastError = :err"},
		jobValues:   map[string]types.AttributeValue{":next": s(fmtSortTime(next)), ":err": msg},
		integration: "SET lastError = :err, lastErrorAt = :at",
		intValues:   map[string]types.AttributeValue{":err": msg, ":at": s(fmtTime(now))}})
}

// FailJob moves the job from RUNNING to FAILED: pendingJobs−1, failedJobs+1.
func (st *IntegrationStore) FailJob(ctx context.Context, job integrations.Job, errMsg string, now time.Time) error {
	msg := s(truncateError(errMsg))
	return st.moveRunning(ctx, job, now, jobMove{to: integrations.JobFailed, ttl: failedJobTTL,
		jobSet:      []string{"lastError = :err"},
		jobValues:   map[string]types.AttributeValue{":err": msg},
		integration: "ADD pendingJobs :minus, failedJobs :one SET lastError = :err, lastErrorAt = :at",
		intValues:   map[string]types.AttributeValue{":minus": n(-1), ":one": n(1), ":err": msg, ":at": s(fmtTime(now))}})
}

// moveRunning runs one transition out of RUNNING as one transaction: the
// job, conditioned on RUNNING at the caller's attempt and integration, and
// the integration's counters. CONFLICT when the job has moved on,
// NOT_FOUND when it (or its integration) is gone.
func (st *IntegrationStore) moveRunning(ctx context.Context, job integrations.Job, now time.Time, m jobMove) error {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return err
	}
	if !validJobID(job.ID) || !ids.Valid(ids.Integration, job.IntegrationID) {
		return errJobNotFound()
	}
	jobValues := map[string]types.AttributeValue{
		":to": s(string(m.to)), ":running": s(string(integrations.JobRunning)), ":attempts": n(int64(job.Attempts)),
		":iid": s(job.IntegrationID), ":now": s(fmtSortTime(now)), ":gpk": s(jobStatusPK(tpk, job.IntegrationID, m.to)),
	}
	maps.Copy(jobValues, m.jobValues)
	names := map[string]string{"#st": "status"}
	set := append([]string{"#st = :to", "updatedAt = :now", "gsi1pk = :gpk"}, m.jobSet...)
	if m.ttl > 0 {
		set = append(set, "#ttl = :ttl")
		names["#ttl"] = attrTTL
		jobValues[":ttl"] = n(now.Add(m.ttl).Unix())
	}
	tx := []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: &st.t.name, Key: key(jobPK(tpk, job.ID), skJob),
			UpdateExpression:                    aws.String("SET " + strings.Join(set, ", ") + " REMOVE leaseUntil"),
			ConditionExpression:                 aws.String("#st = :running AND attempts = :attempts AND integrationId = :iid"),
			ExpressionAttributeNames:            names,
			ExpressionAttributeValues:           jobValues,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}},
		{Update: &types.Update{
			TableName: &st.t.name, Key: integrationKey(tpk, job.IntegrationID),
			UpdateExpression: aws.String(m.integration), ConditionExpression: aws.String("attribute_exists(pk)"),
			ExpressionAttributeValues: m.intValues,
		}},
	}
	err = st.t.Transact(ctx, tx)
	var ce *CanceledError
	switch {
	case errors.As(err, &ce) && ce.Failed(0) && ce.Items[0] == nil:
		return errJobNotFound()
	case errors.As(err, &ce) && ce.Failed(0):
		return errJobMoved()
	case errors.As(err, &ce):
		return errIntegrationNotFound()
	case err != nil:
		return fmt.Errorf("move job to %s: %w", m.to, err)
	}
	return nil
}

// RequeueJob moves a FAILED job back to PENDING with zero attempts, due
// now: failedJobs−1, pendingJobs+1 in the same transaction. INVALID when
// the job is not FAILED (read first, and again when a concurrent change
// cancels the write).
func (st *IntegrationStore) RequeueJob(ctx context.Context, id string, now time.Time) (integrations.Job, error) {
	tpk, err := tenantPK(ctx)
	if err != nil {
		return integrations.Job{}, err
	}
	if !validJobID(id) {
		return integrations.Job{}, errJobNotFound()
	}
	cur, err := getOrNotFound[jobItem](ctx, st.t, key(jobPK(tpk, id), skJob), "job", errJobNotFound())
	if err != nil {
		return integrations.Job{}, err
	}
	if cur.Status != string(integrations.JobFailed) {
		return integrations.Job{}, apperr.New(apperr.Invalid, "only a FAILED job can be retried; this one is "+cur.Status, "id")
	}
	nowS := fmtSortTime(now)
	tx := []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: &st.t.name, Key: key(jobPK(tpk, id), skJob),
			UpdateExpression:         aws.String("SET #st = :pending, attempts = :zero, nextAttemptAt = :now, updatedAt = :now, gsi1pk = :gpk REMOVE #ttl, leaseUntil"),
			ConditionExpression:      aws.String("#st = :failed"),
			ExpressionAttributeNames: map[string]string{"#st": "status", "#ttl": attrTTL},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pending": s(string(integrations.JobPending)), ":failed": s(string(integrations.JobFailed)), ":zero": n(0),
				":now": s(nowS), ":gpk": s(jobStatusPK(tpk, cur.IntegrationID, integrations.JobPending)),
			},
		}},
		{Update: &types.Update{
			TableName: &st.t.name, Key: integrationKey(tpk, cur.IntegrationID),
			UpdateExpression: aws.String("ADD failedJobs :minus, pendingJobs :one"), ConditionExpression: aws.String("attribute_exists(pk)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":minus": n(-1), ":one": n(1)},
		}},
	}
	err = st.t.Transact(ctx, tx)
	var ce *CanceledError
	switch {
	case errors.As(err, &ce) && ce.Failed(0):
		return st.RequeueJob(ctx, id, now) // it moved since the read: answer from what it is now
	case errors.As(err, &ce):
		return integrations.Job{}, errIntegrationNotFound()
	case err != nil:
		return integrations.Job{}, fmt.Errorf("requeue job: %w", err)
	}
	cur.Status, cur.Attempts, cur.NextAttemptAt, cur.UpdatedAt, cur.LeaseUntil, cur.TTL = string(integrations.JobPending), 0, nowS, nowS, "", 0
	cur.GSI1PK = jobStatusPK(tpk, cur.IntegrationID, integrations.JobPending)
	return cur.domain(), nil
}

// truncateError bounds a recorded error to MaxErrorLen runes.
func truncateError(msg string) string {
	if utf8.RuneCountInString(msg) <= integrations.MaxErrorLen {
		return msg
	}
	return string([]rune(msg)[:integrations.MaxErrorLen])
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
