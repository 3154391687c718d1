//go:build cgo

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/invoicelake/invoicelake/extract/slsim"
	"github.com/invoicelake/invoicelake/load"
	"github.com/invoicelake/invoicelake/load/s3test"
	"github.com/invoicelake/invoicelake/schemas"
)

// accountsConfig writes a configuration naming every account of the
// simulator, each with its own credential variable, into one lake.
func accountsConfig(t *testing.T, accts []slsim.Account, lake string) (string, []string) {
	t.Helper()
	var b strings.Builder
	var environ []string
	b.WriteString("accounts:\n")
	for i, a := range accts {
		fmt.Fprintf(&b, "  - name: acct-%d\n    username: %s\n    api_key_env: SL_KEY_%d\n    rate_per_second: 20\n", i, a.Credentials.User, i)
		environ = append(environ, fmt.Sprintf("SL_KEY_%d=%s", i, a.Credentials.APIKey))
	}
	b.WriteString(lake)
	f := filepath.Join(t.TempDir(), "accounts.yaml")
	if err := os.WriteFile(f, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return f, environ
}

// TestAccountsScaleOut is what configs/kubernetes/accounts does: one
// process per account (`run --account-index i`, an Indexed Job's pods), all
// at once, into one S3 bucket; then exports of the accounts interleaved and
// repeated. Every account stays whole, none overwrites another, and the
// lake holds nothing else.
func TestAccountsScaleOut(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	gw := s3test.Start(t)
	srv := startSim(t, slsim.Options{Seed: 21, Months: 3, Accounts: 3})
	sim := srv.Sim()
	accts := sim.Accounts()
	lake := fmt.Sprintf("lake:\n  location: s3://%s/multi\n  s3:\n    endpoint: %s\n    region: %s\n    path_style: true\nincremental:\n  start_period: \"2026-04\"\n",
		gw.Bucket, gw.Endpoint, gw.Region)
	cfg, keys := accountsConfig(t, accts, lake)
	environ := append(os.Environ(), keys...)
	environ = append(environ, "SL_ENDPOINT_URL="+srv.URL(),
		"AWS_ACCESS_KEY_ID="+gw.AccessKey, "AWS_SECRET_ACCESS_KEY="+gw.SecretKey, "AWS_REGION="+gw.Region, "AWS_EC2_METADATA_DISABLED=true")
	// run starts one process per argument list at once and waits for all.
	run := func(label string, argss ...[]string) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make([]string, len(argss))
		for i, args := range argss {
			wg.Go(func() {
				c := exec.Command(bin, append(args, "--config", cfg, "--log-format", "json")...)
				c.Env = environ
				var stderr bytes.Buffer
				c.Stderr = &stderr
				if err := c.Run(); err != nil {
					errs[i] = fmt.Sprintf("%v: %v\n%s", args, err, stderr.String())
				}
			})
		}
		wg.Wait()
		for _, e := range errs {
			if e != "" {
				t.Fatalf("%s: %s", label, e)
			}
		}
	}
	to := schemas.PeriodOf(sim.Now().In(central)).String()
	check := func(label string) {
		t.Helper()
		dir := t.TempDir()
		objs := mirror(t, gw, "multi", dir)
		truth := sim.Truth()
		for _, a := range accts {
			at, ok := truth.Account(a.ID)
			if !ok {
				t.Fatalf("no truth for account %d", a.ID)
			}
			assertAccountIsTruth(t, dir, at, a.ID, "2026-04", to)
		}
		assertNoStrays(t, objs, dir)
		b, _ := load.NewFileBucket(dir)
		got, legacy, err := load.Accounts(t.Context(), b)
		if err != nil || legacy || len(got) != len(accts) {
			t.Errorf("accounts in the lake: %v (legacy %v, %v), want %d", got, legacy, err, len(accts))
		}
		if t.Failed() {
			t.Fatalf("after %s", label)
		}
	}
	// The Indexed Job: every account at once, one process each.
	var pods [][]string
	for i := range accts {
		pods = append(pods, []string{"run", "--account-index", fmt.Sprint(i)})
	}
	run("the first runs, all at once", pods...)
	check("the first runs")
	// Interleaved and repeated: two accounts' exports at once, while a
	// third account runs; then the first again.
	exp := func(i int) []string {
		return []string{"export", "--from", "2026-04", "--to", to, "--account", fmt.Sprintf("acct-%d", i)}
	}
	run("interleaved exports", exp(2), exp(0), pods[1])
	run("again", exp(0), exp(0+1))
	check("interleaved and repeated exports")
	// One process for every account (`run` without a selection).
	run("one process, every account", []string{"run"})
	check("one process for every account")
}

// TestAccountsCredentialOfAnotherAccount: an account configured with an id
// whose credential belongs to another account is refused before anything
// is written (exit 2, naming both ids); the other accounts still publish,
// and the exit says which one failed.
func TestAccountsCredentialOfAnotherAccount(t *testing.T) {
	srv := startSim(t, slsim.Options{Seed: 22, Months: 2, Accounts: 2})
	accts := srv.Sim().Accounts()
	dir := t.TempDir()
	f := filepath.Join(t.TempDir(), "c.yaml")
	cfg := fmt.Sprintf("accounts:\n  - name: a\n    id: %d\n    username: %s\n    api_key_env: KEY_A\n  - name: b\n    id: %d\n    username: %s\n    api_key_env: KEY_B\nlake:\n  location: %s\n",
		accts[0].ID, accts[0].Credentials.User, accts[1].ID+1, accts[1].Credentials.User, dir)
	if err := os.WriteFile(f, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	e := env{"KEY_A": accts[0].Credentials.APIKey, "KEY_B": accts[1].Credentials.APIKey, "SL_ENDPOINT_URL": srv.URL()}
	per := schemas.PeriodOf(srv.Sim().Now().In(central)).String()
	code, _, stderr := e.run(t, t.Context(), nil, "export", "--config", f, "--from", per, "--to", per)
	want := fmt.Sprintf("account b: its credential belongs to account %d, not to the configured id %d", accts[1].ID, accts[1].ID+1)
	if code != exitUsage || !strings.Contains(stderr, want) || !strings.Contains(stderr, "1 of 2 accounts failed") {
		t.Errorf("exit %d (want %d), stderr should say %q:\n%s", code, exitUsage, want, stderr)
	}
	b, _ := load.NewFileBucket(dir)
	got, _, err := load.Accounts(t.Context(), b)
	if err != nil || len(got) != 1 || got[0] != accts[0].ID {
		t.Errorf("accounts in the lake: %v, %v; want only %d (nothing written for the misconfigured one)", got, err, accts[0].ID)
	}
	for _, k := range []string{"_manifests", "invoices", "_state", "_runs"} {
		if m, _ := filepath.Glob(filepath.Join(dir, k, load.AccountDir(accts[1].ID))); len(m) != 0 {
			t.Errorf("%s of the refused account exists: %v", k, m)
		}
	}
}

// TestMigrateLakeOfEarlierRelease: a lake written before accounts were part
// of the layout (emulated: an export whose keys are moved where the earlier
// release kept them) is moved into its account's folders by the next run,
// which continues from the earlier release's watermark; the lake then
// equals the truth, with nothing left of the old layout.
func TestMigrateLakeOfEarlierRelease(t *testing.T) {
	srv := startSim(t, slsim.Options{Seed: 23, Months: 4})
	sim := srv.Sim()
	e := simEnv(srv)
	dir := t.TempDir()
	cfgFile := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfgFile, []byte(fmt.Sprintf("lake:\n  location: %s\nincremental:\n  start_period: \"2026-03\"\n  lookback_periods: 2\n", dir)), 0o600)
	if code, _, stderr := e.run(t, t.Context(), sim.Now, "run", "--config", cfgFile); code != 0 {
		t.Fatalf("first run: exit %d: %s", code, stderr)
	}
	acct := load.AccountDir(sim.Truth().AccountID) + "/"
	// Move every object to the earlier layout's key.
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.Contains(filepath.ToSlash(p), acct) {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.Contains(p, "_manifests") {
			data = []byte(strings.ReplaceAll(string(data), acct, ""))
		}
		np := strings.Replace(filepath.ToSlash(p), acct, "", 1)
		if err := os.MkdirAll(filepath.Dir(np), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(np, data, 0o644); err != nil {
			return err
		}
		return os.Remove(p)
	})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := load.NewFileBucket(dir)
	if accts, legacy, _ := load.Accounts(t.Context(), b); len(accts) != 0 || !legacy {
		t.Fatalf("emulated earlier lake: accounts %v legacy %v", accts, legacy)
	}
	code, _, stderr := e.run(t, t.Context(), sim.Now, "run", "--config", cfgFile, "--log-level", "debug")
	if code != 0 {
		t.Fatalf("run over the earlier lake: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "continuing from the run state of the layout before accounts") {
		t.Errorf("the run did not continue from the earlier release's watermark:\n%s", stderr)
	}
	if strings.Contains(stderr, "first run: backfilling") {
		t.Errorf("the run backfilled instead of continuing:\n%s", stderr)
	}
	cur := schemas.PeriodOf(sim.Now().In(central)).String()
	assertLakeIsTruth(t, dir, sim.Truth(), "2026-03", cur)
	if s := localStrays(t, dir); len(s) != 0 {
		t.Errorf("strays: %v", s)
	}
	if accts, legacy, _ := load.Accounts(t.Context(), b); len(accts) != 1 || legacy {
		t.Errorf("after the move: accounts %v, legacy periods left %v", accts, legacy)
	}
}
