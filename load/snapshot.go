package load

import "github.com/invoicelake/invoicelake/schemas"

// snapshotDirs are the tables of account snapshots.
var snapshotDirs = []string{schemas.SnapshotsTable, schemas.NextInvoiceItemsTable, schemas.BillingItemsTable}

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
