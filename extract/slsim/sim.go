package slsim

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
	_ "time/tzdata" // America/Chicago must load everywhere
)

// Credentials accepted by default.
const (
	DefaultUser        = "simuser"
	DefaultAPIKey      = "simkey"
	DefaultIAMKey      = "sim-iam-key"
	DefaultBearerToken = "sim-bearer-token"
)

// DefaultHeavyInvoiceItems is the item count of the heaviest invoice when
// Options.HeavyInvoiceItems is 0.
const DefaultHeavyInvoiceItems = 20_000

// Options configures the simulated accounts and the faults they serve.
type Options struct {
	Seed int64
	// Accounts is the number of accounts (0 or 1: one). The first has the
	// credentials below and the history of Seed; account i (0-based) has
	// the credentials with a "-<i+1>" suffix and a history derived from
	// (Seed, i). See Sim.Accounts.
	Accounts int
	Months   int       // months of history before Now (default 24)
	Now      time.Time // simulated clock start (zero => time.Now()); the clock only moves by SetNow/Advance
	Scale    float64   // multiplies resource counts (0 or 1 = default realistic account)
	// HeavyInvoiceItems is the item count of the heaviest invoice (a month
	// with a burst of hourly guests): 0 keeps DefaultHeavyInvoiceItems, -1 none.
	HeavyInvoiceItems int

	User, APIKey        string // classic credentials (defaults DefaultUser/DefaultAPIKey)
	IAMKey, BearerToken string // Basic apikey:<IAMKey>; Authorization: Bearer <BearerToken>

	// Faults.
	Latency, Jitter time.Duration
	RateLimit       float64 // requests/second per credential (per account and form); 0 => 50 (the real limit); <0 => off
	ErrorRate       float64 // HTTP 500 {"error":"Internal Error","code":"SoftLayer_Exception_Public"}
	Error200Rate    float64 // the same body with HTTP 200
	MaxPageBytes    int     // a response body larger than this => HTTP 500 Internal Error; 0 => off
	TruncateRate    float64 // the body is cut in half and the connection closed
	MalformedRate   float64 // the body is not valid JSON
	ResetRate       float64 // the connection is reset without a response
	SlowRate        float64 // sleep SlowDelay before answering
	SlowDelay       time.Duration
	// ShuffleUnsorted returns results without an orderBy in a new random
	// order on every call.
	ShuffleUnsorted bool
	// BareObjectOnLimitOne returns a bare object instead of a one-element
	// array when resultLimit has limit 1 (a REST quirk).
	BareObjectOnLimitOne bool
	// DropLocalsOnRelationalOnly returns no local properties at a mask level
	// that names only relational properties (a REST inconsistency).
	DropLocalsOnRelationalOnly bool
	// OmitNullLocals leaves null local properties out instead of writing
	// explicit nulls (some real REST captures look like this; slcli's
	// invoice-detail is written for it).
	OmitNullLocals bool
	// InconsistentInvoices invoices get an invoiceTotalAmount 0.01 higher
	// than the sum of their items; Truth().Unreconciled lists them.
	InconsistentInvoices int
	FaultSeed            int64
	Logger               *slog.Logger // nil => discard
}

// Sim is a set of simulated SoftLayer accounts behind the REST API. It is
// safe for concurrent use.
type Sim struct {
	opts    Options
	log     *slog.Logger
	central *time.Location
	accts   []*acct // accts[0] has Options' credentials

	mu     sync.Mutex // guards now, every account's model and cache, watch
	now    time.Time
	watch  []func()
	faults faultState
	stats  statsState
	limit  limiter
}

const cacheInvoices = 8

// invoiceData is the derived content of one invoice, cached.
type invoiceData struct {
	h        *header
	items    []item
	children [][]int32 // by item index
	assoc    [][]int32 // items whose associatedInvoiceItemId is the index
}

// New builds the accounts for o. It fails on invalid options.
func New(o Options) (*Sim, error) {
	if o.Months == 0 {
		o.Months = 24
	}
	if o.Months < 0 || o.Months > 240 {
		return nil, fmt.Errorf("slsim: months %d out of range 1..240", o.Months)
	}
	if o.Accounts == 0 {
		o.Accounts = 1
	}
	if o.Accounts < 0 || o.Accounts > MaxAccounts {
		return nil, fmt.Errorf("slsim: accounts %d out of range 1..%d", o.Accounts, MaxAccounts)
	}
	if o.Scale == 0 {
		o.Scale = 1
	}
	if o.Scale < 0 || o.Scale > 1000 {
		return nil, fmt.Errorf("slsim: scale %v out of range (0,1000]", o.Scale)
	}
	switch {
	case o.HeavyInvoiceItems == 0:
		o.HeavyInvoiceItems = DefaultHeavyInvoiceItems
	case o.HeavyInvoiceItems < -1:
		return nil, fmt.Errorf("slsim: heavy invoice items %d: want >= -1", o.HeavyInvoiceItems)
	}
	if o.HeavyInvoiceItems > 5_000_000 {
		return nil, fmt.Errorf("slsim: heavy invoice items %d: at most 5000000", o.HeavyInvoiceItems)
	}
	for _, r := range []float64{o.ErrorRate, o.Error200Rate, o.TruncateRate, o.MalformedRate, o.ResetRate, o.SlowRate} {
		if r < 0 || r > 1 {
			return nil, fmt.Errorf("slsim: fault rate %v out of range [0,1]", r)
		}
	}
	if o.Latency < 0 || o.Jitter < 0 || o.SlowDelay < 0 || o.MaxPageBytes < 0 || o.InconsistentInvoices < 0 {
		return nil, errors.New("slsim: durations, max page bytes and inconsistent invoices must not be negative")
	}
	if o.User == "" {
		o.User = DefaultUser
	}
	if o.APIKey == "" {
		o.APIKey = DefaultAPIKey
	}
	if o.IAMKey == "" {
		o.IAMKey = DefaultIAMKey
	}
	if o.BearerToken == "" {
		o.BearerToken = DefaultBearerToken
	}
	if o.RateLimit == 0 {
		o.RateLimit = 50
	}
	if o.SlowDelay == 0 {
		o.SlowDelay = 2 * time.Second
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.Truncate(time.Second)
	lg := o.Logger
	if lg == nil {
		lg = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	central, err := time.LoadLocation("America/Chicago")
	if err != nil {
		return nil, fmt.Errorf("slsim: load America/Chicago: %w", err)
	}
	s := &Sim{opts: o, log: lg, central: central, now: o.Now}
	nowC := o.Now.In(central)
	start := time.Date(nowC.Year(), nowC.Month()-time.Month(o.Months), 1, 0, 0, 0, 0, central)
	ids := map[int64]bool{}
	for i := 0; i < o.Accounts; i++ {
		a := newAcct(s, i, start)
		for ids[a.info.id] { // account ids are distinct
			a.info.id++
		}
		ids[a.info.id] = true
		a.model.ensure(o.Now)
		a.markInconsistent(o.InconsistentInvoices, s.now)
		s.accts = append(s.accts, a)
	}
	s.faults.rng = newRNG(o.FaultSeed, 6)
	s.limit.init(o.RateLimit)
	return s, nil
}

// Accounts returns the simulated accounts, the first (Options' credentials)
// first.
func (s *Sim) Accounts() []Account {
	out := make([]Account, len(s.accts))
	for i, a := range s.accts {
		out[i] = a.public()
	}
	return out
}

// Now returns the simulated clock.
func (s *Sim) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

// SetNow moves the simulated clock to t (forward or back). Invoices appear,
// close and change as a function of the clock.
func (s *Sim) SetNow(t time.Time) {
	s.mu.Lock()
	s.now = t.Truncate(time.Second)
	for _, a := range s.accts {
		a.model.ensure(s.now)
	}
	watch := append([]func(){}, s.watch...)
	s.mu.Unlock()
	s.log.Info("slsim: clock moved", "now", t.UTC().Format(time.RFC3339))
	for _, f := range watch {
		f()
	}
}

// Advance moves the simulated clock by d.
func (s *Sim) Advance(d time.Duration) { s.SetNow(s.Now().Add(d)) }

// OnClock registers f, called after every clock move (outside the lock).
func (s *Sim) OnClock(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.watch = append(s.watch, f)
}

// snapshot returns the clock and the first account's headers visible at
// it, in ord order.
func (s *Sim) snapshot() (time.Time, []*header) {
	now := s.Now()
	return now, s.accts[0].visible(now)
}

// visibleItems returns the number of items of d visible at now (the late
// adjustment item is the last one and appears at its time).
func (d *invoiceData) visibleItems(now time.Time) int {
	if d.h.adj != nil && now.Before(d.h.adj.visible) {
		return len(d.items) - 1
	}
	return len(d.items)
}
