package extract

import (
	"context"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/invoicelake/invoicelake/extract/slsim"
	"github.com/invoicelake/invoicelake/schemas"
)

// randomSpillItems makes n items with every field, nil or not, times in
// UTC and other offsets, and now and then a description longer than the
// read buffer.
func randomSpillItems(r *rand.Rand, n int) []schemas.InvoiceItem {
	i64 := func() *int64 {
		if r.IntN(3) == 0 {
			return nil
		}
		v := r.Int64N(1<<40) - 1<<39
		return &v
	}
	dec := func() *schemas.Decimal {
		if r.IntN(3) == 0 {
			return nil
		}
		d := schemas.DecimalFromUnits(r.Int64N(2e18) - 1e18)
		return &d
	}
	str := func(vals ...string) *string {
		if r.IntN(3) == 0 {
			return nil
		}
		s := vals[r.IntN(len(vals))]
		return &s
	}
	zones := []*time.Location{time.UTC, time.FixedZone("", -6*3600), time.FixedZone("", 5*3600+30*60)}
	items := make([]schemas.InvoiceItem, n)
	for i := range items {
		desc := "Dual Intel Xeon — 2×16 cores"
		if r.IntN(500) == 0 {
			desc = strings.Repeat("x", spillChunk+100)
		}
		it := schemas.InvoiceItem{
			ID: int64(1000 + i), InvoiceID: 7, ParentID: i64(), BillingItemID: i64(), AssociatedInvoiceItemID: i64(),
			ResourceTableID: i64(), ProductItemID: i64(),
			CategoryCode: []string{"server", "ram", ""}[r.IntN(3)], CategoryName: str("Server", "RAM", ""),
			Description: desc, HostName: str("web01", "db-ü"), DomainName: str("example.com"), Location: str("dal10", "fra02"),
			RecurringFee: dec(), HourlyRecurringFee: dec(), OneTimeFee: dec(), SetupFee: dec(), LaborFee: dec(),
			RecurringTaxAmount: dec(), OneTimeTaxAmount: dec(), SetupTaxAmount: dec(), LaborTaxAmount: dec(),
			RecurringAfterTaxAmount: dec(), OneTimeAfterTaxAmount: dec(), SetupAfterTaxAmount: dec(), LaborAfterTaxAmount: dec(),
		}
		if r.IntN(4) != 0 {
			t := time.Unix(1.7e9+r.Int64N(1e8), r.Int64N(1e9)).In(zones[r.IntN(len(zones))])
			it.CreateDate = &t
		}
		items[i] = it
	}
	return items
}

func readSpill(t *testing.T, seq func(func(*schemas.InvoiceItem, error) bool)) []schemas.InvoiceItem {
	t.Helper()
	var out []schemas.InvoiceItem
	for it, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cloneItem(it))
	}
	return out
}

// keysOf is what Keys yields of items: the strings but CategoryCode zero.
func keysOf(items []schemas.InvoiceItem) []schemas.InvoiceItem {
	out := make([]schemas.InvoiceItem, len(items))
	for i, it := range items {
		it.Description, it.CategoryName, it.HostName, it.DomainName, it.Location = "", nil, nil, nil, nil
		out[i] = it
	}
	return out
}

// sameInstant compares times by instant and zone offset.
var sameInstant = cmp.Comparer(func(a, b time.Time) bool {
	_, oa := a.Zone()
	_, ob := b.Zone()
	return a.Equal(b) && oa == ob
})

func TestSpillRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 50, 6000} {
		dir := t.TempDir()
		items := randomSpillItems(r, n)
		w := newSpillWriter(7, dir)
		for i := range items {
			if err := w.add(&items[i]); err != nil {
				t.Fatal(err)
			}
		}
		s, err := w.finish()
		if err != nil {
			t.Fatal(err)
		}
		if s.Len() != n {
			t.Errorf("n=%d: Len got %d, want %d", n, s.Len(), n)
		}
		if onFile := s.f != nil; onFile != (n == 6000) {
			t.Errorf("n=%d: got on file %t, want %t (memory up to %d bytes)", n, onFile, n == 6000, spillMemBytes)
		}
		// The file is unlinked at once: nothing is ever left in dir.
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("n=%d: got %d entries in the temp dir, want 0", n, len(ents))
		}
		for range 2 { // a spill reads any number of times
			if diff := cmp.Diff(items, readSpill(t, s.Items()), sameInstant); diff != "" && n > 0 {
				t.Fatalf("n=%d: Items (-want +got):\n%s", n, diff)
			}
			// Items reuses one slot: the item yielded before must have
			// been overwritten in place (a consumer that keeps it copies).
			var prev *schemas.InvoiceItem
			k := 0
			for it, err := range s.Items() {
				if err != nil {
					t.Fatal(err)
				}
				if prev != nil && prev != it {
					t.Fatalf("n=%d: Items yielded a new item at %d, want the one slot reused", n, k)
				}
				prev = it
				k++
			}
			// Keys reuses its item: compare each before the next.
			k = 0
			want := keysOf(items)
			for it, err := range s.Keys() {
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want[k], *it); diff != "" {
					t.Fatalf("n=%d: Keys item %d (-want +got):\n%s", n, k, diff)
				}
				k++
			}
			if k != n {
				t.Fatalf("n=%d: Keys got %d items, want %d", n, k, n)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close: got %v, want nil", err)
		}
		if n > 0 {
			for _, err := range s.Items() {
				if err == nil {
					t.Errorf("n=%d: read after Close: got nil error, want one", n)
				}
				break
			}
		}
	}
	if n := openSpills.Load(); n != 0 {
		t.Errorf("got %d spills open, want 0", n)
	}
}

func TestSpillCorrupt(t *testing.T) {
	items := randomSpillItems(rand.New(rand.NewPCG(3, 4)), 20)
	w := newSpillWriter(7, t.TempDir())
	for i := range items {
		w.add(&items[i])
	}
	s, err := w.finish()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	whole := s.mem
	for _, cut := range []int{1, len(whole) / 2, len(whole) - 1} {
		s.mem = whole[:cut]
		var last error
		for _, err := range s.Items() {
			last = err
		}
		if last == nil {
			t.Errorf("spill cut at %d of %d bytes: got no error, want one", cut, len(whole))
		}
	}
}

func TestSimSpillSameAsItems(t *testing.T) {
	srv := startSim(t, slsim.Options{Months: 2, HeavyInvoiceItems: 5000})
	dir := t.TempDir()
	c := simClient(t, srv, func(c *Config) { c.TempDir = dir })
	q := InvoiceQuery{Window: simWindow(2)}
	// The oracle: each invoice's items straight from the pager.
	var want []invoiceWithItems
	for inv, err := range c.Invoices(context.Background(), q) {
		if err != nil {
			t.Fatal(err)
		}
		v := invoiceWithItems{Invoice: inv}
		for it, err := range itemsOf(c, context.Background(), inv.ID) {
			if err != nil {
				t.Fatal(err)
			}
			v.Items = append(v.Items, it)
		}
		want = append(want, v)
	}
	var got []invoiceWithItems
	onFile := 0
	for v, err := range c.InvoicesWithItems(context.Background(), []InvoiceQuery{q}) {
		if err != nil {
			t.Fatal(err)
		}
		if v.Items.f != nil {
			onFile++
		}
		got = append(got, invoiceWithItems{Invoice: v.Invoice, Items: readSpill(t, v.Items.Items())})
		if err := v.Items.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if onFile == 0 {
		t.Errorf("got no invoice spilled to a file, want the heavy one")
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b []schemas.InvoiceItem) bool { return cmp.Equal(a, b) || len(a)+len(b) == 0 })); diff != "" {
		t.Errorf("spilled items vs the pager (-pager +spill):\n%s", diff)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("got %d entries in the temp dir, want 0", len(ents))
	}
	if n := openSpills.Load(); n != 0 {
		t.Errorf("got %d spills open, want 0", n)
	}
}

// Stopping early and cancelling close every spill the consumer was not
// given; goleak (TestMain) checks the goroutines.
func TestSimSpillStopAndCancel(t *testing.T) {
	srv := startSim(t, slsim.Options{Months: 2, HeavyInvoiceItems: 5000, Latency: 5 * time.Millisecond})
	c := simClient(t, srv, func(c *Config) { c.TempDir = t.TempDir(); c.Concurrency = 4; c.PageConcurrency = 2 })
	q := InvoiceQuery{Window: simWindow(2)}
	n := 0
	for v, err := range c.InvoicesWithItems(context.Background(), []InvoiceQuery{q}) {
		if err != nil {
			t.Fatal(err)
		}
		v.Items.Close()
		if n++; n == 3 {
			break
		}
	}
	if got := openSpills.Load(); got != 0 {
		t.Errorf("after stopping early: got %d spills open, want 0", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n = 0
	var last error
	for v, err := range c.InvoicesWithItems(ctx, []InvoiceQuery{q}) {
		if err != nil {
			last = err
			break
		}
		v.Items.Close()
		if n++; n == 2 {
			cancel()
		}
	}
	if last == nil {
		t.Errorf("after cancel: got no error, want one")
	}
	if got := openSpills.Load(); got != 0 {
		t.Errorf("after cancel: got %d spills open, want 0", got)
	}
}
