//go:build cgo

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/invoicelake/invoicelake/extract/slsim"
	"gopkg.in/yaml.v3"
)

// waitFor polls addr+path until ok says so, for up to 60 s.
func waitFor(t *testing.T, d daemon, path string, ok func(code int, body string) bool) string {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		code, body := get(d.addr, path)
		if ok(code, body) {
			return body
		}
		if time.Now().After(deadline) {
			d.cancel()
			t.Fatalf("GET %s: %d %s\nstderr:\n%s", path, code, body, d.stderr.String())
		}
	}
}

func stopDaemon(t *testing.T, d daemon) {
	t.Helper()
	d.cancel()
	select {
	case <-d.done:
	case <-time.After(45 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// TestServeMetrics: the Go, process and build metrics; per account, the
// API's latency histogram and requests by method and outcome, retries by
// cause, rows and bytes per table; the last success read back from the
// lake after a restart; /readyz.
func TestServeMetrics(t *testing.T) {
	srv := startSim(t, slsim.Options{Seed: 5, Months: 3, MalformedRate: 0.2, FaultSeed: 7})
	e := simEnv(srv)
	dir := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "serve.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("lake:\n  location: %s\nincremental:\n  start_period: \"2026-04\"\nsource:\n  max_attempts: 10\n", dir)), 0o600)
	id := strconv.FormatInt(srv.Sim().Truth().AccountID, 10)
	acct := `account_id="` + id + `"`

	// A daemon that runs at start (and then hourly): its first run's figures.
	d := startServeArgs(t, srv, e, "serve", "--config", cfg, "--schedule", "@every 1h")
	body := waitFor(t, d, "/metrics", func(_ int, b string) bool { return metric(b, "invoicelake_runs_total", acct) >= 1 })
	if code, why := get(d.addr, "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz after a successful run: %d %s", code, why)
	}
	stopDaemon(t, d)

	simStats := srv.Sim().Stats()
	served, malformed := simStats.Requests, float64(simStats.Faults["malformed"])
	sums := runSummaries(t, dir)
	if len(sums) != 1 || !sums[0].OK {
		t.Fatalf("run summaries %+v: want one successful run", sums)
	}
	s := sums[0]
	for _, c := range []struct {
		name  string
		match []string
		want  float64 // -2: any positive value
	}{
		{"invoicelake_build_info", []string{`version="` + version + `"`, `goversion="go`}, 1},
		{"go_goroutines", nil, -2},
		{"process_resident_memory_bytes", nil, -2},
		{"invoicelake_runs_total", []string{acct, `outcome="ok"`}, 1},
		{"invoicelake_rows_published_total", []string{acct, `table="invoices"`}, float64(s.Invoices)},
		{"invoicelake_rows_published_total", []string{acct, `table="invoice_items"`}, float64(s.Items)},
		{"invoicelake_bytes_published_total", []string{acct}, float64(s.Bytes)},
		{"invoicelake_api_request_duration_seconds_count", []string{acct, `method="SoftLayer_Account::getInvoices"`}, float64(served["SoftLayer_Account::getInvoices"])},
		{"invoicelake_api_request_duration_seconds_count", []string{acct, `method="SoftLayer_Billing_Invoice::getItems"`}, float64(served["SoftLayer_Billing_Invoice::getItems"])},
		{"invoicelake_api_retries_total", []string{acct}, malformed},
		{"invoicelake_last_success_timestamp_seconds", []string{acct}, unixSeconds(s.Finished)},
		{"invoicelake_last_run_success", []string{acct}, 1},
	} {
		got := metric(body, c.name, c.match...)
		if c.want == -2 && got <= 0 || c.want != -2 && math.Abs(got-c.want) > 0.01 {
			t.Errorf("%s%v = %v, want %v\n%s", c.name, c.match, got, c.want, grepLines(body, "invoicelake_api_re"))
		}
	}
	// Each malformed body the simulator served is one failed request,
	// retried, with its cause (truncated_body or malformed_body: where the
	// body breaks).
	failed := metric(body, "invoicelake_api_requests_total", acct) - metric(body, "invoicelake_api_requests_total", acct, `outcome="ok"`)
	causes := max(0, metric(body, "invoicelake_api_requests_total", acct, `outcome="truncated_body"`)) +
		max(0, metric(body, "invoicelake_api_requests_total", acct, `outcome="malformed_body"`))
	if failed != malformed || causes != malformed {
		t.Errorf("%v requests failed, %v with a body cause; the simulator served %v malformed bodies:\n%s", failed, causes, malformed, grepLines(body, "invoicelake_api_re"))
	}
	if malformed == 0 {
		t.Errorf("the simulator served no malformed body: the test did not exercise retries by cause")
	}

	checkMonitoringNames(t, body)

	// A restart that does not run at start: the last success comes from the
	// lake's run summaries, and the daemon is ready.
	d = startServeArgs(t, srv, e, "serve", "--config", cfg, "--schedule", "@every 1h", "--run-at-start=false")
	body = waitFor(t, d, "/metrics", func(_ int, b string) bool { return metric(b, "invoicelake_last_success_timestamp_seconds", acct) > 0 })
	if got := metric(body, "invoicelake_last_success_timestamp_seconds", acct); math.Abs(got-unixSeconds(s.Finished)) > 0.01 {
		t.Errorf("after a restart, last success %v, want the run summary's %v", got, unixSeconds(s.Finished))
	}
	if got := metric(body, "invoicelake_last_attempt_timestamp_seconds", acct); math.Abs(got-unixSeconds(s.Started)) > 0.01 {
		t.Errorf("after a restart, last attempt %v, want the run summary's %v", got, unixSeconds(s.Started))
	}
	if code, why := get(d.addr, "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz after a restart with a recent success: %d %s", code, why)
	}
	stopDaemon(t, d)
	if n := len(runSummaries(t, dir)); n != 1 {
		t.Errorf("%d run summaries after a daemon that did not run at start, want 1", n)
	}

	// A daemon whose runs fail (a wrong key) is alive but not ready, and
	// says why.
	bad := env{"SL_USERNAME": slsim.DefaultUser, "SL_API_KEY": "wrong", "SL_ENDPOINT_URL": srv.URL()}
	d = startServeArgs(t, srv, bad, "serve", "--config", cfg, "--schedule", "@every 1h")
	why := waitFor(t, d, "/readyz", func(code int, b string) bool {
		return code == http.StatusServiceUnavailable && strings.Contains(b, "failed")
	})
	if !strings.Contains(why, "refused the credentials") {
		t.Errorf("/readyz says %q, want the reason (the credentials)", why)
	}
	if code, _ := get(d.addr, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz %d while runs fail: liveness is not readiness", code)
	}
	stopDaemon(t, d)
}

// startServeArgs runs serve with args in-process.
func startServeArgs(t *testing.T, srv *slsim.Server, e env, args ...string) daemon {
	t.Helper()
	d := daemon{addr: freeAddr(t), done: make(chan int, 1), stderr: &syncBuilder{}}
	ctx, cancel := context.WithCancel(t.Context())
	d.cancel = cancel
	go func() {
		m := &Main{Stdout: io.Discard, Stderr: d.stderr, Now: srv.Sim().Now, MinScheduleInterval: time.Second,
			LookupEnv: func(k string) (string, bool) { v, ok := e[k]; return v, ok }}
		d.done <- m.Run(ctx, append(args, "--listen", d.addr))
	}()
	return d
}

func runSummaries(t *testing.T, dir string) []Summary {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "_runs", "account_id=*", "*.json"))
	var out []Summary
	for _, f := range files {
		var s Summary
		if b, err := os.ReadFile(f); err != nil || json.Unmarshal(b, &s) != nil {
			t.Fatalf("run summary %s: %v", f, err)
		}
		out = append(out, s)
	}
	return out
}

// TestReadiness: the reasons /readyz gives, from the state alone.
func TestReadiness(t *testing.T) {
	now := time.Date(2026, 6, 20, 12, 0, 0, 0, time.UTC)
	m := newMetrics([]string{"prod", "client-a"}, 24*time.Hour)
	if ok, why := m.ready(now); ok || strings.Count(why, "no successful run yet") != 2 {
		t.Errorf("before any run: %v %q", ok, why)
	}
	m.accounts["prod"].id, m.accounts["client-a"].id = "111", "222"
	m.accounts["prod"].lastSuccess, m.accounts["prod"].lastOK, m.accounts["prod"].runs = now.Add(-47*time.Hour), true, 1
	m.accounts["client-a"].lastSuccess, m.accounts["client-a"].lastOK, m.accounts["client-a"].runs = now.Add(-time.Hour), true, 1
	if ok, why := m.ready(now); !ok {
		t.Errorf("successes 47h and 1h ago at a daily schedule: not ready: %q", why)
	}
	m.accounts["prod"].lastSuccess = now.Add(-49 * time.Hour)
	if ok, why := m.ready(now); ok || !strings.Contains(why, "account prod (111): the last success, at 2026-06-18T11:00:00Z, is older than twice the schedule's interval (48h0m0s)") || strings.Contains(why, "client-a") {
		t.Errorf("a success 49h ago: %v %q", ok, why)
	}
	m.accounts["prod"].lastSuccess = now.Add(-time.Hour)
	m.accounts["client-a"].lastOK, m.accounts["client-a"].lastErr, m.accounts["client-a"].lastRun = false, "boom", now.Add(-time.Minute)
	if ok, why := m.ready(now); ok || why != "account client-a (222): the last run, started 2026-06-20T11:59:00Z, failed: boom" {
		t.Errorf("a failed run: %v %q", ok, why)
	}
}

func TestScheduleInterval(t *testing.T) {
	now := time.Date(2026, 6, 20, 12, 0, 0, 0, time.UTC)
	for spec, want := range map[string]time.Duration{
		"CRON_TZ=UTC 17 3 * * *": 24 * time.Hour,
		"@every 6h":              6 * time.Hour,
		"0 9 * * 1-5":            72 * time.Hour, // Friday to Monday
	} {
		s, err := parseSchedule(spec)
		if err != nil {
			t.Fatal(err)
		}
		if got := scheduleInterval(s.Next, now); got != want {
			t.Errorf("%q: interval %v, want %v", spec, got, want)
		}
	}
}

func grepLines(body, prefix string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// checkMonitoringNames: every metric the example alerts and the Grafana
// dashboard (configs/monitoring) query is one the binary exposes (body is
// a scrape after a run, so every labelled family has series).
func checkMonitoringNames(t *testing.T, body string) {
	t.Helper()
	exposed := map[string]bool{}
	for _, l := range strings.Split(body, "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		name, _, _ := strings.Cut(l, "{")
		name, _, _ = strings.Cut(name, " ")
		exposed[name] = true
	}
	var exprs []string
	var rules struct {
		Groups []struct {
			Rules []struct {
				Expr string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	data, err := os.ReadFile("../../configs/monitoring/alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &rules); err != nil {
		t.Fatal(err)
	}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			exprs = append(exprs, r.Expr)
		}
	}
	var dash struct {
		Panels []struct {
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Query any `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	data, err = os.ReadFile("../../configs/monitoring/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatal(err)
	}
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	for _, v := range dash.Templating.List {
		if q, ok := v.Query.(string); ok {
			exprs = append(exprs, q)
		}
	}
	names := regexp.MustCompile(`\b(?:invoicelake|go|process)_[a-z0-9_]+\b`)
	checked := 0
	for _, e := range exprs {
		for _, n := range names.FindAllString(e, -1) {
			checked++
			if !exposed[n] {
				t.Errorf("configs/monitoring queries %s, which the binary does not expose (in %q)", n, e)
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d metric names found in the monitoring configs", checked)
	}
}
