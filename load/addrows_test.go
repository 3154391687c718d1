package load

import (
	"cmp"
	"context"
	"errors"
	"iter"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/invoicelake/invoicelake/schemas"
)

// seqOf yields rows sorted by item_id, as a streaming caller would.
func seqOf(rows []schemas.ItemRow) iter.Seq2[*schemas.ItemRow, error] {
	sorted := slices.Clone(rows)
	slices.SortFunc(sorted, func(a, b schemas.ItemRow) int { return cmp.Compare(a.ItemID, b.ItemID) })
	return func(yield func(*schemas.ItemRow, error) bool) {
		for i := range sorted {
			r := sorted[i] // a copy the writer must not keep
			if !yield(&r, nil) {
				return
			}
		}
	}
}

// repoint copies what *p points to into dst and points *p there.
func repoint[T any](p **T, dst *T) {
	if *p != nil {
		*dst = **p
		*p = dst
	}
}

// TestAddRowsSameFilesAsAdd writes one set four times: on the caller's
// goroutine (encodeAhead 0, the oracle), then with the encoder ahead,
// with Add (items shuffled) and with AddRows (items streamed in order,
// from fresh or poisoned slots), over more chunks than the encoder's ring
// holds and several files: the manifests, checksums included (every
// column of every file byte for byte), must be equal.
func TestAddRowsSameFilesAsAdd(t *testing.T) {
	set := genInvoices(march, 1000, 40, 300, 1)
	// One invoice bigger than several addChunk buffers.
	big := genInvoices(march, 2000, 1, 5000, 2)
	set.invoices = append(set.invoices, big.invoices...)
	set.items = append(set.items, big.items...)
	r := rand.New(rand.NewPCG(1, 2))
	var mans []Manifest
	if n := len(big.items[0]); n <= (encodeAhead+1)*addChunk {
		t.Fatalf("the big invoice has %d rows, not more than the encoder's %d chunks of %d", n, encodeAhead+1, addChunk)
	}
	ahead := encodeAhead
	defer func() { encodeAhead = ahead }()
	modes := []string{"sync", "add", "stream", "poisoned"}
	for _, mode := range modes {
		encodeAhead = ahead
		if mode == "sync" {
			encodeAhead = 0
		}
		l, _ := newFileLake(t, Options{MaxRowsPerFile: 7000})
		lock(t, l)
		w, err := l.Begin(march, RunInfo{RunID: "r"})
		if err != nil {
			t.Fatal(err)
		}
		for i, inv := range set.invoices {
			switch mode {
			case "stream":
				err = w.AddRows(inv, seqOf(set.items[i]))
			case "poisoned":
				err = w.AddRows(inv, poisonedSeqOf(set.items[i]))
			default:
				items := slices.Clone(set.items[i])
				r.Shuffle(len(items), func(a, b int) { items[a], items[b] = items[b], items[a] })
				err = w.Add(inv, items)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		m, err := w.Publish(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		mans = append(mans, m)
	}
	if len(mans[0].Items.Files) < 2 {
		t.Fatalf("got %d item files, want several", len(mans[0].Items.Files))
	}
	for i, mode := range modes[1:] {
		if diff := gocmp.Diff(mans[0].Files(), mans[i+1].Files()); diff != "" {
			t.Errorf("files (-on the caller's goroutine +%s, encoder ahead):\n%s", mode, diff)
		}
	}
}

func TestAddRowsRejectsBadInput(t *testing.T) {
	set := genInvoices(march, 1000, 3, 4, 1)
	other := genInvoices(march, 5000, 1, 2, 1)
	dup := slices.Clone(set.items[2])
	dup[1].ItemID = dup[0].ItemID
	short := set.invoices[2]
	short.ItemRows = 99
	boom := errors.New("boom")
	failing := func(yield func(*schemas.ItemRow, error) bool) {
		r := set.items[2][0]
		if yield(&r, nil) {
			yield(nil, boom)
		}
	}
	backwards := func(yield func(*schemas.ItemRow, error) bool) {
		rows := slices.Clone(set.items[2])
		slices.SortFunc(rows, func(a, b schemas.ItemRow) int { return cmp.Compare(b.ItemID, a.ItemID) })
		for i := range rows {
			if !yield(&rows[i], nil) {
				return
			}
		}
	}
	tests := []struct {
		name  string
		inv   schemas.InvoiceRow
		rows  iter.Seq2[*schemas.ItemRow, error]
		want  string
		isErr error
	}{
		{"out of order", set.invoices[0], seqOf(set.items[0]), "increasing invoice_id", nil},
		{"same id", set.invoices[1], seqOf(set.items[1]), "increasing invoice_id", nil},
		{"foreign item", set.invoices[2], seqOf(append(slices.Clone(set.items[2][:3]), other.items[0][0])), "belongs to invoice", nil},
		{"duplicate item", set.invoices[2], seqOf(dup), "appears twice", nil},
		{"items out of order", set.invoices[2], backwards, "increasing item_id", nil},
		{"item_rows mismatch", short, seqOf(set.items[2]), "item_rows = 99", nil},
		{"source error", set.invoices[2], failing, "boom", boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, _ := newFileLake(t, Options{})
			w, err := l.Begin(march, RunInfo{RunID: "r"})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			if err := w.AddRows(set.invoices[1], seqOf(set.items[1])); err != nil {
				t.Fatal(err)
			}
			err = w.AddRows(tt.inv, tt.rows)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("AddRows: got %v, want an error containing %q", err, tt.want)
			}
			if tt.isErr != nil && err != tt.isErr {
				t.Errorf("AddRows: got %v, want the rows' error as it is", err)
			}
			// Sticky: the writer refuses more and cannot publish.
			if err2 := w.AddRows(set.invoices[2], seqOf(set.items[2])); err2 == nil {
				t.Error("AddRows after an error: got nil, want the sticky error")
			}
			if _, err := w.Publish(context.Background()); err == nil {
				t.Error("Publish after an error: got nil, want the sticky error")
			}
		})
	}
}

// Add is the in-memory form of AddRows the tests use: one invoice and all
// its items, in any order (sorted here by item_id).
func (w *PeriodWriter) Add(inv schemas.InvoiceRow, items []schemas.ItemRow) error {
	return w.AddRows(inv, seqOf(items))
}

// poisonedSeqOf yields rows like seqOf, each from one reused slot whose
// values (the row and everything its pointer fields point to) are
// overwritten with garbage as soon as the next row is pulled: the most
// AddRows's contract allows a caller to do.
func poisonedSeqOf(rows []schemas.ItemRow) iter.Seq2[*schemas.ItemRow, error] {
	type slot struct {
		row               schemas.ItemRow
		cat, svc          string
		host, domain, loc string
		decs              [9]schemas.Decimal
		parent, res, bill int64
		created           time.Time
	}
	return func(yield func(*schemas.ItemRow, error) bool) {
		s := new(slot)
		poison := func() {
			s.row = schemas.ItemRow{InvoiceID: -1, ItemID: -1, Description: "poison"}
			s.cat, s.svc, s.host, s.domain, s.loc = "poison", "poison", "poison", "poison", "poison"
			for i := range s.decs {
				s.decs[i] = schemas.DecimalFromUnits(-123456789)
			}
			s.parent, s.res, s.bill = -7, -7, -7
			s.created = time.Unix(0, 0)
		}
		for r, err := range seqOf(rows) {
			s.row = *r
			repoint(&s.row.CategoryName, &s.cat)
			repoint(&s.row.ResourceService, &s.svc)
			repoint(&s.row.HostName, &s.host)
			repoint(&s.row.DomainName, &s.domain)
			repoint(&s.row.Location, &s.loc)
			for i, p := range []**schemas.Decimal{&s.row.RecurringFee, &s.row.HourlyRecurringFee, &s.row.OneTimeFee,
				&s.row.SetupFee, &s.row.LaborFee, &s.row.RecurringTaxAmount, &s.row.OneTimeTaxAmount,
				&s.row.SetupTaxAmount, &s.row.LaborTaxAmount} {
				repoint(p, &s.decs[i])
			}
			repoint(&s.row.ParentItemID, &s.parent)
			repoint(&s.row.ResourceID, &s.res)
			repoint(&s.row.BillingItemID, &s.bill)
			repoint(&s.row.CreateDate, &s.created)
			if !yield(&s.row, err) {
				return
			}
			poison()
		}
	}
}

// own must cover every pointer field of ItemRow: a field it misses would
// keep pointing into the caller's reused storage.
func TestRowStoreOwnsEveryPointer(t *testing.T) {
	var r schemas.ItemRow
	v := reflect.ValueOf(&r).Elem()
	var ptrs []string
	for i := range v.NumField() {
		f := v.Field(i)
		if f.Kind() != reflect.Pointer {
			continue
		}
		ptrs = append(ptrs, v.Type().Field(i).Name)
		f.Set(reflect.New(f.Type().Elem()))
	}
	orig := r
	var st rowStore
	st.own(&r)
	for _, name := range ptrs {
		if v.FieldByName(name).Pointer() == reflect.ValueOf(orig).FieldByName(name).Pointer() {
			t.Errorf("rowStore.own leaves ItemRow.%s pointing into the caller's storage", name)
		}
	}
}
