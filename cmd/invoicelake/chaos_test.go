//go:build cgo

// The chaos harness (`make chaos`): the simulator's faults at rising rates,
// S3 outages mid-publish and SIGKILL at random points, each followed by a
// clean rerun and a comparison with the simulator's ground truth through a
// real DuckDB. It writes docs/RELIABILITY.md. Gated by INVOICELAKE_CHAOS=1
// so that `make test` stays fast.
package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/invoicelake/invoicelake/configs"
	"github.com/invoicelake/invoicelake/extract/slsim"
	"github.com/invoicelake/invoicelake/load"
	"github.com/invoicelake/invoicelake/load/s3test"
	"github.com/invoicelake/invoicelake/schemas"
)

// chaosRuns is how many faulty runs each API fault scenario makes
// (INVOICELAKE_CHAOS_RUNS, default 3).
func chaosRuns() int {
	if n, err := strconv.Atoi(os.Getenv("INVOICELAKE_CHAOS_RUNS")); err == nil && n > 0 {
		return n
	}
	return 3
}

// apiScenario is one way of breaking the SoftLayer API.
type apiScenario struct {
	group, fault, rate string
	opts               slsim.Options
	// storm, when set, injects fault bursts while the run is in flight.
	storm *storm
}

// storm injects n faults of one kind every period while a run is in flight.
type storm struct {
	kind   slsim.FaultKind
	n      int
	period time.Duration
}

// blow injects a burst, waits until the simulator has served all of it,
// lets the API be calm for one period, and starts again until ctx is done.
func (st *storm) blow(ctx context.Context, sim *slsim.Sim) {
	served := func() int64 { return sim.Stats().Faults[st.kind.String()] }
	tk := time.NewTicker(10 * time.Millisecond)
	defer tk.Stop()
	for sim.Stats().Total < 10 { // mid-run: once the export is under way
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
	}
	for {
		want := served() + int64(st.n)
		sim.InjectFault(st.kind, st.n)
		for served() < want {
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
			}
		}
		calm := time.NewTimer(st.period)
		select {
		case <-ctx.Done():
			calm.Stop()
			return
		case <-calm.C:
		}
	}
}

func apiScenarios() []apiScenario {
	var out []apiScenario
	for _, r := range []float64{0.01, 0.05, 0.10, 0.20} {
		out = append(out, apiScenario{group: "HTTP 500", fault: "internal_error (random)", rate: pct(r), opts: slsim.Options{ErrorRate: r}})
	}
	for _, r := range []float64{0.05, 0.20} {
		out = append(out, apiScenario{group: "HTTP 200 with an error body", fault: "error_200 (random)", rate: pct(r), opts: slsim.Options{Error200Rate: r}})
	}
	out = append(out,
		apiScenario{group: "rate limit", fault: "rate_limit storms (InjectFault)", rate: "bursts of 6, 300ms calm between",
			storm: &storm{kind: slsim.FaultRateLimit, n: 6, period: 300 * time.Millisecond}},
		apiScenario{group: "rate limit", fault: "rate_limit storms (InjectFault)", rate: "bursts of 20, 1s calm between",
			storm: &storm{kind: slsim.FaultRateLimit, n: 20, period: time.Second}},
		apiScenario{group: "rate limit", fault: "simulator limit below the client's 40/s", rate: "limit 20/s", opts: slsim.Options{RateLimit: 20}},
		apiScenario{group: "rate limit", fault: "simulator limit below the client's 40/s", rate: "limit 10/s", opts: slsim.Options{RateLimit: 10}},
	)
	for _, r := range []float64{0.05, 0.10} {
		out = append(out, apiScenario{group: "timeouts", fault: "slow (3s, client timeout 1s)", rate: pct(r), opts: slsim.Options{SlowRate: r, SlowDelay: 3 * time.Second}})
	}
	for _, r := range []float64{0.05, 0.10} {
		out = append(out, apiScenario{group: "bodies", fault: "truncated bodies", rate: pct(r), opts: slsim.Options{TruncateRate: r}})
	}
	for _, r := range []float64{0.05, 0.10} {
		out = append(out, apiScenario{group: "bodies", fault: "malformed bodies", rate: pct(r), opts: slsim.Options{MalformedRate: r}})
	}
	for _, r := range []float64{0.05, 0.10} {
		out = append(out, apiScenario{group: "connections", fault: "connection resets", rate: pct(r), opts: slsim.Options{ResetRate: r}})
	}
	for _, b := range []int{64 << 10, 24 << 10} {
		out = append(out, apiScenario{group: "too much data", fault: "MaxPageBytes", rate: fmt.Sprintf("%d KiB", b>>10), opts: slsim.Options{MaxPageBytes: b}})
	}
	out = append(out, apiScenario{group: "all at once", fault: "500 + 200-error + truncate + malformed + reset + slow + MaxPageBytes + limit + storms",
		rate: "5% 2% 2% 2% 2% 1%, 48 KiB, 30/s, bursts of 10 with 1s calm",
		opts: slsim.Options{ErrorRate: 0.05, Error200Rate: 0.02, TruncateRate: 0.02, MalformedRate: 0.02, ResetRate: 0.02,
			SlowRate: 0.01, SlowDelay: 3 * time.Second, MaxPageBytes: 48 << 10, RateLimit: 30},
		storm: &storm{kind: slsim.FaultRateLimit, n: 10, period: time.Second}})
	return out
}

func pct(r float64) string { return strconv.FormatFloat(r*100, 'f', -1, 64) + "%" }

// chaosAccount is the account every chaos scenario exports: small enough for
// fifty runs, with a heavy invoice that needs many item pages.
func chaosAccount(seed int64) slsim.Options {
	return slsim.Options{Seed: seed, Months: 4, HeavyInvoiceItems: 1200, InconsistentInvoices: 1}
}

// chaosConfig is the source configuration of a faulty run: a small timeout
// so that slow answers time out, and retries bounded so a run ends.
const chaosSourceConfig = "source:\n  timeout: 1s\n  max_attempts: 8\n  max_retry_time: 1m\n"

// TestChaos runs every scenario and writes the report. Each subtest fails
// on a non-converged run; the report is written in any case.
func TestChaos(t *testing.T) {
	if os.Getenv("INVOICELAKE_CHAOS") == "" {
		t.Skip("set INVOICELAKE_CHAOS=1 (make chaos) to run the reliability scenarios")
	}
	rep := newChaosReport()
	start := time.Now()

	t.Run("api", func(t *testing.T) {
		for i, sc := range apiScenarios() {
			row := rep.row(sc.group, sc.fault, sc.rate)
			t.Run(fmt.Sprintf("%02d-%s-%s", i, sc.fault, sc.rate), func(t *testing.T) {
				t.Parallel()
				for run := range chaosRuns() {
					row.add(chaosAPIRun(t, sc, int64(100*i+run+1)))
				}
			})
		}
	})
	t.Run("s3-outage", func(t *testing.T) { chaosS3Outage(t, rep) })
	t.Run("sigkill", func(t *testing.T) { chaosSIGKILL(t, rep) })
	t.Run("operator", func(t *testing.T) {
		held, tried := operatorMistakes(t)
		rep.mu.Lock()
		rep.operator = [2]int{held, tried}
		rep.mu.Unlock()
	})

	out := os.Getenv("INVOICELAKE_CHAOS_REPORT")
	if out == "" {
		out = filepath.Join("..", "..", "docs", "RELIABILITY.md")
	}
	if err := os.WriteFile(out, []byte(rep.markdown(time.Since(start))), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", out)
}

// chaosAPIRun makes one faulty export against a simulator serving the
// scenario's faults, then a rerun against a clean twin (same seed, same
// clock: the same account byte for byte), and checks the lake.
func chaosAPIRun(t *testing.T, sc apiScenario, seed int64) runResult {
	t.Helper()
	fo := chaosAccount(seed)
	fo.FaultSeed = seed
	fo.ErrorRate, fo.Error200Rate, fo.TruncateRate = sc.opts.ErrorRate, sc.opts.Error200Rate, sc.opts.TruncateRate
	fo.MalformedRate, fo.ResetRate, fo.SlowRate, fo.SlowDelay = sc.opts.MalformedRate, sc.opts.ResetRate, sc.opts.SlowRate, sc.opts.SlowDelay
	fo.MaxPageBytes, fo.RateLimit = sc.opts.MaxPageBytes, sc.opts.RateLimit
	faulty := startSim(t, fo)
	clean := startSim(t, chaosAccount(seed))
	truth := clean.Sim().Truth()
	if d := cmp.Diff(truth, faulty.Sim().Truth()); d != "" {
		t.Fatalf("the twin simulators differ (-clean +faulty):\n%s", d)
	}
	from, to := truth.Periods[0].Period, truth.Periods[len(truth.Periods)-1].Period

	dir := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "invoicelake.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("lake:\n  location: %s\n  lock_lease: 10s\n  lock_wait: 30s\n%s", dir, chaosSourceConfig)), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"export", "--config", cfg, "--from", from, "--to", to, "--log-format", "json", "--log-level", "debug"}

	var res runResult
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	if st := sc.storm; st != nil {
		wg.Go(func() { st.blow(ctx, faulty.Sim()) })
	}
	code, stdout, stderr := simEnv(faulty).run(t, t.Context(), nil, args...)
	cancel()
	wg.Wait()
	res.faultyExit = code
	res.retries = summaryRetries(stderr)
	res.faultsServed = faulty.Sim().Stats().Faults
	res.logs = stdout + stderr
	if code != exitOK && code != exitTransient {
		res.problem("faulty run: exit %d under a transient fault, want 0 or 1: %s", code, lastLine(stderr))
	}
	res.checkPublishedComplete(t, dir)
	if code == exitOK {
		// It succeeded thanks to retries: it must already be the truth.
		res.compare(t, dir, truth, from, to, "after the faulty run")
	}

	code, stdout, stderr = simEnv(clean).run(t, t.Context(), nil, args...)
	res.rerunExit = code
	res.logs += stdout + stderr
	if code != exitOK {
		res.problem("clean rerun: exit %d: %s", code, lastLine(stderr))
	}
	res.compare(t, dir, truth, from, to, "after the rerun")
	res.strays = len(localStrays(t, dir))
	res.secrets = secretHits(res.logs, dir, testAPIKey)
	res.finish(t)
	return res
}

// chaosS3Outage stops versitygw in the middle of a run that replaces a
// published lake: the run must fail with exit 1 leaving every published
// period complete and equal to either its previous or its new version, and
// the rerun must converge.
func chaosS3Outage(t *testing.T, rep *chaosReport) {
	gw := s3test.Start(t)
	srv := startSim(t, slsim.Options{Seed: 41, Months: 4, HeavyInvoiceItems: 1200, Latency: 3 * time.Millisecond})
	sim := srv.Sim()
	e := s3Env(t, simEnv(srv), gw)
	const prefix = "outage"
	cfg := s3Config(t, gw, prefix, "  lock_lease: 10s\n  lock_wait: 1m\n"+chaosSourceConfig)
	from := "2026-03"
	to := func() string { return schemas.PeriodOf(sim.Now().In(central)).String() }
	args := func() []string {
		return []string{"export", "--config", cfg, "--from", from, "--to", to(), "--log-format", "json", "--log-level", "debug"}
	}
	code, _, stderr := e.run(t, t.Context(), nil, args()...)
	if code != exitOK {
		t.Fatalf("first export: exit %d: %s", code, stderr)
	}
	start := time.Now()
	if code, _, stderr = e.run(t, t.Context(), nil, args()...); code != exitOK {
		t.Fatalf("second export: exit %d: %s", code, stderr)
	}
	full := time.Since(start)

	triggers := []struct {
		name string
		when func(ctx context.Context) bool // true when versitygw should stop
	}{
		{"after the first period of the run is published", manifestRewritten(gw, prefix, 1)},
		{"after the second period of the run is published", manifestRewritten(gw, prefix, 2)},
		{"at a random point", randomPoint(full, 41)},
		{"at a random point", randomPoint(full, 42)},
		{"at a random point", randomPoint(full, 43)},
	}
	for i, tr := range triggers {
		row := rep.row("S3 outage", "versitygw stopped mid-publish, then restarted", tr.name)
		var res runResult
		sim.Advance(9 * 24 * time.Hour) // every run replaces something
		before := sim.Truth()
		prev := mirrorTruth(t, gw, prefix)

		ctx, cancel := context.WithCancel(t.Context())
		stopped := make(chan time.Duration, 1)
		var wg sync.WaitGroup
		t0 := time.Now()
		wg.Go(func() {
			tk := time.NewTicker(5 * time.Millisecond)
			defer tk.Stop()
			for {
				if tr.when(ctx) {
					gw.Stop()
					stopped <- time.Since(t0)
					return
				}
				select {
				case <-ctx.Done():
					return
				case <-tk.C:
				}
			}
		})
		code, stdout, stderr := e.run(t, t.Context(), nil, args()...)
		cancel()
		wg.Wait()
		var at time.Duration
		select {
		case at = <-stopped:
		default:
		}
		gw.Restart()
		res.faultyExit = code
		res.retries = summaryRetries(stderr)
		res.logs = stdout + stderr
		switch {
		case at == 0 && code == exitOK:
			t.Logf("outage %d (%s): the run finished before versitygw was stopped", i, tr.name)
		case at == 0:
			res.problem("faulty run: exit %d without an outage: %s", code, lastLine(stderr))
		case code != exitTransient:
			res.problem("faulty run: exit %d with versitygw stopped after %v, want 1: %s", code, at.Round(time.Millisecond), lastLine(stderr))
		}
		// The previous version is intact: each period is complete and is
		// either what it was or what it is now, never a mix.
		dir := t.TempDir()
		mirror(t, gw, prefix, dir)
		res.checkPublishedComplete(t, dir)
		now := duckPeriods(t, dir)
		newTruth := periodsOf(before)
		for p, got := range now {
			if got.matches(prev[p]) || got.matches(newTruth[p]) {
				continue
			}
			res.problem("after the outage: period %s is neither its previous version %+v nor the truth %+v: %+v", p, prev[p], newTruth[p], got)
		}

		code, stdout, stderr = e.run(t, t.Context(), nil, args()...)
		res.rerunExit = code
		res.logs += stdout + stderr
		if code != exitOK {
			res.problem("rerun: exit %d: %s", code, lastLine(stderr))
		}
		dir = t.TempDir()
		objs := mirror(t, gw, prefix, dir)
		res.compare(t, dir, sim.Truth(), from, to(), "after the rerun")
		res.strays = len(strays(t, objs, dir))
		res.secrets = secretHits(res.logs, dir, testAPIKey, gw.SecretKey)
		res.finish(t)
		row.add(res)
		t.Logf("outage %d (%s): versitygw stopped after %v, exit %d, rerun exit %d", i, tr.name, at.Round(time.Millisecond), res.faultyExit, res.rerunExit)
	}
}

// manifestRewritten is true once n manifests changed after the first call.
func manifestRewritten(gw *s3test.Server, prefix string, n int) func(context.Context) bool {
	var first map[string]time.Time
	return func(ctx context.Context) bool {
		out, err := gw.Client().ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(gw.Bucket), Prefix: aws.String(prefix + "/" + load.ManifestsDir + "/")})
		if err != nil {
			return false
		}
		cur := map[string]time.Time{}
		for _, o := range out.Contents {
			cur[aws.ToString(o.Key)] = aws.ToTime(o.LastModified)
		}
		if first == nil {
			first = cur
			return false
		}
		changed := 0
		for k, v := range cur {
			if !first[k].Equal(v) {
				changed++
			}
		}
		return changed >= n
	}
}

func randomPoint(full time.Duration, seed uint64) func(context.Context) bool {
	delay := time.Duration(rand.New(rand.NewPCG(seed, 1)).Int64N(int64(full)))
	deadline := time.Now().Add(time.Hour) // set on the first call
	var once sync.Once
	return func(context.Context) bool {
		once.Do(func() { deadline = time.Now().Add(delay) })
		return !time.Now().Before(deadline)
	}
}

// mirrorTruth reads what the S3 lake holds now, per period.
func mirrorTruth(t *testing.T, gw *s3test.Server, prefix string) map[string]periodCounts {
	t.Helper()
	dir := t.TempDir()
	mirror(t, gw, prefix, dir)
	return duckPeriods(t, dir)
}

// chaosSIGKILL kills the real binary with SIGKILL at INVOICELAKE_KILL_POINTS
// (default 50 under `make chaos`) random points of exports into versitygw,
// in a few independent lanes, and times each rerun (the rerun lane of the
// report): with the default lease, the dead run's lock is taken over at
// once because its process is gone.
func chaosSIGKILL(t *testing.T, rep *chaosReport) {
	bin := buildBinary(t)
	gw := s3test.Start(t)
	points := killPoints()
	const lanes = 5
	row := rep.row("SIGKILL", "the binary killed at a random point, then rerun", fmt.Sprintf("%d points", points))
	for lane := range lanes {
		n := points / lanes
		if lane < points%lanes {
			n++
		}
		t.Run(fmt.Sprintf("lane-%d", lane), func(t *testing.T) {
			t.Parallel()
			killLane(t, bin, gw, lane, n, row, rep)
		})
	}
}

func killLane(t *testing.T, bin string, gw *s3test.Server, lane, n int, row *chaosRow, rep *chaosReport) {
	srv := startSim(t, slsim.Options{Seed: int64(60 + lane), Months: 4, HeavyInvoiceItems: 1200, Latency: 2 * time.Millisecond})
	sim := srv.Sim()
	prefix := fmt.Sprintf("kill-%d", lane)
	cfg := s3Config(t, gw, prefix, "  lock_wait: 2m\n"+chaosSourceConfig) // the default lease
	from := "2026-03"
	to := func() string { return schemas.PeriodOf(sim.Now().In(central)).String() }
	environ := append(os.Environ(),
		"SL_USERNAME="+slsim.DefaultUser, "SL_API_KEY="+testAPIKey, "SL_ENDPOINT_URL="+srv.URL(),
		"AWS_ACCESS_KEY_ID="+gw.AccessKey, "AWS_SECRET_ACCESS_KEY="+gw.SecretKey, "AWS_REGION="+gw.Region,
		"AWS_EC2_METADATA_DISABLED=true")
	export := func(stdout, stderr *bytes.Buffer) *exec.Cmd {
		c := exec.Command(bin, "export", "--config", cfg, "--from", from, "--to", to(), "--log-format", "json", "--log-level", "debug")
		c.Env = environ
		c.Stdout, c.Stderr = stdout, stderr
		return c
	}
	var out, errb bytes.Buffer
	start := time.Now()
	if err := export(&out, &errb).Run(); err != nil {
		t.Fatalf("first export: %v\n%s", err, errb.String())
	}
	full := time.Since(start)
	if lane == 0 {
		rep.mu.Lock()
		rep.fullExport, rep.lease = full, configs.Default().Lake.Lease.D().String()
		rep.mu.Unlock()
	}
	rng := rand.New(rand.NewPCG(uint64(lane), 7))
	for i := range n {
		var res runResult
		sim.Advance(6 * 24 * time.Hour) // something changes every time
		var stdout, stderr bytes.Buffer
		c := export(&stdout, &stderr)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		delay := time.Duration(rng.Int64N(int64(full)))
		done := make(chan error, 1)
		go func() { done <- c.Wait() }()
		select {
		case err := <-done:
			res.faultyExit = c.ProcessState.ExitCode()
			t.Logf("lane %d kill %d: the export finished before %v (%v)", lane, i, delay, err)
			res.note = "finished before the kill"
		case <-time.After(delay):
			_ = c.Process.Signal(syscall.SIGKILL)
			<-done
			res.faultyExit = -9
		}
		res.logs = stdout.String() + stderr.String()
		if res.faultyExit != -9 && res.faultyExit != exitOK {
			res.problem("export not killed: exit %d: %s", res.faultyExit, lastLine(stderr.String()))
		}
		dir := t.TempDir()
		mirror(t, gw, prefix, dir)
		res.checkPublishedComplete(t, dir)

		stdout.Reset()
		stderr.Reset()
		rerunStart := time.Now()
		err := export(&stdout, &stderr).Run()
		res.rerunWall = time.Since(rerunStart)
		res.lockWait = summaryLockWait(stderr.String())
		res.rerunExit = exitOf(err)
		res.retries = summaryRetries(stderr.String())
		res.logs += stdout.String() + stderr.String()
		if err != nil {
			res.problem("rerun after a kill at %v: %v: %s", delay, err, lastLine(stderr.String()))
		}
		dir = t.TempDir()
		objs := mirror(t, gw, prefix, dir)
		res.compare(t, dir, sim.Truth(), from, to(), "after the rerun")
		res.strays = len(strays(t, objs, dir))
		res.secrets = secretHits(res.logs, dir, testAPIKey, gw.SecretKey)
		res.finish(t)
		row.add(res)
	}
}

func exitOf(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}
