package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--months", "x"}, {"--now", "yesterday"}, {"--nope"}, {"extra"}, {"--error-rate", "2"}, {"--rate-limit", "0"},
		{"--addr", "256.0.0.1:1"},
	} {
		var stderr strings.Builder
		if got := run(args, io.Discard, &stderr); got != 2 {
			t.Errorf("run(%q): got exit %d, want 2", args, got)
		}
		if !strings.Contains(stderr.String(), "slsim: ") && !strings.Contains(stderr.String(), "flag") {
			t.Errorf("run(%q): got stderr %q, want a clear error", args, stderr.String())
		}
	}
}

// TestBinary builds the command, runs it, reads the one ready line, checks
// the API, the admin clock and the truth file, then stops it with SIGTERM.
func TestBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "slsim")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	truth := filepath.Join(t.TempDir(), "truth.json")
	cmd := exec.Command(bin, "--addr", "127.0.0.1:0", "--seed", "7", "--months", "6", "--now", "2025-03-10T12:00:00Z",
		"--truth", truth, "--heavy-invoice-items", "-1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-done
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("read ready line: %v", err)
	}
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok || !strings.HasSuffix(base, "/rest/v3.1/") || !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("got %q, want listening on http://127.0.0.1:PORT/rest/v3.1/", line)
	}
	req, _ := http.NewRequest("GET", base+"SoftLayer_Account/getBalance.json", nil)
	req.SetBasicAuth("simuser", "simkey")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("getBalance: %v %v", res, err)
	}
	res.Body.Close()

	readTruth := func() map[string]any {
		b, err := os.ReadFile(truth)
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("truth file: %v", err)
		}
		return v
	}
	if got := readTruth()["now"]; got != "2025-03-10T12:00:00Z" {
		t.Errorf("truth now: got %v", got)
	}
	admin := strings.TrimSuffix(base, "/rest/v3.1/") + "/_sim/clock?advance=720h"
	res, err = http.Post(admin, "", nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("advance: %v %v", res, err)
	}
	res.Body.Close()
	if got := readTruth()["now"]; got != "2025-04-09T12:00:00Z" {
		t.Errorf("truth now after advance: got %v, want 2025-04-09T12:00:00Z", got)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		done <- err
		if err != nil {
			t.Errorf("exit after SIGTERM: got %v, want status 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still running 10 s after SIGTERM")
	}
}
