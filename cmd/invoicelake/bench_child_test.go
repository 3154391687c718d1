package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/invoicelake/invoicelake/extract"
)

// TestBenchChild is not a test: it is the process the CPU benchmark
// (bench_test.go) measures. The benchmark builds this package's test binary
// with CGO_ENABLED=0 and runs it with INVOICELAKE_BENCH_CHILD set to a JSON
// array of command-line arguments; the command then runs exactly as the
// shipped binary runs it, except that the client's rate limit is lifted
// (the replay server it talks to has none), so the figure is the pipeline's
// own CPU cost, on fixed pages. With INVOICELAKE_BENCH_LIFT_CAPS=1 the caps on one
// invoice's items are lifted instead, and the rate limit kept
// (bench_memory_test.go). Skipped unless the variable is set.
func TestBenchChild(t *testing.T) {
	spec := os.Getenv("INVOICELAKE_BENCH_CHILD")
	if spec == "" {
		t.Skip("only run by the benchmarks (INVOICELAKE_BENCH_CHILD)")
	}
	var args []string
	if err := json.Unmarshal([]byte(spec), &args); err != nil {
		t.Fatalf("INVOICELAKE_BENCH_CHILD: %v", err)
	}
	lift := os.Getenv("INVOICELAKE_BENCH_LIFT_CAPS") == "1" // the memory benchmark's invoices above 1M items
	setMemoryLimit()                                        // as main does: the benchmarks measure the shipped defaults
	benchExtract = func(c *extract.Config) {
		if lift {
			c.MaxListRows, c.MaxSpillBytes = 10_000_000, 8<<30
			return
		}
		c.Rate, c.Burst = math.MaxFloat64, 1<<20
		// Fixed pages (50 invoices, 100 items, as the baseline's): a
		// replay serves only the pages it recorded, and growing pages
		// are not the same from run to run. BenchmarkPipelineAPI
		// measures growth.
		c.MaxPageSize = 2
	}
	defer func() { benchExtract = nil }()
	m := &Main{Stdout: os.Stdout, Stderr: os.Stderr, Stdin: os.Stdin, LookupEnv: os.LookupEnv}
	if code := m.Run(context.Background(), args); code != 0 {
		t.Fatalf("invoicelake %v: exit %d, want 0", args, code)
	}
}
