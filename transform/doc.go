// Package transform turns the SoftLayer shapes extract returns
// (schemas.Invoice, schemas.InvoiceItem) into the rows load writes
// (schemas.InvoiceRow, schemas.ItemRow). It is pure: no context, no I/O, no
// clock, no logging, no state that changes. A Transformer holds only its
// options; what each invoice yields comes back with its Stream for the
// caller to count.
//
// The path the exporter uses, for invoices of any size, is two passes over
// an invoice's items (which extract keeps outside the heap):
//
//  1. Index.Add, once per item, keeps what the hierarchy, the categories
//     and the reconciliation need: 32 bytes an item, values only, nothing
//     that points into an item. Given a Scratch (Index.SetScratch: storage
//     the caller owns, a temporary file), an Index of more than 65,536
//     items keeps them there instead (24 bytes an item on scratch) and
//     resolves the hierarchy in block passes over it (external.go), so
//     that its memory, under 5 MiB, does not depend on the invoice's
//     size; the rows and errors are the same. transform still does no
//     I/O of its own: it only reads and writes through the interface.
//  2. Transformer.Stream resolves the hierarchy (orphans, cycles and
//     duplicate ids are a *HierarchyError), maps the categoryCode of each
//     top-level item to the SoftLayer service its resourceTableId belongs
//     to, reconciles the items against the invoice's totals and itemCount
//     exactly, applies the PII policy and returns the invoices row.
//  3. Stream.Row, once per item in the same order, makes its invoice_items
//     row: every row gets resource_service and resource_id from its
//     top-level item, its depth and top_level_item_id, and total_amount
//     (its own fees and taxes). A row's pointer fields point into the item
//     given or into the Stream: the row is valid while the item is and
//     until the next Row; whoever keeps it longer copies it.
//
// Every row also gets its rollup_item_id (a top-level item associated
// with an item of another hierarchy, such as a software license attached
// to a server, rolls into that item's top-level item: true cost), a
// readable service_name (the category map's service_names), and FOCUS's
// charge_category and charge_frequency (classify.go states the rules).
// PaymentRows gives an invoice's invoice_payments rows; AccountSnapshotRow
// and BillingItemRows the rows of an account snapshot.
//
// An unknown top-level code keeps resource_service NULL and is reported in
// Stream.UnknownCodes (StrictCategories: *UnknownCategoryError). The
// ReconcilePolicy marks an unreconciled invoice or fails (*ReconcileError).
// The PII policy decides, per column (ContactColumns: the invoice contact
// and who ordered a billing item), what reaches the lake: drop (the
// default, but the country and the state are kept), hash (HMAC-SHA256
// with a secret key) or keep. IsPermanent
// tells the errors a retry cannot fix (all of them concern the data).
//
// Money stays exact (schemas.Decimal, sums in schemas.Sum); a total that
// does not fit DECIMAL(18,8) is an error wrapping schemas.ErrDecimalRange,
// never rounded.
package transform
