package extract

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// lister pages through one list method (getInvoices, getItems) sorted by id
// ascending, with adaptive page sizes and parallel prefetch.
//
// Complete or an error. A listing is complete only when its pages add up
// to SoftLayer-Total-Items; a sequence that ends without an error has
// yielded every row the API said it holds. Each answer must agree with its
// own total: a JSON array (a bare object only where a limit of 1 was
// asked) of exactly min(limit, total-offset) rows, with the header
// present. An answer that does not is asked again by the retry layer, then
// ends the listing with a *PagingError. The real API always sends the
// header on paged calls (softlayer-api.md §2); an answer without it is
// treated like a short page, never as the end of the list, since the rows
// it would have counted cannot be told from rows it hid.
//
// Exactly once while the list grows. The API has no cursor, and one
// objectFilter key cannot both sort and search on id, so pages are read by
// offset with orderBy id ASC. Every call after the first also reads the row
// just before its offset (resultLimit=off-1,size+1): that "anchor" must be
// the last row already read. Rows appended meanwhile (new ids sort last,
// the total grows) are read too: paging goes on until the latest total.
// Anything else is a *PagingError, never a guess: an anchor that is not the
// last row read (rows inserted or removed before the offset, or a server
// that ignores the offset), a row id that does not grow, a total that
// shrinks (SoftLayer deletes neither invoices nor their items), a listing
// that ends before its total. Rows must come sorted; a server that ignored
// orderBy is a permanent error, never a silently mis-paged list.
//
// Bounded whatever the API sends. A total above maxRows ends the listing
// before any plan is made from it; every page but the last of a range is
// full (it agrees with its total) and a range is at least MinPageSize rows
// but at the list's end, so a listing makes at most 2*maxRows/MinPageSize
// + 3 successful calls; memory holds at most PageConcurrency ranges of the
// largest page size (max(pageSize, MaxPageSize) rows), whatever the total
// says, and the memory budget bounds their bytes. The anchor costs one row
// per call, not one call: at a steady size the number of calls stays
// ceil(rows/page).
//
// Page sizes. Each call and each prefetch range takes its size from the
// method's pageTuner (tuner.go), shared by every listing of the method.
type lister[T any] struct {
	c        *Client
	req      request // without offset and limit
	pageSize int     // configured size
	minSize  int
	// t chooses the size of each call and of each prefetch range; it is
	// the Client's, shared by every listing of the method.
	t      *pageTuner
	decode func(body []byte, dst []T) ([]T, error)
	id     func(*T) int64
	// expect is the rows the listing is expected to hold (an invoice's
	// itemCount), -1 when unknown: a first call expected to be short is
	// not given the probe (see pageTuner.take).
	expect int
	// maxRows caps the listing; tooMany returns the error for a total
	// above it.
	maxRows int
	tooMany func(total int) error
	// head is the offset of the range the listing waits for: its calls
	// may overdraw the memory budget (see budget).
	head atomic.Int64
}

func newLister[T any](c *Client, req request, pageSize int, decode func([]byte, []T) ([]T, error), id func(*T) int64) *lister[T] {
	minSize := min(c.cfg.MinPageSize, pageSize)
	ls := &lister[T]{c: c, req: req, pageSize: pageSize, minSize: minSize, t: c.tuner(req.name(), pageSize, minSize),
		decode: decode, id: id, expect: -1, maxRows: c.cfg.MaxListRows}
	ls.tooMany = func(total int) error {
		return &LimitError{What: "SoftLayer-Total-Items of " + req.name() + " (Config.MaxListRows)",
			Limit: int64(ls.maxRows), Got: int64(total)}
	}
	return ls
}

// setHead marks the range at off as the one the listing waits for.
func (ls *lister[T]) setHead(off int) {
	ls.head.Store(int64(off))
	ls.c.mem.wake()
}

// drop gives back the budget a range's rows held.
func (ls *lister[T]) drop(res *rangeResult[T]) {
	ls.c.mem.give(res.held)
	res.held = 0
}

// bigRowBytes: an answer longer than this per row asked for is counted
// before it is decoded (a page of 100 items is about 70 KiB), so that a
// body of many tiny rows cannot allocate more rows than the limit.
const bigRowBytes = 4 << 10

var errTooManyRows = errors.New("more rows than the limit asked for")

// tooManyRows reports whether body is an array of more than limit
// elements, without decoding them.
func tooManyRows(body []byte, limit int) bool {
	l := lexer{data: body}
	if l.peek() != '[' {
		return false
	}
	n := 0
	err := l.array(func() error {
		if n++; n > limit {
			return errTooManyRows
		}
		return l.skip()
	})
	return errors.Is(err, errTooManyRows)
}

func (ls *lister[T]) errorf(format string, args ...any) error {
	return &PagingError{Method: ls.req.name(), Msg: fmt.Sprintf(format, args...)}
}

type rangeResult[T any] struct {
	done      chan struct{}
	rows      []T
	anchor    int64 // id of the row before the range, as read now
	hasAnchor bool
	total     int  // SoftLayer-Total-Items of the range's last call
	end       bool // a short page: the list ends inside the range
	err       error
	held      int64 // memory budget the rows hold until accepted (drop)
}

// pageShape checks that an answer is a JSON array, or a bare object where
// a limit of 1 was asked (the API's one-row quirk).
func pageShape(body []byte, limit int) string {
	for _, c := range body {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '[':
			return ""
		case '{':
			if limit == 1 {
				return ""
			}
			return "a bare object where an array was expected"
		case 'n':
			return "null where an array was expected"
		}
		return "not a JSON array"
	}
	return "an empty body"
}

// fetchRange reads rows [off, off+n), in several calls when the page size
// has been reduced, each call after the first row of the list anchored on
// the row before it. Every answer is checked against its own total. The
// first call asks for g (the grant the range was planned with), later
// ones for what the tuner gives then, never more than the range holds;
// every grant is reported to the tuner.
func (ls *lister[T]) fetchRange(ctx context.Context, off, n int, g grant, res *rangeResult[T]) {
	res.total = -1
	rows := res.rows[:0]
	if want := min(n, g.size) + 1; cap(rows) < want {
		// The first page and its anchor row: growing by appends would
		// allocate and copy about twice that.
		rows = make([]T, 0, want)
	}
	defer func() { res.rows = rows }()
	var deadline time.Time // one per position, kept across halvings
	first, retry := true, false
	for got := 0; got < n; {
		if !first {
			g = ls.t.take(n-got, retry)
		}
		first = false
		size := min(g.size, n-got)
		p := off + got
		lead := 0
		if p > 0 {
			lead = 1
		}
		r := ls.req
		r.offset, r.limit = p-lead, size+lead
		r.shrinkable = size > ls.minSize
		if deadline.IsZero() {
			deadline = time.Now().Add(ls.c.cfg.Retry.MaxElapsed)
		}
		r.deadline = deadline
		r.hold = &res.held
		r.head = func() bool { return ls.head.Load() == int64(off) }
		var took time.Duration
		r.took = &took
		base := len(rows)
		var t int
		err := ls.c.call(ctx, r, func(body []byte, tot int) error {
			if msg := pageShape(body, r.limit); msg != "" {
				return &PagingError{Method: r.name(), page: true, Msg: fmt.Sprintf("offset %d limit %d: %s", r.offset, r.limit, msg)}
			}
			if len(body) > r.limit*bigRowBytes && tooManyRows(body, r.limit) {
				return &PagingError{Method: r.name(), page: true, Msg: fmt.Sprintf("offset %d limit %d: %v", r.offset, r.limit, errTooManyRows)}
			}
			var err error
			rows, err = ls.decode(body, rows[:base])
			if err != nil {
				rows = rows[:base]
				return err
			}
			if tot < 0 {
				rows = rows[:base]
				return &PagingError{Method: r.name(), page: true, Msg: fmt.Sprintf(
					"offset %d limit %d: no usable SoftLayer-Total-Items header, so the answer cannot be checked", r.offset, r.limit)}
			}
			if tot > ls.maxRows {
				rows = rows[:base]
				return ls.tooMany(tot)
			}
			if k, want := len(rows)-base, min(r.limit, max(tot-r.offset, 0)); k != want {
				rows = rows[:base]
				return &PagingError{Method: r.name(), page: true, Msg: fmt.Sprintf(
					"offset %d limit %d: %d rows, but SoftLayer-Total-Items is %d (want %d rows)", r.offset, r.limit, k, tot, want)}
			}
			t = tot
			return nil
		})
		var se *shrinkError
		if errors.As(err, &se) {
			rows = rows[:base]
			ls.t.failed(g, size)
			retry = true
			ls.c.stats.reductions.Add(1)
			ls.c.log.DebugContext(ctx, "extract: page size reduced", "call", r.where(), "cause", se.cause, "size", ls.t.current())
			continue
		}
		if err != nil {
			ls.t.release(g)
			rows = rows[:base]
			res.err = err
			return
		}
		retry = false
		deadline = time.Time{}
		ls.t.ok(g, len(rows)-base-lead, took)
		ls.c.stats.pages.Add(1)
		if t < res.total {
			res.err = ls.errorf("SoftLayer-Total-Items shrank from %d to %d while paging", res.total, t)
			return
		}
		res.total = t
		if lead == 1 {
			if len(rows) == base {
				res.err = ls.errorf("offset %d: the list now ends before rows already read (SoftLayer-Total-Items %d)", p, t)
				return
			}
			aid := ls.id(&rows[base])
			if got == 0 {
				res.anchor, res.hasAnchor = aid, true
			} else if prev := ls.id(&rows[base-1]); aid != prev {
				res.err = ls.changed(p, aid, prev)
				return
			}
			rows = append(rows[:base], rows[base+1:]...)
		}
		page := len(rows) - base
		got += page
		if page < size {
			res.end = true
			return
		}
	}
}

// changed is the error for an anchor that is not the last row read.
func (ls *lister[T]) changed(off int, anchor, last int64) error {
	return ls.errorf("offset %d: the row before it is id %d, want %d (the last row read): "+
		"rows were inserted or removed during paging, or the API ignored the offset", off, anchor, last)
}

// each calls emit for every row of the list, in id order, each id once,
// and returns nil only when the rows add up to the list's total. It stops
// early, returning nil, when emit returns false.
func (ls *lister[T]) each(ctx context.Context, emit func(T) bool) error {
	var (
		off    int   // rows read: the offset of the next range
		lastID int64 // id of the last row read, when off > 0
		latest int   // largest total seen
	)
	// accept checks a range against what was read and emits its rows; it
	// returns false when emit did. floor is the least total the range may
	// report: the first call's during prefetch (every range was fetched
	// after it), the latest one's when paging in order.
	accept := func(res *rangeResult[T], floor int) (bool, error) {
		defer ls.drop(res) // the rows are passed on, or the listing ends
		if off > 0 && (!res.hasAnchor || res.anchor != lastID) {
			return false, ls.changed(off, res.anchor, lastID)
		}
		if res.total < floor {
			return false, ls.errorf("SoftLayer-Total-Items shrank from %d to %d while paging", floor, res.total)
		}
		latest = max(latest, res.total)
		for i := range res.rows {
			id := ls.id(&res.rows[i])
			if i > 0 && id <= ls.id(&res.rows[i-1]) {
				return false, fmt.Errorf("extract: %s: rows not sorted by id (%d after %d): the API ignored orderBy: %w",
					ls.req.name(), id, ls.id(&res.rows[i-1]), ErrPermanent)
			}
			if off+i > 0 && id <= lastID {
				return false, ls.errorf("offset %d: row id %d after id %d: rows repeat, the listing makes no progress", off+i, id, lastID)
			}
			lastID = id
			if !emit(res.rows[i]) {
				return false, nil
			}
		}
		off += len(res.rows)
		return true, nil
	}

	room := math.MaxInt // rows expected: unknown
	if ls.expect >= 0 {
		room = ls.expect
	}
	g := ls.t.take(room, false)
	var res rangeResult[T]
	ls.setHead(0)
	ls.fetchRange(ctx, 0, g.size, g, &res)
	if res.err != nil {
		ls.drop(&res)
		return res.err
	}
	first := res.total
	if ok, err := accept(&res, 0); !ok || err != nil {
		return err
	}
	if off < first {
		if ok, err := ls.prefetch(ctx, off, first, func(r *rangeResult[T]) (bool, error) { return accept(r, first) }); !ok || err != nil {
			return err
		}
	}
	// In order: rows appended while paging (the total grew).
	for off < latest {
		res.hasAnchor, res.end, res.err = false, false, nil
		ls.setHead(off)
		g := ls.t.take(latest-off, false)
		ls.fetchRange(ctx, off, g.size, g, &res)
		if res.err != nil {
			ls.drop(&res)
			return res.err
		}
		// A short page has a total equal to off (it agrees with its total)
		// and at least latest (accept): the loop ends.
		if ok, err := accept(&res, latest); !ok || err != nil {
			return err
		}
	}
	return nil
}

// prefetch reads the rows [from, to) planned from the first page's total
// in ranges, with up to PageConcurrency calls in flight, and accepts them
// in order. Each range is as long as the page size the tuner gives when
// it is launched (the probe, if it is free, or the working size), so
// ranges differ in length and pages that grow mean fewer calls. While the
// size is being learned (a probe in flight, a bigger size to come), only
// the range it waits for and the probe are in flight, so that few rows
// are read in pages about to be outgrown. It holds
// at most PageConcurrency ranges, whatever to is (to is at most maxRows).
// It returns false when accept did.
func (ls *lister[T]) prefetch(ctx context.Context, from, to int, accept func(*rangeResult[T]) (bool, error)) (bool, error) {
	type slot struct {
		r   *rangeResult[T]
		off int
	}
	depth := ls.c.cfg.PageConcurrency
	ring := make([]slot, depth) // ranges launched, not yet accepted: ring[head], ring[head+1], ...
	head, queued := 0, 0
	ctx2, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
		for _, s := range ring {
			if s.r != nil {
				ls.drop(s.r)
			}
		}
	}()
	next := from // the offset of the next range to launch
	for {
		for ; next < to && queued < depth; queued++ {
			g := ls.t.take(to-next, false)
			if !g.probe && queued > 0 && ls.t.learning() {
				// A probe is in flight: ranges launched now would be
				// read at a size about to grow. Wait for the head.
				break
			}
			n := min(g.size, to-next)
			r := &rangeResult[T]{done: make(chan struct{})}
			o := next
			ring[(head+queued)%depth] = slot{r: r, off: o}
			wg.Go(func() {
				defer close(r.done)
				ls.fetchRange(ctx2, o, n, g, r)
			})
			next += n
		}
		if queued == 0 {
			return true, nil
		}
		s := ring[head]
		ls.setHead(s.off)
		select {
		case <-s.r.done:
		case <-ctx.Done():
			return false, fmt.Errorf("extract: %s: %w", ls.req.name(), context.Cause(ctx))
		}
		ring[head] = slot{}
		head, queued = (head+1)%depth, queued-1
		if s.r.err != nil {
			ls.drop(s.r)
			return false, s.r.err
		}
		// A short range before the last planned one reports a total below
		// to, which accept refuses.
		if ok, err := accept(s.r); !ok || err != nil {
			return false, err
		}
	}
}
