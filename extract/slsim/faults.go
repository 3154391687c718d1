package slsim

import (
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"
)

// FaultKind is a failure the simulator can serve instead of (or before) a
// normal answer.
type FaultKind int

const (
	// FaultInternalError answers HTTP 500 {"error":"Internal Error","code":"SoftLayer_Exception_Public"}.
	FaultInternalError FaultKind = iota + 1
	// FaultError200 answers the same body with HTTP 200.
	FaultError200
	// FaultRateLimit answers HTTP 500 with the rate-limit exception.
	FaultRateLimit
	// FaultTooMuchData answers HTTP 500 Internal Error, as the API does when
	// a response would be too large.
	FaultTooMuchData
	// FaultTruncate sends the first half of the body, then closes the
	// connection (Content-Length announces the whole body).
	FaultTruncate
	// FaultMalformed sends a body that is not valid JSON with HTTP 200.
	FaultMalformed
	// FaultReset resets the connection without a response.
	FaultReset
	// FaultSlow waits Options.SlowDelay, then answers normally.
	FaultSlow
	// FaultUnauthorized answers HTTP 401 Access Denied.
	FaultUnauthorized
	// FaultTokenExpired answers HTTP 500 with
	// SoftLayer_Exception_Account_Authentication_AccessTokenValidation.
	FaultTokenExpired
)

var faultNames = map[FaultKind]string{
	FaultInternalError: "internal_error", FaultError200: "error_200", FaultRateLimit: "rate_limit",
	FaultTooMuchData: "too_much_data", FaultTruncate: "truncate", FaultMalformed: "malformed",
	FaultReset: "reset", FaultSlow: "slow", FaultUnauthorized: "unauthorized", FaultTokenExpired: "token_expired",
}

// String returns the fault's name as used in Stats and the admin endpoint.
func (k FaultKind) String() string {
	if n, ok := faultNames[k]; ok {
		return n
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// ParseFaultKind is the inverse of FaultKind.String.
func ParseFaultKind(s string) (FaultKind, error) {
	for k, n := range faultNames {
		if n == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("slsim: unknown fault kind %q", s)
}

type faultState struct {
	mu    sync.Mutex
	queue []FaultKind
	rng   *rng
}

// InjectFault makes the next n API requests (authenticated and within the
// rate limit) get fault k, in order, before any random fault.
func (s *Sim) InjectFault(k FaultKind, n int) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	for i := 0; i < n; i++ {
		s.faults.queue = append(s.faults.queue, k)
	}
}

// nextFault returns the fault for this request (0 = none): an injected one
// first, else a random one by the configured rates.
func (s *Sim) nextFault() FaultKind {
	f := &s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.queue) > 0 {
		k := f.queue[0]
		f.queue = f.queue[1:]
		return k
	}
	o := &s.opts
	for _, c := range []struct {
		rate float64
		k    FaultKind
	}{{o.ResetRate, FaultReset}, {o.ErrorRate, FaultInternalError}, {o.Error200Rate, FaultError200},
		{o.TruncateRate, FaultTruncate}, {o.MalformedRate, FaultMalformed}, {o.SlowRate, FaultSlow}} {
		if c.rate > 0 && f.rng.float() < c.rate {
			return c.k
		}
	}
	return 0
}

// shuffle permutes n elements with the fault rng.
func (s *Sim) shuffle(n int, swap func(i, j int)) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	for i := n - 1; i > 0; i-- {
		swap(i, int(s.faults.rng.next()%uint64(i+1)))
	}
}

// Stats counts what the simulator served.
type Stats struct {
	Requests     map[string]int64 `json:"requests"`     // by "Service::method" ("invalid" for unroutable)
	Faults       map[string]int64 `json:"faults"`       // faults served, by kind (rate_limit includes real rejections)
	RateLimited  int64            `json:"rateLimited"`  // requests rejected by the rate limiter
	Unauthorized int64            `json:"unauthorized"` // 401 answers
	Total        int64            `json:"total"`        // API requests
	ByAccount    map[string]int64 `json:"byAccount"`    // accepted API requests by account id
	MaxPerSecond int              `json:"maxPerSecond"` // most API requests accepted in any sliding 1 s window
}

type statsState struct {
	mu     sync.Mutex
	st     Stats
	window []time.Time // accepted requests in the last second
}

func (st *statsState) init() {
	if st.st.Requests == nil {
		st.st.Requests = map[string]int64{}
		st.st.Faults = map[string]int64{}
		st.st.ByAccount = map[string]int64{}
	}
}

func (s *Sim) countRequest(method string) {
	st := &s.stats
	st.mu.Lock()
	defer st.mu.Unlock()
	st.init()
	st.st.Total++
	st.st.Requests[method]++
}

func (s *Sim) countAccepted(t time.Time, account int64) {
	st := &s.stats
	st.mu.Lock()
	defer st.mu.Unlock()
	st.init()
	st.st.ByAccount[strconv.FormatInt(account, 10)]++
	st.window = append(st.window, t)
	cut := 0
	for cut < len(st.window) && !st.window[cut].After(t.Add(-time.Second)) {
		cut++
	}
	st.window = st.window[cut:]
	if len(st.window) > st.st.MaxPerSecond {
		st.st.MaxPerSecond = len(st.window)
	}
}

func (s *Sim) countFault(k FaultKind) {
	st := &s.stats
	st.mu.Lock()
	defer st.mu.Unlock()
	st.init()
	st.st.Faults[k.String()]++
	switch k {
	case FaultUnauthorized:
		st.st.Unauthorized++
	}
}

func (s *Sim) countRateLimited() {
	st := &s.stats
	st.mu.Lock()
	defer st.mu.Unlock()
	st.init()
	st.st.RateLimited++
}

func (s *Sim) countUnauthorized() {
	st := &s.stats
	st.mu.Lock()
	defer st.mu.Unlock()
	st.init()
	st.st.Unauthorized++
}

// Stats returns a copy of the counters.
func (s *Sim) Stats() Stats {
	st := &s.stats
	st.mu.Lock()
	defer st.mu.Unlock()
	st.init()
	out := st.st
	out.Requests = make(map[string]int64, len(st.st.Requests))
	for k, v := range st.st.Requests {
		out.Requests[k] = v
	}
	out.Faults = make(map[string]int64, len(st.st.Faults))
	for k, v := range st.st.Faults {
		out.Faults[k] = v
	}
	out.ByAccount = make(map[string]int64, len(st.st.ByAccount))
	for k, v := range st.st.ByAccount {
		out.ByAccount[k] = v
	}
	return out
}

// ResetStats zeroes the counters.
func (s *Sim) ResetStats() {
	st := &s.stats
	st.mu.Lock()
	defer st.mu.Unlock()
	st.st = Stats{}
	st.window = nil
	st.init()
}

// limiter is a per-credential sliding-window rate limit: at most n requests
// in any window. Rejected requests do not count.
type limiter struct {
	mu     sync.Mutex
	off    bool
	n      int
	window time.Duration
	hits   map[string][]time.Time
}

func (l *limiter) init(perSecond float64) {
	if perSecond < 0 {
		l.off = true
		return
	}
	l.n = int(math.Floor(perSecond))
	if l.n < 1 {
		l.n = 1
	}
	l.window = time.Duration(float64(l.n) / perSecond * float64(time.Second))
	l.hits = map[string][]time.Time{}
}

func (l *limiter) allow(cred string, t time.Time) bool {
	if l.off {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.hits[cred]
	cut := 0
	for cut < len(h) && !h[cut].After(t.Add(-l.window)) {
		cut++
	}
	h = h[cut:]
	if len(h) >= l.n {
		l.hits[cred] = h
		return false
	}
	l.hits[cred] = append(h, t)
	return true
}

func (l *limiter) message() string {
	if l.off {
		return "Rate limit of 50 requests for every 1 second(s) exceeded."
	}
	secs := int(math.Round(l.window.Seconds()))
	if secs < 1 {
		secs = 1
	}
	return fmt.Sprintf("Rate limit of %d requests for every %d second(s) exceeded.", l.n, secs)
}
