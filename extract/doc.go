// Package extract is the only package that knows SoftLayer: a REST client
// on net/http that pages through an account's invoices
// (SoftLayer_Account::getInvoices) and each invoice's items
// (SoftLayer_Billing_Invoice::getItems) and returns schemas values.
//
// Sequences. Invoices, Items, InvoicesWithItems and InvoicesWithSpill
// return pull-friendly iter.Seq2 values. InvoicesWithSpill keeps each
// invoice's items in an ItemSpill (compact encoding; a temporary file, unlinked at
// once, past 256 KiB) that the consumer reads back one item at a time and
// Closes, so memory does not follow the biggest invoice. The first error ends a sequence; breaking out of a
// range loop cancels outstanding calls and joins every goroutine before the
// loop statement returns. Rows come sorted by id, each exactly once, even
// while the account changes during paging (see lister in pager.go).
//
// Calls. Every request goes through one client-wide rate limiter (default
// 40/s, below the API's 50/s) and one retry layer (exponential backoff with
// full jitter, capped in attempts and elapsed time). Rate-limit errors, 5xx,
// timeouts, connection resets and truncated or corrupted bodies are
// retried; 401, 403, 404, mask and filter errors are returned at once as
// *APIError. "Too much data" errors and timeouts first halve the page
// (down to MinPageSize), which grows back after successes. Errors match
// ErrPermanent or ErrTransient with errors.Is.
//
// Decoding is exact and tolerant: amounts from JSON strings or numbers into
// schemas.Decimal (never float64), RFC 3339 dates with any offset, missing
// == null == [], a bare object where an array was expected, unknown fields
// ignored. An undecodable value is a *DecodeError naming invoice, item and
// field.
//
// Secrets are of type Secret and print as "[REDACTED]"; debug logs redact
// the Authorization header.
package extract
