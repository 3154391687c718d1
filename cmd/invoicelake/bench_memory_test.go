//go:build cgo

// The memory benchmark (issue 17, point 3): peak RSS of `invoicelake
// export` against the size of the biggest invoice. It skips unless
// INVOICELAKE_BENCH=1 and, with INVOICELAKE_BENCH_DOC set, rewrites the
// "memory" section of docs/BENCHMARKS.md.
//
//	INVOICELAKE_BENCH=1 INVOICELAKE_BENCH_BEFORE=54481e2 go test -run '^$' -bench PipelineMemory -benchtime 1x -timeout 60m ./cmd/invoicelake/
//
// Knobs: INVOICELAKE_BENCH_HEAVY (default "100k,1M"; "2M" too), and
// INVOICELAKE_BENCH_BEFORE, a git revision whose static binary is measured
// beside this tree's (built from `git archive`).
package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/invoicelake/invoicelake/extract/slsim"
	"github.com/invoicelake/invoicelake/schemas"
)

// heavySizes are the biggest invoice's sizes: the simulator's
// HeavyInvoiceItems, leaving room for the ordinary items of its month
// under the client's cap of 1,000,000 items per invoice
// (extract.DefaultMaxListRows). Above the cap the shipped binary refuses
// the invoice, so every size also runs in the CGO_ENABLED=0 test binary
// with the cap lifted (TestBenchChild), the same code otherwise: that
// column compares 2M with the others.
var heavySizes = map[string]int{"100k": 99_900, "1M": 999_900, "2M": 1_999_900}

// memResult is one export.
type memResult struct {
	size, build string
	heavy       lakeCheck
	digest      string
	wall        time.Duration
	rss         int64
}

// BenchmarkPipelineMemory exports a 3-month simulated account whose middle
// month has one heavy invoice, with the shipped static binary (and, with
// INVOICELAKE_BENCH_BEFORE, the one of an earlier revision), at the
// API's 50 requests/s with 1,000-item pages, and reads the child's peak RSS
// (VmHWM, see runProc). Both builds must write the same rows (a digest
// of every item row's hierarchy and amount columns).
func BenchmarkPipelineMemory(b *testing.B) {
	benchEnabled(b)
	builds := []struct{ name, bin string }{}
	if rev := os.Getenv("INVOICELAKE_BENCH_BEFORE"); rev != "" {
		builds = append(builds, struct{ name, bin string }{"before (" + rev + ")", buildRev(b, rev)})
	}
	builds = append(builds, struct{ name, bin string }{"after", buildStatic(b)},
		struct{ name, bin string }{"after, test binary (cap lifted)", buildBenchChild(b)})
	var results []memResult
	for _, name := range strings.Split(envOr("INVOICELAKE_BENCH_HEAVY", "100k,1M"), ",") {
		heavy, ok := heavySizes[name]
		if !ok {
			b.Fatalf("INVOICELAKE_BENCH_HEAVY: unknown size %q (100k, 1M, 2M)", name)
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				srv, err := slsim.Start(slsim.Options{Seed: 1, Months: 3, Now: simNow, Scale: 0.2,
					HeavyInvoiceItems: heavy, RateLimit: -1, APIKey: testAPIKey})
				if err != nil {
					b.Fatal(err)
				}
				defer srv.Close()
				dir := b.TempDir()
				cfg := filepath.Join(dir, "invoicelake.yaml")
				if err := os.WriteFile(cfg, []byte("source:\n  item_page_size: 1000\n  rate_per_second: 50\n"), 0o600); err != nil {
					b.Fatal(err)
				}
				from, to := schemas.PeriodOf(simNow).AddMonths(-4).String(), schemas.PeriodOf(simNow).String()
				var want string
				for k, bd := range builds {
					lake := filepath.Join(dir, fmt.Sprintf("lake-%d", k))
					args := []string{"export", "--config", cfg, "--out", lake, "--from", from, "--to", to,
						"--log-format", "json", "--log-level", "warn"}
					var p proc
					switch {
					case k == len(builds)-1:
						p = runProc(b, bd.bin, childEnv(srv.URL(), "INVOICELAKE_BENCH_LIFT_CAPS=1",
							"INVOICELAKE_BENCH_CHILD="+jsonArgs(args)), "-test.run", "^TestBenchChild$", "-test.count", "1")
					case heavy >= 1_000_000:
						continue // the shipped binaries refuse the invoice
					default:
						p = runProc(b, bd.bin, childEnv(srv.URL()), args...)
					}
					c, err := readLakeCheck(lake)
					if err != nil {
						b.Fatal(err)
					}
					d, err := itemRowsDigest(lake)
					if err != nil {
						b.Fatal(err)
					}
					if want == "" {
						want = d
					} else if d != want {
						b.Fatalf("%s: %s wrote rows with digest %s, the first build %s", name, bd.name, d, want)
					}
					results = append(results, memResult{size: name, build: bd.name, heavy: c, digest: d, wall: p.wall, rss: p.maxRSS})
					b.Logf("%s %s: biggest invoice %d items, %d rows, %v, peak RSS %.1f MiB", name, bd.name, c.MaxItems, c.Rows,
						p.wall.Round(time.Millisecond), float64(p.maxRSS)/(1<<20))
					b.ReportMetric(float64(p.maxRSS)/(1<<20), "maxRSS-MiB-"+strings.Fields(bd.name)[0])
					os.RemoveAll(lake)
				}
			}
		})
	}
	writeDoc(b, "memory", renderMemory(results))
}

// revSource extracts revision rev of this repository into a temporary
// folder (git archive: the repository's worktrees are not touched).
func revSource(b *testing.B, rev string) string {
	b.Helper()
	src := b.TempDir()
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		b.Fatalf("git rev-parse: %v", err)
	}
	arch := exec.Command("sh", "-c", fmt.Sprintf("git -C %q archive %q | tar -x -C %q", strings.TrimSpace(string(top)), rev, src))
	if out, err := arch.CombinedOutput(); err != nil {
		b.Fatalf("git archive %s: %v\n%s", rev, err, out)
	}
	return src
}

// buildRev builds the static binary of revision rev of this repository.
func buildRev(b *testing.B, rev string) string {
	b.Helper()
	src := revSource(b, rev)
	bin := filepath.Join(b.TempDir(), "invoicelake-"+strings.ReplaceAll(rev, "/", "-"))
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/invoicelake")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build %s: %v\n%s", rev, err, out)
	}
	return bin
}

func jsonArgs(args []string) string {
	data, _ := json.Marshal(args) // a []string always marshals
	return string(data)
}

// itemRowsDigest sums a hash of every item row's hierarchy, resource and
// amount columns: two lakes with the same digest have the same rows there.
func itemRowsDigest(dir string) (string, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return "", err
	}
	defer db.Close()
	items := filepath.Join(dir, schemas.ItemsTable, "*", "*", "*.parquet")
	var d string
	err = db.QueryRow(fmt.Sprintf(`SELECT CAST(sum(hash(invoice_id, item_id, parent_item_id, top_level_item_id, depth,
  rollup_item_id, resource_service, resource_id, service_name, total_amount, charge_category, charge_frequency)::HUGEINT) AS VARCHAR)
FROM read_parquet('%s')`, items)).Scan(&d)
	return d, err
}

func renderMemory(rs []memResult) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s\n\n", machine())
	fmt.Fprintf(&sb, "Simulator: seed 1, 3 months, scale 0.2, the middle month with one heavy invoice. `invoicelake export` into a local lake, "+
		"`item_page_size: 1000`, 50 requests/s, default memory settings (no GOMEMLIMIT in the environment). One run each.\n\n")
	fmt.Fprintf(&sb, "| biggest invoice (items) | item rows | build | peak RSS MiB | wall time |\n")
	fmt.Fprintf(&sb, "|---|---|---|---|---|\n")
	for _, r := range rs {
		fmt.Fprintf(&sb, "| %d | %d | %s | **%s** | %.1f s |\n", r.heavy.MaxItems, r.heavy.Rows, r.build, mib(r.rss), r.wall.Seconds())
	}
	return sb.String()
}
