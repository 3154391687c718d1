package load

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"sync"
	"time"

	"github.com/invoicelake/invoicelake/schemas"
)

// PeriodWriter writes the new version of one billing period. Rows stream
// to local temporary Parquet files (memory: one row group per table);
// nothing reaches the bucket before Publish. A PeriodWriter is not safe for
// concurrent use; several may be open at once, one per period.
type PeriodWriter struct {
	l      *Lake
	p      schemas.Period
	run    RunInfo
	dir    string
	inv    *tableWriter[schemas.InvoiceRow]
	items  *tableWriter[schemas.ItemRow]
	pay    *tableWriter[schemas.PaymentRow]
	chunk  *rowChunk // being filled; nil before the first invoice and after the encoder's join
	enc    *encoder  // encodes item chunks on its own goroutine; nil until the first
	lastID int64
	n      int64
	err    error // sticky
	done   bool
}

// addChunk is how many rows AddRows copies into its buffer before
// writing them.
const addChunk = 1024

// encodeAhead is how many chunks of copied rows may wait for, or be in,
// Parquet encoding while AddRows fills the next one: the encoder runs on
// its own goroutine, so that decoding and transforming the next rows
// (the caller's work) overlaps encoding and compressing these. 0 encodes
// on the caller's goroutine (the tests' oracle).
var encodeAhead = 2

// rowChunk is a buffer of copied rows and the storage their pointer
// fields point to. It belongs to AddRows while it fills and to the
// encoder from the hand-over until it comes back on the free list.
type rowChunk struct {
	rows   []schemas.ItemRow
	stores []rowStore
}

func newRowChunk() *rowChunk {
	return &rowChunk{rows: make([]schemas.ItemRow, 0, addChunk), stores: make([]rowStore, addChunk)}
}

// encoder writes item chunks to a tableWriter on one goroutine, in the
// order they were sent. It owns the tableWriter from start to join; its
// first error is sticky and ends the encoding (later chunks come back
// unwritten).
type encoder struct {
	tw   *tableWriter[schemas.ItemRow]
	in   chan *rowChunk
	free chan *rowChunk
	done chan struct{}
	mu   sync.Mutex
	err  error
}

func startEncoder(tw *tableWriter[schemas.ItemRow], depth int) *encoder {
	e := &encoder{tw: tw, in: make(chan *rowChunk, depth), free: make(chan *rowChunk, depth+1), done: make(chan struct{})}
	for range depth + 1 {
		e.free <- newRowChunk()
	}
	go e.run()
	return e
}

func (e *encoder) run() {
	defer close(e.done)
	for c := range e.in {
		if e.failed() == nil {
			if err := e.tw.write(c.rows); err != nil {
				e.mu.Lock()
				e.err = encodeError{err}
				e.mu.Unlock()
			}
		}
		c.rows = c.rows[:0]
		e.free <- c
	}
}

func (e *encoder) failed() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}

// encodeError is an error of the encoder: it names its rows itself, and
// may be of an invoice before the one being added when it comes back.
type encodeError struct{ err error }

func (e encodeError) Error() string { return e.err.Error() }
func (e encodeError) Unwrap() error { return e.err }

// join stops the encoder after the chunks sent so far and returns its
// error; the tableWriter is the caller's again.
func (e *encoder) join() error {
	close(e.in)
	<-e.done
	return e.err
}

// ErrClosed is returned by a PeriodWriter after Publish or Abort.
var ErrClosed = errors.New("period writer closed")

// ShrinkError reports a new version of a period that holds fewer invoices
// than the published one: Publish refuses it unless RunInfo.AllowShrink,
// since an API that answers short would otherwise erase published data.
// It is permanent: the same answer gets the same refusal.
type ShrinkError struct {
	Period      schemas.Period
	Published   int64 // invoices in the published version
	New         int64 // invoices in the refused one
	PublishedBy string
}

func (e *ShrinkError) Error() string {
	return fmt.Sprintf("billing period %s: the new version has %d invoices, the published one %d (run %s): not replaced; "+
		"if the account really holds fewer invoices now, run again with --allow-shrink", e.Period, e.New, e.Published, e.PublishedBy)
}

// Is makes a ShrinkError match ErrPermanent.
func (e *ShrinkError) Is(target error) bool { return target == ErrPermanent }

// Begin starts the new version of period p for run.
func (l *Lake) Begin(p schemas.Period, run RunInfo) (*PeriodWriter, error) {
	if p.IsZero() || p.Month < 1 || p.Month > 12 || p.Year < 1000 || p.Year > 9999 {
		return nil, fmt.Errorf("load: begin %s: invalid billing period", p)
	}
	if err := run.validate(); err != nil {
		return nil, fmt.Errorf("load: begin %s: %w", p, err)
	}
	if l.acct == "" {
		return nil, fmt.Errorf("load: begin %s: the layout before accounts is read-only (Migrate moves it into an account)", p)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[p] {
		return nil, fmt.Errorf("load: begin %s: a writer for this period is already open", p)
	}
	dir, err := os.MkdirTemp(l.opts.TempDir, "invoicelake-"+p.String()+"-")
	if err != nil {
		return nil, fmt.Errorf("load: begin %s: %w", p, err)
	}
	l.open[p] = true
	return &PeriodWriter{
		l: l, p: p, run: run, dir: dir,
		inv:   newTableWriter(&invoicesTable, &l.opts, dir),
		items: newTableWriter(&itemsTable, &l.opts, dir),
		pay:   newTableWriter(&paymentsTable, &l.opts, dir),
	}, nil
}

// AddPayments appends the invoice_payments rows of the invoice AddRows
// added last, in increasing payment_index order. It copies what it keeps.
// The first error is sticky, as AddRows's.
func (w *PeriodWriter) AddPayments(rows []schemas.PaymentRow) error {
	if w.done {
		return fmt.Errorf("load: add payments %s: %w", w.p, ErrClosed)
	}
	if w.err != nil {
		return w.err
	}
	for i := range rows {
		if w.n == 0 || rows[i].InvoiceID != w.lastID {
			w.err = fmt.Errorf("load: add payments %s: payment of invoice=%d after invoice=%d: add the invoice first", w.p, rows[i].InvoiceID, w.lastID)
			return w.err
		}
	}
	own := make([]schemas.PaymentRow, len(rows))
	for i, r := range rows {
		own[i] = r
		if r.Amount != nil {
			a := *r.Amount
			own[i].Amount = &a
		}
		if r.CreateDate != nil {
			t := *r.CreateDate
			own[i].CreateDate = &t
		}
	}
	if err := w.pay.write(own); err != nil {
		w.err = fmt.Errorf("load: add payments %s invoice=%d: %w", w.p, w.lastID, err)
		return w.err
	}
	return nil
}

// AddRows appends one invoice and its items, pulled one at a time from
// rows in increasing item_id order (the API's order), so that no caller
// needs a whole invoice's rows at once. The rows must belong to inv and
// number inv.ItemRows. A yielded row, and what its pointer fields point
// to, needs to stay valid only until the next row is pulled: AddRows
// copies what it keeps into its own storage. Invoices must arrive in
// increasing invoice_id order. An error from rows is returned as it is.
// The first error is sticky: the writer then only Aborts.
func (w *PeriodWriter) AddRows(inv schemas.InvoiceRow, rows iter.Seq2[*schemas.ItemRow, error]) error {
	if w.done {
		return fmt.Errorf("load: add %s: %w", w.p, ErrClosed)
	}
	if w.err != nil {
		return w.err
	}
	if w.n > 0 && inv.InvoiceID <= w.lastID {
		w.err = fmt.Errorf("load: add %s invoice=%d: after invoice=%d: invoices must arrive in increasing invoice_id order", w.p, inv.InvoiceID, w.lastID)
		return w.err
	}
	if err := w.write(inv, rows); err != nil {
		var se sourceError
		var ee encodeError
		if errors.As(err, &se) {
			w.err = se.err
		} else if errors.As(err, &ee) {
			w.err = fmt.Errorf("load: add %s: %w", w.p, ee.err)
		} else {
			w.err = fmt.Errorf("load: add %s invoice=%d: %w", w.p, inv.InvoiceID, err)
		}
		return w.err
	}
	return nil
}

// sourceError carries an error of the rows iterator through write.
type sourceError struct{ err error }

func (e sourceError) Error() string { return e.err.Error() }

// write writes inv and its rows, which must come in increasing item_id
// order, through a small reused buffer of copies.
func (w *PeriodWriter) write(inv schemas.InvoiceRow, rows iter.Seq2[*schemas.ItemRow, error]) error {
	if err := w.inv.write([]schemas.InvoiceRow{inv}); err != nil {
		return err
	}
	var n, last int64
	if w.chunk == nil {
		w.chunk = w.nextChunk()
	}
	w.chunk.rows = w.chunk.rows[:0]
	for r, err := range rows {
		if err != nil {
			return sourceError{err}
		}
		if r.InvoiceID != inv.InvoiceID {
			return fmt.Errorf("item=%d belongs to invoice=%d", r.ItemID, r.InvoiceID)
		}
		if n > 0 && r.ItemID <= last {
			if r.ItemID == last {
				return fmt.Errorf("item=%d appears twice", r.ItemID)
			}
			return fmt.Errorf("item=%d after item=%d: items must arrive in increasing item_id order", r.ItemID, last)
		}
		last = r.ItemID
		n++
		c := w.chunk
		k := len(c.rows)
		c.rows = append(c.rows, *r)
		c.stores[k].own(&c.rows[k])
		if len(c.rows) == addChunk {
			if err := w.flushChunk(); err != nil {
				return err
			}
		}
	}
	if len(w.chunk.rows) > 0 {
		if err := w.flushChunk(); err != nil {
			return err
		}
	}
	if n != inv.ItemRows {
		return fmt.Errorf("item_rows = %d but %d items given", inv.ItemRows, n)
	}
	w.lastID = inv.InvoiceID
	w.n++
	return nil
}

// nextChunk returns an empty chunk to fill: the one buffer when encoding
// on this goroutine, else one the encoder gave back (waiting for it when
// encodeAhead chunks are queued: the bound on memory).
func (w *PeriodWriter) nextChunk() *rowChunk {
	if encodeAhead == 0 {
		return newRowChunk()
	}
	if w.enc == nil {
		w.enc = startEncoder(w.items, encodeAhead)
	}
	return <-w.enc.free
}

// flushChunk writes the filled chunk, or hands it to the encoder and
// takes an empty one. An error of an earlier chunk's encoding comes back
// here, at the first hand-over after it.
func (w *PeriodWriter) flushChunk() error {
	if w.enc == nil {
		err := w.items.write(w.chunk.rows)
		w.chunk.rows = w.chunk.rows[:0]
		return err
	}
	if err := w.enc.failed(); err != nil {
		return err
	}
	w.enc.in <- w.chunk
	w.chunk = <-w.enc.free
	return w.enc.failed()
}

// joinEncoder waits until every chunk handed over is written and returns
// the encoding's error; the items tableWriter is then this goroutine's.
func (w *PeriodWriter) joinEncoder() error {
	if w.enc == nil {
		return nil
	}
	err := w.enc.join()
	w.enc, w.chunk = nil, nil
	return err
}

// Abort discards the writer's files; nothing was published. It is safe
// after Publish (a no-op) and to call twice.
func (w *PeriodWriter) Abort() error {
	if w.done {
		return nil
	}
	w.close()
	return nil
}

func (w *PeriodWriter) close() {
	w.done = true
	w.joinEncoder() // its error, if any, is the caller's already or moot: the files go
	w.inv.abort()
	w.items.abort()
	w.pay.abort()
	os.RemoveAll(w.dir)
	w.l.mu.Lock()
	delete(w.l.open, w.p)
	w.l.mu.Unlock()
}

// Publish replaces the period's published version with what was added
// (an empty period removes the old data). It requires the lake's lock.
//
// The protocol (docs/LAYOUT.md):
//  1. close the local files and read each back: rows, key order, money
//     sums and schema version must match what was added; a version with
//     fewer invoices than the published one is refused (*ShrinkError)
//     unless RunInfo.AllowShrink;
//  2. upload new files to _staging/<run>/billing_period=P/ and read each
//     back to compare its SHA-256 (files the current manifest already lists
//     with the same checksum are not uploaded again);
//  3. write the journal _staging/<run>/billing_period=P/journal.json naming
//     the files about to be placed and those about to be superseded, then
//     copy the new files to their final names in the table folders (names
//     derive from content: part-NNNNN-<sha256[:16]>.parquet) and list the
//     partition folders to check every file is there with its size;
//  4. write _manifests/billing_period=P.json: the commit point;
//  5. delete the previous version's files that the new manifest does not
//     list, then the staged files, then the journal.
//
// A failure before step 4 leaves the previous version published and its
// files intact; after it, the new one. Either way Recover (or the next
// Publish of the period) removes the leftovers the journal names. Nothing
// but files named by a manifest or the journal is ever deleted.
func (w *PeriodWriter) Publish(ctx context.Context) (Manifest, error) {
	if w.done {
		return Manifest{}, fmt.Errorf("load: publish %s: %w", w.p, ErrClosed)
	}
	defer w.close()
	if w.err != nil {
		return Manifest{}, w.err
	}
	start := time.Now()
	m, err := w.publish(ctx)
	if err != nil {
		return Manifest{}, fmt.Errorf("load: publish %s: %w", w.p, err)
	}
	w.l.opts.Logger.Info("published billing period", "period", w.p.String(), "run", w.run.RunID,
		"invoices", m.Invoices.Rows, "items", m.Items.Rows, "files", len(m.Files()),
		"duration", time.Since(start).Round(time.Millisecond))
	return m, nil
}

type pending struct {
	local  localFile
	final  string
	staged string
	upload bool
}

func (w *PeriodWriter) publish(ctx context.Context) (Manifest, error) {
	l := w.l
	// 1. Close and check the local files.
	if err := w.joinEncoder(); err != nil {
		return Manifest{}, err
	}
	if err := w.inv.finish(); err != nil {
		return Manifest{}, err
	}
	if err := w.items.finish(); err != nil {
		return Manifest{}, err
	}
	if w.inv.rows > 0 {
		// A period with invoices has a payments file, rows or none: a lake
		// with a period always has every table's schema on disk.
		if err := w.pay.ensureFile(); err != nil {
			return Manifest{}, err
		}
	}
	if err := w.pay.finish(); err != nil {
		return Manifest{}, err
	}
	if err := checkLocal(&invoicesTable, w.inv.files); err != nil {
		return Manifest{}, err
	}
	if err := checkLocal(&itemsTable, w.items.files); err != nil {
		return Manifest{}, err
	}
	if err := checkLocal(&paymentsTable, w.pay.files); err != nil {
		return Manifest{}, err
	}
	if err := l.requireLock(); err != nil {
		return Manifest{}, err
	}
	old, hadOld, err := l.Manifest(ctx, w.p)
	if err != nil {
		return Manifest{}, err
	}
	if n := w.inv.rows; hadOld && n < old.Invoices.Rows {
		if !w.run.AllowShrink {
			l.opts.Logger.Warn("refusing to replace a billing period with fewer invoices than it holds",
				"period", w.p.String(), "published_invoices", old.Invoices.Rows, "new_invoices", n, "published_by", old.RunID)
			return Manifest{}, &ShrinkError{Period: w.p, Published: old.Invoices.Rows, New: n, PublishedBy: old.RunID}
		}
		l.opts.Logger.Warn("replacing a billing period with fewer invoices than it holds (allowed)",
			"period", w.p.String(), "published_invoices", old.Invoices.Rows, "new_invoices", n, "published_by", old.RunID)
	}
	oldFiles := map[string]File{}
	for _, f := range old.Files() {
		oldFiles[f.Key] = f
	}

	m := Manifest{
		SchemaVersion: schemas.SchemaVersion,
		Period:        w.p.String(),
		RunID:         w.run.RunID,
		Watermark:     w.run.Watermark.UTC(),
		Invoices:      tableManifest(&invoicesTable, w.inv, w.l.partitionPrefix(schemas.InvoicesTable, w.p)),
		Items:         tableManifest(&itemsTable, w.items, w.l.partitionPrefix(schemas.ItemsTable, w.p)),
		Payments:      tableManifest(&paymentsTable, w.pay, w.l.partitionPrefix(schemas.PaymentsTable, w.p)),
	}
	stage := w.l.stagingPrefix(w.run.RunID, w.p)
	var todo []pending
	for _, tf := range []struct {
		table string
		files []localFile
	}{{schemas.InvoicesTable, w.inv.files}, {schemas.ItemsTable, w.items.files}, {schemas.PaymentsTable, w.pay.files}} {
		for _, f := range tf.files {
			final := w.l.partitionPrefix(tf.table, w.p) + f.name
			o, same := oldFiles[final]
			todo = append(todo, pending{
				local: f, final: final, staged: stage + tf.table + "/" + f.name,
				upload: !same || o.SHA256 != f.sha256 || o.Size != f.size,
			})
		}
	}

	// 2. Upload to staging and verify checksums.
	for _, p := range todo {
		if !p.upload {
			continue
		}
		if err := putFile(ctx, l.b, p.staged, p.local.path, p.local.size); err != nil {
			return Manifest{}, err
		}
		if err := checkRemote(ctx, l.b, p.staged, p.local.size, p.local.sha256); err != nil {
			return Manifest{}, err
		}
	}
	// 3. Journal what is about to land and be superseded (an identical
	// rerun places and supersedes nothing: no journal), move into place
	// and check the partition folders.
	j := journal{Period: w.p.String(), RunID: w.run.RunID, New: []string{}, Old: []string{}}
	for _, p := range todo {
		if p.upload {
			j.New = append(j.New, p.final)
		}
	}
	newKeys := map[string]bool{}
	for _, f := range m.Files() {
		newKeys[f.Key] = true
	}
	for _, f := range old.Files() {
		if !newKeys[f.Key] {
			j.Old = append(j.Old, f.Key)
		}
	}
	journaled := len(j.New)+len(j.Old) > 0
	if journaled {
		if err := l.requireLock(); err != nil {
			return Manifest{}, err
		}
		if err := l.writeJSON(ctx, w.l.journalKey(w.run.RunID, w.p), j); err != nil {
			return Manifest{}, fmt.Errorf("write journal: %w", err)
		}
	}
	copier, _ := l.b.(Copier)
	for _, p := range todo {
		if !p.upload {
			continue
		}
		if copier != nil {
			err = copier.Copy(ctx, p.staged, p.final)
		} else {
			err = putFile(ctx, l.b, p.final, p.local.path, p.local.size)
		}
		if err != nil {
			return Manifest{}, err
		}
	}
	want := map[string]int64{}
	for _, f := range m.Files() {
		want[f.Key] = f.Size
	}
	var present []Object
	for _, table := range tableDirs {
		objs, err := l.listKeys(ctx, w.l.partitionPrefix(table, w.p))
		if err != nil {
			return Manifest{}, err
		}
		present = append(present, objs...)
	}
	found := 0
	for _, o := range present {
		if size, ok := want[o.Key]; ok {
			if o.Size != size {
				return Manifest{}, fmt.Errorf("check %s: got %d bytes, want %d", o.Key, o.Size, size)
			}
			found++
		}
	}
	if found != len(want) {
		return Manifest{}, fmt.Errorf("check partition: %d of %d new files listed", found, len(want))
	}

	// 4. Commit. An empty period that never existed leaves no manifest.
	if hadOld || len(want) > 0 {
		if err := l.requireLock(); err != nil {
			return Manifest{}, err
		}
		if err := l.writeJSON(ctx, w.l.manifestKey(w.p), m); err != nil {
			return Manifest{}, fmt.Errorf("commit manifest: %w", err)
		}
	}

	// 5. Remove the superseded files, the staged files, the journal.
	for _, k := range j.Old {
		if err := l.b.Delete(ctx, k); err != nil {
			return m, fmt.Errorf("after commit: remove superseded file: %w", err)
		}
	}
	for _, p := range todo {
		if !p.upload {
			continue
		}
		if err := l.b.Delete(ctx, p.staged); err != nil {
			return m, fmt.Errorf("after commit: remove staging: %w", err)
		}
	}
	if journaled {
		if err := l.b.Delete(ctx, w.l.journalKey(w.run.RunID, w.p)); err != nil {
			return m, fmt.Errorf("after commit: remove journal: %w", err)
		}
	}
	return m, nil
}

func tableManifest[T any](t *table[T], w *tableWriter[T], prefix string) TableManifest {
	tm := TableManifest{Files: []File{}}
	total := make([]schemas.Sum, len(t.money))
	for _, f := range w.files {
		tm.Rows += f.stats.rows
		for i := range total {
			total[i].AddSum(&f.stats.sums[i])
		}
		tm.Files = append(tm.Files, File{
			Key: prefix + f.name, Size: f.size, SHA256: f.sha256, Rows: f.stats.rows,
			MinInvoiceID: f.stats.minKey[0], MaxInvoiceID: f.stats.maxKey[0],
			Sums: sumStrings(t, f.stats.sums),
		})
	}
	tm.Sums = sumStrings(t, total)
	return tm
}

// checkLocal reads every local file back and compares it with what was
// written.
func checkLocal[T any](t *table[T], files []localFile) error {
	for _, f := range files {
		fh, err := os.Open(f.path)
		if err != nil {
			return fmt.Errorf("check %s %s: %w", t.name, f.name, err)
		}
		got, err := readStats(t, fh, f.size, nil)
		fh.Close()
		if err == nil {
			err = sameStats(t, got, f.stats)
		}
		if err != nil {
			return fmt.Errorf("check %s %s: %w", t.name, f.name, err)
		}
	}
	return nil
}

func putFile(ctx context.Context, b Bucket, key, path string, size int64) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("upload %s: %w", key, err)
	}
	defer f.Close()
	if err := b.Put(ctx, key, f, size); err != nil {
		return fmt.Errorf("upload %s: %w", key, err)
	}
	return nil
}

// checkRemote reads an object back and compares its size and SHA-256.
func checkRemote(ctx context.Context, b Bucket, key string, size int64, sum string) error {
	rc, err := b.Get(ctx, key)
	if err != nil {
		return fmt.Errorf("check %s: %w", key, err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return fmt.Errorf("check %s: %w", key, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); n != size || got != sum {
		return fmt.Errorf("check %s: got %d bytes sha256 %s, want %d bytes %s", key, n, got, size, sum)
	}
	return nil
}

// rowStore holds the values of one buffered row's pointer fields, so that
// the buffer depends on nothing the caller may reuse. ownedRowFields in
// the tests checks that own covers every pointer field of ItemRow.
type rowStore struct {
	ints [4]int64
	decs [9]schemas.Decimal
	strs [8]string
	t    time.Time
}

// own copies what r's pointer fields point to into st and points them
// there.
func (st *rowStore) own(r *schemas.ItemRow) {
	own(&r.ParentItemID, &st.ints[0])
	own(&r.ResourceID, &st.ints[1])
	own(&r.BillingItemID, &st.ints[2])
	own(&r.CategoryName, &st.strs[0])
	own(&r.ResourceService, &st.strs[1])
	own(&r.HostName, &st.strs[2])
	own(&r.DomainName, &st.strs[3])
	own(&r.Location, &st.strs[4])
	own(&r.RecurringFee, &st.decs[0])
	own(&r.HourlyRecurringFee, &st.decs[1])
	own(&r.OneTimeFee, &st.decs[2])
	own(&r.SetupFee, &st.decs[3])
	own(&r.LaborFee, &st.decs[4])
	own(&r.RecurringTaxAmount, &st.decs[5])
	own(&r.OneTimeTaxAmount, &st.decs[6])
	own(&r.SetupTaxAmount, &st.decs[7])
	own(&r.LaborTaxAmount, &st.decs[8])
	own(&r.CreateDate, &st.t)
	own(&r.AssociatedItemID, &st.ints[3])
	own(&r.ServiceName, &st.strs[5])
	own(&r.ChargeCategory, &st.strs[6])
	own(&r.ChargeFrequency, &st.strs[7])
}

// own copies what *p points to into dst and points *p there.
func own[T any](p **T, dst *T) {
	if *p != nil {
		*dst = **p
		*p = dst
	}
}
