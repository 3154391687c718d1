//go:build cgo

// End-to-end tests: the simulator as the SoftLayer API, the command run
// in-process exactly as the binary runs it, a real lake (a folder or
// versitygw), and a real DuckDB reading what was written, compared with the
// simulator's ground truth.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/invoicelake/invoicelake/extract/slsim"
	"github.com/invoicelake/invoicelake/load"
	"github.com/invoicelake/invoicelake/load/s3test"
	"github.com/invoicelake/invoicelake/schemas"
)

// simNow is the simulator's clock in these tests: mid-June in Central time.
var simNow = time.Date(2026, 6, 20, 12, 0, 0, 0, central)

const testAPIKey = "s3cr3t-KEY-4242-do-not-log"

func startSim(t *testing.T, o slsim.Options) *slsim.Server {
	t.Helper()
	if o.Now.IsZero() {
		o.Now = simNow
	}
	if o.Months == 0 {
		o.Months = 5
	}
	if o.HeavyInvoiceItems == 0 {
		o.HeavyInvoiceItems = 2500
	}
	if o.RateLimit == 0 {
		o.RateLimit = -1
	}
	o.APIKey = testAPIKey
	o.ShuffleUnsorted = true
	srv, err := slsim.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func simEnv(srv *slsim.Server) env {
	return env{"SL_USERNAME": slsim.DefaultUser, "SL_API_KEY": testAPIKey, "SL_ENDPOINT_URL": srv.URL()}
}

func windowOf(truth slsim.Truth, from, to string) []slsim.PeriodTruth {
	var out []slsim.PeriodTruth
	for _, p := range truth.Periods {
		if p.Period >= from && p.Period <= to {
			out = append(out, p)
		}
	}
	return out
}

func rat(t *testing.T, s string) *big.Rat {
	t.Helper()
	if s == "" {
		s = "0"
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("not a number: %q", s)
	}
	return r
}

// assertLakeIsTruth checks that the lake in dir holds exactly the truth's
// periods in [from, to]: counts, money to the cent, and no duplicate item.
func assertLakeIsTruth(t *testing.T, dir string, truth slsim.Truth, from, to string) {
	t.Helper()
	assertAccountIsTruth(t, dir, truth.AccountTruth, 0, from, to)
}

// assertAccountIsTruth checks one account's part of the lake (account 0:
// the whole lake) against that account's truth.
func assertAccountIsTruth(t *testing.T, dir string, at slsim.AccountTruth, account int64, from, to string) {
	t.Helper()
	truth := slsim.Truth{AccountTruth: at}
	got := duckAccountPeriods(t, dir, account)
	want := windowOf(truth, from, to)
	if len(want) == 0 {
		t.Fatalf("truth has no period in %s..%s", from, to)
	}
	seen := map[string]bool{}
	for _, w := range want {
		seen[w.Period] = true
		g, ok := got[w.Period]
		if !ok {
			t.Errorf("period %s: missing from the lake", w.Period)
			continue
		}
		if g.Invoices != w.Invoices || g.DistinctInvoices != g.Invoices || g.Items != w.Items || g.DistinctItems != g.Items {
			t.Errorf("period %s: lake invoices %d items %d (distinct %d), want invoices %d items %d",
				w.Period, g.Invoices, g.Items, g.DistinctItems, w.Invoices, w.Items)
		}
		if rat(t, g.InvoiceTotal).Cmp(rat(t, w.InvoiceTotalAmount)) != 0 {
			t.Errorf("period %s: Σ invoice_total_amount = %s, want %s", w.Period, g.InvoiceTotal, w.InvoiceTotalAmount)
		}
		if rat(t, g.ItemsTotal).Cmp(rat(t, w.ItemsAmount)) != 0 {
			t.Errorf("period %s: Σ total_amount = %s, want %s", w.Period, g.ItemsTotal, w.ItemsAmount)
		}
	}
	for p := range got {
		if !seen[p] && p >= from && p <= to {
			t.Errorf("period %s: in the lake but not in the truth", p)
		}
	}
}

// lakeFiles lists the files under the table folders of a local lake, with
// their contents' digest, so reruns can be compared byte for byte.
func lakeFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, table := range []string{schemas.InvoicesTable, schemas.ItemsTable} {
		root := filepath.Join(dir, table)
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			out[filepath.ToSlash(rel)] = fmt.Sprintf("%x", len(b)) + string(b[len(b)-min(len(b), 64):])
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	return out
}

func TestExportLocalMatchesTruthAndRerunsAreIdempotent(t *testing.T) {
	srv := startSim(t, slsim.Options{Seed: 7, InconsistentInvoices: 1})
	e := simEnv(srv)
	dir := t.TempDir()
	from, to := "2026-02", "2026-06"
	code, stdout, stderr := e.run(t, t.Context(), nil, "export", "--from", from, "--to", to, "--out", dir, "--log-level", "debug")
	if code != 0 {
		t.Fatalf("export exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	truth := srv.Sim().Truth()
	assertLakeIsTruth(t, dir, truth, from, to)

	// No secret anywhere: not in the logs (debug level), not in any file.
	if strings.Contains(stdout+stderr, testAPIKey) {
		t.Errorf("the API key appears in the output")
	}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(testAPIKey)) {
				t.Errorf("the API key appears in %s", p)
			}
		}
		return nil
	})

	// The deliberately inconsistent invoice is published, marked unreconciled,
	// and the run summary in _runs/ says so.
	if len(truth.Unreconciled) != 1 {
		t.Fatalf("truth lists %d unreconciled invoices, want 1", len(truth.Unreconciled))
	}
	runs, _ := filepath.Glob(filepath.Join(dir, "_runs", "account_id=*", "*.json"))
	if len(runs) != 1 {
		t.Fatalf("_runs/ holds %d summaries, want 1", len(runs))
	}
	var sum Summary
	if b, err := os.ReadFile(runs[0]); err != nil || json.Unmarshal(b, &sum) != nil {
		t.Fatalf("read run summary: %v", err)
	}
	var wantItems int64
	for _, p := range windowOf(truth, from, to) {
		wantItems += p.Items
	}
	if !sum.OK || sum.Items != wantItems || sum.Unreconciled != 1 || len(sum.Periods) != 5 || sum.APICalls == 0 {
		t.Errorf("run summary: ok %v items %d (want %d) unreconciled %d (want 1) periods %d api_calls %d",
			sum.OK, sum.Items, wantItems, sum.Unreconciled, len(sum.Periods), sum.APICalls)
	}

	before := lakeFiles(t, dir)
	code, _, stderr = e.run(t, t.Context(), nil, "export", "--from", from, "--to", to, "--out", dir)
	if code != 0 {
		t.Fatalf("rerun exit %d: %s", code, stderr)
	}
	if after := lakeFiles(t, dir); !maps_equal(before, after) {
		t.Errorf("a rerun of the same window changed the table folders:\nbefore %v\nafter  %v", keys(before), keys(after))
	}
	assertLakeIsTruth(t, dir, srv.Sim().Truth(), from, to)

	// verify reads the lake back and agrees with the API.
	code, stdout, stderr = e.run(t, t.Context(), nil, "verify", "--out", dir)
	if code != 0 || !strings.Contains(stdout, "all 5 periods match the API") {
		t.Errorf("verify exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func maps_equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// mirror copies the table folders and manifests of an S3 lake to dir, so
// DuckDB (which cannot reach S3 offline) reads exactly what Athena would list.
func mirror(t *testing.T, gw *s3test.Server, prefix, dir string) []string {
	t.Helper()
	cl := gw.Client()
	var keysOut []string
	p := s3.NewListObjectsV2Paginator(cl, &s3.ListObjectsV2Input{Bucket: aws.String(gw.Bucket), Prefix: aws.String(prefix + "/")})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			rel := strings.TrimPrefix(key, prefix+"/")
			keysOut = append(keysOut, rel)
			obj, err := cl.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(gw.Bucket), Key: aws.String(key)})
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(obj.Body)
			obj.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join(dir, filepath.FromSlash(rel))
			os.MkdirAll(filepath.Dir(dst), 0o755)
			if err := os.WriteFile(dst, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return keysOut
}

// s3Env sets the S3 credentials where the AWS SDK's standard chain reads
// them: the process environment.
func s3Env(t *testing.T, e env, gw *s3test.Server) env {
	t.Setenv("AWS_ACCESS_KEY_ID", gw.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", gw.SecretKey)
	t.Setenv("AWS_REGION", gw.Region)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return e
}

// s3Config writes a config pointing the lake at versitygw.
func s3Config(t *testing.T, gw *s3test.Server, prefix string, extra string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "invoicelake.yaml")
	cfg := fmt.Sprintf("lake:\n  location: s3://%s/%s\n  s3:\n    endpoint: %s\n    region: %s\n    path_style: true\n%s",
		gw.Bucket, prefix, gw.Endpoint, gw.Region, extra)
	if err := os.WriteFile(f, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// assertNoStrays checks that the lake holds nothing a successful run leaves
// behind: every object in a table folder is listed by its period's manifest,
// and no staging or temporary object remains (see strays).
func assertNoStrays(t *testing.T, objects []string, dir string) {
	t.Helper()
	for _, k := range strays(t, objects, dir) {
		t.Errorf("stray object: %s", k)
	}
}

func TestExportS3RerunAndClockMoves(t *testing.T) {
	gw := s3test.Start(t)
	srv := startSim(t, slsim.Options{Seed: 11})
	e := s3Env(t, simEnv(srv), gw)
	cfg := s3Config(t, gw, "billing/softlayer", "")
	from, to := "2026-02", "2026-06"

	code, _, stderr := e.run(t, t.Context(), nil, "export", "--config", cfg, "--from", from, "--to", to)
	if code != 0 {
		t.Fatalf("export exit %d: %s", code, stderr)
	}
	dir1 := t.TempDir()
	objs := mirror(t, gw, "billing/softlayer", dir1)
	assertLakeIsTruth(t, dir1, srv.Sim().Truth(), from, to)
	assertNoStrays(t, objs, dir1)
	first := lakeFiles(t, dir1)

	// Rerun: the same objects, byte for byte.
	if code, _, stderr := e.run(t, t.Context(), nil, "export", "--config", cfg, "--from", from, "--to", to); code != 0 {
		t.Fatalf("rerun exit %d: %s", code, stderr)
	}
	dir2 := t.TempDir()
	objs = mirror(t, gw, "billing/softlayer", dir2)
	if second := lakeFiles(t, dir2); !maps_equal(first, second) {
		t.Errorf("rerun changed objects:\n%v\n%v", keys(first), keys(second))
	}
	assertNoStrays(t, objs, dir2)

	// The clock moves five weeks: the open invoice closes, July appears, a
	// late credit may land in an old period. Export the window again, now to July.
	srv.Sim().Advance(35 * 24 * time.Hour)
	to = "2026-07"
	if code, _, stderr := e.run(t, t.Context(), nil, "export", "--config", cfg, "--from", from, "--to", to); code != 0 {
		t.Fatalf("export after the clock moved: exit %d: %s", code, stderr)
	}
	dir3 := t.TempDir()
	objs = mirror(t, gw, "billing/softlayer", dir3)
	assertLakeIsTruth(t, dir3, srv.Sim().Truth(), from, to)
	assertNoStrays(t, objs, dir3)
	third := lakeFiles(t, dir3)
	changed := 0
	for k := range first {
		if _, ok := third[k]; !ok {
			changed++
		}
	}
	if changed == 0 {
		t.Errorf("no object changed after the clock moved five weeks (the open June invoice should have closed)")
	}
}

// TestIncrementalRunFollowsTheClock runs `run` as the CronJob would while the
// simulator's clock moves: invoices close, late credits land in old periods,
// new periods appear. After each run the lake equals the truth, and old
// periods that did not change are not rewritten.
func TestIncrementalRunFollowsTheClock(t *testing.T) {
	srv := startSim(t, slsim.Options{Seed: 23, Months: 8})
	sim := srv.Sim()
	e := simEnv(srv)
	dir := t.TempDir()
	cfgFile := filepath.Join(t.TempDir(), "invoicelake.yaml")
	start := "2025-12"
	os.WriteFile(cfgFile, []byte(fmt.Sprintf("lake:\n  location: %s\nincremental:\n  start_period: %q\n  lookback_periods: 2\n  safety_margin: 1h\n", dir, start)), 0o600)
	lake := func() *load.Lake {
		b, err := load.NewFileBucket(dir)
		if err != nil {
			t.Fatal(err)
		}
		return onlyAccount(t, b)
	}
	runIDs := func() map[string]string {
		out := map[string]string{}
		l := lake()
		ps, err := l.Periods(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			m, _, err := l.Manifest(t.Context(), p)
			if err != nil {
				t.Fatal(err)
			}
			out[p.String()] = m.RunID
		}
		return out
	}
	now := sim.Now
	code, stdout, stderr := e.run(t, t.Context(), now, "run", "--config", cfgFile)
	if code != 0 {
		t.Fatalf("first run exit %d\n%s\n%s", code, stdout, stderr)
	}
	cur := schemas.PeriodOf(sim.Now().In(central)).String()
	assertLakeIsTruth(t, dir, sim.Truth(), start, cur)

	lateChanges := 0
	for step := 1; step <= 3; step++ {
		before := runIDs()
		sim.Advance(31 * 24 * time.Hour)
		code, stdout, stderr := e.run(t, t.Context(), now, "run", "--config", cfgFile)
		if code != 0 {
			t.Fatalf("run %d exit %d\n%s\n%s", step, code, stdout, stderr)
		}
		cur = schemas.PeriodOf(sim.Now().In(central)).String()
		assertLakeIsTruth(t, dir, sim.Truth(), start, cur)
		// The watermark is when the run started (the clock it was given),
		// not the largest modifyDate it read.
		var st State
		if err := lake().ReadJSON(t.Context(), stateKey, &st, ""); err != nil || !st.Watermark.Equal(sim.Now()) {
			t.Errorf("step %d: state watermark %v (%v), want the run's start %v", step, st.Watermark, err, sim.Now().UTC())
		}
		after := runIDs()
		curP, _ := schemas.ParsePeriod(cur)
		lookback := map[string]bool{cur: true, curP.AddMonths(-1).String(): true}
		rewrittenOld := 0
		for p, id := range before {
			if after[p] != id && !lookback[p] {
				rewrittenOld++
				if !strings.Contains(stderr, "older period changed since the last run") {
					t.Errorf("step %d: old period %s rewritten without a logged reason", step, p)
				}
			}
		}
		t.Logf("step %d: clock %s, %d old periods rewritten for late changes", step, sim.Now().Format(time.DateOnly), rewrittenOld)
		lateChanges += rewrittenOld
		if rewrittenOld > len(before)/2 {
			t.Errorf("step %d: %d of %d old periods rewritten; unchanged old periods must be left alone", step, rewrittenOld, len(before))
		}
	}
	if lateChanges == 0 {
		t.Errorf("no late change reached an old period in three months of clock: the test did not exercise the watermark")
	}
}

func TestExitCodes(t *testing.T) {
	srv := startSim(t, slsim.Options{Seed: 3, Months: 2})
	good := simEnv(srv)
	dir := t.TempDir()
	fastFail := filepath.Join(t.TempDir(), "fast.yaml")
	os.WriteFile(fastFail, []byte("source:\n  max_attempts: 2\n  max_retry_time: 2s\n  timeout: 2s\n"), 0o600)
	badCfg := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(badCfg, []byte("source:\n  api_key: "+testAPIKey+"\n"), 0o600)

	wrongKey := env{"SL_USERNAME": slsim.DefaultUser, "SL_API_KEY": "wrong", "SL_ENDPOINT_URL": srv.URL()}
	down := env{"SL_USERNAME": "u", "SL_API_KEY": "k", "SL_ENDPOINT_URL": "http://127.0.0.1:1/rest/v3.1/"}
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()

	tests := []struct {
		name   string
		e      env
		ctx    context.Context
		args   []string
		want   int
		stderr string
	}{
		{"no command", good, t.Context(), nil, exitUsage, "Usage"},
		{"unknown command", good, t.Context(), []string{"frobnicate"}, exitUsage, "unknown command"},
		{"missing window", good, t.Context(), []string{"export", "--out", dir}, exitUsage, "--from and --to are required"},
		{"bad period", good, t.Context(), []string{"export", "--from", "2026-13", "--to", "2026-01", "--out", dir}, exitUsage, "--from"},
		{"bad flag", good, t.Context(), []string{"export", "--frm", "x"}, exitUsage, "unknown flag --frm (did you mean --from?)"},
		{"secret in config", good, t.Context(), []string{"export", "--config", badCfg, "--from", "2026-05", "--to", "2026-05"}, exitUsage, "secrets are never written"},
		{"no credentials", env{"SL_ENDPOINT_URL": srv.URL()}, t.Context(), []string{"export", "--from", "2026-05", "--to", "2026-05", "--out", dir}, exitUsage, "no SoftLayer credentials"},
		{"wrong API key", wrongKey, t.Context(), []string{"export", "--from", "2026-05", "--to", "2026-05", "--out", dir}, exitUsage, "401"},
		{"API unreachable", down, t.Context(), []string{"export", "--config", fastFail, "--from", "2026-05", "--to", "2026-05", "--out", dir}, exitTransient, "transient"},
		{"cancelled", good, cancelled, []string{"export", "--from", "2026-05", "--to", "2026-05", "--out", dir}, exitCancelled, "cancelled"},
		{"bad cron", good, t.Context(), []string{"serve", "--schedule", "CRON_TZ=UTC", "--out", dir}, exitUsage, "invalid cron spec"},
		{"ddl athena needs s3", good, t.Context(), []string{"ddl", "athena", "--location", "/tmp/x"}, exitUsage, "s3://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := tt.e.run(t, tt.ctx, nil, tt.args...)
			if code != tt.want || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d, want %d; stderr %q should contain %q", code, tt.want, stderr, tt.stderr)
			}
			if strings.Contains(stderr, testAPIKey) {
				t.Errorf("stderr leaks the API key: %s", stderr)
			}
		})
	}

	t.Run("lock held", func(t *testing.T) {
		b, _ := load.NewFileBucket(dir)
		lk, err := load.NewLake(b, load.Options{Account: srv.Sim().Truth().AccountID}).Lock(t.Context(), "other-run", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		defer lk.Release(context.Background())
		// A short lock_wait: the run polls, then gives up (the default waits 5 minutes).
		cfg := filepath.Join(t.TempDir(), "wait.yaml")
		os.WriteFile(cfg, []byte(fmt.Sprintf("lake:\n  location: %s\n  lock_wait: 3s\n", dir)), 0o600)
		code, _, stderr := good.run(t, t.Context(), nil, "export", "--from", "2026-05", "--to", "2026-05", "--config", cfg)
		if code != exitTransient || !strings.Contains(stderr, "other-run") {
			t.Errorf("exit %d, stderr %q: want 1 naming the holder", code, stderr)
		}
	})
}

func TestDDLCommands(t *testing.T) {
	code, out, stderr := env{}.run(t, t.Context(), nil, "ddl", "athena", "--location", "s3://bucket/prefix", "--accounts", "278444,300123")
	if code != 0 || !strings.Contains(out, "projection.billing_period.type") || !strings.Contains(out, "s3://bucket/prefix/invoice_items/") ||
		!strings.Contains(out, "'projection.account_id.values' = '278444,300123'") {
		t.Errorf("ddl athena: exit %d\n%s\n%s", code, out, stderr)
	}
	// Without --accounts, the accounts come from the lake (here, none can
	// be read): a clear error, exit 2.
	noCreds := env{"AWS_EC2_METADATA_DISABLED": "true"}
	if code, _, stderr := noCreds.run(t, t.Context(), nil, "ddl", "athena", "--location", "s3://bucket/prefix"); code != exitUsage || !strings.Contains(stderr, "--accounts") {
		t.Errorf("ddl athena without accounts: exit %d, want 2 naming --accounts: %s", code, stderr)
	}
	code, out, _ = env{}.run(t, t.Context(), nil, "ddl", "duckdb", "--location", "/data/lake")
	if code != 0 || !strings.Contains(out, "hive_partitioning") || !strings.Contains(out, path.Join("/data/lake", "invoices")) {
		t.Errorf("ddl duckdb: exit %d\n%s", code, out)
	}
}
