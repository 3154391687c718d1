package main

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// env is the process environment a test run sees. It lives in a file
// without the cgo constraint: cli_test.go uses it, and the benchmarks'
// child binary is built with CGO_ENABLED=0.
type env map[string]string

// run executes one command line in-process and returns its exit code and output.
func (e env) run(t *testing.T, ctx context.Context, now func() time.Time, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	m := &Main{Stdout: &stdout, Stderr: &stderr, Now: now,
		LookupEnv: func(k string) (string, bool) { v, ok := e[k]; return v, ok }}
	code := m.Run(ctx, args)
	return code, stdout.String(), stderr.String()
}
