package extract

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/invoicelake/invoicelake/schemas"
)

// The hostile API: httptest servers that answer badly on purpose, one
// case per row, each checked for its error class, its message, the calls
// it cost and, where the answer is big, the memory it cost. The same cases
// through the built binary, against a published lake, are in
// cmd/invoicelake/hostile_api_test.go.

// hostileServer serves getInvoices and getItems through answer, which
// gets the parsed resultLimit (lim 0: none) and the invoice id (0 for
// getInvoices). It counts requests.
type hostileServer struct {
	srv   *httptest.Server
	calls atomic.Int64
}

func newHostile(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, inv int64, off, lim int)) *hostileServer {
	t.Helper()
	h := &hostileServer{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.calls.Add(1)
		var off, lim int
		if rl := r.URL.Query().Get("resultLimit"); rl != "" {
			a, b, _ := strings.Cut(rl, ",")
			off, _ = strconv.Atoi(a)
			lim, _ = strconv.Atoi(b)
		}
		var inv int64
		path := strings.TrimPrefix(r.URL.Path, "/rest/v3.1/")
		if rest, ok := strings.CutPrefix(path, "SoftLayer_Billing_Invoice/"); ok {
			inv, _ = strconv.ParseInt(strings.Split(rest, "/")[0], 10, 64)
		}
		answer(w, r, inv, off, lim)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hostileServer) url() string { return h.srv.URL + "/rest/v3.1/" }

func itemJSON(inv, id int64) string {
	return fmt.Sprintf(`{"id":%d,"invoiceId":%d,"categoryCode":"guest_core","recurringFee":"1.25","description":"item %d"}`, id, inv, id)
}

func invoiceJSON(id int64, itemCount int) string {
	return fmt.Sprintf(`{"id":%d,"accountId":1,"createDate":"2024-03-10T10:00:00-06:00","statusCode":"CLOSED","invoiceTotalAmount":"1.25","itemCount":%d}`,
		id, itemCount)
}

// page writes rows [off, off+lim) of ids 1..n as a JSON array with total.
func page(w http.ResponseWriter, row func(id int64) string, n, off, lim int, total string) {
	if total != "" {
		w.Header().Set("SoftLayer-Total-Items", total)
	}
	var b strings.Builder
	b.WriteByte('[')
	for i := off; i < min(off+lim, n); i++ {
		if i > off {
			b.WriteByte(',')
		}
		b.WriteString(row(int64(i + 1)))
	}
	b.WriteByte(']')
	w.Write([]byte(b.String()))
}

func hostileClient(t testing.TB, url string, mod func(*Config)) *Client {
	return newTestClient(t, url, func(c *Config) {
		c.ItemPageSize, c.InvoicePageSize, c.MinPageSize = 10, 10, 5
		c.Retry = RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond, MaxElapsed: 5 * time.Second}
		if mod != nil {
			mod(c)
		}
	})
}

// allocated returns the bytes allocated while f ran.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

type class int

const (
	transient class = iota + 1
	permanent
)

func checkClass(t *testing.T, err error, want class) {
	t.Helper()
	switch {
	case err == nil:
		t.Fatalf("got no error, want one")
	case want == transient && (!IsTransient(err) || IsPermanent(err)):
		t.Errorf("got %v (permanent=%v), want a transient error", err, IsPermanent(err))
	case want == permanent && (!IsPermanent(err) || IsTransient(err)):
		t.Errorf("got %v (transient=%v), want a permanent error", err, IsTransient(err))
	}
}

// TestHostileListings: answers that would, if believed, publish less than
// the API holds or never end. None may end a listing without an error.
func TestHostileListings(t *testing.T) {
	items := func(inv int64) func(id int64) string { return func(id int64) string { return itemJSON(inv, id) } }
	for _, tc := range []struct {
		name      string
		invoices  bool // list invoices instead of items
		answer    func(w http.ResponseWriter, inv int64, off, lim int)
		want      string
		class     class
		maxCalls  int64
		itemCount *int64 // items: the invoice's itemCount (nil: through Items)
	}{
		{name: "empty array before the total", invoices: true, class: transient, maxCalls: 2,
			answer: func(w http.ResponseWriter, _ int64, off, lim int) { page(w, nil, 0, off, lim, "4") },
			want:   "0 rows, but SoftLayer-Total-Items is 4"},
		{name: "null before the total", invoices: true, class: transient, maxCalls: 2,
			answer: func(w http.ResponseWriter, _ int64, off, lim int) {
				w.Header().Set("SoftLayer-Total-Items", "4")
				w.Write([]byte("null"))
			},
			want: "null where an array was expected"},
		{name: "null with a zero total", invoices: true, class: transient, maxCalls: 2,
			answer: func(w http.ResponseWriter, _ int64, off, lim int) {
				w.Header().Set("SoftLayer-Total-Items", "0")
				w.Write([]byte("null"))
			},
			want: "null where an array was expected"},
		{name: "bare object where limit was 10", invoices: true, class: transient, maxCalls: 2,
			answer: func(w http.ResponseWriter, _ int64, off, lim int) {
				w.Header().Set("SoftLayer-Total-Items", "4")
				w.Write([]byte(invoiceJSON(1, 0)))
			},
			want: "a bare object where an array was expected"},
		{name: "one-row pages before the total", class: transient, maxCalls: 2,
			answer: func(w http.ResponseWriter, inv int64, off, lim int) { page(w, items(inv), 30, off, 1, "30") },
			want:   "1 rows, but SoftLayer-Total-Items is 30 (want 10 rows)"},
		{name: "short second page", class: transient, maxCalls: 5,
			answer: func(w http.ResponseWriter, inv int64, off, lim int) {
				if off > 0 {
					lim = 3
				}
				page(w, items(inv), 30, off, lim, "30")
			},
			want: "3 rows, but SoftLayer-Total-Items is 30 (want 11 rows)"},
		{name: "no total header", class: transient, maxCalls: 2,
			answer: func(w http.ResponseWriter, inv int64, off, lim int) { page(w, items(inv), 30, off, lim, "") },
			want:   "no usable SoftLayer-Total-Items header"},
		{name: "two total headers", class: transient, maxCalls: 2,
			answer: func(w http.ResponseWriter, inv int64, off, lim int) {
				w.Header()["Softlayer-Total-Items"] = []string{"30", "31"}
				page(w, items(inv), 30, off, lim, "")
			},
			want: "no usable SoftLayer-Total-Items header"},
		{name: "total shrinks mid-listing", class: transient, maxCalls: 3,
			answer: func(w http.ResponseWriter, inv int64, off, lim int) {
				total := 30
				if off > 0 {
					total = 12 // consistent with itself, not with the first page
				}
				page(w, items(inv), total, off, lim, strconv.Itoa(total))
			},
			want: "shrank from 30 to 12"},
		{name: "total of 1e12 on a full first page", invoices: true, class: permanent, maxCalls: 1,
			answer: func(w http.ResponseWriter, _ int64, off, lim int) {
				page(w, func(id int64) string { return invoiceJSON(id, 0) }, 1000, off, lim, "1000000000000")
			},
			want: "1000000000000 is above the limit of 1000000"},
		{name: "server ignores the offset", class: transient, maxCalls: 1 + DefaultPageConcurrency,
			answer: func(w http.ResponseWriter, inv int64, off, lim int) { page(w, items(inv), 1000, 0, lim, "1000") },
			want:   "the row before it is id 1, want 10"},
		{name: "ids repeat", class: transient, maxCalls: 1 + DefaultPageConcurrency,
			answer: func(w http.ResponseWriter, inv int64, off, lim int) {
				// Every page after the first answers the first page's rows
				// shifted by one: the anchor is right, the rows go back.
				if off > 0 {
					page(w, func(id int64) string { return itemJSON(inv, min(id, 10)) }, 1000, off, lim, "1000")
					return
				}
				page(w, items(inv), 1000, off, lim, "1000")
			},
			want: "row id 10 after id 10: rows repeat"},
		{name: "items never end (total grows with every page)", class: transient, maxCalls: 250, itemCount: i64(5),
			answer: func(w http.ResponseWriter, inv int64, off, lim int) {
				page(w, items(inv), off+lim, off, lim, strconv.Itoa(off+lim+1))
			},
			want: "above the limit of 1005"},
		{name: "items above itemCount's limit at once", class: transient, maxCalls: 1, itemCount: i64(5),
			answer: func(w http.ResponseWriter, inv int64, off, lim int) { page(w, items(inv), 2000, off, lim, "2000") },
			want:   "with itemCount 5 (limit itemCount + 10% + 1000): 2000 is above the limit of 1005"},
		{name: "fewer items than itemCount", class: transient, maxCalls: 1, itemCount: i64(7),
			answer: func(w http.ResponseWriter, inv int64, off, lim int) { page(w, items(inv), 5, off, lim, "5") },
			want:   "5 items, fewer than the invoice's itemCount 7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHostile(t, func(w http.ResponseWriter, r *http.Request, inv int64, off, lim int) {
				tc.answer(w, inv, off, lim)
			})
			c := hostileClient(t, h.url(), nil)
			var err error
			n := 0
			alloc := allocated(func() {
				switch {
				case tc.invoices:
					for _, e := range c.Invoices(context.Background(), InvoiceQuery{Window: march}) {
						if err = e; e != nil {
							break
						}
						n++
					}
				case tc.itemCount != nil:
					inv := schemas.Invoice{ID: 1, StatusCode: "CLOSED", ItemCount: tc.itemCount}
					_, err = c.eachInvoiceItem(context.Background(), &inv, func(schemas.InvoiceItem) error { n++; return nil })
				default:
					_, err = collectItems(t, c, 1)
				}
			})
			checkClass(t, err, tc.class)
			if err != nil && !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %q, want it to say %q", err, tc.want)
			}
			if got := h.calls.Load(); got > tc.maxCalls {
				t.Errorf("got %d calls, want at most %d", got, tc.maxCalls)
			}
			if alloc > 64<<20 {
				t.Errorf("allocated %d MiB, want a bound that does not follow the API's numbers", alloc>>20)
			}
		})
	}
}

// gzipBomb is a gzip body (several members, as net/http reads them) that
// inflates to n MiB of spaces after a '['.
func gzipBomb(t testing.TB, mib int) []byte {
	t.Helper()
	var one bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&one, gzip.BestCompression)
	zw.Write(bytes.Repeat([]byte(" "), 1<<20))
	zw.Close()
	var b bytes.Buffer
	zw, _ = gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write([]byte("["))
	zw.Close()
	for range mib {
		b.Write(one.Bytes())
	}
	return b.Bytes()
}

func serveGzip(body []byte) func(w http.ResponseWriter, r *http.Request, inv int64, off, lim int) {
	return func(w http.ResponseWriter, r *http.Request, inv int64, off, lim int) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("SoftLayer-Total-Items", "1")
		w.Write(body)
	}
}

// TestHostileBodies: bodies too big, compressed or not, alone or four at
// once, and strings too long. Each is refused, permanently, having cost a
// bounded amount of memory.
func TestHostileBodies(t *testing.T) {
	const maxBody = 4 << 20
	bomb := gzipBomb(t, 1024) // 1 GiB inflated
	if len(bomb) > 2<<20 {
		t.Fatalf("bomb of %d bytes, want about 1 MiB", len(bomb))
	}
	long := func(n int, escaped bool) func(w http.ResponseWriter, r *http.Request, inv int64, off, lim int) {
		return func(w http.ResponseWriter, r *http.Request, inv int64, off, lim int) {
			w.Header().Set("SoftLayer-Total-Items", "1")
			s := strings.Repeat("x", n)
			if escaped { // 6 bytes each, 2 unescaped: under the body cap, over the string cap
				s = strings.Repeat(`\u00e9`, n/2+1000)
			}
			fmt.Fprintf(w, `[{"id":1,"invoiceId":%d,"description":"%s"}]`, inv, s)
		}
	}
	for _, tc := range []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request, inv int64, off, lim int)
		want   string
		par    int // invoices read at once
	}{
		{"gzip bomb", serveGzip(bomb), "response body (after decompression): 4194305 is above the limit of 4194304", 1},
		{"four gzip bombs at once", serveGzip(bomb), "above the limit of 4194304", 4},
		{"Content-Length above the cap", func(w http.ResponseWriter, r *http.Request, inv int64, off, lim int) {
			w.Header().Set("Content-Length", strconv.Itoa(maxBody+1))
			w.Write([]byte("[]"))
		}, "response body (Content-Length): 4194305 is above the limit", 1},
		{"plain body above the cap", func(w http.ResponseWriter, r *http.Request, inv int64, off, lim int) {
			w.Header().Set("SoftLayer-Total-Items", "1")
			w.Write([]byte("["))
			chunk := bytes.Repeat([]byte(" "), 1<<20)
			for range 64 {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, "response body (after decompression)", 1},
		{"string of 2 MiB", long(2<<20, false), "string at byte", 1},
		{"escaped string over 1 MiB unescaped", long(1<<20, true), "string at byte", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHostile(t, tc.answer)
			c := hostileClient(t, h.url(), func(c *Config) {
				c.MaxBodyBytes, c.MemoryBudget = maxBody, 3*maxBody
				c.Retry.MaxAttempts = 4
			})
			errs := make([]error, tc.par)
			alloc := allocated(func() {
				var wg sync.WaitGroup
				for i := range tc.par {
					wg.Go(func() { _, errs[i] = collectItems(t, c, int64(i+1)) })
				}
				wg.Wait()
			})
			for _, err := range errs {
				checkClass(t, err, permanent)
				var le *LimitError
				if !errors.As(err, &le) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("got %v, want a *LimitError saying %q", err, tc.want)
				}
			}
			// Each body doubles to at most maxBody (about 2*maxBody
			// allocated over its growth), read twice (the page of 10 is
			// halved to the floor of 5 first), plus the server's side.
			if limit := uint64(tc.par)*2*2*maxBody + 16<<20; alloc > limit {
				t.Errorf("allocated %d MiB, want at most %d MiB", alloc>>20, limit>>20)
			}
			if st := c.Stats(); st.Bytes > int64(tc.par)*4*(maxBody+1) {
				t.Errorf("read %d bytes, want at most %d per call", st.Bytes, maxBody+1)
			}
		})
	}
}

// TestMemoryBudgetHeldAtOnce: one listing whose pages, fetched eight at
// once, together exceed the budget. Bodies, and the rows decoded from them
// until they are passed on, are never held beyond the budget but for the
// range the listing waits for (which may overdraw it by a body, so that
// ranges fetched ahead cannot starve it); bodies that cannot grow wait
// for room; every row comes, once.
func TestMemoryBudgetHeldAtOnce(t *testing.T) {
	const rowsN, per = 80, 10
	desc := strings.Repeat("d", 60<<10) // 10 rows: a page of 600 KiB
	h := newHostile(t, func(w http.ResponseWriter, r *http.Request, inv int64, off, lim int) {
		w.Header().Set("SoftLayer-Total-Items", strconv.Itoa(rowsN))
		var b strings.Builder
		b.WriteByte('[')
		for i := off; i < min(off+lim, rowsN); i++ {
			if i > off {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"id":%d,"invoiceId":%d,"description":"%s"}`, i+1, inv, desc)
		}
		b.WriteByte(']')
		body := b.String()
		w.Write([]byte(body[:len(body)/2]))
		w.(http.Flusher).Flush()
		time.Sleep(30 * time.Millisecond) // every body half read at once
		w.Write([]byte(body[len(body)/2:]))
	})
	c := hostileClient(t, h.url(), func(c *Config) {
		c.ItemPageSize, c.PageConcurrency = per, 8
		c.MaxBodyBytes, c.MemoryBudget = 1<<20, 2<<20+bodyChunk
		c.Retry = RetryPolicy{MaxAttempts: 50, BaseDelay: 5 * time.Millisecond, MaxDelay: 50 * time.Millisecond, MaxElapsed: 20 * time.Second}
	})
	var peak atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c.mem.mu.Lock()
			held := c.cfg.MemoryBudget - c.mem.free
			c.mem.mu.Unlock()
			if held > peak.Load() {
				peak.Store(held)
			}
			select {
			case <-stop:
				return
			default:
				runtime.Gosched()
			}
		}
	})
	ids, err := collectItems(t, c, 1)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != rowsN {
		t.Errorf("got %d rows, want %d", len(ids), rowsN)
	}
	if p, limit := peak.Load(), c.cfg.MemoryBudget+c.cfg.MaxBodyBytes; p > limit {
		t.Errorf("held %d bytes at once, want at most the budget and one body, %d", p, limit)
	}
	if p := peak.Load(); p < c.cfg.MemoryBudget/2 {
		t.Errorf("held at most %d bytes, want the test to press on the budget (%d)", p, c.cfg.MemoryBudget)
	}
	if c.mem.free != c.cfg.MemoryBudget {
		t.Errorf("budget has %d free after the calls, want all %d back", c.mem.free, c.cfg.MemoryBudget)
	}
	t.Logf("peak held %d KiB of %d KiB; retries %v", peak.Load()>>10, c.cfg.MemoryBudget>>10, c.Stats().Retries)
}

// TestHostileSlowAnswers: an API that trickles its answer, or never
// answers, holds one page for at most Retry.MaxElapsed, its halvings and
// retries included (was: 60 s per halving, then 5 minutes more).
func TestHostileSlowAnswers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request, inv int64, off, lim int)
	}{
		{"slow-loris body", func(w http.ResponseWriter, r *http.Request, inv int64, off, lim int) {
			w.Header().Set("SoftLayer-Total-Items", "100")
			w.Write([]byte("["))
			for {
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(20 * time.Millisecond):
				}
				if _, err := w.Write([]byte(" ")); err != nil {
					return
				}
			}
		}},
		{"no headers", func(w http.ResponseWriter, r *http.Request, inv int64, off, lim int) {
			<-r.Context().Done()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHostile(t, tc.answer)
			const maxElapsed = 1500 * time.Millisecond
			c := hostileClient(t, h.url(), func(c *Config) {
				c.ItemPageSize, c.MinPageSize = 80, 5 // four halvings
				c.Timeout = time.Second
				c.Retry = RetryPolicy{MaxAttempts: 100, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond, MaxElapsed: maxElapsed}
			})
			t0 := time.Now()
			_, err := collectItems(t, c, 1)
			took := time.Since(t0)
			checkClass(t, err, transient)
			// Without the shared deadline: 4 halvings x Timeout, then
			// MaxElapsed of retries at the floor (5.5 s at least).
			if took > maxElapsed+2*time.Second {
				t.Errorf("the page took %s, want at most MaxElapsed (%s) and some slack", took, maxElapsed)
			}
			if st := c.Stats(); st.PageSizeReductions == 0 {
				t.Errorf("got no page halving, want the timeouts to halve the page (the deadline shared across halvings)")
			}
		})
	}
}

// TestRedirectsNotFollowed: a 3xx to another port of the same host, or to
// another host, is a permanent error naming the Location's host; the
// target never sees a request, so no credential leaves.
func TestRedirectsNotFollowed(t *testing.T) {
	var foreign atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreign.Add(1)
		w.Header().Set("SoftLayer-Total-Items", "0")
		w.Write([]byte("[]"))
	}))
	defer target.Close()
	for _, tc := range []struct {
		name, location, host string
		status               int
	}{
		{"302 to another port", target.URL + "/rest/v3.1/x", strings.TrimPrefix(target.URL, "http://"), 302},
		{"301 to another host", "http://user:hunter2@elsewhere.example:8443/x?k=v", "elsewhere.example:8443", 301},
		{"307 relative", "/rest/v3.1/other", "", 307},
		{"308 without Location", "", "", 308},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHostile(t, func(w http.ResponseWriter, r *http.Request, inv int64, off, lim int) {
				if tc.location != "" {
					w.Header().Set("Location", tc.location)
				}
				w.WriteHeader(tc.status)
			})
			for _, hc := range []*http.Client{nil, {}} { // own client, and one the caller gave
				c := hostileClient(t, h.url(), func(c *Config) { c.HTTPClient = hc })
				_, err := collectItems(t, c, 1)
				checkClass(t, err, permanent)
				var re *RedirectError
				if !errors.As(err, &re) || re.StatusCode != tc.status {
					t.Fatalf("got %v, want a *RedirectError %d", err, tc.status)
				}
				host := tc.host
				if tc.name == "307 relative" {
					host = strings.TrimPrefix(h.srv.URL, "http://")
				}
				if re.Host != host {
					t.Errorf("got Location host %q, want %q", re.Host, host)
				}
				if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "k=v") {
					t.Errorf("got %q, want no user info or query of the Location", err)
				}
			}
			if hc := (&http.Client{}); hc.CheckRedirect != nil {
				t.Errorf("the caller's http.Client was changed")
			}
		})
	}
	if n := foreign.Load(); n != 0 {
		t.Errorf("the redirect target got %d requests, want none", n)
	}
}

// TestTLSMismatchIsPermanent: an https endpoint answered in plain HTTP,
// and a certificate that does not verify, fail at once, permanently.
func TestTLSMismatchIsPermanent(t *testing.T) {
	plain := newHostile(t, func(w http.ResponseWriter, r *http.Request, inv int64, off, lim int) {})
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer tlsSrv.Close()
	for _, tc := range []struct{ name, url string }{
		{"https against http", strings.Replace(plain.url(), "http://", "https://", 1)},
		{"unknown certificate authority", tlsSrv.URL + "/rest/v3.1/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := hostileClient(t, tc.url, func(c *Config) { c.Retry.MaxAttempts = 5 })
			_, err := collectItems(t, c, 1)
			checkClass(t, err, permanent)
			if n := c.Stats().TotalCalls(); n != 1 {
				t.Errorf("got %d calls, want 1 (no retry)", n)
			}
		})
	}
}

// TestInvalidUTF8Replaced: strings that are not UTF-8 come out with
// U+FFFD, are counted in Stats.InvalidUTF8 and warned about; lone
// surrogate escapes too. Nothing invalid leaves extract.
func TestInvalidUTF8Replaced(t *testing.T) {
	h := newHostile(t, func(w http.ResponseWriter, r *http.Request, inv int64, off, lim int) {
		w.Header().Set("SoftLayer-Total-Items", "2")
		w.Write([]byte(`[{"id":1,"invoiceId":1,"description":"caf` + "\xe9" + ` cr` + "\xe8\xe8" + `me","hostName":"h` + "\xff" + `"},` +
			`{"id":2,"invoiceId":1,"description":"lone \udc00 surrogate","categoryCode":"` + "\xed\xa0\x80" + `"}]`))
	})
	var logs bytes.Buffer
	c := hostileClient(t, h.url(), func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	})
	var got []schemas.InvoiceItem
	for it, err := range itemsOf(c, context.Background(), 1) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, it)
	}
	if len(got) != 2 {
		t.Fatalf("got %d items, want 2", len(got))
	}
	want := []string{"caf\uFFFD cr\uFFFDme", "h\uFFFD", "lone \uFFFD surrogate", "\uFFFD"}
	gotS := []string{got[0].Description, *got[0].HostName, got[1].Description, got[1].CategoryCode}
	for i := range want {
		if gotS[i] != want[i] || !utf8.ValidString(gotS[i]) {
			t.Errorf("string %d: got %q, want %q", i, gotS[i], want[i])
		}
	}
	if n := c.Stats().InvalidUTF8; n != 4 {
		t.Errorf("got InvalidUTF8 %d, want 4 (runs replaced)", n)
	}
	if !strings.Contains(logs.String(), "invalid UTF-8") {
		t.Errorf("got logs %q, want a warning", logs.String())
	}
}

// TestAPIErrorMessageBounded: an error text of megabytes, not UTF-8, is
// kept short and valid.
func TestAPIErrorMessageBounded(t *testing.T) {
	h := newHostile(t, func(w http.ResponseWriter, r *http.Request, inv int64, off, lim int) {
		w.WriteHeader(403)
		fmt.Fprintf(w, `{"error":"%s","code":"SoftLayer_Exception_Public"}`, strings.Repeat("\xff", 3<<20))
	})
	c := hostileClient(t, h.url(), nil)
	_, err := collectItems(t, c, 1)
	checkClass(t, err, permanent)
	if msg := err.Error(); len(msg) > 4*maxMessage || !utf8.ValidString(msg) {
		t.Errorf("got a message of %d bytes (valid UTF-8: %v), want at most about %d, valid", len(msg), utf8.ValidString(msg), maxMessage)
	}
}

// TestEndpointSecretsNeverEchoed: endpoints holding a key, parsable or
// not, are refused by messages that hold no part of them.
func TestEndpointSecretsNeverEchoed(t *testing.T) {
	const key = "Zq9-DISTINCTIVE-k3y/x"
	for _, ep := range []string{
		"http://u:" + key + "@127.0.0.1:1/rest/%zz/",
		"http://apikey:" + key + "@127.0.0.1:1/rest/v3.1/",
		"http://" + key + "@api.example/rest/",
		"https://api.example/rest/?apikey=" + key,
		"ftp://" + key + "/",
		"http://u:" + key + "@[::1/",
		"http://u:Zq9-DISTINCTIVE-k3y%@host/",
	} {
		_, err := New(Config{Endpoint: ep, Credentials: Credentials{Username: "u", APIKey: "k"}})
		if err == nil {
			t.Errorf("endpoint accepted, want it refused")
			continue
		}
		for _, part := range []string{key, "DISTINCTIVE", "k3y"} {
			if strings.Contains(err.Error(), part) {
				t.Errorf("got %q, want no part of the endpoint", err)
			}
		}
		if !strings.Contains(err.Error(), "Endpoint") {
			t.Errorf("got %q, want it to name the field", err)
		}
	}
}
