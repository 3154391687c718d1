package load

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/invoicelake/invoicelake/schemas"
	"github.com/parquet-go/parquet-go"
)

// Account snapshots: account_snapshots, next_invoice_items and
// billing_items, partitioned by snapshot_date. Unlike a billing period, a
// snapshot is never replaced: each one adds a file to each table, under a
// name of its own, and its manifest. The protocol (SnapshotWriter.Publish):
//
//  1. close the local files and read each back (rows, key order, sums);
//  2. write the journal _staging/<snapshot>/snapshot-<account>.json naming
//     the files about to be written;
//  3. put next_invoice_items, then billing_items, then account_snapshots
//     at their final names (a put is atomic: a reader sees a file whole or
//     not at all) and read each back; the account_snapshots row comes last,
//     so a reader that globs the folders and joins on snapshot_id never
//     sees a snapshot without its items;
//  4. write the manifest _manifests/snapshot_date=D/<snapshot>-<account>.json:
//     the commit point for readers that go through manifests (verify);
//  5. delete the journal.
//
// A run that dies before 4 leaves files its journal names and no manifest
// lists: Recover deletes them, then the journal.

// snapshotDirs are the tables of account snapshots.
var snapshotDirs = []string{schemas.SnapshotsTable, schemas.NextInvoiceItemsTable, schemas.BillingItemsTable}

const snapshotTimeLayout = "20060102T150405Z"

var (
	// Groups: table, account folder, date, time, hash (data); account
	// folder, date, id (manifest); account folder, id (journal).
	snapshotDataRE = regexp.MustCompile(`^(` + alternation(snapshotDirs) + `)/` + acctRE +
		`snapshot_date=(\d{4}-\d{2}-\d{2})/snapshot-(\d{8}T\d{6}Z)-([0-9a-f]{16})\.parquet$`)
	snapshotManifestRE = regexp.MustCompile(`^` + ManifestsDir + `/` + acctRE + `snapshot_date=(\d{4}-\d{2}-\d{2})/([A-Za-z0-9._-]{1,64})\.json$`)
	snapshotJournalRE  = regexp.MustCompile(`^` + StagingDir + `/` + acctRE + `([A-Za-z0-9._-]{1,64})/snapshot\.json$`)
)

// snapshotKey reports whether key is one of a snapshot's objects under the
// lake's naming scheme.
func snapshotKey(key string) bool {
	if m := snapshotDataRE.FindStringSubmatch(key); m != nil {
		return validAcct(m[2])
	}
	for _, re := range []*regexp.Regexp{snapshotManifestRE, snapshotJournalRE} {
		if m := re.FindStringSubmatch(key); m != nil {
			return validAcct(m[1])
		}
	}
	return false
}

// ensureFile gives a table without rows one file of none, so that readers
// that need a file to know a table's schema (DuckDB's read_parquet fails
// on a glob that matches nothing) find one.
func (w *tableWriter[T]) ensureFile() error {
	if len(w.files) > 0 || w.pw != nil {
		return nil
	}
	if err := w.open(); err != nil {
		return err
	}
	return w.finish()
}

func billingItemsTableOf(name string) table[schemas.BillingItemRow] {
	return table[schemas.BillingItemRow]{
		name:    name,
		schema:  parquet.SchemaOf(new(schemas.BillingItemRow)),
		key:     func(r *schemas.BillingItemRow) [2]int64 { return [2]int64{r.TopLevelBillingItemID, r.BillingItemID} },
		keyCols: []string{"top_level_billing_item_id", "billing_item_id"},
		money: []moneyCol[schemas.BillingItemRow]{
			{"next_invoice_total_recurring_amount", func(r *schemas.BillingItemRow) *schemas.Decimal { return r.NextInvoiceTotalRecurringAmount }},
			{"recurring_fee", func(r *schemas.BillingItemRow) *schemas.Decimal { return r.RecurringFee }},
		},
		sorting: []parquet.SortingColumn{parquet.Ascending("top_level_billing_item_id"), parquet.Ascending("billing_item_id")},
		strings: []stringCol[schemas.BillingItemRow]{
			{"snapshot_id", true, func(r *schemas.BillingItemRow) *string { return &r.SnapshotID }},
			{"category_code", true, func(r *schemas.BillingItemRow) *string { return &r.CategoryCode }},
			{"category_name", false, func(r *schemas.BillingItemRow) *string { return r.CategoryName }},
			{"resource_service", true, func(r *schemas.BillingItemRow) *string { return r.ResourceService }},
			{"service_name", true, func(r *schemas.BillingItemRow) *string { return r.ServiceName }},
			{"description", false, func(r *schemas.BillingItemRow) *string { return &r.Description }},
			{"host_name", false, func(r *schemas.BillingItemRow) *string { return r.HostName }},
			{"domain_name", false, func(r *schemas.BillingItemRow) *string { return r.DomainName }},
			{"location", true, func(r *schemas.BillingItemRow) *string { return r.Location }},
			{"ordered_by_username", false, func(r *schemas.BillingItemRow) *string { return r.OrderedByUsername }},
			{"ordered_by_name", false, func(r *schemas.BillingItemRow) *string { return r.OrderedByName }},
		},
	}
}

var (
	nextInvoiceItemsTable = billingItemsTableOf(schemas.NextInvoiceItemsTable)
	billingItemsTable     = billingItemsTableOf(schemas.BillingItemsTable)
	snapshotsTable        = table[schemas.AccountSnapshotRow]{
		name:    schemas.SnapshotsTable,
		schema:  parquet.SchemaOf(new(schemas.AccountSnapshotRow)),
		key:     func(r *schemas.AccountSnapshotRow) [2]int64 { return [2]int64{r.AccountID, 0} },
		keyCols: []string{"account_id"},
		money: []moneyCol[schemas.AccountSnapshotRow]{
			{"balance", func(r *schemas.AccountSnapshotRow) *schemas.Decimal { return r.Balance }},
			{"next_invoice_total_amount", func(r *schemas.AccountSnapshotRow) *schemas.Decimal { return r.NextInvoiceTotalAmount }},
		},
		sorting: []parquet.SortingColumn{parquet.Ascending("account_id")},
		strings: []stringCol[schemas.AccountSnapshotRow]{
			{"snapshot_id", true, func(r *schemas.AccountSnapshotRow) *string { return &r.SnapshotID }},
			{"pending_invoice_type_code", true, func(r *schemas.AccountSnapshotRow) *string { return r.PendingInvoiceTypeCode }},
			{"latest_recurring_invoice_status_code", true, func(r *schemas.AccountSnapshotRow) *string { return r.LatestRecurringInvoiceStatusCode }},
		},
	}
)

// SnapshotInfo identifies a snapshot: ID (1-64 characters of
// [A-Za-z0-9._-], e.g. the run id), the time it describes and the account.
type SnapshotInfo struct {
	ID        string
	Time      time.Time
	AccountID int64
}

// Date is the snapshot's partition value: the UTC date of its time.
func (s SnapshotInfo) Date() string { return s.Time.UTC().Format(time.DateOnly) }

// SnapshotManifest describes one published snapshot of one account.
type SnapshotManifest struct {
	SchemaVersion    string        `json:"schema_version"`
	SnapshotID       string        `json:"snapshot_id"`
	SnapshotTime     time.Time     `json:"snapshot_time"` // UTC
	AccountID        int64         `json:"account_id"`
	Snapshots        TableManifest `json:"account_snapshots"`
	NextInvoiceItems TableManifest `json:"next_invoice_items"`
	BillingItems     TableManifest `json:"billing_items"`
}

// Files lists the snapshot's files, account_snapshots first.
func (m *SnapshotManifest) Files() []File {
	return append(append(append([]File(nil), m.Snapshots.Files...), m.NextInvoiceItems.Files...), m.BillingItems.Files...)
}

func (s SnapshotInfo) manifestKey() string {
	return fmt.Sprintf("%s/%s/%s=%s/%s.json", ManifestsDir, AccountDir(s.AccountID), schemas.SnapshotPartitionColumn, s.Date(), s.ID)
}

func (s SnapshotInfo) journalKey() string {
	return fmt.Sprintf("%s/%s/%s/snapshot.json", StagingDir, AccountDir(s.AccountID), s.ID)
}

// snapshotJournal names the files a snapshot is about to write.
type snapshotJournal struct {
	SnapshotID string   `json:"snapshot_id"`
	AccountID  int64    `json:"account_id"`
	Manifest   string   `json:"manifest"`
	New        []string `json:"new"`
}

// SnapshotWriter writes one snapshot of one account. Rows stream to local
// temporary files; nothing reaches the bucket before Publish. It is not
// safe for concurrent use.
type SnapshotWriter struct {
	l    *Lake
	s    SnapshotInfo
	dir  string
	next *tableWriter[schemas.BillingItemRow]
	bill *tableWriter[schemas.BillingItemRow]
	snap *tableWriter[schemas.AccountSnapshotRow]
	err  error // sticky
	done bool
}

// BeginSnapshot starts snapshot s.
func (l *Lake) BeginSnapshot(s SnapshotInfo) (*SnapshotWriter, error) {
	if err := (RunInfo{RunID: s.ID}).validate(); err != nil {
		return nil, fmt.Errorf("load: begin snapshot: %w", err)
	}
	if s.Time.IsZero() || s.Time.Year() < 2000 || s.Time.Year() > 9999 || s.AccountID <= 0 {
		return nil, fmt.Errorf("load: begin snapshot %s: want a time and an account id", s.ID)
	}
	if s.AccountID != l.opts.Account {
		return nil, fmt.Errorf("load: begin snapshot %s: account %d in the lake of account %d", s.ID, s.AccountID, l.opts.Account)
	}
	s.Time = s.Time.UTC().Truncate(time.Microsecond)
	dir, err := os.MkdirTemp(l.opts.TempDir, "invoicelake-snapshot-")
	if err != nil {
		return nil, fmt.Errorf("load: begin snapshot %s: %w", s.ID, err)
	}
	return &SnapshotWriter{l: l, s: s, dir: dir,
		next: newTableWriter(&nextInvoiceItemsTable, &l.opts, dir),
		bill: newTableWriter(&billingItemsTable, &l.opts, dir),
		snap: newTableWriter(&snapshotsTable, &l.opts, dir),
	}, nil
}

// AddNextInvoiceItems appends next_invoice_items rows: one top-level item
// and its children at a time, in increasing (top_level_billing_item_id,
// billing_item_id) order. It copies what it keeps.
func (w *SnapshotWriter) AddNextInvoiceItems(rows []schemas.BillingItemRow) error {
	return w.add(w.next, rows)
}

// AddBillingItems appends billing_items rows, as AddNextInvoiceItems.
func (w *SnapshotWriter) AddBillingItems(rows []schemas.BillingItemRow) error {
	return w.add(w.bill, rows)
}

func (w *SnapshotWriter) add(tw *tableWriter[schemas.BillingItemRow], rows []schemas.BillingItemRow) error {
	if w.done {
		return fmt.Errorf("load: snapshot %s: %w", w.s.ID, ErrClosed)
	}
	if w.err != nil {
		return w.err
	}
	own := make([]schemas.BillingItemRow, len(rows))
	for i := range rows {
		if rows[i].SnapshotID != w.s.ID || !rows[i].SnapshotTime.Equal(w.s.Time) || rows[i].AccountID != w.s.AccountID {
			w.err = fmt.Errorf("load: snapshot %s: %s row of billing item %d belongs to snapshot %q of account %d",
				w.s.ID, tw.t.name, rows[i].BillingItemID, rows[i].SnapshotID, rows[i].AccountID)
			return w.err
		}
		own[i] = ownBillingItemRow(rows[i])
	}
	if err := tw.write(own); err != nil {
		w.err = fmt.Errorf("load: snapshot %s: %w", w.s.ID, err)
		return w.err
	}
	return nil
}

// ownBillingItemRow copies what r's pointer fields point to.
func ownBillingItemRow(r schemas.BillingItemRow) schemas.BillingItemRow {
	for _, p := range []**int64{&r.ParentID, &r.AssociatedBillingItemID, &r.ResourceID, &r.OrderItemID, &r.OrderID, &r.OrderedByUserID} {
		copyPtr(p)
	}
	for _, p := range []**string{&r.CategoryName, &r.ResourceService, &r.ServiceName, &r.HostName, &r.DomainName, &r.Location,
		&r.OrderedByUsername, &r.OrderedByName} {
		copyPtr(p)
	}
	for _, p := range []**time.Time{&r.CreateDate, &r.CycleStartDate, &r.LastBillDate, &r.NextBillDate, &r.CancellationDate, &r.OrderCreateDate} {
		copyPtr(p)
	}
	for _, p := range []**schemas.Decimal{&r.RecurringFee, &r.HourlyRecurringFee, &r.OneTimeFee, &r.SetupFee, &r.LaborFee, &r.HoursUsed,
		&r.CurrentHourlyCharge, &r.NextInvoiceTotalRecurringAmount, &r.NextInvoiceTotalRecurringTaxAmount, &r.NextInvoiceTotalOneTimeAmount,
		&r.NextInvoiceTotalOneTimeTaxAmount} {
		copyPtr(p)
	}
	copyPtr(&r.HourlyFlag)
	return r
}

func copyPtr[T any](p **T) {
	if *p != nil {
		v := **p
		*p = &v
	}
}

// Abort discards the snapshot; nothing was published.
func (w *SnapshotWriter) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.next.abort()
	w.bill.abort()
	w.snap.abort()
	os.RemoveAll(w.dir)
}

// Publish writes the snapshot: its account_snapshots row (whose item row
// counts must be the rows added) and the rows added, following the
// protocol above. It requires the lake's lock.
func (w *SnapshotWriter) Publish(ctx context.Context, row schemas.AccountSnapshotRow) (SnapshotManifest, error) {
	if w.done {
		return SnapshotManifest{}, fmt.Errorf("load: publish snapshot %s: %w", w.s.ID, ErrClosed)
	}
	defer w.Abort()
	if w.err != nil {
		return SnapshotManifest{}, w.err
	}
	m, err := w.publish(ctx, row)
	if err != nil {
		return SnapshotManifest{}, fmt.Errorf("load: publish snapshot %s account %d: %w", w.s.ID, w.s.AccountID, err)
	}
	w.l.opts.Logger.Info("published account snapshot", "snapshot", w.s.ID, "account", w.s.AccountID,
		"next_invoice_items", m.NextInvoiceItems.Rows, "billing_items", m.BillingItems.Rows)
	return m, nil
}

func (w *SnapshotWriter) publish(ctx context.Context, row schemas.AccountSnapshotRow) (SnapshotManifest, error) {
	l, s := w.l, w.s
	if row.SnapshotID != s.ID || !row.SnapshotTime.Equal(s.Time) || row.AccountID != s.AccountID {
		return SnapshotManifest{}, fmt.Errorf("the account_snapshots row is of snapshot %q account %d", row.SnapshotID, row.AccountID)
	}
	if row.NextInvoiceItemRows != w.next.rows || row.BillingItemRows != w.bill.rows {
		return SnapshotManifest{}, fmt.Errorf("the account_snapshots row counts %d next invoice and %d billing item rows, %d and %d were added",
			row.NextInvoiceItemRows, row.BillingItemRows, w.next.rows, w.bill.rows)
	}
	// 1. Close and check: one file per table, rows or none.
	if err := w.snap.write([]schemas.AccountSnapshotRow{row}); err != nil {
		return SnapshotManifest{}, err
	}
	for _, f := range []func() error{w.next.ensureFile, w.next.finish, w.bill.ensureFile, w.bill.finish, w.snap.finish} {
		if err := f(); err != nil {
			return SnapshotManifest{}, err
		}
	}
	if len(w.next.files) != 1 || len(w.bill.files) != 1 || len(w.snap.files) != 1 {
		return SnapshotManifest{}, errors.New("a snapshot table does not fit one file (Options.TargetFileBytes, MaxRowsPerFile)")
	}
	if err := checkLocal(&nextInvoiceItemsTable, w.next.files); err != nil {
		return SnapshotManifest{}, err
	}
	if err := checkLocal(&billingItemsTable, w.bill.files); err != nil {
		return SnapshotManifest{}, err
	}
	if err := checkLocal(&snapshotsTable, w.snap.files); err != nil {
		return SnapshotManifest{}, err
	}
	m := SnapshotManifest{SchemaVersion: schemas.SchemaVersion, SnapshotID: s.ID, SnapshotTime: s.Time, AccountID: s.AccountID,
		Snapshots:        snapshotTableManifest(&snapshotsTable, w.snap, s),
		NextInvoiceItems: snapshotTableManifest(&nextInvoiceItemsTable, w.next, s),
		BillingItems:     snapshotTableManifest(&billingItemsTable, w.bill, s),
	}
	// 2. Journal.
	order := []struct {
		local localFile
		key   string
	}{
		{w.next.files[0], m.NextInvoiceItems.Files[0].Key},
		{w.bill.files[0], m.BillingItems.Files[0].Key},
		{w.snap.files[0], m.Snapshots.Files[0].Key},
	}
	j := snapshotJournal{SnapshotID: s.ID, AccountID: s.AccountID, Manifest: s.manifestKey()}
	for _, o := range order {
		j.New = append(j.New, o.key)
	}
	if err := l.requireLock(); err != nil {
		return SnapshotManifest{}, err
	}
	if err := l.writeJSON(ctx, s.journalKey(), j); err != nil {
		return SnapshotManifest{}, fmt.Errorf("write journal: %w", err)
	}
	// 3. The files, account_snapshots last, each read back.
	for _, o := range order {
		if err := putFile(ctx, l.b, o.key, o.local.path, o.local.size); err != nil {
			return SnapshotManifest{}, err
		}
		if err := checkRemote(ctx, l.b, o.key, o.local.size, o.local.sha256); err != nil {
			return SnapshotManifest{}, err
		}
	}
	// 4. Commit.
	if err := l.requireLock(); err != nil {
		return SnapshotManifest{}, err
	}
	if err := l.writeJSON(ctx, s.manifestKey(), m); err != nil {
		return SnapshotManifest{}, fmt.Errorf("commit manifest: %w", err)
	}
	// 5. Clean.
	if err := l.b.Delete(ctx, s.journalKey()); err != nil {
		return m, fmt.Errorf("after commit: remove journal: %w", err)
	}
	return m, nil
}

func snapshotTableManifest[T any](t *table[T], w *tableWriter[T], s SnapshotInfo) TableManifest {
	tm := TableManifest{Files: []File{}}
	for _, f := range w.files {
		tm.Rows += f.stats.rows
		tm.Files = append(tm.Files, File{
			Key: fmt.Sprintf("%s/%s/%s=%s/snapshot-%s-%s.parquet", t.name, AccountDir(s.AccountID), schemas.SnapshotPartitionColumn, s.Date(),
				s.Time.Format(snapshotTimeLayout), f.sha256[:16]),
			Size: f.size, SHA256: f.sha256, Rows: f.stats.rows, Sums: sumStrings(t, f.stats.sums),
		})
		tm.Sums = sumStrings(t, f.stats.sums)
	}
	return tm
}

// check validates what a snapshot manifest read from the bucket claims:
// every file it lists is a data file of its account and date under the
// lake's scheme.
func (m *SnapshotManifest) check(acct, date string) error {
	for _, tf := range []struct {
		table string
		files []File
	}{{schemas.SnapshotsTable, m.Snapshots.Files}, {schemas.NextInvoiceItemsTable, m.NextInvoiceItems.Files}, {schemas.BillingItemsTable, m.BillingItems.Files}} {
		for _, f := range tf.files {
			g := snapshotDataRE.FindStringSubmatch(f.Key)
			if g == nil || g[1] != tf.table || g[2] != acct || g[3] != date {
				return fmt.Errorf("lists %q, not a %s file of %s", f.Key, tf.table, date)
			}
		}
	}
	return nil
}

// SnapshotManifests yields the published snapshots' manifests, by date and
// key. A manifest that cannot be decoded or lists a key outside its date
// is a *CorruptError. The first error ends the sequence.
func (l *Lake) SnapshotManifests(ctx context.Context) iter.Seq2[SnapshotManifest, error] {
	return func(yield func(SnapshotManifest, error) bool) {
		for o, err := range l.b.List(ctx, ManifestsDir+"/"+l.acct+schemas.SnapshotPartitionColumn+"=") {
			if err != nil {
				yield(SnapshotManifest{}, fmt.Errorf("load: snapshot manifests: %w", err))
				return
			}
			g := snapshotManifestRE.FindStringSubmatch(o.Key)
			if g == nil || g[1] != l.acct || l.acct == "" {
				continue
			}
			var m SnapshotManifest
			remedy := "if no run is writing, delete it: that snapshot is then gone from verify (its files stay, and are read by globbing readers)"
			if err := l.readJSON(ctx, o.Key, &m, remedy); err != nil {
				yield(SnapshotManifest{}, fmt.Errorf("load: snapshot manifest: %w", err))
				return
			}
			if err := m.check(g[1], g[2]); err != nil || m.SnapshotID != g[3] || AccountDir(m.AccountID)+"/" != g[1] {
				if err == nil {
					err = errors.New("describes another snapshot")
				}
				yield(SnapshotManifest{}, fmt.Errorf("load: snapshot manifest: %w", &CorruptError{Key: o.Key, Err: err, Remedy: remedy}))
				return
			}
			if !yield(m, nil) {
				return
			}
		}
	}
}

// SnapshotSummary is what a published snapshot's files hold, read back.
type SnapshotSummary struct {
	Snapshot                  schemas.AccountSnapshotRow
	NextInvoiceItems          int64
	BillingItems              int64
	NextInvoiceRecurringTotal schemas.Sum // Σ next_invoice_total_recurring_amount of the next invoice's top-level rows
}

// SummarizeSnapshot reads back every file m lists, checking each one's
// size, SHA-256, schema version, sort order, rows and sums against it, and
// returns its account_snapshots row and counts.
func (l *Lake) SummarizeSnapshot(ctx context.Context, m SnapshotManifest) (SnapshotSummary, error) {
	var s SnapshotSummary
	if m.SchemaVersion != schemas.SchemaVersion {
		return s, fmt.Errorf("load: snapshot %s: manifest schema version %q, want %q", m.SnapshotID, m.SchemaVersion, schemas.SchemaVersion)
	}
	for _, tf := range []struct {
		t     *table[schemas.BillingItemRow]
		files []File
		n     *int64
	}{{&nextInvoiceItemsTable, m.NextInvoiceItems.Files, &s.NextInvoiceItems}, {&billingItemsTable, m.BillingItems.Files, &s.BillingItems}} {
		for _, f := range tf.files {
			if _, err := readRemote(ctx, l, tf.t, f, nil); err != nil {
				return s, fmt.Errorf("load: snapshot %s: %w", m.SnapshotID, err)
			}
			*tf.n += f.Rows
		}
	}
	for r, err := range readRowsOf(ctx, l, &nextInvoiceItemsTable, m.NextInvoiceItems.Files) {
		if err != nil {
			return s, fmt.Errorf("load: snapshot %s: %w", m.SnapshotID, err)
		}
		if r.Depth == 0 && r.NextInvoiceTotalRecurringAmount != nil {
			s.NextInvoiceRecurringTotal.Add(*r.NextInvoiceTotalRecurringAmount)
		}
	}
	n := 0
	for r, err := range readRowsOf(ctx, l, &snapshotsTable, m.Snapshots.Files) {
		if err != nil {
			return s, fmt.Errorf("load: snapshot %s: %w", m.SnapshotID, err)
		}
		s.Snapshot = r
		n++
	}
	if n != 1 {
		return s, fmt.Errorf("load: snapshot %s: %d account_snapshots rows, want 1", m.SnapshotID, n)
	}
	return s, nil
}

// readRowsOf yields the rows of files, each checked against its entry.
func readRowsOf[T any](ctx context.Context, l *Lake, t *table[T], files []File) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) { readRows(ctx, l, t, files, yield) }
}

// SnapshotRows yields the rows of a published snapshot's table (one of
// schemas.NextInvoiceItemsTable and schemas.BillingItemsTable).
func (l *Lake) SnapshotRows(ctx context.Context, m SnapshotManifest, table string) iter.Seq2[schemas.BillingItemRow, error] {
	switch table {
	case schemas.NextInvoiceItemsTable:
		return readRowsOf(ctx, l, &nextInvoiceItemsTable, m.NextInvoiceItems.Files)
	case schemas.BillingItemsTable:
		return readRowsOf(ctx, l, &billingItemsTable, m.BillingItems.Files)
	}
	return func(yield func(schemas.BillingItemRow, error) bool) {
		yield(schemas.BillingItemRow{}, fmt.Errorf("load: snapshot rows: no table %q", table))
	}
}

// recoverSnapshots deletes what snapshots that died before their manifest
// left: the files their journals name (data files of the scheme only),
// then the journals. A journal whose manifest exists is only removed.
func (l *Lake) recoverSnapshots(ctx context.Context, staged []Object, rec *Recovery) error {
	for _, o := range staged {
		if a, ok := keyAccount(snapshotJournalRE, o.Key); !ok || a != l.acct {
			continue
		}
		var j snapshotJournal
		if err := l.readJSON(ctx, o.Key, &j, "it is removed by hand only if no run is writing"); err != nil {
			l.opts.Logger.Warn("unreadable snapshot journal: left in place", "key", o.Key, "err", err)
			continue
		}
		if path.Dir(o.Key) != StagingDir+"/"+l.acct+j.SnapshotID || !snapshotManifestRE.MatchString(j.Manifest) {
			l.opts.Logger.Warn("snapshot journal does not match its key: left in place", "key", o.Key)
			continue
		}
		rc, err := l.b.Get(ctx, j.Manifest)
		if err == nil {
			rc.Close()
		}
		switch {
		case errors.Is(err, ErrNotExist):
			for _, k := range j.New {
				if g := snapshotDataRE.FindStringSubmatch(k); g == nil || g[2] != l.acct {
					continue
				}
				if err := l.b.Delete(ctx, k); err != nil && !errors.Is(err, ErrNotExist) {
					return err
				}
				rec.Strays = append(rec.Strays, k)
			}
		case err != nil:
			return err
		}
		if err := l.b.Delete(ctx, o.Key); err != nil {
			return err
		}
		rec.Staging = append(rec.Staging, o.Key)
	}
	return nil
}

// isSnapshotJournal reports a snapshot's journal among staged keys.
func isSnapshotJournal(key string) bool {
	return strings.HasPrefix(key, StagingDir+"/") && snapshotJournalRE.MatchString(key)
}
