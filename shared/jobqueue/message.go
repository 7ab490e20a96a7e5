package jobqueue

import (
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/renkei-pos/renkei/shared/integrations"
)

// Limits of SQS.
const (
	// MaxBatch is how many entries one SendMessageBatch or ReceiveMessage carries.
	MaxBatch = 10
	// MaxDelay is SQS's longest DelaySeconds.
	MaxDelay = 15 * time.Minute
	// MaxVisibility is SQS's longest visibility timeout.
	MaxVisibility = 12 * time.Hour
)

// Encode is a message's body: {"t":"<tenant>","j":"<job id>"}.
func Encode(m integrations.Message) string {
	b, _ := json.Marshal(m) // two strings: cannot fail
	return string(b)
}

// Decode reads a body Encode wrote; both fields are required.
func Decode(body string) (integrations.Message, error) {
	var m integrations.Message
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return m, errors.New("jobqueue: the message body is not a job message")
	}
	if m.TenantID == "" || m.JobID == "" {
		return m, errors.New("jobqueue: the message body lacks its tenant or job id")
	}
	return m, nil
}

// seconds rounds d up to whole seconds within [0, max].
func seconds(d, max time.Duration) int32 {
	if d <= 0 {
		return 0
	}
	if d > max {
		d = max
	}
	return int32((d + time.Second - 1) / time.Second)
}

// receiveCount reads SQS's ApproximateReceiveCount attribute (1 when absent).
func receiveCount(attrs map[string]string) int {
	n, err := strconv.Atoi(attrs["ApproximateReceiveCount"])
	if err != nil || n < 1 {
		return 1
	}
	return n
}
