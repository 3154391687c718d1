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
// permanent error. "Too much data" errors and timeouts are not retried as
// they are: the page shrinks (see Page sizes). Errors match ErrPermanent
// or ErrTransient with errors.Is.
//
// Page sizes. The API documents no maximum page and answers one too heavy
// with an Internal Error, so the page size of each list method adapts,
// per Client (every getItems listing of a run shares one size: what one
// invoice learns the next one uses), between MinPageSize and
// max(configured size, MaxPageSize). Calls ask for the largest size known
// to work; one call at a time, the probe, asks for more: twice as much
// while no size has failed, then, once one has ("too much data", a
// timeout, or an answer slower than Timeout/4), the middle between the
// working size and that ceiling, until they are within 1/32 of it: the
// size settles just under the ceiling, which is asked once more after
// 256 successes in a row. A failure at or below the working size halves
// it, and from then on the size settles further under the ceiling (rows
// that vary in weight). While a probe is in flight a listing keeps only the range it waits
// for and the probe in flight, so that few rows are read in pages about
// to be outgrown; prefetch ranges are as long as the size when they are
// launched. Client.PageSizes returns what was learned (size and ceiling
// per method), and Config.PageSizeHints or Client.SetPageSizeHints start
// a client there. MaxPageSize at or below the configured sizes turns
// growth off: pages then only shrink and grow back to the configured
// size.
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
