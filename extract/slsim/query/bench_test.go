package query

import (
	"strconv"
	"testing"
	"time"
)

// benchItems is a getItems-sized page set: 50,000 items as the simulator
// serves them for one large invoice.
func benchItems(n int) []Record {
	cats := []string{"server", "guest_core", "ram", "bandwidth", "storage_as_a_service"}
	rs := make([]Record, n)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, central)
	for i := range rs {
		rs[i] = rec{
			"id":           int64(n - i),
			"categoryCode": cats[i%len(cats)],
			"description":  "item " + strconv.Itoa(i),
			"recurringFee": Number(strconv.Itoa(i%1000) + "." + strconv.Itoa(i%100)),
			"createDate":   base.Add(time.Duration(i) * time.Minute),
			"category":     rec{"name": cats[i%len(cats)]},
		}
	}
	return rs
}

const benchFilter = `{"items":{"createDate":{"operation":"betweenDate","options":[{"name":"startDate","value":["01/01/2024 0:0:0"]},{"name":"endDate","value":["01/20/2024 23:59:59"]}]},` +
	`"categoryCode":{"operation":"in","options":[{"name":"data","value":["server","ram","bandwidth"]}]},` +
	`"recurringFee":{"operation":">= 10.5"},` +
	`"category":{"name":{"operation":"!~ ^guest"}},` +
	`"id":{"operation":"orderBy","options":[{"name":"sort","value":["ASC"]}]}}}`

func BenchmarkParseFilter(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseFilter(benchFilter); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseMask(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseMask(slcliInvoiceDetailMask); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMatch50k is the simulator's per-request work on a 50,000-item
// invoice: filter every item.
func BenchmarkMatch50k(b *testing.B) {
	rs := benchItems(50_000)
	f, err := ParseFilter(benchFilter)
	if err != nil {
		b.Fatal(err)
	}
	u := f.Under("items")
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, r := range rs {
			if u.Match(r, now, central) {
				n++
			}
		}
		if n == 0 {
			b.Fatal("no match")
		}
	}
}

// BenchmarkSort50k sorts 50,000 items by id (they start in reverse order).
func BenchmarkSort50k(b *testing.B) {
	rs := benchItems(50_000)
	f, err := ParseFilter(benchFilter)
	if err != nil {
		b.Fatal(err)
	}
	u := f.Under("items")
	work := make([]Record, len(rs))
	b.ReportAllocs()
	for b.Loop() {
		copy(work, rs)
		u.Sort(work)
	}
}
