package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/invoicelake/invoicelake/configs"
	"github.com/invoicelake/invoicelake/extract"
	"github.com/invoicelake/invoicelake/schemas"
)

// commonFlags are the flags every pipeline command shares. Each overrides
// the configuration file and the environment.
type commonFlags struct {
	config, out, endpoint, username     string
	logLevel, logFormat, pii, reconcile string
	strict, createLake                  bool
	concurrency, maxPeriods             int
	account                             string
	accountIndex                        int
	rate                                float64
	set                                 map[string]bool
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.config, "config", "", "YAML configuration `FILE` (every key with its default: configs/example.yaml)")
	fs.StringVar(&c.out, "out", "", "the lake's `LOCATION`: a folder, file:///path or s3://bucket/prefix")
	fs.StringVar(&c.endpoint, "endpoint", "", "SoftLayer REST API `URL`, ending in /rest/v3.1/")
	fs.StringVar(&c.username, "username", "", "SoftLayer `USER`: the classic user name (123456_me@example.com), or apikey with an IBM Cloud API key")
	fs.StringVar(&c.logLevel, "log-level", "", "the log's `LEVEL`: debug, info, warn or error")
	fs.StringVar(&c.logFormat, "log-format", "", "the log's `FORMAT`: auto (text and a progress bar on a terminal, JSON otherwise), text or json")
	fs.StringVar(&c.pii, "pii", "", "contact columns: `drop|hash|keep`")
	fs.StringVar(&c.reconcile, "reconcile", "", "an invoice whose items do not add up: `mark|fail`")
	fs.BoolVar(&c.strict, "strict-categories", false, "fail on an unknown top-level category code")
	fs.IntVar(&c.concurrency, "concurrency", 0, "invoices fetched in parallel")
	fs.Float64Var(&c.rate, "rate", 0, "API requests per second, shared by all workers (at most 50)")
	fs.BoolVar(&c.createLake, "create-lake", false, "make a lake in a location that holds other files (they are never touched)")
	fs.IntVar(&c.maxPeriods, "max-periods", 0, "refuse a plan of more billing periods than this")
	fs.StringVar(&c.account, "account", "", "only the configured account with this `NAME|ID`")
	fs.IntVar(&c.accountIndex, "account-index", 0, "only the configured account at this `POSITION`, from 0 (Kubernetes Indexed Jobs: $(JOB_COMPLETION_INDEX))")
}

// settings resolves defaults -> file -> environment -> flags.
func (m *Main) settings(fs *flag.FlagSet, c *commonFlags) (configs.Config, error) {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	c.set = given
	cfg := configs.Default()
	if c.config != "" {
		var err error
		if cfg, err = configs.ParseFile(c.config, m.LookupEnv); err != nil {
			return cfg, usageError{err}
		}
	}
	if v, ok := m.LookupEnv("SL_ENDPOINT_URL"); ok && v != "" {
		cfg.Source.Endpoint = v
	}
	if v, ok := m.LookupEnv("SL_USERNAME"); ok && v != "" {
		cfg.Source.Username = v
	}
	str := map[string]*string{
		"out": &cfg.Lake.Location, "endpoint": &cfg.Source.Endpoint, "username": &cfg.Source.Username,
		"log-level": &cfg.Log.Level, "log-format": &cfg.Log.Format, "pii": &cfg.Transform.PII,
		"reconcile": &cfg.Transform.Reconcile,
	}
	vals := map[string]string{
		"out": c.out, "endpoint": c.endpoint, "username": c.username, "log-level": c.logLevel,
		"log-format": c.logFormat, "pii": c.pii, "reconcile": c.reconcile,
	}
	for name, dst := range str {
		if given[name] {
			*dst = vals[name]
		}
	}
	if given["strict-categories"] {
		cfg.Transform.StrictCategories = c.strict
	}
	if given["concurrency"] {
		cfg.Source.Concurrency = c.concurrency
	}
	if given["rate"] {
		cfg.Source.RatePerSecond = c.rate
	}
	if given["create-lake"] {
		cfg.Lake.Create = c.createLake
	}
	if given["max-periods"] {
		cfg.Lake.MaxPeriods = c.maxPeriods
	}
	if err := cfg.Validate(); err != nil {
		return cfg, usageError{err}
	}
	return cfg, nil
}

// logger builds the one slog handler of the process: text on a terminal
// (written above the progress bar), JSON otherwise. Every duration is a
// number of seconds under a key ending in _seconds, in both.
func (m *Main) logger(cfg configs.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: secondsAttr}
	format := cfg.Log.Format
	if format == "auto" {
		format = "json"
		if isTerminal(m.Stderr) {
			format = "text"
		}
	}
	if format == "text" {
		var w io.Writer = m.Stderr
		if isTerminal(m.Stderr) {
			if m.tty == nil {
				m.tty = newTerm(m.Stderr)
			}
			w = m.tty
		}
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(m.Stderr, opts))
}

// secondsAttr writes a time.Duration as seconds (a number) under its key
// with _seconds added: "lock_wait_seconds": 1.5, never 1500000000 in one
// line and "1.5s" in another.
func secondsAttr(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() != slog.KindDuration {
		return a
	}
	key := a.Key
	if !strings.HasSuffix(key, "_seconds") {
		key += "_seconds"
	}
	return slog.Float64(key, a.Value.Duration().Round(time.Microsecond).Seconds())
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// credentials reads the secrets of acct, named by the configuration. They
// are never part of the configuration itself.
func (m *Main) credentials(acct configs.Account) (extract.Credentials, error) {
	where := "source"
	if acct.Label() != "default" {
		where = "account " + acct.Label()
	}
	cr := extract.Credentials{Username: acct.Username}
	if f := acct.BearerTokenFile; f != "" {
		tok, err := extract.ReadBearerTokenFile(f)
		if err != nil {
			return cr, usageError{fmt.Errorf("%s: bearer_token_file: %w", where, err)}
		}
		cr.BearerToken = tok
		return cr, nil
	}
	if f := acct.APIKeyFile; f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return cr, usageError{fmt.Errorf("%s: api_key_file: %w", where, err)}
		}
		cr.APIKey = extract.Secret(strings.TrimSpace(string(b)))
	} else if v, ok := m.LookupEnv(acct.APIKeyEnv); ok && v != "" {
		cr.APIKey = extract.Secret(v)
	}
	if cr.APIKey == "" {
		if where != "source" {
			return cr, usageErrorf("%s: no SoftLayer credentials: set %s, or its api_key_file or bearer_token_file", where, acct.APIKeyEnv)
		}
		return cr, usageErrorf("no SoftLayer credentials: set %s (and SL_USERNAME), or source.api_key_file or source.bearer_token_file in the config", acct.APIKeyEnv)
	}
	if cr.Username == "" {
		return cr, usageErrorf("%s: no SoftLayer username: set SL_USERNAME or the username (\"apikey\" for an IBM Cloud API key)", where)
	}
	return cr, nil
}

func (m *Main) extractConfig(cfg configs.Config, acct configs.Account, log *slog.Logger) (extract.Config, error) {
	cr, err := m.credentials(acct)
	if err != nil {
		return extract.Config{}, err
	}
	return extract.Config{
		Endpoint:        cfg.Source.Endpoint,
		Credentials:     cr,
		Timeout:         cfg.Source.Timeout.D(),
		InvoicePageSize: cfg.Source.InvoicePageSize,
		ItemPageSize:    cfg.Source.ItemPageSize,
		MaxPageSize:     cfg.Source.MaxPageSize,
		Concurrency:     cfg.Source.Concurrency,
		Rate:            acct.RatePerSecond,
		Retry: extract.RetryPolicy{
			MaxAttempts: cfg.Source.MaxAttempts,
			MaxElapsed:  cfg.Source.MaxRetryTime.D(),
		},
		Logger:    log,
		UserAgent: "invoicelake/" + version,
	}, nil
}

func parseWindow(from, to string) (schemas.Window, error) {
	if from == "" || to == "" {
		return schemas.Window{}, usageErrorf("--from and --to are required (YYYY-MM)")
	}
	f, err := parsePeriod(from)
	if err != nil {
		return schemas.Window{}, usageErrorf("--from: %v", err)
	}
	t, err := parsePeriod(to)
	if err != nil {
		return schemas.Window{}, usageErrorf("--to: %v", err)
	}
	w := schemas.Window{From: f, To: t}
	if err := w.Validate(); err != nil {
		return w, usageError{err}
	}
	return w, nil
}

// parsePeriod parses YYYY-MM, years 2000..9999 (SoftLayer has no older
// invoice; the lake names no other year).
func parsePeriod(s string) (schemas.Period, error) {
	p, err := schemas.ParsePeriod(s)
	if err != nil {
		return p, err
	}
	if p.Year < 2000 {
		return p, fmt.Errorf("billing period %s: want a year from 2000 on", p)
	}
	return p, nil
}

// periodsIn counts the periods of w without listing them.
func periodsIn(w schemas.Window) int {
	return (w.To.Year-w.From.Year)*12 + int(w.To.Month) - int(w.From.Month) + 1
}

// checkPlanSize refuses a window wider than lake.max_periods: a typo such
// as --from 1900-01 would otherwise hold the lock for hours.
func checkPlanSize(cfg configs.Config, w schemas.Window) error {
	if n := periodsIn(w); n > cfg.Lake.MaxPeriods {
		return usageErrorf("%s..%s is %d billing periods, more than lake.max_periods (%d): narrow the window, or raise --max-periods if you mean it",
			w.From, w.To, n, cfg.Lake.MaxPeriods)
	}
	return nil
}

func schemaVersion() string { return schemas.SchemaVersion }

// central is the API's home zone: "now" in billing-period terms.
var central = func() *time.Location {
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		return time.FixedZone("CST", -6*3600)
	}
	return loc
}()
