package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
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
)

// A job's life: CreateJobs (integrations_jobs.go) writes it PENDING; a
// worker claims it (RUNNING, with a lease) and completes it, retries it
// later (PENDING again, due at a time) or fails it; retryIntegrationJob
// requeues a FAILED one. Each step's write is conditioned on the state it
// moves from.

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
