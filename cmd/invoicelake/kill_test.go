//go:build cgo

package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/invoicelake/invoicelake/extract/slsim"
	"github.com/invoicelake/invoicelake/load"
	"github.com/invoicelake/invoicelake/load/s3test"
	"github.com/invoicelake/invoicelake/schemas"
)

// buildBinary builds the shipped, static binary once for a test.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "invoicelake")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// killPoints is how many SIGKILLs TestSIGKILLAnywhere delivers; `make chaos`
// raises it.
func killPoints() int {
	if n, err := strconv.Atoi(os.Getenv("INVOICELAKE_KILL_POINTS")); err == nil && n > 0 {
		return n
	}
	return 6
}

// TestSIGKILLAnywhere kills the real binary with SIGKILL at random points of
// an export into versitygw, checks that every published period is still
// complete, reruns, and checks the lake against the ground truth with DuckDB,
// with no stray object left in a table folder.
func TestSIGKILLAnywhere(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	gw := s3test.Start(t)
	srv := startSim(t, slsim.Options{Seed: 31, Months: 4, Latency: 2 * time.Millisecond})
	sim := srv.Sim()
	// A short lease: each rerun after a SIGKILL waits for the dead run's
	// lock to expire, as the next CronJob run would.
	cfg := s3Config(t, gw, "kill", "  lock_lease: 10s\n  lock_wait: 1m\nsource:\n  max_retry_time: 20s\n")
	from := "2026-03"
	environ := append(os.Environ(),
		"SL_USERNAME="+slsim.DefaultUser, "SL_API_KEY="+testAPIKey, "SL_ENDPOINT_URL="+srv.URL(),
		"AWS_ACCESS_KEY_ID="+gw.AccessKey, "AWS_SECRET_ACCESS_KEY="+gw.SecretKey, "AWS_REGION="+gw.Region,
		"AWS_EC2_METADATA_DISABLED=true")
	export := func() *exec.Cmd {
		to := schemas.PeriodOf(sim.Now().In(central)).String()
		c := exec.Command(bin, "export", "--config", cfg, "--from", from, "--to", to, "--log-format", "json")
		c.Env = environ
		return c
	}
	check := func(label string) {
		t.Helper()
		dir := t.TempDir()
		objs := mirror(t, gw, "kill", dir)
		to := schemas.PeriodOf(sim.Now().In(central)).String()
		assertLakeIsTruth(t, dir, sim.Truth(), from, to)
		assertNoStrays(t, objs, dir)
		if t.Failed() {
			t.Fatalf("after %s", label)
		}
	}

	start := time.Now()
	if out, err := export().CombinedOutput(); err != nil {
		t.Fatalf("first export: %v\n%s", err, out)
	}
	full := time.Since(start)
	check("the first export")

	rng := rand.New(rand.NewPCG(31, 7))
	killed := 0
	for i := range killPoints() {
		sim.Advance(6 * 24 * time.Hour) // something changes every time
		c := export()
		var stderr bytes.Buffer
		c.Stderr = &stderr
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		delay := time.Duration(rng.Int64N(int64(full)))
		done := make(chan error, 1)
		go func() { done <- c.Wait() }()
		select {
		case err := <-done:
			t.Logf("kill %d: the export finished before %v (err %v)", i, delay, err)
		case <-time.After(delay):
			c.Process.Signal(syscall.SIGKILL)
			<-done
			killed++
		}
		// Before any rerun: every published period is complete (the files
		// its manifest lists exist and match their checksums and sums).
		dir := t.TempDir()
		mirror(t, gw, "kill", dir)
		b, _ := load.NewFileBucket(dir)
		lake := onlyAccount(t, b)
		periods, err := lake.Periods(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range periods {
			if _, err := lake.Summarize(t.Context(), p); err != nil {
				t.Fatalf("kill %d at %v: period %s is not complete: %v", i, delay, p, err)
			}
		}
		if out, err := export().CombinedOutput(); err != nil {
			t.Fatalf("rerun after kill %d at %v: %v\n%s", i, delay, err, out)
		}
		check("the rerun after kill " + strconv.Itoa(i))
	}
	t.Logf("%d of %d runs killed with SIGKILL mid-way (a full export takes %v); every rerun converged to the truth", killed, killPoints(), full)
	if killed == 0 {
		t.Errorf("no run was killed mid-way")
	}
}
