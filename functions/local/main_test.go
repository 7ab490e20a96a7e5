package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRun_RefusesABadSchedulerSetting(t *testing.T) {
	for _, tc := range []struct{ name, v string }{
		{"RENKEI_SCHEDULER_INTERVAL", "soon"}, {"RENKEI_SCHEDULER_INTERVAL", "0"}, {"RENKEI_SCHEDULER_INTERVAL", "5"},
		{"RENKEI_PENDING_PAYMENT_TTL", "30s"}, {"RENKEI_PENDING_PAYMENT_TTL", "later"},
		{"RENKEI_ENV", "aws"}, {"RENKEI_ENV", "production"},
	} {
		t.Run(tc.name+"="+tc.v, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), func(k string) string {
				return map[string]string{tc.name: tc.v, "RENKEI_DATA_DIR": t.TempDir()}[k]
			}, &out)
			if err == nil || !strings.Contains(err.Error(), tc.name) {
				t.Fatalf("err = %v, want the variable named", err)
			}
			if out.Len() != 0 {
				t.Fatalf("started something before refusing: %q", out.String())
			}
		})
	}
}
