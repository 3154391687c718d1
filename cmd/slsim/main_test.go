package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--months", "x"}, {"--now", "yesterday"}, {"--nope"}, {"extra"}, {"--error-rate", "2"}, {"--rate-limit", "0"},
		{"--addr", "256.0.0.1:1"}, {"--accounts", "0"}, {"--accounts", "101"},
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
		"--truth", truth, "--heavy-invoice-items", "-1", "--accounts", "2")
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
	br := bufio.NewReader(stdout)
	line, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("read ready line: %v", err)
	}
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok || !strings.HasSuffix(base, "/rest/v3.1/") || !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("got %q, want listening on http://127.0.0.1:PORT/rest/v3.1/", line)
	}
	// then one line per account with its id and credentials
	var ids []string
	for i, want := range []string{" user=simuser api_key=simkey iam_key=sim-iam-key bearer_token=sim-bearer-token",
		" user=simuser-2 api_key=simkey-2 iam_key=sim-iam-key-2 bearer_token=sim-bearer-token-2"} {
		line, err := br.ReadString('\n')
		f := strings.Fields(line)
		if err != nil || len(f) < 3 || f[0] != "account" || f[1] != strconv.Itoa(i+1) || !strings.HasSuffix(strings.TrimSpace(line), want) {
			t.Fatalf("account line %d: got %q (%v), want account %d id=N%s", i+1, line, err, i+1, want)
		}
		ids = append(ids, strings.TrimPrefix(f[2], "id="))
	}
	req, _ := http.NewRequest("GET", base+"SoftLayer_Account/getObject.json?objectMask=mask%5Bid%5D", nil)
	req.SetBasicAuth("simuser-2", "simkey-2")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(body) != `{"id":`+ids[1]+`}` {
		t.Errorf("second account: got %s, want id %s", body, ids[1])
	}
	req, _ = http.NewRequest("GET", base+"SoftLayer_Account/getBalance.json", nil)
	req.SetBasicAuth("simuser", "simkey")
	res, err = http.DefaultClient.Do(req)
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
	tr := readTruth()
	if got := tr["now"]; got != "2025-03-10T12:00:00Z" {
		t.Errorf("truth now: got %v", got)
	}
	if accts, _ := tr["accounts"].([]any); len(accts) != 2 || fmt.Sprint(accts[1].(map[string]any)["accountId"]) != ids[1] ||
		accts[1].(map[string]any)["credentials"].(map[string]any)["user"] != "simuser-2" {
		t.Errorf("truth accounts: got %v, want 2 with ids %v and credentials", tr["accounts"], ids)
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
