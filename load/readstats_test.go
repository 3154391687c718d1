package load

import (
	"bytes"
	"cmp"
	"slices"
	"strings"
	"testing"

	"github.com/invoicelake/invoicelake/schemas"
	"github.com/parquet-go/parquet-go"
)

// parquetBytes writes rows as the lake's writer does (version key, small
// row groups and pages so that every check crosses boundaries).
func parquetBytes[T any](t *testing.T, rows []T, version string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf,
		parquet.Compression(zstdPages),
		parquet.MaxRowsPerRowGroup(7),
		parquet.PageBufferSize(64),
		parquet.KeyValueMetadata(SchemaVersionKey, version),
	)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func statsOf[T any](t *testing.T, tb *table[T], b []byte, distinct map[int64]struct{}) (fileStats, error) {
	t.Helper()
	return readStats(tb, bytes.NewReader(b), int64(len(b)), distinct)
}

// The read-back sees the whole file: every row in every row group, nulls
// in an optional money column skipped from its sum but counted as rows,
// keys across row groups, and the distinct item ids.
func TestReadStatsCountsAndSums(t *testing.T) {
	set := genInvoices(march, 100, 9, 5, 1)
	inv := set.invoices
	inv[3].InvoiceTotalAmount = nil // a NULL total (the API omitted it)
	var want schemas.Sum
	for _, r := range inv {
		if r.InvoiceTotalAmount != nil {
			want.Add(*r.InvoiceTotalAmount)
		}
	}
	st, err := statsOf(t, &invoicesTable, parquetBytes(t, inv, schemas.SchemaVersion), nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.rows != int64(len(inv)) || st.minKey[0] != inv[0].InvoiceID || st.maxKey[0] != inv[len(inv)-1].InvoiceID {
		t.Errorf("invoices: rows %d keys %v..%v, want %d rows %d..%d", st.rows, st.minKey, st.maxKey, len(inv), inv[0].InvoiceID, inv[len(inv)-1].InvoiceID)
	}
	if st.sums[0].Cmp(&want) != 0 {
		t.Errorf("sum(invoice_total_amount) = %s, want %s", st.sums[0].String(), want.String())
	}

	items := sortedItems(set)
	distinct := map[int64]struct{}{}
	st, err = statsOf(t, &itemsTable, parquetBytes(t, items, schemas.SchemaVersion), distinct)
	if err != nil {
		t.Fatal(err)
	}
	if st.rows != int64(len(items)) || st.rows != set.nItems || len(distinct) != len(items) {
		t.Errorf("items: rows %d distinct %d, want %d", st.rows, len(distinct), len(items))
	}
	if st.sums[0].Cmp(&set.itemsTotal) != 0 {
		t.Errorf("sum(total_amount) = %s, want %s", st.sums[0].String(), set.itemsTotal.String())
	}
	if st.minKey != [2]int64{items[0].InvoiceID, items[0].ItemID} || st.maxKey != [2]int64{items[len(items)-1].InvoiceID, items[len(items)-1].ItemID} {
		t.Errorf("items keys %v..%v", st.minKey, st.maxKey)
	}
}

func sortedItems(set *invoiceSet) []schemas.ItemRow {
	var items []schemas.ItemRow
	for _, its := range set.items {
		items = append(items, its...)
	}
	slices.SortFunc(items, func(a, b schemas.ItemRow) int {
		return cmp.Or(cmp.Compare(a.InvoiceID, b.InvoiceID), cmp.Compare(a.ItemID, b.ItemID))
	})
	return items
}

// Files the lake must refuse: rows out of order (within a row group and
// across row groups), another schema, another schema version.
func TestReadStatsRejects(t *testing.T) {
	set := genInvoices(march, 100, 9, 5, 1)
	items := sortedItems(set)
	swapped := func(i, j int) []schemas.ItemRow {
		s := append([]schemas.ItemRow(nil), items...)
		s[i], s[j] = s[j], s[i]
		return s
	}
	type other struct {
		InvoiceID int64 `parquet:"invoice_id"`
		ItemID    int64 `parquet:"item_id"`
	}
	for _, c := range []struct {
		name string
		file []byte
		want string
	}{
		{"unsorted in a row group", parquetBytes(t, swapped(1, 2), schemas.SchemaVersion), "not sorted"},
		{"unsorted across row groups", parquetBytes(t, swapped(6, 7), schemas.SchemaVersion), "not sorted"},
		{"other schema", parquetBytes(t, []other{{1, 2}}, schemas.SchemaVersion), "schema differs"},
		{"other version", parquetBytes(t, items, "0"), SchemaVersionKey},
		{"truncated", parquetBytes(t, items, schemas.SchemaVersion)[:200], "open parquet"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := statsOf(t, &itemsTable, c.file, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error with %q", err, c.want)
			}
		})
	}
}
