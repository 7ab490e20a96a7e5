package webhook_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/renkei-pos/renkei/shared/connectors/webhook"
)

// A receiver verifies the raw body before parsing it, and dedupes by
// Renkei-Event-Id.
func ExampleVerify() {
	const secret = "whsec_0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil || webhook.Verify(secret, r.Header.Get("Renkei-Signature"), body, time.Now(), 5*time.Minute) != nil {
			http.Error(w, "bad signature", http.StatusBadRequest)
			return
		}
		fmt.Println("verified", r.Header.Get("Renkei-Event-Id"))
		w.WriteHeader(http.StatusNoContent)
	})

	body := `{"id":"evt_1","type":"customer.created","createdAt":"2026-11-30T07:04:05Z","tenantId":"ten_1","data":{}}`
	for _, sig := range []string{webhook.Sign(secret, time.Now(), []byte(body)), webhook.Sign("whsec_wrong", time.Now(), []byte(body))} {
		req := httptest.NewRequest(http.MethodPost, "/hooks/renkei", strings.NewReader(body))
		req.Header.Set("Renkei-Signature", sig)
		req.Header.Set("Renkei-Event-Id", "evt_1")
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		fmt.Println(rec.Code)
	}
	// Output:
	// verified evt_1
	// 204
	// 400
}
