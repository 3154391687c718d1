package extract

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkSpill is the extractor's share of the exporter's CPU per item:
// encode into a spill, then the two passes the pipeline makes (Keys, then
// Items).
func BenchmarkSpill(b *testing.B) {
	items := randomSpillItems(rand.New(rand.NewPCG(1, 2)), 10000)
	dir := b.TempDir()
	b.ReportAllocs()
	for b.Loop() {
		w := newSpillWriter(7, dir)
		for i := range items {
			if err := w.add(&items[i]); err != nil {
				b.Fatal(err)
			}
		}
		s, err := w.finish()
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for _, err := range s.Keys() {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		for _, err := range s.Items() {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		s.Close()
		if n != 2*len(items) {
			b.Fatalf("got %d, want %d", n, 2*len(items))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(items)), "ns/item")
}
