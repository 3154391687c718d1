// Package extract is the only package that knows SoftLayer: a REST client
// on net/http that pages through an account's invoices
// (SoftLayer_Account::getInvoices) and each invoice's items
// (SoftLayer_Billing_Invoice::getItems) and returns schemas values.
//
// Sequences. The exporter uses one: InvoicesWithItems(ctx, queries) yields
// the invoices of each query in turn, by id, each with all its items in an
// ItemSpill (compact encoding; a temporary file, unlinked at once, past
// 256 KiB) that the consumer reads with Keys and Items and Closes, so
// memory does not follow the biggest invoice. An ItemSpill yields one
// reused item: it is valid until the next iteration, and a consumer that
// keeps something copies it. Invoices lists invoices alone (the planning
// and verify listings). The first error ends a sequence; breaking out of a
// range loop cancels outstanding calls and joins every goroutine before
// the loop statement returns. Rows come sorted by id, each exactly once,
// even while the account changes during paging (see lister in pager.go).
//
// Properties. The properties requested of an invoice and an item are
// declared once (fields.go); InvoiceMask, ItemMask, the JSON decoder and
// the spill encoding derive from those lists. Nested levels are declared
// there too (objectF: localCurrencyExchangeRate[rate,...] into fields of
// the invoice; listF: an invoice's payments[...]), so the mask and the
// decoder still come from one list.
//
// Beyond invoices (billing.go, documents.go): Account is the account's
// snapshot (one getObject: balance, next invoice totals, pending and
// latest recurring invoices); NextInvoiceItems and BillingItems page
// getNextInvoiceTopLevelBillingItems and getAllTopLevelBillingItems (the
// live ones, slcli's filter) through the same lister, each item with its
// children and the order and user behind it; InvoiceDocument fetches a
// PDF or workbook (a JSON string of base64 with escaped slashes) and
// checks what it decodes to. Float-typed amounts (nextInvoiceTotal*) are
// exact unless they carry more than 8 decimals, then rounded half to even.
//
// Complete or an error. A listing ends without an error only when its
// pages add up to SoftLayer-Total-Items, every page an array that agrees
// with its own total, and an invoice's items reach its itemCount; a short,
// empty, null or header-less answer, a total that shrinks, rows inserted
// or removed before the offset, an offset ignored: each is a *PagingError
// (transient). Whatever the API sends, the client is bounded: bodies
// capped after decompression while they are read, a memory budget for
// what it holds of the answers, strings of at most 1 MiB, rows per
// listing capped (by the invoice's itemCount for items), one deadline per
// page across its retries and halvings, no redirect followed (a
// *RedirectError names the Location's host), invalid UTF-8 replaced with
// U+FFFD and counted (Stats.InvalidUTF8). Limits beyond which no retry
// helps are a *LimitError (permanent). See Config and
// docs/RELIABILITY.md, "Worst case".
//
// Calls. Every request goes through one client-wide rate limiter (default
// 40/s, below the API's 50/s) and one retry layer (exponential backoff with
// full jitter, capped in attempts and elapsed time). Rate-limit errors, 5xx,
// timeouts, connection resets and truncated or corrupted bodies are
// retried, and so is a connection that cannot be made (refused, no
// route, a name that does not resolve) once the endpoint has answered:
// before that, it is returned at once (IsConnectError); 401, 403, 404, mask and filter errors are returned at once as
// *APIError, a 3xx as *RedirectError, a TLS mismatch (an https endpoint
// answered in plain HTTP, a certificate that does not verify) as a
// permanent error. "Too much data" errors and timeouts first halve the page
// (down to MinPageSize), which grows back after successes. Errors match
// ErrPermanent or ErrTransient with errors.Is.
//
// Decoding is exact and tolerant: amounts from JSON strings or numbers into
// schemas.Decimal (never float64), RFC 3339 dates with any offset, missing
// == null == [], a bare object where an array was expected, unknown fields
// ignored. An undecodable value is a *DecodeError naming invoice, item and
// field.
//
// Errors print a URL as scheme, host and path, never with its query (the
// mask and the filter); APIError.URL is that form.
//
// Secrets are of type Secret and print as "[REDACTED]"; debug logs redact
// the Authorization header.
package extract
