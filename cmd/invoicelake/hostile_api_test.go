//go:build cgo

package main

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/invoicelake/invoicelake/extract/slsim"
	"github.com/invoicelake/invoicelake/schemas"
)

// The hostile API, through the built binary. A lake is exported once from
// the simulator; then each row of the table puts an impersonation of the
// API in front of the simulator that answers one way badly, reruns the
// same export against it, and checks what must happen: the exit code, the
// message, the published lake unchanged byte for byte, no credential in
// any output or file nor sent to another server, and the run's peak memory
// (the child's maximum RSS) and wall time. The same cases, finer grained,
// are in extract/hostile_test.go.

// upstream is the simulator's answer to a request the proxy forwarded.
type upstream struct {
	status int
	header http.Header
	body   []byte
}

// call is what the proxy knows of a request.
type call struct {
	method   string // getInvoices, getItems
	off, lim int
}

func (u *upstream) total() int {
	n, _ := strconv.Atoi(u.header.Get("SoftLayer-Total-Items"))
	return n
}

// relay writes body with u's status and SoftLayer-Total-Items, or total
// instead unless it is "".
func relay(w http.ResponseWriter, u *upstream, total string, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	if total == "" {
		total = u.header.Get("SoftLayer-Total-Items")
	}
	if total != "" {
		w.Header().Set("SoftLayer-Total-Items", total)
	}
	w.WriteHeader(u.status)
	w.Write(body)
}

// rows splits a JSON array of flat-enough objects into its elements.
func rows(t testing.TB, body []byte) []json.RawMessage {
	var out []json.RawMessage
	if err := json.Unmarshal(body, &out); err != nil {
		t.Errorf("simulator body: %v", err)
	}
	return out
}

func array(rs []json.RawMessage) []byte {
	b, _ := json.Marshal(rs)
	return b
}

// hostileProxy forwards to the simulator and lets answer rewrite the result.
func hostileProxy(t *testing.T, simURL string, answer func(w http.ResponseWriter, r *http.Request, c call, u *upstream)) *httptest.Server {
	t.Helper()
	p := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest := strings.TrimPrefix(r.URL.Path, "/rest/v3.1/")
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, simURL+rest+"?"+r.URL.RawQuery, nil)
		req.Header.Set("Authorization", r.Header.Get("Authorization"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var c call
		c.method = strings.TrimSuffix(rest[strings.LastIndexByte(rest, '/')+1:], ".json")
		if rl := r.URL.Query().Get("resultLimit"); rl != "" {
			a, b, _ := strings.Cut(rl, ",")
			c.off, _ = strconv.Atoi(a)
			c.lim, _ = strconv.Atoi(b)
		}
		answer(w, r, c, &upstream{status: resp.StatusCode, header: resp.Header, body: body})
	}))
	t.Cleanup(p.Close)
	return p
}

// lakeDigest is every file of a local lake but the run summaries, with a
// digest of its bytes.
func lakeDigest(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, "_runs/") || strings.HasPrefix(rel, "_state/") && path.Base(rel) == "page_sizes.json" {
			return nil // run summaries and learned page sizes: not published data
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[rel] = fmt.Sprintf("%x", sha256.Sum256(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// grepTree reports the files under dir that contain any of needles.
func grepTree(t *testing.T, dir string, needles ...string) []string {
	t.Helper()
	var hits []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		for _, n := range needles {
			if bytes.Contains(b, []byte(n)) {
				hits = append(hits, p)
			}
		}
		return nil
	})
	return hits
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// childRun is one run of the binary.
type childRun struct {
	code           int
	stdout, stderr string
	took           time.Duration
	maxRSS         int64 // bytes
}

// runChild runs the binary and samples its peak resident set (VmHWM, the
// high-water mark of its own address space since exec) every few
// milliseconds until it exits. Rusage's ru_maxrss would not do: it counts
// the test process's pages that the child shared before exec.
func runChild(t *testing.T, bin string, environ []string, args ...string) childRun {
	t.Helper()
	var stdout, stderr bytes.Buffer
	c := exec.Command(bin, args...)
	c.Env = environ
	c.Stdout, c.Stderr = &stdout, &stderr
	t0 := time.Now()
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var peak atomic.Int64
	go func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			peak.Store(max(peak.Load(), vmHWM(c.Process.Pid)))
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	err := c.Wait()
	close(done)
	return childRun{took: time.Since(t0), stdout: stdout.String(), stderr: stderr.String(), code: exitOf(err), maxRSS: peak.Load()}
}

// hostileGzip is a gzip body, about 1 MiB, that inflates to 1 GiB.
func hostileGzip() []byte {
	var one bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&one, gzip.BestCompression)
	zw.Write(bytes.Repeat([]byte(" "), 1<<20))
	zw.Close()
	var b bytes.Buffer
	zw, _ = gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write([]byte("["))
	zw.Close()
	for range 1024 {
		b.Write(one.Bytes())
	}
	return b.Bytes()
}

func TestHostileAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	srv := startSim(t, slsim.Options{Seed: 12, Months: 3, HeavyInvoiceItems: 400})
	to := schemas.PeriodOf(srv.Sim().Now().In(central))
	from := to.AddMonths(-1)
	// Short budgets so that each failing case ends in seconds; the
	// defaults' bounds are in docs/RELIABILITY.md ("Worst case").
	cfg := filepath.Join(t.TempDir(), "hostile.yaml")
	os.WriteFile(cfg, []byte("source:\n  timeout: 2s\n  max_attempts: 2\n  max_retry_time: 4s\n"+
		"  invoice_page_size: 4\n  item_page_size: 25\n"+
		// Pages stay at these sizes (growth off): the cases below need
		// listings of several pages.
		"  max_page_size: 2\n"), 0o644)
	lake := t.TempDir()
	basic := base64.StdEncoding.EncodeToString([]byte(slsim.DefaultUser + ":" + testAPIKey))
	environ := func(endpoint string) []string {
		var env []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "SL_") {
				env = append(env, kv)
			}
		}
		return append(env, "SL_USERNAME="+slsim.DefaultUser, "SL_API_KEY="+testAPIKey, "SL_ENDPOINT_URL="+endpoint)
	}
	export := func(endpoint, out string) childRun {
		return runChild(t, bin, environ(endpoint), "export", "--config", cfg, "--from", from.String(), "--to", to.String(),
			"--out", out, "--log-format", "json")
	}
	good := export(srv.URL(), lake)
	if good.code != 0 {
		t.Fatalf("good export: exit %d\n%s", good.code, good.stderr)
	}
	published := lakeDigest(t, lake)
	if len(published) < 4 {
		t.Fatalf("good export published %d files, want a lake", len(published))
	}
	t.Logf("good export: %s, peak RSS %d MiB, %d files", good.took.Round(time.Millisecond), good.maxRSS>>20, len(published))

	// foreign is another server: a redirect's target. It must never be
	// called, let alone with a credential.
	var foreignCalls atomic.Int64
	var foreignAuth atomic.Value
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreignCalls.Add(1)
		foreignAuth.Store(r.Header.Get("Authorization"))
		w.Header().Set("SoftLayer-Total-Items", "0")
		w.Write([]byte("[]"))
	}))
	defer foreign.Close()
	bomb := hostileGzip()

	type tc struct {
		name   string // the case number first
		sends  string
		answer func(w http.ResponseWriter, r *http.Request, c call, u *upstream)
		// endpoint, if set, replaces the proxy's URL (%s: the proxy's host:port).
		endpoint string
		code     int
		msg      string // a regexp the error line must match
		// changes: the case publishes (on a copy of the lake); check
		// instead that DuckDB reads it.
		changes bool
		within  time.Duration // wall-time bound; default 30s
		maxRSS  int64         // peak RSS bound; default 128 MiB
	}
	invoices := func(f func(w http.ResponseWriter, c call, u *upstream)) func(w http.ResponseWriter, r *http.Request, c call, u *upstream) {
		return func(w http.ResponseWriter, r *http.Request, c call, u *upstream) {
			if c.method != "getInvoices" {
				relay(w, u, "", u.body)
				return
			}
			f(w, c, u)
		}
	}
	items := func(f func(w http.ResponseWriter, c call, u *upstream)) func(w http.ResponseWriter, r *http.Request, c call, u *upstream) {
		return func(w http.ResponseWriter, r *http.Request, c call, u *upstream) {
			if c.method != "getItems" {
				relay(w, u, "", u.body)
				return
			}
			f(w, c, u)
		}
	}
	cases := []tc{
		{name: "1 empty invoice list", sends: "getInvoices answers [] with the true SoftLayer-Total-Items", code: 1,
			msg: `0 rows, but SoftLayer-Total-Items is \d+`,
			answer: invoices(func(w http.ResponseWriter, c call, u *upstream) {
				relay(w, u, strconv.Itoa(u.total()), []byte("[]"))
			})},
		{name: "1 null invoice list", sends: "getInvoices answers null", code: 1, msg: `null where an array was expected`,
			answer: invoices(func(w http.ResponseWriter, c call, u *upstream) { relay(w, u, "", []byte("null")) })},
		{name: "1 bare object", sends: "getInvoices answers its first row as a bare object (limit was 4)", code: 1,
			msg: `a bare object where an array was expected`,
			answer: invoices(func(w http.ResponseWriter, c call, u *upstream) {
				relay(w, u, "", rows(t, u.body)[0])
			})},
		{name: "1 one-row pages", sends: "getInvoices answers 1 row per page, with the true total", code: 1,
			msg: `1 rows, but SoftLayer-Total-Items is \d+`,
			answer: invoices(func(w http.ResponseWriter, c call, u *upstream) {
				relay(w, u, "", array(rows(t, u.body)[:1]))
			})},
		{name: "1 no total header", sends: "getInvoices answers the right rows without SoftLayer-Total-Items", code: 1,
			msg: `no usable SoftLayer-Total-Items header`,
			answer: invoices(func(w http.ResponseWriter, c call, u *upstream) {
				w.Header().Set("Content-Type", "application/json")
				w.Write(u.body)
			})},
		{name: "1 total shrinks mid-listing", sends: "getInvoices: after the first page, the list ends early (total and rows agree)", code: 1,
			msg: `shrank from \d+ to \d+|the list now ends before rows already read`,
			answer: invoices(func(w http.ResponseWriter, c call, u *upstream) {
				if c.off == 0 {
					relay(w, u, "", u.body)
					return
				}
				relay(w, u, strconv.Itoa(c.off+1), array(rows(t, u.body)[:1])) // only the anchor row
			})},
		{name: "1 items short of itemCount", sends: "getItems: every invoice's items list ends at half (total and rows agree)", code: 1,
			msg: `fewer than the invoice's itemCount|shrank|ends before`,
			answer: items(func(w http.ResponseWriter, c call, u *upstream) {
				half := u.total() / 2
				rs := rows(t, u.body)
				keep := max(0, min(len(rs), half-c.off))
				relay(w, u, strconv.Itoa(half), array(rs[:keep]))
			})},
		{name: "3 total of 1e12", sends: "getInvoices: a full first page with SoftLayer-Total-Items 1000000000000", code: 2,
			msg: `1000000000000 is above the limit of 1000000`,
			answer: invoices(func(w http.ResponseWriter, c call, u *upstream) {
				relay(w, u, "1000000000000", array(rows(t, u.body)[:min(c.lim, len(rows(t, u.body)))]))
			})},
		{name: "4 redirect to another port", sends: "302 to the same host, another port", code: 2,
			msg: `HTTP 302 with a redirect to host "127\.0\.0\.1:\d+": redirects are not followed`,
			answer: func(w http.ResponseWriter, r *http.Request, c call, u *upstream) {
				http.Redirect(w, r, foreign.URL+r.URL.RequestURI(), http.StatusFound)
			}},
		{name: "4 redirect to another host", sends: "301 to another host name, user info in the Location", code: 2,
			msg: `HTTP 301 with a redirect to host "attacker\.example:8080"`,
			answer: func(w http.ResponseWriter, r *http.Request, c call, u *upstream) {
				w.Header().Set("Location", "http://x:"+testAPIKey+"@attacker.example:8080/rest/v3.1/")
				w.WriteHeader(http.StatusMovedPermanently)
			}},
		{name: "5 items never end", sends: "getItems: full pages of growing ids, the total always one page ahead", code: 1,
			msg: `with itemCount \d+ \(limit itemCount \+ 10% \+ 1000\): \d+ is above the limit of \d+`,
			answer: items(func(w http.ResponseWriter, c call, u *upstream) {
				relay(w, u, strconv.Itoa(c.off+c.lim+1), synthItems(9_000_000_000+c.off, c.lim))
			})},
		{name: "5 server ignores the offset", sends: "getItems: every page is the first page", code: 1,
			msg: `the row before it is id \d+, want \d+`,
			answer: items(func(w http.ResponseWriter, c call, u *upstream) {
				relay(w, u, "1000", synthItems(1, c.lim))
			})},
		{name: "6 gzip bomb", sends: "getItems: a 1 MiB gzip body that inflates to 1 GiB, every invoice at once", code: 2,
			msg: `response body \(after decompression\): \d+ is above the limit of 4194304`,
			answer: items(func(w http.ResponseWriter, c call, u *upstream) {
				w.Header().Set("Content-Encoding", "gzip")
				w.Header().Set("SoftLayer-Total-Items", "1")
				w.Write(bomb)
			})},
		{name: "6 maximal pages everywhere", sends: "getItems: every page just under the 4 MiB body cap (25 items of 150 KiB), the true item counts",
			code: 0, changes: true, maxRSS: 256 << 20,
			answer: items(func(w http.ResponseWriter, c call, u *upstream) {
				n := u.total()
				var b bytes.Buffer
				b.WriteByte('[')
				for i := c.off; i < min(c.off+c.lim, n); i++ {
					if i > c.off {
						b.WriteByte(',')
					}
					fmt.Fprintf(&b, `{"id":%d,"categoryCode":"guest_core","recurringFee":"1.00","description":"%s"}`, i+1, bigDescription)
				}
				b.WriteByte(']')
				relay(w, u, strconv.Itoa(n), b.Bytes())
			})},
		{name: "6 string of 2 MiB", sends: "getItems: a description of 2 MiB", code: 2,
			msg: `string at byte \d+ of the answer: \d+ is above the limit of 1048576`,
			answer: items(func(w http.ResponseWriter, c call, u *upstream) {
				long := []byte(`"description":"` + strings.Repeat("A", 2<<20))
				relay(w, u, "", bytes.Replace(u.body, []byte(`"description":"`), long, 1))
			})},
		{name: "7 invalid UTF-8", sends: "getItems: bytes that are not UTF-8 in every description", code: 0, changes: true,
			answer: items(func(w http.ResponseWriter, c call, u *upstream) {
				relay(w, u, "", bytes.ReplaceAll(u.body, []byte(`"description":"`), []byte("\"description\":\"\xff\xfe ")))
			})},
		{name: "10 endpoint with user info", sends: "SL_ENDPOINT_URL=http://u:KEY@host/rest/%zz/ (unparsable)", code: 2,
			endpoint: "http://u:" + testAPIKey + "@%s/rest/%%zz/", msg: `source.endpoint: not an http\(s\) URL`},
		{name: "10 endpoint with a key holding a slash", sends: "SL_ENDPOINT_URL=http://KEY/x@host/rest/ (parses, host = key)", code: 2,
			endpoint: "http://" + testAPIKey + "/x@%s/rest/v3.1/", msg: `Endpoint: must not carry user info`},
		{name: "14 slow-loris", sends: "every answer trickles one byte per 100 ms, forever", code: 1,
			within: 4*time.Second + 2*time.Second + 3*time.Second, // max_retry_time + timeout + start and exit
			msg:    `timeout|deadline|giving up`,
			answer: func(w http.ResponseWriter, r *http.Request, c call, u *upstream) {
				w.Header().Set("SoftLayer-Total-Items", "10")
				w.Write([]byte("["))
				for {
					w.(http.Flusher).Flush()
					select {
					case <-r.Context().Done():
						return
					case <-time.After(100 * time.Millisecond):
					}
					if _, err := w.Write([]byte(" ")); err != nil {
						return
					}
				}
			}},
		{name: "9 https against http", sends: "SL_ENDPOINT_URL=https://… of a server that speaks plain HTTP", code: 2,
			endpoint: "https://%s/rest/v3.1/", msg: `server gave HTTP response to HTTPS client`},
	}
	var report []string
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			answer := tc.answer
			if answer == nil {
				answer = func(w http.ResponseWriter, r *http.Request, c call, u *upstream) { relay(w, u, "", u.body) }
			}
			proxy := hostileProxy(t, srv.URL(), answer)
			endpoint := proxy.URL + "/rest/v3.1/"
			if tc.endpoint != "" {
				endpoint = fmt.Sprintf(tc.endpoint, strings.TrimPrefix(proxy.URL, "http://"))
			}
			out := lake
			if tc.changes {
				out = t.TempDir()
				copyTree(t, lake, out)
			}
			before := foreignCalls.Load()
			r := export(endpoint, out)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\n%s", r.code, tc.code, r.stderr)
			}
			// The error: its line, and the line of detail after a headline.
			errLine := ""
			lines := strings.Split(r.stderr, "\n")
			for i, l := range lines {
				if strings.HasPrefix(l, "invoicelake: ") {
					errLine = l
					if i+1 < len(lines) && strings.HasPrefix(lines[i+1], "  error: ") {
						errLine += " " + strings.TrimSpace(lines[i+1])
					}
				}
			}
			if tc.msg != "" && !regexp.MustCompile(tc.msg).MatchString(errLine) {
				t.Errorf("got error line %q, want it to match %q", errLine, tc.msg)
			}
			if tc.changes {
				if got := duckPeriods(t, out); len(got) == 0 {
					t.Errorf("DuckDB read no period from the lake")
				}
			}
			if tc.name == "7 invalid UTF-8" {
				if !strings.Contains(r.stderr, "invalid UTF-8") || !regexp.MustCompile(`"invalid_utf8_replaced":[1-9]`).MatchString(r.stderr) {
					t.Errorf("got stderr without the warning and the count of replacements:\n%s", r.stderr)
				}
			}
			if diff := diffDigests(published, lakeDigest(t, lake)); diff != "" {
				t.Errorf("the published lake changed:\n%s", diff)
			}
			if n := foreignCalls.Load() - before; n != 0 {
				t.Errorf("another server got %d requests (Authorization %q), want none", n, foreignAuth.Load())
			}
			for _, s := range []string{testAPIKey, basic} {
				if strings.Contains(r.stdout+r.stderr, s) {
					t.Errorf("a credential is in the output:\n%s", r.stderr)
				}
			}
			if hits := grepTree(t, out, testAPIKey, basic); len(hits) > 0 {
				t.Errorf("a credential is in %v", hits)
			}
			// Bounds: the defaults' memory budget (32 MiB, 4 MiB a body) and
			// this config's per-page deadline (max_retry_time 4s).
			// The API side holds at most 32 MiB + 5 listings x 4 MiB; Go's
			// heap may reach twice what is live, and the rest of the
			// pipeline holds rows too (with 150 KiB strings: more).
			if limit := cmp.Or(tc.maxRSS, 128<<20); r.maxRSS > limit {
				t.Errorf("peak RSS %d MiB, want at most %d MiB", r.maxRSS>>20, limit>>20)
			}
			within := cmp.Or(tc.within, 30*time.Second)
			if r.took > within {
				t.Errorf("took %s, want at most %s", r.took, within)
			}
			report = append(report, fmt.Sprintf("| %s | %s | %d | %s | %d MiB | %s |", tc.name, tc.sends, r.code,
				strings.TrimPrefix(errLine, "invoicelake: ")[:min(len(errLine), 80)], r.maxRSS>>20, r.took.Round(100*time.Millisecond)))
		})
	}
	t.Logf("good export: peak RSS %d MiB\n%s", good.maxRSS>>20, strings.Join(report, "\n"))
}

var bigDescription = strings.Repeat("D", 150<<10)

// synthItems is a page of n items with ids from first.
func synthItems(first, n int) []byte {
	var b bytes.Buffer
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"categoryCode":"guest_core","recurringFee":"1.00","createDate":"2026-06-01T00:00:00-05:00"}`, first+i)
	}
	b.WriteByte(']')
	return b.Bytes()
}

func diffDigests(want, got map[string]string) string {
	var d []string
	for k, v := range want {
		if got[k] != v {
			d = append(d, "changed or gone: "+k)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			d = append(d, "new: "+k)
		}
	}
	sort.Strings(d)
	return strings.Join(d, "\n")
}

// worstCaseSection is the part of docs/RELIABILITY.md about hostile API
// answers and the bounds of a run; `make chaos` writes it after the fuzz
// targets. Its figures come from TestHostileAPI (it logs its table) and
// extract's hostile tests.
const worstCaseSection = `
## Worst case, whatever the API sends (default settings)

Defaults: ` + "`source.timeout: 60s`, `max_attempts: 8`, `max_retry_time: 5m`, `concurrency: 4`" + `, 8 pages of a
listing fetched at once, pages of 50 invoices and 100 items; and the client's limits (extract.Config):
4 MiB a response body (after decompression), a 32 MiB memory budget for the answers held at once,
1 MiB a string, 1,000,000 rows a listing, ` + "`itemCount` + 10% + 1000" + ` items an invoice, 256 MiB the spill
of one invoice.

**Complete or an error.** A listing ends without an error only when its pages add up to
` + "`SoftLayer-Total-Items`" + `: every answer must be a JSON array (a bare object only where a limit of 1 was
asked) of exactly min(limit, total − offset) rows; an invoice's items must reach its ` + "`itemCount`" + `.
An answer that does not agree with its own total is asked again, then ends the run with exit 1
(` + "`incomplete listing`" + `): the period is not published. An answer **without** the header is treated the
same way: the real API always sends it on paged calls, and without it a short page cannot be told
from a hidden one. Rows **appended** while paging (new ids sort last, the total grows) are read too:
paging goes on to the latest total. A total that **shrinks**, or a row before the offset that is not
the last row read (rows inserted or removed before it, an API that ignores the offset), or rows that
repeat, end the listing with exit 1: SoftLayer deletes neither invoices nor their items, so that is
never a legitimate end of a list.

**Time.** One page, every attempt and every halving included, takes at most ` + "`max_retry_time`" + ` (5 min),
each attempt at most ` + "`timeout`" + ` (60 s) from connect to the last byte of its body. Before: 543 s were
measured against a slow-loris API (a fresh 60 s per halving, then 5 minutes of retries); now the test
below (timeout 2s, max_retry_time 4s) ends its run after 4.0 s. An API that stops answering ends
the run within 5 minutes: every call in flight ends by its deadline and the first error ends the
run. An API that answers, however slowly, cannot make a run loop: every call advances its listing by
a full page or ends it, and a listing ends at its declared total, capped (1,000,000 invoices a
query; ` + "`itemCount` + 10% + 1000" + ` items an invoice; 1,000,000 when ` + "`itemCount`" + ` is missing); so a run makes at
most ceil(rows / page) calls a listing, plus halvings, each at most 60 s (5 min with retries). The
CronJob's ` + "`activeDeadlineSeconds`" + ` (5400) bounds the wall clock of a Job.

**Memory.** No allocation follows a number the API sends: a total of 10^12 is refused before any
plan, a listing holds at most 8 pages ahead, an answer with more rows than asked is refused before it
is decoded. The client holds at most 32 MiB + (concurrency + 1) × 4 MiB = **52 MiB** of the API's
answers (bodies while read, and the rows decoded from them until they are passed on; the page each
listing waits for may overdraw the budget by one body, so that pages fetched ahead can never starve
it). Measured peak RSS of the binary (VmHWM): a good export 25 MiB; four 1 GiB gzip bombs at once
**47 MiB** (before: 3.96 GB for one, out of memory for four); pages at the 4 MiB cap everywhere
(25 items of 150 KiB strings each, every invoice) **191 MiB**, the heaviest case: Go's heap reaches
about twice what is live, and the rest of the pipeline holds rows of 150 KiB strings too. Disk: at
most 17 spills exist at once (4 × concurrency waiting, one being read), each at most 256 MiB.

**The hostile API** (` + "`TestHostileAPI`" + `, cmd/invoicelake/hostile_api_test.go, part of ` + "`make test`" + `): an
export from the simulator publishes a lake; then each row puts an impersonation of the API in front of
the simulator and reruns the same export with the built binary. Every row also holds: the published
lake is unchanged byte for byte (all files but ` + "`_runs/`" + `), neither the API key nor its Basic
header is in any output or file, and no request reached another server. Issue 12 case numbers.

| # | what the API sends | exit | what the run says | peak RSS | time |
|---|---|---|---|---|---|
| 1 | getInvoices ` + "`[]`" + ` with the true total | 1 | incomplete listing: 0 rows, but SoftLayer-Total-Items is N | 17 MiB | 0.1s |
| 1 | getInvoices ` + "`null`" + ` | 1 | null where an array was expected | 17 MiB | 0.2s |
| 1 | getInvoices: a bare object (limit 4) | 1 | a bare object where an array was expected | 17 MiB | 0.5s |
| 1 | getInvoices: 1 row a page, the true total | 1 | 1 rows, but SoftLayer-Total-Items is N | 17 MiB | 0.6s |
| 1 | getInvoices: the right rows, no total header | 1 | no usable SoftLayer-Total-Items header | 16 MiB | 0.5s |
| 1 | getInvoices: after page 1 the list ends early, total and rows agreeing | 1 | SoftLayer-Total-Items shrank from N to M | 17 MiB | 0.0s |
| 1 | getItems: every invoice's items end at half, total and rows agreeing | 1 | N items, fewer than the invoice's itemCount M | 18 MiB | 0.2s |
| 3 | getInvoices: a full page with total 1000000000000 | 2 | 1000000000000 is above the limit of 1000000 | 17 MiB | 0.1s |
| 4 | 302 to another port of the same host | 2 | HTTP 302 with a redirect to host "127.0.0.1:P": redirects are not followed | 16 MiB | 0.0s |
| 4 | 301 to another host, user info in the Location | 2 | HTTP 301 with a redirect to host "attacker.example:8080" | 16 MiB | 0.0s |
| 5 | getItems: full pages of growing ids forever, the total one page ahead | 1 | … with itemCount N (limit itemCount + 10% + 1000): M is above the limit | 21 MiB | 5.5s |
| 5 | getItems: every page is the first page (offset ignored) | 1 | the row before it is id 1, want N (the last row read) | 18 MiB | 0.7s |
| 6 | getItems: 1 MiB of gzip inflating to 1 GiB, every invoice at once | 2 | response body (after decompression): 4194305 is above the limit of 4194304 | 47 MiB | 0.4s |
| 6 | getItems: every page just under 4 MiB (strings of 150 KiB) | 0 | published (on a copy of the lake); DuckDB reads it | 191 MiB | 2.8s |
| 6 | getItems: a description of 2 MiB | 2 | string at byte N of the answer: M is above the limit of 1048576 | 29 MiB | 0.2s |
| 7 | getItems: bytes that are not UTF-8 in every description | 0 | replaced with U+FFFD, warned, counted (` + "`api_invalid_utf8_replaced`" + `); DuckDB reads the lake | 26 MiB | 0.9s |
| 9 | an https endpoint on a plain HTTP server | 2 | server gave HTTP response to HTTPS client (check the endpoint's scheme …) | 17 MiB | 0.0s |
| 10 | ` + "`SL_ENDPOINT_URL=http://u:KEY@host/rest/%zz/`" + ` (does not parse) | 2 | not an http(s) URL … (the value is not repeated here) | 14 MiB | 0.0s |
| 10 | ` + "`SL_ENDPOINT_URL=http://KEY/x@host/rest/`" + ` (parses: the key is the host) | 2 | must not carry user info … (the value is not repeated here) | 13 MiB | 0.0s |
| 14 | every answer trickles a byte per 100 ms, forever | 1 | giving up after … (the page's deadline) | 17 MiB | 4.0s |

**Held: 20 of 20.** Finer-grained cases (a memory budget pressed by eight pages at once, a body over
the cap without compression or with a false Content-Length, two total headers, escaped strings over
the cap, TLS certificates that do not verify, error texts of megabytes) are in extract/hostile_test.go.
`
