//go:build cgo

package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/invoicelake/invoicelake/extract/slsim"
	"github.com/invoicelake/invoicelake/schemas"
)

// BenchmarkFocus measures what the FOCUS view costs next to the export it
// would otherwise add to (issue 15: at most 20% of the export time on the
// 1M-item account), side by side in one run. The account and the replayed
// export are those of BenchmarkPipelineCPU (seed 1, 24 months, the export
// in a static child process from recorded pages). Per run: the export of
// the whole window into a fresh lake, then, over that lake in DuckDB
// (duckdb-go, in-process), the cost of materializing focus_1_2 as a
// partitioned Parquet table (what a materialized FOCUS table would add to
// each export) and of answering a typical FinOps query through the view.
//
//	INVOICELAKE_BENCH=1 go test -run '^$' -bench Focus -benchtime 1x -timeout 30m ./cmd/invoicelake/
//
// INVOICELAKE_BENCH_SIZES (default "1M") and INVOICELAKE_BENCH_RUNS
// (default 3) as for the pipeline benchmarks.
func BenchmarkFocus(b *testing.B) {
	benchEnabled(b)
	runs := benchEnvInt("INVOICELAKE_BENCH_RUNS", 3)
	child := buildBenchChild(b)
	for _, name := range strings.Split(envOr("INVOICELAKE_BENCH_SIZES", "1M"), ",") {
		sz, ok := benchSizes[name]
		if !ok {
			b.Fatalf("INVOICELAKE_BENCH_SIZES: unknown size %q (100k, 1M, 5M)", name)
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				focusRace(b, child, sz, runs)
			}
		})
	}
}

func focusRace(b *testing.B, child string, sz benchSize, runs int) {
	work := b.TempDir()
	pages := filepath.Join(work, "pages")
	sim, err := slsim.New(slsim.Options{Seed: 1, Months: benchMonths, Now: simNow, Scale: sz.scale, RateLimit: -1, APIKey: testAPIKey})
	if err != nil {
		b.Fatal(err)
	}
	store, err := newPageStore(pages, sim.Handler())
	if err != nil {
		b.Fatal(err)
	}
	export := func(url, lake string) proc {
		spec, _ := json.Marshal(exportArgs(lake))
		return runProc(b, child, childEnv(url, "INVOICELAKE_BENCH_CHILD="+string(spec)), "-test.run", "^TestBenchChild$", "-test.count", "1")
	}
	rec := newBenchServer(b, store)
	export(rec.URL+"/rest/v3.1/", filepath.Join(work, "lake-record"))
	rec.Close()
	if store.err != nil {
		b.Fatal(store.err)
	}
	srv := newBenchServer(b, store.replay())
	defer srv.Close()

	var exports, materialize, queries []time.Duration
	var ratios []float64
	var items, rows int64
	for i := range runs {
		lake := filepath.Join(work, fmt.Sprintf("lake-%d", i))
		runtime.GC()
		p := export(srv.URL+"/rest/v3.1/", lake)
		runtime.GC()
		m, q, n, k, err := focusCosts(lake, filepath.Join(work, fmt.Sprintf("focus-%d", i)))
		if err != nil {
			b.Fatal(err)
		}
		items, rows = n, k
		exports, materialize, queries = append(exports, p.wall), append(materialize, m), append(queries, q)
		ratios = append(ratios, 100*m.Seconds()/p.wall.Seconds())
		b.Logf("%s run %d: export %v; materialize focus_1_2 (%d rows from %d items) %v = %.1f%% of the export; query through the view %v",
			sz.name, i, p.wall.Round(time.Millisecond), k, n, m.Round(time.Millisecond), 100*m.Seconds()/p.wall.Seconds(), q.Round(time.Millisecond))
		os.RemoveAll(lake)
	}
	b.ReportMetric(float64(items), "items")
	b.ReportMetric(float64(rows), "focus-rows")
	b.ReportMetric(median(exports).Seconds(), "export-s")
	b.ReportMetric(median(materialize).Seconds(), "materialize-s")
	b.ReportMetric(median(ratios), "materialize-%-of-export")
	b.ReportMetric(median(queries).Seconds(), "view-query-s")
}

// focusCosts opens the lake in DuckDB with invoicelake's views and times
// (1) COPY focus_1_2 into Parquet partitioned by billing period, zstd, as
// the loader writes the lake, and (2) a typical query through the view
// (cost per month, provider and service category), warm, median of 3.
func focusCosts(lake, out string) (materialize, query time.Duration, items, rows int64, err error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return 0, 0, 0, 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ddl, err := schemas.DuckDBDDL(lake)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	if _, err := db.Exec(ddl); err != nil {
		return 0, 0, 0, 0, err
	}
	if err := db.QueryRow("SELECT count(*) FROM " + schemas.ItemsTable).Scan(&items); err != nil {
		return 0, 0, 0, 0, err
	}
	start := time.Now()
	if _, err := db.Exec(fmt.Sprintf("COPY (SELECT * FROM %s) TO '%s' (FORMAT parquet, PARTITION_BY (x_BillingPeriod), COMPRESSION zstd)", schemas.FocusView, out)); err != nil {
		return 0, 0, 0, 0, err
	}
	materialize = time.Since(start)
	if err := db.QueryRow(fmt.Sprintf("SELECT count(*) FROM read_parquet('%s/*/*.parquet')", out)).Scan(&rows); err != nil {
		return 0, 0, 0, 0, err
	}
	var qs []time.Duration
	for i := range 4 {
		start := time.Now()
		var n int64
		err := db.QueryRow(`SELECT count(*) FROM (SELECT BillingPeriodStart, ProviderName, ServiceCategory, sum(BilledCost), sum(EffectiveCost)
			FROM ` + schemas.FocusView + ` GROUP BY ALL)`).Scan(&n)
		if err != nil {
			return 0, 0, 0, 0, err
		}
		if i > 0 {
			qs = append(qs, time.Since(start))
		}
	}
	return materialize, median(qs), items, rows, nil
}
