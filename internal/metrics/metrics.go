// Package metrics exposes Prometheus metrics: HTTP latency by route
// pattern and status, case events by kind, open and overdue work by unit,
// watcher sweeps and steps, webhook deliveries and database pool
// statistics. It is served on its own listener (-metrics-addr), off by
// default.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/watch"
)

// Metrics holds the registry and the instruments.
type Metrics struct {
	Registry   *prometheus.Registry
	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	events     *prometheus.CounterVec
	sweeps     prometheus.Counter
	steps      *prometheus.CounterVec
	deliveries *prometheus.CounterVec
	alertMails *prometheus.CounterVec
}

// New registers every metric for st. now is the clock for overdue counts.
func New(st *store.Store, now func() time.Time) *Metrics {
	m := &Metrics{Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "xiuhua_http_requests_total",
			Help: "HTTP requests by route pattern and status code."}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "xiuhua_http_request_duration_seconds",
			Help: "HTTP request latency by route pattern.", Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10}},
			[]string{"route"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "xiuhua_case_events_total",
			Help: "Committed case events by kind (report, dispatch, remind, supervise, …; warning for watcher warnings)."}, []string{"kind"}),
		sweeps: prometheus.NewCounter(prometheus.CounterOpts{Name: "xiuhua_watcher_sweeps_total",
			Help: "Deadline watcher sweeps this instance made while holding the lease."}),
		steps: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "xiuhua_watcher_steps_total",
			Help: "Deadline watcher steps by kind (warning, reminder, supervision, reply_overdue, skipped, failed)."}, []string{"kind"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "xiuhua_webhook_deliveries_total",
			Help: "Webhook delivery attempts by outcome (ok, failed, parked)."}, []string{"outcome"}),
		alertMails: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "xiuhua_alert_mails_total",
			Help: "Residents' area alert mails this instance tried, by kind (confirmation, alert) and outcome (sent, failed, parked)."}, []string{"kind", "outcome"}),
	}
	m.Registry.MustRegister(m.requests, m.duration, m.events, m.sweeps, m.steps, m.deliveries, m.alertMails,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&workCollector{st: st, now: now})
	for name, db := range st.Pools() {
		m.Registry.MustRegister(collectors.NewDBStatsCollector(db, name))
	}
	st.SetObserver(func(kind string) { m.events.WithLabelValues(kind).Inc() })
	return m
}

// Handler serves the metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Middleware times requests by the route pattern that served them (never
// the raw path, so case numbers do not explode the label set).
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		m.requests.WithLabelValues(route, strconv.Itoa(sw.code)).Inc()
		m.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

// Sweep records a watcher sweep.
func (m *Metrics) Sweep(r watch.Result, held bool) {
	if !held {
		return
	}
	m.sweeps.Inc()
	for kind, n := range map[string]int{"warning": r.Warnings, "reminder": r.Reminders, "supervision": r.Supervisions,
		"reply_overdue": r.ReplyOverdue, "skipped": r.Skipped, "failed": r.Failed} {
		if n > 0 {
			m.steps.WithLabelValues(kind).Add(float64(n))
		}
	}
}

// Delivery records a webhook attempt.
func (m *Metrics) Delivery(outcome string) { m.deliveries.WithLabelValues(outcome).Inc() }

// AlertMail counts one area alert mail's attempt (watch.Alerter.OnMail).
func (m *Metrics) AlertMail(kind, outcome string) { m.alertMails.WithLabelValues(kind, outcome).Inc() }

// workCollector reports open and overdue work by unit, read from the
// database at most every 15 s whatever the scrape rate.
type workCollector struct {
	st  *store.Store
	now func() time.Time

	mu    sync.Mutex
	at    time.Time
	cache []prometheus.Metric
}

var (
	openDesc = prometheus.NewDesc("xiuhua_open_tasks", "Active tasks of cases being handled, by unit.", []string{"unit"}, nil)
	lateDesc = prometheus.NewDesc("xiuhua_overdue_tasks", "Of those, tasks past their deadline, by unit.", []string{"unit"}, nil)
)

func (c *workCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- openDesc
	ch <- lateDesc
}

func (c *workCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) > 15*time.Second {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		counts, err := c.st.OpenByUnit(ctx, c.now())
		units, err2 := c.st.Units(ctx)
		if err == nil && err2 == nil {
			code := map[int64]string{}
			for _, u := range units {
				code[u.ID] = u.Code
			}
			c.cache = c.cache[:0]
			for id, n := range counts {
				c.cache = append(c.cache,
					prometheus.MustNewConstMetric(openDesc, prometheus.GaugeValue, float64(n[0]), code[id]),
					prometheus.MustNewConstMetric(lateDesc, prometheus.GaugeValue, float64(n[1]), code[id]))
			}
			c.at = time.Now()
		}
	}
	for _, m := range c.cache {
		ch <- m
	}
}
