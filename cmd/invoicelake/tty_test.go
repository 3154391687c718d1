//go:build cgo

package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/invoicelake/invoicelake/extract/slsim"
)

// TestTerminalManners runs an export as a child process on a real
// pseudo-terminal (80 columns) with debug logs, so that log lines arrive
// while the progress bar is drawn: every log line is above the bar, never
// on it; the bar never wraps and shows an ETA from the planned API calls;
// the summary table ends the run and the bar is gone. The screen is in
// the test's log (go test -v -run TestTerminalManners) to look at.
func TestTerminalManners(t *testing.T) {
	srv := startSim(t, slsim.Options{Seed: 4, Months: 3, Latency: 20 * time.Millisecond})
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// Pages of today's sizes (growth off): enough calls, and seconds, for
	// the bar to show an ETA.
	cfg := filepath.Join(t.TempDir(), "fixed-pages.yaml")
	if err := os.WriteFile(cfg, []byte("source:\n  max_page_size: 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestMainChild$", "--", "export", "--from", "2026-04", "--to", "2026-06",
		"--out", dir, "--log-level", "debug", "--concurrency", "2", "--config", cfg)
	cmd.Env = append(os.Environ(), "INVOICELAKE_MAIN_CHILD=1", "SL_USERNAME="+slsim.DefaultUser,
		"SL_API_KEY="+testAPIKey, "SL_ENDPOINT_URL="+srv.URL())
	const width = 80
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: width, Rows: 40})
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	var out bytes.Buffer
	copied := make(chan struct{})
	go func() { io.Copy(&out, ptmx); close(copied) }() // ends with EIO when the child exits
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Errorf("export on a terminal: %v", err)
		}
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatal("export on a terminal did not end")
	}
	<-copied
	ptmx.Close()
	raw := out.Bytes()
	lines, _ := screen(raw, width)
	t.Logf("the terminal shows:\n%s", strings.Join(lines, "\n"))

	// The status lines drawn: each after an erase, up to the next control.
	var statuses []string
	for _, seg := range strings.Split(string(raw), clearLine)[1:] {
		s, _, _ := strings.Cut(seg, "\n")
		s, _, _ = strings.Cut(s, "\r")
		if s != "" && !strings.HasPrefix(s, "time=") {
			statuses = append(statuses, s)
		}
	}
	withETA := 0
	for _, s := range statuses {
		if n := len([]rune(s)); n >= width {
			t.Errorf("a status line of %d columns would wrap: %q", n, s)
		}
		if strings.Contains(s, "ETA ") && !strings.Contains(s, "ETA ?") && strings.Contains(s, "API calls ") {
			withETA++
		}
	}
	if withETA == 0 {
		t.Errorf("no status line shows an ETA from the planned API calls; status lines:\n%s", strings.Join(statuses, "\n"))
	}
	logs := 0
	for _, l := range lines {
		if strings.Contains(l, "level=") {
			logs++
			if strings.Contains(l, "API calls") || strings.Contains(l, "[#") || strings.Contains(l, "[.") {
				t.Errorf("a log line and the bar share a line: %q", l)
			}
		}
		if strings.Contains(l, `"level"`) {
			t.Errorf("JSON log on a terminal: %q", l)
		}
	}
	if logs < 10 {
		t.Errorf("%d log lines on the terminal: the test did not interleave logs with the bar", logs)
	}
	shown := strings.Join(lines, "\n")
	for _, want := range []string{"period ", "2026-04 ", "2026-06 ", "all ", "periods published in", "API calls"} {
		if !strings.Contains(shown, want) {
			t.Errorf("the summary table lacks %q", want)
		}
	}
	if last := lines[len(lines)-1]; strings.Contains(last, "ETA") {
		t.Errorf("the bar is still shown at the end: %q", last)
	}
}

// TestJSONLogDurationsInSeconds: without a terminal the log is JSON, and
// every duration is a number of seconds under a key ending in _seconds.
func TestJSONLogDurationsInSeconds(t *testing.T) {
	srv := startSim(t, slsim.Options{Seed: 4, Months: 2})
	code, _, stderr := simEnv(srv).run(t, t.Context(), nil, "export", "--from", "2026-05", "--to", "2026-06",
		"--out", t.TempDir(), "--log-level", "debug")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	seen := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("not a JSON log line: %q", l)
		}
		for k, v := range rec {
			switch {
			case strings.HasSuffix(k, "_seconds"):
				if _, ok := v.(float64); !ok {
					t.Errorf("%s = %v (%T), want a number of seconds", k, v, v)
				}
				seen[k]++
			case k == "duration" || k == "delay" || k == "lock_wait" || k == "lease" || k == "timeout" || k == "took" || k == "elapsed":
				t.Errorf("duration %s = %v without its unit in the key: %s", k, v, l)
			}
			if s, ok := v.(string); ok && k != "msg" && k != "err" && isDurationText(s) {
				t.Errorf("%s = %q is a duration as text: %s", k, s, l)
			}
		}
	}
	for _, k := range []string{"duration_seconds", "lock_wait_seconds"} {
		if seen[k] == 0 {
			t.Errorf("no log line has %s (seen: %v)", k, seen)
		}
	}
}

// isDurationText reports Go's time.Duration.String form ("1.183s", "2m0s").
func isDurationText(s string) bool {
	if _, err := time.ParseDuration(s); err != nil || s == "0" {
		return false
	}
	return strings.ContainsAny(s[len(s)-1:], "smh")
}
