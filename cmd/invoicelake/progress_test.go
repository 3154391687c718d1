package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf)
	p.begin(4)
	p.invoice(120)
	p.invoice(30)
	p.periodDone()
	p.finish()
	out := buf.String()
	for _, want := range []string{"periods 1/4", "invoices 2", "items 150", "items/s", "ETA", "[######"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress line %q lacks %q", out, want)
		}
	}
	var nilP *progress // not on a terminal: every call is a no-op
	nilP.begin(1)
	nilP.invoice(1)
	nilP.periodDone()
	nilP.finish()
}
