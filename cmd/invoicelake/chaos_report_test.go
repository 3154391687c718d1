//go:build cgo

package main

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/invoicelake/invoicelake/extract/slsim"
	"github.com/invoicelake/invoicelake/load"
	"github.com/invoicelake/invoicelake/schemas"
)

// runResult is one faulty run followed by its rerun.
type runResult struct {
	faultyExit, rerunExit int // -9: killed with SIGKILL
	retries               int64
	faultsServed          map[string]int64
	duplicates            int64 // rows beyond the first of an item_id or invoice_id in a period
	strays                int   // objects no manifest lists, staging leftovers, temp files
	secrets               int   // occurrences of a secret in the logs or the lake
	problems              []string
	note                  string
	logs                  string
	// The rerun after a SIGKILL: its wall time and how long it waited for
	// the dead run's lock (its summary's lock_wait).
	rerunWall, lockWait time.Duration
}

func (r *runResult) problem(format string, args ...any) {
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

func (r *runResult) converged() bool {
	return len(r.problems) == 0 && r.duplicates == 0 && r.strays == 0 && r.secrets == 0
}

// finish fails the test on a run that did not converge.
func (r *runResult) finish(t *testing.T) {
	t.Helper()
	if r.strays > 0 {
		r.problem("%d stray objects", r.strays)
	}
	if r.secrets > 0 {
		r.problem("a secret appears %d times in the logs or the lake", r.secrets)
	}
	for _, p := range r.problems {
		t.Error(p)
	}
	r.logs = "" // the report keeps figures, not logs
}

// checkPublishedComplete checks that every period the lake publishes is
// complete: its manifest's files exist and match their checksums and sums.
func (r *runResult) checkPublishedComplete(t *testing.T, dir string) {
	t.Helper()
	b, err := load.NewFileBucket(dir)
	if err != nil {
		t.Fatal(err)
	}
	lake := onlyAccount(t, b)
	periods, err := lake.Periods(t.Context())
	if err != nil {
		r.problem("list published periods: %v", err)
		return
	}
	for _, p := range periods {
		if _, err := lake.Summarize(t.Context(), p); err != nil {
			r.problem("published period %s is not complete: %v", p, err)
		}
	}
}

// compare checks the lake in dir against the truth's periods in [from, to]
// with DuckDB, counting duplicates.
func (r *runResult) compare(t *testing.T, dir string, truth slsim.Truth, from, to, when string) {
	t.Helper()
	got := duckPeriods(t, dir)
	want := periodsOf(truth)
	for p, w := range want {
		if p < from || p > to {
			continue
		}
		g, ok := got[p]
		if !ok {
			r.problem("%s: period %s missing from the lake", when, p)
			continue
		}
		r.duplicates += (g.Items - g.DistinctItems) + (g.Invoices - g.DistinctInvoices)
		if !g.matches(w) {
			r.problem("%s: period %s: got %+v, want %+v", when, p, g, w)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok && p >= from && p <= to {
			r.problem("%s: period %s in the lake but not in the truth", when, p)
		}
	}
}

// periodCounts is one period as DuckDB reads it (or as the truth has it).
type periodCounts struct {
	Invoices, DistinctInvoices, Items, DistinctItems int64
	InvoiceTotal, ItemsTotal                         string
}

// matches compares counts exactly and amounts as exact decimals.
func (g periodCounts) matches(w periodCounts) bool {
	if g.Invoices != w.Invoices || g.Items != w.Items || g.DistinctItems != g.Items || g.DistinctInvoices != g.Invoices {
		return false
	}
	return sameAmount(g.InvoiceTotal, w.InvoiceTotal) && sameAmount(g.ItemsTotal, w.ItemsTotal)
}

func sameAmount(a, b string) bool {
	if a == "" {
		a = "0"
	}
	if b == "" {
		b = "0"
	}
	x, err1 := schemas.ParseDecimal(a)
	y, err2 := schemas.ParseDecimal(b)
	return err1 == nil && err2 == nil && x == y
}

func periodsOf(truth slsim.Truth) map[string]periodCounts {
	out := map[string]periodCounts{}
	for _, p := range truth.Periods {
		out[p.Period] = periodCounts{Invoices: p.Invoices, DistinctInvoices: p.Invoices, Items: p.Items, DistinctItems: p.Items,
			InvoiceTotal: p.InvoiceTotalAmount, ItemsTotal: p.ItemsAmount}
	}
	return out
}

// duckPeriods reads a local lake with a real DuckDB through the views
// invoicelake generates, every account together. An empty lake reads as
// no period.
func duckPeriods(t *testing.T, dir string) map[string]periodCounts {
	return duckAccountPeriods(t, dir, 0)
}

// duckAccountPeriods is duckPeriods for one account (0: all of them).
func duckAccountPeriods(t *testing.T, dir string, account int64) map[string]periodCounts {
	t.Helper()
	out := map[string]periodCounts{}
	where := ""
	if account != 0 {
		where = fmt.Sprintf(" WHERE account_id = %d", account)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, schemas.InvoicesTable, "*", "*", "*.parquet")); len(m) == 0 {
		return out
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ddl, err := schemas.DuckDBDDL(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ddl); err != nil {
		t.Fatalf("DuckDB DDL: %v", err)
	}
	rows, err := db.Query(`SELECT billing_period, count(*), count(DISTINCT invoice_id), coalesce(sum(invoice_total_amount), 0)::VARCHAR FROM invoices` + where + ` GROUP BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var p string
		var c periodCounts
		if err := rows.Scan(&p, &c.Invoices, &c.DistinctInvoices, &c.InvoiceTotal); err != nil {
			t.Fatal(err)
		}
		c.ItemsTotal = "0"
		out[p] = c
	}
	rows.Close()
	if m, _ := filepath.Glob(filepath.Join(dir, schemas.ItemsTable, "*", "*", "*.parquet")); len(m) == 0 {
		return out
	}
	rows, err = db.Query(`SELECT billing_period, count(*), count(DISTINCT item_id), coalesce(sum(total_amount), 0)::VARCHAR FROM invoice_items` + where + ` GROUP BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var p string
		var items, distinct int64
		var total string
		if err := rows.Scan(&p, &items, &distinct, &total); err != nil {
			t.Fatal(err)
		}
		c := out[p]
		c.Items, c.DistinctItems, c.ItemsTotal = items, distinct, total
		out[p] = c
	}
	return out
}

// localStrays lists what a local lake holds that it should not after a
// successful run: objects in table folders no manifest lists, staging
// objects, files being written.
func localStrays(t *testing.T, dir string) []string {
	t.Helper()
	var objs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		objs = append(objs, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return strays(t, objs, dir)
}

// strays returns the objects (keys relative to the lake) that a lake should
// not hold after a successful run; dir holds the lake's manifests.
func strays(t *testing.T, objects []string, dir string) []string {
	t.Helper()
	b, err := load.NewFileBucket(dir)
	if err != nil {
		t.Fatal(err)
	}
	accts, _, err := load.Accounts(t.Context(), b)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, a := range accts {
		lake := load.NewLake(b, load.Options{Account: a})
		periods, err := lake.Periods(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range periods {
			m, ok, err := lake.Manifest(t.Context(), p)
			if err != nil || !ok {
				t.Fatalf("manifest %s: %v %v", p, ok, err)
			}
			for _, f := range m.Files() {
				listed[f.Key] = true
			}
		}
	}
	var out []string
	for _, k := range objects {
		inTable := strings.HasPrefix(k, schemas.InvoicesTable+"/") || strings.HasPrefix(k, schemas.ItemsTable+"/")
		switch {
		case inTable && !listed[k],
			strings.HasPrefix(k, load.StagingDir+"/"),
			strings.HasPrefix(k, ".invoicelake-tmp/"):
			out = append(out, k)
		}
	}
	return out
}

// secretHits counts the occurrences of the secrets in the logs and in every
// file under dir.
func secretHits(logs, dir string, secrets ...string) int {
	n := 0
	for _, s := range secrets {
		n += strings.Count(logs, s)
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		for _, s := range secrets {
			n += bytes.Count(b, []byte(s))
		}
		return nil
	})
	return n
}

// summaryRetries reads api_retries from the JSON "run summary" log line; -1
// when there is none (the run died first).
func summaryRetries(stderr string) int64 {
	sc := bufio.NewScanner(strings.NewReader(stderr))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l struct {
			Msg     string `json:"msg"`
			Retries *int64 `json:"api_retries"`
		}
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "run summary" && l.Retries != nil {
			return *l.Retries
		}
	}
	return -1
}

// summaryLockWait reads lock_wait from the JSON "run summary" log line; -1
// when there is none.
func summaryLockWait(stderr string) time.Duration {
	sc := bufio.NewScanner(strings.NewReader(stderr))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l struct {
			Msg      string `json:"msg"`
			LockWait string `json:"lock_wait"`
		}
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "run summary" {
			if d, err := time.ParseDuration(l.LockWait); err == nil {
				return d
			}
		}
	}
	return -1
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}

// chaosReport collects the rows of docs/RELIABILITY.md. Safe for concurrent use.
type chaosReport struct {
	mu   sync.Mutex
	rows []*chaosRow
	// The rerun lane: a full export's duration and the lock lease the
	// SIGKILL runs used; the operator mistakes held and tried.
	fullExport time.Duration
	lease      string
	operator   [2]int
}

type chaosRow struct {
	group, fault, rate string
	mu                 sync.Mutex
	runs               []runResult
}

func newChaosReport() *chaosReport { return &chaosReport{} }

func (r *chaosReport) row(group, fault, rate string) *chaosRow {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, row := range r.rows {
		if row.group == group && row.fault == fault && row.rate == rate {
			return row
		}
	}
	row := &chaosRow{group: group, fault: fault, rate: rate}
	r.rows = append(r.rows, row)
	return row
}

func (row *chaosRow) add(res runResult) {
	row.mu.Lock()
	defer row.mu.Unlock()
	row.runs = append(row.runs, res)
}

// exits renders a multiset of exit codes: "0×2, 1×1".
func exits(codes []int) string {
	count := map[int]int{}
	for _, c := range codes {
		count[c]++
	}
	var parts []string
	for _, c := range slices.Sorted(maps.Keys(count)) {
		name := fmt.Sprint(c)
		if c == -9 {
			name = "SIGKILL"
		}
		parts = append(parts, fmt.Sprintf("%s×%d", name, count[c]))
	}
	return strings.Join(parts, ", ")
}

func (r *chaosReport) markdown(took time.Duration) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	b.WriteString("# Reliability\n\n")
	b.WriteString("Generated by `make chaos` (`INVOICELAKE_CHAOS=1 go test -run '^TestChaos$' ./cmd/invoicelake`,\n")
	b.WriteString("cmd/invoicelake/chaos_test.go). Do not edit by hand: rerun it.\n\n")
	fmt.Fprintf(&b, "- date: %s; harness wall time %s\n", time.Now().UTC().Format(time.RFC3339), took.Round(time.Second))
	fmt.Fprintf(&b, "- machine: %s, %d CPUs (%s/%s), %s\n", cpuModel(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	if rev, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		fmt.Fprintf(&b, "- commit: %s\n", strings.TrimSpace(string(rev)))
	}
	b.WriteString(`
Every run below is a **faulty run** followed by a **clean rerun**:

- API faults: the faulty run exports a 4-month account (a 1,200-item invoice, one deliberately
  unreconciled invoice) from a simulator serving the fault, into a local folder lake; the rerun
  exports the same window from a clean twin simulator (same seed and clock: the same account byte
  for byte, checked). Client: ` + "`timeout: 1s`, `max_attempts: 8`, `max_retry_time: 1m`" + `, rate 40/s.
- S3 outage: versitygw is stopped in the middle of an export that replaces a published lake, then
  restarted; the rerun runs against the same simulator.
- SIGKILL: the static binary exports into versitygw and is killed at a random instant of its run
  (uniform over the duration of a full export); the rerun takes the dead run's lock over at once
  (its process is gone: see "Rerun after a SIGKILL").

**Converged** means all of: the faulty run exited 0 or 1 (exit 2 under a transient fault is a bug;
killed runs have no exit code), and if it exited 0 the lake already equalled the truth; every period
published after the faulty run was complete (manifest files present, checksums and sums match);
after an S3 outage each period was its previous version or its new one, never a mix; the rerun
exited 0; DuckDB reading the lake through the generated views equals the simulator's ground truth
per period (invoice and item counts, Σ invoice_total_amount and Σ total_amount exactly);
count(*) = count(DISTINCT item_id) and count(DISTINCT invoice_id) per period; no stray object (a
table-folder object no manifest lists, a staging object, a temporary file); and neither the SoftLayer
API key nor the AWS secret key appears in any log line (debug level, both runs) or any file of the
lake.

Reading the table: a faulty run that exits 1 is a correct outcome (a transient failure the Job
retries), as long as the lake keeps complete periods and the rerun converges. The rate-limit storms
end the faulty run with exit 1: bursts are queued in the simulator (InjectFault) and the next burst
starts 300 ms–1 s after the last one drained, so a request retried alone (exponential backoff,
8 attempts) meets a fresh burst on each attempt and gives up; that is the designed bound, and the
storm is harsher than a time-window storm. An S3 outage stops versitygw after the run's first or
second period was republished (manifests are rewritten for every period; unchanged data files are
not re-uploaded) or at a random instant. SIGKILL rows with exit 0 are runs that finished before
their random instant.

**Retries** are the faulty run's ` + "`api_retries`" + ` from its summary line (min–max, total), for
killed runs those of the rerun. **Faults served** are counted by the simulator.

| group | fault | rate / setting | runs | converged | faulty-run exits | rerun exits | retries min–max (total) | faults served | duplicates | strays | secrets in logs/lake |
|---|---|---|---|---|---|---|---|---|---|---|---|
`)
	totalRuns, totalOK := 0, 0
	var failures []string
	for _, row := range r.rows {
		row.mu.Lock()
		var fe, re []int
		ok := 0
		var dups int64
		strays, secrets := 0, 0
		minR, maxR, sumR := int64(-1), int64(-1), int64(0)
		served := map[string]int64{}
		for i, res := range row.runs {
			fe = append(fe, res.faultyExit)
			re = append(re, res.rerunExit)
			if res.converged() {
				ok++
			} else {
				failures = append(failures, fmt.Sprintf("- %s / %s / %s, run %d: %s", row.group, row.fault, row.rate, i, strings.Join(res.problems, "; ")))
			}
			dups += res.duplicates
			strays += res.strays
			secrets += res.secrets
			if res.retries >= 0 {
				if minR < 0 || res.retries < minR {
					minR = res.retries
				}
				maxR = max(maxR, res.retries)
				sumR += res.retries
			}
			for k, v := range res.faultsServed {
				served[k] += v
			}
		}
		retries := "–"
		if minR >= 0 {
			retries = fmt.Sprintf("%d–%d (%d)", minR, maxR, sumR)
		}
		var sv []string
		for _, k := range slices.Sorted(maps.Keys(served)) {
			sv = append(sv, fmt.Sprintf("%s %d", k, served[k]))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d | **%d/%d** | %s | %s | %s | %s | %d | %d | %d |\n",
			row.group, row.fault, row.rate, len(row.runs), ok, len(row.runs), exits(fe), exits(re), retries,
			strings.Join(sv, ", "), dups, strays, secrets)
		totalRuns += len(row.runs)
		totalOK += ok
		row.mu.Unlock()
	}
	fmt.Fprintf(&b, "\n**Total: %d of %d runs converged exactly.**\n", totalOK, totalRuns)
	if len(failures) > 0 {
		b.WriteString("\n## Runs that did not converge\n\n")
		b.WriteString(strings.Join(failures, "\n"))
		b.WriteString("\n")
	}
	r.rerunSection(&b)
	r.operatorSection(&b)
	b.WriteString(fuzzSection)
	b.WriteString(worstCaseSection) // hostile_api_test.go
	return b.String()
}

// rerunSection times the reruns after a SIGKILL: the same machine, so the
// dead run's lock is taken over at once (its process is gone), whatever
// the lease.
func (r *chaosReport) rerunSection(b *strings.Builder) {
	var walls, waits []time.Duration
	for _, row := range r.rows {
		if row.group != "SIGKILL" {
			continue
		}
		for _, res := range row.runs {
			if res.faultyExit != -9 {
				continue
			}
			walls = append(walls, res.rerunWall)
			if res.lockWait >= 0 {
				waits = append(waits, res.lockWait)
			}
		}
	}
	if len(walls) == 0 {
		return
	}
	q := func(d []time.Duration, f float64) string {
		if len(d) == 0 {
			return "–"
		}
		s := slices.Sorted(slices.Values(d))
		return s[min(len(s)-1, int(f*float64(len(s))))].Round(10 * time.Millisecond).String()
	}
	b.WriteString("\n## Rerun after a SIGKILL\n\n")
	fmt.Fprintf(b, "The rerun lane: each of the %d runs killed mid-way above is rerun at once on the same machine with the\n", len(walls))
	fmt.Fprintf(b, "default lock lease (`lake.lock_lease: %s`). The dead run's lock names its process (host, boot id, PID\n", r.lease)
	b.WriteString("namespace, pid and start time): the rerun sees that the process is gone and takes the lock over at\n")
	b.WriteString("once instead of waiting for the lease. A run killed on another host (another pod) blocks the next one\n")
	fmt.Fprintf(b, "until its lease expires: at most %s, polled every second.\n\n", r.lease)
	b.WriteString("| | median | 90th percentile | max |\n|---|---|---|---|\n")
	fmt.Fprintf(b, "| the rerun's wait for the lock (summary `lock_wait`) | %s | %s | %s |\n", q(waits, 0.5), q(waits, 0.9), q(waits, 1))
	fmt.Fprintf(b, "| the rerun, wall time (a full export: %s) | %s | %s | %s |\n", r.fullExport.Round(10*time.Millisecond), q(walls, 0.5), q(walls, 0.9), q(walls, 1))
}

// operatorSection reports TestOperatorMistakes, run again by the harness,
// and names the other tests of the lake's hostile cases.
func (r *chaosReport) operatorSection(b *strings.Builder) {
	if r.operator[1] == 0 {
		return
	}
	b.WriteString("\n## Operator mistakes and hostile lake states\n\n")
	fmt.Fprintf(b, "**%d of %d** mistakes of `TestOperatorMistakes` held: ", r.operator[0], r.operator[1])
	b.WriteString(`a lake path that is a file or /dev/null, a read-only file
system, ` + "`s3://b/a/../b`, `file://host/x`" + `, the root folder, period 0000-01, windows of 97,200 and 312 periods,
` + "`--rate NaN` and `+Inf`" + `, HTTPS against an HTTP API, credentials in the lake, API and S3 endpoint URLs, verify of
a missing lake, schedules firing every 0s, -5s, 30s or never, a backfill from 1900 or wider than
` + "`lake.max_periods`" + `: each exits 2 with what to do, and no output repeats a secret. ` + "`make test`" + ` also runs
` + "`TestS3Mistakes`" + ` (missing S3 credentials, HTTPS against an HTTP S3 endpoint: exit 2),
` + "`TestUserFilesNeverTouched`" + ` (a folder of the user's is refused; with ` + "`--create-lake`" + ` the user's files, including
ones named like the lake's, survive exports and replacements), ` + "`TestShrinkNeedsEvidence`" + ` (fewer invoices than
published: exit 2, a WARN line, the lake unchanged; ` + "`--allow-shrink`" + ` replaces), ` + "`TestCorruptLakeFiles`" + ` (a
corrupt manifest, lock or state file: exit 2 naming the file and the repair; other periods still export; the
repair converges), and in load, on a folder and on versitygw, ` + "`TestOwnership`, `TestCorruptFilesOfOnePeriod`" + `,
` + "`TestLockTakesOverADeadHolderOfThisHost`, `TestInvalidStringsNeverReachAFile`" + ` and
` + "`TestFooterBoundedWhateverTheStrings`" + ` (an 8 MiB string: footers under 64 KiB, against 16 MiB without
the change).
`)
}

// fuzzSection lists the fuzz targets: every parser of outside input.
const fuzzSection = `
## Fuzzing

Every parser of outside input has a fuzz target. ` + "`make fuzz`" + ` runs each for FUZZTIME (default 20s);
CI (` + "`.ci/run`" + `) runs ` + "`make fuzz FUZZTIME=3s`" + ` after ` + "`make test`" + `, and ` + "`make test`" + ` runs every seed corpus.

| input | target |
|---|---|
| API JSON: invoices, items | extract ` + "`FuzzDecodeInvoices`, `FuzzDecodeItems`" + ` |
| API error bodies (any status, 200 included) | extract ` + "`FuzzDecodeAPIError`" + ` |
| API dates | extract ` + "`FuzzParseTime`" + ` |
| simulator: routing, query decoding, masks, filters, JSON strings | slsim ` + "`FuzzRequest`, `FuzzWriteString`" + `; slsim/query ` + "`FuzzParseMask`, `FuzzParseFilter`" + ` |
| configuration file | configs ` + "`FuzzParse`" + ` |
| command line flags | cmd/invoicelake ` + "`FuzzMainFlags`" + ` (never panics, exits 0/1/2, no network: endpoint 127.0.0.1:1) |
| category map file | transform ` + "`FuzzParseCategoryMap`" + `; item hierarchies ` + "`FuzzFlatten`" + ` |
| amounts, billing periods | schemas ` + "`FuzzParseDecimal`, `FuzzParsePeriod`" + ` |
| what the lake holds: object keys, manifests, the lock record | load ` + "`FuzzCheckKey`, `FuzzLakeReadsOutsideInput`" + ` |
`

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
