package obs

import (
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestMetricsAreServed(t *testing.T) {
	m := New()
	m.ObserveHTTP("/api/v1/tasks/{id}", "GET", 200, 3*time.Millisecond)
	m.TasksOpened.WithLabelValues("complaint", "record", "customer_service").Inc()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	require.Contains(t, string(body), `flowlab_http_request_duration_seconds_bucket{code="200",method="GET",route="/api/v1/tasks/{id}",le="0.005"} 1`)
	require.Contains(t, string(body), `flowlab_tasks_opened_total{department="customer_service",flow="complaint",step="record"} 1`)
	require.Contains(t, string(body), "go_goroutines")
	require.Equal(t, "404", statusText(404))
	require.Equal(t, "000", statusText(7))
	var nilM *Metrics
	nilM.ObserveHTTP("x", "GET", 200, time.Second) // a nil Metrics records nothing
}
