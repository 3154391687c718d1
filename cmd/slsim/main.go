// Command slsim serves a simulated SoftLayer (IBM Cloud Classic) billing
// API on loopback, for tests, benchmarks and the demo. See docs/SIMULATOR.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/invoicelake/invoicelake/extract/slsim"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// usageError is a bad flag or value: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }

type config struct {
	addr  string
	truth string
	opts  slsim.Options
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	o := &c.opts
	fs := flag.NewFlagSet("slsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var now string
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8765", "listen address (loopback by default)")
	fs.Int64Var(&o.Seed, "seed", 1, "seed of the simulated account")
	fs.IntVar(&o.Accounts, "accounts", 1, fmt.Sprintf("number of accounts (1..%d), each with its own id, credentials and history", slsim.MaxAccounts))
	fs.IntVar(&o.Months, "months", 24, "months of history before the clock")
	fs.StringVar(&o.User, "user", slsim.DefaultUser, "classic API user name")
	fs.StringVar(&o.APIKey, "api-key", slsim.DefaultAPIKey, "classic API key")
	fs.StringVar(&o.IAMKey, "iam-key", slsim.DefaultIAMKey, "IBM Cloud API key (Basic apikey:KEY)")
	fs.StringVar(&o.BearerToken, "bearer-token", slsim.DefaultBearerToken, "IAM access token (Authorization: Bearer TOKEN)")
	fs.StringVar(&c.truth, "truth", "", "write the ground truth JSON to this file at start and whenever the clock moves")
	fs.StringVar(&now, "now", "", "simulated clock start, RFC 3339 (default: now)")
	fs.Float64Var(&o.Scale, "scale", 1, "multiplies resource counts")
	fs.IntVar(&o.HeavyInvoiceItems, "heavy-invoice-items", 0, "items on the heaviest invoice (0: default 20000, -1: none)")
	fs.DurationVar(&o.Latency, "latency", 0, "added to every API answer")
	fs.DurationVar(&o.Jitter, "jitter", 0, "random extra latency, up to this")
	fs.Float64Var(&o.RateLimit, "rate-limit", 50, "requests per second per credential (negative: off)")
	fs.Float64Var(&o.ErrorRate, "error-rate", 0, "fraction of answers that are HTTP 500 Internal Error")
	fs.Float64Var(&o.Error200Rate, "error200-rate", 0, "fraction of answers that are an Internal Error body with HTTP 200")
	fs.IntVar(&o.MaxPageBytes, "max-page-bytes", 0, "answer HTTP 500 Internal Error when a body would be larger (0: off)")
	fs.Float64Var(&o.TruncateRate, "truncate-rate", 0, "fraction of answers cut in half")
	fs.Float64Var(&o.MalformedRate, "malformed-rate", 0, "fraction of answers that are not valid JSON")
	fs.Float64Var(&o.ResetRate, "reset-rate", 0, "fraction of requests whose connection is reset")
	fs.Float64Var(&o.SlowRate, "slow-rate", 0, "fraction of answers delayed by --slow-delay")
	fs.DurationVar(&o.SlowDelay, "slow-delay", 2*time.Second, "delay of a slow answer")
	fs.BoolVar(&o.ShuffleUnsorted, "shuffle-unsorted", false, "return results without orderBy in a random order")
	fs.BoolVar(&o.BareObjectOnLimitOne, "bare-object-on-limit-one", false, "return a bare object for resultLimit with limit 1")
	fs.BoolVar(&o.DropLocalsOnRelationalOnly, "drop-locals-on-relational-only", false, "no locals at a mask level naming only relational properties")
	fs.BoolVar(&o.OmitNullLocals, "omit-null-locals", false, "leave null local properties out instead of writing null")
	fs.IntVar(&o.InconsistentInvoices, "inconsistent-invoices", 0, "invoices whose invoiceTotalAmount is off by 0.01")
	fs.Int64Var(&o.FaultSeed, "fault-seed", 1, "seed of the random faults")
	if err := fs.Parse(args); err != nil {
		return c, usageError{err}
	}
	if fs.NArg() > 0 {
		return c, usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if now != "" {
		t, err := time.Parse(time.RFC3339, now)
		if err != nil {
			return c, usageError{fmt.Errorf("--now %q: want RFC 3339", now)}
		}
		o.Now = t
	}
	if o.RateLimit == 0 {
		return c, usageError{errors.New("--rate-limit 0: use a negative value to turn the limit off")}
	}
	if o.Accounts < 1 || o.Accounts > slsim.MaxAccounts {
		return c, usageError{fmt.Errorf("--accounts %d: want 1..%d", o.Accounts, slsim.MaxAccounts)}
	}
	return c, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	c, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "slsim: %v\n", err)
		return 2
	}
	c.opts.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, c, stdout); err != nil {
		fmt.Fprintf(stderr, "slsim: %v\n", err)
		var ue usageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	return 0
}

func serve(ctx context.Context, c config, stdout io.Writer) error {
	srv, err := slsim.Listen(c.opts, c.addr)
	if err != nil {
		return usageError{err}
	}
	sim := srv.Sim()
	if c.truth != "" {
		if err := writeTruth(c.truth, sim.Truth()); err != nil {
			_ = srv.Close()
			return err
		}
		sim.OnClock(func() {
			if err := writeTruth(c.truth, sim.Truth()); err != nil {
				c.opts.Logger.Error("slsim: write truth", "err", err)
			}
		})
	}
	fmt.Fprintf(stdout, "listening on http://%s/rest/v3.1/\n", srv.Addr())
	for _, a := range sim.Accounts() {
		cr := a.Credentials
		fmt.Fprintf(stdout, "account %d id=%d user=%s api_key=%s iam_key=%s bearer_token=%s\n",
			a.Index+1, a.ID, cr.User, cr.APIKey, cr.IAMKey, cr.BearerToken)
	}
	<-ctx.Done()
	return srv.Close()
}

// writeTruth replaces path atomically (write to a temporary file, rename).
func writeTruth(path string, t slsim.Truth) error {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return fmt.Errorf("truth: encode: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".truth-*.json")
	if err != nil {
		return fmt.Errorf("truth: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("truth: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("truth: close %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("truth: %w", err)
	}
	return nil
}
