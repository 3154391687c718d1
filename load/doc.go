// Package load is the only package that knows Parquet files and object
// stores: the streaming Parquet writer, the lake layout, manifests, the
// publish/recover protocol, the run lock, and the Bucket contract with its
// local-folder (FileBucket) and S3 (S3Bucket) implementations.
//
// A run uses it like this:
//
//	b, _ := load.OpenLocation(ctx, "s3://bucket/prefix", s3cfg)
//	lake := load.NewLake(b, load.Options{Logger: log})
//	lock, err := lake.Lock(ctx, holder, time.Minute) // ErrNotALake, or *LockedError if another run holds it
//	defer lock.Release(ctx)                          // the Lock renews itself until then
//	lake.Recover(ctx)                                // clean what a dead run left, and only that
//	w, _ := lake.Begin(period, load.RunInfo{RunID: id, Watermark: wm})
//	for each invoice in increasing invoice_id order {
//		w.AddRows(invoiceRow, rows) // rows pulled one at a time, in item_id order
//	}
//	manifest, err := w.Publish(ctx)                    // or w.Abort()
//
// AddRows copies what it keeps of a row before pulling the next, so a
// caller may reuse one row (and what it points to) for every item. The
// copies go in chunks of 1,024 rows to an encoder goroutine the
// PeriodWriter owns, which encodes and compresses them into Parquet while
// the caller makes the next rows (at most two chunks queued: the bound on
// memory); Publish and Abort join it, and an encoding error comes back
// from the next AddRows or from Publish. Nothing the caller holds is
// shared with it.
// AddPayments adds the invoice_payments rows of the invoice just added;
// the three tables of a period are published together, under its
// manifest.
//
// Account snapshots (account_snapshots, next_invoice_items,
// billing_items) are not replaced but added: BeginSnapshot, Add*, then
// Publish, which journals, writes each table's one file
// (account_snapshots last) and commits a snapshot manifest; Recover
// removes what a dead snapshot left. Invoice documents are written once
// (PutDocument, a conditional create) and never rewritten or deleted.
//
// Layout, the publish protocol and what readers see while a period is
// replaced are described in docs/LAYOUT.md. Bucket.List is an iterator whose
// first error ends the sequence. Money stays exact (schemas.Decimal and
// schemas.Sum) from rows to manifests; nothing is rounded.
//
// The lake deletes only what it wrote: objects its manifests or journals
// name under its own naming scheme (and data files whose content hashes to
// their lake-made name); a location holding anything else and no lake
// marker is refused unless Options.Create. IsPermanent tells which errors no
// rerun can fix (a location that cannot hold a lake, a corrupt lake file, a
// refused shrink, invalid strings, S3's permanent codes).
package load
