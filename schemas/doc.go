// Package schemas is invoicelake's vocabulary: the SoftLayer shapes we
// request (Invoice, InvoiceItem), the exact money and time types they are
// decoded into, the row types written to Parquet, the billing-period
// partition key and the schema version; and what is generated from them
// for readers of the lake: the Athena DDL and DuckDB views, the FOCUS 1.2
// view focus_1_2 with its conformance checks, and the data dictionary.
//
// It uses the standard library and Parquet struct tags only, and does no I/O.
package schemas
