//go:build cgo

// Pipeline benchmarks (issue 7). They skip unless INVOICELAKE_BENCH=1
// (`make bench` sets it) and, with INVOICELAKE_BENCH_DOC set, rewrite their
// sections of docs/BENCHMARKS.md (between the "generated" markers).
//
//	INVOICELAKE_BENCH=1 go test -run '^$' -bench Pipeline -benchtime 1x -timeout 60m ./cmd/invoicelake/
//
// Knobs: INVOICELAKE_BENCH_SIZES (default "100k,1M,5M"), INVOICELAKE_BENCH_RUNS
// (default 3), INVOICELAKE_BENCH_SLCLI (invoices slcli pages, default 20),
// INVOICELAKE_BENCH_PROFILE (a folder: CPU and heap profiles of the first
// CPU run of each size), INVOICELAKE_BENCH_BASELINE (a git revision: its
// command races too, on the same pages, for a before/after in one run).
package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/invoicelake/invoicelake/extract/slsim"
	"github.com/invoicelake/invoicelake/schemas"
)

func benchEnabled(b *testing.B) {
	b.Helper()
	if os.Getenv("INVOICELAKE_BENCH") != "1" {
		b.Skip("pipeline benchmarks run with INVOICELAKE_BENCH=1 (make bench)")
	}
}

func benchEnvInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// benchMonths of history: the window is every period of the account.
const benchMonths = 24

func benchFrom() schemas.Period { return schemas.PeriodOf(simNow).AddMonths(-benchMonths - 1) }
func benchTo() schemas.Period   { return schemas.PeriodOf(simNow) }

// benchSize is an account size: the simulator's Scale giving about that many
// items over 24 months (measured: scale 10 gives 131k, 100 gives 1.17M).
type benchSize struct {
	name  string
	scale float64
}

var benchSizes = map[string]benchSize{
	"100k": {"100k", 7.6},
	"1M":   {"1M", 85},
	"5M":   {"5M", 425},
}

// proc is one measured run of a child process.
type proc struct {
	wall     time.Duration
	cpu      time.Duration // user + system
	maxRSS   int64         // bytes
	out, err string
}

func runProc(b *testing.B, bin string, env []string, args ...string) proc {
	b.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Start()
	var hwm int64
	if err == nil {
		// ru_maxrss is no good here: a forked child starts with its
		// parent's high-water mark (this test process, with DuckDB in it).
		// VmHWM is the peak RSS of the process image since exec; it is
		// polled until the child exits (growth in its last 10 ms is missed).
		stop, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			t := time.NewTicker(10 * time.Millisecond)
			defer t.Stop()
			for {
				hwm = max(hwm, vmHWM(cmd.Process.Pid))
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		}()
		err = cmd.Wait()
		close(stop)
		<-done
	}
	wall := time.Since(start)
	if err != nil {
		b.Fatalf("%s %v: %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(bin), args, err, tail(stdout.String()), tail(stderr.String()))
	}
	return proc{wall: wall, cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(),
		maxRSS: hwm, out: stdout.String(), err: stderr.String()}
}

var vmHWMLine = regexp.MustCompile(`(?m)^VmHWM:\s+(\d+) kB`)

// vmHWM returns a live process's peak resident set size in bytes (0 once
// it has exited).
func vmHWM(pid int) int64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	m := vmHWMLine.FindSubmatch(data)
	if m == nil {
		return 0
	}
	n, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return n << 10
}

func tail(s string) string {
	if len(s) > 4000 {
		return "..." + s[len(s)-4000:]
	}
	return s
}

// buildBenchChild builds this package's test binary without cgo: the
// process TestBenchChild runs the command in (bench_child_test.go).
func buildBenchChild(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "invoicelake-bench.test")
	cmd := exec.Command("go", "test", "-c", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go test -c: %v\n%s", err, out)
	}
	return bin
}

func buildStatic(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "invoicelake")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func childEnv(url string, extra ...string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir(),
		"SL_USERNAME=" + slsim.DefaultUser, "SL_API_KEY=" + testAPIKey, "SL_ENDPOINT_URL=" + url}
	return append(env, extra...)
}

func exportArgs(lake string) []string {
	return []string{"export", "--out", lake, "--from", benchFrom().String(), "--to", benchTo().String(),
		"--log-format", "json", "--log-level", "warn"}
}

// cpuResult is one account size of the CPU race.
type cpuResult struct {
	size                        string
	items, invoices, maxInvoice int64
	jsonBytes                   int64
	pages                       int
	ours, duck                  []time.Duration
	oursCPU                     []time.Duration
	ratios                      []float64
	rss                         []int64
	oursBytes, duckZstd, duckSn int64
	query                       []time.Duration
	queryRows                   int
	capWall                     time.Duration // one run under GOMEMLIMIT=benchMemLimit
	capRSS                      int64
	bases                       []baseResult // the baseline revisions' runs, if any
	lake                        lakeCheck
	servedCPU                   []time.Duration // the replay server's CPU during invoicelake's runs
}

// baseResult is one baseline revision's runs of a size.
type baseResult struct {
	rev   string
	wall  []time.Duration
	cpu   []time.Duration
	rss   []int64
	lakes []lakeCheck // what it wrote: rows, invoices, total
}

// baseline is a revision's bench child.
type baseline struct{ rev, bin string }

// selfCPU is this process's user and system time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchMemLimit is the soft memory limit of the extra CPU run.
const benchMemLimit = "64MiB"

// BenchmarkPipelineCPU races invoicelake against DuckDB on the same JSON.
//
// Design: the simulator (no latency, no rate limit) serves the account once
// through a recording proxy while invoicelake exports it (untimed); every
// answer is saved to a file. Then, per run and side by side: invoicelake
// (the command in a static child process, its client's rate limit lifted)
// exports the account from a replay server that serves those exact bytes,
// and DuckDB converts the same saved pages into the same partitioned
// Parquet. Peak RSS is the child's VmHWM (see runProc).
func BenchmarkPipelineCPU(b *testing.B) {
	benchEnabled(b)
	runs := benchEnvInt("INVOICELAKE_BENCH_RUNS", 3)
	sizes := strings.Split(envOr("INVOICELAKE_BENCH_SIZES", "100k,1M,5M"), ",")
	child := buildBenchChild(b)
	// INVOICELAKE_BENCH_BASELINE: revisions, comma-separated.
	var bases []baseline
	for rev := range strings.SplitSeq(os.Getenv("INVOICELAKE_BENCH_BASELINE"), ",") {
		if rev = strings.TrimSpace(rev); rev != "" {
			bases = append(bases, baseline{rev, buildBaselineChild(b, rev)})
		}
	}
	var results []cpuResult
	for _, name := range sizes {
		sz, ok := benchSizes[name]
		if !ok {
			b.Fatalf("INVOICELAKE_BENCH_SIZES: unknown size %q (100k, 1M, 5M)", name)
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				results = append(results, cpuRace(b, child, bases, sz, runs))
			}
		})
	}
	writeDoc(b, "cpu", renderCPU(results, runs))
	if len(bases) > 0 {
		writeDoc(b, "cpu-baseline", renderBaseline(results, runs))
	}
}

// buildBaselineChild builds the bench child of revision rev (revSource)
// without cgo.
func buildBaselineChild(b *testing.B, rev string) string {
	b.Helper()
	dir := revSource(b, rev)
	bin := filepath.Join(b.TempDir(), "invoicelake-baseline-"+strings.NewReplacer("/", "-", ".", "-").Replace(rev)+".test")
	cmd := exec.Command("go", "test", "-c", "-o", bin, "./cmd/invoicelake/")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("baseline %s: go test -c: %v\n%s", rev, err, out)
	}
	return bin
}

func renderBaseline(rs []cpuResult, runs int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s\n\n", machine())
	fmt.Fprintf(&sb, "Baselines: earlier revisions, built and run the same way (static test child, rate limit lifted, fixed pages) on the same "+
		"recorded pages; medians of %d runs per size, each baseline, this revision and DuckDB in rotating order, side by side in one run.\n\n", runs)
	fmt.Fprintf(&sb, "| account | items | revision | items/s | time / this revision's | CPU s | peak RSS MiB | its lake |\n")
	fmt.Fprintf(&sb, "|---|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		n := float64(r.items)
		for _, bl := range r.bases {
			same := "same rows, invoices and total"
			for _, l := range bl.lakes {
				if l != r.lake {
					same = fmt.Sprintf("differs: %+v", l)
				}
			}
			fmt.Fprintf(&sb, "| %s | %d | `%s` | %.0f | %.2fx | %.1f | %s | %s |\n", r.size, r.items, bl.rev,
				n/median(bl.wall).Seconds(), median(bl.wall).Seconds()/median(r.ours).Seconds(), median(bl.cpu).Seconds(), mib(median(bl.rss)), same)
		}
		fmt.Fprintf(&sb, "| %s | %d | this revision | %.0f | 1.00x | %.1f | %s | |\n", r.size, r.items,
			n/median(r.ours).Seconds(), median(r.oursCPU).Seconds(), mib(median(r.rss)))
		fmt.Fprintf(&sb, "| %s | %d | DuckDB | %.0f | %.2fx | | | |\n", r.size, r.items, n/median(r.duck).Seconds(), median(r.duck).Seconds()/median(r.ours).Seconds())
	}
	return sb.String()
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func cpuRace(b *testing.B, child string, bases []baseline, sz benchSize, runs int) cpuResult {
	work := b.TempDir()
	pages := filepath.Join(work, "pages")
	sim, err := slsim.New(slsim.Options{Seed: 1, Months: benchMonths, Now: simNow, Scale: sz.scale,
		RateLimit: -1, APIKey: testAPIKey})
	if err != nil {
		b.Fatal(err)
	}
	store, err := newPageStore(pages, sim.Handler())
	if err != nil {
		b.Fatal(err)
	}
	rec := newBenchServer(b, store)
	childRunEnv := func(env []string, url, lake string, flags ...string) proc {
		spec, _ := json.Marshal(exportArgs(lake))
		return runProc(b, child, childEnv(url, append(env, "INVOICELAKE_BENCH_CHILD="+string(spec))...),
			append([]string{"-test.run", "^TestBenchChild$", "-test.count", "1"}, flags...)...)
	}
	// INVOICELAKE_BENCH_ENV: extra environment for this revision's timed
	// runs (space-separated, e.g. "GOGC=200"), for experiments.
	extraEnv := strings.Fields(os.Getenv("INVOICELAKE_BENCH_ENV"))
	childRun := func(url, lake string, flags ...string) proc { return childRunEnv(extraEnv, url, lake, flags...) }
	baseRun := func(bin, url, lake string, flags ...string) proc {
		spec, _ := json.Marshal(exportArgs(lake))
		return runProc(b, bin, childEnv(url, "INVOICELAKE_BENCH_CHILD="+string(spec)),
			append([]string{"-test.run", "^TestBenchChild$", "-test.count", "1"}, flags...)...)
	}
	// Record (untimed): the simulator generates the account once.
	t0 := time.Now()
	childRun(rec.URL+"/rest/v3.1/", filepath.Join(work, "lake-record"))
	jsonBytes, nPages, err := bytesOf(filepath.Join(pages, "items"))
	if err != nil {
		b.Fatal(err)
	}
	for k, bl := range bases {
		// A baseline may ask other URLs (masks change): record them too.
		baseRun(bl.bin, rec.URL+"/rest/v3.1/", filepath.Join(work, fmt.Sprintf("lake-record-base-%d", k)))
	}
	rec.Close()
	if store.err != nil {
		b.Fatal(store.err)
	}
	b.Logf("%s: recorded in %v", sz.name, time.Since(t0).Round(time.Second))
	sim = nil
	replay := store.replay()
	srv := newBenchServer(b, replay)
	defer srv.Close()
	url := srv.URL + "/rest/v3.1/"

	res := cpuResult{size: sz.name, jsonBytes: jsonBytes, pages: nPages}
	for _, bl := range bases {
		res.bases = append(res.bases, baseResult{rev: bl.rev})
	}
	var want lakeCheck
	for i := range runs {
		lake := filepath.Join(work, fmt.Sprintf("lake-%d", i))
		duckOut := filepath.Join(work, fmt.Sprintf("duck-%d", i))
		var p proc
		var d time.Duration
		var prof []string
		if dir := os.Getenv("INVOICELAKE_BENCH_PROFILE"); dir != "" && i == 0 {
			// Profiles of the first run; they cost time, so that run is
			// slower than the others.
			prof = []string{"-test.cpuprofile", filepath.Join(dir, sz.name+".cpu.pprof"),
				"-test.memprofile", filepath.Join(dir, sz.name+".mem.pprof"), "-test.memprofilerate", "524288"}
		}
		var served time.Duration // the replay server's CPU (this process) while ours ran
		ours := func() {
			runtime.GC()
			before := selfCPU()
			p = childRun(url, lake, prof...)
			served = selfCPU() - before
		}
		duck := func() {
			runtime.GC()
			if d, err = duckConvert(pages, duckOut, "zstd"); err != nil {
				b.Fatal(err)
			}
		}
		steps := []func(){ours, duck}
		for k, bl := range bases {
			steps = append(steps, func() {
				runtime.GC()
				var bprof []string
				if dir := os.Getenv("INVOICELAKE_BENCH_PROFILE"); dir != "" && i == 0 {
					bprof = []string{"-test.cpuprofile", filepath.Join(dir, fmt.Sprintf("%s.baseline-%d.cpu.pprof", sz.name, k))}
				}
				blake := filepath.Join(work, fmt.Sprintf("lake-base-%d-%d", k, i))
				bp := baseRun(bl.bin, url, blake, bprof...)
				l, err := readLakeCheck(blake)
				if err != nil {
					b.Fatal(err)
				}
				os.RemoveAll(blake)
				br := &res.bases[k]
				br.wall, br.cpu, br.rss, br.lakes = append(br.wall, bp.wall), append(br.cpu, bp.cpu), append(br.rss, bp.maxRSS), append(br.lakes, l)
				b.Logf("%s run %d: %s %v (cpu %v, max RSS %.1f MiB), lake %+v", sz.name, i, bl.rev, bp.wall.Round(time.Millisecond),
					bp.cpu.Round(time.Millisecond), float64(bp.maxRSS)/(1<<20), l)
			})
		}
		// Rotate who goes first, so that no one always runs on a warm or
		// a cold machine.
		for k := range steps {
			steps[(i+k)%len(steps)]()
		}
		if n := replay.misses.Load(); n > 0 {
			b.Logf("replay: %d requests were not recorded and were served by the simulator (its CPU is in invoicelake's time)", n)
		}
		got, err := readLakeCheck(lake)
		if err != nil {
			b.Fatal(err)
		}
		dg, err := readLakeCheck(duckOut)
		if err != nil {
			b.Fatal(err)
		}
		if got != dg {
			b.Fatalf("run %d: invoicelake's lake %+v, DuckDB's %+v: the outputs differ", i, got, dg)
		}
		if i == 0 {
			want = got
			res.lake = got
			res.items, res.invoices, res.maxInvoice = got.Rows, got.Invoices, got.MaxItems
			if res.oursBytes, _, err = bytesOf(filepath.Join(lake, schemas.ItemsTable)); err != nil {
				b.Fatal(err)
			}
			if res.duckZstd, _, err = bytesOf(filepath.Join(duckOut, schemas.ItemsTable)); err != nil {
				b.Fatal(err)
			}
		} else if got != want {
			b.Fatalf("run %d: lake %+v, want %+v as in run 0", i, got, want)
		}
		res.ours = append(res.ours, p.wall)
		res.oursCPU = append(res.oursCPU, p.cpu)
		res.duck = append(res.duck, d)
		res.ratios = append(res.ratios, p.wall.Seconds()/d.Seconds())
		res.rss = append(res.rss, p.maxRSS)
		res.servedCPU = append(res.servedCPU, served)
		b.Logf("%s run %d: invoicelake %v (cpu %v, the replay server's %v, max RSS %.1f MiB), DuckDB %v, ratio %.2f",
			sz.name, i, p.wall.Round(time.Millisecond), p.cpu.Round(time.Millisecond), served.Round(time.Millisecond), float64(p.maxRSS)/(1<<20),
			d.Round(time.Millisecond), p.wall.Seconds()/d.Seconds())
		if i > 0 {
			os.RemoveAll(filepath.Join(work, fmt.Sprintf("lake-%d", i)))
			os.RemoveAll(duckOut)
		}
	}
	// One more run under a soft memory limit (GOMEMLIMIT, which the Go
	// runtime reads): how much of the peak is GC headroom, and its price.
	{
		lake := filepath.Join(work, "lake-memlimit")
		runtime.GC()
		p := childRunEnv([]string{"GOMEMLIMIT=" + benchMemLimit}, url, lake)
		got, err := readLakeCheck(lake)
		if err != nil {
			b.Fatal(err)
		}
		if got != want {
			b.Fatalf("GOMEMLIMIT run: lake %+v, want %+v", got, want)
		}
		res.capWall, res.capRSS = p.wall, p.maxRSS
		b.Logf("%s GOMEMLIMIT=%s: invoicelake %v, max RSS %.1f MiB", sz.name, benchMemLimit, p.wall.Round(time.Millisecond), float64(p.maxRSS)/(1<<20))
		os.RemoveAll(lake)
	}
	// DuckDB with its default compression (Snappy), for size only.
	snappy := filepath.Join(work, "duck-snappy")
	if _, err := duckConvert(pages, snappy, "snappy"); err != nil {
		b.Fatal(err)
	}
	if res.duckSn, _, err = bytesOf(filepath.Join(snappy, schemas.ItemsTable)); err != nil {
		b.Fatal(err)
	}
	if res.query, res.queryRows, err = queryCostByService(filepath.Join(work, "lake-0"), 5); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(res.items), "items")
	b.ReportMetric(float64(res.items)/median(res.ours).Seconds(), "items/s")
	b.ReportMetric(float64(res.items)/median(res.duck).Seconds(), "duckdb-items/s")
	b.ReportMetric(median(res.ratios), "ratio")
	b.ReportMetric(float64(median(res.rss))/(1<<20), "maxRSS-MiB")
	b.ReportMetric(float64(res.oursBytes)/float64(res.items), "bytes/item")
	return res
}

func newBenchServer(b *testing.B, h http.Handler) *httptest.Server {
	b.Helper()
	return httptest.NewServer(h)
}

func mib(n int64) string { return fmt.Sprintf("%.0f", float64(n)/(1<<20)) }

func renderCPU(rs []cpuResult, runs int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s\n\n", machine())
	fmt.Fprintf(&sb, "Medians of %d runs per size (5M: as configured), invoicelake and DuckDB alternating, side by side in one run.\n\n", runs)
	fmt.Fprintf(&sb, "| account | items | invoices | biggest invoice (items) | JSON pages | invoicelake items/s | DuckDB items/s | time ratio invoicelake/DuckDB | invoicelake CPU s | replay server CPU s | invoicelake peak RSS MiB (min–max) |\n")
	fmt.Fprintf(&sb, "|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		lo, hi := slicesMinMax(r.rss)
		fmt.Fprintf(&sb, "| %s | %d | %d | %d | %d (%s MiB) | %.0f | %.0f | **%.2f** (%s) | %.1f | %.1f | **%s** (%s–%s) |\n",
			r.size, r.items, r.invoices, r.maxInvoice, r.pages, mib(r.jsonBytes),
			float64(r.items)/median(r.ours).Seconds(), float64(r.items)/median(r.duck).Seconds(),
			median(r.ratios), ratiosList(r.ratios), median(r.oursCPU).Seconds(), median(r.servedCPU).Seconds(), mib(median(r.rss)), mib(lo), mib(hi))
	}
	fmt.Fprintf(&sb, "\nOne more run per size with `GOMEMLIMIT=%s` in the environment (a soft limit the Go runtime honours):\n\n", benchMemLimit)
	fmt.Fprintf(&sb, "| account | peak RSS MiB, default | peak RSS MiB, GOMEMLIMIT=%s | its time against the default runs' median |\n", benchMemLimit)
	fmt.Fprintf(&sb, "|---|---|---|---|\n")
	for _, r := range rs {
		fmt.Fprintf(&sb, "| %s | %s | %s | %.2fx |\n", r.size, mib(median(r.rss)), mib(r.capRSS), r.capWall.Seconds()/median(r.ours).Seconds())
	}
	fmt.Fprintf(&sb, "\nOutput size and query time (the lake of the first run):\n\n")
	fmt.Fprintf(&sb, "| account | invoice_items bytes/item: invoicelake (zstd) | DuckDB zstd | DuckDB default (Snappy) | `SELECT * FROM cost_by_service_month` (DuckDB, median of 5 warm) | result rows |\n")
	fmt.Fprintf(&sb, "|---|---|---|---|---|---|\n")
	for _, r := range rs {
		n := float64(r.items)
		fmt.Fprintf(&sb, "| %s | %.1f | %.1f | %.1f | %.0f ms | %d |\n", r.size, float64(r.oursBytes)/n,
			float64(r.duckZstd)/n, float64(r.duckSn)/n, float64(median(r.query).Microseconds())/1000, r.queryRows)
	}
	return sb.String()
}

func ratiosList(xs []float64) string {
	var s []string
	for _, x := range xs {
		s = append(s, fmt.Sprintf("%.2f", x))
	}
	return strings.Join(s, ", ")
}

func slicesMinMax(xs []int64) (int64, int64) {
	if len(xs) == 0 {
		return 0, 0
	}
	lo, hi := xs[0], xs[0]
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}

// machine describes where the figures were measured.
func machine() string {
	model := "?"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if m := regexp.MustCompile(`(?m)^model name\s*:\s*(.+)$`).FindSubmatch(data); m != nil {
			model = strings.TrimSpace(string(m[1]))
		}
	}
	return fmt.Sprintf("Measured %s on %d CPUs (%s), %s, DuckDB %s (duckdb-go, in-process, all cores), shared machine.",
		time.Now().UTC().Format("2006-01-02"), runtime.NumCPU(), model, runtime.Version(), duckVersion())
}

// writeDoc replaces the text between "<!-- generated: NAME -->" and
// "<!-- end generated: NAME -->" in INVOICELAKE_BENCH_DOC, if set.
func writeDoc(b *testing.B, name, body string) {
	b.Helper()
	b.Logf("%s figures:\n%s", name, body)
	if b.Failed() {
		return
	}
	path := os.Getenv("INVOICELAKE_BENCH_DOC")
	if path == "" {
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	begin, end := "<!-- generated: "+name+" -->\n", "<!-- end generated: "+name+" -->"
	i, j := bytes.Index(data, []byte(begin)), bytes.Index(data, []byte(end))
	if i < 0 || j < i {
		b.Fatalf("%s: markers %q ... %q not found", path, strings.TrimSpace(begin), end)
	}
	out := append([]byte{}, data[:i+len(begin)]...)
	out = append(out, body...)
	out = append(out, data[j:]...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		b.Fatal(err)
	}
}

// apiResult is one run of the API-bound path.
type apiResult struct {
	concurrency               int
	adaptive                  bool // default page sizes (growth on), else max_page_size 2
	invoices, items, calls    int64
	minCalls                  int64
	rateLimited               int64
	maxPerSecond              int
	wall                      time.Duration
	maxRSS                    int64
	slcliInvoices, slcliCalls int64
	slcliWall                 time.Duration
}

// BenchmarkPipelineAPI runs the shipped static binary (`invoicelake export`
// into a local lake) against the simulator with 150 ms ± 50 ms latency and
// the API's 50/s limit, at the default rate (40/s), then slcli on the first
// invoices of the same account, side by side.
func BenchmarkPipelineAPI(b *testing.B) {
	benchEnabled(b)
	bin := buildStatic(b)
	srv, err := slsim.Start(slsim.Options{Seed: 1, Months: 12, Now: simNow, Scale: 10,
		Latency: 150 * time.Millisecond, Jitter: 50 * time.Millisecond, RateLimit: 50, APIKey: testAPIKey})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	sim := srv.Sim()
	from, to := schemas.PeriodOf(simNow).AddMonths(-13), schemas.PeriodOf(simNow)
	var results []apiResult
	var ids []int64
	for _, mode := range []struct {
		conc     int
		adaptive bool
	}{{4, false}, {16, false}, {4, true}} {
		conc := mode.conc
		name := fmt.Sprintf("concurrency=%d", conc)
		if mode.adaptive {
			name += "/adaptive"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				dir := b.TempDir()
				cfg := filepath.Join(dir, "invoicelake.yaml")
				// Growth off: these rows measure the limit and the rate at
				// today's page sizes (see pagingRace for growth); the last
				// row is the default settings, what slcli is compared with.
				yaml := fmt.Sprintf("source:\n  concurrency: %d\n", conc)
				if !mode.adaptive {
					yaml += "  max_page_size: 2\n"
				}
				if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
					b.Fatal(err)
				}
				lake := filepath.Join(dir, "lake")
				sim.ResetStats()
				p := runProc(b, bin, childEnv(srv.URL()), "export", "--config", cfg, "--out", lake,
					"--from", from.String(), "--to", to.String(), "--log-format", "json", "--log-level", "warn")
				st := sim.Stats()
				r := apiResult{concurrency: conc, adaptive: mode.adaptive, calls: st.Total, rateLimited: st.RateLimited,
					maxPerSecond: st.MaxPerSecond, wall: p.wall, maxRSS: p.maxRSS}
				var err error
				r.invoices, r.items, r.minCalls, ids, err = lakeCalls(lake)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(r.calls)/p.wall.Seconds()/40, "rate-fraction")
				b.ReportMetric(float64(r.calls)/float64(r.minCalls), "calls/min")
				b.ReportMetric(p.wall.Seconds(), "wall-s")
				b.Logf("concurrency %d: %d invoices, %d items, %d calls (min %d), %v, %d rate-limited, server max %d/s, by method %v",
					conc, r.invoices, r.items, r.calls, r.minCalls, p.wall.Round(time.Millisecond), r.rateLimited, r.maxPerSecond, st.Requests)
				results = append(results, r)
			}
		})
	}
	if slcli, err := exec.LookPath("slcli"); err != nil || len(results) == 0 {
		b.Logf("slcli not installed: no side-by-side figure")
	} else {
		n := min(benchEnvInt("INVOICELAKE_BENCH_SLCLI", 20), len(ids))
		conf := filepath.Join(b.TempDir(), "sim.conf")
		if err := os.WriteFile(conf, []byte(fmt.Sprintf("[softlayer]\nusername = %s\napi_key = %s\nendpoint_url = %s\ntimeout = 60\n",
			slsim.DefaultUser, testAPIKey, srv.URL())), 0o600); err != nil {
			b.Fatal(err)
		}
		env := []string{"HOME=" + b.TempDir(), "PATH=" + os.Getenv("PATH")}
		sim.ResetStats()
		start := time.Now()
		for _, id := range ids[:n] {
			runProc(b, slcli, env, "-C", conf, "--format", "json", "account", "invoice-detail", strconv.FormatInt(id, 10), "--details")
		}
		r := &results[len(results)-1] // the default settings
		r.slcliWall, r.slcliInvoices, r.slcliCalls = time.Since(start), int64(n), sim.Stats().Total
	}
	writeDoc(b, "api", renderAPI(results))
	srv.Close()
	pagingRace(b, bin)
}

// lakeCalls reads a lake's invoices and returns the invoice and item
// counts, the minimum number of API calls that could have read them
// (Σ per period ceil(invoices/50) + Σ per invoice max(1, ceil(items/100)),
// nothing for a CLOSED invoice with itemCount 0) and the invoice ids by id.
func lakeCalls(lake string) (invoices, items, minCalls int64, ids []int64, err error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return 0, 0, 0, nil, err
	}
	defer db.Close()
	inv := filepath.Join(lake, schemas.InvoicesTable, "*", "*", "*.parquet")
	err = db.QueryRow(fmt.Sprintf(`SELECT count(*), sum(item_rows),
  sum(CASE WHEN status_code = 'CLOSED' AND item_count = 0 THEN 0 ELSE greatest(1, ceil(item_rows / 100)) END)::BIGINT
  + (SELECT sum(ceil(n / 50))::BIGINT FROM (SELECT count(*) AS n FROM read_parquet('%s', hive_partitioning = true) GROUP BY billing_period))
FROM read_parquet('%s')`, inv, inv)).Scan(&invoices, &items, &minCalls)
	if err != nil {
		return 0, 0, 0, nil, err
	}
	rows, err := db.Query(fmt.Sprintf(`SELECT invoice_id FROM read_parquet('%s') ORDER BY 1`, inv))
	if err != nil {
		return 0, 0, 0, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return 0, 0, 0, nil, err
		}
		ids = append(ids, id)
	}
	return invoices, items, minCalls, ids, rows.Err()
}

func renderAPI(rs []apiResult) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s\n\n", machine())
	fmt.Fprintf(&sb, "Simulator: seed 1, 12 months, scale 10, latency 150 ms ± 50 ms, limit 50 requests/s. "+
		"`invoicelake export` (static binary) into a local lake, default settings (rate 40/s) but `source.concurrency`, "+
		"pages of 50 invoices and 100 items (`max_page_size: 2`: growth off; see the next table for growth) but in the last row, "+
		"which has every default (pages grow). The minimum counts pages of 50 invoices and 100 items.\n\n")
	fmt.Fprintf(&sb, "| source.concurrency | pages | invoices | items | API calls | calls / minimum | sustained rate | rate / configured 40/s | rate-limited answers | server's busiest 1 s | wall time | peak RSS MiB |\n")
	fmt.Fprintf(&sb, "|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		rate := float64(r.calls) / r.wall.Seconds()
		pages := "fixed 50/100"
		if r.adaptive {
			pages = "adaptive (default)"
		}
		fmt.Fprintf(&sb, "| %d | %s | %d | %d | %d | **%.3fx** | %.1f req/s | **%.1f %%** | %d | %d | %.1f s | %s |\n",
			r.concurrency, pages, r.invoices, r.items, r.calls, float64(r.calls)/float64(r.minCalls), rate, rate/40*100,
			r.rateLimited, r.maxPerSecond, r.wall.Seconds(), mib(r.maxRSS))
	}
	if len(rs) > 0 && rs[len(rs)-1].slcliInvoices > 0 {
		r := rs[len(rs)-1]
		per := r.slcliWall.Seconds() / float64(r.slcliInvoices)
		fmt.Fprintf(&sb, "\nslcli side by side (same simulator, `slcli --format json account invoice-detail ID --details`, one process per invoice, "+
			"the first %d invoices by id): %d calls, %.1f s, **%.2f s per invoice**; invoicelake (default settings, concurrency %d): %.3f s per invoice "+
			"over all %d. At slcli's pace the whole window would take about %.0f s (**%.0fx** invoicelake's wall time).\n",
			r.slcliInvoices, r.slcliCalls, r.slcliWall.Seconds(), per, r.concurrency, r.wall.Seconds()/float64(r.invoices), r.invoices,
			per*float64(r.invoices), per*float64(r.invoices)/r.wall.Seconds())
	}
	return sb.String()
}
