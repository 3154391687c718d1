package load

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/invoicelake/invoicelake/schemas"
	"github.com/parquet-go/parquet-go"
)

// stringFields lists the parquet names of every string and *string field
// of a row type.
func stringFields(t *testing.T, row any) []string {
	t.Helper()
	var out []string
	rt := reflect.TypeOf(row)
	for i := range rt.NumField() {
		f := rt.Field(i)
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.String {
			name, _, _ := strings.Cut(f.Tag.Get("parquet"), ",")
			out = append(out, name)
		}
	}
	return out
}

// setString sets the string field named col (parquet name) of *row to v.
func setString(row any, col, v string) {
	rv := reflect.ValueOf(row).Elem()
	for i := range rv.NumField() {
		if name, _, _ := strings.Cut(rv.Type().Field(i).Tag.Get("parquet"), ","); name == col {
			if f := rv.Field(i); f.Kind() == reflect.Pointer {
				f.Set(reflect.ValueOf(&v))
			} else {
				f.SetString(v)
			}
		}
	}
}

// TestStringColumnsDeclared: each table's string column list names every
// string field of its row type, once: a field added to schemas and
// missed here fails.
func TestStringColumnsDeclared(t *testing.T) {
	check := func(table string, declared []string, row any) {
		want := stringFields(t, row)
		if !reflect.DeepEqual(declared, want) {
			t.Errorf("%s: string columns declared %v, the row type has %v", table, declared, want)
		}
	}
	var inv, items []string
	for _, c := range invoicesTable.strings {
		inv = append(inv, c.name)
	}
	for _, c := range itemsTable.strings {
		items = append(items, c.name)
	}
	check(schemas.InvoicesTable, inv, schemas.InvoiceRow{})
	check(schemas.ItemsTable, items, schemas.ItemRow{})
}

// TestInvalidStringsNeverReachAFile: a value that is not valid UTF-8, in
// any string column, or a code longer than maxCodeBytes, fails the add
// with a permanent error naming the table, row and column; nothing is
// published.
func TestInvalidStringsNeverReachAFile(t *testing.T) {
	ctx := context.Background()
	type tc struct {
		table, col, value, reason string
	}
	var tests []tc
	for _, col := range stringFields(t, schemas.InvoiceRow{}) {
		tests = append(tests, tc{schemas.InvoicesTable, col, "ok\xffnot", "not valid UTF-8 at byte 2"})
	}
	for _, col := range stringFields(t, schemas.ItemRow{}) {
		tests = append(tests, tc{schemas.ItemsTable, col, "\xc3\x28", "not valid UTF-8 at byte 0"})
	}
	for _, c := range itemsTable.strings {
		if c.code {
			tests = append(tests, tc{schemas.ItemsTable, c.name, strings.Repeat("x", maxCodeBytes+1), "more than the 256 a code may have"})
		}
	}
	for _, tt := range tests {
		t.Run(tt.table+"/"+tt.col+"/"+tt.reason, func(t *testing.T) {
			l, b := newFileLake(t, Options{})
			lock(t, l)
			set := genInvoices(march, 1000, 3, 4, 1)
			if tt.table == schemas.InvoicesTable {
				setString(&set.invoices[1], tt.col, tt.value)
			} else {
				setString(&set.items[1][2], tt.col, tt.value)
			}
			_, err := tryPublish(ctx, l, march, "run-1", set)
			var se *InvalidStringError
			if !errors.As(err, &se) || !IsPermanent(err) || se.Column != tt.col || se.Key[0] != 1001 || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("got %v, want a permanent *InvalidStringError for %s invoice 1001 (%s)", err, tt.col, tt.reason)
			}
			if got := keys(t, b, ""); !reflect.DeepEqual(got, []string{MarkerKey, testLockKey}) {
				t.Errorf("the lake holds %v after the refused add, want only its marker and lock", got)
			}
		})
	}
}

// TestFooterBoundedWhateverTheStrings: a huge description (or any free
// text) gets no min/max statistics, in the footer or the page headers, so
// the footer stays small; codes keep theirs.
func TestFooterBoundedWhateverTheStrings(t *testing.T) {
	ctx := context.Background()
	l, b := newFileLake(t, Options{})
	lock(t, l)
	set := genInvoices(march, 1000, 2, 3, 1)
	huge := strings.Repeat("é", 4<<20) // 8 MiB of valid UTF-8
	set.items[0][1].Description = huge
	set.items[1][0].HostName = &huge
	set.invoices[1].CompanyName = &huge
	m := publish(t, l, march, "run-1", set)
	for _, f := range m.Files() {
		rc, err := b.Get(ctx, f.Key)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		footer := binary.LittleEndian.Uint32(data[len(data)-8:])
		if footer > 64<<10 {
			t.Errorf("%s: footer of %d bytes for an 8 MiB string, want < 64 KiB", f.Key, footer)
		}
		pf, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		if f.Rows == 0 {
			continue // the payments table without rows
		}
		for _, c := range pf.Metadata().RowGroups[0].Columns {
			name := strings.Join(c.MetaData.PathInSchema, ".")
			st := c.MetaData.Statistics
			if len(st.MinValue)+len(st.MaxValue)+len(st.Min)+len(st.Max) > 2*maxCodeBytes {
				t.Errorf("%s column %s: statistics of %d bytes", f.Key, name, len(st.MinValue)+len(st.MaxValue))
			}
			if name == "category_code" && len(st.MinValue) == 0 {
				t.Errorf("%s column %s: no min/max statistics; codes keep theirs", f.Key, name)
			}
		}
		if bytes.Count(data, []byte(huge[:64])) > 1 && f.Size > 20<<20 {
			t.Errorf("%s: the string appears in more than its data page", f.Key)
		}
	}
	if s, err := l.Summarize(ctx, march); err != nil || s.Items != set.nItems {
		t.Errorf("Summarize: %+v, %v", s, err)
	}
}
