package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRun_RefusesABadSchedulerInterval(t *testing.T) {
	for _, v := range []string{"soon", "0", "5"} {
		t.Run(v, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), func(k string) string {
				return map[string]string{"RENKEI_SCHEDULER_INTERVAL": v, "RENKEI_DATA_DIR": t.TempDir()}[k]
			}, &out)
			if err == nil || !strings.Contains(err.Error(), "RENKEI_SCHEDULER_INTERVAL") {
				t.Fatalf("err = %v, want the variable named", err)
			}
			if out.Len() != 0 {
				t.Fatalf("started something before refusing: %q", out.String())
			}
		})
	}
}
