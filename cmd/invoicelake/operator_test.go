//go:build cgo

// Operator mistakes and hostile lake states (issue 12, the lake's half):
// each case exits with the code that tells a CronJob the truth, says what
// to do, never repeats a secret, and leaves what the lake (or the user)
// already holds as it was.
package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/invoicelake/invoicelake/extract"
	"github.com/invoicelake/invoicelake/extract/slsim"
	"github.com/invoicelake/invoicelake/load"
	"github.com/invoicelake/invoicelake/load/s3test"
)

// secretMarker is in every secret of these tests: no output may hold it.
const secretMarker = "LEAKCANARY"

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readOnlyDir mounts a read-only tmpfs (the tests run as root, as CI
// does); it skips where mounting is not allowed.
func readOnlyDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a read-only file system here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	return dir
}

// TestOperatorMistakes: one row per mistake of issue 12 point 9 (and the
// serve and verify ones of point 15): exit 2 (never 1: a retry cannot
// succeed), a message saying what is wrong, no secret repeated.
func TestOperatorMistakes(t *testing.T) {
	held, tried := operatorMistakes(t)
	t.Logf("%d of %d operator mistakes held", held, tried)
}

// operatorMistakes runs the table and returns how many rows held (make
// chaos reports it).
func operatorMistakes(t *testing.T) (held, tried int) {
	srv := startSim(t, slsim.Options{Seed: 3, Months: 2})
	good := simEnv(srv)
	root := t.TempDir()
	file := filepath.Join(root, "a-file")
	writeFile(t, file, "x")
	cfgFile := func(body string) string {
		f := filepath.Join(t.TempDir(), "c.yaml")
		writeFile(t, f, body)
		return f
	}
	fastFail := "source:\n  max_attempts: 2\n  max_retry_time: 2s\n  timeout: 2s\n"
	httpsToHTTP := good.with("SL_ENDPOINT_URL", strings.Replace(srv.URL(), "http://", "https://", 1))
	ro := ""
	if dir := readOnlyDir(t); dir != "" {
		ro = filepath.Join(dir, "lake")
	}
	export := func(out string, extra ...string) []string {
		return append([]string{"export", "--from", "2026-05", "--to", "2026-05", "--out", out}, extra...)
	}
	tests := []struct {
		name   string
		e      env
		args   []string
		stderr []string // every one must appear
	}{
		{"lake path is a file", good, export(file), []string{"not a folder"}},
		{"lake path is /dev/null", good, export("/dev/null"), []string{"not a folder"}},
		{"read-only file system", good, export(ro), []string{"read-only file system", "permanent"}},
		{"s3 prefix with ..", good, export("s3://b/a/../b"), []string{"lake.location", ". or .. segment"}},
		{"file URL with a host", good, export("file://host/x"), []string{"not on host \"host\""}},
		{"the root folder", good, export("file:///"), []string{"root folder"}},
		{"the root folder by path", good, export("/"), []string{"root folder"}},
		{"period 0000-01", good, []string{"export", "--from", "0000-01", "--to", "0000-01", "--out", root}, []string{"--from", "from 2000 on"}},
		{"window of 97,200 periods", good, []string{"export", "--from", "1900-01", "--to", "9999-12", "--out", root}, []string{"--from"}},
		{"window wider than max_periods", good, []string{"export", "--from", "2001-01", "--to", "2026-12", "--out", root}, []string{"312 billing periods", "lake.max_periods (240)", "--max-periods"}},
		{"rate NaN", good, export(root, "--rate", "NaN"), []string{"source.rate_per_second"}},
		{"rate Inf", good, export(root, "--rate", "+Inf"), []string{"source.rate_per_second"}},
		{"https against an http API", httpsToHTTP, []string{"export", "--config", cfgFile(fastFail), "--from", "2026-05", "--to", "2026-05", "--out", t.TempDir()},
			[]string{"HTTP response to HTTPS client", "use an http:// URL"}},
		{"credentials in an s3 lake URL", good, export("s3://AKIA" + secretMarker + ":sec" + secretMarker + "@bucket/p"), []string{"credentials in the URL are refused"}},
		{"credentials in a file lake URL", good, export("file://u:" + secretMarker + "@localhost/tmp/x"), []string{"credentials in the URL are refused"}},
		{"credentials in the API URL", good.with("SL_ENDPOINT_URL", "http://u:KEY"+secretMarker+"@127.0.0.1:1/rest/%zz/"), export(root), []string{"source.endpoint", "REDACTED"}},
		{"credentials in the S3 endpoint", good, []string{"export", "--config", cfgFile("lake:\n  location: s3://b/p\n  s3:\n    endpoint: http://u:" + secretMarker + "@127.0.0.1:1\n"), "--from", "2026-05", "--to", "2026-05"}, []string{"lake.s3.endpoint"}},
		{"verify a lake that does not exist", good, []string{"verify", "--out", filepath.Join(root, "nothing-here")}, []string{"no lake at this location"}},
		{"serve @every 0s", good, []string{"serve", "--schedule", "@every 0s", "--out", root}, []string{"positive duration"}},
		{"serve @every -5s", good, []string{"serve", "--schedule", "@every -5s", "--out", root}, []string{"positive duration"}},
		{"serve @every 30s", good, []string{"serve", "--schedule", "@every 30s", "--out", root}, []string{"more often than every 1m0s"}},
		{"serve every second field", good, []string{"serve", "--schedule", "CRON_TZ=UTC @every 59s", "--out", root}, []string{"more often"}},
		{"serve 0 0 31 2 *", good, []string{"serve", "--schedule", "0 0 31 2 *", "--out", root}, []string{"never fires"}},
		{"serve backfill from 1900", good, []string{"serve", "--config", cfgFile("incremental:\n  start_period: \"1900-01\"\n"), "--out", root}, []string{"incremental.start_period"}},
		{"serve backfill wider than max_periods", good, []string{"serve", "--config", cfgFile("incremental:\n  start_period: \"2001-01\"\n"), "--out", root}, []string{"lake.max_periods"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "read-only file system" && ro == "" {
				t.Skip("no read-only file system")
			}
			tried++
			defer func() {
				if !t.Failed() {
					held++
				}
			}()
			code, stdout, stderr := tt.e.run(t, t.Context(), srv.Sim().Now, tt.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d: %s", code, exitUsage, stderr)
			}
			for _, want := range tt.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr %q lacks %q", stderr, want)
				}
			}
			if strings.Contains(stdout+stderr, secretMarker) || strings.Contains(stdout+stderr, testAPIKey) {
				t.Errorf("the output repeats a secret:\n%s%s", stdout, stderr)
			}
		})
	}
	if st, err := os.ReadFile(file); err != nil || string(st) != "x" {
		t.Errorf("the file given as a lake changed: %q, %v", st, err)
	}
	return held, tried
}

func (e env) with(k, v string) env {
	out := env{}
	for kk, vv := range e {
		out[kk] = vv
	}
	out[k] = v
	return out
}

// TestS3Mistakes: missing S3 credentials and https against an http S3
// endpoint exit 2, and the S3 secret is never repeated.
func TestS3Mistakes(t *testing.T) {
	gw := s3test.Start(t)
	srv := startSim(t, slsim.Options{Seed: 3, Months: 2})
	t.Run("missing credentials", func(t *testing.T) {
		for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
			"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
			t.Setenv(k, "")
		}
		t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
		t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
		t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
		cfg := s3Config(t, gw, "nocreds", "")
		code, _, stderr := simEnv(srv).run(t, t.Context(), nil, "export", "--config", cfg, "--from", "2026-05", "--to", "2026-05")
		if code != exitUsage || !strings.Contains(stderr, "no usable credentials") || !strings.Contains(stderr, "AWS_ACCESS_KEY_ID") {
			t.Errorf("exit %d, want 2 naming where credentials come from: %s", code, stderr)
		}
	})
	t.Run("https against an http endpoint", func(t *testing.T) {
		e := s3Env(t, simEnv(srv), gw)
		f := filepath.Join(t.TempDir(), "c.yaml")
		writeFile(t, f, fmt.Sprintf("lake:\n  location: s3://%s/tls\n  s3:\n    endpoint: %s\n    region: %s\n    path_style: true\n",
			gw.Bucket, strings.Replace(gw.Endpoint, "http://", "https://", 1), gw.Region))
		code, stdout, stderr := e.run(t, t.Context(), nil, "export", "--config", f, "--from", "2026-05", "--to", "2026-05")
		if code != exitUsage || !strings.Contains(stderr, "HTTP response to HTTPS client") {
			t.Errorf("exit %d, want 2 naming the plain-HTTP answer: %s", code, stderr)
		}
		if strings.Contains(stdout+stderr, gw.SecretKey) {
			t.Errorf("the S3 secret key is in the output")
		}
	})
}

// TestUserFilesNeverTouched: --out at a folder (or S3 prefix) holding the
// user's own files is refused, nothing is written there; with --create-lake
// the lake is made beside them, and exports, replacements and recoveries
// never touch them.
func TestUserFilesNeverTouched(t *testing.T) {
	srv := startSim(t, slsim.Options{Seed: 5, Months: 3})
	e := simEnv(srv)
	dir := t.TempDir()
	user := map[string]string{
		"invoices/2024/acme-invoice-0001.pdf":         "%PDF-1.4 the user's own",
		"invoice_items/billing_period=2026-05/x.csv":  "a,b",
		"invoices/billing_period=2026-05/old.parquet": "not ours",
		"notes.txt":            "hello",
		"_staging/keep-me.txt": "mine",
		"invoices/billing_period=2026-04/part-00000-0000000000000000.parquet": "named like the lake's, but not its content",
	}
	for k, v := range user {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(k)), v)
	}
	check := func(label string) {
		t.Helper()
		for k, v := range user {
			if got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(k))); err != nil || string(got) != v {
				t.Errorf("%s: %s is %q, %v; want the user's %q", label, k, got, err, v)
			}
		}
	}
	args := []string{"export", "--from", "2026-04", "--to", "2026-06", "--out", dir}
	code, _, stderr := e.run(t, t.Context(), nil, args...)
	if code != exitUsage || !strings.Contains(stderr, "which invoicelake did not write") || !strings.Contains(stderr, "--create-lake") {
		t.Fatalf("export into a folder of the user's: exit %d, want 2 naming --create-lake: %s", code, stderr)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 4 { // invoices, invoice_items, notes.txt, _staging, and nothing of ours
		names := []string{}
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("the refused export wrote into the folder: %v", names)
	}
	check("after the refusal")
	if code, _, stderr := e.run(t, t.Context(), nil, "verify", "--out", dir); code != exitUsage || !strings.Contains(stderr, "did not write") {
		t.Errorf("verify of the user's folder: exit %d: %s", code, stderr)
	}

	if code, _, stderr := e.run(t, t.Context(), nil, append(args, "--create-lake")...); code != exitOK {
		t.Fatalf("export --create-lake: exit %d: %s", code, stderr)
	}
	check("after export --create-lake")
	srv.Sim().Advance(40 * 24 * time.Hour) // June closes, July appears: periods are replaced
	if code, _, stderr := e.run(t, t.Context(), nil, "export", "--from", "2026-04", "--to", "2026-07", "--out", dir); code != exitOK {
		t.Fatalf("second export (no flag needed: the lake has its marker now): exit %d: %s", code, stderr)
	}
	check("after a replacing export")
	// Globbing readers would read the user's *.parquet files in the
	// partition folders (Recover warns about them): the user removes them
	// before reading the lake with DuckDB.
	for k := range user {
		if strings.HasSuffix(k, ".parquet") {
			os.Remove(filepath.Join(dir, filepath.FromSlash(k)))
		}
	}
	assertLakeIsTruth(t, dir, srv.Sim().Truth(), "2026-04", "2026-07")
	if code, stdout, stderr := e.run(t, t.Context(), nil, "verify", "--out", dir); code != exitOK {
		t.Errorf("verify: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestShrinkNeedsEvidence: an account that answers with fewer invoices for
// a published period does not replace it: exit 2, a WARN line, the
// published data unchanged; --allow-shrink replaces it.
func TestShrinkNeedsEvidence(t *testing.T) {
	const period = "2026-05"
	big := startSim(t, slsim.Options{Seed: 5, Months: 2})
	count := func(tr slsim.Truth) int64 {
		for _, p := range tr.Periods {
			if p.Period == period {
				return p.Invoices
			}
		}
		return 0
	}
	var small *slsim.Server
	for seed := int64(6); seed < 40 && small == nil; seed++ {
		s := startSim(t, slsim.Options{Seed: seed, Months: 2})
		if n := count(s.Sim().Truth()); n > 0 && n < count(big.Sim().Truth()) {
			small = s
		}
	}
	if small == nil {
		t.Fatal("no simulated account with fewer invoices in " + period)
	}
	dir := t.TempDir()
	args := []string{"export", "--from", period, "--to", period, "--out", dir, "--log-format", "text"}
	if code, _, stderr := simEnv(big).run(t, t.Context(), nil, args...); code != exitOK {
		t.Fatalf("first export: exit %d: %s", code, stderr)
	}
	before := lakeFiles(t, dir)
	// The same account answering fewer invoices: the small simulator,
	// behind a proxy that reports the big one's account id.
	target, _ := url.Parse(small.URL())
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "SoftLayer_Account/getObject") {
			fmt.Fprintf(w, `{"id":%d}`, big.Sim().Truth().AccountID)
			return
		}
		r.URL.Path = strings.TrimPrefix(r.URL.Path, "/proxy") // the proxy prepends target.Path
		rp.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	shrunk := simEnv(small)
	shrunk["SL_ENDPOINT_URL"] = proxy.URL + "/proxy/"
	code, _, stderr := shrunk.run(t, t.Context(), nil, args...)
	if code != exitUsage || !strings.Contains(stderr, "--allow-shrink") || !strings.Contains(stderr, "level=WARN") ||
		!strings.Contains(stderr, "refusing to replace a billing period with fewer invoices") {
		t.Errorf("shrinking export: exit %d, want 2 with a WARN line and the flag: %s", code, stderr)
	}
	if after := lakeFiles(t, dir); !maps_equal(before, after) {
		t.Errorf("the refused export changed the lake")
	}
	assertLakeIsTruth(t, dir, big.Sim().Truth(), period, period)
	if code, _, stderr := shrunk.run(t, t.Context(), nil, append(args, "--allow-shrink")...); code != exitOK {
		t.Fatalf("export --allow-shrink: exit %d: %s", code, stderr)
	}
	assertLakeIsTruth(t, dir, small.Sim().Truth(), period, period)
}

// TestCorruptLakeFiles: a corrupt state, manifest or lock file exits 2 with
// the exact repair; a corrupt manifest does not block the other periods;
// following the repair converges.
func TestCorruptLakeFiles(t *testing.T) {
	srv := startSim(t, slsim.Options{Seed: 9, Months: 3})
	e := simEnv(srv)
	dir := t.TempDir()
	from, to := "2026-04", "2026-06"
	exp := func(from, to string) (int, string) {
		code, _, stderr := e.run(t, t.Context(), nil, "export", "--from", from, "--to", to, "--out", dir)
		return code, stderr
	}
	if code, stderr := exp(from, to); code != exitOK {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	acct := load.AccountDir(srv.Sim().Truth().AccountID)
	manifest := filepath.Join(dir, "_manifests", acct, "billing_period=2026-05.json")
	writeFile(t, manifest, `{"schema_version": "1", "billing_period": "2026-05", "invoices": {`)
	code, stderr := exp(from, to)
	if code != exitUsage || !strings.Contains(stderr, manifest) || !strings.Contains(stderr, "delete it") {
		t.Errorf("export over a corrupt manifest: exit %d, want 2 naming the file and the repair: %s", code, stderr)
	}
	if code, stderr := exp("2026-06", "2026-06"); code != exitOK {
		t.Errorf("another period is blocked by the corrupt manifest: exit %d: %s", code, stderr)
	}
	os.Remove(manifest) // the repair the message gives
	if code, stderr := exp(from, to); code != exitOK {
		t.Fatalf("export after the repair: exit %d: %s", code, stderr)
	}
	assertLakeIsTruth(t, dir, srv.Sim().Truth(), from, to)
	if s := localStrays(t, dir); len(s) != 0 {
		t.Errorf("strays after the repair: %v", s)
	}

	lock := filepath.Join(dir, "_lock", acct, "lake.json")
	writeFile(t, lock, "\x00\x01 not json")
	if code, stderr := exp(from, to); code != exitUsage || !strings.Contains(stderr, lock) || !strings.Contains(stderr, "if no invoicelake run is writing") {
		t.Errorf("export with a corrupt lock: exit %d, want 2 naming the file and the repair: %s", code, stderr)
	}
	os.Remove(lock)

	cfg := filepath.Join(t.TempDir(), "c.yaml")
	writeFile(t, cfg, fmt.Sprintf("lake:\n  location: %s\nincremental:\n  start_period: %q\n", dir, from))
	if code, _, stderr := e.run(t, t.Context(), srv.Sim().Now, "run", "--config", cfg); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	state := filepath.Join(dir, "_state", acct, "state.json")
	writeFile(t, state, `{"watermark": "yesterday"}`)
	code, _, stderr = e.run(t, t.Context(), srv.Sim().Now, "run", "--config", cfg)
	if code != exitUsage || !strings.Contains(stderr, state) || !strings.Contains(stderr, "first run") {
		t.Errorf("run with a corrupt state: exit %d, want 2 naming the file and the repair: %s", code, stderr)
	}
	os.Remove(state)
	if code, _, stderr := e.run(t, t.Context(), srv.Sim().Now, "run", "--config", cfg); code != exitOK {
		t.Errorf("run after the repair: exit %d: %s", code, stderr)
	}
}

// TestRunIDsUnique: runs started in the same millisecond get distinct ids,
// each a valid run id.
func TestRunIDsUnique(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	valid := regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := newRunID(now)
		if seen[id] || !valid.MatchString(id) {
			t.Fatalf("run id %q: given twice or not a valid run id", id)
		}
		seen[id] = true
	}
}

// TestStatsSince: a run's counters are the difference of two snapshots for
// every counter of extract.Stats (a counter added to it and missed here
// fails the test).
func TestStatsSince(t *testing.T) {
	fill := func(v any, n int64) {
		rv := reflect.ValueOf(v).Elem()
		for i := range rv.NumField() {
			switch f := rv.Field(i); f.Kind() {
			case reflect.Int64:
				f.SetInt(n)
			case reflect.Map:
				f.Set(reflect.ValueOf(map[string]int64{"a": n, "b": 7}))
			default:
				t.Fatalf("%s.%s: a counter of kind %s this test does not know", rv.Type(), rv.Type().Field(i).Name, f.Kind())
			}
		}
	}
	check := func(v any) {
		rv := reflect.ValueOf(v)
		for i := range rv.NumField() {
			switch f := rv.Field(i); f.Kind() {
			case reflect.Int64:
				if f.Int() != 3 {
					t.Errorf("%s.%s = %d, want 3 (5 - 2)", rv.Type(), rv.Type().Field(i).Name, f.Int())
				}
			case reflect.Map:
				if got := f.Interface().(map[string]int64); len(got) != 1 || got["a"] != 3 {
					t.Errorf("%s.%s = %v, want map[a:3]", rv.Type(), rv.Type().Field(i).Name, got)
				}
			}
		}
	}
	var eb, ea extract.Stats
	fill(&eb, 2)
	fill(&ea, 5)
	check(statsSince(eb, ea))
}
