package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/invoicelake/invoicelake/extract"
	"github.com/invoicelake/invoicelake/schemas"
)

// term is stderr on a terminal: log lines are written above a status line
// (the progress bar), which is cleared before each and drawn again after
// it, so a log line never lands on the bar and the bar never wraps.
type term struct {
	mu     sync.Mutex
	w      io.Writer
	width  int    // columns; the status line is cut to width-1
	status string // what the status line shows, "" when none
}

const clearLine = "\r\x1b[2K" // to the line's start, erase it

func newTerm(w io.Writer) *term {
	return &term{w: w, width: terminalWidth(w)}
}

// Write writes log lines (slog writes one record per call) above the
// status line.
func (t *term) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.status != "" {
		io.WriteString(t.w, clearLine)
	}
	n, err := t.w.Write(p)
	if t.status != "" {
		io.WriteString(t.w, t.status)
	}
	return n, err
}

// setStatus draws s as the status line, cut to the terminal's width.
func (t *term) setStatus(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s = fit(s, t.width-1)
	if s == t.status {
		return
	}
	t.status = s
	io.WriteString(t.w, clearLine+s)
}

// clear removes the status line.
func (t *term) clear() {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.status != "" {
		io.WriteString(t.w, clearLine)
		t.status = ""
	}
}

// fit cuts s to n runes.
func fit(s string, n int) string {
	if n < 1 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

// progress is the status line of a run on a terminal: a bar and an ETA
// from the API calls the run plans (its periods' invoices are listed
// first, which costs one call per 50 invoices), with the periods,
// invoices and items done. A nil *progress draws nothing. It is safe for
// concurrent use: the client's observer ticks it from its workers.
type progress struct {
	t *term
	p *pipeline

	mu                  sync.Mutex
	periods, done       int
	invoices, items     int64
	planned             int64 // API calls the run should make, 0 when unknown
	base                int64 // the client's calls before the run
	start, last         time.Time
	planning            string
	finished, streaming bool
}

func newProgress(t *term, p *pipeline) *progress {
	pr := &progress{t: t, p: p}
	p.observe = func(extract.Attempt) { pr.tick() }
	return pr
}

// begin plans the run's API calls: the invoices of each period, listed
// (pages of invoice_page_size), and their items (pages of item_page_size
// each), the way the export reads them. A failed listing leaves the ETA
// unknown; the run meets the error itself.
func (pr *progress) begin(ctx context.Context, periods []schemas.Period) {
	if pr == nil {
		return
	}
	ipage, tpage := pr.p.plannedPages()
	var planned int64
	for i, per := range periods {
		pr.mu.Lock()
		pr.planning = fmt.Sprintf("planning: listing the invoices of %s (%d/%d)", per, i+1, len(periods))
		pr.mu.Unlock()
		pr.draw(true)
		var n int64
		for inv, err := range pr.p.client.Invoices(ctx, extract.InvoiceQuery{Window: schemas.Window{From: per, To: per}}) {
			if err != nil {
				planned = -1
				break
			}
			n++
			items := int64(0)
			if inv.ItemCount != nil {
				items = *inv.ItemCount
			}
			planned += max(1, (items+tpage-1)/tpage)
		}
		if planned < 0 {
			break
		}
		planned += max(1, (n+ipage-1)/ipage)
	}
	pr.mu.Lock()
	pr.periods, pr.planned, pr.planning = len(periods), max(planned, 0), ""
	pr.base = pr.p.client.Stats().TotalCalls()
	pr.start, pr.streaming = time.Now(), true
	pr.mu.Unlock()
	pr.draw(true)
}

// invoice records one invoice of n item rows.
func (pr *progress) invoice(n int) {
	if pr == nil {
		return
	}
	pr.mu.Lock()
	pr.invoices++
	pr.items += int64(n)
	pr.mu.Unlock()
	pr.draw(false)
}

func (pr *progress) periodDone() {
	if pr == nil {
		return
	}
	pr.mu.Lock()
	pr.done++
	pr.mu.Unlock()
	pr.draw(true)
}

// tick is an API call's end: the status line moves at least every 200 ms
// while calls are made.
func (pr *progress) tick() { pr.draw(false) }

// draw draws the status line; unless force, at most every 200 ms.
func (pr *progress) draw(force bool) {
	pr.mu.Lock()
	if pr.finished || !force && time.Since(pr.last) < 200*time.Millisecond {
		pr.mu.Unlock()
		return
	}
	defer pr.mu.Unlock()
	pr.last = time.Now()
	pr.t.setStatus(pr.line(pr.p.client.Stats().TotalCalls() - pr.base))
}

// line is the status line, calls being the API calls made so far.
func (pr *progress) line(calls int64) string {
	if pr.planning != "" {
		return pr.planning
	}
	el := time.Since(pr.start)
	frac, eta := 0.0, "ETA ?"
	if pr.planned > 0 {
		frac = min(1, float64(calls)/float64(pr.planned))
		// After a few seconds and calls, the rate so far carries the rest.
		if calls >= 10 && el >= time.Second {
			left := time.Duration(float64(el) / float64(calls) * float64(max(pr.planned-calls, 0)))
			eta = "ETA " + left.Round(time.Second).String()
		}
	}
	const width = 20
	fill := int(frac * width)
	bar := strings.Repeat("#", fill) + strings.Repeat(".", width-fill)
	return fmt.Sprintf("[%s] %3.0f%%  %s  API calls %d/%d  periods %d/%d  invoices %d  items %d  %s",
		bar, frac*100, eta, calls, pr.planned, pr.done, pr.periods, pr.invoices, pr.items, el.Round(time.Second))
}

// finish removes the status line: the summary table follows.
func (pr *progress) finish() {
	if pr == nil {
		return
	}
	pr.mu.Lock()
	pr.finished = true
	pr.mu.Unlock()
	pr.t.clear()
}
