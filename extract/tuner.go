package extract

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// PageSize is what a Client learned about the page size of one list
// method, and what Config.PageSizeHints gives back to the next client.
// It is a plain value: the client keeps nothing of a PageSize it was
// given, nor of one it returned.
type PageSize struct {
	Method string `json:"method"` // "SoftLayer_Billing_Invoice::getItems"
	// Size is the largest page known to work: the size calls use.
	Size int `json:"size"`
	// Ceiling is the smallest page that failed with "too much data", a
	// timeout or a slow answer; 0 when none is known. Pages stay below it.
	Ceiling int `json:"ceiling,omitempty"`
}

// The list methods a run's plan counts calls of (ListPageSizes).
const (
	methodInvoices = "SoftLayer_Account::getInvoices"
	methodItems    = "SoftLayer_Billing_Invoice::getItems"
)

// ListPageSizes returns the invoice and item page sizes a plan of calls
// should count with: those of hints (what a client learned,
// Client.PageSizes) where they are larger than the configured invoices
// and items, else these.
func ListPageSizes(hints []PageSize, invoices, items int) (int, int) {
	for _, h := range hints {
		switch h.Method {
		case methodInvoices:
			invoices = max(invoices, h.Size)
		case methodItems:
			items = max(items, h.Size)
		}
	}
	return invoices, items
}

// Tuning constants of pageTuner.
const (
	// settleDiv: the search between a working size and a ceiling stops
	// when they are within ceiling/settleDiv of each other (about 3 %).
	// Each failure of a size that had worked (rows that vary in weight)
	// halves the divisor, down to minSettleDiv (25 %): for such rows a
	// size near the ceiling fails again as soon as the rows get heavier,
	// and each probe near it is likely a failed call.
	settleDiv    = 32
	minSettleDiv = 4
	// recheckAfter successes in a row at a settled size, the ceiling is
	// asked once more (a generic Internal Error is not always about the
	// size, and a server's limit may rise): one call in recheckAfter at
	// most, a ceiling that holds costs 0.4 % more calls.
	recheckAfter = 256
	// slowDiv: an answer slower than Timeout/slowDiv counts against its
	// page size, as "too much data" does, before it becomes a timeout.
	slowDiv = 4
)

// pageTuner chooses the page size of one list method for every listing of
// a Client (all getItems listings of a run share one), so that what one
// invoice learns the next one uses.
//
// The rule. Calls use safe, the largest size known to work (at first the
// configured size, or the remembered one). One call at a time, the probe,
// asks for more: twice safe while no ceiling is known; once a size has
// failed ("too much data", a timeout, or an answer slower than a quarter
// of the timeout), the middle of safe and that ceiling (bisection), until
// the two are within 1/32 of the ceiling: then the size has settled just
// under the ceiling, and only after recheckAfter successes in a row is the
// ceiling itself asked once more. A probe that succeeds raises safe to
// the rows it returned; a failure at or below safe halves safe (the rows
// got heavier: multiplicative decrease) and settles further under the
// ceiling from then on (1/16, 1/8, then 1/4 of it: rows that vary in
// weight make every probe near the ceiling a likely failure); any failure
// lowers the ceiling.
// Sizes stay in [min, max].
//
// Why one probe at a time: a failed call costs as much as a good one, and
// with PageConcurrency×Concurrency calls in flight a new size tried by all
// of them would fail all of them. Why bisection rather than growing back
// by doubling: doubling from half the ceiling hits the ceiling again, a
// sawtooth that fails every few pages.
type pageTuner struct {
	min, max int
	slow     time.Duration

	mu      sync.Mutex
	safe    int
	ceil    int  // 0: none known
	probing bool // a call above safe is in flight
	calm    int  // successes since the last failure
	div     int  // settle within ceil/div (settleDiv, lowered by surprises)
}

// grant is the size a call may ask for; probe marks the one call allowed
// above safe, which must be reported (ok, failed or release).
type grant struct {
	size  int
	probe bool
}

func newPageTuner(start, min, max int, slow time.Duration) *pageTuner {
	t := &pageTuner{min: min, max: max, slow: slow, div: settleDiv}
	t.safe = clamp(start, min, max)
	return t
}

func clamp(v, lo, hi int) int { return max(lo, min(v, hi)) }

// hint starts the tuner at a remembered size and ceiling, bounded: a size
// outside [min, max] is brought inside, a ceiling not above the size or
// above max is ignored.
func (t *pageTuner) hint(h PageSize) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.safe = clamp(h.Size, t.min, t.max)
	t.ceil = 0
	if h.Ceiling > t.safe && h.Ceiling <= t.max {
		t.ceil = h.Ceiling
		// A size remembered further under its ceiling than 1/settleDiv
		// was settled there by rows that vary: start settled.
		if gap := t.ceil - t.safe; gap > t.ceil/t.div {
			t.div = max(minSettleDiv, min(t.div, t.ceil/gap))
		}
	}
}

// next is the size of the next probe, or safe when there is none.
func (t *pageTuner) next() int {
	switch {
	case t.ceil == 0:
		return min(2*t.safe, t.max)
	case t.ceil-t.safe > max(1, t.ceil/t.div):
		return (t.safe + t.ceil) / 2
	case t.calm >= recheckAfter:
		return t.ceil
	}
	return t.safe
}

// take returns the size of a call that expects about room rows (a
// listing's rows left, or a large number when unknown): the probe if none
// is in flight and room is above safe, else safe. retry asks for safe
// only (a call again after a failure).
func (t *pageTuner) take(room int, retry bool) grant {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !retry && !t.probing && room > t.safe {
		if n := min(t.next(), room); n > t.safe {
			t.probing = true
			return grant{size: n, probe: true}
		}
	}
	return grant{size: t.safe}
}

// ok reports a successful call of g that returned rows rows in took.
func (t *pageTuner) ok(g grant, rows int, took time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if g.probe {
		t.probing = false
	}
	if t.slow > 0 && took > t.slow && rows > t.min && 2*rows >= t.safe {
		// Slow for a page of at least half the working size: too heavy.
		t.fail(rows)
		return
	}
	t.calm++
	if rows <= t.safe {
		return
	}
	t.safe = min(rows, t.max)
	if t.ceil != 0 && t.safe >= t.ceil {
		t.ceil = 0 // the ceiling held no more (a recheck, lighter rows)
	}
}

// failed reports a call of g that asked size rows and failed with "too
// much data" or a timeout.
func (t *pageTuner) failed(g grant, size int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if g.probe {
		t.probing = false
	}
	t.fail(size)
}

func (t *pageTuner) fail(size int) {
	t.calm = 0
	if t.ceil == 0 || size < t.ceil {
		t.ceil = size
	}
	if size <= t.safe {
		t.safe = max(t.min, size/2)
		t.div = max(minSettleDiv, t.div/2) // rows got heavier: settle further under
	}
	if t.ceil <= t.safe { // at the floor
		t.ceil = 0
		if t.safe < t.max {
			t.ceil = t.safe + 1
		}
	}
}

// release gives back a grant whose call ended otherwise (an error, a
// cancellation): it says nothing about the size.
func (t *pageTuner) release(g grant) {
	if !g.probe {
		return
	}
	t.mu.Lock()
	t.probing = false
	t.mu.Unlock()
}

// learning reports whether a bigger size is to be tried.
func (t *pageTuner) learning() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.next() > t.safe
}

func (t *pageTuner) current() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.safe
}

func (t *pageTuner) state(method string) PageSize {
	t.mu.Lock()
	defer t.mu.Unlock()
	return PageSize{Method: method, Size: t.safe, Ceiling: t.ceil}
}

// tuners are a Client's page tuners, one per list method.
type tuners struct {
	mu    sync.Mutex
	m     map[string]*pageTuner
	hints []PageSize // Config.PageSizeHints, or SetPageSizeHints'
	set   bool       // SetPageSizeHints was called
}

// SetPageSizeHints starts each list method at what an earlier client
// learned, like Config.PageSizeHints (which it replaces), for a client
// made before the hints could be read (the lake they are kept in is
// known once the API has named the account). A method already used
// takes its hint at once. The client keeps a copy of hints.
func (c *Client) SetPageSizeHints(hints []PageSize) {
	c.tune.mu.Lock()
	defer c.tune.mu.Unlock()
	c.tune.hints, c.tune.set = slices.Clone(hints), true
	for _, h := range hints {
		if t := c.tune.m[h.Method]; t != nil {
			t.hint(h)
		}
	}
}

// tuner returns the tuner of method, made at the first use from the
// configured size start (or the method's hint) within [min, max].
func (c *Client) tuner(method string, start, min int) *pageTuner {
	c.tune.mu.Lock()
	defer c.tune.mu.Unlock()
	if t := c.tune.m[method]; t != nil {
		return t
	}
	t := newPageTuner(start, min, max(start, c.cfg.MaxPageSize), c.cfg.Timeout/slowDiv)
	hints := c.cfg.PageSizeHints
	if c.tune.set {
		hints = c.tune.hints
	}
	for _, h := range hints {
		if h.Method == method {
			t.hint(h)
		}
	}
	if c.tune.m == nil {
		c.tune.m = map[string]*pageTuner{}
	}
	c.tune.m[method] = t
	return t
}

// PageSizes returns what the client has learned about the page size of
// each list method it has used, sorted by method: give it back as
// Config.PageSizeHints to start the next client there.
func (c *Client) PageSizes() []PageSize {
	c.tune.mu.Lock()
	defer c.tune.mu.Unlock()
	out := make([]PageSize, 0, len(c.tune.m))
	for m, t := range c.tune.m {
		out = append(out, t.state(m))
	}
	slices.SortFunc(out, func(a, b PageSize) int { return strings.Compare(a.Method, b.Method) })
	return out
}
