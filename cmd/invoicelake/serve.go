package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/invoicelake/invoicelake/configs"
	"github.com/invoicelake/invoicelake/extract"
	"github.com/invoicelake/invoicelake/schemas"
	"github.com/robfig/cron/v3"
)

func (m *Main) serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var c commonFlags
	c.register(fs)
	spec := fs.String("schedule", "", "cron `SPEC` (5 fields, or @daily, @every 6h), UTC unless CRON_TZ= is given")
	listen := fs.String("listen", "", "`ADDR` of /healthz, /readyz and /metrics")
	runAtStart := fs.Bool("run-at-start", true, "run once at start, before the schedule's first time (--run-at-start=false: wait for it)")
	var sched cron.Schedule
	f, err := m.setup(ctx, fs, &c, args, func(cfg *configs.Config) (err error) {
		if *spec != "" {
			cfg.Schedule.Cron = *spec
		}
		if *listen != "" {
			cfg.Schedule.Listen = *listen
		}
		if c.set["run-at-start"] {
			cfg.Schedule.RunAtStart = *runAtStart
		}
		if sched, err = parseSchedule(cfg.Schedule.Cron); err != nil {
			return usageError{fmt.Errorf("schedule.cron: %w", err)}
		}
		if err := checkSchedule(sched, cfg.Schedule.Cron, m.now(), m.minInterval()); err != nil {
			return usageError{fmt.Errorf("schedule.cron: %w", err)}
		}
		if s := cfg.Incremental.StartPeriod; s != "" {
			// A first run backfills from here: refuse now, not at 3am.
			start, err := parsePeriod(s)
			if err != nil {
				return usageError{fmt.Errorf("incremental.start_period: %w", err)}
			}
			if cur := schemas.PeriodOf(m.now().In(central)); !cur.Before(start) {
				if err := checkPlanSize(*cfg, schemas.Window{From: start, To: cur}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	cfg, log := f.cfg, f.log
	labels := make([]string, len(f.pipes))
	for i, p := range f.pipes {
		labels[i] = p.acct.Label()
	}
	met := newMetrics(labels, scheduleInterval(sched.Next, m.now()))
	for _, p := range f.pipes {
		p.progress = nil // a daemon logs; it draws no progress bar
		p.observe = func(a extract.Attempt) { met.attempt(accountIDOf(p), a) }
	}

	ln, err := net.Listen("tcp", cfg.Schedule.Listen)
	if err != nil {
		return usageError{fmt.Errorf("schedule.listen %s: %w", cfg.Schedule.Listen, err)}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", met.readyz)
	mux.Handle("GET /metrics", met.handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", "err", err)
		}
	})

	// Runs get their own context: SIGTERM stops the schedule at once but lets
	// a run in flight finish for up to stop_timeout, then cancels it. The
	// publish protocol makes an abandoned run safe to retry.
	runCtx, cancelRuns := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRuns()
	// opened opens an account's part of the lake (one API call, the first
	// time) and reads its run history into the metrics, once.
	opened := func(ctx context.Context, p *pipeline) error {
		if err := p.open(ctx); err != nil {
			return err
		}
		met.known(p.acct.Label(), strconv.FormatInt(p.lake.Account(), 10))
		if err := met.seed(ctx, p.acct.Label(), p.lake); err != nil {
			p.log.Warn("could not read the run history from the lake: the last success is unknown until a run succeeds", "err", err)
		}
		return nil
	}
	// runMu keeps the accounts' opening at start and the runs apart: a
	// pipeline is opened by one goroutine at a time.
	var runMu sync.Mutex
	job := func() {
		runMu.Lock()
		defer runMu.Unlock()
		met.running.Set(1)
		defer met.running.Set(0)
		now := m.now()
		err := f.each(runCtx, func(ctx context.Context, p *pipeline) error {
			started := time.Now()
			if err := opened(ctx, p); err != nil {
				met.end(p.acct.Label(), started, nil, err)
				return err
			}
			met.begin(p.acct.Label(), started)
			sum, err := m.runIncremental(ctx, p, false, now, false)
			met.end(p.acct.Label(), started, sum, err)
			return err
		})
		if err != nil {
			log.Error("scheduled run failed", "err", err, "exit_class", exitCode(err))
		}
	}
	cl := cronLogger{log}
	// One chain for the schedule and the run at start: never two at once.
	run := cron.NewChain(cron.SkipIfStillRunning(cl), cron.Recover(cl)).Then(cron.FuncJob(job))
	cr := cron.New(cron.WithLocation(time.UTC), cron.WithLogger(cl))
	cr.Schedule(sched, run)
	cr.Start()
	var first sync.WaitGroup
	first.Go(func() {
		// Each account's history first (one API call each, outside any
		// run's summary), so that a long first run does not show a
		// last success of 0; then the run at start, if any.
		runMu.Lock()
		for _, p := range f.pipes {
			if err := opened(runCtx, p); err != nil {
				p.log.Warn("could not open the account's lake at start; its history is read at its first run", "err", err)
			}
		}
		runMu.Unlock()
		if cfg.Schedule.RunAtStart {
			run.Run()
		}
	})
	log.Info("serving", "schedule", cfg.Schedule.Cron, "run_at_start", cfg.Schedule.RunAtStart,
		"next_run", sched.Next(time.Now()).UTC(), "listen", ln.Addr().String())

	<-ctx.Done()
	log.Info("stopping: no new runs; waiting for a run in flight", "timeout", cfg.Schedule.StopTimeout.D())
	stopped := cr.Stop()
	idle := make(chan struct{}) // the scheduled runs and the first are over
	go func() {
		<-stopped.Done()
		first.Wait()
		close(idle)
	}()
	var abandoned error
	select {
	case <-idle:
	case <-time.After(cfg.Schedule.StopTimeout.D()):
		log.Warn("stop timeout: abandoning the run in flight (the lake keeps its previous version)")
		cancelRuns()
		<-idle
		abandoned = fmt.Errorf("serve: stopped after abandoning the run in flight at schedule.stop_timeout (%s); "+
			"the periods it had not published keep their previous version: %w", cfg.Schedule.StopTimeout.D(), context.Canceled)
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutCtx)
	wg.Wait()
	return abandoned
}

// minInterval is the shortest gap between two scheduled runs serve
// accepts: a minute (tests lower it).
func (m *Main) minInterval() time.Duration {
	if m.MinScheduleInterval > 0 {
		return m.MinScheduleInterval
	}
	return time.Minute
}

// checkSchedule refuses a schedule that never fires (e.g. 0 0 31 2 *), an
// @every that is not positive, or one that fires more often than min.
func checkSchedule(s cron.Schedule, spec string, now time.Time, min time.Duration) error {
	if d, ok := strings.CutPrefix(strings.TrimSpace(spec), "@every "); ok {
		if v, err := time.ParseDuration(strings.TrimSpace(d)); err != nil || v <= 0 {
			return fmt.Errorf("%q: @every needs a positive duration", spec)
		}
	}
	if cd, ok := s.(cron.ConstantDelaySchedule); ok && cd.Delay < min {
		return fmt.Errorf("%q fires every %s: runs more often than every %s are refused", spec, cd.Delay, min)
	}
	// The next fire times within a few years tell the rest: cron's Next
	// gives the zero time when nothing matches within five years.
	t := now
	for i := range 100 {
		next := s.Next(t)
		if next.IsZero() {
			if i == 0 {
				return fmt.Errorf("%q never fires", spec)
			}
			break
		}
		if i > 0 && next.Sub(t) < min {
			return fmt.Errorf("%q fires at %s and %s: runs more often than every %s are refused",
				spec, t.UTC().Format(time.RFC3339), next.UTC().Format(time.RFC3339), min)
		}
		t = next
	}
	return nil
}

// parseSchedule parses a robfig/cron spec (5 fields or a descriptor such as
// @daily, optionally prefixed with CRON_TZ=Zone) and turns the library's
// panics on malformed specs into errors.
func parseSchedule(spec string) (s cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("invalid cron spec %q", spec)
		}
	}()
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, errors.New("empty cron spec")
	}
	s, err = cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("invalid cron spec %q: %w", spec, err)
	}
	return s, nil
}

// cronLogger adapts slog to cron.Logger.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}

// accountIDOf labels a pipeline's metrics: the id the API reported, or
// the configured one before the first call answered.
func accountIDOf(p *pipeline) string {
	if p.lake != nil {
		return strconv.FormatInt(p.lake.Account(), 10)
	}
	if p.acct.ID != 0 {
		return strconv.FormatInt(p.acct.ID, 10)
	}
	return "unknown"
}
