package load

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"unicode/utf8"

	"github.com/invoicelake/invoicelake/schemas"
	"github.com/parquet-go/parquet-go"
)

// SchemaVersionKey is the Parquet key-value metadata key holding
// schemas.SchemaVersion in every file the lake writes.
const SchemaVersionKey = "invoicelake.schema_version"

// table describes how one table's rows are written and checked.
type table[T any] struct {
	name string // schemas.InvoicesTable or schemas.ItemsTable
	// schema is the Parquet schema of T; a file read back must have it.
	schema *parquet.Schema
	// key is the sort key; rows are written in increasing key order.
	key func(*T) [2]int64
	// keyCols names the columns holding key[0] and, when there are two,
	// key[1] (the other component is 0).
	keyCols []string
	// money lists the columns summed into the manifest.
	money []moneyCol[T]
	// sorting declares the sort order in the row group metadata.
	sorting []parquet.SortingColumn
	// strings lists every string column (a test checks it against T).
	strings []stringCol[T]
}

// stringCol is one string column of a table. Every value is checked before
// it reaches a file: valid UTF-8, and at most maxCodeBytes for a code.
// Codes keep their min/max statistics (short by that bound, and useful to
// prune on); free text gets none, in the footer or in page headers, so no
// value's length can inflate the metadata.
type stringCol[T any] struct {
	name string
	code bool
	get  func(*T) *string // nil for NULL
}

// maxCodeBytes bounds a code column's values (type, status and category
// codes, resource service, location): far above any real one.
const maxCodeBytes = 256

// InvalidStringError reports a string value that must not be written: not
// valid UTF-8 (readers such as DuckDB refuse the file), or a code longer
// than maxCodeBytes. It is permanent: the same data fails the same way.
type InvalidStringError struct {
	Table  string
	Column string
	Key    [2]int64 // invoice_id and, for items, item_id
	Reason string
}

func (e *InvalidStringError) Error() string {
	id := fmt.Sprintf("invoice_id=%d", e.Key[0])
	if e.Table == schemas.ItemsTable {
		id += fmt.Sprintf(" item_id=%d", e.Key[1])
	}
	return fmt.Sprintf("%s %s column %s: %s", e.Table, id, e.Column, e.Reason)
}

// Is makes an InvalidStringError match ErrPermanent.
func (e *InvalidStringError) Is(target error) bool { return target == ErrPermanent }

// checkStrings checks every string value of r.
func (t *table[T]) checkStrings(r *T) error {
	for _, c := range t.strings {
		s := c.get(r)
		if s == nil {
			continue
		}
		reason := ""
		switch {
		case c.code && len(*s) > maxCodeBytes:
			reason = fmt.Sprintf("%d bytes, more than the %d a code may have", len(*s), maxCodeBytes)
		case !utf8.ValidString(*s):
			reason = fmt.Sprintf("not valid UTF-8 at byte %d", invalidUTF8At(*s))
		default:
			continue
		}
		return &InvalidStringError{Table: t.name, Column: c.name, Key: t.key(r), Reason: reason}
	}
	return nil
}

func invalidUTF8At(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n <= 1 {
				return i
			}
		}
	}
	return len(s)
}

// statisticsOptions skips the statistics of the free-text columns.
func (t *table[T]) statisticsOptions() []parquet.WriterOption {
	var out []parquet.WriterOption
	for _, c := range t.strings {
		if !c.code {
			out = append(out, parquet.SkipPageBounds(c.name), parquet.SkipPageStatistics(c.name))
		}
	}
	return out
}

type moneyCol[T any] struct {
	name string // the column, a DECIMAL stored as INT64 units
	get  func(*T) *schemas.Decimal
}

var invoicesTable = table[schemas.InvoiceRow]{
	name:    schemas.InvoicesTable,
	schema:  parquet.SchemaOf(new(schemas.InvoiceRow)),
	key:     func(r *schemas.InvoiceRow) [2]int64 { return [2]int64{r.InvoiceID, 0} },
	keyCols: []string{"invoice_id"},
	money: []moneyCol[schemas.InvoiceRow]{
		{"invoice_total_amount", func(r *schemas.InvoiceRow) *schemas.Decimal { return r.InvoiceTotalAmount }},
		{"items_total_amount", func(r *schemas.InvoiceRow) *schemas.Decimal { return &r.ItemsTotalAmount }},
	},
	sorting: []parquet.SortingColumn{parquet.Ascending("invoice_id")},
	strings: []stringCol[schemas.InvoiceRow]{
		{"type_code", true, func(r *schemas.InvoiceRow) *string { return &r.TypeCode }},
		{"status_code", true, func(r *schemas.InvoiceRow) *string { return &r.StatusCode }},
		{"reconcile_issues", false, func(r *schemas.InvoiceRow) *string { return r.ReconcileIssues }},
		{"company_name", false, func(r *schemas.InvoiceRow) *string { return r.CompanyName }},
		{"first_name", false, func(r *schemas.InvoiceRow) *string { return r.FirstName }},
		{"last_name", false, func(r *schemas.InvoiceRow) *string { return r.LastName }},
		{"address1", false, func(r *schemas.InvoiceRow) *string { return r.Address1 }},
		{"address2", false, func(r *schemas.InvoiceRow) *string { return r.Address2 }},
		{"city", false, func(r *schemas.InvoiceRow) *string { return r.City }},
		{"state", false, func(r *schemas.InvoiceRow) *string { return r.State }},
		{"postal_code", false, func(r *schemas.InvoiceRow) *string { return r.PostalCode }},
		{"country", false, func(r *schemas.InvoiceRow) *string { return r.Country }},
		{"email", false, func(r *schemas.InvoiceRow) *string { return r.Email }},
		{"office_phone", false, func(r *schemas.InvoiceRow) *string { return r.OfficePhone }},
		{"fax_phone", false, func(r *schemas.InvoiceRow) *string { return r.FaxPhone }},
		{"purchase_order_number", false, func(r *schemas.InvoiceRow) *string { return r.PurchaseOrderNumber }},
		{"seller_registration", false, func(r *schemas.InvoiceRow) *string { return r.SellerRegistration }},
		{"tax_message", false, func(r *schemas.InvoiceRow) *string { return r.TaxMessage }},
		{"tax_type", true, func(r *schemas.InvoiceRow) *string { return r.TaxType }},
		{"local_currency", true, func(r *schemas.InvoiceRow) *string { return r.LocalCurrency }},
		{"document_key", false, func(r *schemas.InvoiceRow) *string { return r.DocumentKey }},
		{"document_sha256", true, func(r *schemas.InvoiceRow) *string { return r.DocumentSHA256 }},
	},
}

var itemsTable = table[schemas.ItemRow]{
	name:    schemas.ItemsTable,
	schema:  parquet.SchemaOf(new(schemas.ItemRow)),
	key:     func(r *schemas.ItemRow) [2]int64 { return [2]int64{r.InvoiceID, r.ItemID} },
	keyCols: []string{"invoice_id", "item_id"},
	money: []moneyCol[schemas.ItemRow]{
		{"total_amount", func(r *schemas.ItemRow) *schemas.Decimal { return &r.TotalAmount }},
	},
	sorting: []parquet.SortingColumn{parquet.Ascending("invoice_id"), parquet.Ascending("item_id")},
	strings: []stringCol[schemas.ItemRow]{
		{"category_code", true, func(r *schemas.ItemRow) *string { return &r.CategoryCode }},
		{"category_name", false, func(r *schemas.ItemRow) *string { return r.CategoryName }},
		{"resource_service", true, func(r *schemas.ItemRow) *string { return r.ResourceService }},
		{"description", false, func(r *schemas.ItemRow) *string { return &r.Description }},
		{"host_name", false, func(r *schemas.ItemRow) *string { return r.HostName }},
		{"domain_name", false, func(r *schemas.ItemRow) *string { return r.DomainName }},
		{"location", true, func(r *schemas.ItemRow) *string { return r.Location }},
		{"service_name", true, func(r *schemas.ItemRow) *string { return r.ServiceName }},
		{"charge_category", true, func(r *schemas.ItemRow) *string { return r.ChargeCategory }},
		{"charge_frequency", true, func(r *schemas.ItemRow) *string { return r.ChargeFrequency }},
	},
}

var paymentsTable = table[schemas.PaymentRow]{
	name:    schemas.PaymentsTable,
	schema:  parquet.SchemaOf(new(schemas.PaymentRow)),
	key:     func(r *schemas.PaymentRow) [2]int64 { return [2]int64{r.InvoiceID, r.PaymentIndex} },
	keyCols: []string{"invoice_id", "payment_index"},
	money: []moneyCol[schemas.PaymentRow]{
		{"amount", func(r *schemas.PaymentRow) *schemas.Decimal { return r.Amount }},
	},
	sorting: []parquet.SortingColumn{parquet.Ascending("invoice_id"), parquet.Ascending("payment_index")},
	strings: []stringCol[schemas.PaymentRow]{
		{"type_code", true, func(r *schemas.PaymentRow) *string { return &r.TypeCode }},
	},
}

// fileStats is what is known of one written file; the manifest's File is
// built from it, and reading a file back must reproduce it.
type fileStats struct {
	rows   int64
	minKey [2]int64
	maxKey [2]int64
	sums   []schemas.Sum // per money column
}

func newFileStats(ncols int) fileStats { return fileStats{sums: make([]schemas.Sum, ncols)} }

func (s *fileStats) add(k [2]int64) {
	if s.rows == 0 || less(k, s.minKey) {
		s.minKey = k
	}
	if s.rows == 0 || less(s.maxKey, k) {
		s.maxKey = k
	}
	s.rows++
}

func less(a, b [2]int64) bool { return a[0] < b[0] || (a[0] == b[0] && a[1] < b[1]) }

// sumStrings renders the money sums for the manifest.
func sumStrings[T any](t *table[T], sums []schemas.Sum) map[string]string {
	m := make(map[string]string, len(t.money))
	for i, c := range t.money {
		m[c.name] = sums[i].String()
	}
	return m
}

// localFile is a finished Parquet file in the writer's temporary folder.
type localFile struct {
	path   string
	name   string // part-NNNNN-<sha16>.parquet
	size   int64
	sha256 string
	stats  fileStats
}

// hashWriter counts and hashes what the Parquet writer writes.
type hashWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (w *hashWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.h.Write(p[:n])
	w.n += int64(n)
	return n, err
}

// tableWriter streams one table's rows of one period into Parquet files of
// bounded size in a temporary folder. Memory is one row group's buffers.
type tableWriter[T any] struct {
	t    *table[T]
	opts *Options
	dir  string

	f     *os.File
	hw    *hashWriter
	pw    *parquet.GenericWriter[T]
	stats fileStats
	last  [2]int64
	rows  int64 // in the whole table

	files []localFile
}

func newTableWriter[T any](t *table[T], opts *Options, dir string) *tableWriter[T] {
	return &tableWriter[T]{t: t, opts: opts, dir: dir}
}

func (w *tableWriter[T]) open() error {
	f, err := os.CreateTemp(w.dir, w.t.name+"-*.parquet")
	if err != nil {
		return err
	}
	w.f = f
	w.hw = &hashWriter{w: f, h: sha256.New()}
	w.pw = parquet.NewGenericWriter[T](w.hw, append([]parquet.WriterOption{
		parquet.Compression(zstdPages),
		parquet.MaxRowsPerRowGroup(w.opts.RowGroupRows),
		parquet.PageBufferSize(w.opts.PageBytes),
		parquet.DataPageStatistics(true),
		parquet.KeyValueMetadata(SchemaVersionKey, schemas.SchemaVersion),
		parquet.SortingWriterConfig(parquet.SortingColumns(w.t.sorting...)),
	}, w.t.statisticsOptions()...)...)
	w.stats = newFileStats(len(w.t.money))
	return nil
}

// write appends rows, which must continue the increasing key order, and
// rolls to a new file when the current one reaches its bounds.
func (w *tableWriter[T]) write(rows []T) error {
	for len(rows) > 0 {
		if w.pw == nil {
			if err := w.open(); err != nil {
				return err
			}
		}
		n := len(rows)
		if w.opts.MaxRowsPerFile > 0 {
			n = int(min(int64(n), w.opts.MaxRowsPerFile-w.stats.rows))
		}
		n = min(n, 1024) // check the size bound at least every 1024 rows
		chunk := rows[:n]
		for i := range chunk {
			if err := w.t.checkStrings(&chunk[i]); err != nil {
				return err
			}
			k := w.t.key(&chunk[i])
			if w.rows > 0 && !less(w.last, k) {
				return fmt.Errorf("%s row key %v after %v: rows must arrive in increasing (invoice_id, item_id) order", w.t.name, k, w.last)
			}
			w.last = k
			w.rows++
			w.stats.add(k)
			for j, c := range w.t.money {
				if d := c.get(&chunk[i]); d != nil {
					w.stats.sums[j].Add(*d)
				}
			}
		}
		if _, err := w.pw.Write(chunk); err != nil {
			return fmt.Errorf("write %s rows: %w", w.t.name, err)
		}
		rows = rows[n:]
		full := w.opts.MaxRowsPerFile > 0 && w.stats.rows >= w.opts.MaxRowsPerFile
		if full || w.pw.Size() >= w.opts.TargetFileBytes {
			if err := w.finish(); err != nil {
				return err
			}
		}
	}
	return nil
}

// finish closes the current file, if any, and names it after its content.
func (w *tableWriter[T]) finish() error {
	if w.pw == nil {
		return nil
	}
	pw, f := w.pw, w.f
	w.pw, w.f = nil, nil
	if err := pw.Close(); err != nil {
		f.Close()
		return fmt.Errorf("close %s file: %w", w.t.name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s file: %w", w.t.name, err)
	}
	sum := hex.EncodeToString(w.hw.h.Sum(nil))
	name := fmt.Sprintf("part-%05d-%s.parquet", len(w.files), sum[:16])
	final := filepath.Join(w.dir, w.t.name+"-"+name)
	if err := os.Rename(f.Name(), final); err != nil {
		return err
	}
	w.files = append(w.files, localFile{path: final, name: name, size: w.hw.n, sha256: sum, stats: w.stats})
	return nil
}

// abort drops the open file; the caller removes the folder.
func (w *tableWriter[T]) abort() {
	if w.f != nil {
		w.f.Close()
	}
	w.pw, w.f = nil, nil
}

// readStats reads a Parquet file of table t back and recomputes its
// statistics: it checks the schema and its version, decodes every page of
// every column, checks each column's row count against the footer, the
// sort order of the key columns, and sums the money columns. Only the key
// and money columns are turned into values; rows are never assembled,
// which keeps the check at a fraction of the cost of writing the file.
// distinct collects the second key component (item ids) when non-nil.
func readStats[T any](t *table[T], r io.ReaderAt, size int64, distinct map[int64]struct{}) (fileStats, error) {
	st := newFileStats(len(t.money))
	f, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return st, fmt.Errorf("open parquet: %w", err)
	}
	if v, ok := f.Lookup(SchemaVersionKey); !ok || v != schemas.SchemaVersion {
		return st, fmt.Errorf("%s = %q, want %q", SchemaVersionKey, v, schemas.SchemaVersion)
	}
	if !parquet.EqualNodes(f.Schema(), t.schema) {
		return st, fmt.Errorf("schema differs from the %s table's:\n%s", t.name, f.Schema())
	}
	keyIdx := make([]int, len(t.keyCols))
	for i, name := range t.keyCols {
		keyIdx[i] = columnIndex(t.schema, name)
	}
	moneyIdx := make([]int, len(t.money))
	for i, c := range t.money {
		moneyIdx[i] = columnIndex(t.schema, c.name)
	}
	role := make([]int, len(t.schema.Columns())) // 0: other; 1+i: key i; -1-i: money i
	for i, c := range keyIdx {
		role[c] = 1 + i
	}
	for i, c := range moneyIdx {
		role[c] = -1 - i
	}

	var keys [2][]int64
	vals := make([]parquet.Value, 1024)
	for g, rg := range f.RowGroups() {
		n := rg.NumRows()
		keys[0], keys[1] = keys[0][:0], keys[1][:0]
		for c, cc := range rg.ColumnChunks() {
			var each func(parquet.Value)
			switch k := role[c]; {
			case k > 0:
				each = func(v parquet.Value) { keys[k-1] = append(keys[k-1], v.Int64()) }
			case k < 0:
				sum := &st.sums[-1-k]
				each = func(v parquet.Value) {
					if !v.IsNull() {
						sum.Add(schemas.DecimalFromUnits(v.Int64()))
					}
				}
			}
			got, err := readColumn(cc, vals, each)
			if err != nil {
				return st, fmt.Errorf("row group %d column %s: %w", g, t.schema.Columns()[c][0], err)
			}
			if got != n {
				return st, fmt.Errorf("row group %d column %s: %d values, footer says %d rows", g, t.schema.Columns()[c][0], got, n)
			}
		}
		for i := range n {
			k := [2]int64{keys[0][i], 0}
			if len(t.keyCols) > 1 {
				k[1] = keys[1][i]
			}
			if st.rows > 0 && !less(st.maxKey, k) {
				return st, fmt.Errorf("row %d: key %v after %v: not sorted", st.rows, k, st.maxKey)
			}
			st.add(k)
			if distinct != nil {
				distinct[k[1]] = struct{}{}
			}
		}
	}
	if st.rows != f.NumRows() {
		return st, fmt.Errorf("read %d rows, footer says %d", st.rows, f.NumRows())
	}
	return st, nil
}

// readColumn decodes every page of a column chunk and returns its number of
// values (rows: no column of ours is repeated). each, when not nil, is
// called with every value, nulls included.
func readColumn(cc parquet.ColumnChunk, buf []parquet.Value, each func(parquet.Value)) (int64, error) {
	pages := cc.Pages()
	defer pages.Close()
	var n int64
	for {
		p, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if each == nil {
			n += p.NumRows()
			parquet.Release(p)
			continue
		}
		vr := p.Values()
		for {
			m, err := vr.ReadValues(buf)
			for _, v := range buf[:m] {
				each(v)
			}
			n += int64(m)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				parquet.Release(p)
				return n, err
			}
		}
		parquet.Release(p)
	}
}

// columnIndex is the leaf index of a top-level column of s; the tables'
// definitions above name only columns that exist.
func columnIndex(s *parquet.Schema, name string) int {
	leaf, ok := s.Lookup(name)
	if !ok {
		panic("load: no column " + name + " in " + s.Name())
	}
	return leaf.ColumnIndex
}

// sameStats compares what was written with what was read back.
func sameStats[T any](t *table[T], got, want fileStats) error {
	if got.rows != want.rows {
		return fmt.Errorf("got %d rows, want %d", got.rows, want.rows)
	}
	if got.rows > 0 && (got.minKey != want.minKey || got.maxKey != want.maxKey) {
		return fmt.Errorf("got keys %v..%v, want %v..%v", got.minKey, got.maxKey, want.minKey, want.maxKey)
	}
	for i, c := range t.money {
		if got.sums[i].Cmp(&want.sums[i]) != 0 {
			return fmt.Errorf("got sum(%s) = %s, want %s", c.name, got.sums[i].String(), want.sums[i].String())
		}
	}
	return nil
}
