package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzMainFlags runs the command line with fuzzed arguments (separated by
// NUL bytes). It must never panic, must end, and must exit 0, 1 or 2
// (serve, run with an already cancelled context, may also exit 130). No
// fuzzed argument can reach the network or write outside a temporary
// folder: the SoftLayer endpoint is 127.0.0.1:1 (nothing listens there),
// the lake (and report's page) is in a temporary folder,
// serve listens on 127.0.0.1:0, and these come last on the command line,
// where they override any fuzzed value (a fuzzed flag that swallows one of
// them leaves a positional argument behind, which is a usage error).
func FuzzMainFlags(f *testing.F) {
	for _, s := range []string{
		"export\x00--from\x002024-01\x00--to\x002024-02",
		"export\x00--from\x002024-01\x00--to\x002024-02\x00--dry-run",
		"run\x00--concurrency\x00-1",
		"run\x00--rate\x00NaN",
		"verify\x00--from\x002024-01\x00--to\x002023-12",
		"export\x00--log-level\x00trace\x00--log-format\x00xml\x00--pii\x00hash\x00--reconcile\x00fail",
		"serve\x00--schedule\x00@every 1h",
		"serve\x00--schedule\x00CRON_TZ=Mars/Olympus 1 2 3 4 5",
		"ddl\x00athena\x00--location\x00s3://b/p\x00--database\x00x;DROP",
		"ddl\x00duckdb\x00--location\x00/data/lake'",
		"report\x00--top\x00-5\x00--from\x002026-13",
		"report\x00--html\x00/dev/null\x00--to\x002024-01",
		"version", "help", "-h", "export\x00-h", "report\x00-h", "frobnicate", "", "\x00",
	} {
		f.Add(s)
	}
	dir := f.TempDir()
	cfg := filepath.Join(dir, "invoicelake.yaml")
	safe := "source:\n  timeout: 200ms\n  max_attempts: 1\n  max_retry_time: 200ms\n" +
		"lake:\n  lock_wait: 0s\nschedule:\n  listen: 127.0.0.1:0\n  stop_timeout: 100ms\n"
	if err := os.WriteFile(cfg, []byte(safe), 0o600); err != nil {
		f.Fatal(err)
	}
	const endpoint = "http://127.0.0.1:1/rest/v3.1/"
	environ := map[string]string{"SL_USERNAME": "fuzz", "SL_API_KEY": testSecretForFuzz, "SL_ENDPOINT_URL": endpoint}
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Split(s, "\x00")
		if s == "" {
			args = nil
		}
		cmd := ""
		if len(args) > 0 {
			cmd = args[0]
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		switch cmd {
		case "export", "run", "verify", "serve":
			args = append(slices.Clip(args), "--config", cfg, "--out", filepath.Join(dir, "lake"), "--endpoint", endpoint)
			if cmd == "serve" {
				args = append(args, "--listen", "127.0.0.1:0")
				cancel() // flags and config are checked; the daemon stops at once
			}
		case "report": // reads the lake only; the page, if any, goes to the temporary folder
			args = append(slices.Clip(args), "--config", cfg, "--out", filepath.Join(dir, "lake"), "--html", filepath.Join(dir, "report.html"))
		}
		var stdout, stderr bytes.Buffer
		m := &Main{Stdout: &stdout, Stderr: &stderr, LookupEnv: func(k string) (string, bool) { v, ok := environ[k]; return v, ok }}
		code := m.Run(ctx, args)
		switch {
		case code == exitOK, code == exitTransient, code == exitUsage:
		case code == exitCancelled && cmd == "serve":
		default:
			t.Fatalf("args %q: exit %d, want 0, 1 or 2\nstderr: %s", args, code, stderr.String())
		}
		if strings.Contains(stdout.String()+stderr.String(), testSecretForFuzz) {
			t.Fatalf("args %q: the API key appears in the output", args)
		}
	})
}

const testSecretForFuzz = "fuzz-s3cr3t-api-key-0042"
