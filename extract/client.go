package extract

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"
)

// Client pages through SoftLayer billing data. It is safe for concurrent
// use; all its calls share one rate limiter and one set of counters.
type Client struct {
	cfg     Config
	hc      *http.Client
	ownHC   bool
	limiter *rate.Limiter
	log     *slog.Logger
	auth    string // the Authorization header value; never logged
	stats   counters
	mem     *budget // response bytes held at once, all calls together
	tune    tuners  // page sizes, one tuner per list method

	utf8Warnings atomic.Int64
	answered     atomic.Bool // the endpoint has answered at least once
}

// New validates cfg (after defaults) and returns a Client. Errors name the
// offending field.
func New(cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, log: cfg.Logger, mem: newBudget(cfg.MemoryBudget)}
	if cfg.HTTPClient == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = maxIdleConnsPerEndpoint
		t.MaxIdleConns = maxIdleConnsPerEndpoint
		t.MaxResponseHeaderBytes = maxHeaderBytes
		c.hc = &http.Client{Transport: t}
		c.ownHC = true
	} else {
		hc := *cfg.HTTPClient // a copy: the caller's client keeps its own policy
		c.hc = &hc
	}
	// No redirect is followed, whoever built the client: the
	// Authorization header must never leave for another host or port.
	c.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if cfg.Rate > apiRateLimitPerSecond {
		c.log.Warn("extract: request rate is above the API's limit; expect rate-limit errors",
			"rate", cfg.Rate, "api_limit", apiRateLimitPerSecond)
	}
	c.limiter = rate.NewLimiter(rate.Limit(cfg.Rate), cfg.Burst)
	if tok := cfg.Credentials.BearerToken; !tok.IsZero() {
		c.auth = "Bearer " + tok.Reveal()
	} else {
		c.auth = "Basic " + base64.StdEncoding.EncodeToString(
			[]byte(cfg.Credentials.Username+":"+cfg.Credentials.APIKey.Reveal()))
	}
	return c, nil
}

// Close releases idle connections of the client's own transport. A Client
// has no goroutines of its own; Close only matters to leak checkers and
// long-lived processes that drop clients.
func (c *Client) Close() {
	if c.ownHC {
		c.hc.CloseIdleConnections()
	}
}

// Stats returns a snapshot of the counters.
func (c *Client) Stats() Stats { return c.stats.snapshot() }

// request is one API call.
type request struct {
	service string // "SoftLayer_Account"
	id      int64  // init parameter, 0 for none
	method  string // "getInvoices"
	mask    string
	filter  string
	offset  int
	limit   int // 0: no resultLimit
	// shrinkable: "too much data" and timeouts are returned at once as
	// *shrinkError so the pager can halve the page instead of waiting.
	shrinkable bool
	// deadline ends every attempt of this call; the pager keeps it across
	// the halvings of one page. Zero: Retry.MaxElapsed from the first
	// attempt.
	deadline time.Time
	// hold, if set, receives the memory budget of a successful answer's
	// body (len(body)), which then stands for the rows decoded from it
	// until the pager gives it back. head reports whether the call is for
	// the range its listing waits for: such a call may overdraw the
	// budget, so that ranges fetched ahead and holding it can never
	// starve the one that would release them.
	hold *int64
	head func() bool
	// took, if set, receives the duration of the successful attempt,
	// its waits for the memory budget excluded (memWait): the time the
	// API took, for the page tuner, not the time the pipeline held it.
	took    *time.Duration
	memWait time.Duration
}

func (r *request) name() string { return r.service + "::" + r.method }

func (r *request) url(endpoint string) string {
	var b bytes.Buffer
	b.WriteString(endpoint)
	b.WriteString(r.service)
	if r.id != 0 {
		b.WriteByte('/')
		b.WriteString(strconv.FormatInt(r.id, 10))
	}
	b.WriteByte('/')
	b.WriteString(r.method)
	b.WriteString(".json")
	q := url.Values{}
	if r.mask != "" {
		q.Set("objectMask", r.mask)
	}
	if r.filter != "" {
		q.Set("objectFilter", r.filter)
	}
	if r.limit > 0 {
		q.Set("resultLimit", strconv.Itoa(r.offset)+","+strconv.Itoa(r.limit))
	}
	if len(q) > 0 {
		b.WriteByte('?')
		b.WriteString(q.Encode())
	}
	return b.String()
}

func (r *request) where() string {
	if r.limit == 0 {
		if r.id != 0 {
			return fmt.Sprintf("%s id=%d", r.name(), r.id)
		}
		return r.name()
	}
	if r.id != 0 {
		return fmt.Sprintf("%s id=%d offset=%d limit=%d", r.name(), r.id, r.offset, r.limit)
	}
	return fmt.Sprintf("%s offset=%d limit=%d", r.name(), r.offset, r.limit)
}

// shrinkError asks the pager to halve the page ("too much data" or a timeout).
type shrinkError struct {
	cause string
	err   error
}

func (e *shrinkError) Error() string { return e.err.Error() }
func (e *shrinkError) Unwrap() error { return e.err }

// decodeFunc decodes a successful body; total is SoftLayer-Total-Items, -1
// when absent. A *SyntaxError from it is retried like a truncated body.
type decodeFunc func(body []byte, total int) error

// call performs r through the rate limiter and the retry layer and hands
// the body to decode. It is the only place that retries. Every attempt
// ends by r.deadline (Retry.MaxElapsed after the first attempt unless the
// pager set it), connect, headers and body included.
func (c *Client) call(ctx context.Context, r request, decode decodeFunc) error {
	start := time.Now()
	pol := c.cfg.Retry
	if r.deadline.IsZero() {
		r.deadline = start.Add(pol.MaxElapsed)
	}
	for attempt := 1; ; attempt++ {
		obs := Attempt{Method: r.name()}
		r.memWait = 0
		err := c.attempt(ctx, &r, decode, &obs)
		if err == nil {
			c.observe(&obs, OutcomeOK)
			if r.took != nil {
				*r.took = obs.Duration - r.memWait
			}
			return nil
		}
		if ctx.Err() != nil {
			c.observe(&obs, OutcomeCanceled)
			return fmt.Errorf("extract: %s: %w", r.where(), context.Cause(ctx))
		}
		retry, cause := classify(err)
		var le *LimitError
		if r.shrinkable && errors.As(err, &le) && le.body {
			// A page too big for MaxBodyBytes is halved, like "too much
			// data"; at the smallest page it is an error.
			c.observe(&obs, CauseTooMuchData)
			return &shrinkError{cause: CauseTooMuchData, err: err}
		}
		if !retry {
			c.observe(&obs, OutcomeError)
			return fmt.Errorf("extract: %s: %w", r.where(), err)
		}
		c.observe(&obs, cause) // a retried cause, or the one that ends the call below
		if cause == CauseConnect && !c.answered.Load() {
			// Nothing ever answered at this endpoint: its host or port, or
			// the network, is wrong. Say so now, not after the retry budget.
			return fmt.Errorf("extract: %s: %w", r.where(), err)
		}
		if r.shrinkable && (cause == CauseTooMuchData || cause == CauseTimeout) {
			return &shrinkError{cause: cause, err: err}
		}
		delay := backoff(pol, attempt)
		if attempt >= pol.MaxAttempts || time.Now().Add(delay).After(r.deadline) {
			return fmt.Errorf("extract: %s: giving up after %d attempts in %s: %w",
				r.where(), attempt, time.Since(start).Round(time.Millisecond), err)
		}
		c.stats.retry(cause)
		c.observeRetry(cause)
		c.log.DebugContext(ctx, "extract: retrying", "call", r.where(), "cause", cause,
			"attempt", attempt, "delay", delay, "err", err)
		if err := sleep(ctx, delay); err != nil {
			return fmt.Errorf("extract: %s: %w", r.where(), err)
		}
	}
}

// backoff is exponential with full jitter: uniform in [0, min(max, base*2^(n-1))).
func backoff(p RetryPolicy, attempt int) time.Duration {
	d := p.MaxDelay
	if attempt-1 < 32 {
		if e := p.BaseDelay << (attempt - 1); e > 0 && e < d {
			d = e
		}
	}
	if d <= 0 {
		return 0
	}
	return rand.N(d)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// Sizes of the response reader. A body starts in a pooled buffer
// (bodyChunk to maxPooled bytes, reserved whole from the memory budget)
// and doubles, each growth reserved first, up to Config.MaxBodyBytes.
const (
	bodyChunk      = 64 << 10
	maxPooled      = 1 << 20
	maxHeaderBytes = 64 << 10 // response headers, own transport only
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, bodyChunk); return &b }}

// budget counts what the client holds of the API's answers at once:
// bodies, and the rows decoded from them until the pager has passed them
// on. A call waits for room before it reads and before its body grows. A
// call for the range its listing waits for (head) never waits: it may
// overdraw the budget, by at most one body per listing. So there is no
// deadlock: whatever holds the budget is a range behind its listing's
// head, and every head makes progress, releases its rows when they are
// passed on, and hands the head to the next range.
type budget struct {
	mu      sync.Mutex
	free    int64
	changed chan struct{} // closed and replaced when bytes are given back or a head moves
}

func newBudget(n int64) *budget { return &budget{free: n, changed: make(chan struct{})} }

func (b *budget) take(ctx context.Context, n int64, head func() bool) error {
	for {
		b.mu.Lock()
		if b.free >= n || (head != nil && head()) {
			b.free -= n
			b.mu.Unlock()
			return nil
		}
		ch := b.changed
		b.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// takeMem takes n bytes of the budget for r, counting the wait in
// r.memWait.
func (c *Client) takeMem(ctx context.Context, r *request, n int64) error {
	t0 := time.Now()
	err := c.mem.take(ctx, n, r.head)
	r.memWait += time.Since(t0)
	return err
}

func (b *budget) give(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.free += n
	b.mu.Unlock()
	b.wake()
}

// wake lets waiters check again (a head moved).
func (b *budget) wake() {
	b.mu.Lock()
	close(b.changed)
	b.changed = make(chan struct{})
	b.mu.Unlock()
}

// heldBody is a response body and the budget it holds.
type heldBody struct {
	buf  []byte
	held int64
}

// release gives the body's bytes back to the budget and its buffer to the
// pool.
func (c *Client) release(hb *heldBody) {
	c.mem.give(hb.held)
	if cap(hb.buf) >= bodyChunk && cap(hb.buf) <= maxPooled {
		b := hb.buf[:0]
		bufPool.Put(&b)
	}
	*hb = heldBody{}
}

// readBody reads a response body, after decompression, within
// Config.MaxBodyBytes and the memory budget, into hb.
func (c *Client) readBody(ctx context.Context, r *request, resp *http.Response, hb *heldBody) error {
	limit := c.cfg.MaxBodyBytes
	if resp.ContentLength > limit {
		return &LimitError{What: "response body (Content-Length)", Limit: limit, Got: resp.ContentLength, body: true}
	}
	buf := (*bufPool.Get().(*[]byte))[:0]
	if err := c.takeMem(ctx, r, int64(cap(buf))); err != nil {
		return err
	}
	hb.buf, hb.held = buf, int64(cap(buf))
	var probe [1]byte
	for {
		if len(hb.buf) == cap(hb.buf) {
			if int64(len(hb.buf)) >= limit {
				// Full at the limit: one more byte is one too many.
				n, err := io.ReadFull(resp.Body, probe[:])
				if n > 0 {
					return &LimitError{What: "response body (after decompression)", Limit: limit, Got: limit + 1, body: true}
				}
				if err == io.EOF {
					return nil
				}
				return err
			}
			// The budget counts the live buffer; the old one is garbage.
			n := min(max(int64(2*cap(hb.buf)), bodyChunk), limit)
			if err := c.takeMem(ctx, r, n-int64(cap(hb.buf))); err != nil {
				return err
			}
			nb := make([]byte, len(hb.buf), n)
			copy(nb, hb.buf)
			hb.buf, hb.held = nb, n
		}
		n, err := resp.Body.Read(hb.buf[len(hb.buf):cap(hb.buf)])
		hb.buf = hb.buf[:len(hb.buf)+n]
		c.stats.bytes.Add(int64(n))
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// repairUTF8 replaces each run of bytes that is not UTF-8 with U+FFFD into
// dst (at most 2*len(b)+3 bytes long) and returns the number of runs.
func repairUTF8(dst, b []byte) ([]byte, int64) {
	var runs int64
	bad := false
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			if !bad {
				dst = append(dst, "\uFFFD"...)
				runs++
				bad = true
			}
			b = b[1:]
			continue
		}
		bad = false
		dst = append(dst, b[:size]...)
		b = b[size:]
	}
	return dst, runs
}

// validBody returns body as valid UTF-8: itself, or a repaired copy that
// holds budget until done is called (waiting for room like a body). Every string that leaves extract
// comes from such a body (the decoder turns lone \u surrogates into U+FFFD
// too), so nothing a Parquet reader would refuse is ever yielded.
func (c *Client) validBody(ctx context.Context, r *request, body []byte) (out []byte, done func(), err error) {
	if utf8.Valid(body) {
		return body, func() {}, nil
	}
	need := int64(2*len(body) + 3)
	if err := c.takeMem(ctx, r, need); err != nil {
		return nil, nil, err
	}
	fixed, runs := repairUTF8(make([]byte, 0, need), body)
	c.stats.invalidUTF8.Add(runs)
	if n := c.utf8Warnings.Add(1); n <= maxUTF8Warnings {
		msg := "extract: invalid UTF-8 in an API answer, replaced with U+FFFD"
		if n == maxUTF8Warnings {
			msg += " (further answers are counted, not logged)"
		}
		c.log.WarnContext(ctx, msg, "call", r.where(), "sequences", runs)
	}
	return fixed, func() { c.mem.give(need) }, nil
}

// maxUTF8Warnings bounds the warnings about invalid UTF-8 of one client;
// Stats.InvalidUTF8 counts them all.
const maxUTF8Warnings = 10

// locationHost returns the host[:port] a redirect points to, or "".
func locationHost(resp *http.Response) string {
	loc := resp.Header.Get("Location")
	if loc == "" || resp.Request == nil {
		return ""
	}
	u, err := resp.Request.URL.Parse(loc)
	if err != nil || len(u.Host) > 300 {
		return ""
	}
	return u.Host
}

// observe hands one attempt to Config.Observe, if any. An attempt that
// never sent a request (the limiter's wait ended by the context) is not
// one.
func (c *Client) observe(a *Attempt, outcome string) {
	if c.cfg.Observe == nil || a.Outcome == "unsent" {
		return
	}
	a.Outcome = outcome
	c.cfg.Observe(*a)
}

// observeRetry tells Config.Observe that a request is sent again after a
// failure of cause (what Stats.Retries counts).
func (c *Client) observeRetry(cause string) {
	if c.cfg.Observe != nil {
		c.cfg.Observe(Attempt{Outcome: cause, Retry: true})
	}
}

// attempt sends r once and describes it in obs.
func (c *Client) attempt(ctx context.Context, r *request, decode decodeFunc, obs *Attempt) error {
	obs.Outcome = "unsent"
	if err := c.limiter.Wait(ctx); err != nil {
		return err
	}
	timeout := c.cfg.Timeout
	if !r.deadline.IsZero() {
		left := time.Until(r.deadline)
		if left <= 0 {
			return &transportError{cause: CauseTimeout, err: errors.New("the call's deadline (Retry.MaxElapsed) has passed")}
		}
		timeout = min(timeout, left)
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	u := r.url(c.cfg.Endpoint)
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("extract: build request %s: %w: %w", r.name(), err, ErrPermanent)
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	req.Header.Set("Accept", "application/json")
	c.stats.call(r.name())
	t0 := time.Now()
	obs.Outcome = ""
	defer func() { obs.Duration = time.Since(t0) }()
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			// The URL's query is the mask and the filter: long, and no
			// help to a reader. Method and URL without it.
			err = &url.Error{Op: req.Method, URL: printableURL(req.URL), Err: ue.Err}
		}
		if tlsMismatch(err) {
			return &transportError{cause: "tls", permanent: true,
				err: fmt.Errorf("%w (check the endpoint's scheme and the server's certificate: a retry will not help)", err)}
		}
		return &transportError{cause: transportCause(err), err: err}
	}
	defer resp.Body.Close()
	c.answered.Store(true)
	obs.Status = resp.StatusCode
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		return &RedirectError{StatusCode: resp.StatusCode, Method: r.name(), Host: locationHost(resp)}
	}
	var hb heldBody
	defer c.release(&hb)
	rerr := c.readBody(rctx, r, resp, &hb)
	obs.Bytes = int64(len(hb.buf))
	if c.log.Enabled(ctx, slog.LevelDebug) {
		c.log.DebugContext(ctx, "extract: api call", "call", r.where(), "url", printableURL(req.URL), "status", resp.StatusCode,
			"bytes", len(hb.buf), "duration", time.Since(t0), "request_headers", redactHeaders(req.Header), "err", rerr)
	}
	if rerr != nil {
		var le *LimitError
		var te *transportError
		switch {
		case errors.As(rerr, &le), errors.As(rerr, &te):
			return rerr
		case ctx.Err() != nil:
			return ctx.Err()
		case resp.StatusCode >= 400 && resp.StatusCode <= 499:
			// A refusal whose body broke off (a TLS server answers plain
			// HTTP with a 400 and resets the connection): the status is
			// the answer, and the error says what of the body came.
		default:
			return &transportError{cause: transportCause(rerr), err: fmt.Errorf("read body: %w", rerr)}
		}
	}
	body := hb.buf
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		code, msg, ok := decodeAPIError(body)
		if !ok {
			msg = snippet(body)
		}
		return c.apiError(resp.StatusCode, code, msg, r, req)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return &transportError{cause: CauseEmpty, err: errors.New("empty response body")}
	}
	body, done, err := c.validBody(ctx, r, body)
	if err != nil {
		return err
	}
	defer done()
	if body[0] == '{' {
		if code, msg, ok := decodeAPIError(body); ok {
			return c.apiError(resp.StatusCode, code, msg, r, req)
		}
	}
	total := -1
	if h := resp.Header.Values("Softlayer-Total-Items"); len(h) == 1 {
		if v, err := strconv.Atoi(h[0]); err == nil && v >= 0 {
			total = v
		}
	}
	if err := decode(body, total); err != nil {
		return err
	}
	if r.hold != nil {
		// The rows decoded from the body keep its size of budget.
		keep := min(int64(len(hb.buf)), hb.held)
		*r.hold += keep
		hb.held -= keep
	}
	return nil
}

// snippet returns the start of a non-JSON error body for an error message.
func snippet(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > 200 {
		b = b[:200]
	}
	return string(bytes.ToValidUTF8(b, []byte("?")))
}

// redactHeaders copies h for logging with Authorization hidden.
func redactHeaders(h http.Header) http.Header {
	out := h.Clone()
	for k := range out {
		if http.CanonicalHeaderKey(k) == "Authorization" || http.CanonicalHeaderKey(k) == "Cookie" {
			out[k] = []string{redacted}
		}
	}
	return out
}

// apiError is the *APIError of an answer, counted when it is a rate
// limit.
func (c *Client) apiError(status int, code, msg string, r *request, req *http.Request) *APIError {
	e := &APIError{StatusCode: status, Code: cleanMessage(code), Message: cleanMessage(msg), Method: r.name(), URL: printableURL(req.URL)}
	if e.RateLimited() {
		c.stats.rateLimit.Add(1)
	}
	return e
}

// printableURL is u without its query and user info: scheme, host, path.
func printableURL(u *url.URL) string {
	v := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return v.String()
}
