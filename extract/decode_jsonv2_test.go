//go:build goexperiment.jsonv2

package extract

import (
	jsonv2 "encoding/json/v2"
	"testing"

	"github.com/invoicelake/invoicelake/schemas"
)

// BenchmarkDecodeItemsJSONv2 is the baseline with encoding/json/v2
// (GOEXPERIMENT=jsonv2 go test -bench DecodeItems ./extract/).
func BenchmarkDecodeItemsJSONv2(b *testing.B) {
	body := benchItemsPage()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var dst []schemas.InvoiceItem
	for b.Loop() {
		var js []jsonItem
		if err := jsonv2.Unmarshal(body, &js); err != nil || len(js) != 100 {
			b.Fatalf("got %d, %v", len(js), err)
		}
		dst = dst[:0]
		for i := range js {
			dst = append(dst, js[i].item())
		}
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "items/s")
}
