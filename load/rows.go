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
	"reflect"
	"strings"

	"github.com/invoicelake/invoicelake/schemas"
	"github.com/parquet-go/parquet-go"
)

// rowBatch is how many rows a reader decodes at a time.
const rowBatch = 256

// InvoiceRows yields the invoices rows of published period p, in
// invoice_id order, from the files its manifest lists (each checked
// against its size and SHA-256 first). Each row, and everything it points
// to, is the consumer's: the reader keeps and reuses none of it. The first
// error ends the sequence; it wraps ErrNotExist when the period was never
// published.
func (l *Lake) InvoiceRows(ctx context.Context, p schemas.Period) iter.Seq2[schemas.InvoiceRow, error] {
	return func(yield func(schemas.InvoiceRow, error) bool) {
		m, err := l.published(ctx, p)
		if err != nil {
			yield(schemas.InvoiceRow{}, err)
			return
		}
		readRows(ctx, l, &invoicesTable, m.Invoices.Files, yield)
	}
}

// ItemRows yields the invoice_items rows of published period p in
// (invoice_id, item_id) order, as InvoiceRows does.
func (l *Lake) ItemRows(ctx context.Context, p schemas.Period) iter.Seq2[schemas.ItemRow, error] {
	return func(yield func(schemas.ItemRow, error) bool) {
		m, err := l.published(ctx, p)
		if err != nil {
			yield(schemas.ItemRow{}, err)
			return
		}
		readRows(ctx, l, &itemsTable, m.Items.Files, yield)
	}
}

// PaymentRows yields the invoice_payments rows of published period p in
// (invoice_id, payment_index) order, as InvoiceRows does (none for a
// period published before the table existed).
func (l *Lake) PaymentRows(ctx context.Context, p schemas.Period) iter.Seq2[schemas.PaymentRow, error] {
	return func(yield func(schemas.PaymentRow, error) bool) {
		m, err := l.published(ctx, p)
		if err != nil {
			yield(schemas.PaymentRow{}, err)
			return
		}
		readRows(ctx, l, &paymentsTable, m.Payments.Files, yield)
	}
}

// published returns p's manifest, or an error wrapping ErrNotExist.
func (l *Lake) published(ctx context.Context, p schemas.Period) (Manifest, error) {
	m, ok, err := l.Manifest(ctx, p)
	if err != nil {
		return m, fmt.Errorf("load: read %s: %w", p, err)
	}
	if !ok {
		return m, fmt.Errorf("load: read %s: no manifest: %w", p, ErrNotExist)
	}
	if m.SchemaVersion != schemas.SchemaVersion {
		return m, fmt.Errorf("load: read %s: manifest schema version %q, want %q", p, m.SchemaVersion, schemas.SchemaVersion)
	}
	return m, nil
}

// readRows yields the rows of files in order; false from yield stops.
func readRows[T any](ctx context.Context, l *Lake, t *table[T], files []File, yield func(T, error) bool) {
	buf := make([]T, rowBatch)
	for _, f := range files {
		more, err := readFileRows(ctx, l, t, f, buf, yield)
		if err != nil {
			var zero T
			yield(zero, fmt.Errorf("load: read %s: %w", f.Key, err))
			return
		}
		if !more {
			return
		}
	}
}

// readFileRows downloads f to a temporary file, checks it and yields its
// rows; it reports whether the consumer wants more.
func readFileRows[T any](ctx context.Context, l *Lake, t *table[T], f File, buf []T, yield func(T, error) bool) (bool, error) {
	tmp, err := os.CreateTemp(l.opts.TempDir, "invoicelake-read-*.parquet")
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	rc, err := l.b.Get(ctx, f.Key)
	if err != nil {
		return false, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), rc)
	rc.Close()
	if err != nil {
		return false, err
	}
	if got := hex.EncodeToString(h.Sum(nil)); n != f.Size || got != f.SHA256 {
		return false, fmt.Errorf("got %d bytes sha256 %s, manifest says %d bytes %s", n, got, f.Size, f.SHA256)
	}
	pf, err := parquet.OpenFile(tmp, n)
	if err != nil {
		return false, err
	}
	if !parquet.EqualNodes(pf.Schema(), t.schema) {
		return false, fmt.Errorf("schema differs from the %s table's", t.name)
	}
	r := parquet.NewGenericReader[T](pf)
	defer r.Close()
	var rows int64
	own := stringOwner[T]()
	for {
		clear(buf) // nil pointers: the reader allocates new values for each row
		k, err := r.Read(buf)
		for i := range buf[:k] {
			rows++
			own(&buf[i])
			if !yield(buf[i], nil) {
				return false, nil
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return false, err
		}
	}
	if rows != f.Rows {
		return false, fmt.Errorf("got %d rows, manifest says %d", rows, f.Rows)
	}
	return true, nil
}

// stringOwner returns a function that replaces every string of a T (and
// every string a *string field points to) with a copy. The Parquet reader
// may hand out strings that alias its own buffers (dictionary pages), which
// it reuses; rows that leave this package must not depend on them.
func stringOwner[T any]() func(*T) {
	rt := reflect.TypeFor[T]()
	var strs, ptrs []int
	for i := range rt.NumField() {
		switch f := rt.Field(i).Type; {
		case f.Kind() == reflect.String:
			strs = append(strs, i)
		case f.Kind() == reflect.Pointer && f.Elem().Kind() == reflect.String:
			ptrs = append(ptrs, i)
		}
	}
	return func(v *T) {
		rv := reflect.ValueOf(v).Elem()
		for _, i := range strs {
			f := rv.Field(i)
			f.SetString(strings.Clone(f.String()))
		}
		for _, i := range ptrs {
			if f := rv.Field(i); !f.IsNil() {
				s := strings.Clone(f.Elem().String())
				f.Set(reflect.ValueOf(&s))
			}
		}
	}
}
