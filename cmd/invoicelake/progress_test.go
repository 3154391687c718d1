package main

import (
	"bytes"
	"strings"
	"testing"
)

// screen renders what a terminal of width columns shows for out: \r goes
// to the line's start, ESC[2K erases the line, \n starts the next, and a
// line longer than width wraps. wrapped counts the lines that wrapped.
func screen(out []byte, width int) (lines []string, wrapped int) {
	cur := []rune{}
	col := 0
	flush := func() {
		lines = append(lines, strings.TrimRight(string(cur), " "))
		cur, col = cur[:0:0], 0
	}
	s := string(out)
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "\x1b[2K"):
			cur, i = cur[:0:0], i+4
			continue
		case strings.HasPrefix(s[i:], "\x1b["): // another escape: skip to its final byte
			j := i + 2
			for j < len(s) && (s[j] < '@' || s[j] > '~') {
				j++
			}
			i = j + 1
			continue
		}
		r := []rune(s[i:])[0]
		i += len(string(r))
		switch r {
		case '\r':
			col = 0
		case '\n':
			flush()
		default:
			if col == width {
				wrapped++
				flush()
			}
			for len(cur) <= col {
				cur = append(cur, ' ')
			}
			cur[col] = r
			col++
		}
	}
	if len(cur) > 0 {
		flush()
	}
	return lines, wrapped
}

// TestTermWritesLogsAboveTheBar: a log line clears the status line, is
// written, and the status line is drawn again below it; the status line is
// cut to the width and never wraps.
func TestTermWritesLogsAboveTheBar(t *testing.T) {
	var buf bytes.Buffer
	tm := &term{w: &buf, width: 40}
	tm.setStatus("[####......] 40%  ETA 1m2s  API calls 12/30  periods 1/3  invoices 9")
	tm.Write([]byte("level=INFO msg=first\n"))
	tm.setStatus("[#####.....] 50%  ETA 58s  API calls 15/30  periods 1/3  invoices 11")
	tm.Write([]byte("level=WARN msg=second\n"))
	got, wrapped := screen(buf.Bytes(), 40)
	want := []string{"level=INFO msg=first", "level=WARN msg=second", "[#####.....] 50%  ETA 58s  API calls 15"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || wrapped != 0 {
		t.Errorf("screen (%d wrapped):\n%s\nwant:\n%s", wrapped, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	tm.clear()
	got, _ = screen(buf.Bytes(), 40)
	if strings.Contains(strings.Join(got, "\n"), "ETA") {
		t.Errorf("after clear the status line is still shown:\n%s", strings.Join(got, "\n"))
	}
	var nilTerm *term
	nilTerm.clear() // not on a terminal: a no-op
}
