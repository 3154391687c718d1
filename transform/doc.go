// Package transform turns the SoftLayer shapes extract returns
// (schemas.Invoice, schemas.InvoiceItem) into the rows load writes
// (schemas.InvoiceRow, schemas.ItemRow). It is pure: no context, no I/O, no
// clock, no logging.
//
//   - Flatten orders an invoice's items parents before children (each
//     top-level item followed by its descendants, depth first, in input
//     order) and reports orphans, cycles and duplicate ids as *HierarchyError.
//   - A CategoryMap maps the categoryCode of each top-level item to the
//     SoftLayer service its resourceTableId belongs to; every row of the
//     hierarchy gets resource_service and resource_id from its top-level
//     item. An unknown code keeps resource_service NULL, is counted in Stats
//     and reported once in Result.NewUnknownCodes (strict: *UnknownCategoryError).
//   - Reconciliation checks each invoice's items against its totals and
//     itemCount exactly; the ReconcilePolicy marks the invoice or fails
//     (*ReconcileError).
//   - The PIIPolicy decides what reaches the invoice contact columns: drop
//     (default), hash (HMAC-SHA256 with a secret key) or keep.
//
// Transformer.Invoice needs an invoice's items in memory. For invoices too
// big for that, Transformer.Stream does the same in two passes over the
// items: an Index keeps what the hierarchy, categories and reconciliation
// need (32 bytes an item), then Stream.Row makes each row from the
// item given again, in the same order.
//
// Money stays exact (schemas.Decimal); a sum that does not fit DECIMAL(18,8)
// is an error wrapping schemas.ErrDecimalRange, never rounded.
package transform
