package extract

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// lister pages through one list method (getInvoices, getItems) sorted by id
// ascending, with adaptive page sizes and parallel prefetch.
//
// Offset paging under change. The API has no cursor, and a filter cannot
// both sort and search on id, so pages are read by offset with orderBy id
// ASC, and three rules make the result exactly-once while the list changes:
//   - rows are emitted in strictly increasing id order: a row whose id is not
//     above the last emitted one was seen already (a row was inserted before
//     our offset, shifting the list right) and is dropped;
//   - every response carries SoftLayer-Total-Items; when it shrinks, rows
//     were removed before our offset and the list shifted left, so the page
//     is discarded and re-read from offset - shrink (the rule above drops
//     what is read twice);
//   - paging ends only at a short page or when the offset reaches the latest
//     total, so rows appended during paging (new ids sort last) are read.
//
// New invoices and items get higher ids than existing ones, so with these
// rules nothing is skipped or repeated. Rows are checked to be sorted; a
// server that ignored orderBy is an error, never silently mis-paged.
type lister[T any] struct {
	c        *Client
	req      request // without offset and limit
	pageSize int     // configured size and the unit of prefetch ranges
	minSize  int
	decode   func(body []byte, dst []T) ([]T, error)
	id       func(*T) int64

	mu        sync.Mutex
	cur       int // current adaptive page size
	okStreak  int
	growAfter int
}

func newLister[T any](c *Client, req request, pageSize int, decode func([]byte, []T) ([]T, error), id func(*T) int64) *lister[T] {
	return &lister[T]{c: c, req: req, pageSize: pageSize, minSize: min(c.cfg.MinPageSize, pageSize),
		decode: decode, id: id, cur: pageSize, growAfter: defaultGrowAfter}
}

func (ls *lister[T]) size() int {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.cur
}

// succeeded grows the page back (doubling) after growAfter successes in a row.
func (ls *lister[T]) succeeded() {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.cur >= ls.pageSize {
		return
	}
	ls.okStreak++
	if ls.okStreak >= ls.growAfter {
		ls.cur = min(ls.cur*2, ls.pageSize)
		ls.okStreak = 0
	}
}

// shrink halves the page after a failure at size from. Each shrink makes
// the next growth wait twice as long, so a size that keeps failing is not
// retried every few pages.
func (ls *lister[T]) shrink(from int) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	ls.okStreak = 0
	if n := max(from/2, ls.minSize); n < ls.cur {
		ls.cur = n
	}
	ls.growAfter = min(ls.growAfter*2, maxGrowAfter)
}

// fetchRange reads rows [off, off+n), in several calls when the page size
// has been reduced. end reports a short page: the list ends inside the
// range. total is the last SoftLayer-Total-Items seen (-1 if none).
func (ls *lister[T]) fetchRange(ctx context.Context, off, n int, dst []T) (rows []T, total int, end bool, err error) {
	rows, total = dst, -1
	for got := 0; got < n; {
		size := min(ls.size(), n-got)
		r := ls.req
		r.offset, r.limit = off+got, size
		r.shrinkable = size > ls.minSize
		base := len(rows)
		var t int
		err := ls.c.call(ctx, r, func(body []byte, tot int) error {
			var err error
			rows, err = ls.decode(body, rows[:base])
			t = tot
			return err
		})
		var se *shrinkError
		if errors.As(err, &se) {
			rows = rows[:base]
			ls.shrink(size)
			ls.c.stats.reductions.Add(1)
			ls.c.log.DebugContext(ctx, "extract: page size reduced", "call", r.where(), "cause", se.cause, "size", ls.size())
			continue
		}
		if err != nil {
			return rows[:base], total, false, err
		}
		ls.succeeded()
		ls.c.stats.pages.Add(1)
		page := len(rows) - base
		total = t
		got += page
		if page < size {
			return rows, total, true, nil
		}
	}
	return rows, total, false, nil
}

type rangeResult[T any] struct {
	done  chan struct{}
	rows  []T
	total int
	end   bool
	err   error
}

// each calls emit for every row of the list, in id order, each id once.
// It stops early, returning nil, when emit returns false.
func (ls *lister[T]) each(ctx context.Context, emit func(T) bool) error {
	var (
		have   bool
		lastID int64
	)
	// accept emits the new rows of a page; it returns false when emit did.
	accept := func(rows []T) (bool, error) {
		for i := range rows {
			id := ls.id(&rows[i])
			if i > 0 && id <= ls.id(&rows[i-1]) {
				return false, fmt.Errorf("extract: %s: rows not sorted by id (%d after %d): the API ignored orderBy: %w",
					ls.req.name(), id, ls.id(&rows[i-1]), ErrPermanent)
			}
			if have && id <= lastID {
				ls.c.stats.dups.Add(1)
				continue
			}
			have, lastID = true, id
			if !emit(rows[i]) {
				return false, nil
			}
		}
		return true, nil
	}

	P := ls.pageSize
	rows, total, end, err := ls.fetchRange(ctx, 0, P, nil)
	if err != nil {
		return err
	}
	if ok, err := accept(rows); !ok || err != nil {
		return err
	}
	off := len(rows)
	if end || (total >= 0 && off >= total) {
		return nil
	}
	if total > off {
		var cont bool
		off, total, cont, err = ls.prefetch(ctx, off, total, accept)
		if err != nil || !cont {
			return err
		}
	}
	// Sequential tail: rows appended during paging, backtracking after a
	// shrink, or a server that sends no total.
	var buf []T
	prev := total
	for {
		rows, t, end, err := ls.fetchRange(ctx, off, P, buf[:0])
		if err != nil {
			return err
		}
		buf = rows
		if t >= 0 && prev >= 0 && t < prev {
			ls.c.stats.backtracks.Add(1)
			off = max(0, off-(prev-t))
			prev = t
			continue
		}
		if t >= 0 {
			prev = t
		}
		if ok, err := accept(rows); !ok || err != nil {
			return err
		}
		off += len(rows)
		if end || len(rows) == 0 || (t >= 0 && off >= t) {
			return nil
		}
	}
}

// prefetch reads the ranges [off, total) known from the first page's total
// with up to PageConcurrency calls in flight, emitting them in order. It
// returns where sequential paging must resume and whether to go on.
func (ls *lister[T]) prefetch(ctx context.Context, off, total int, accept func([]T) (bool, error)) (next, lastTotal int, cont bool, err error) {
	P := ls.pageSize
	var offs []int
	for o := off; o < total; o += P {
		offs = append(offs, o)
	}
	ctx2, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	depth := ls.c.cfg.PageConcurrency
	res := make([]*rangeResult[T], len(offs))
	launched := 0
	launch := func(upto int) {
		for ; launched < len(offs) && launched < upto; launched++ {
			r := &rangeResult[T]{done: make(chan struct{})}
			res[launched] = r
			o := offs[launched]
			wg.Go(func() {
				defer close(r.done)
				r.rows, r.total, r.end, r.err = ls.fetchRange(ctx2, o, P, nil)
			})
		}
	}
	next, lastTotal = off, total
	for i := range offs {
		launch(i + depth)
		r := res[i]
		select {
		case <-r.done:
		case <-ctx.Done():
			return next, lastTotal, false, fmt.Errorf("extract: %s: %w", ls.req.name(), context.Cause(ctx))
		}
		res[i] = nil
		if r.err != nil {
			return next, lastTotal, false, r.err
		}
		if r.total >= 0 && r.total < total {
			// Rows were removed during paging: resume sequentially
			// before this range, far enough back to cover the shift.
			ls.c.stats.backtracks.Add(1)
			return max(0, offs[i]-(total-r.total)), r.total, true, nil
		}
		ok, err := accept(r.rows)
		if !ok || err != nil {
			return next, lastTotal, false, err
		}
		next = offs[i] + len(r.rows)
		if r.total >= 0 {
			lastTotal = r.total
		}
		if r.end {
			// The list ends here; later ranges would be empty.
			return next, lastTotal, next < lastTotal && lastTotal > total, nil
		}
	}
	// Done unless rows were appended meanwhile (the total grew).
	return next, lastTotal, next < lastTotal, nil
}
