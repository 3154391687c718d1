// Package schemas is invoicelake's vocabulary: the SoftLayer shapes we
// request (Invoice, InvoiceItem), the exact money and time types they are
// decoded into, the row types written to Parquet, the billing-period
// partition key and the schema version.
//
// It uses the standard library and Parquet struct tags only, and does no I/O.
package schemas
