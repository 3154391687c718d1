package transform

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/invoicelake/invoicelake/schemas"
)

// streamInvoice runs Stream over items (two passes, as a caller with the
// items on disk would) and returns what Invoice returns, rows in input order.
func streamInvoice(tr *Transformer, inv schemas.Invoice, items []schemas.InvoiceItem) (Result, error) {
	x := NewIndex(inv.ID, len(items))
	for i := range items {
		it := items[i] // a copy: the second pass must not need the first's values
		x.Add(&it)
	}
	s, err := tr.Stream(inv, x)
	if err != nil {
		return Result{}, err
	}
	rows := make([]schemas.ItemRow, 0, s.Rows())
	for i := range items {
		var r schemas.ItemRow
		if err := s.Row(&r, &items[i]); err != nil {
			return Result{}, err
		}
		rows = append(rows, r)
	}
	return Result{Period: s.Period, Invoice: s.Invoice, Items: rows, UnknownCodes: s.UnknownCodes, UnmappedRows: s.UnmappedRows}, nil
}

func byItemID(rows []schemas.ItemRow) []schemas.ItemRow {
	out := slices.Clone(rows)
	slices.SortStableFunc(out, func(a, b schemas.ItemRow) int { return cmp.Compare(a.ItemID, b.ItemID) })
	return out
}

// sameAsInvoice checks that Stream gives what Invoice gives: the same
// invoice row, the same item rows (in input order rather than parents
// first), the same error, the same unknown codes and unmapped rows.
func sameAsInvoice(t *testing.T, o Options, inv schemas.Invoice, items []schemas.InvoiceItem) error {
	t.Helper()
	ta, tb := newT(t, o), newT(t, o)
	want, werr := ta.Invoice(inv, items)
	got, gerr := streamInvoice(tb, inv, items)
	if fmt.Sprint(werr) != fmt.Sprint(gerr) {
		t.Fatalf("Stream error: got %v, want %v (Invoice's)", gerr, werr)
	}
	if werr != nil {
		return werr
	}
	want.Items = byItemID(want.Items)
	got.Items = byItemID(got.Items)
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Fatalf("Stream vs Invoice (-Invoice +Stream):\n%s", diff)
	}
	return nil
}

func TestStreamSample(t *testing.T) {
	inv, items := sampleInvoice()
	for _, o := range []Options{{}, {StrictCategories: true}, {Reconcile: ReconcileFail}} {
		if err := sameAsInvoice(t, o, inv, items); err != nil {
			t.Errorf("got %v, want the sample to transform", err)
		}
	}
	// In id order, the order the API sends.
	slices.SortFunc(items, func(a, b schemas.InvoiceItem) int { return cmp.Compare(a.ID, b.ID) })
	tr := newT(t, Options{})
	res, err := streamInvoice(tr, inv, items)
	if err != nil {
		t.Fatal(err)
	}
	got := shapes(res.Items)
	want := []shape{{10, 10, 0}, {11, 10, 1}, {12, 10, 1}, {20, 20, 0}}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if res.Items[1].ResourceID == nil || *res.Items[1].ResourceID != 555 || res.Items[1].ResourceService == nil {
		t.Errorf("child row: got resource %v service %v, want 555 and the server's service", res.Items[1].ResourceID, res.Items[1].ResourceService)
	}
}

// randomInvoice is an invoice of random items: broken hierarchies (from a
// small id space), unknown codes, fees that may overflow, items of another
// invoice, UTC and non-UTC create dates.
func randomInvoice(r *rand.Rand, n int) (schemas.Invoice, []schemas.InvoiceItem) {
	codes := []string{"server", "guest_core", "credit", "ram", "odd1", "odd2"}
	cd := mustTime("2024-03-31T23:30:00-05:00")
	cdUTC := cd.UTC()
	items := make([]schemas.InvoiceItem, n)
	var total schemas.Decimal
	for i := range items {
		it := schemas.InvoiceItem{ID: int64(1 + r.IntN(3*n)), InvoiceID: 7, CategoryCode: codes[r.IntN(len(codes))]}
		if r.IntN(50) == 0 {
			it.InvoiceID = 0
		}
		if r.IntN(300) == 0 {
			it.InvoiceID = 8
		}
		if r.IntN(3) != 0 {
			it.ParentID = i64(int64(1 + r.IntN(3*n)))
		}
		if r.IntN(2) == 0 {
			it.ResourceTableID = i64(int64(r.IntN(1000)))
		}
		switch r.IntN(3) {
		case 0:
			it.CreateDate = &cd
		case 1:
			it.CreateDate = &cdUTC
		}
		fee := schemas.DecimalFromUnits(int64(r.IntN(1_000_000_000)))
		it.RecurringFee, it.SetupTaxAmount = &fee, dec("0.07")
		if r.IntN(400) == 0 {
			it.OneTimeFee = dec("9999999999.99999999")
		}
		total += fee + schemas.MustParseDecimal("0.07")
		items[i] = it
	}
	inv := schemas.Invoice{ID: 7, CreateDate: cd, InvoiceTotalAmount: &total, ItemCount: i64(int64(n))}
	if r.IntN(3) == 0 {
		inv.ItemCount = i64(int64(n + 1))
	}
	return inv, items
}

// validForest is a valid hierarchy of n items sorted by id.
func validForest(r *rand.Rand, n int) (schemas.Invoice, []schemas.InvoiceItem) {
	inv, items := randomInvoice(r, n)
	for i := range items {
		items[i].ID = int64(100 + i)
		items[i].InvoiceID = 7
		items[i].ParentID = nil
		if i > 0 && r.IntN(4) != 0 {
			items[i].ParentID = i64(int64(100 + r.IntN(i)))
		}
	}
	return inv, items
}

func TestStreamSameAsInvoice(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	outcomes := map[string]int{}
	for i := range 3000 {
		inv, items := randomInvoice(r, 1+r.IntN(14))
		if i%2 == 0 {
			inv, items = validForest(r, 1+r.IntN(40))
		}
		if r.IntN(2) == 0 {
			slices.SortFunc(items, func(a, b schemas.InvoiceItem) int { return cmp.Compare(a.ID, b.ID) })
		}
		o := Options{StrictCategories: r.IntN(4) == 0}
		if r.IntN(4) == 0 {
			o.Reconcile = ReconcileFail
		}
		err := sameAsInvoice(t, o, inv, items)
		outcomes[fmt.Sprintf("%T", err)]++
	}
	// The generator must reach every outcome, or this test proves little.
	for _, k := range []string{"<nil>", "*transform.HierarchyError", "*transform.UnknownCategoryError", "*transform.ReconcileError", "*fmt.wrapError"} {
		if outcomes[k] == 0 {
			t.Errorf("got no %s outcome in 3000 random invoices (%v), want some", k, outcomes)
		}
	}
}

func TestStreamRowOrder(t *testing.T) {
	inv, items := sampleInvoice()
	tr := newT(t, Options{})
	x := NewIndex(inv.ID, 0)
	for i := range items {
		x.Add(&items[i])
	}
	s, err := tr.Stream(inv, x)
	if err != nil {
		t.Fatal(err)
	}
	var r schemas.ItemRow
	if err := s.Row(&r, &items[1]); err == nil {
		t.Errorf("Row of the second item first: got nil error, want one")
	}
	for i := range items {
		if err := s.Row(&r, &items[i]); err != nil {
			t.Fatalf("Row %d: %v", i, err)
		}
	}
	if err := s.Row(&r, &items[0]); err == nil {
		t.Errorf("Row past the last item: got nil error, want one")
	}
	if _, err := tr.Stream(inv, x); err == nil {
		t.Errorf("second Stream of one Index: got nil error, want one")
	}
	if _, err := tr.Stream(schemas.Invoice{ID: 8, CreateDate: inv.CreateDate}, NewIndex(7, 0)); err == nil {
		t.Errorf("Stream with another invoice's Index: got nil error, want one")
	}
}

// BenchmarkStream is BenchmarkInvoice's invoice made into rows by the two
// passes of Stream.
func BenchmarkStream(b *testing.B) {
	for _, n := range []int{8, 1024, 65536} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			inv, items := benchItems(n)
			tr := newT(b, Options{})
			b.ReportAllocs()
			var r schemas.ItemRow
			for b.Loop() {
				x := NewIndex(inv.ID, len(items))
				for i := range items {
					x.Add(&items[i])
				}
				s, err := tr.Stream(inv, x)
				if err != nil || !s.Invoice.Reconciled {
					b.Fatal(err)
				}
				for i := range items {
					if err := s.Row(&r, &items[i]); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(items)), "ns/item")
		})
	}
}
