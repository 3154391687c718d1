package slsim

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"
)

// BenchmarkItemsPage pages 100 items of the heaviest invoice (20k items)
// over HTTP, as the extractor does.
func BenchmarkItemsPage(b *testing.B) {
	srv, err := Start(Options{Seed: 1, Now: testNow, RateLimit: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	var heavy *header
	_, hs := srv.Sim().snapshot()
	for _, h := range hs {
		if heavy == nil || h.base.items > heavy.base.items {
			heavy = h
		}
	}
	q := url.Values{"objectMask": {"mask[id,parentId,categoryCode,description,recurringFee,oneTimeFee,recurringTaxAmount,category[name],location[name]]"},
		"objectFilter": {`{"items":{"id":{"operation":"orderBy","options":[{"name":"sort","value":["ASC"]}]}}}`}}
	base := srv.URL() + "SoftLayer_Billing_Invoice/" + strconv.FormatInt(heavy.id, 10) + "/getItems.json?"
	b.ResetTimer()
	t0 := time.Now()
	var bytes int64
	for i := 0; i < b.N; i++ {
		q.Set("resultLimit", strconv.Itoa((i*100)%int(heavy.base.items))+",100")
		req, _ := http.NewRequest("GET", base+q.Encode(), nil)
		req.SetBasicAuth(DefaultUser, DefaultAPIKey)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, res.Body)
		bytes += n
		res.Body.Close()
	}
	b.ReportMetric(float64(heavy.base.items), "items/invoice")
	b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "pages/s")
	b.SetBytes(bytes / int64(b.N))
}
