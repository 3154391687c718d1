package transform

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/invoicelake/invoicelake/schemas"
)

// memScratch is a Scratch in memory. It copies what it is given and what
// it returns, as a file does; failAfter > 0 makes the write after that
// many fail.
type memScratch struct {
	b         []byte
	writes    int
	failAfter int
}

var errScratch = errors.New("scratch: disk full")

func (m *memScratch) WriteAt(p []byte, off int64) (int, error) {
	m.writes++
	if m.failAfter > 0 && m.writes > m.failAfter {
		return 0, errScratch
	}
	if end := off + int64(len(p)); end > int64(len(m.b)) {
		m.b = append(m.b, make([]byte, end-int64(len(m.b)))...)
	}
	return copy(m.b[off:], p), nil
}

func (m *memScratch) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(m.b)) {
		return 0, io.EOF
	}
	n := copy(p, m.b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// streamBounded is streamInvoice with the Index on s and its bounds set
// to sz.
func streamBounded(tr *Transformer, inv schemas.Invoice, items []schemas.InvoiceItem, s Scratch, sz extSizes) (Result, bool, error) {
	hint := len(items)
	if hint%2 == 0 {
		hint = 0 // unknown: the Index moves to scratch as it passes the bound
	}
	x := NewIndex(inv.ID, hint)
	x.sizes = sz
	x.SetScratch(s)
	for i := range items {
		it := items[i]
		x.Add(&it)
	}
	ext := x.ext != nil
	st, err := tr.Stream(inv, x)
	if err != nil {
		return Result{}, ext, err
	}
	rows := make([]schemas.ItemRow, 0, st.Rows())
	for i := range items {
		var r schemas.ItemRow
		if err := st.Row(&r, &items[i]); err != nil {
			return Result{}, ext, err
		}
		rows = append(rows, r)
	}
	return Result{Period: st.Period, Invoice: st.Invoice, Items: rows, UnknownCodes: st.UnknownCodes, UnmappedRows: st.UnmappedRows}, ext, nil
}

// sameBounded checks that the Index on scratch gives what the Index in
// memory gives (rows column by column in input order, the invoice row, the
// error), and that both agree with the oracle (Invoice: Flatten's walk).
func sameBounded(t *testing.T, o Options, inv schemas.Invoice, items []schemas.InvoiceItem, sz extSizes) error {
	t.Helper()
	werr := sameAsInvoice(t, o, inv, items) // in memory vs the oracle
	want, err := streamInvoice(newT(t, o), inv, items)
	if fmt.Sprint(err) != fmt.Sprint(werr) {
		t.Fatalf("in memory: got %v, want %v", err, werr)
	}
	got, ext, gerr := streamBounded(newT(t, o), inv, items, &memScratch{}, sz)
	if !ext && len(items) > sz.mem {
		t.Fatalf("%d items, bound %d: the Index stayed in memory", len(items), sz.mem)
	}
	if fmt.Sprint(gerr) != fmt.Sprint(werr) {
		t.Fatalf("%d items %+v: on scratch: got error %v, want %v", len(items), sz, gerr, werr)
	}
	if werr != nil {
		var wh, gh *HierarchyError
		if errors.As(werr, &wh) != errors.As(gerr, &gh) || (wh != nil && !gocmp.Equal(*wh, *gh)) {
			t.Fatalf("on scratch: got %#v, want %#v", gerr, werr)
		}
		return werr
	}
	if diff := gocmp.Diff(want.Invoice, got.Invoice); diff != "" {
		t.Fatalf("invoice row (-memory +scratch):\n%s", diff)
	}
	if len(got.Items) != len(want.Items) {
		t.Fatalf("got %d rows, want %d", len(got.Items), len(want.Items))
	}
	for i := range want.Items {
		if diff := gocmp.Diff(want.Items[i], got.Items[i]); diff != "" {
			t.Fatalf("row %d (item %d) (-memory +scratch):\n%s", i, want.Items[i].ItemID, diff)
		}
	}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Fatalf("result (-memory +scratch):\n%s", diff)
	}
	return nil
}

// deepInvoice is n items in a hierarchy of depth up to maxDepth, parents
// anywhere in the input (ids sparse, input shuffled), top-level items
// associated with others, and, with broken, duplicates, orphans, cycles
// and totals out of range sprinkled in.
func deepInvoice(r *rand.Rand, n, maxDepth int, broken bool) (schemas.Invoice, []schemas.InvoiceItem) {
	inv, items := randomInvoice(r, n)
	ids := r.Perm(20 * n)
	level := make([]int, n)
	for i := range items {
		it := &items[i]
		it.ID, it.InvoiceID, it.ParentID, it.AssociatedInvoiceItemID = int64(1+ids[i]), 7, nil, nil
		it.OneTimeFee = nil
		if i > 0 && r.IntN(5) != 0 {
			p := r.IntN(i)
			if level[p] < maxDepth {
				level[i] = level[p] + 1
				it.ParentID = i64(items[p].ID)
			}
		}
		if it.ParentID == nil && r.IntN(6) == 0 {
			it.AssociatedInvoiceItemID = i64(int64(1 + ids[r.IntN(n+n/10+1)]))
		}
	}
	if broken {
		for range 1 + r.IntN(2) {
			i, j := r.IntN(n), r.IntN(n)
			switch r.IntN(5) {
			case 0: // duplicate
				items[i].ID = items[j].ID
			case 1: // orphan
				items[i].ParentID = i64(int64(20*n + 5 + r.IntN(n)))
			case 2: // a cycle through i's ancestors, or a self-loop
				items[j].ParentID = i64(items[i].ID)
				items[i].ParentID = i64(items[j].ID)
			case 3: // a total out of range
				items[i].OneTimeFee = dec("9999999999.99999999")
			case 4: // an item of another invoice
				items[i].InvoiceID = 8
			}
		}
	}
	r.Shuffle(n, func(i, j int) { items[i], items[j] = items[j], items[i] })
	return inv, items
}

// chainInvoice is n items in one chain (depth n-1), parents after
// children in the input: the most rounds of pointer jumping; with
// cycle, the top item's parent is the bottom one.
func chainInvoice(r *rand.Rand, n int, cycle bool) (schemas.Invoice, []schemas.InvoiceItem) {
	inv, items := validForest(r, n)
	for i := range items {
		items[i].ID = int64(1000 + i)
		items[i].ParentID = nil
		if i+1 < n {
			items[i].ParentID = i64(int64(1000 + i + 1))
		} else if cycle {
			items[i].ParentID = i64(1000 + int64(n/2))
		}
	}
	return inv, items
}

func randomSizes(r *rand.Rand) extSizes {
	return extSizes{mem: 1 + r.IntN(20), block: 1 + r.IntN(9), keys: 1 + r.IntN(25)}
}

// TestBoundedSameAsMemory: the Index on scratch gives the rows and the
// errors of the Index in memory, on inputs many times larger than its
// blocks, lookup tables and in-memory bound.
func TestBoundedSameAsMemory(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	outcomes := map[string]int{}
	for i := range 1500 {
		var inv schemas.Invoice
		var items []schemas.InvoiceItem
		switch i % 5 {
		case 0:
			inv, items = randomInvoice(r, 30+r.IntN(120))
		case 1:
			inv, items = validForest(r, 30+r.IntN(200))
		case 2:
			inv, items = chainInvoice(r, 30+r.IntN(100), r.IntN(3) == 0)
		default:
			inv, items = deepInvoice(r, 30+r.IntN(250), 1+r.IntN(5), r.IntN(2) == 0)
		}
		o := Options{StrictCategories: r.IntN(6) == 0}
		if r.IntN(6) == 0 {
			o.Reconcile = ReconcileFail
		}
		err := sameBounded(t, o, inv, items, randomSizes(r))
		k := fmt.Sprintf("%T", err)
		var he *HierarchyError
		if errors.As(err, &he) {
			k = he.Kind.sentinel().Error()
		}
		outcomes[k]++
	}
	for _, k := range []string{"<nil>", Orphan.sentinel().Error(), Cycle.sentinel().Error(), Duplicate.sentinel().Error(),
		Foreign.sentinel().Error(), "*fmt.wrapError", "*transform.UnknownCategoryError", "*transform.ReconcileError"} {
		if outcomes[k] == 0 {
			t.Errorf("got no %s outcome (%v), want some", k, outcomes)
		}
	}
}

// TestBoundedLarge: a bigger invoice, with bounds closer to the shipped
// ones' proportions, on a real file.
func TestBoundedLarge(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	f, err := os.CreateTemp(t.TempDir(), "scratch")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	inv, items := deepInvoice(r, 30000, 5, false)
	sz := extSizes{mem: 1000, block: 512, keys: 4096}
	o := Options{}
	want, err := streamInvoice(newT(t, o), inv, items)
	if err != nil {
		t.Fatal(err)
	}
	got, ext, err := streamBounded(newT(t, o), inv, items, f, sz)
	if err != nil || !ext {
		t.Fatalf("got %v (on scratch: %t), want rows from scratch", err, ext)
	}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Fatalf("(-memory +scratch):\n%s", diff)
	}
}

// TestBoundedScratchError: a scratch that fails fails the invoice; it never
// gives rows.
func TestBoundedScratchError(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	inv, items := deepInvoice(r, 500, 3, false)
	for _, after := range []int{1, 3, 10, 40, 80} {
		_, _, err := streamBounded(newT(t, Options{}), inv, items, &memScratch{failAfter: after}, extSizes{mem: 10, block: 16, keys: 64})
		if !errors.Is(err, errScratch) {
			t.Errorf("scratch failing after %d writes: got %v, want %v", after, err, errScratch)
		}
	}
}

// TestSmallStaysInMemory: an Index within its bound never touches its
// scratch.
func TestSmallStaysInMemory(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	inv, items := validForest(r, 100)
	s := &memScratch{}
	if _, ext, err := streamBounded(newT(t, Options{}), inv, items, s, extSizes{mem: 100, block: 8, keys: 8}); err != nil || ext || s.writes > 0 {
		t.Errorf("got error %v, on scratch %t, %d writes; want rows from memory, no write", err, ext, s.writes)
	}
}

// BenchmarkStreamScratch is BenchmarkStream at a million items, the Index
// in memory against the Index on a temporary file (the shipped bounds),
// items in id order (the API's) and shuffled (parents far away).
func BenchmarkStreamScratch(b *testing.B) {
	const n = 1 << 20
	for _, order := range []string{"sorted", "shuffled"} {
		for _, where := range []string{"memory", "scratch"} {
			b.Run(order+"/"+where, func(b *testing.B) {
				inv, items := benchItems(n)
				if order == "shuffled" {
					r := rand.New(rand.NewPCG(1, 2))
					r.Shuffle(n, func(i, j int) { items[i], items[j] = items[j], items[i] })
				}
				tr := newT(b, Options{})
				var r schemas.ItemRow
				for b.Loop() {
					x := NewIndex(inv.ID, len(items))
					var f *os.File
					if where == "scratch" {
						var err error
						if f, err = os.CreateTemp(b.TempDir(), "scratch"); err != nil {
							b.Fatal(err)
						}
						x.SetScratch(f)
					}
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
					if f != nil {
						f.Close()
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(items)), "ns/item")
			})
		}
	}
}

// FuzzBoundedSameAsMemory decodes the input as FuzzFlatten does ((id,
// parent) byte pairs, parent 0 top-level; the first byte sets the
// bounds): the Index on scratch must give the rows and the error of the
// Index in memory.
func FuzzBoundedSameAsMemory(f *testing.F) {
	f.Add([]byte{0x11, 1, 0, 2, 1, 3, 2, 4, 3, 5, 4})
	f.Add([]byte{0x00, 1, 0, 2, 3, 3, 2})
	f.Add([]byte{0x21, 1, 0, 1, 0, 2, 1})
	f.Add([]byte{0x01, 5, 5, 6, 5, 7, 9})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 1 {
			return
		}
		sz := extSizes{mem: 1 + int(data[0]&3), block: 1 + int(data[0]>>2&3), keys: 1 + int(data[0]>>4&7)}
		cd := mustTime("2024-03-01T00:00:00Z")
		var items []schemas.InvoiceItem
		for i := 1; i+1 < len(data); i += 2 {
			it := schemas.InvoiceItem{ID: int64(data[i]), InvoiceID: 7, CategoryCode: "server"}
			if data[i+1] != 0 {
				it.ParentID = i64(int64(data[i+1]))
			}
			items = append(items, it)
		}
		inv := schemas.Invoice{ID: 7, CreateDate: cd}
		tr := newT(t, Options{})
		want, werr := streamInvoice(tr, inv, items)
		got, _, gerr := streamBounded(tr, inv, items, &memScratch{}, sz)
		if fmt.Sprint(werr) != fmt.Sprint(gerr) {
			t.Fatalf("on scratch: got %v, want %v", gerr, werr)
		}
		if diff := gocmp.Diff(want, got); werr == nil && diff != "" {
			t.Fatalf("(-memory +scratch):\n%s", diff)
		}
	})
}
