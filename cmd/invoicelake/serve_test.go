//go:build cgo

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/invoicelake/invoicelake/extract/slsim"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func get(addr, path string) (int, string) {
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metric sums the series of name in an exposition whose labels hold
// every one of match (`outcome="ok"`); -1 when there is none.
func metric(body, name string, match ...string) float64 {
	sum, found := 0.0, false
	for _, m := range regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(name)+`(\{[^}]*\})? (\S+)$`).FindAllStringSubmatch(body, -1) {
		ok := true
		for _, want := range match {
			ok = ok && strings.Contains(m[1], want)
		}
		if !ok {
			continue
		}
		v, _ := strconv.ParseFloat(m[2], 64)
		sum, found = sum+v, true
	}
	if !found {
		return -1
	}
	return sum
}

// TestServe runs the daemon on a one-second schedule: it serves /healthz and
// /metrics, runs without overlapping itself, fills the lake, and stops
// promptly on SIGTERM (context cancellation) with exit code 0.
func TestServe(t *testing.T) {
	srv := startSim(t, slsim.Options{Seed: 5, Months: 3, Latency: 3 * time.Millisecond})
	e := simEnv(srv)
	dir := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "serve.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("lake:\n  location: %s\nincremental:\n  start_period: \"2026-04\"\nschedule:\n  stop_timeout: 30s\n", dir)), 0o600)
	d := startServe(t, srv, e, cfg)
	addr, cancel, done, stderr := d.addr, d.cancel, d.done, d.stderr
	deadline := time.Now().Add(60 * time.Second)
	var body string
	for {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no successful run within 60s; metrics:\n%s\nstderr:\n%s", body, stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
		code, _ := get(addr, "/healthz")
		if code != http.StatusOK {
			continue
		}
		_, body = get(addr, "/metrics")
		if metric(body, "invoicelake_runs_total") >= 3 {
			break
		}
	}
	if f := metric(body, "invoicelake_runs_total", `outcome="failed"`); f > 0 {
		t.Errorf("%v scheduled runs failed (overlap or error):\n%s", f, stderr.String())
	}
	if metric(body, "invoicelake_last_success_timestamp_seconds") <= 0 || metric(body, "invoicelake_rows_published_total", `table="invoice_items"`) <= 0 {
		t.Errorf("metrics do not show a successful run:\n%s", body)
	}
	assertLakeIsTruth(t, dir, srv.Sim().Truth(), "2026-04", "2026-06")

	stopAt := time.Now()
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("serve exit %d after SIGTERM, want 0\n%s", code, stderr.String())
		}
		if d := time.Since(stopAt); d > 20*time.Second {
			t.Errorf("serve took %v to stop", d)
		}
	case <-time.After(45 * time.Second):
		t.Fatal("serve did not stop after SIGTERM")
	}

	// Each run's summary counts that run alone: the summaries add up to
	// what the API served, and identical runs report identical figures
	// (the client's counters are cumulative across the daemon's runs).
	runs, _ := filepath.Glob(filepath.Join(dir, "_runs", "account_id=*", "*.json"))
	var sums []Summary
	var calls int64
	for _, f := range runs {
		var s Summary
		if b, err := os.ReadFile(f); err != nil || json.Unmarshal(b, &s) != nil {
			t.Fatalf("run summary %s: %v", f, err)
		}
		sums = append(sums, s)
		calls += s.APICalls
	}
	slices.SortFunc(sums, func(a, b Summary) int { return a.Started.Compare(b.Started) })
	if len(sums) < 3 {
		t.Fatalf("%d run summaries, want at least 3", len(sums))
	}
	// serve asks the API once, at start, which account its credential is
	// (to read that account's history): the one call outside every run.
	if served := srv.Sim().Stats().Total; calls+1 != served {
		t.Errorf("the run summaries count %d API calls in all, the API served %d (want one more: the account at start)", calls, served)
	}
	for _, s := range sums[2:] {
		if s.APICalls != sums[1].APICalls || s.Unreconciled != sums[1].Unreconciled || s.Invoices != sums[1].Invoices {
			t.Errorf("identical runs report different figures: run %s api_calls %d unreconciled %d invoices %d; run %s %d %d %d",
				sums[1].RunID, sums[1].APICalls, sums[1].Unreconciled, sums[1].Invoices, s.RunID, s.APICalls, s.Unreconciled, s.Invoices)
		}
	}
}

// TestServeAbandonsARunAfterStopTimeout stops the daemon while a slow run is
// in flight: after stop_timeout the run is cancelled, serve exits 130 (not
// 0: a run was abandoned), and the lake keeps a consistent state (whatever
// was published is complete).
func TestServeAbandonsARunAfterStopTimeout(t *testing.T) {
	srv := startSim(t, slsim.Options{Seed: 6, Months: 3, Latency: 100 * time.Millisecond})
	e := simEnv(srv)
	dir := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "serve.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("source:\n  concurrency: 1\nlake:\n  location: %s\nincremental:\n  start_period: \"2026-04\"\nschedule:\n  stop_timeout: 300ms\n", dir)), 0o600)
	d := startServe(t, srv, e, cfg)
	addr, cancel, done, stderr := d.addr, d.cancel, d.done, d.stderr
	// Wait until the first run is in flight (it takes seconds at this latency).
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, body := get(addr, "/metrics"); metric(body, "invoicelake_running") == 1 {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no run started within 30s\n%s", stderr.String())
		}
	}
	time.Sleep(300 * time.Millisecond)
	stopAt := time.Now()
	cancel()
	select {
	case code := <-done:
		if code != exitCancelled {
			t.Errorf("exit %d after abandoning a run, want %d", code, exitCancelled)
		}
		if d := time.Since(stopAt); d > 10*time.Second {
			t.Errorf("took %v to abandon the run (stop_timeout 300ms)", d)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	if !strings.Contains(stderr.String(), "abandoning the run in flight") {
		t.Errorf("no run was abandoned; stderr:\n%s", stderr.String())
	}
	// A rerun completes and the lake equals the truth.
	if code, _, se := e.run(t, t.Context(), srv.Sim().Now, "run", "--config", cfg); code != 0 {
		t.Fatalf("run after an abandoned run: exit %d\n%s", code, se)
	}
	assertLakeIsTruth(t, dir, srv.Sim().Truth(), "2026-04", "2026-06")
}

func TestDryRunWritesNothing(t *testing.T) {
	srv := startSim(t, slsim.Options{Seed: 8, Months: 3})
	e := simEnv(srv)
	dir := t.TempDir()
	srv.Sim().ResetStats()
	code, out, stderr := e.run(t, t.Context(), nil, "export", "--from", "2026-04", "--to", "2026-06", "--out", dir, "--dry-run")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"2026-04", "2026-05", "2026-06", "total API calls"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("dry run wrote %d entries into the lake", len(entries))
	}
	if st := srv.Sim().Stats(); st.Requests["SoftLayer_Billing_Invoice::getItems"] != 0 {
		t.Errorf("dry run fetched items: %v", st.Requests)
	}
}

// daemon is a `serve` running in-process on a one-second schedule.
type daemon struct {
	addr   string
	cancel context.CancelFunc // SIGTERM
	done   chan int           // its exit code
	stderr *syncBuilder
}

func startServe(t *testing.T, srv *slsim.Server, e env, cfg string) daemon {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	d := daemon{addr: freeAddr(t), cancel: cancel, done: make(chan int, 1), stderr: &syncBuilder{}}
	go func() {
		m := &Main{Stdout: io.Discard, Stderr: d.stderr, Now: srv.Sim().Now, MinScheduleInterval: time.Second,
			LookupEnv: func(k string) (string, bool) { v, ok := e[k]; return v, ok }}
		d.done <- m.Run(ctx, []string{"serve", "--config", cfg, "--schedule", "@every 1s", "--listen", d.addr})
	}()
	return d
}

// syncBuilder is a strings.Builder safe to read while the daemon writes.
type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
