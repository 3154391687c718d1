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
// Exactly once while the list changes. The API has no cursor, and one
// objectFilter key cannot both sort and search on id, so pages are read by
// offset with orderBy id ASC. Every call after the first also reads the row
// just before its offset (resultLimit=off-1,size+1): that "anchor" must be
// the last row already seen. Then:
//   - anchor == last seen: nothing moved, the page continues the list;
//   - anchor < last seen: rows were inserted before the offset (the list
//     shifted right); nothing can have been skipped, and rows not above the
//     last emitted id are repeats, dropped;
//   - anchor > last seen, or missing: rows were removed before the offset
//     (the list shifted left) and rows may have been skipped, so the page
//     is discarded and paging backs up a page at a time until the anchor is
//     a row already seen; repeats are dropped as above.
//
// Paging ends at a short page or when the offset reaches the latest
// SoftLayer-Total-Items, so rows appended meanwhile (new ids sort last) are
// read too. The anchor costs one row per call, not one call: the number of
// calls stays ceil(rows/page). Rows must come sorted; a server that ignored
// orderBy is an error, never a silently mis-paged list.
type lister[T any] struct {
	c        *Client
	req      request // without offset and limit
	pageSize int     // configured size, the unit of prefetch ranges
	minSize  int
	decode   func(body []byte, dst []T) ([]T, error)
	id       func(*T) int64

	mu        sync.Mutex
	cur       int // current adaptive page size
	okStreak  int
	growAfter int
	grew      bool // the size grew and has not yet proved itself
	sinceGrow int
}

// maxBacktracks bounds re-reads of one list that keeps shifting.
const maxBacktracks = 1000

func newLister[T any](c *Client, req request, pageSize int, decode func([]byte, []T) ([]T, error), id func(*T) int64) *lister[T] {
	return &lister[T]{c: c, req: req, pageSize: pageSize, minSize: min(c.cfg.MinPageSize, pageSize),
		decode: decode, id: id, cur: pageSize, growAfter: defaultGrowAfter}
}

func (ls *lister[T]) size() int {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.cur
}

// succeeded doubles the page back towards the configured size after
// growAfter successes in a row.
func (ls *lister[T]) succeeded() {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.grew {
		ls.sinceGrow++
		if ls.sinceGrow >= ls.growAfter {
			ls.grew = false
		}
	}
	if ls.cur >= ls.pageSize {
		return
	}
	ls.okStreak++
	if ls.okStreak >= ls.growAfter {
		ls.cur = min(ls.cur*2, ls.pageSize)
		ls.okStreak = 0
		ls.grew, ls.sinceGrow = true, 0
	}
}

// shrink halves the page after a failure at size from. A failure soon
// after growing doubles the successes needed before the next growth, so a
// size that keeps failing is not tried every few pages.
func (ls *lister[T]) shrink(from int) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	ls.okStreak = 0
	if n := max(from/2, ls.minSize); n < ls.cur {
		ls.cur = n
	}
	if ls.grew {
		ls.growAfter = min(ls.growAfter*2, maxGrowAfter)
		ls.grew = false
	}
}

type rangeResult[T any] struct {
	done      chan struct{}
	rows      []T
	anchor    int64 // id of the row before the range, as read now
	hasAnchor bool
	broken    bool // the list shifted between the calls of this range
	total     int  // last SoftLayer-Total-Items seen, -1 if none
	end       bool // a short page: the list ends inside the range
	err       error
}

// fetchRange reads rows [off, off+n), in several calls when the page size
// has been reduced, each call after the first row of the list anchored on
// the row before it.
func (ls *lister[T]) fetchRange(ctx context.Context, off, n int, res *rangeResult[T]) {
	res.total = -1
	rows := res.rows[:0]
	defer func() { res.rows = rows }()
	for got := 0; got < n; {
		size := min(ls.size(), n-got)
		p := off + got
		lead := 0
		if p > 0 {
			lead = 1
		}
		r := ls.req
		r.offset, r.limit = p-lead, size+lead
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
			rows = rows[:base]
			res.err = err
			return
		}
		ls.succeeded()
		ls.c.stats.pages.Add(1)
		if lead == 1 {
			if len(rows) == base { // the list now ends before p
				res.broken = true
				return
			}
			aid := ls.id(&rows[base])
			if got == 0 {
				res.anchor, res.hasAnchor = aid, true
			} else if aid != ls.id(&rows[base-1]) {
				rows = rows[:base]
				res.broken = true
				return
			}
			rows = append(rows[:base], rows[base+1:]...)
		}
		res.total = t
		page := len(rows) - base
		got += page
		if page < size {
			res.end = true
			return
		}
	}
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
	// continues reports whether an anchored range follows what was emitted.
	continues := func(res *rangeResult[T]) bool {
		return !res.broken && res.hasAnchor && have && res.anchor <= lastID
	}

	P := ls.pageSize
	var res rangeResult[T]
	ls.fetchRange(ctx, 0, P, &res)
	if res.err != nil {
		return res.err
	}
	if ok, err := accept(res.rows); !ok || err != nil {
		return err
	}
	off, total := len(res.rows), res.total
	if res.end || (total >= 0 && off >= total) {
		return nil
	}
	if total > off && have {
		var cont bool
		var err error
		off, total, cont, err = ls.prefetch(ctx, off, total, accept, continues)
		if err != nil || !cont {
			return err
		}
	}
	// Sequential: rows appended during paging, re-reading after the list
	// shifted, or a server that sends no total.
	backtracks := 0
	for {
		res.broken, res.hasAnchor, res.end, res.err = false, false, false, nil
		ls.fetchRange(ctx, off, P, &res)
		if res.err != nil {
			return res.err
		}
		if off > 0 && !continues(&res) {
			backtracks++
			ls.c.stats.backtracks.Add(1)
			if backtracks > maxBacktracks {
				return fmt.Errorf("extract: %s: the list kept shifting during paging (%d re-reads): %w",
					ls.req.name(), backtracks, ErrTransient)
			}
			off = max(0, off-P)
			continue
		}
		if ok, err := accept(res.rows); !ok || err != nil {
			return err
		}
		off += len(res.rows)
		if res.total >= 0 {
			total = res.total
		}
		if res.end || len(res.rows) == 0 || (total >= 0 && off >= total) {
			return nil
		}
	}
}

// prefetch reads the ranges [off, total) planned from the first page's
// total with up to PageConcurrency calls in flight and accepts them in
// order. It returns where sequential paging resumes and whether it must.
func (ls *lister[T]) prefetch(ctx context.Context, off, total int,
	accept func([]T) (bool, error), continues func(*rangeResult[T]) bool,
) (next, lastTotal int, cont bool, err error) {
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
				ls.fetchRange(ctx2, o, P, r)
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
		if !continues(r) {
			// The list shifted left under us: re-read from here in order.
			return offs[i], lastTotal, true, nil
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
