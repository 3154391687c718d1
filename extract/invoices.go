package extract

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"strings"
	"sync"
	"time"

	"github.com/invoicelake/invoicelake/schemas"
)

// filterZone is the API's default zone for date filters (Central time,
// standard offset). Filters are widened by filterSlack on both ends, which
// covers daylight saving, every UTC offset and inclusive/exclusive edges;
// invoices are then selected exactly on our side.
var filterZone = time.FixedZone("CST", -6*60*60)

const (
	filterSlack      = 2 * 24 * time.Hour
	filterDateLayout = "01/02/2006 15:04:05"
)

// InvoiceQuery selects invoices.
type InvoiceQuery struct {
	// Window selects by billing period: schemas.PeriodOf(createDate), the
	// calendar month in the offset the API reported.
	Window schemas.Window
	// ModifiedSince, if non-zero, selects invoices with modifyDate (or
	// createDate when modifyDate is null) at or after it, in any period,
	// instead of Window. Callers keep the run's start time as the next
	// watermark, not the largest modifyDate seen.
	ModifiedSince time.Time
}

func (q InvoiceQuery) validate() error {
	if !q.ModifiedSince.IsZero() {
		return nil
	}
	if err := q.Window.Validate(); err != nil {
		return fmt.Errorf("extract: invoice query: %w: %w", err, ErrPermanent)
	}
	return nil
}

// match reports whether inv belongs to q exactly.
func (q InvoiceQuery) match(inv *schemas.Invoice) bool {
	if !q.ModifiedSince.IsZero() {
		t := inv.CreateDate
		if inv.ModifyDate != nil {
			t = *inv.ModifyDate
		}
		return !t.Before(q.ModifiedSince)
	}
	return q.Window.Contains(schemas.PeriodOf(inv.CreateDate))
}

type filterOption struct {
	Name  string `json:"name"`
	Value []any  `json:"value"`
}

type filterOp struct {
	Operation string         `json:"operation"`
	Options   []filterOption `json:"options,omitempty"`
}

var orderByIDAsc = filterOp{Operation: "orderBy", Options: []filterOption{{Name: "sort", Value: []any{"ASC"}}}}

// filter returns the objectFilter for q: a widened date range plus orderBy
// id ASC, under the root key "invoices".
func (q InvoiceQuery) filter() string {
	f := map[string]filterOp{"id": orderByIDAsc}
	if !q.ModifiedSince.IsZero() {
		from := q.ModifiedSince.Add(-filterSlack).In(filterZone)
		f["modifyDate"] = filterOp{Operation: "greaterThanDate",
			Options: []filterOption{{Name: "date", Value: []any{from.Format(filterDateLayout)}}}}
	} else {
		from := q.Window.From.Start(filterZone).Add(-filterSlack)
		to := q.Window.To.Next().Start(filterZone).Add(filterSlack)
		f["createDate"] = filterOp{Operation: "betweenDate", Options: []filterOption{
			{Name: "startDate", Value: []any{from.Format(filterDateLayout)}},
			{Name: "endDate", Value: []any{to.Format(filterDateLayout)}},
		}}
	}
	b, err := json.Marshal(map[string]any{"invoices": f})
	if err != nil {
		panic(err) // static shapes of strings only
	}
	return string(b)
}

// itemsFilter sorts getItems by id.
var itemsFilter = func() string {
	b, _ := json.Marshal(map[string]any{"items": map[string]filterOp{"id": orderByIDAsc}})
	return string(b)
}()

// Invoices yields the invoices q selects, sorted by id, each once, even
// while invoices are added or change during paging. The first error ends
// the sequence; stopping early cancels outstanding calls.
func (c *Client) Invoices(ctx context.Context, q InvoiceQuery) iter.Seq2[schemas.Invoice, error] {
	return func(yield func(schemas.Invoice, error) bool) {
		if err := q.validate(); err != nil {
			yield(schemas.Invoice{}, err)
			return
		}
		req := request{service: "SoftLayer_Account", method: "getInvoices", mask: InvoiceMask, filter: q.filter()}
		ls := newLister(c, req, c.cfg.InvoicePageSize,
			func(b []byte, dst []schemas.Invoice) ([]schemas.Invoice, error) { return decodeInvoices(b, dst) },
			func(inv *schemas.Invoice) int64 { return inv.ID })
		stopped := false
		err := ls.each(ctx, func(inv schemas.Invoice) bool {
			if !q.match(&inv) {
				return true
			}
			c.stats.invoices.Add(1)
			if !yield(inv, nil) {
				stopped = true
				return false
			}
			return true
		})
		if err != nil && !stopped {
			yield(schemas.Invoice{}, err) // it names the call: "extract: SoftLayer_Account::getInvoices offset=..."
		}
	}
}

// itemLimit is the most items an invoice whose itemCount is n may have:
// n, plus what an open invoice may gain while it is read.
func itemLimit(n int64) int64 { return n + n/10 + 1000 }

// eachItemOf pages through an invoice's items. With itemCount, the
// listing is capped at itemLimit(*itemCount) rows (a total above it is
// the API contradicting itself: transient), otherwise at
// Config.MaxListRows.
func (c *Client) eachItemOf(ctx context.Context, invoiceID int64, itemCount *int64, emit func(schemas.InvoiceItem) bool) error {
	if invoiceID <= 0 {
		return fmt.Errorf("extract: items: invoice id %d: %w", invoiceID, ErrPermanent)
	}
	req := request{service: "SoftLayer_Billing_Invoice", id: invoiceID, method: "getItems", mask: ItemMask, filter: itemsFilter}
	ls := newLister(c, req, c.cfg.ItemPageSize,
		func(b []byte, dst []schemas.InvoiceItem) ([]schemas.InvoiceItem, error) {
			return decodeItems(b, invoiceID, dst)
		},
		func(it *schemas.InvoiceItem) int64 { return it.ID })
	if itemCount != nil && *itemCount >= 0 && *itemCount < int64(ls.maxRows) {
		n := *itemCount
		ls.expect = int(n)
		ls.maxRows = int(min(itemLimit(n), int64(ls.maxRows)))
		ls.tooMany = func(total int) error {
			return &LimitError{What: fmt.Sprintf("SoftLayer-Total-Items of %s for invoice %d with itemCount %d (limit itemCount + 10%% + 1000)",
				req.name(), invoiceID, n), Limit: int64(ls.maxRows), Got: int64(total), Transient: true}
		}
	}
	err := ls.each(ctx, func(it schemas.InvoiceItem) bool {
		c.stats.items.Add(1)
		return emit(it)
	})
	return err // it names the call: "extract: SoftLayer_Billing_Invoice::getItems id=N offset=..."
}

// InvoiceWithItems is an invoice and all its items, sorted by id, waiting
// in an ItemSpill that the receiver reads and must Close.
type InvoiceWithItems struct {
	Invoice schemas.Invoice
	Items   *ItemSpill
}

// InvoicesWithItems yields the invoices of qs[0] in order (by id), then
// those of qs[1], and so on, each with all its items. Items are fetched
// with bounded concurrency (Config.Concurrency invoices at a time, each
// paged with up to Config.PageConcurrency calls in flight) and encoded, as
// they arrive, into an ItemSpill (a temporary file in Config.TempDir past
// a small size), so that memory does not follow the biggest invoice: at
// most 4*Concurrency invoices wait ahead of the consumer, as spills. The
// fetching runs ahead across the queries, so the next query's listing and
// items are on their way while the consumer finishes the previous one.
//
// Each yielded spill belongs to the consumer, who must Close it; spills
// fetched but not yielded (an error, stopping early) are closed before the
// sequence returns. The first error ends the sequence; stopping early
// cancels and joins every outstanding call before returning. A CLOSED
// invoice whose itemCount is 0 is yielded without a getItems call.
func (c *Client) InvoicesWithItems(ctx context.Context, qs []InvoiceQuery) iter.Seq2[InvoiceWithItems, error] {
	return func(yield func(InvoiceWithItems, error) bool) {
		release := func(s *ItemSpill) { s.Close() }
		for f, err := range inOrder(ctx, c, qs, c.spillItems, release) {
			if !yield(InvoiceWithItems{Invoice: f.inv, Items: f.v}, err) || err != nil {
				return
			}
		}
	}
}

// fetched is one invoice and what fetch made of its items.
type fetched[T any] struct {
	inv schemas.Invoice
	v   T
}

// inOrder runs fetch for the invoices qs select (query after query),
// Config.Concurrency at a
// time and up to lookahead*Concurrency ahead of the consumer, and yields
// the results in the order of Invoices. A yielded value belongs to the
// consumer; release (if not nil) is called, after every fetch has
// returned, for each value fetched and not yielded. fetch releases what it
// made itself when it fails.
func inOrder[T any](ctx context.Context, c *Client, qs []InvoiceQuery,
	fetch func(context.Context, *schemas.Invoice) (T, error), release func(T)) iter.Seq2[fetched[T], error] {
	return func(yield func(fetched[T], error) bool) {
		type job struct {
			inv  schemas.Invoice
			v    T
			err  error
			done chan struct{}
		}
		var queue []*job
		ctx2, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		defer func() {
			cancel()
			wg.Wait()
			if release == nil {
				return
			}
			for _, j := range queue {
				if j.err == nil {
					release(j.v)
				}
			}
		}()
		// Concurrency invoices are fetched at once; finished ones wait, in
		// order, up to lookahead*Concurrency, so one slow invoice at the
		// head does not idle the others.
		sem := make(chan struct{}, c.cfg.Concurrency)
		// head yields the oldest job when it is done; false ends the
		// sequence. A job leaves the queue only when its value is handed over.
		head := func() bool {
			j := queue[0]
			select {
			case <-j.done:
			case <-ctx.Done():
				yield(fetched[T]{}, fmt.Errorf("extract: invoices with items: %w", context.Cause(ctx)))
				return false
			}
			if j.err != nil {
				yield(fetched[T]{}, j.err)
				return false
			}
			queue[0] = nil
			queue = queue[1:]
			v := fetched[T]{inv: j.inv, v: j.v}
			var zero T
			j.v = zero
			return yield(v, nil)
		}
		for inv, err := range c.invoicesOf(ctx2, qs) {
			if err != nil {
				if ctx.Err() != nil {
					err = fmt.Errorf("extract: invoices with items: %w", context.Cause(ctx))
				}
				yield(fetched[T]{}, err)
				return
			}
			if len(queue) >= lookahead*c.cfg.Concurrency && !head() {
				return
			}
			j := &job{inv: inv, done: make(chan struct{})}
			queue = append(queue, j)
			wg.Go(func() {
				defer close(j.done)
				select {
				case sem <- struct{}{}:
				case <-ctx2.Done():
					j.err = fmt.Errorf("extract: items invoice=%d: %w", j.inv.ID, context.Cause(ctx2))
					return
				}
				defer func() { <-sem }()
				j.v, j.err = fetch(ctx2, &j.inv)
			})
		}
		for len(queue) > 0 {
			if !head() {
				return
			}
		}
	}
}

// invoicesOf lists the invoices of each query in turn.
func (c *Client) invoicesOf(ctx context.Context, qs []InvoiceQuery) iter.Seq2[schemas.Invoice, error] {
	return func(yield func(schemas.Invoice, error) bool) {
		for _, q := range qs {
			for inv, err := range c.Invoices(ctx, q) {
				if !yield(inv, err) || err != nil {
					return
				}
			}
		}
	}
}

// lookahead bounds invoices fetched ahead of the consumer, in units of Concurrency.
const lookahead = 4

// spillItems reads all items of inv into an ItemSpill of at most
// Config.MaxSpillBytes.
func (c *Client) spillItems(ctx context.Context, inv *schemas.Invoice) (*ItemSpill, error) {
	w := newSpillWriter(inv.ID, c.cfg.TempDir)
	_, err := c.eachInvoiceItem(ctx, inv, func(it schemas.InvoiceItem) error {
		if err := w.add(&it); err != nil {
			return err
		}
		if n := w.s.size + int64(len(w.buf)); n > c.cfg.MaxSpillBytes {
			return &LimitError{What: fmt.Sprintf("items of invoice %d spilled (Config.MaxSpillBytes)", inv.ID),
				Limit: c.cfg.MaxSpillBytes, Got: n}
		}
		return nil
	})
	if err != nil {
		w.abort()
		return nil, err
	}
	return w.finish()
}

// eachInvoiceItem calls add for every item of inv and returns their
// number. A CLOSED invoice whose itemCount is 0 is not asked for items.
// Fewer items than the invoice's itemCount is a *PagingError: the
// invoice is not complete. More is warned about (and counted) for a
// CLOSED invoice; an open one may gain items while it is read.
func (c *Client) eachInvoiceItem(ctx context.Context, inv *schemas.Invoice, add func(schemas.InvoiceItem) error) (int, error) {
	if inv.ItemCount != nil && *inv.ItemCount == 0 && strings.EqualFold(inv.StatusCode, "CLOSED") {
		return 0, nil
	}
	n := 0
	var aerr error
	err := c.eachItemOf(ctx, inv.ID, inv.ItemCount, func(it schemas.InvoiceItem) bool {
		if aerr = add(it); aerr != nil {
			return false
		}
		n++
		return true
	})
	if err == nil {
		err = aerr
	}
	if err != nil {
		return 0, err
	}
	if inv.ItemCount != nil && int64(n) < *inv.ItemCount {
		return 0, fmt.Errorf("extract: items invoice=%d: %w", inv.ID, &PagingError{Method: methodItems,
			Msg: fmt.Sprintf("%d items, fewer than the invoice's itemCount %d", n, *inv.ItemCount)})
	}
	if inv.ItemCount != nil && int64(n) != *inv.ItemCount && strings.EqualFold(inv.StatusCode, "CLOSED") {
		c.stats.countMismatch.Add(1)
		c.log.WarnContext(ctx, "extract: closed invoice has more items than its itemCount",
			"invoice", inv.ID, "item_count", *inv.ItemCount, "items", n)
	}
	return n, nil
}
