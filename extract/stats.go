package extract

import (
	"maps"
	"sync"
	"sync/atomic"
	"time"
)

// Attempt is one HTTP request the client sent, for Config.Observe.
type Attempt struct {
	Method   string        // "SoftLayer_Account::getInvoices"
	Duration time.Duration // from sending the request to the end of its body, or its failure (the rate limiter's wait excluded)
	Status   int           // the HTTP status; 0 when no answer came
	Bytes    int64         // body bytes read, after decompression
	// Outcome is OutcomeOK; or the retry cause (a Cause* constant) of a
	// failure the client retries, or would have had its budget lasted;
	// or OutcomeError for a failure no retry helps (the call ends with
	// it), or OutcomeCanceled when the caller's context ended.
	Outcome string
	// Retry marks not a request but the decision to send one again after
	// a failure whose cause is Outcome (what Stats.Retries counts); its
	// other fields are zero.
	Retry bool
}

// Outcomes of an Attempt besides the retry causes.
const (
	OutcomeOK       = "ok"
	OutcomeError    = "error"
	OutcomeCanceled = "canceled"
)

// Stats are the client's counters since New, for the run summary. Calls
// counts HTTP requests sent (retries included) by "Service::method".
type Stats struct {
	Calls              map[string]int64 // requests sent, by method
	Retries            map[string]int64 // retried failures, by cause (Cause* constants)
	RateLimitErrors    int64            // rate-limit errors seen (retried or not)
	Bytes              int64            // response body bytes read (after decompression)
	Pages              int64            // pages decoded successfully
	PageSizeReductions int64            // times a page was halved after "too much data" or a timeout
	Invoices           int64            // invoices yielded
	Items              int64            // items yielded
	ItemCountMismatch  int64            // closed invoices with more items than their itemCount (warned)
	InvalidUTF8        int64            // runs of bytes that were not UTF-8 in API answers, replaced with U+FFFD (warned)
}

// TotalCalls returns the number of requests sent over all methods.
func (s Stats) TotalCalls() int64 {
	var n int64
	for _, v := range s.Calls {
		n += v
	}
	return n
}

// TotalRetries returns the number of retries over all causes.
func (s Stats) TotalRetries() int64 {
	var n int64
	for _, v := range s.Retries {
		n += v
	}
	return n
}

type counters struct {
	mu      sync.Mutex
	calls   map[string]int64
	retries map[string]int64

	rateLimit, bytes, pages, reductions atomic.Int64
	invoices, items                     atomic.Int64
	countMismatch, invalidUTF8          atomic.Int64
}

func (c *counters) call(method string) {
	c.mu.Lock()
	if c.calls == nil {
		c.calls = map[string]int64{}
	}
	c.calls[method]++
	c.mu.Unlock()
}

func (c *counters) retry(cause string) {
	c.mu.Lock()
	if c.retries == nil {
		c.retries = map[string]int64{}
	}
	c.retries[cause]++
	c.mu.Unlock()
}

func (c *counters) snapshot() Stats {
	c.mu.Lock()
	s := Stats{Calls: maps.Clone(c.calls), Retries: maps.Clone(c.retries)}
	c.mu.Unlock()
	if s.Calls == nil {
		s.Calls = map[string]int64{}
	}
	if s.Retries == nil {
		s.Retries = map[string]int64{}
	}
	s.RateLimitErrors = c.rateLimit.Load()
	s.Bytes = c.bytes.Load()
	s.Pages = c.pages.Load()
	s.PageSizeReductions = c.reductions.Load()
	s.Invoices = c.invoices.Load()
	s.Items = c.items.Load()
	s.ItemCountMismatch = c.countMismatch.Load()
	s.InvalidUTF8 = c.invalidUTF8.Load()
	return s
}
