package extract

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultEndpoint is the public REST endpoint.
const DefaultEndpoint = "https://api.softlayer.com/rest/v3.1/"

// Defaults, chosen from softlayer-api.md: SoftLayer's clients page invoices
// by 50 and items by 100 (the SLDN Go example: "get items 100 by 100"); the
// API allows 50 requests/s per user, so 40/s with a burst of 5 never reaches
// 50 in any one-second window.
const (
	DefaultTimeout          = 60 * time.Second
	DefaultInvoicePageSize  = 50
	DefaultItemPageSize     = 100
	DefaultMinPageSize      = 5
	DefaultMaxPageSize      = 2000
	DefaultConcurrency      = 4
	DefaultPageConcurrency  = 8
	DefaultRate             = 40
	DefaultBurst            = 5
	DefaultMaxAttempts      = 8
	DefaultRetryBaseDelay   = 500 * time.Millisecond
	DefaultRetryMaxDelay    = 30 * time.Second
	DefaultRetryMaxElapsed  = 5 * time.Minute
	DefaultMaxBodyBytes     = 4 << 20
	DefaultMemoryBudget     = 32 << 20
	DefaultMaxListRows      = 1_000_000
	DefaultMaxSpillBytes    = 256 << 20
	defaultUserAgent        = "invoicelake-extract/1"
	maxPageSize             = 10000
	apiRateLimitPerSecond   = 50
	maxIdleConnsPerEndpoint = 64
)

// RetryPolicy bounds the one retry layer: exponential backoff with full
// jitter (a random wait in [0, min(MaxDelay, BaseDelay*2^n))), at most
// MaxAttempts attempts per call (the first included) and MaxElapsed per
// call: one deadline for every attempt of a page, its page halvings
// included, each attempt's connect, headers and body within it. Zero
// fields take the defaults.
type RetryPolicy struct {
	MaxAttempts int
	BaseDelay   time.Duration
	MaxDelay    time.Duration
	MaxElapsed  time.Duration
}

// Config configures a Client. The zero value of every field but
// Credentials takes its default. cmd fills it from flags, the config file
// and the environment (SL_USERNAME, SL_API_KEY, SL_ENDPOINT_URL); this
// package reads no environment.
type Config struct {
	Endpoint    string // default DefaultEndpoint; "/rest/v3.1/" style, trailing slash optional
	Credentials Credentials

	// Timeout bounds one attempt: connect, TLS, headers and the whole
	// body (default 60s). All attempts of one page share
	// Retry.MaxElapsed.
	Timeout time.Duration

	InvoicePageSize int // rows per getInvoices call (default 50)
	ItemPageSize    int // rows per getItems call (default 100)
	MinPageSize     int // floor of adaptive paging (default 5)
	// MaxPageSize is the most rows a call asks for once pages have grown
	// (default 2000): the page size of each list method adapts between
	// MinPageSize and max(its configured size, MaxPageSize), see
	// pageTuner. A value at or below the configured sizes turns growth
	// off: pages only shrink after "too much data" and grow back.
	MaxPageSize int
	// PageSizeHints start each list method at what an earlier client
	// learned (Client.PageSizes), instead of the configured size. They
	// are advice: sizes are brought within the bounds above, a ceiling
	// not above its size is ignored, and so is an unknown method.
	PageSizeHints []PageSize

	Concurrency     int // invoices whose items are fetched in parallel (default 4)
	PageConcurrency int // pages of one listing fetched in parallel (default 8)

	Rate  float64 // requests per second shared by all workers (default 40; the API allows 50)
	Burst int     // limiter burst (default 5)

	Retry RetryPolicy

	// TempDir is the folder of the temporary files in which
	// InvoicesWithSpill keeps big invoices' items (default os.TempDir()).
	TempDir string

	// Limits that hold whatever the API sends (see docs/RELIABILITY.md,
	// "Worst case"). Zero takes the default.
	//
	// MaxBodyBytes caps one response body, counted after decompression
	// while it is read (default 4 MiB; a page of 100 items is about
	// 70 KiB): a page above it is halved like "too much data", and at
	// MinPageSize it is a *LimitError. MemoryBudget caps what the client
	// holds of the API's answers at once, all calls together: bodies, and
	// the rows decoded from them until the listing passes them on
	// (default 32 MiB); the range a listing waits for may overdraw it by
	// one body (three while a body not valid UTF-8 is repaired), so the
	// bound is MemoryBudget + (Concurrency+1) * MaxBodyBytes. A call
	// waits for room before its body grows.
	// MaxListRows caps the rows of one listing: the invoices of
	// one query, or the items of an invoice whose itemCount is unknown
	// (default 1,000,000); an invoice's items are otherwise capped at
	// itemCount + 10% + 1000. MaxSpillBytes caps the spill of one
	// invoice's items (default 256 MiB).
	MaxBodyBytes  int64
	MemoryBudget  int64
	MaxListRows   int
	MaxSpillBytes int64

	// Observe, if set, is called after every HTTP request the client
	// sends (retries included), from the goroutine that sent it: it must
	// be safe for concurrent use and quick. cmd exports it as metrics;
	// this package knows no metrics library.
	Observe func(Attempt)

	HTTPClient *http.Client // optional; its Timeout should be 0 (Timeout above applies)
	Logger     *slog.Logger // optional; debug logs redact Authorization
	UserAgent  string       // default "invoicelake-extract/1"
}

func (c Config) withDefaults() Config {
	if c.Endpoint == "" {
		c.Endpoint = DefaultEndpoint
	}
	if !strings.HasSuffix(c.Endpoint, "/") {
		c.Endpoint += "/"
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.InvoicePageSize == 0 {
		c.InvoicePageSize = DefaultInvoicePageSize
	}
	if c.ItemPageSize == 0 {
		c.ItemPageSize = DefaultItemPageSize
	}
	if c.MinPageSize == 0 {
		c.MinPageSize = min(DefaultMinPageSize, c.InvoicePageSize, c.ItemPageSize)
	}
	if c.MaxPageSize == 0 {
		c.MaxPageSize = DefaultMaxPageSize
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.PageConcurrency == 0 {
		c.PageConcurrency = DefaultPageConcurrency
	}
	if c.Rate == 0 {
		c.Rate = DefaultRate
	}
	if c.Burst == 0 {
		c.Burst = DefaultBurst
	}
	if c.Retry.MaxAttempts == 0 {
		c.Retry.MaxAttempts = DefaultMaxAttempts
	}
	if c.Retry.BaseDelay == 0 {
		c.Retry.BaseDelay = DefaultRetryBaseDelay
	}
	if c.Retry.MaxDelay == 0 {
		c.Retry.MaxDelay = DefaultRetryMaxDelay
	}
	if c.Retry.MaxElapsed == 0 {
		c.Retry.MaxElapsed = DefaultRetryMaxElapsed
	}
	if c.UserAgent == "" {
		c.UserAgent = defaultUserAgent
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MemoryBudget == 0 {
		c.MemoryBudget = max(DefaultMemoryBudget, c.MaxBodyBytes+bodyChunk)
	}
	if c.MaxListRows == 0 {
		c.MaxListRows = DefaultMaxListRows
	}
	if c.MaxSpillBytes == 0 {
		c.MaxSpillBytes = DefaultMaxSpillBytes
	}
	return c
}

// endpointProblem checks an endpoint URL and says what is wrong without
// repeating any of it: a URL that does not parse, or has user info, may
// hold a credential (http://user:KEY@host/), and url.Parse's own errors
// quote pieces of it.
func endpointProblem(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "is not a valid URL (the value is not repeated here: it may hold a credential)"
	case u.User != nil, strings.Contains(raw, "@"):
		// An '@' anywhere: user info whose key holds a '/' parses as a
		// host and a path (http://u:ab/cd@host/).
		return "must not carry user info (user:key@); give credentials with SL_USERNAME and SL_API_KEY " +
			"(the value is not repeated here)"
	case u.Scheme != "http" && u.Scheme != "https":
		return "scheme must be http or https (the value is not repeated here)"
	case u.Host == "":
		return "has no host (the value is not repeated here)"
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "must not have a query or fragment (the value is not repeated here)"
	}
	return ""
}

// Validate reports every invalid field of a defaulted Config by name.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("extract: config %s: "+format, append([]any{field}, args...)...))
	}
	if p := endpointProblem(c.Endpoint); p != "" {
		bad("Endpoint", "%s", p)
	}
	cr := c.Credentials
	if cr.BearerToken.IsZero() {
		if cr.Username == "" {
			bad("Credentials.Username", "required unless a bearer token is set (use \"apikey\" with an IBM Cloud API key)")
		}
		if cr.APIKey.IsZero() {
			bad("Credentials.APIKey", "required unless a bearer token is set")
		}
	}
	if strings.ContainsAny(cr.Username, ":\r\n") {
		bad("Credentials.Username", "must not contain ':' or line breaks")
	}
	if strings.ContainsAny(cr.BearerToken.Reveal(), "\r\n") || strings.ContainsAny(cr.APIKey.Reveal(), "\r\n") {
		bad("Credentials", "secrets must not contain line breaks")
	}
	if c.Timeout < 0 {
		bad("Timeout", "must be positive, got %s", c.Timeout)
	}
	for _, p := range []struct {
		name string
		v    int
	}{{"InvoicePageSize", c.InvoicePageSize}, {"ItemPageSize", c.ItemPageSize}, {"MinPageSize", c.MinPageSize}, {"MaxPageSize", c.MaxPageSize}} {
		if p.v < 2 || p.v > maxPageSize {
			// limit=1 may come back as a bare object; 2 is the floor sl-go uses too.
			bad(p.name, "must be in [2, %d], got %d", maxPageSize, p.v)
		}
	}
	if c.MinPageSize > c.InvoicePageSize || c.MinPageSize > c.ItemPageSize {
		bad("MinPageSize", "%d is above a page size (%d invoices, %d items)", c.MinPageSize, c.InvoicePageSize, c.ItemPageSize)
	}
	if c.Concurrency < 1 || c.Concurrency > 64 {
		bad("Concurrency", "must be in [1, 64], got %d", c.Concurrency)
	}
	if c.PageConcurrency < 1 || c.PageConcurrency > 64 {
		bad("PageConcurrency", "must be in [1, 64], got %d", c.PageConcurrency)
	}
	if c.Rate <= 0 {
		bad("Rate", "must be positive, got %g", c.Rate)
	}
	if c.Burst < 1 {
		bad("Burst", "must be at least 1, got %d", c.Burst)
	}
	if c.Retry.MaxAttempts < 1 {
		bad("Retry.MaxAttempts", "must be at least 1, got %d", c.Retry.MaxAttempts)
	}
	if c.Retry.BaseDelay < 0 || c.Retry.MaxDelay < c.Retry.BaseDelay {
		bad("Retry.MaxDelay", "must be at least BaseDelay (%s), got %s", c.Retry.BaseDelay, c.Retry.MaxDelay)
	}
	if c.Retry.MaxElapsed < 0 {
		bad("Retry.MaxElapsed", "must be positive, got %s", c.Retry.MaxElapsed)
	}
	if c.MaxBodyBytes < 1<<10 {
		bad("MaxBodyBytes", "must be at least 1 KiB, got %d", c.MaxBodyBytes)
	}
	if c.MemoryBudget < c.MaxBodyBytes+bodyChunk {
		bad("MemoryBudget", "must be at least MaxBodyBytes + %d (%d), got %d", bodyChunk, c.MaxBodyBytes+bodyChunk, c.MemoryBudget)
	}
	if c.MaxListRows < 1 {
		bad("MaxListRows", "must be at least 1, got %d", c.MaxListRows)
	}
	if c.MaxSpillBytes < 1<<20 {
		bad("MaxSpillBytes", "must be at least 1 MiB, got %d", c.MaxSpillBytes)
	}
	return errors.Join(errs...)
}
