// Package obs holds flowlab's Prometheus metrics: one registry per process,
// served at /metrics by the API server (and by the worker's metrics
// listener). The HTTP layer, the activities and the Temporal SDK (through
// its tally bridge) all record into it.
package obs

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the collectors of one process.
type Metrics struct {
	Registry *prometheus.Registry

	// HTTPDuration observes request latency by route pattern (never the raw
	// path: ids would explode the series), method and status code.
	HTTPDuration *prometheus.HistogramVec
	// TasksOpened and TasksClosed count human tasks by flow, step and
	// department; TasksClosed also by outcome ("cancelled" and "migrated"
	// included).
	TasksOpened *prometheus.CounterVec
	TasksClosed *prometheus.CounterVec
	// Escalations counts escalation actions by flow, step and level.
	Escalations *prometheus.CounterVec
	// SLABreaches counts task and case SLA breaches by flow and step ("" for
	// the case SLA).
	SLABreaches *prometheus.CounterVec
}

// New returns a fresh registry with flowlab's collectors and the Go runtime
// and process collectors registered.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "flowlab_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern, method and status code.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method", "code"}),
		TasksOpened: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "flowlab_tasks_opened_total",
			Help: "Human tasks opened, by flow, step and department.",
		}, []string{"flow", "step", "department"}),
		TasksClosed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "flowlab_tasks_closed_total",
			Help: "Human tasks closed, by flow, step, department and outcome.",
		}, []string{"flow", "step", "department", "outcome"}),
		Escalations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "flowlab_escalations_total",
			Help: "Escalation actions taken on overdue tasks, by flow, step and level.",
		}, []string{"flow", "step", "level"}),
		SLABreaches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "flowlab_sla_breaches_total",
			Help: "SLA breaches, by flow and step (step \"\" is the case SLA).",
		}, []string{"flow", "step"}),
	}
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.HTTPDuration, m.TasksOpened, m.TasksClosed, m.Escalations, m.SLABreaches,
	)
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// ObserveHTTP records one request.
func (m *Metrics) ObserveHTTP(route, method string, code int, d time.Duration) {
	if m == nil {
		return
	}
	m.HTTPDuration.WithLabelValues(route, method, statusText(code)).Observe(d.Seconds())
}

func statusText(code int) string {
	const digits = "0123456789"
	if code < 100 || code > 999 {
		return "000"
	}
	return string([]byte{digits[code/100], digits[code/10%10], digits[code%10]})
}
