package load

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/invoicelake/invoicelake/schemas"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

var (
	march = schemas.Period{Year: 2024, Month: time.March}
	april = schemas.Period{Year: 2024, Month: time.April}
)

// testAccount is the account of the lakes the tests write; acctDir its
// folder below each of the lake's folders.
const (
	testAccount = 4242
	acctDir     = "account_id=4242/"
)

func newFileLake(t *testing.T, o Options) (*Lake, *FileBucket) {
	t.Helper()
	b, err := NewFileBucket(filepath.Join(t.TempDir(), "lake"))
	if err != nil {
		t.Fatal(err)
	}
	if o.TempDir == "" {
		o.TempDir = t.TempDir()
	}
	if o.Account == 0 {
		o.Account = testAccount
	}
	return NewLake(b, o), b
}

func lock(t *testing.T, l *Lake) *Lock {
	t.Helper()
	k, err := l.Lock(context.Background(), "test", time.Hour)
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	return k
}

// publish writes set as the new version of p.
func publish(t *testing.T, l *Lake, p schemas.Period, run string, set *invoiceSet) Manifest {
	t.Helper()
	m, err := tryPublish(context.Background(), l, p, run, set)
	if err != nil {
		t.Fatalf("publish %s run %s: %v", p, run, err)
	}
	return m
}

func tryPublish(ctx context.Context, l *Lake, p schemas.Period, run string, set *invoiceSet) (Manifest, error) {
	return tryPublishRun(ctx, l, p, RunInfo{RunID: run}, set)
}

func tryPublishRun(ctx context.Context, l *Lake, p schemas.Period, run RunInfo, set *invoiceSet) (Manifest, error) {
	run.Watermark = time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	w, err := l.Begin(p, run)
	if err != nil {
		return Manifest{}, err
	}
	for i, inv := range set.invoices {
		if err := w.Add(inv, set.items[i]); err != nil {
			w.Abort()
			return Manifest{}, err
		}
	}
	return w.Publish(ctx)
}

// keys lists every object under prefix.
func keys(t *testing.T, b Bucket, prefix string) []string {
	t.Helper()
	var out []string
	for o, err := range b.List(context.Background(), prefix) {
		if err != nil {
			t.Fatalf("List(%q): %v", prefix, err)
		}
		out = append(out, o.Key)
	}
	return out
}

// tableKeys lists every object in the table folders of the periods.
func tableKeys(t *testing.T, b Bucket) []string {
	t.Helper()
	var out []string
	for _, d := range tableDirs {
		out = append(out, keys(t, b, d+"/")...)
	}
	return out
}

func manifestKeys(ms ...Manifest) []string {
	var out []string
	for _, m := range ms {
		for _, f := range m.Files() {
			out = append(out, f.Key)
		}
	}
	slices.Sort(out)
	return out
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

func TestPublishAndSummarize(t *testing.T) {
	ctx := context.Background()
	l, b := newFileLake(t, Options{RowGroupRows: 1000})
	lock(t, l)
	set := genInvoices(march, 1000, 300, 12, 1)
	m := publish(t, l, march, "run-1", set)

	if m.Invoices.Rows != 300 || m.Items.Rows != set.nItems {
		t.Errorf("manifest rows: got %d invoices %d items, want 300 and %d", m.Invoices.Rows, m.Items.Rows, set.nItems)
	}
	if got, want := m.Items.Sums["total_amount"], set.itemsTotal.String(); got != want {
		t.Errorf("manifest Σ total_amount: got %s, want %s", got, want)
	}
	if got, want := m.Invoices.Sums["invoice_total_amount"], set.invoiceTotal.String(); got != want {
		t.Errorf("manifest Σ invoice_total_amount: got %s, want %s", got, want)
	}
	if diff := cmp.Diff(manifestKeys(m), sorted(tableKeys(t, b))); diff != "" {
		t.Errorf("table folders vs manifest (-manifest +folders):\n%s", diff)
	}
	for _, k := range tableKeys(t, b) {
		if !strings.HasPrefix(k, "invoices/"+acctDir+"billing_period=2024-03/part-00000-") &&
			!strings.HasPrefix(k, "invoice_items/"+acctDir+"billing_period=2024-03/part-00000-") &&
			!strings.HasPrefix(k, "invoice_payments/"+acctDir+"billing_period=2024-03/part-00000-") {
			t.Errorf("unexpected data key %s", k)
		}
	}
	if got := keys(t, b, StagingDir+"/"); len(got) != 0 {
		t.Errorf("staging after publish: got %v, want none", got)
	}
	got, ok, err := l.Manifest(ctx, march)
	if err != nil || !ok {
		t.Fatalf("Manifest: %v, %v", ok, err)
	}
	if diff := cmp.Diff(m, got); diff != "" {
		t.Errorf("stored manifest (-returned +stored):\n%s", diff)
	}
	if got.RunID != "run-1" || got.SchemaVersion != schemas.SchemaVersion || !got.Watermark.Equal(time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("manifest header: got %q %q %v", got.RunID, got.SchemaVersion, got.Watermark)
	}

	s, err := l.Summarize(ctx, march)
	if err != nil {
		t.Fatalf("Summarize: %v", err)
	}
	// three files: invoices, items and the payments table without rows
	// (every period with invoices has one, so that readers see its schema)
	if s.Invoices != 300 || s.Items != set.nItems || s.DistinctItemIDs != set.nItems || s.Files != 3 {
		t.Errorf("Summarize: got %d invoices %d items %d distinct %d files, want 300 %d %d 3", s.Invoices, s.Items, s.DistinctItemIDs, s.Files, set.nItems, set.nItems)
	}
	if s.ItemsTotal.Cmp(&set.itemsTotal) != 0 || s.InvoiceTotal.Cmp(&set.invoiceTotal) != 0 {
		t.Errorf("Summarize sums: got %s / %s, want %s / %s", s.ItemsTotal.String(), s.InvoiceTotal.String(), set.itemsTotal.String(), set.invoiceTotal.String())
	}
	periods, err := l.Periods(ctx)
	if err != nil || !slices.Equal(periods, []schemas.Period{march}) {
		t.Errorf("Periods: got %v, %v; want [2024-03]", periods, err)
	}
	if _, err := l.Summarize(ctx, april); !errors.Is(err, ErrNotExist) {
		t.Errorf("Summarize unpublished period: got %v, want ErrNotExist", err)
	}
}

// TestParquetFileProperties opens a written items file and checks the
// issue's Parquet requirements: zstd, dictionary encoding on low-cardinality
// strings, bounded row groups declared sorted by (invoice_id, item_id) with
// min/max statistics, a page index, the schema version and UTC timestamps.
func TestParquetFileProperties(t *testing.T) {
	ctx := context.Background()
	l, b := newFileLake(t, Options{RowGroupRows: 500})
	lock(t, l)
	set := genInvoices(march, 1000, 200, 10, 1)
	m := publish(t, l, march, "run-1", set)
	rc, err := b.Get(ctx, m.Items.Files[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.Lookup(SchemaVersionKey); v != schemas.SchemaVersion {
		t.Errorf("%s: got %q, want %q", SchemaVersionKey, v, schemas.SchemaVersion)
	}
	md := f.Metadata()
	if got, want := len(md.RowGroups), 4; got != want { // 2000 rows / 500
		t.Errorf("row groups: got %d, want %d", got, want)
	}
	col := map[string]int{}
	for i, c := range md.RowGroups[0].Columns {
		col[strings.Join(c.MetaData.PathInSchema, ".")] = i
	}
	var prevMax int64 = -1
	for gi, rg := range md.RowGroups {
		if rg.NumRows > 500 {
			t.Errorf("row group %d: got %d rows, want <= 500", gi, rg.NumRows)
		}
		wantSort := []format.SortingColumn{{ColumnIdx: int32(col["invoice_id"])}, {ColumnIdx: int32(col["item_id"])}}
		if diff := cmp.Diff(wantSort, []format.SortingColumn(rg.SortingColumns)); diff != "" {
			t.Errorf("row group %d sorting columns (-want +got):\n%s", gi, diff)
		}
		for _, c := range rg.Columns {
			name := strings.Join(c.MetaData.PathInSchema, ".")
			if c.MetaData.Codec != format.Zstd {
				t.Errorf("column %s: codec %v, want ZSTD", name, c.MetaData.Codec)
			}
			if c.ColumnIndexOffset == 0 || c.OffsetIndexOffset == 0 {
				t.Errorf("column %s: no page index", name)
			}
		}
		for _, name := range []string{"category_code", "category_name", "location", "resource_service"} {
			if !slices.Contains(rg.Columns[col[name]].MetaData.Encoding, format.RLEDictionary) {
				t.Errorf("column %s: encodings %v, want RLE_DICTIONARY", name, rg.Columns[col[name]].MetaData.Encoding)
			}
		}
		// invoice_id statistics: row groups cover increasing, disjoint ranges.
		st := rg.Columns[col["invoice_id"]].MetaData.Statistics
		if len(st.MinValue) != 8 || len(st.MaxValue) != 8 {
			t.Fatalf("row group %d: invoice_id min/max statistics missing", gi)
		}
		lo := int64(leUint64(st.MinValue))
		hi := int64(leUint64(st.MaxValue))
		if lo < prevMax || hi < lo {
			t.Errorf("row group %d: invoice_id range %d..%d after max %d", gi, lo, hi, prevMax)
		}
		prevMax = hi
	}
	schema := f.Schema().String()
	for _, want := range []string{
		"int64 create_date (TIMESTAMP(isAdjustedToUTC=true,unit=MICROS))",
		"int64 total_amount (DECIMAL(18,8))",
	} {
		if !strings.Contains(schema, want) {
			t.Errorf("schema lacks %q:\n%s", want, schema)
		}
	}
	if strings.Contains(schema, "billing_period") {
		t.Errorf("schema has the partition column billing_period:\n%s", schema)
	}
}

func leUint64(b []byte) uint64 {
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// countingBucket counts mutating operations.
type countingBucket struct {
	Bucket
	puts, copies, deletes atomic.Int64
}

func (c *countingBucket) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	c.puts.Add(1)
	return c.Bucket.Put(ctx, key, r, size)
}
func (c *countingBucket) Copy(ctx context.Context, src, dst string) error {
	c.copies.Add(1)
	return c.Bucket.(Copier).Copy(ctx, src, dst)
}
func (c *countingBucket) Delete(ctx context.Context, key string) error {
	c.deletes.Add(1)
	return c.Bucket.Delete(ctx, key)
}

func TestRerunIsIdempotent(t *testing.T) {
	ctx := context.Background()
	fb, err := NewFileBucket(filepath.Join(t.TempDir(), "lake"))
	if err != nil {
		t.Fatal(err)
	}
	cb := &countingBucket{Bucket: fb}
	l := NewLake(cb, Options{Account: testAccount, TempDir: t.TempDir(), MaxRowsPerFile: 700})
	lock(t, l)
	set := genInvoices(march, 1000, 150, 10, 1)
	m1 := publish(t, l, march, "run-1", set)
	if len(m1.Items.Files) != 3 { // 1500 rows / 700
		t.Fatalf("items files: got %d, want 3", len(m1.Items.Files))
	}
	before := snapshot(t, fb)
	puts, copies, deletes := cb.puts.Load(), cb.copies.Load(), cb.deletes.Load()

	m2 := publish(t, l, march, "run-2", genInvoices(march, 1000, 150, 10, 1))
	if diff := cmp.Diff(manifestKeys(m1), manifestKeys(m2)); diff != "" {
		t.Errorf("rerun file keys (-first +rerun):\n%s", diff)
	}
	if diff := cmp.Diff(before, snapshot(t, fb)); diff != "" {
		t.Errorf("rerun changed table folders (-before +after):\n%s", diff)
	}
	// Only the manifest is written again; no data file is uploaded,
	// copied or deleted.
	if got := cb.puts.Load() - puts; got != 1 {
		t.Errorf("rerun puts: got %d, want 1 (the manifest)", got)
	}
	if got := cb.copies.Load() - copies; got != 0 {
		t.Errorf("rerun copies: got %d, want 0", got)
	}
	if got := cb.deletes.Load() - deletes; got != 0 {
		t.Errorf("rerun deletes: got %d, want 0", got)
	}
	s, err := l.Summarize(ctx, march)
	if err != nil || s.RunID != "run-2" || s.Items != 1500 {
		t.Errorf("Summarize after rerun: got run %q items %d, %v; want run-2, 1500", s.RunID, s.Items, err)
	}
}

// snapshot maps every table-folder key to its content.
func snapshot(t *testing.T, b Bucket) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, k := range tableKeys(t, b) {
		rc, err := b.Get(context.Background(), k)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[k] = string(data)
	}
	return out
}

func TestReplaceAndEmpty(t *testing.T) {
	ctx := context.Background()
	l, b := newFileLake(t, Options{})
	lock(t, l)
	v1 := publish(t, l, march, "run-1", genInvoices(march, 1000, 50, 8, 1))
	a1 := publish(t, l, april, "run-1", genInvoices(april, 2000, 20, 8, 1))
	v2 := publish(t, l, march, "run-2", genInvoices(march, 1000, 60, 8, 2))
	if slices.Equal(manifestKeys(v1), manifestKeys(v2)) {
		t.Fatal("v2 has the same files as v1; the test data did not change")
	}
	if diff := cmp.Diff(manifestKeys(v2, a1), sorted(tableKeys(t, b))); diff != "" {
		t.Errorf("after replacing march (-want +got):\n%s", diff)
	}
	// An empty period removes the old data and records an empty version,
	// once allowed to shrink.
	if _, err := tryPublish(ctx, l, march, "run-3", &invoiceSet{}); !IsPermanent(err) || !strings.Contains(err.Error(), "--allow-shrink") {
		t.Fatalf("emptying march without AllowShrink: got %v, want a permanent ShrinkError", err)
	}
	e, err := tryPublishRun(ctx, l, march, RunInfo{RunID: "run-3", AllowShrink: true}, &invoiceSet{})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Files()) != 0 || e.Invoices.Rows != 0 {
		t.Errorf("empty manifest: got %d files %d rows", len(e.Files()), e.Invoices.Rows)
	}
	if diff := cmp.Diff(manifestKeys(a1), sorted(tableKeys(t, b))); diff != "" {
		t.Errorf("after emptying march (-want +got):\n%s", diff)
	}
	s, err := l.Summarize(ctx, march)
	if err != nil || s.Invoices != 0 || s.Items != 0 {
		t.Errorf("Summarize empty: got %+v, %v", s, err)
	}
	// An empty period that never existed leaves nothing behind.
	may := schemas.Period{Year: 2024, Month: time.May}
	publish(t, l, may, "run-3", &invoiceSet{})
	if _, ok, _ := l.Manifest(ctx, may); ok {
		t.Error("empty never-published period got a manifest")
	}
	if _, err := os.Stat(filepath.Join(b.Root(), "invoices", "billing_period=2024-03")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("emptied partition folder still exists: %v", err)
	}
}

func TestSeveralPeriodsOpenAtOnce(t *testing.T) {
	ctx := context.Background()
	l, _ := newFileLake(t, Options{})
	lock(t, l)
	run := RunInfo{RunID: "r1"}
	wm, err := l.Begin(march, run)
	if err != nil {
		t.Fatal(err)
	}
	wa, err := l.Begin(april, run)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Begin(march, run); err == nil {
		t.Error("second Begin of an open period: got nil error, want one")
	}
	ms, as := genInvoices(march, 100, 10, 3, 1), genInvoices(april, 200, 10, 3, 1)
	// Interleaved, increasing ids overall: a late credit in march (id 300).
	late := genInvoices(march, 300, 1, 3, 1)
	for i := range ms.invoices {
		if err := wm.Add(ms.invoices[i], ms.items[i]); err != nil {
			t.Fatal(err)
		}
		if err := wa.Add(as.invoices[i], as.items[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := wm.Add(late.invoices[0], late.items[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := wa.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	m, err := wm.Publish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m.Invoices.Rows != 11 || m.Invoices.Files[0].MaxInvoiceID != 300 {
		t.Errorf("march: got %d invoices max id %d, want 11 and 300", m.Invoices.Rows, m.Invoices.Files[0].MaxInvoiceID)
	}
	if _, err := wm.Publish(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Publish twice: got %v, want ErrClosed", err)
	}
}

func TestAddRejectsBadInput(t *testing.T) {
	set := genInvoices(march, 1000, 3, 4, 1)
	other := genInvoices(march, 5000, 1, 2, 1)
	dup := slices.Clone(set.items[2])
	dup[1].ItemID = dup[0].ItemID
	short := set.invoices[2]
	short.ItemRows = 99
	tests := []struct {
		name  string
		inv   schemas.InvoiceRow
		items []schemas.ItemRow
		want  string
	}{
		{"out of order", set.invoices[0], set.items[0], "increasing invoice_id"},
		{"same id", set.invoices[1], set.items[1], "increasing invoice_id"},
		{"foreign item", set.invoices[2], append(slices.Clone(set.items[2][:3]), other.items[0][0]), "belongs to invoice"},
		{"duplicate item", set.invoices[2], dup, "appears twice"},
		{"item_rows mismatch", short, set.items[2], "item_rows = 99"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, _ := newFileLake(t, Options{})
			w, err := l.Begin(march, RunInfo{RunID: "r"})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			if err := w.Add(set.invoices[1], set.items[1]); err != nil {
				t.Fatal(err)
			}
			err = w.Add(tt.inv, tt.items)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Add: got %v, want an error containing %q", err, tt.want)
			}
			// Sticky: the writer refuses more and cannot publish.
			if err2 := w.Add(set.invoices[2], set.items[2]); err2 == nil {
				t.Error("Add after an error: got nil, want the sticky error")
			}
			if _, err := w.Publish(context.Background()); err == nil {
				t.Error("Publish after an error: got nil, want the sticky error")
			}
		})
	}
}

func TestRunIDAndPeriodValidation(t *testing.T) {
	l, _ := newFileLake(t, Options{})
	for _, id := range []string{"", "a/b", "..", "has space", strings.Repeat("x", 65)} {
		if _, err := l.Begin(march, RunInfo{RunID: id}); err == nil {
			t.Errorf("Begin with run id %q: got nil error, want one", id)
		}
	}
	if _, err := l.Begin(schemas.Period{}, RunInfo{RunID: "r"}); err == nil {
		t.Error("Begin with zero period: got nil error, want one")
	}
}

func TestJSONHelpers(t *testing.T) {
	ctx := context.Background()
	l, b := newFileLake(t, Options{})
	type state struct{ Cursor int64 }
	if err := l.WriteJSON(ctx, "_state/cursor.json", state{42}); !errors.Is(err, ErrNotClaimed) {
		t.Errorf("WriteJSON before Lock: got %v, want ErrNotClaimed", err)
	}
	lock(t, l)
	if err := l.WriteJSON(ctx, "_state/cursor.json", state{42}); err != nil {
		t.Fatal(err)
	}
	var got state
	if err := l.ReadJSON(ctx, "_state/cursor.json", &got, "fix it"); err != nil || got.Cursor != 42 {
		t.Errorf("ReadJSON: got %+v, %v; want {42}", got, err)
	}
	if err := l.ReadJSON(ctx, "_state/none.json", &got, "fix it"); !errors.Is(err, ErrNotExist) {
		t.Errorf("ReadJSON missing: got %v, want ErrNotExist", err)
	}
	for _, bad := range []string{"{", "[1]", `{"Cursor": 1} {"Cursor": 2}`, `{"Cursor": "x"}`} {
		if err := b.Put(ctx, "_state/"+acctDir+"bad.json", strings.NewReader(bad), int64(len(bad))); err != nil {
			t.Fatal(err)
		}
		err := l.ReadJSON(ctx, "_state/bad.json", &got, "delete it, then rerun")
		var ce *CorruptError
		if !errors.As(err, &ce) || !IsPermanent(err) || !strings.Contains(err.Error(), "delete it, then rerun") {
			t.Errorf("ReadJSON(%q): got %v, want a permanent *CorruptError carrying the remedy", bad, err)
		}
	}
	for _, k := range []string{"invoices/x.json", "_manifests/billing_period=2024-03.json", "_lock/lake.json", "_staging/a", MarkerKey, "notes/x.json", "_runs/a/b.json", "_runs/x.txt"} {
		if err := l.WriteJSON(ctx, k, state{}); err == nil {
			t.Errorf("WriteJSON(%q): got nil error, want reserved", k)
		}
	}
}

// RunSummaries lists the account's run summaries, the latest max, in
// order; other accounts', other folders' and foreign names are not its.
func TestRunSummaries(t *testing.T) {
	ctx := context.Background()
	l, b := newFileLake(t, Options{})
	lock(t, l)
	for _, id := range []string{"20260102T000000.000Z-aa", "20260101T000000.000Z-bb", "20260103T000000.000Z-cc", "20251231T000000.000Z-dd"} {
		if err := l.WriteJSON(ctx, "_runs/"+id+".json", map[string]string{"run_id": id}); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"_runs/account_id=99/20270101T000000.000Z-ee.json", "_runs/" + acctDir + "notes.txt", "_runs/" + acctDir + "sub/x.json"} {
		if err := b.Put(ctx, k, strings.NewReader("{}"), 2); err != nil {
			t.Fatal(err)
		}
	}
	got, err := l.RunSummaries(ctx, 3)
	want := []string{"_runs/20260101T000000.000Z-bb.json", "_runs/20260102T000000.000Z-aa.json", "_runs/20260103T000000.000Z-cc.json"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("RunSummaries(3) = %q, %v; want %q", got, err, want)
	}
	var v map[string]string
	if err := l.ReadJSON(ctx, got[2], &v, ""); err != nil || v["run_id"] != "20260103T000000.000Z-cc" {
		t.Errorf("ReadJSON(%s) = %v, %v", got[2], v, err)
	}
	if got, _ := l.RunSummaries(ctx, 10); len(got) != 4 {
		t.Errorf("RunSummaries(10) = %q, want the 4 of the account", got)
	}
}

func TestLock(t *testing.T) {
	ctx := context.Background()
	fb, err := NewFileBucket(filepath.Join(t.TempDir(), "lake"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	a := NewLake(fb, Options{Account: testAccount, Now: clock})
	b := NewLake(fb, Options{Account: testAccount, Now: clock})
	c := NewLake(fb, Options{Account: testAccount, Now: clock})

	ka, err := a.Lock(ctx, "host-a/pid-1", 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Lock(ctx, "host-b/pid-2", 10*time.Minute)
	var le *LockedError
	if !errors.As(err, &le) || le.Holder != "host-a/pid-1" || !le.Expires.Equal(now.Add(10*time.Minute)) {
		t.Fatalf("contended Lock: got %v, want *LockedError naming host-a/pid-1 until %v", err, now.Add(10*time.Minute))
	}
	if !strings.Contains(err.Error(), `"host-a/pid-1"`) {
		t.Errorf("error message %q does not name the holder", err)
	}
	// Refresh extends the lease.
	now = now.Add(8 * time.Minute)
	if err := ka.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	now = now.Add(8 * time.Minute) // 16 min after acquiring; lease runs to 18
	if _, err := b.Lock(ctx, "host-b/pid-2", time.Minute); !errors.As(err, &le) {
		t.Fatalf("Lock after refresh: got %v, want *LockedError", err)
	}
	// a dies; after expiry b takes over, exactly once.
	now = now.Add(3 * time.Minute)
	kb, err := b.Lock(ctx, "host-b/pid-2", 10*time.Minute)
	if err != nil {
		t.Fatalf("takeover of expired lock: %v", err)
	}
	if _, err := c.Lock(ctx, "host-c", time.Minute); !errors.As(err, &le) || le.Holder != "host-b/pid-2" {
		t.Errorf("Lock after takeover: got %v, want *LockedError naming host-b/pid-2", err)
	}
	// The old holder has lost it and must not delete b's lock.
	if err := ka.Refresh(ctx); !errors.Is(err, ErrLockLost) {
		t.Errorf("Refresh of a taken-over lock: got %v, want ErrLockLost", err)
	}
	if err := ka.Release(ctx); !errors.Is(err, ErrLockLost) {
		t.Errorf("Release of a taken-over lock: got %v, want ErrLockLost", err)
	}
	if err := a.requireLock(); !errors.Is(err, ErrNotLocked) {
		t.Errorf("lake a after losing: got %v, want ErrNotLocked", err)
	}
	if err := b.requireLock(); err != nil {
		t.Errorf("lake b holding: %v", err)
	}
	// Release frees it for the next run.
	if err := kb.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Lock(ctx, "host-c", time.Minute); err != nil {
		t.Errorf("Lock after Release: %v", err)
	}
	// A lake whose lease ran out refuses to write.
	now = now.Add(2 * time.Minute)
	if err := c.requireLock(); !errors.Is(err, ErrLockLost) {
		t.Errorf("expired lease: got %v, want ErrLockLost", err)
	}
}

func TestLockContentionConcurrent(t *testing.T) {
	ctx := context.Background()
	fb, err := NewFileBucket(filepath.Join(t.TempDir(), "lake"))
	if err != nil {
		t.Fatal(err)
	}
	const n = 6
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := NewLake(fb, Options{Account: testAccount}).Lock(ctx, "runner-"+string(rune('a'+i)), time.Hour)
			errs <- err
		}()
	}
	wins := 0
	for range n {
		err := <-errs
		var le *LockedError
		switch {
		case err == nil:
			wins++
		case !errors.As(err, &le):
			t.Errorf("Lock: got %v, want nil or *LockedError", err)
		}
	}
	if wins != 1 {
		t.Errorf("concurrent Lock: got %d winners, want 1", wins)
	}
}

// testLockKey is the test account's lock.
const testLockKey = LockDir + "/" + acctDir + "lake.json"
