package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/invoicelake/invoicelake/extract"
	"github.com/invoicelake/invoicelake/load"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are serve's Prometheus metrics (prometheus/client_golang, its
// own registry) and the state /readyz answers from. Every series of an
// account carries its account_id; the API's carry the method, the lake's
// the table. The last attempt and last success are read from the lake's
// run summaries (_runs/account_id=N/) when an account is first opened, so
// they survive restarts.
type metrics struct {
	reg *prometheus.Registry

	apiDuration  *prometheus.HistogramVec // account_id, method
	apiRequests  *prometheus.CounterVec   // account_id, method, outcome
	apiRetries   *prometheus.CounterVec   // account_id, cause
	rows         *prometheus.CounterVec   // account_id, table
	bytes        *prometheus.CounterVec   // account_id, table
	runs         *prometheus.CounterVec   // account_id, outcome
	lastAttempt  *prometheus.GaugeVec     // account_id
	lastSuccess  *prometheus.GaugeVec     // account_id
	lastDuration *prometheus.GaugeVec     // account_id
	lastOK       *prometheus.GaugeVec     // account_id
	unreconciled *prometheus.GaugeVec     // account_id
	running      prometheus.Gauge

	mu       sync.Mutex
	accounts map[string]*accountHealth // by account label, in the fleet's order
	order    []string
	interval time.Duration // the schedule's longest gap between two runs
}

// accountHealth is what /readyz knows of one account.
type accountHealth struct {
	id          string // account_id, "" until known
	seeded      bool   // its history was read from the lake
	lastRun     time.Time
	lastOK      bool
	lastErr     string
	lastSuccess time.Time
	runs        int // finished since start, or known from the lake
}

// Outcomes of a run, the values of invoicelake_runs_total's outcome.
const (
	runOK     = "ok"
	runFailed = "failed"
)

func newMetrics(accounts []string, interval time.Duration) *metrics {
	m := &metrics{reg: prometheus.NewRegistry(), accounts: map[string]*accountHealth{}, order: accounts, interval: interval}
	for _, a := range accounts {
		m.accounts[a] = &accountHealth{}
	}
	acct := []string{"account_id"}
	m.apiDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "invoicelake_api_request_duration_seconds",
		Help:    "SoftLayer API requests: time from sending to the end of the body (rate limiter excluded).",
		Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"account_id", "method"})
	m.apiRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "invoicelake_api_requests_total",
		Help: "SoftLayer API requests sent, retries included, by outcome: ok, error (permanent), canceled, or the cause of a retried failure.",
	}, []string{"account_id", "method", "outcome"})
	m.apiRetries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "invoicelake_api_retries_total",
		Help: "SoftLayer API requests retried, by cause (rate_limit, server_error, timeout, connection_reset, connect, ...).",
	}, []string{"account_id", "cause"})
	m.rows = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "invoicelake_rows_published_total",
		Help: "Rows published, by table.",
	}, []string{"account_id", "table"})
	m.bytes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "invoicelake_bytes_published_total",
		Help: "Parquet bytes published, by table.",
	}, []string{"account_id", "table"})
	m.runs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "invoicelake_runs_total",
		Help: "Runs finished by this process, by outcome (ok, failed).",
	}, []string{"account_id", "outcome"})
	m.lastAttempt = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "invoicelake_last_attempt_timestamp_seconds",
		Help: "Unix time the last run started, ok or not (from the lake's run summaries at start).",
	}, acct)
	m.lastSuccess = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "invoicelake_last_success_timestamp_seconds",
		Help: "Unix time the last successful run finished (from the lake's run summaries at start).",
	}, acct)
	m.lastDuration = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "invoicelake_last_run_duration_seconds",
		Help: "Duration of the last finished run.",
	}, acct)
	m.lastOK = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "invoicelake_last_run_success",
		Help: "1 when the last finished run succeeded, 0 when it failed.",
	}, acct)
	m.unreconciled = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "invoicelake_last_run_unreconciled_invoices",
		Help: "Invoices the last run published whose items do not add up to their totals.",
	}, acct)
	m.running = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "invoicelake_running",
		Help: "1 while a scheduled run is in flight.",
	})
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "invoicelake_build_info",
		Help: "Always 1: the version, commit and build date of the binary, its Go version and the lake's schema version.",
	}, []string{"version", "commit", "build_date", "goversion", "schema_version"})
	build.WithLabelValues(version, commit, buildDate, runtime.Version(), schemaVersion()).Set(1)
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		build, m.apiDuration, m.apiRequests, m.apiRetries, m.rows, m.bytes, m.runs,
		m.lastAttempt, m.lastSuccess, m.lastDuration, m.lastOK, m.unreconciled, m.running,
	)
	return m
}

// handler serves /metrics.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// attempt records one API request of an account.
func (m *metrics) attempt(accountID string, a extract.Attempt) {
	if a.Retry {
		m.apiRetries.WithLabelValues(accountID, a.Outcome).Inc()
		return
	}
	m.apiDuration.WithLabelValues(accountID, a.Method).Observe(a.Duration.Seconds())
	m.apiRequests.WithLabelValues(accountID, a.Method, a.Outcome).Inc()
}

// known sets an account's id once the API has said it.
func (m *metrics) known(label, id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if h := m.accounts[label]; h != nil {
		h.id = id
	}
}

// begin records that an account's run starts.
func (m *metrics) begin(label string, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if h := m.accounts[label]; h != nil && h.id != "" {
		m.lastAttempt.WithLabelValues(h.id).Set(unixSeconds(at))
	}
}

// end records an account's run: its summary (nil when it failed before
// its run began) and its error.
func (m *metrics) end(label string, started time.Time, s *Summary, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.accounts[label]
	if h == nil {
		return
	}
	now := time.Now()
	if s != nil && !s.Started.IsZero() && !s.Finished.IsZero() {
		// The run summary's times: what the lake keeps, and what a
		// restarted daemon reads back.
		started, now = s.Started, s.Finished
	}
	h.lastRun, h.lastOK, h.lastErr = started, err == nil, ""
	h.runs++
	if err != nil {
		h.lastErr = headline(err)
		if h.lastErr == "" {
			h.lastErr = firstLine(err)
		}
	} else {
		h.lastSuccess = now
	}
	if h.id == "" {
		return // the API never said which account: nothing to label
	}
	id := h.id
	m.lastAttempt.WithLabelValues(id).Set(unixSeconds(started))
	outcome := runOK
	if err != nil {
		outcome = runFailed
		m.lastOK.WithLabelValues(id).Set(0)
	} else {
		m.lastOK.WithLabelValues(id).Set(1)
		m.lastSuccess.WithLabelValues(id).Set(unixSeconds(now))
	}
	m.runs.WithLabelValues(id, outcome).Inc()
	m.lastDuration.WithLabelValues(id).Set(now.Sub(started).Seconds())
	if s == nil {
		return
	}
	m.unreconciled.WithLabelValues(id).Set(float64(s.Unreconciled))
	for table, t := range s.Tables {
		m.rows.WithLabelValues(id, table).Add(float64(t.Rows))
		m.bytes.WithLabelValues(id, table).Add(float64(t.Bytes))
	}
}

// maxHistory bounds the run summaries read to find an account's last
// success (the latest first).
const maxHistory = 100

// runRecord is what the history needs of a run summary.
type runRecord struct {
	RunID    string    `json:"run_id"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	OK       bool      `json:"ok"`
	Error    string    `json:"error"`
}

// seed reads an account's last attempt and last success from its run
// summaries in the lake, once, unless this process has already run it.
func (m *metrics) seed(ctx context.Context, label string, lake *load.Lake) error {
	m.mu.Lock()
	h := m.accounts[label]
	done := h == nil || h.seeded
	m.mu.Unlock()
	if done {
		return nil
	}
	keys, err := lake.RunSummaries(ctx, maxHistory)
	if err != nil {
		return err
	}
	var last, success *runRecord
	for _, k := range slices.Backward(keys) {
		var r runRecord
		if err := lake.ReadJSON(ctx, k, &r, "it is only history: delete it"); err != nil {
			if errors.As(err, new(*load.CorruptError)) || errors.Is(err, load.ErrNotExist) {
				continue // a summary that does not decode is no evidence either way
			}
			return err
		}
		if last == nil {
			last = &r
		}
		if r.OK {
			success = &r
			break
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if h.seeded || h.runs > 0 {
		return nil // a run of this process knows better
	}
	h.seeded = true
	id := strconv.FormatInt(lake.Account(), 10)
	h.id = id
	if last != nil {
		h.lastRun, h.lastOK, h.lastErr = last.Started, last.OK, firstLineOf(last.Error)
		h.runs = 1
		m.lastAttempt.WithLabelValues(id).Set(unixSeconds(last.Started))
		ok := 0.0
		if last.OK {
			ok = 1
		}
		m.lastOK.WithLabelValues(id).Set(ok)
	}
	if success != nil {
		h.lastSuccess = success.Finished
		m.lastSuccess.WithLabelValues(id).Set(unixSeconds(success.Finished))
	}
	return nil
}

// ready reports whether every account's last run succeeded within twice
// the schedule's interval, and if not, why.
func (m *metrics) ready(now time.Time) (bool, string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var why []string
	for _, label := range m.order {
		h := m.accounts[label]
		name := "account " + label
		if h.id != "" && h.id != label {
			name += " (" + h.id + ")"
		}
		switch {
		case h.runs > 0 && !h.lastOK:
			why = append(why, fmt.Sprintf("%s: the last run, started %s, failed: %s", name, h.lastRun.UTC().Format(time.RFC3339), h.lastErr))
		case h.lastSuccess.IsZero():
			why = append(why, fmt.Sprintf("%s: no successful run yet", name))
		case now.Sub(h.lastSuccess) > 2*m.interval:
			why = append(why, fmt.Sprintf("%s: the last success, at %s, is older than twice the schedule's interval (%s)",
				name, h.lastSuccess.UTC().Format(time.RFC3339), 2*m.interval))
		}
	}
	if len(why) > 0 {
		return false, strings.Join(why, "\n")
	}
	return true, "ok"
}

func (m *metrics) readyz(w http.ResponseWriter, _ *http.Request) {
	ok, why := m.ready(time.Now())
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	fmt.Fprintln(w, why)
}

// scheduleInterval is the longest gap between the schedule's next runs
// (a weekday schedule's is the weekend's): the freshness /readyz expects.
func scheduleInterval(next func(time.Time) time.Time, now time.Time) time.Duration {
	var longest time.Duration
	t := next(now)
	for range 32 {
		n := next(t)
		if n.IsZero() {
			break
		}
		longest = max(longest, n.Sub(t))
		t = n
	}
	return longest
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// firstLine is the first line of err's message, at most 300 bytes.
func firstLine(err error) string { return firstLineOf(err.Error()) }

func firstLineOf(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 300 {
		s = strings.ToValidUTF8(s[:300], "") + "..."
	}
	return s
}
