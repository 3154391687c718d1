package main

import (
	"fmt"
	"io"
	"time"
)

// progress draws one status line on a terminal during long backfills:
// periods done, invoices, items, items/s and an ETA. A nil *progress draws
// nothing.
type progress struct {
	w                   io.Writer
	total, done         int
	invoices, itemCount int64
	start, last         time.Time
}

func newProgress(w io.Writer) *progress { return &progress{w: w} }

func (p *progress) begin(n int) {
	if p == nil {
		return
	}
	p.total, p.start = n, time.Now()
}

// invoice records one invoice of n items.
func (p *progress) invoice(n int) {
	if p == nil {
		return
	}
	p.invoices++
	p.itemCount += int64(n)
	if time.Since(p.last) > 200*time.Millisecond {
		p.draw()
	}
}

func (p *progress) periodDone() {
	if p == nil {
		return
	}
	p.done++
	p.draw()
}

func (p *progress) draw() {
	p.last = time.Now()
	el := time.Since(p.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(p.itemCount) / el
	}
	eta := "?"
	if p.done > 0 {
		left := time.Duration(float64(time.Since(p.start)) / float64(p.done) * float64(p.total-p.done))
		eta = left.Round(time.Second).String()
	}
	const width = 24
	fill := 0
	if p.total > 0 {
		fill = width * p.done / p.total
	}
	bar := make([]byte, width)
	for i := range bar {
		bar[i] = '.'
		if i < fill {
			bar[i] = '#'
		}
	}
	fmt.Fprintf(p.w, "\r[%s] periods %d/%d  invoices %d  items %d  %.0f items/s  ETA %s   ", bar, p.done, p.total, p.invoices, p.itemCount, rate, eta)
}

func (p *progress) finish() {
	if p == nil {
		return
	}
	p.draw()
	fmt.Fprintln(p.w)
}
