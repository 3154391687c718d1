package extract

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/invoicelake/invoicelake/extract/slsim"
	"github.com/invoicelake/invoicelake/schemas"
)

// simNow is the simulated clock of the tests: mid-month, so the current
// month has an open invoice.
var simNow = time.Date(2025, 6, 17, 12, 0, 0, 0, time.UTC)

func startSim(t testing.TB, o slsim.Options) *slsim.Server {
	t.Helper()
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Months == 0 {
		o.Months = 4
	}
	if o.Now.IsZero() {
		o.Now = simNow
	}
	if o.Scale == 0 {
		o.Scale = 0.2
	}
	if o.HeavyInvoiceItems == 0 {
		o.HeavyInvoiceItems = 1500
	}
	if o.RateLimit == 0 {
		o.RateLimit = -1 // tests that check the limit set it
	}
	srv, err := slsim.Start(o)
	if err != nil {
		t.Fatalf("slsim.Start: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close simulator: %v", err)
		}
	})
	return srv
}

func simClient(t testing.TB, srv *slsim.Server, mod func(*Config)) *Client {
	return newTestClient(t, srv.URL(), func(c *Config) {
		c.Credentials = Credentials{Username: slsim.DefaultUser, APIKey: slsim.DefaultAPIKey}
		c.MaxPageSize = DefaultMaxPageSize // pages grow, as in production
		if mod != nil {
			mod(c)
		}
	})
}

// simWindow is every period the simulator has, plus the current one.
func simWindow(months int) schemas.Window {
	to := schemas.PeriodOf(simNow)
	return schemas.Window{From: to.AddMonths(-months - 1), To: to}
}

// periodSums is what an extraction says about each billing period, in the
// simulator's Truth terms.
type periodSums struct {
	Invoices, Items                     int64
	InvoiceTotalAmount, ItemsAmount     string
	invoiceIDs                          []int64
	invoiceTotal, itemsAmount           schemas.Sum
	duplicateInvoices, duplicateItems   int
	unsortedInvoices, unsortedItemLists int
}

func itemOwnTotal(it *schemas.InvoiceItem) schemas.Decimal {
	var s schemas.Decimal
	for _, d := range []*schemas.Decimal{it.RecurringFee, it.OneTimeFee, it.SetupFee, it.LaborFee,
		it.RecurringTaxAmount, it.OneTimeTaxAmount, it.SetupTaxAmount, it.LaborTaxAmount} {
		if d != nil {
			s += *d
		}
	}
	return s
}

func extractAll(t testing.TB, c *Client, ctx context.Context, q InvoiceQuery) (map[string]*periodSums, error) {
	t.Helper()
	out := map[string]*periodSums{}
	seenInv := map[int64]bool{}
	seenItem := map[int64]bool{}
	var lastInv int64
	for v, err := range collectInvoices(c, ctx, q) {
		if err != nil {
			return out, err
		}
		p := schemas.PeriodOf(v.Invoice.CreateDate).String()
		ps := out[p]
		if ps == nil {
			ps = &periodSums{}
			out[p] = ps
		}
		if seenInv[v.Invoice.ID] {
			ps.duplicateInvoices++
		}
		seenInv[v.Invoice.ID] = true
		if v.Invoice.ID <= lastInv {
			ps.unsortedInvoices++
		}
		lastInv = v.Invoice.ID
		ps.Invoices++
		ps.invoiceIDs = append(ps.invoiceIDs, v.Invoice.ID)
		if v.Invoice.InvoiceTotalAmount != nil {
			ps.invoiceTotal.Add(*v.Invoice.InvoiceTotalAmount)
		}
		if !slices.IsSortedFunc(v.Items, func(a, b schemas.InvoiceItem) int { return int(a.ID - b.ID) }) {
			ps.unsortedItemLists++
		}
		for i := range v.Items {
			if seenItem[v.Items[i].ID] {
				ps.duplicateItems++
			}
			seenItem[v.Items[i].ID] = true
			ps.Items++
			ps.itemsAmount.Add(itemOwnTotal(&v.Items[i]))
		}
	}
	for _, ps := range out {
		ps.InvoiceTotalAmount = ps.invoiceTotal.String()
		ps.ItemsAmount = ps.itemsAmount.String()
	}
	return out, nil
}

func checkAgainstTruth(t *testing.T, got map[string]*periodSums, truth slsim.Truth, w schemas.Window) {
	t.Helper()
	n := 0
	for _, pt := range truth.Periods {
		p, err := schemas.ParsePeriod(pt.Period)
		if err != nil {
			t.Fatalf("truth period %q: %v", pt.Period, err)
		}
		if !w.Contains(p) {
			continue
		}
		n++
		g := got[pt.Period]
		if g == nil {
			t.Errorf("period %s: got nothing, want %d invoices", pt.Period, pt.Invoices)
			continue
		}
		want := [4]string{fmt.Sprint(pt.Invoices), fmt.Sprint(pt.Items), pt.InvoiceTotalAmount, pt.ItemsAmount}
		have := [4]string{fmt.Sprint(g.Invoices), fmt.Sprint(g.Items), g.InvoiceTotalAmount, g.ItemsAmount}
		if diff := cmp.Diff(want, have); diff != "" {
			t.Errorf("period %s [invoices items invoiceTotal itemsAmount] (-want +got):\n%s", pt.Period, diff)
		}
		if g.duplicateInvoices+g.duplicateItems+g.unsortedInvoices+g.unsortedItemLists != 0 {
			t.Errorf("period %s: got %d duplicate invoices, %d duplicate items, %d unsorted invoices, %d unsorted item lists; want none",
				pt.Period, g.duplicateInvoices, g.duplicateItems, g.unsortedInvoices, g.unsortedItemLists)
		}
	}
	if n == 0 {
		t.Fatalf("truth has no period in %v: %+v", w, truth.Periods)
	}
	if len(got) > n {
		t.Errorf("got %d periods, want %d", len(got), n)
	}
}

func TestSimExtractMatchesTruth(t *testing.T) {
	srv := startSim(t, slsim.Options{ShuffleUnsorted: true})
	w := simWindow(4)
	for _, conc := range []int{1, 6} {
		t.Run(fmt.Sprint(conc), func(t *testing.T) {
			c := simClient(t, srv, func(c *Config) { c.Concurrency = conc; c.PageConcurrency = conc })
			got, err := extractAll(t, c, context.Background(), InvoiceQuery{Window: w})
			if err != nil {
				t.Fatal(err)
			}
			checkAgainstTruth(t, got, srv.Sim().Truth(), w)
			st := c.Stats()
			if st.TotalRetries() != 0 || st.PageSizeReductions != 0 || st.InvalidUTF8 != 0 {
				t.Errorf("got stats %+v, want a clean run", st)
			}
		})
	}
}

func TestSimCredentials(t *testing.T) {
	srv := startSim(t, slsim.Options{Months: 1, HeavyInvoiceItems: -1})
	for _, tc := range []struct {
		name string
		cr   Credentials
		ok   bool
	}{
		{"classic", Credentials{Username: slsim.DefaultUser, APIKey: slsim.DefaultAPIKey}, true},
		{"ibm cloud api key", Credentials{Username: "apikey", APIKey: slsim.DefaultIAMKey}, true},
		{"bearer", Credentials{BearerToken: slsim.DefaultBearerToken}, true},
		{"wrong key", Credentials{Username: slsim.DefaultUser, APIKey: "nope"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := simClient(t, srv, func(c *Config) { c.Credentials = tc.cr })
			var err error
			for _, e := range c.Invoices(context.Background(), InvoiceQuery{Window: simWindow(1)}) {
				if e != nil {
					err = e
				}
			}
			var ae *APIError
			switch {
			case tc.ok && err != nil:
				t.Errorf("got %v, want success", err)
			case !tc.ok && (!errors.As(err, &ae) || ae.StatusCode != 401 || !IsPermanent(err)):
				t.Errorf("got %v, want a permanent 401", err)
			}
		})
	}
}

// TestSimEveryFault injects each fault the simulator has before an
// extraction and checks the result still equals the truth, with the fault
// counted under the right cause; permanent faults end the run at once.
func TestSimEveryFault(t *testing.T) {
	srv := startSim(t, slsim.Options{Months: 2, SlowDelay: 400 * time.Millisecond, HeavyInvoiceItems: 600})
	w := simWindow(2)
	for _, tc := range []struct {
		kind       slsim.FaultKind
		cause      string // Stats.Retries key; "" for page-size reductions
		reductions bool
		permanent  bool
	}{
		{slsim.FaultInternalError, "", true, false},
		{slsim.FaultError200, "", true, false},
		{slsim.FaultTooMuchData, "", true, false},
		{slsim.FaultSlow, "", true, false},
		{slsim.FaultRateLimit, CauseRateLimit, false, false},
		{slsim.FaultTruncate, CauseTruncated, false, false},
		{slsim.FaultMalformed, CauseMalformed, false, false},
		{slsim.FaultReset, CauseReset, false, false},
		{slsim.FaultUnauthorized, "", false, true},
		{slsim.FaultTokenExpired, "", false, true},
	} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			c := simClient(t, srv, func(c *Config) { c.Timeout = 200 * time.Millisecond; c.MinPageSize = 5 })
			srv.Sim().InjectFault(tc.kind, 3)
			got, err := extractAll(t, c, context.Background(), InvoiceQuery{Window: w})
			st := c.Stats()
			if tc.permanent {
				if !IsPermanent(err) || st.TotalCalls() != 1 {
					t.Errorf("got %v after %d calls, want a permanent error after 1", err, st.TotalCalls())
				}
				srv.Sim().InjectFault(tc.kind, 0)
				return
			}
			if err != nil {
				t.Fatalf("got %v, want the fault absorbed", err)
			}
			checkAgainstTruth(t, got, srv.Sim().Truth(), w)
			if tc.reductions && st.PageSizeReductions != 3 {
				t.Errorf("got %d page-size reductions (retries %v), want 3", st.PageSizeReductions, st.Retries)
			}
			if tc.kind == slsim.FaultMalformed {
				// Half a body plus an HTML comment: malformed or truncated
				// depending on where the cut falls.
				st.Retries[CauseMalformed] += st.Retries[CauseTruncated]
			}
			if tc.cause != "" && st.Retries[tc.cause] != 3 {
				t.Errorf("got retries %v, want 3 for %s", st.Retries, tc.cause)
			}
		})
	}
}

// TestSimRandomFaults runs with every random fault on at once.
func TestSimRandomFaults(t *testing.T) {
	srv := startSim(t, slsim.Options{Months: 2, ErrorRate: 0.03, Error200Rate: 0.03, TruncateRate: 0.03,
		MalformedRate: 0.03, ResetRate: 0.03, SlowRate: 0.02, SlowDelay: 300 * time.Millisecond,
		MaxPageBytes: 40_000, ShuffleUnsorted: true, HeavyInvoiceItems: 800, FaultSeed: 7})
	w := simWindow(2)
	c := simClient(t, srv, func(c *Config) { c.Timeout = 150 * time.Millisecond; c.Retry.MaxAttempts = 10 })
	got, err := extractAll(t, c, context.Background(), InvoiceQuery{Window: w})
	if err != nil {
		t.Fatal(err)
	}
	checkAgainstTruth(t, got, srv.Sim().Truth(), w)
	st := c.Stats()
	if st.TotalRetries() == 0 || st.PageSizeReductions == 0 {
		t.Errorf("got stats %+v, want retries and page-size reductions", st)
	}
	t.Logf("calls %d retries %v reductions %d pages %d", st.TotalCalls(), st.Retries, st.PageSizeReductions, st.Pages)
}

// clockMover advances the simulator's clock every n requests: a real seam
// between the client and the server, the way time passes during a run.
type clockMover struct {
	next  http.RoundTripper
	sim   *slsim.Sim
	every int64
	step  time.Duration
	n     atomic.Int64
}

func (m *clockMover) RoundTrip(r *http.Request) (*http.Response, error) {
	if m.n.Add(1)%m.every == 0 {
		m.sim.Advance(m.step)
	}
	return m.next.RoundTrip(r)
}

// TestSimClockMovesMidRun moves the clock across a month end while paging:
// invoices are added, close and change. Nothing present at the start may be
// skipped, nothing may come twice, and everything yielded must exist at the end.
func TestSimClockMovesMidRun(t *testing.T) {
	start := time.Date(2025, 6, 12, 12, 0, 0, 0, time.UTC)
	end := start.Add(30 * 24 * time.Hour)
	srv := startSim(t, slsim.Options{Now: start, Months: 2, Scale: 1, HeavyInvoiceItems: 300, ShuffleUnsorted: true})
	sim := srv.Sim()
	to := schemas.PeriodOf(end)
	for _, tc := range []struct {
		name string
		q    InvoiceQuery
	}{
		{"window", InvoiceQuery{Window: schemas.Window{From: to.AddMonths(-4), To: to}}},
		{"modified since", InvoiceQuery{ModifiedSince: start.Add(-40 * 24 * time.Hour)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids := func(c *Client) (map[int64]int, error) {
				out := map[int64]int{}
				for v, err := range collectInvoices(c, context.Background(), tc.q) {
					if err != nil {
						return out, err
					}
					out[v.Invoice.ID]++
					seen := map[int64]bool{}
					for _, it := range v.Items {
						if seen[it.ID] {
							return out, fmt.Errorf("invoice %d: item %d twice", v.Invoice.ID, it.ID)
						}
						seen[it.ID] = true
					}
				}
				return out, nil
			}
			sim.SetNow(start)
			before, err := ids(simClient(t, srv, nil))
			if err != nil {
				t.Fatal(err)
			}
			// Paging is made slow and sequential so the listing of
			// invoices spans the whole run while the clock moves 8 hours
			// every request.
			tr := http.DefaultTransport.(*http.Transport).Clone()
			defer tr.CloseIdleConnections()
			mover := &clockMover{next: tr, sim: sim, every: 1, step: 8 * time.Hour}
			c := simClient(t, srv, func(c *Config) {
				c.HTTPClient = &http.Client{Transport: mover}
				c.InvoicePageSize, c.ItemPageSize, c.MinPageSize = 2, 50, 2
				c.MaxPageSize = MinPageSizeLimit // pages of 2 invoices stay so: growth off
				c.Concurrency, c.PageConcurrency = 1, 1
			})
			during, err := ids(c)
			if err != nil {
				t.Fatal(err)
			}
			moved := sim.Now().Sub(start)
			if moved < 7*24*time.Hour {
				t.Fatalf("clock moved %s during the run, want at least a week", moved)
			}
			after, err := ids(simClient(t, srv, nil))
			if err != nil {
				t.Fatal(err)
			}
			if len(after) <= len(before) {
				t.Errorf("got %d invoices at the end and %d at the start, want the clock to add some", len(after), len(before))
			}
			for id := range before {
				if during[id] != 1 {
					t.Errorf("invoice %d present at start: got it %d times, want once", id, during[id])
				}
			}
			for id, n := range during {
				if n != 1 {
					t.Errorf("invoice %d: got %d times, want once", id, n)
				}
				if after[id] == 0 {
					t.Errorf("invoice %d: yielded mid-run but absent at the end", id)
				}
			}
			t.Logf("clock moved %s; invoices before %d, during %d, after %d; stats %+v",
				moved, len(before), len(during), len(after), c.Stats())
			sim.SetNow(start)
		})
	}
}

func TestSimCancellation(t *testing.T) {
	srv := startSim(t, slsim.Options{Months: 2, Latency: 30 * time.Millisecond, Jitter: 10 * time.Millisecond})
	c := simClient(t, srv, func(c *Config) { c.Concurrency = 4; c.PageConcurrency = 4 })
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	var last error
	for _, err := range collectInvoices(c, ctx, InvoiceQuery{Window: simWindow(2)}) {
		if err != nil {
			last = err
			break
		}
		n++
		if n == 2 {
			cancel()
		}
	}
	cancel()
	if !errors.Is(last, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", last)
	}
	// goleak (TestMain) checks no goroutine outlives the loop.
}

// TestSimRateLimitRespected runs against the real limit (50/s) with the
// default client rate and requires zero rate-limit errors.
func TestSimRateLimitRespected(t *testing.T) {
	if testing.Short() {
		t.Skip("takes a few seconds at 40 requests/s")
	}
	srv := startSim(t, slsim.Options{Months: 1, RateLimit: 50, HeavyInvoiceItems: 10000, Scale: 0.1})
	c := simClient(t, srv, func(c *Config) {
		c.Rate, c.Burst = DefaultRate, DefaultBurst
		c.Concurrency, c.PageConcurrency = 8, 8
		c.MaxPageSize = MinPageSizeLimit // growth off: enough calls to reach the limit
	})
	if _, err := extractAll(t, c, context.Background(), InvoiceQuery{Window: simWindow(1)}); err != nil {
		t.Fatal(err)
	}
	st, ss := c.Stats(), srv.Sim().Stats()
	if st.RateLimitErrors != 0 || ss.RateLimited != 0 {
		t.Errorf("got %d rate-limit errors (server rejected %d), want 0", st.RateLimitErrors, ss.RateLimited)
	}
	if ss.MaxPerSecond > 50 {
		t.Errorf("got %d requests in one second, want at most 50", ss.MaxPerSecond)
	}
	if st.TotalCalls() < 100 {
		t.Errorf("got %d calls, want enough (>= 100) for the test to mean something", st.TotalCalls())
	}
}
