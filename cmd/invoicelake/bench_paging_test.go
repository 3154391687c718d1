//go:build cgo

package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/invoicelake/invoicelake/extract/slsim"
)

// pageRecorder sits in front of the simulator's handler and notes every
// paged call: which listing, where, and whether the server answered it.
type pageRecorder struct {
	next http.Handler
	mu   sync.Mutex
	log  []benchPage
}

type benchPage struct {
	method, listing string
	offset, limit   int
	ok              bool
	total           int
}

func (pr *pageRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	pr.next.ServeHTTP(sw, r)
	rl := r.URL.Query().Get("resultLimit")
	if rl == "" {
		return
	}
	bp := benchPage{method: strings.TrimSuffix(r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:], ".json"),
		listing: r.URL.Path + "?" + r.URL.Query().Get("objectFilter")}
	off, lim, _ := strings.Cut(rl, ",")
	bp.offset, _ = strconv.Atoi(off)
	bp.limit, _ = strconv.Atoi(lim)
	// The simulator writes the header in the API's spelling (not
	// canonical), and drops it from its Internal Error.
	//lint:ignore SA1008 the simulator's spelling, as the API's
	if h := w.Header()["SoftLayer-Total-Items"]; sw.status == http.StatusOK && len(h) == 1 {
		if n, err := strconv.Atoi(h[0]); err == nil {
			bp.ok, bp.total = true, n
		}
	}
	pr.mu.Lock()
	pr.log = append(pr.log, bp)
	pr.mu.Unlock()
}

// statusWriter notes the status a handler writes.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// take returns the calls recorded since the last take.
func (pr *pageRecorder) take() []benchPage {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	out := pr.log
	pr.log = nil
	return out
}

// largestPages is the largest page (rows, the anchor excluded) the server
// answered, by method.
func largestPages(log []benchPage, into map[string]int) {
	for _, bp := range log {
		if !bp.ok {
			continue
		}
		rows := min(bp.limit, max(bp.total-bp.offset, 0))
		if bp.offset > 0 {
			rows--
		}
		into[bp.method] = max(into[bp.method], rows)
	}
}

// minPagedCalls is Σ over the listings of max(1, ceil(rows/largest)).
func minPagedCalls(log []benchPage, largest map[string]int) (calls, paged int64) {
	totals, method := map[string]int{}, map[string]string{}
	for _, bp := range log {
		paged++
		if bp.ok {
			totals[bp.listing] = max(totals[bp.listing], bp.total)
			method[bp.listing] = bp.method
		}
	}
	for k, n := range totals {
		l := max(1, largest[method[k]])
		calls += int64(max(1, (n+l-1)/l))
	}
	return calls, paged
}

// pagingResult is one mode of the page-size race.
type pagingResult struct {
	mode                   string
	calls, paged, minPaged int64
	tooMuch, rateLimited   int64
	wall                   time.Duration
	maxRSS                 int64
	log                    []benchPage
	items                  int64
}

// pagingRace exports one account three times through the static binary
// against the simulator at the API's latency and limit, with pages over
// INVOICELAKE_BENCH_PAGE_BYTES (default 1 MiB) refused with an Internal
// Error: today's pages (max_page_size 2: 50 invoices, 100 items, halved
// on "too much data"), adaptive pages from nothing, and adaptive pages
// from the sizes the previous run remembered. Size:
// INVOICELAKE_BENCH_PAGING_SIZE (default 1M).
func pagingRace(b *testing.B, bin string) {
	name := envOr("INVOICELAKE_BENCH_PAGING_SIZE", "1M")
	sz, ok := benchSizes[name]
	if !ok {
		b.Fatalf("INVOICELAKE_BENCH_PAGING_SIZE: unknown size %q", name)
	}
	maxBytes := benchEnvInt("INVOICELAKE_BENCH_PAGE_BYTES", 1<<20)
	sim, err := slsim.New(slsim.Options{Seed: 1, Months: benchMonths, Now: simNow, Scale: sz.scale,
		Latency: 150 * time.Millisecond, Jitter: 50 * time.Millisecond, RateLimit: 50, MaxPageBytes: maxBytes, APIKey: testAPIKey})
	if err != nil {
		b.Fatal(err)
	}
	rec := &pageRecorder{next: sim.Handler()}
	ts := httptest.NewServer(rec)
	defer ts.Close()
	url := ts.URL + "/rest/v3.1/"
	dir := b.TempDir()
	fixed := filepath.Join(dir, "fixed.yaml")
	if err := os.WriteFile(fixed, []byte("source:\n  max_page_size: 2\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	var results []pagingResult
	for _, m := range []struct{ mode, lake, config string }{
		{"today: fixed pages (max_page_size 2)", "lake-fixed", fixed},
		{"adaptive, first run", "lake-adaptive", ""},
		{"adaptive, sizes remembered", "lake-adaptive", ""},
	} {
		b.Run(strings.Fields(m.mode)[0]+strconv.Itoa(len(results)), func(b *testing.B) {
			for b.Loop() {
				lake := filepath.Join(dir, m.lake)
				args := []string{"export", "--out", lake, "--from", benchFrom().String(), "--to", benchTo().String(),
					"--log-format", "json", "--log-level", "warn"}
				if m.config != "" {
					args = append(args, "--config", m.config)
				}
				sim.ResetStats()
				rec.take()
				p := runProc(b, bin, childEnv(url), args...)
				st := sim.Stats()
				r := pagingResult{mode: m.mode, calls: st.Total, tooMuch: st.Faults["too_much_data"], rateLimited: st.RateLimited,
					wall: p.wall, maxRSS: p.maxRSS, log: rec.take()}
				if _, r.items, _, _, err = lakeCalls(lake); err != nil {
					b.Fatal(err)
				}
				b.Logf("%s: %d calls, %d too much data, %d rate-limited, %v, peak RSS %s MiB, %d items",
					m.mode, r.calls, r.tooMuch, r.rateLimited, p.wall.Round(time.Second), mib(p.maxRSS), r.items)
				results = append(results, r)
			}
		})
	}
	largest := map[string]int{}
	for _, r := range results {
		largestPages(r.log, largest)
	}
	for i := range results {
		results[i].minPaged, results[i].paged = minPagedCalls(results[i].log, largest)
	}
	writeDoc(b, "paging", renderPaging(results, name, sz, maxBytes, largest))
}

func renderPaging(rs []pagingResult, name string, sz benchSize, maxBytes int, largest map[string]int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s\n\n", machine())
	fmt.Fprintf(&sb, "Simulator: the %s account (seed 1, scale %g, %d months), latency 150 ms ± 50 ms, limit 50 requests/s, "+
		"a body over %d KiB answered HTTP 500 Internal Error (`MaxPageBytes`). `invoicelake export` (static binary) of every "+
		"period into a local lake, default settings (rate 40/s, concurrency 4). Largest page the server answered, over the runs: %s.\n\n",
		name, sz.scale, benchMonths, maxBytes>>10, largestList(largest))
	fmt.Fprintf(&sb, "| mode | items | API calls | paged calls / minimum at the largest accepted page | too-much-data answers | rate-limited answers | wall time | time / today's | peak RSS MiB |\n")
	fmt.Fprintf(&sb, "|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		fmt.Fprintf(&sb, "| %s | %d | %d | %d / %d = **%.3fx** | %d | %d | %.1f s | **%.2fx** | %s |\n",
			r.mode, r.items, r.calls, r.paged, r.minPaged, float64(r.paged)/float64(max(r.minPaged, 1)),
			r.tooMuch, r.rateLimited, r.wall.Seconds(), r.wall.Seconds()/rs[0].wall.Seconds(), mib(r.maxRSS))
	}
	fmt.Fprintf(&sb, "\nBy method (paged calls / minimum, failed):\n\n| mode | %s |\n|---|---|---|---|---|\n", strings.Join(benchMethods, " | "))
	for _, r := range rs {
		fmt.Fprintf(&sb, "| %s |", r.mode)
		for _, m := range benchMethods {
			var one []benchPage
			failed := 0
			for _, bp := range r.log {
				if bp.method == m {
					one = append(one, bp)
					if !bp.ok {
						failed++
					}
				}
			}
			min, paged := minPagedCalls(one, largest)
			fmt.Fprintf(&sb, " %d / %d, %d |", paged, min, failed)
		}
		fmt.Fprintf(&sb, "\n")
	}
	return sb.String()
}

var benchMethods = []string{"getInvoices", "getItems", "getAllTopLevelBillingItems", "getNextInvoiceTopLevelBillingItems"}

func largestList(m map[string]int) string {
	var s []string
	for _, k := range benchMethods {
		if v, ok := m[k]; ok {
			s = append(s, fmt.Sprintf("%s %d rows", k, v))
		}
	}
	return strings.Join(s, ", ")
}
