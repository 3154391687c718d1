package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/invoicelake/invoicelake/configs"
	"github.com/invoicelake/invoicelake/schemas"
	"github.com/robfig/cron/v3"
)

func (m *Main) serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var c commonFlags
	c.register(fs)
	spec := fs.String("schedule", "", "cron `spec` (overrides schedule.cron), UTC unless CRON_TZ= is given")
	listen := fs.String("listen", "", "`addr` for /healthz and /metrics (overrides schedule.listen)")
	var sched cron.Schedule
	f, err := m.setup(ctx, fs, &c, args, func(cfg *configs.Config) (err error) {
		if *spec != "" {
			cfg.Schedule.Cron = *spec
		}
		if *listen != "" {
			cfg.Schedule.Listen = *listen
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
	for _, p := range f.pipes {
		p.progress = nil // a daemon logs; it draws no progress bar
	}
	met := newMetrics()

	ln, err := net.Listen("tcp", cfg.Schedule.Listen)
	if err != nil {
		return usageError{fmt.Errorf("schedule.listen %s: %w", cfg.Schedule.Listen, err)}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.Handle("GET /metrics", met)
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
	cl := cronLogger{log}
	cr := cron.New(cron.WithLocation(time.UTC), cron.WithLogger(cl),
		cron.WithChain(cron.SkipIfStillRunning(cl), cron.Recover(cl)))
	cr.Schedule(sched, cron.FuncJob(func() {
		met.begin()
		now := m.now()
		var mu sync.Mutex
		err := f.each(runCtx, func(ctx context.Context, p *pipeline) error {
			sum, err := m.runIncremental(ctx, p, false, now, false)
			mu.Lock()
			met.account(sum, err)
			mu.Unlock()
			return err
		})
		met.end(err)
		if err != nil {
			log.Error("scheduled run failed", "err", err, "exit_class", exitCode(err))
		}
	}))
	cr.Start()
	log.Info("serving", "schedule", cfg.Schedule.Cron, "next_run", sched.Next(time.Now()).UTC(), "listen", ln.Addr().String())

	<-ctx.Done()
	log.Info("stopping: no new runs; waiting for a run in flight", "timeout", cfg.Schedule.StopTimeout.D())
	stopped := cr.Stop()
	var abandoned error
	select {
	case <-stopped.Done():
	case <-time.After(cfg.Schedule.StopTimeout.D()):
		log.Warn("stop timeout: abandoning the run in flight (the lake keeps its previous version)")
		cancelRuns()
		<-stopped.Done()
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
