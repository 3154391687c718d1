package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/invoicelake/invoicelake/schemas"
)

// Folders of a lake, relative to its location. Only the table folders
// hold Parquet files; everything else lives in "_"-prefixed siblings, so a
// glob over a table folder never picks it up. Below each folder, every
// account has its own subtree, account_id=NNN/ (see Options.Account).
const (
	ManifestsDir = "_manifests" // _manifests/account_id=N/billing_period=YYYY-MM.json: the commit point
	StagingDir   = "_staging"   // _staging/account_id=N/<run>/billing_period=YYYY-MM/<table>/part-*.parquet and journal.json
	LockDir      = "_lock"      // _lock/account_id=N/lake.json and takeover markers
	// MarkerKey names the lake marker: the object that says "this location
	// is an invoicelake lake", written before anything else.
	MarkerKey = "_invoicelake.json"
)

// tableDirs are the tables of a billing period, in manifest order.
var tableDirs = []string{schemas.InvoicesTable, schemas.ItemsTable, schemas.PaymentsTable}

// Options tune the writer. Zero values take the defaults.
type Options struct {
	// Account is the SoftLayer account whose part of the lake this Lake
	// is: the id the API reports for the credentials (never only one a
	// configuration claims). 0 opens the layout before accounts, read-only.
	Account int64
	// TargetFileBytes bounds a data file: a new file starts once the
	// current one reaches it (so files exceed it by at most ~1024 rows).
	// Default 128 MiB; at most 4 GiB (server-side copies are single calls).
	TargetFileBytes int64
	// MaxRowsPerFile bounds the rows of a data file (0: no bound).
	MaxRowsPerFile int64
	// RowGroupRows bounds a row group, and so the writer's memory per open
	// table. Default 65536.
	RowGroupRows int64
	// PageBytes is the target uncompressed page size. Default 256 KiB.
	PageBytes int
	// TempDir holds files being written before upload. Default os.TempDir().
	TempDir string
	// Logger receives one line per published period and per recovery
	// action. Default: discard.
	Logger *slog.Logger
	// Now is the clock used for lock leases. Default time.Now.
	Now func() time.Time
	// Create lets Lock make a lake in a location that already holds
	// objects the lake did not write (and no lake marker). Those objects
	// are never modified or deleted. Without it such a location is refused
	// (ErrNotALake).
	Create bool
}

func (o *Options) setDefaults() {
	if o.TargetFileBytes <= 0 {
		o.TargetFileBytes = 128 << 20
	}
	o.TargetFileBytes = min(o.TargetFileBytes, 4<<30)
	if o.MaxRowsPerFile < 0 {
		o.MaxRowsPerFile = 0
	}
	if o.RowGroupRows <= 0 {
		o.RowGroupRows = 65536
	}
	if o.PageBytes <= 0 {
		o.PageBytes = 256 << 10
	}
	if o.TempDir == "" {
		o.TempDir = os.TempDir()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Lake is a Hive-partitioned Parquet lake in a Bucket:
//
//	invoices/billing_period=YYYY-MM/part-NNNNN-<sha256[:16]>.parquet
//	invoice_items/billing_period=YYYY-MM/part-NNNNN-<sha256[:16]>.parquet
//	_manifests/billing_period=YYYY-MM.json
//
// Writes (Publish, Recover) require the lake's lock (Lock). See
// docs/LAYOUT.md for the publish protocol and what readers see.
type Lake struct {
	b    Bucket
	opts Options
	acct string // "account_id=N/", or "" for the layout before accounts (read-only)

	mu      sync.Mutex
	lock    *Lock
	open    map[schemas.Period]bool
	claimed bool // the location is known to be this lake's (marker read or written)
}

// NewLake returns account o.Account's part of the lake stored in b. Every
// key it reads or writes is in that account's subtree: one account's runs
// never read, replace or delete another's objects, and take their own
// lock. Account 0 is the layout of releases before accounts
// (invoices/billing_period=P/...): such a Lake reads and recovers, and
// Migrate moves it into an account's subtree, but it never publishes.
func NewLake(b Bucket, o Options) *Lake {
	o.setDefaults()
	l := &Lake{b: b, opts: o, open: map[schemas.Period]bool{}}
	if o.Account > 0 {
		l.acct = AccountDir(o.Account) + "/"
	}
	return l
}

// AccountDir is the folder of an account below each of the lake's folders,
// a Hive partition: account_id=N.
func AccountDir(account int64) string { return "account_id=" + strconv.FormatInt(account, 10) }

// Account returns the lake's account (0 for the layout before accounts).
func (l *Lake) Account() int64 { return l.opts.Account }

// RunInfo identifies the run that publishes a version of a period.
type RunInfo struct {
	// RunID names the run in manifests and staging keys: 1-64 characters
	// of [A-Za-z0-9._-].
	RunID string
	// Watermark is the extraction's high-water mark (stored in UTC).
	Watermark time.Time
	// AllowShrink lets Publish replace a period with a version holding
	// fewer invoices than the published one (see ShrinkError).
	AllowShrink bool
}

func (r RunInfo) validate() error {
	if r.RunID == "" || len(r.RunID) > 64 {
		return fmt.Errorf("run id %q: want 1-64 characters", r.RunID)
	}
	for _, c := range r.RunID {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("run id %q: want only [A-Za-z0-9._-]", r.RunID)
		}
	}
	if r.RunID == "." || r.RunID == ".." {
		return fmt.Errorf("run id %q: not a name", r.RunID)
	}
	return nil
}

// Manifest describes the published version of one period: the commit
// point. A reader that reads only the files a manifest lists always sees
// one complete version.
type Manifest struct {
	SchemaVersion string        `json:"schema_version"`
	Period        string        `json:"billing_period"` // YYYY-MM
	RunID         string        `json:"run_id"`
	Watermark     time.Time     `json:"watermark"` // UTC
	Invoices      TableManifest `json:"invoices"`
	Items         TableManifest `json:"invoice_items"`
	Payments      TableManifest `json:"invoice_payments"` // empty in manifests of schema version 1
}

// TableManifest lists one table's files of a period.
type TableManifest struct {
	Rows  int64             `json:"rows"`
	Sums  map[string]string `json:"sums"` // money column -> exact sum
	Files []File            `json:"files"`
}

// File is one data file of a published period.
type File struct {
	Key          string            `json:"key"` // relative to the lake location
	Size         int64             `json:"size"`
	SHA256       string            `json:"sha256"` // hex
	Rows         int64             `json:"rows"`
	MinInvoiceID int64             `json:"min_invoice_id"`
	MaxInvoiceID int64             `json:"max_invoice_id"`
	Sums         map[string]string `json:"sums"`
}

// Files returns every data file of the period, invoices first.
func (m *Manifest) Files() []File {
	return append(append(slices.Clip(m.Invoices.Files), m.Items.Files...), m.Payments.Files...)
}

func (l *Lake) manifestKey(p schemas.Period) string {
	return ManifestsDir + "/" + l.acct + p.PartitionDir() + ".json"
}

func (l *Lake) partitionPrefix(table string, p schemas.Period) string {
	return table + "/" + l.acct + p.PartitionDir() + "/"
}

// Manifest returns the published manifest of p; ok is false if p was never
// published. A manifest that cannot be decoded, describes another period or
// lists a key outside the period's partition folders is a *CorruptError
// saying how to repair it.
func (l *Lake) Manifest(ctx context.Context, p schemas.Period) (Manifest, bool, error) {
	var m Manifest
	key := l.manifestKey(p)
	remedy := fmt.Sprintf("if no run is writing, delete it (%s): the next export of %s rewrites the period, and its old files are removed then",
		l.where(key), p)
	err := l.readJSON(ctx, key, &m, remedy)
	if errors.Is(err, ErrNotExist) {
		return Manifest{}, false, nil
	}
	if err != nil {
		return Manifest{}, false, fmt.Errorf("load: manifest %s: %w", p, err)
	}
	if err := m.check(l.acct, p); err != nil {
		return Manifest{}, false, fmt.Errorf("load: manifest %s: %w", p, &CorruptError{Key: key, Err: err, Remedy: remedy})
	}
	return m, true, nil
}

// check validates what a manifest read from the bucket claims: its period,
// and that every file it lists is a data file of that period under the
// lake's own naming scheme (so a tampered manifest cannot make Publish
// delete anything else).
func (m *Manifest) check(acct string, p schemas.Period) error {
	if m.Period != p.String() {
		return fmt.Errorf("describes billing period %q", m.Period)
	}
	for _, tf := range []struct {
		table string
		files []File
	}{{schemas.InvoicesTable, m.Invoices.Files}, {schemas.ItemsTable, m.Items.Files}, {schemas.PaymentsTable, m.Payments.Files}} {
		for _, f := range tf.files {
			table, a, per, ok := dataKey(f.Key)
			if !ok || table != tf.table || a != acct || per != p {
				return fmt.Errorf("lists %q, not a %s file of %s", f.Key, tf.table, p)
			}
		}
	}
	return nil
}

// Periods lists the account's published periods (those with a manifest),
// in order.
func (l *Lake) Periods(ctx context.Context) ([]schemas.Period, error) {
	var out []schemas.Period
	prefix := ManifestsDir + "/" + l.acct + "billing_period="
	for o, err := range l.b.List(ctx, prefix) {
		if err != nil {
			return nil, fmt.Errorf("load: periods: %w", err)
		}
		if a, p, ok := manifestPeriod(o.Key); ok && a == l.acct {
			out = append(out, p)
		}
	}
	return out, nil
}

// Accounts lists the accounts that have published a period in the lake
// stored in b, in increasing order; legacy reports whether periods of the
// layout before accounts remain (see Migrate).
func Accounts(ctx context.Context, b Bucket) (accounts []int64, legacy bool, err error) {
	seen := map[int64]bool{}
	for o, err := range b.List(ctx, ManifestsDir+"/") {
		if err != nil {
			return nil, false, fmt.Errorf("load: accounts: %w", err)
		}
		a, _, ok := manifestPeriod(o.Key)
		switch {
		case !ok:
		case a == "":
			legacy = true
		default:
			if n, ok := accountOf(a); ok && !seen[n] {
				seen[n] = true
				accounts = append(accounts, n)
			}
		}
	}
	slices.Sort(accounts)
	return accounts, legacy, nil
}

// RunSummaries returns the keys of the account's run summaries (written
// with WriteJSON as _runs/NAME.json), as ReadJSON takes them, in
// increasing order of NAME: the latest max of them. A run id starts with
// its start time, so the last key is the latest run's.
func (l *Lake) RunSummaries(ctx context.Context, max int) ([]string, error) {
	if l.acct == "" || max <= 0 {
		return nil, nil
	}
	prefix := "_runs/" + l.acct
	var names []string // sorted, at most max
	for o, err := range l.b.List(ctx, prefix) {
		if err != nil {
			return nil, fmt.Errorf("load: run summaries: %w", err)
		}
		name := strings.TrimPrefix(o.Key, prefix)
		if strings.Contains(name, "/") || !cmdKeyRE.MatchString("_runs/"+l.acct+name) {
			continue
		}
		i, _ := slices.BinarySearch(names, name)
		if len(names) == max {
			if i == 0 {
				continue // older than every one kept
			}
			names = slices.Delete(names, 0, 1)
			i--
		}
		names = slices.Insert(names, i, name)
	}
	keys := make([]string, len(names))
	for i, n := range names {
		keys[i] = "_runs/" + n
	}
	return keys, nil
}

// reservedKey reports keys the lake manages itself.
func reservedKey(key string) bool {
	if key == MarkerKey {
		return true
	}
	for _, d := range append([]string{ManifestsDir, StagingDir, LockDir, DocumentsDir}, append(tableDirs, snapshotDirs...)...) {
		if key == d || strings.HasPrefix(key, d+"/") {
			return true
		}
	}
	return false
}

// WriteJSON stores v as indented JSON under key, a key of the form
// _runs/NAME.json or _state/NAME.json in the account's subtree: "_runs/x.json"
// is stored at _runs/account_id=N/x.json. Other keys are refused, and so
// is a location Lock has not claimed as a lake (see Lock). The write is
// atomic for readers.
func (l *Lake) WriteJSON(ctx context.Context, key string, v any) error {
	if reservedKey(key) || !cmdKeyRE.MatchString(key) || l.acct == "" {
		return fmt.Errorf("load: write json %s: want _runs/NAME.json or _state/NAME.json of an account", key)
	}
	key = l.accountKey(key)
	l.mu.Lock()
	claimed := l.claimed
	l.mu.Unlock()
	if !claimed {
		return fmt.Errorf("load: write json %s: %w", key, ErrNotClaimed)
	}
	if err := l.writeJSON(ctx, key, v); err != nil {
		return fmt.Errorf("load: write json %s: %w", key, err)
	}
	return nil
}

// ReadJSON decodes the JSON object under key into v; the error wraps
// ErrNotExist when there is none, and is a *CorruptError, whose message
// carries remedy, when the object cannot be decoded into v.
//
// Like WriteJSON, a _runs/ or _state/ key is the account's.
func (l *Lake) ReadJSON(ctx context.Context, key string, v any, remedy string) error {
	if cmdKeyRE.MatchString(key) {
		key = l.accountKey(key)
	}
	if err := l.readJSON(ctx, key, v, remedy); err != nil {
		return fmt.Errorf("load: read json %s: %w", key, err)
	}
	return nil
}

// Where names key for a person: the location and the key, e.g.
// s3://bucket/prefix/_state/account_id=N/state.json.
func (l *Lake) Where(key string) string {
	if cmdKeyRE.MatchString(key) {
		key = l.accountKey(key)
	}
	return l.where(key)
}

func (l *Lake) where(key string) string {
	if s, ok := l.b.(fmt.Stringer); ok {
		return strings.TrimSuffix(s.String(), "/") + "/" + key
	}
	return key
}

func (l *Lake) writeJSON(ctx context.Context, key string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	return l.b.Put(ctx, key, bytes.NewReader(data), int64(len(data)))
}

// maxJSONBytes bounds what the lake reads of one of its JSON objects.
const maxJSONBytes = 64 << 20

func (l *Lake) readJSON(ctx context.Context, key string, v any, remedy string) error {
	rc, err := l.b.Get(ctx, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxJSONBytes+1))
	if err != nil {
		return err
	}
	corrupt := func(err error) error { return &CorruptError{Key: key, Err: err, Remedy: remedy} }
	if len(data) > maxJSONBytes {
		return corrupt(fmt.Errorf("larger than %d MiB", maxJSONBytes>>20))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return corrupt(fmt.Errorf("decode: %w", err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return corrupt(errors.New("decode: data after the JSON value"))
	}
	return nil
}

// listKeys collects the objects under prefix.
func (l *Lake) listKeys(ctx context.Context, prefix string) ([]Object, error) {
	var out []Object
	for o, err := range l.b.List(ctx, prefix) {
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

func (l *Lake) stagingPrefix(run string, p schemas.Period) string {
	return path.Join(StagingDir, l.acct, run, p.PartitionDir()) + "/"
}

// accountKey puts a _runs/ or _state/ key in the account's subtree.
func (l *Lake) accountKey(key string) string {
	dir, name, _ := strings.Cut(key, "/")
	return dir + "/" + l.acct + name
}
