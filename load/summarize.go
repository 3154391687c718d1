package load

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"os"

	"github.com/invoicelake/invoicelake/schemas"
)

// PeriodSummary is what a published period's Parquet files hold, read back
// from the bucket.
type PeriodSummary struct {
	Period          schemas.Period
	RunID           string
	Files           int
	Invoices        int64
	Items           int64
	InvoiceTotal    schemas.Sum // Σ invoices.invoice_total_amount (NULLs skipped)
	ItemsTotal      schemas.Sum // Σ invoice_items.total_amount
	DistinctItemIDs int64
	Payments        int64       // invoice_payments rows
	PaymentsTotal   schemas.Sum // Σ invoice_payments.amount
}

// Summarize reads back every file the period's manifest lists, checking
// each one's size, SHA-256, schema version, sort order, row count and money
// sums against the manifest, and returns the totals. The error wraps
// ErrNotExist when the period was never published. Files are downloaded to
// Options.TempDir one at a time; memory holds the distinct item ids.
func (l *Lake) Summarize(ctx context.Context, p schemas.Period) (PeriodSummary, error) {
	s := PeriodSummary{Period: p}
	m, ok, err := l.Manifest(ctx, p)
	if err != nil {
		return s, fmt.Errorf("load: summarize %s: %w", p, err)
	}
	if !ok {
		return s, fmt.Errorf("load: summarize %s: no manifest: %w", p, ErrNotExist)
	}
	s.RunID = m.RunID
	if m.SchemaVersion != schemas.SchemaVersion {
		return s, fmt.Errorf("load: summarize %s: manifest schema version %q, want %q", p, m.SchemaVersion, schemas.SchemaVersion)
	}
	for _, f := range m.Invoices.Files {
		st, err := readRemote(ctx, l, &invoicesTable, f, nil)
		if err != nil {
			return s, fmt.Errorf("load: summarize %s: %w", p, err)
		}
		s.Files++
		s.Invoices += st.rows
		s.InvoiceTotal.AddSum(&st.sums[0])
	}
	distinct := map[int64]struct{}{}
	for _, f := range m.Items.Files {
		st, err := readRemote(ctx, l, &itemsTable, f, distinct)
		if err != nil {
			return s, fmt.Errorf("load: summarize %s: %w", p, err)
		}
		s.Files++
		s.Items += st.rows
		s.ItemsTotal.AddSum(&st.sums[0])
	}
	s.DistinctItemIDs = int64(len(distinct))
	for _, f := range m.Payments.Files {
		st, err := readRemote(ctx, l, &paymentsTable, f, nil)
		if err != nil {
			return s, fmt.Errorf("load: summarize %s: %w", p, err)
		}
		s.Files++
		s.Payments += st.rows
		s.PaymentsTotal.AddSum(&st.sums[0])
	}
	if s.Invoices != m.Invoices.Rows || s.Items != m.Items.Rows || s.Payments != m.Payments.Rows {
		return s, fmt.Errorf("load: summarize %s: got %d invoices, %d items and %d payments, manifest says %d, %d and %d",
			p, s.Invoices, s.Items, s.Payments, m.Invoices.Rows, m.Items.Rows, m.Payments.Rows)
	}
	return s, nil
}

// readRemote downloads one listed file to a temporary file, checks it
// against its manifest entry and returns its statistics.
func readRemote[T any](ctx context.Context, l *Lake, t *table[T], f File, distinct map[int64]struct{}) (fileStats, error) {
	tmp, err := os.CreateTemp(l.opts.TempDir, "invoicelake-read-*.parquet")
	if err != nil {
		return fileStats{}, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	rc, err := l.b.Get(ctx, f.Key)
	if err != nil {
		return fileStats{}, fmt.Errorf("read %s: %w", f.Key, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), rc)
	rc.Close()
	if err != nil {
		return fileStats{}, fmt.Errorf("read %s: %w", f.Key, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); n != f.Size || got != f.SHA256 {
		return fileStats{}, fmt.Errorf("check %s: got %d bytes sha256 %s, manifest says %d bytes %s", f.Key, n, got, f.Size, f.SHA256)
	}
	st, err := readStats(t, tmp, n, distinct)
	if err != nil {
		return st, fmt.Errorf("check %s: %w", f.Key, err)
	}
	if st.rows != f.Rows {
		return st, fmt.Errorf("check %s: got %d rows, manifest says %d", f.Key, st.rows, f.Rows)
	}
	if got := sumStrings(t, st.sums); !maps.Equal(got, f.Sums) {
		return st, fmt.Errorf("check %s: got sums %v, manifest says %v", f.Key, got, f.Sums)
	}
	return st, nil
}
