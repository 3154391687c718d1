package main

import (
	"fmt"
	"net/http"
	"sync"
	"time"
)

// metrics are the daemon's Prometheus metrics, in the text exposition format.
type metrics struct {
	mu                                     sync.Mutex
	running                                bool
	runs, failures                         int64
	lastSuccess, lastDuration              float64
	invoices, items, calls, retries, bytes int64
	unreconciled                           int64
	last                                   Summary // the last finished run's own figures
}

func newMetrics() *metrics { return &metrics{} }

func (m *metrics) begin() {
	m.mu.Lock()
	m.running = true
	m.mu.Unlock()
}

// end records the end of a scheduled run (every account's).
func (m *metrics) end(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.running = false
	m.runs++
	if err != nil {
		m.failures++
	} else {
		m.lastSuccess = float64(time.Now().Unix())
	}
}

// account records one account's part of a run.
func (m *metrics) account(s *Summary, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s == nil {
		return
	}
	m.lastDuration = s.Finished.Sub(s.Started).Seconds()
	m.last = *s
	m.unreconciled += s.Unreconciled
	m.invoices += s.Invoices
	m.items += s.Items
	m.calls += s.APICalls
	m.retries += s.Retries
	m.bytes += s.Bytes
}

func (m *metrics) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	running := 0
	if m.running {
		running = 1
	}
	for _, x := range []struct {
		name, kind, help string
		v                any
	}{
		{"invoicelake_running", "gauge", "1 while a run is in flight.", running},
		{"invoicelake_runs_total", "counter", "Runs started by the schedule and finished.", m.runs},
		{"invoicelake_run_failures_total", "counter", "Runs that failed.", m.failures},
		{"invoicelake_last_success_timestamp_seconds", "gauge", "Unix time of the last successful run.", m.lastSuccess},
		{"invoicelake_last_run_duration_seconds", "gauge", "Duration of the last run.", m.lastDuration},
		{"invoicelake_invoices_total", "counter", "Invoices exported.", m.invoices},
		{"invoicelake_items_total", "counter", "Invoice items exported.", m.items},
		{"invoicelake_api_calls_total", "counter", "SoftLayer API calls.", m.calls},
		{"invoicelake_api_retries_total", "counter", "SoftLayer API retries.", m.retries},
		{"invoicelake_bytes_written_total", "counter", "Parquet bytes published.", m.bytes},
		{"invoicelake_unreconciled_invoices_total", "counter", "Invoices published unreconciled, summed over runs.", m.unreconciled},
		{"invoicelake_last_run_invoices", "gauge", "Invoices exported by the last finished run.", m.last.Invoices},
		{"invoicelake_last_run_items", "gauge", "Invoice items exported by the last finished run.", m.last.Items},
		{"invoicelake_last_run_api_calls", "gauge", "SoftLayer API calls of the last finished run.", m.last.APICalls},
		{"invoicelake_last_run_unreconciled_invoices", "gauge", "Unreconciled invoices of the last finished run.", m.last.Unreconciled},
	} {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %v\n", x.name, x.help, x.name, x.kind, x.name, x.v)
	}
}
