package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/invoicelake/invoicelake/configs"
	"github.com/invoicelake/invoicelake/extract"
	"github.com/invoicelake/invoicelake/load"
	"github.com/invoicelake/invoicelake/schemas"
	"github.com/invoicelake/invoicelake/transform"
	"golang.org/x/sync/errgroup"
)

// benchExtract is nil in the shipped binary. Only the CPU benchmark
// (bench_child_test.go) sets it, to lift the client's rate limit so that the
// pipeline's own throughput is measured against a replay server.
var benchExtract func(*extract.Config)

// pipeline is everything one account's runs need, built once from the
// configuration. Its lake is opened by open, with the account id the API
// reports for the credential.
type pipeline struct {
	cfg      configs.Config
	acct     configs.Account
	log      *slog.Logger
	client   *extract.Client
	tr       *transform.Transformer
	bucket   load.Bucket
	lake     *load.Lake  // nil until open
	progress *progress   // nil when not on a terminal
	output   []byte      // what a command printed for this account (see fleet.each)
	docs     *docArchive // nil unless documents.enabled
	// fresh is the account object open read, for the run's snapshot to use
	// instead of asking again (nil once used, or in later runs).
	fresh   *schemas.Account
	freshAt time.Time
	// observe, if set (serve sets it before its first run), sees every API
	// request of the pipeline's client.
	observe func(extract.Attempt)
	// pageSizes is what the lake's page size file holds, as read or
	// written last (see pagesizes.go).
	pageSizes []extract.PageSize
}

func (m *Main) newPipeline(cfg configs.Config, acct configs.Account, tr *transform.Transformer, b load.Bucket, log *slog.Logger) (*pipeline, error) {
	ecfg, err := m.extractConfig(cfg, acct, log)
	if err != nil {
		return nil, err
	}
	if benchExtract != nil {
		benchExtract(&ecfg)
	}
	p := &pipeline{cfg: cfg, acct: acct, log: log, tr: tr, bucket: b}
	ecfg.Observe = func(a extract.Attempt) {
		if p.observe != nil {
			p.observe(a)
		}
	}
	if p.client, err = extract.New(ecfg); err != nil {
		return nil, usageError{err}
	}
	return p, nil
}

// open asks the API which account the credential belongs to (one call),
// checks it against the configuration's id, and opens that account's part
// of the lake. Nothing is written before it succeeds.
func (p *pipeline) open(ctx context.Context) error {
	if p.lake != nil {
		return nil
	}
	var id int64
	a, err := p.client.Account(ctx)
	if err != nil {
		return err
	}
	p.fresh, p.freshAt, id = &a, time.Now().UTC(), a.ID
	if p.acct.ID != 0 && p.acct.ID != id {
		return usageErrorf("its credential belongs to account %d, not to the configured id %d: nothing was written; "+
			"fix accounts[].id or the credential", id, p.acct.ID)
	}
	p.log = p.log.With("account_id", id)
	p.lake = load.NewLake(p.bucket, load.Options{Account: id, Logger: p.log, Create: p.cfg.Lake.Create})
	return nil
}

// fleet is the accounts one command works on, and how many at once.
type fleet struct {
	cfg   configs.Config
	log   *slog.Logger
	pipes []*pipeline
}

// newFleet builds a pipeline per selected account: every account of the
// configuration, or the one --account or --account-index names. They
// share the transformer (immutable) and the lake's bucket.
func (m *Main) newFleet(ctx context.Context, cfg configs.Config, log *slog.Logger, c *commonFlags) (*fleet, error) {
	accts, err := selectAccounts(cfg, c)
	if err != nil {
		return nil, err
	}
	tr, err := m.transformer(cfg)
	if err != nil {
		return nil, err
	}
	b, err := m.openBucket(ctx, cfg)
	if err != nil {
		return nil, err
	}
	f := &fleet{cfg: cfg, log: log}
	for _, a := range accts {
		alog := log
		if len(cfg.Accounts) > 0 {
			alog = log.With("account", a.Label())
		}
		p, err := m.newPipeline(cfg, a, tr, b, alog)
		if err != nil {
			if len(cfg.Accounts) > 0 {
				err = fmt.Errorf("account %s: %w", a.Label(), err)
			}
			return nil, err
		}
		f.pipes = append(f.pipes, p)
		if cfg.Documents.Enabled {
			p.docs = newDocArchive(p, cfg.Documents.Kinds)
		}
	}
	if len(f.pipes) == 1 && m.tty != nil {
		f.pipes[0].progress = newProgress(m.tty, f.pipes[0])
	}
	return f, nil
}

// selectAccounts returns the configured accounts, or the one named by
// --account (name or id) or --account-index (its position, from 0: a
// Kubernetes Indexed Job passes $(JOB_COMPLETION_INDEX)).
func selectAccounts(cfg configs.Config, c *commonFlags) ([]configs.Account, error) {
	all := cfg.AccountList()
	switch {
	case c.set["account"] && c.set["account-index"]:
		return nil, usageErrorf("--account and --account-index: give one")
	case c.set["account-index"]:
		if c.accountIndex < 0 || c.accountIndex >= len(all) {
			return nil, usageErrorf("--account-index %d: the configuration has %d accounts (0..%d)", c.accountIndex, len(all), len(all)-1)
		}
		return all[c.accountIndex : c.accountIndex+1], nil
	case c.set["account"]:
		for _, a := range all {
			if a.Name == c.account || (a.ID != 0 && strconv.FormatInt(a.ID, 10) == c.account) {
				return []configs.Account{a}, nil
			}
		}
		names := make([]string, len(all))
		for i, a := range all {
			names[i] = a.Label()
		}
		return nil, usageErrorf("--account %q: no such account in the configuration (accounts: %s)", c.account, strings.Join(names, ", "))
	}
	return all, nil
}

// each runs fn for every account, up to source.parallel_accounts at once,
// and waits for all: one account's failure never stops the others. With
// one account its error is returned as it is; with several, an
// *accountsError names each account that failed.
//
// done, if given, is called for each account in the configuration's
// order once all have finished (to print what each one collected).
func (f *fleet) each(ctx context.Context, fn func(context.Context, *pipeline) error, done ...func(*pipeline)) error {
	if len(f.pipes) == 1 {
		err := fn(ctx, f.pipes[0])
		for _, d := range done {
			d(f.pipes[0])
		}
		return err
	}
	errs := make([]error, len(f.pipes))
	var g errgroup.Group
	g.SetLimit(f.cfg.Source.ParallelAccounts)
	for i, p := range f.pipes {
		g.Go(func() error {
			errs[i] = fn(ctx, p)
			return nil
		})
	}
	g.Wait()
	for _, p := range f.pipes {
		for _, d := range done {
			d(p)
		}
	}
	ae := &accountsError{}
	for i, err := range errs {
		if err != nil {
			ae.failed = append(ae.failed, accountFailure{label: f.pipes[i].acct.Label(), err: err})
		} else {
			ae.ok = append(ae.ok, f.pipes[i].acct.Label())
		}
	}
	if len(ae.failed) == 0 {
		f.log.Info("every account succeeded", "accounts", ae.ok)
		return nil
	}
	return ae
}

func (m *Main) openBucket(ctx context.Context, cfg configs.Config) (load.Bucket, error) {
	b, err := load.OpenLocation(ctx, cfg.Lake.Location, cfg.Lake.S3.Load())
	if err != nil {
		return nil, fmt.Errorf("open lake: %w", err) // the error names the location, redacted
	}
	return b, nil
}

func (m *Main) transformer(cfg configs.Config) (*transform.Transformer, error) {
	cats, err := transform.ParseCategoryMap(configs.DefaultCategories)
	if err != nil {
		return nil, fmt.Errorf("embedded category map: %w", err)
	}
	if f := cfg.Transform.CategoriesFile; f != "" {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, usageError{fmt.Errorf("transform.categories_file: %w", err)}
		}
		user, err := transform.ParseCategoryMap(data)
		if err != nil {
			return nil, usageError{fmt.Errorf("transform.categories_file %s: %w", f, err)}
		}
		cats.Merge(user)
	}
	var key []byte
	if cfg.Transform.PIIHashes() {
		v, ok := m.LookupEnv(cfg.Transform.PIIKeyEnv)
		if !ok || len(v) < transform.MinPIIKeyLen {
			return nil, usageErrorf("transform.pii (or a transform.pii_columns entry) is hash: set %s to a secret key of at least %d characters", cfg.Transform.PIIKeyEnv, transform.MinPIIKeyLen)
		}
		key = []byte(v)
	}
	tr, err := transform.New(transform.Options{
		Categories:       cats,
		StrictCategories: cfg.Transform.StrictCategories,
		PII:              transform.PIIPolicy(cfg.Transform.PII),
		PIIColumns:       cfg.Transform.PIIColumnPolicies(),
		PIIKey:           key,
		Reconcile:        transform.ReconcilePolicy(cfg.Transform.Reconcile),
	})
	if err != nil {
		return nil, usageError{err}
	}
	return tr, nil
}

// runOnce is the pipeline, shared by export, run and serve: for each billing
// period of the plan, in order, stream its invoices with their items from the
// API, transform them, write them, and publish the period as a whole.
func (p *pipeline) runOnce(ctx context.Context, periods []schemas.Period, run load.RunInfo) (*Summary, error) {
	sum := newSummary(run.RunID, periods)
	lock, err := p.lock(ctx, run.RunID, sum)
	if err != nil {
		return sum, err
	}
	defer func() {
		if err := lock.Release(context.WithoutCancel(ctx)); err != nil {
			p.log.Warn("could not release the lake lock; it expires with its lease", "err", err, "lease", p.cfg.Lake.Lease.D())
		}
	}()
	// Start from the page sizes the last run learned; remember what this
	// one learns, whatever its outcome (before the lock is released).
	p.loadPageSizes(ctx)
	defer p.savePageSizes(ctx)
	if rec, err := p.lake.Recover(ctx); err != nil {
		return sum, fmt.Errorf("recover the lake: %w", err)
	} else if len(rec.Staging)+len(rec.Strays)+rec.UploadsAborted > 0 {
		p.log.Info("recovered what an earlier run left behind", "recovery", rec)
	}
	// A lake written before accounts were part of its layout: move this
	// account's periods into its folders (once; crash-safe).
	if _, err := p.lake.Migrate(ctx, run.RunID, p.cfg.Lake.Lease.D()); err != nil {
		return sum, fmt.Errorf("move the lake's periods into the account's folders: %w", err)
	}
	p.progress.begin(ctx, periods)
	// One stream of invoices, period after period (each query is exactly
	// one period), so the API stays busy across period boundaries; each
	// period is published as soon as the stream moves past it, and a period
	// with no invoice is published empty (replacing what it held).
	queries := make([]extract.InvoiceQuery, len(periods))
	for i, per := range periods {
		queries[i] = extract.InvoiceQuery{Window: schemas.Window{From: per, To: per}}
	}
	var (
		w    *load.PeriodWriter
		next int // index of the next period to begin
	)
	// advance publishes the open period and begins the following one;
	// false when the plan is exhausted.
	advance := func() (bool, error) {
		if w != nil {
			period := periods[next-1]
			man, err := w.Publish(ctx)
			w = nil
			if err != nil {
				return false, fmt.Errorf("publish period %s: %w", period, err)
			}
			sum.published(period, man)
			p.progress.periodDone()
		}
		if next == len(periods) {
			return false, nil
		}
		var err error
		if w, err = p.lake.Begin(periods[next], run); err != nil {
			return false, err
		}
		next++
		return true, nil
	}
	for iw, err := range p.client.InvoicesWithItems(ctx, queries) {
		if err != nil {
			return sum, abortOpen(w, err)
		}
		period := schemas.PeriodOf(iw.Invoice.CreateDate)
		for w == nil || periods[next-1] != period {
			ok, err := advance()
			if err == nil && !ok {
				err = fmt.Errorf("invoice %d of period %s is outside the plan %v", iw.Invoice.ID, period, sum.Planned)
			}
			if err != nil {
				iw.Items.Close()
				return sum, abortOpen(w, err)
			}
		}
		s, err := p.invoice(ctx, w, iw)
		if err != nil {
			return sum, abortOpen(w, fmt.Errorf("period %s: %w", period, err))
		}
		sum.observe(iw.Invoice, s, p.log)
		p.progress.invoice(s.Rows())
	}
	for {
		ok, err := advance()
		if err != nil {
			return sum, abortOpen(w, err)
		}
		if !ok {
			break
		}
	}
	err = p.datasets(ctx, run, sum) // after the periods: never holds them back
	p.progress.finish()
	return sum, err
}

// invoice transforms one invoice and writes it to w in two passes over its
// spilled items (the hierarchy first, then the rows in id order), so that
// no whole invoice is held in memory. Each stage keeps only values: the
// spill reuses one item, Stream.Row fills one row from it, and AddRows
// copies what it keeps before pulling the next. The Index of a big invoice
// keeps its items in a temporary file (indexScratch), so that memory is
// the same whatever the invoice's size. It closes the spill and the
// scratch and returns the invoice's Stream (its row and what the summary
// counts).
func (p *pipeline) invoice(ctx context.Context, w *load.PeriodWriter, iw extract.InvoiceWithItems) (s *transform.Stream, err error) {
	defer iw.Items.Close()
	scratch := &indexScratch{} // in os.TempDir, like the item spills
	defer func() {
		if cerr := scratch.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	x := transform.NewIndex(iw.Invoice.ID, iw.Items.Len())
	x.SetScratch(scratch)
	for it, err := range iw.Items.Keys() {
		if err != nil {
			return nil, err
		}
		x.Add(it)
	}
	s, err = p.tr.Stream(iw.Invoice, x)
	if err != nil {
		return nil, err
	}
	p.docs.attach(ctx, &s.Invoice, &iw.Invoice, s.Period)
	err = w.AddRows(s.Invoice, func(yield func(*schemas.ItemRow, error) bool) {
		var row schemas.ItemRow
		for it, err := range iw.Items.Items() {
			if err == nil {
				err = s.Row(&row, it)
			}
			if !yield(&row, err) || err != nil {
				return
			}
		}
	})
	if err == nil {
		err = w.AddPayments(transform.PaymentRows(&iw.Invoice))
	}
	return s, err
}

// lock takes the lake's lock, polling every second for up to
// lake.lock_wait while another run holds it: a released lock is taken at
// once, so is one whose holder ran on this host and is gone (load checks),
// and a killed run's lock on another host once its lease expires (the live
// holder's lock renewer keeps its lease). The wait is recorded in sum.
func (p *pipeline) lock(ctx context.Context, holder string, sum *Summary) (*load.Lock, error) {
	start := time.Now()
	defer func() { sum.LockWait = time.Since(start).Round(time.Millisecond).String() }()
	deadline := start.Add(p.cfg.Lake.LockWait.D())
	logged := false
	for {
		lock, err := p.lake.Lock(ctx, holder, p.cfg.Lake.Lease.D())
		var held *load.LockedError
		if !errors.As(err, &held) {
			return lock, err
		}
		const poll = time.Second
		if time.Now().Add(poll).After(deadline) {
			return nil, err
		}
		if !logged {
			p.log.Info("the lake is locked by another run; waiting for it", "holder", held.Holder, "lease_until", held.Expires,
				"lock_wait", p.cfg.Lake.LockWait.D())
			logged = true
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// abortOpen discards the open period's writer, if any.
func abortOpen(w *load.PeriodWriter, err error) error {
	if w == nil {
		return err
	}
	return abort(w, err)
}

func abort(w *load.PeriodWriter, err error) error {
	if aerr := w.Abort(); aerr != nil {
		return fmt.Errorf("%w (and discarding the partial period failed: %v)", err, aerr)
	}
	return err
}
