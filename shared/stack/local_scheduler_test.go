package stack

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log sink the ticker's goroutine and the test share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) runs() int {
	n := 0
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.Contains(line, "scheduled job done") && strings.Contains(line, `"job":"expire-pending-payments"`) {
			n++
		}
	}
	return n
}

func TestStartLocal_RunsTheScheduledJobs(t *testing.T) {
	var logs syncBuffer
	l, err := StartLocal(t.Context(), LocalConfig{
		SchedulerInterval: 50 * time.Millisecond,
		Logger:            slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for logs.runs() < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := logs.runs(); n < 2 {
		t.Fatalf("the pending payment expiry ran %d times in 15 s at a 50 ms interval:\n%s", n, logs.String())
	}
	if err := l.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := logs.runs()
	time.Sleep(200 * time.Millisecond)
	if n := logs.runs(); n != after {
		t.Fatalf("the jobs ran %d more times after Close", n-after)
	}
}
