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
	"time"

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
}

// New validates cfg (after defaults) and returns a Client. Errors name the
// offending field.
func New(cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, hc: cfg.HTTPClient, log: cfg.Logger}
	if c.hc == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = maxIdleConnsPerEndpoint
		t.MaxIdleConns = maxIdleConnsPerEndpoint
		c.hc = &http.Client{Transport: t}
		c.ownHC = true
	}
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
// the body to decode. It is the only place that retries.
func (c *Client) call(ctx context.Context, r request, decode decodeFunc) error {
	start := time.Now()
	pol := c.cfg.Retry
	for attempt := 1; ; attempt++ {
		err := c.attempt(ctx, &r, decode)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("extract: %s: %w", r.where(), context.Cause(ctx))
		}
		retry, cause := classify(err)
		if !retry {
			return fmt.Errorf("extract: %s: %w", r.where(), err)
		}
		if r.shrinkable && (cause == CauseTooMuchData || cause == CauseTimeout) {
			return &shrinkError{cause: cause, err: err}
		}
		delay := backoff(pol, attempt)
		if attempt >= pol.MaxAttempts || time.Since(start)+delay > pol.MaxElapsed {
			return fmt.Errorf("extract: %s: giving up after %d attempts in %s: %w",
				r.where(), attempt, time.Since(start).Round(time.Millisecond), err)
		}
		c.stats.retry(cause)
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

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxBody guards against a runaway response.
const maxBody = 512 << 20

// attempt sends r once.
func (c *Client) attempt(ctx context.Context, r *request, decode decodeFunc) error {
	if err := c.limiter.Wait(ctx); err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	u := r.url(c.cfg.Endpoint)
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("extract: build request %s: %w", r.name(), err)
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	req.Header.Set("Accept", "application/json")
	c.stats.call(r.name())
	t0 := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &transportError{cause: transportCause(err), err: err}
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 4<<20 {
			bufPool.Put(buf)
		}
	}()
	n, rerr := buf.ReadFrom(io.LimitReader(resp.Body, maxBody+1))
	resp.Body.Close()
	c.stats.bytes.Add(n)
	if c.log.Enabled(ctx, slog.LevelDebug) {
		c.log.DebugContext(ctx, "extract: api call", "call", r.where(), "url", u, "status", resp.StatusCode,
			"bytes", n, "duration", time.Since(t0), "request_headers", redactHeaders(req.Header), "err", rerr)
	}
	if rerr != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &transportError{cause: transportCause(rerr), err: fmt.Errorf("read body: %w", rerr)}
	}
	if n > maxBody {
		return &APIError{StatusCode: resp.StatusCode, Method: r.name(), Message: "response body over 512 MiB"}
	}
	body := buf.Bytes()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		code, msg, ok := decodeAPIError(body)
		if !ok {
			msg = snippet(body)
		}
		e := &APIError{StatusCode: resp.StatusCode, Code: code, Message: msg, Method: r.name()}
		if e.RateLimited() {
			c.stats.rateLimit.Add(1)
		}
		return e
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return &transportError{cause: CauseEmpty, err: errors.New("empty response body")}
	}
	if body[0] == '{' {
		if code, msg, ok := decodeAPIError(body); ok {
			e := &APIError{StatusCode: resp.StatusCode, Code: code, Message: msg, Method: r.name()}
			if e.RateLimited() {
				c.stats.rateLimit.Add(1)
			}
			return e
		}
	}
	total := -1
	if h := resp.Header.Values("Softlayer-Total-Items"); len(h) == 1 {
		if v, err := strconv.Atoi(h[0]); err == nil && v >= 0 {
			total = v
		}
	}
	return decode(body, total)
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
