package extract

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/invoicelake/invoicelake/extract/slsim"
	"github.com/invoicelake/invoicelake/schemas"
)

// Benchmark knobs: the account and the client. The defaults give >= 100
// invoices and >= 200,000 items over the window, 150 ms +/- 50 ms latency
// and the API's 50/s limit.
var (
	benchScale   = flag.Float64("sim.scale", 20, "simulator account scale")
	benchMonths  = flag.Int("sim.months", 12, "months of history")
	benchHeavy   = flag.Int("sim.heavy", 100000, "items of the heaviest invoice")
	benchRate    = flag.Float64("extract.rate", DefaultRate, "client requests/s")
	benchConc    = flag.Int("extract.concurrency", 16, "invoices in parallel")
	benchPages   = flag.Int("extract.pages", 10, "pages of one invoice in parallel")
	slcliInvoice = flag.Int("slcli.invoices", 0, "invoices slcli pages (0: all in the window)")
)

func benchSim(b *testing.B) (*slsim.Server, schemas.Window) {
	srv := startSim(b, slsim.Options{Seed: 1, Months: *benchMonths, Scale: *benchScale, HeavyInvoiceItems: *benchHeavy,
		Latency: 150 * time.Millisecond, Jitter: 50 * time.Millisecond, RateLimit: 50})
	to := schemas.PeriodOf(simNow)
	return srv, schemas.Window{From: to.AddMonths(-*benchMonths - 1), To: to}
}

// peakHeap samples live heap bytes until stop is closed.
type peakHeap struct {
	mu   sync.Mutex
	peak uint64
	stop chan struct{}
	done chan struct{}
}

func startPeakHeap() *peakHeap {
	p := &peakHeap{stop: make(chan struct{}), done: make(chan struct{})}
	runtime.GC()
	go func() {
		defer close(p.done)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			p.mu.Lock()
			p.peak = max(p.peak, s[0].Value.Uint64())
			p.mu.Unlock()
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *peakHeap) Stop() uint64 {
	close(p.stop)
	<-p.done
	return p.peak
}

// BenchmarkExtract runs a whole extraction against the simulator with
// realistic latency and the 50/s limit, then slcli on the same invoices.
// Run once: go test -tags simtest -run '^$' -bench Extract -benchtime 1x ./extract/
func BenchmarkExtract(b *testing.B) {
	srv, w := benchSim(b)
	var invoiceIDs []int64
	b.Run("invoicelake", func(b *testing.B) {
		for b.Loop() {
			srv.Sim().ResetStats()
			c := simClient(b, srv, func(c *Config) {
				c.Rate, c.Burst = *benchRate, 1
				c.Concurrency, c.PageConcurrency = *benchConc, *benchPages
				c.Timeout = 30 * time.Second
				c.Retry = RetryPolicy{}
			})
			ph := startPeakHeap()
			start := time.Now()
			var invoices, items, minCalls int64
			invoiceIDs = invoiceIDs[:0]
			for v, err := range c.InvoicesWithItems(context.Background(), []InvoiceQuery{{Window: w}}) {
				if err != nil {
					b.Fatal(err)
				}
				n := int64(v.Items.Len())
				v.Items.Close()
				invoices++
				items += n
				invoiceIDs = append(invoiceIDs, v.Invoice.ID)
				if !(v.Invoice.ItemCount != nil && *v.Invoice.ItemCount == 0 && v.Invoice.StatusCode == "CLOSED") {
					minCalls += max(1, (n+DefaultItemPageSize-1)/DefaultItemPageSize)
				}
			}
			elapsed := time.Since(start)
			peak := ph.Stop()
			minCalls += (invoices + DefaultInvoicePageSize - 1) / DefaultInvoicePageSize
			st, ss := c.Stats(), srv.Sim().Stats()
			calls := st.TotalCalls()
			b.ReportMetric(float64(invoices), "invoices")
			b.ReportMetric(float64(items), "items")
			b.ReportMetric(float64(calls), "calls")
			b.ReportMetric(float64(calls)/float64(minCalls), "calls/min")
			b.ReportMetric(float64(calls)/elapsed.Seconds(), "req/s")
			b.ReportMetric(float64(calls)/elapsed.Seconds() / *benchRate, "rate-fraction")
			b.ReportMetric(float64(st.RateLimitErrors), "ratelimit-errors")
			b.ReportMetric(float64(ss.MaxPerSecond), "server-max-req/1s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(items)/elapsed.Seconds(), "items/s")
			b.ReportMetric(elapsed.Seconds(), "wall-s")
			b.Logf("invoices %d items %d calls %d (min %d) by method %v retries %v reductions %d bytes %d server %+v",
				invoices, items, calls, minCalls, st.Calls, st.Retries, st.PageSizeReductions, st.Bytes, ss)
			if items < 200_000 || invoices < 100 {
				b.Logf("WARNING: account smaller than the goal (100 invoices, 200,000 items); raise -sim.scale")
			}
		}
	})
	b.Run("slcli", func(b *testing.B) {
		slcli, err := exec.LookPath("slcli")
		if err != nil {
			b.Skip("slcli not installed")
		}
		if len(invoiceIDs) == 0 {
			b.Skip("run with the invoicelake sub-benchmark first")
		}
		ids := invoiceIDs
		if *slcliInvoice > 0 && *slcliInvoice < len(ids) {
			ids = ids[:*slcliInvoice]
		}
		cfg := filepath.Join(b.TempDir(), "sim.conf")
		conf := fmt.Sprintf("[softlayer]\nusername = %s\napi_key = %s\nendpoint_url = %s\ntimeout = 60\n",
			slsim.DefaultUser, slsim.DefaultAPIKey, srv.URL())
		if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
			b.Fatal(err)
		}
		env := []string{"HOME=" + b.TempDir(), "PATH=" + os.Getenv("PATH")}
		for b.Loop() {
			srv.Sim().ResetStats()
			start := time.Now()
			for _, id := range ids {
				cmd := exec.Command(slcli, "-C", cfg, "--format", "json", "account", "invoice-detail", fmt.Sprint(id), "--details")
				cmd.Env = env
				out, err := cmd.CombinedOutput()
				if err != nil {
					b.Fatalf("slcli invoice-detail %d: %v: %s", id, err, strings.TrimSpace(string(out)))
				}
			}
			elapsed := time.Since(start)
			ss := srv.Sim().Stats()
			b.ReportMetric(float64(len(ids)), "invoices")
			b.ReportMetric(float64(ss.Total), "calls")
			b.ReportMetric(float64(ss.Total)/elapsed.Seconds(), "req/s")
			b.ReportMetric(elapsed.Seconds(), "wall-s")
			b.Logf("slcli: %d invoices, %d calls %v, %s", len(ids), ss.Total, ss.Requests, elapsed)
		}
	})
}
