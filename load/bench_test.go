package load

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/invoicelake/invoicelake/schemas"
)

// BenchmarkWriteItems measures the write path alone: Add of invoices with
// their items into a PeriodWriter and closing the Parquet files on local
// disk (no bucket, no read-back). Rows are generated on the fly from a
// template so the generator holds nothing. Metrics: items/s, bytes/item
// (Parquet bytes written per item row, invoices file included) and
// peak-heap-MiB (the highest HeapInuse sampled every 5 ms during the run).
//
//	go test -run '^$' -bench WriteItems -benchtime 1x ./load/
func BenchmarkWriteItems(b *testing.B) {
	for _, items := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("items=%d", items), func(b *testing.B) {
			benchWrite(b, items)
		})
	}
}

func benchWrite(b *testing.B, nItems int) {
	const perInvoice = 25
	tmpl := genInvoices(march, 1, 1, perInvoice, 1)
	l := NewLake(nil, Options{Account: testAccount, TempDir: b.TempDir()})
	items := make([]schemas.ItemRow, perInvoice)
	host := make([]string, 500)
	for i := range host {
		host[i] = fmt.Sprintf("Computing Instance for host%04d.example.com", i)
	}

	runtime.GC()
	var peak uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	})

	var bytes int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w, err := l.Begin(march, RunInfo{RunID: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		for n := range nItems / perInvoice {
			id := int64(1_000_000 + n)
			inv := tmpl.invoices[0]
			inv.InvoiceID = id
			for j := range items {
				it := tmpl.items[0][j]
				it.InvoiceID = id
				it.ItemID = id*100 + int64(j)
				it.TopLevelItemID = id*100 + int64(j-j%5)
				if it.ParentItemID != nil {
					p := it.TopLevelItemID
					it.ParentItemID = &p
				}
				it.Description = host[(n*7+j)%len(host)]
				it.TotalAmount = schemas.DecimalFromUnits(int64(n%9973) * 1_000_000)
				items[j] = it
			}
			if err := w.Add(inv, items); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.inv.finish(); err != nil {
			b.Fatal(err)
		}
		if err := w.items.finish(); err != nil {
			b.Fatal(err)
		}
		for _, f := range append(w.inv.files, w.items.files...) {
			bytes += f.size
		}
		w.Abort()
	}
	b.StopTimer()
	close(stop)
	wg.Wait()
	rows := float64(nItems) * float64(b.N)
	b.ReportMetric(rows/b.Elapsed().Seconds(), "items/s")
	b.ReportMetric(float64(bytes)/rows, "bytes/item")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}
