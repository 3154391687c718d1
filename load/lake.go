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
	"strings"
	"sync"
	"time"

	"github.com/invoicelake/invoicelake/schemas"
)

// Folders of a lake, relative to its location. Only the two table folders
// hold Parquet files; everything else lives in "_"-prefixed siblings, so a
// glob over a table folder never picks it up.
const (
	ManifestsDir = "_manifests" // _manifests/billing_period=YYYY-MM.json: the commit point
	StagingDir   = "_staging"   // _staging/<run>/billing_period=YYYY-MM/<table>/part-*.parquet
	LockDir      = "_lock"      // _lock/lake.json and takeover markers
)

var tableDirs = []string{schemas.InvoicesTable, schemas.ItemsTable}

// Options tune the writer. Zero values take the defaults.
type Options struct {
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

	mu   sync.Mutex
	lock *Lock
	open map[schemas.Period]bool
}

// NewLake returns the lake stored in b.
func NewLake(b Bucket, o Options) *Lake {
	o.setDefaults()
	return &Lake{b: b, opts: o, open: map[schemas.Period]bool{}}
}

// RunInfo identifies the run that publishes a version of a period.
type RunInfo struct {
	// RunID names the run in manifests and staging keys: 1-64 characters
	// of [A-Za-z0-9._-].
	RunID string
	// Watermark is the extraction's high-water mark (stored in UTC).
	Watermark time.Time
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
func (m *Manifest) Files() []File { return append(slices.Clip(m.Invoices.Files), m.Items.Files...) }

func manifestKey(p schemas.Period) string { return ManifestsDir + "/" + p.PartitionDir() + ".json" }

func partitionPrefix(table string, p schemas.Period) string {
	return table + "/" + p.PartitionDir() + "/"
}

// Manifest returns the published manifest of p; ok is false if p was never
// published.
func (l *Lake) Manifest(ctx context.Context, p schemas.Period) (Manifest, bool, error) {
	var m Manifest
	err := l.readJSON(ctx, manifestKey(p), &m)
	if errors.Is(err, ErrNotExist) {
		return Manifest{}, false, nil
	}
	if err != nil {
		return Manifest{}, false, fmt.Errorf("load: manifest %s: %w", p, err)
	}
	if m.Period != p.String() {
		return Manifest{}, false, fmt.Errorf("load: manifest %s: describes billing period %q", p, m.Period)
	}
	return m, true, nil
}

// Periods lists the published periods (those with a manifest), in order.
func (l *Lake) Periods(ctx context.Context) ([]schemas.Period, error) {
	var out []schemas.Period
	prefix := ManifestsDir + "/billing_period="
	for o, err := range l.b.List(ctx, prefix) {
		if err != nil {
			return nil, fmt.Errorf("load: periods: %w", err)
		}
		s, ok := strings.CutSuffix(strings.TrimPrefix(o.Key, prefix), ".json")
		if !ok {
			continue
		}
		p, err := schemas.ParsePeriod(s)
		if err != nil {
			continue // not ours; Recover leaves _manifests alone
		}
		out = append(out, p)
	}
	return out, nil
}

// reservedKey reports keys the lake manages itself.
func reservedKey(key string) bool {
	for _, d := range []string{schemas.InvoicesTable, schemas.ItemsTable, ManifestsDir, StagingDir, LockDir} {
		if key == d || strings.HasPrefix(key, d+"/") {
			return true
		}
	}
	return false
}

// WriteJSON stores v as indented JSON under key (e.g. "_runs/<id>.json",
// "_state/cursor.json"). Keys inside the table, manifest, staging and lock
// folders are refused. The write is atomic for readers.
func (l *Lake) WriteJSON(ctx context.Context, key string, v any) error {
	if reservedKey(key) {
		return fmt.Errorf("load: write json %s: reserved folder", key)
	}
	if err := l.writeJSON(ctx, key, v); err != nil {
		return fmt.Errorf("load: write json %s: %w", key, err)
	}
	return nil
}

// ReadJSON decodes the JSON object under key into v; the error wraps
// ErrNotExist when there is none.
func (l *Lake) ReadJSON(ctx context.Context, key string, v any) error {
	if err := l.readJSON(ctx, key, v); err != nil {
		return fmt.Errorf("load: read json %s: %w", key, err)
	}
	return nil
}

func (l *Lake) writeJSON(ctx context.Context, key string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	return l.b.Put(ctx, key, bytes.NewReader(data), int64(len(data)))
}

func (l *Lake) readJSON(ctx context.Context, key string, v any) error {
	rc, err := l.b.Get(ctx, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, 64<<20))
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode: %w", err)
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

// Recovery reports what Recover removed.
type Recovery struct {
	Staging        []string // objects of dead runs' staging areas
	Strays         []string // objects in table folders that no manifest lists
	UploadsAborted int      // incomplete multipart uploads (S3)
}

// Recover cleans up after runs that died: it removes every staging object,
// aborts incomplete multipart uploads, and deletes every object in a table
// folder that its period's manifest does not list (a dead run's new files
// before its manifest was written, or its old files after). It never
// touches a file a manifest lists, so the published versions stay intact.
// Call it after Lock and before Begin; it requires the lock.
func (l *Lake) Recover(ctx context.Context) (Recovery, error) {
	var rec Recovery
	if err := l.requireLock(ctx); err != nil {
		return rec, fmt.Errorf("load: recover: %w", err)
	}
	staged, err := l.listKeys(ctx, StagingDir+"/")
	if err != nil {
		return rec, fmt.Errorf("load: recover: %w", err)
	}
	for _, o := range staged {
		if err := l.b.Delete(ctx, o.Key); err != nil {
			return rec, fmt.Errorf("load: recover: %w", err)
		}
		rec.Staging = append(rec.Staging, o.Key)
	}
	if a, ok := l.b.(interface {
		AbortIncompleteUploads(context.Context, string) (int, error)
	}); ok {
		n, err := a.AbortIncompleteUploads(ctx, "")
		rec.UploadsAborted = n
		if err != nil {
			return rec, fmt.Errorf("load: recover: %w", err)
		}
	}
	manifests := map[string]map[string]bool{} // partition dir -> listed keys
	for _, table := range tableDirs {
		objs, err := l.listKeys(ctx, table+"/")
		if err != nil {
			return rec, fmt.Errorf("load: recover: %w", err)
		}
		for _, o := range objs {
			listed := false
			rest := strings.TrimPrefix(o.Key, table+"/")
			dir, _, _ := strings.Cut(rest, "/")
			if s, ok := strings.CutPrefix(dir, "billing_period="); ok {
				if p, err := schemas.ParsePeriod(s); err == nil && p.PartitionDir() == dir {
					keys, seen := manifests[dir]
					if !seen {
						m, ok, err := l.Manifest(ctx, p)
						if err != nil {
							return rec, fmt.Errorf("load: recover: %w", err)
						}
						keys = map[string]bool{}
						if ok {
							for _, f := range m.Files() {
								keys[f.Key] = true
							}
						}
						manifests[dir] = keys
					}
					listed = keys[o.Key]
				}
			}
			if listed {
				continue
			}
			if err := l.b.Delete(ctx, o.Key); err != nil {
				return rec, fmt.Errorf("load: recover: %w", err)
			}
			rec.Strays = append(rec.Strays, o.Key)
		}
	}
	if len(rec.Staging)+len(rec.Strays)+rec.UploadsAborted > 0 {
		l.opts.Logger.Warn("recovered lake after a dead run",
			"staging_removed", len(rec.Staging), "strays_removed", len(rec.Strays), "uploads_aborted", rec.UploadsAborted)
	}
	return rec, nil
}

func stagingPrefix(run string, p schemas.Period) string {
	return path.Join(StagingDir, run, p.PartitionDir()) + "/"
}
