// Package jobqueue is the integration hub's SQS transport: Sender puts job
// messages ({"t": tenant, "j": job id}, MessageGroupId = tenant) on the jobs
// queue; Lambda is the worker function's SQS event handler (partial batch
// responses, visibility changed to the delay the worker asks for); Poller
// does the same locally on the embedded goaws and also emulates SQS fair
// queues, which goaws lacks, so one tenant's backlog never delays another's.
//
// Redelivery and dead-lettering always come from the queue itself (its
// visibility timeout and its redrive policy after 5 receives): neither
// transport deletes a message that failed.
package jobqueue
