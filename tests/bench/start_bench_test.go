package bench

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/renkei-pos/renkei/shared/dynamolocal"
	"github.com/renkei-pos/renkei/shared/stack"
)

// BenchmarkAPIColdStart times what the Lambda does before serving its first
// request once its clients exist: parsing the schema against the resolvers
// and building the handler (the SDK config load is not included).
func BenchmarkAPIColdStart(b *testing.B) {
	c, err := dynamolocal.NewClient(b.Context(), "http://127.0.0.1:1")
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	b.ResetTimer()
	t0 := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := stack.NewAPI(stack.APIConfig{DynamoDB: c, Table: "t", JWTSecret: []byte("0123456789abcdef0123456789abcdef"), Logger: log}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(t0).Microseconds())/1000/float64(b.N), "ms/handler")
}
