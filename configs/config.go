package configs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/invoicelake/invoicelake/extract"
	"github.com/invoicelake/invoicelake/load"
	"github.com/invoicelake/invoicelake/transform"
	"gopkg.in/yaml.v3"
)

// Config is the whole configuration of a run or a daemon. Secrets are never
// fields of it: only the names of the environment variables or files that
// hold them, so a Config can be logged and printed safely.
type Config struct {
	Source Source `yaml:"source"`
	// Accounts are the SoftLayer accounts exported into the lake, each with
	// its own credential and rate limit. Empty: one account, whose
	// credential is source's (username, api_key_env, ...).
	Accounts    []Account   `yaml:"accounts"`
	Lake        Lake        `yaml:"lake"`
	Transform   Transform   `yaml:"transform"`
	Incremental Incremental `yaml:"incremental"`
	Schedule    Schedule    `yaml:"schedule"`
	Log         Log         `yaml:"log"`
	Documents   Documents   `yaml:"documents"`
}

// Documents controls the archive of invoice documents (off by default):
// each CLOSED invoice's documents are fetched once, written once under
// documents/billing_period=YYYY-MM/ in the lake, and the PDF is referenced
// from the invoices table (document_key, document_sha256).
type Documents struct {
	Enabled bool     `yaml:"enabled"`
	Kinds   []string `yaml:"kinds"` // pdf (default), pdf_detailed, excel
}

// DocumentKinds are the values documents.kinds accepts.
var DocumentKinds = []string{"pdf", "pdf_detailed", "excel"}

// Source is the SoftLayer API side.
type Source struct {
	Endpoint        string   `yaml:"endpoint"`          // default https://api.softlayer.com/rest/v3.1/
	Username        string   `yaml:"username"`          // classic user, or "apikey" with an IBM Cloud API key
	APIKeyEnv       string   `yaml:"api_key_env"`       // name of the env var holding the API key (default SL_API_KEY)
	APIKeyFile      string   `yaml:"api_key_file"`      // or a file holding it (e.g. a mounted Secret)
	BearerTokenFile string   `yaml:"bearer_token_file"` // or an IAM access token file; wins over the API key
	Timeout         Duration `yaml:"timeout"`
	InvoicePageSize int      `yaml:"invoice_page_size"`
	ItemPageSize    int      `yaml:"item_page_size"`
	// MaxPageSize bounds the pages' growth: each list method's page
	// adapts up to max(its page size, max_page_size), and the sizes
	// learned are remembered per account between runs. At or below the
	// page sizes, pages never grow past them.
	MaxPageSize   int      `yaml:"max_page_size"`
	Concurrency   int      `yaml:"concurrency"`
	RatePerSecond float64  `yaml:"rate_per_second"`
	MaxAttempts   int      `yaml:"max_attempts"`
	MaxRetryTime  Duration `yaml:"max_retry_time"`
	// ParallelAccounts bounds the accounts a `run` or `export` of several
	// accounts exports at once (each at its own rate limit).
	ParallelAccounts int `yaml:"parallel_accounts"`
}

// Account is one SoftLayer account of the lake. The lake files its data
// under the id the API reports for the credential; ID, when set, is
// checked against it before anything is written.
type Account struct {
	Name            string  `yaml:"name"`              // a label for logs, run summaries and --account (default: the id)
	ID              int64   `yaml:"id"`                // optional: the account the credential must belong to
	Username        string  `yaml:"username"`          // classic user, or "apikey" with an IBM Cloud API key
	APIKeyEnv       string  `yaml:"api_key_env"`       // the env var holding its API key...
	APIKeyFile      string  `yaml:"api_key_file"`      // ...or a file holding it
	BearerTokenFile string  `yaml:"bearer_token_file"` // or an IAM access token file (wins over the API key)
	RatePerSecond   float64 `yaml:"rate_per_second"`   // SoftLayer limits per user (default source.rate_per_second)
}

// Label names the account for people: its name, else its id, else
// "default" (the implicit account of a configuration without accounts).
func (a Account) Label() string {
	switch {
	case a.Name != "":
		return a.Name
	case a.ID != 0:
		return strconv.FormatInt(a.ID, 10)
	}
	return "default"
}

// AccountList returns the accounts to export: Accounts, with
// rate_per_second defaulted, or, when there are none, the one account
// whose credential is source's.
func (c Config) AccountList() []Account {
	if len(c.Accounts) == 0 {
		return []Account{{Username: c.Source.Username, APIKeyEnv: c.Source.APIKeyEnv, APIKeyFile: c.Source.APIKeyFile,
			BearerTokenFile: c.Source.BearerTokenFile, RatePerSecond: c.Source.RatePerSecond}}
	}
	out := make([]Account, len(c.Accounts))
	for i, a := range c.Accounts {
		if a.RatePerSecond == 0 {
			a.RatePerSecond = c.Source.RatePerSecond
		}
		out[i] = a
	}
	return out
}

// Lake is where the Parquet files go.
type Lake struct {
	Location string   `yaml:"location"` // a folder, file://..., or s3://bucket/prefix
	S3       S3       `yaml:"s3"`
	Lease    Duration `yaml:"lock_lease"` // renewed every lease/3; a run killed on another host blocks the lake this long
	LockWait Duration `yaml:"lock_wait"`  // how long a run waits for another run's lock before giving up
	// Create makes a lake in a location that already holds other files
	// (never touched); without it such a location is refused.
	Create bool `yaml:"create"`
	// MaxPeriods refuses a plan of more billing periods than this.
	MaxPeriods int `yaml:"max_periods"`
}

// S3 holds the S3 settings beyond the SDK's standard configuration chain
// (AWS_REGION, AWS_ENDPOINT_URL_S3, profiles, web identity...).
type S3 struct {
	Region    string `yaml:"region"`
	Endpoint  string `yaml:"endpoint"`   // IBM COS, MinIO, versitygw...
	PathStyle bool   `yaml:"path_style"` // force path-style addressing
	SSE       string `yaml:"sse"`        // "", "AES256" (SSE-S3) or "aws:kms"
	KMSKeyID  string `yaml:"kms_key_id"`
}

// Load returns the settings as load takes them (the one place they are
// validated: load.S3Config.Validate).
func (s S3) Load() load.S3Config {
	return load.S3Config{Region: s.Region, Endpoint: s.Endpoint, PathStyle: s.PathStyle, SSE: s.SSE, KMSKeyID: s.KMSKeyID}
}

// Transform settings.
type Transform struct {
	CategoriesFile   string `yaml:"categories_file"`   // overrides/extends the embedded map
	StrictCategories bool   `yaml:"strict_categories"` // fail on an unknown top-level category code
	PII              string `yaml:"pii"`               // drop (default), hash or keep: the contact columns pii_columns does not name
	// PIIColumns overrides pii per contact column (country: keep, email:
	// hash...); the defaults keep country and state.
	PIIColumns map[string]string `yaml:"pii_columns"`
	PIIKeyEnv  string            `yaml:"pii_key_env"` // env var holding the HMAC key for pii: hash
	Reconcile  string            `yaml:"reconcile"`   // mark (default) or fail
}

// PIIColumnPolicies returns pii_columns as transform takes them.
func (t Transform) PIIColumnPolicies() map[string]transform.PIIPolicy {
	out := make(map[string]transform.PIIPolicy, len(t.PIIColumns))
	for c, p := range t.PIIColumns {
		out[c] = transform.PIIPolicy(p)
	}
	return out
}

// PIIHashes reports whether a contact column is hashed (the key is then
// required).
func (t Transform) PIIHashes() bool {
	if t.PII == string(transform.PIIHash) {
		for _, c := range transform.ContactColumns {
			if _, set := t.PIIColumns[c]; !set {
				return true
			}
		}
	}
	for _, p := range t.PIIColumns {
		if p == string(transform.PIIHash) {
			return true
		}
	}
	return false
}

// Incremental controls `run`.
type Incremental struct {
	StartPeriod     string   `yaml:"start_period"`     // first run backfills from here (YYYY-MM)
	LookbackPeriods int      `yaml:"lookback_periods"` // always re-export the last N periods (default 3)
	SafetyMargin    Duration `yaml:"safety_margin"`    // watermark minus this (default 48h)
}

// Schedule controls `serve`.
type Schedule struct {
	Cron        string   `yaml:"cron"`         // robfig/cron spec, UTC unless CRON_TZ= is given
	Listen      string   `yaml:"listen"`       // /healthz and /metrics (default 127.0.0.1:9090)
	StopTimeout Duration `yaml:"stop_timeout"` // how long SIGTERM waits for a run in flight
	// RunAtStart runs once when serve starts, before the schedule's first
	// time (default true): a new pod catches up instead of waiting a day.
	RunAtStart bool `yaml:"run_at_start"`
}

// Log settings.
type Log struct {
	Level  string `yaml:"level"`  // debug, info (default), warn, error
	Format string `yaml:"format"` // auto (default: text on a terminal, JSON otherwise), text, json
}

// Duration is a time.Duration written as "90s", "5m", "48h" in YAML.
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: want a duration like 30s or 48h", n.Line)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: duration %q: want a value like 30s or 48h", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration back as a string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Default returns the configuration used when a field is not set.
func Default() Config {
	return Config{
		Source: Source{
			Endpoint:         "https://api.softlayer.com/rest/v3.1/",
			APIKeyEnv:        "SL_API_KEY",
			Timeout:          Duration(extract.DefaultTimeout),
			InvoicePageSize:  extract.DefaultInvoicePageSize,
			ItemPageSize:     extract.DefaultItemPageSize,
			MaxPageSize:      extract.DefaultMaxPageSize,
			Concurrency:      extract.DefaultConcurrency,
			RatePerSecond:    extract.DefaultRate,
			MaxAttempts:      extract.DefaultMaxAttempts,
			MaxRetryTime:     Duration(extract.DefaultRetryMaxElapsed),
			ParallelAccounts: 2,
		},
		Lake: Lake{Location: "./lake", Lease: Duration(time.Minute), LockWait: Duration(5 * time.Minute), MaxPeriods: 240},
		Transform: Transform{
			PII:        string(transform.PIIDrop),
			PIIColumns: defaultPIIColumns(),
			PIIKeyEnv:  "INVOICELAKE_PII_KEY",
			Reconcile:  string(transform.ReconcileMark),
		},
		Incremental: Incremental{LookbackPeriods: 3, SafetyMargin: Duration(48 * time.Hour)},
		Schedule: Schedule{
			Cron:        "CRON_TZ=UTC 17 3 * * *",
			Listen:      "127.0.0.1:9090",
			StopTimeout: Duration(5 * time.Minute),
			RunAtStart:  true,
		},
		Log:       Log{Level: "info", Format: "auto"},
		Documents: Documents{Kinds: []string{"pdf"}},
	}
}

func defaultPIIColumns() map[string]string {
	out := map[string]string{}
	for c, p := range transform.DefaultPIIColumns() {
		out[c] = string(p)
	}
	return out
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Parse reads a YAML configuration over Default(): unknown keys are errors,
// ${VAR} references are expanded from lookup (os.LookupEnv in production),
// and the result is validated. Errors name the field or line.
func Parse(data []byte, lookup func(string) (string, bool)) (Config, error) {
	cfg := Default()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if len(doc.Content) == 0 { // an empty file means all defaults
		return cfg, cfg.Validate()
	}
	// Expand ${VAR} in scalar values only (never in keys or comments), so an
	// environment value cannot inject YAML structure.
	if err := expand(&doc, lookup); err != nil {
		return Config{}, err
	}
	var buf bytes.Buffer
	if err := yaml.NewEncoder(&buf).Encode(&doc); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	dec := yaml.NewDecoder(&buf)
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("config: %w", hintSecrets(err))
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func expand(n *yaml.Node, lookup func(string) (string, bool)) error {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "${") {
		var missing []string
		n.Value = envRef.ReplaceAllStringFunc(n.Value, func(m string) string {
			name := envRef.FindStringSubmatch(m)[1]
			v, ok := lookup(name)
			if !ok {
				missing = append(missing, name)
			}
			return v
		})
		if len(missing) > 0 {
			return fmt.Errorf("config: line %d: ${%s} is not set in the environment", n.Line, strings.Join(missing, "}, ${"))
		}
		n.Style, n.Tag = 0, "" // let the result resolve like a plain value ("40" is a number)
	}
	for i, c := range n.Content {
		if n.Kind == yaml.MappingNode && i%2 == 0 {
			continue // keys are never expanded
		}
		if err := expand(c, lookup); err != nil {
			return err
		}
	}
	return nil
}

func hintSecrets(err error) error {
	msg := err.Error()
	for _, k := range []string{"api_key", "password", "token", "secret", "pii_key"} {
		if strings.Contains(msg, "field "+k+" not found") {
			return fmt.Errorf("%w (secrets are never written in the config: use %s_env or %s_file naming where the secret is)", err, k, k)
		}
	}
	return err
}

// ParseFile reads and parses the file at path.
func ParseFile(path string, lookup func(string) (string, bool)) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	cfg, err := Parse(data, lookup)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// Validate checks every field and names each bad one. No message repeats
// credentials found in a URL.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", field, fmt.Sprintf(format, args...)))
	}
	if hasUserInfo(c.Source.Endpoint) {
		bad("source.endpoint", "not an http(s) URL without credentials: user info is refused (give them with SL_USERNAME and SL_API_KEY): %q", RedactURL(c.Source.Endpoint))
	} else if u, err := url.Parse(c.Source.Endpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		// The value is never repeated: a URL that does not parse may hold
		// the API key.
		bad("source.endpoint", "not an http(s) URL with a host (the value is not repeated here: it may hold a credential)")
	}
	if c.Source.Timeout <= 0 {
		bad("source.timeout", "must be positive")
	}
	for _, ps := range []struct {
		field string
		v     int
	}{{"source.invoice_page_size", c.Source.InvoicePageSize}, {"source.item_page_size", c.Source.ItemPageSize},
		{"source.max_page_size", c.Source.MaxPageSize}} {
		if ps.v < extract.MinPageSizeLimit || ps.v > extract.MaxPageSizeLimit {
			bad(ps.field, "%d is outside %d..%d", ps.v, extract.MinPageSizeLimit, extract.MaxPageSizeLimit)
		}
	}
	if c.Source.Concurrency < 1 || c.Source.Concurrency > 64 {
		bad("source.concurrency", "%d is outside 1..64", c.Source.Concurrency)
	}
	if !(c.Source.RatePerSecond > 0 && c.Source.RatePerSecond <= 50) { // NaN is refused too
		bad("source.rate_per_second", "%g is outside (0, 50]: the API allows 50 requests/s per user", c.Source.RatePerSecond)
	}
	if c.Source.MaxAttempts < 1 {
		bad("source.max_attempts", "must be at least 1")
	}
	loc := c.Lake.Location
	switch {
	case loc == "":
		bad("lake.location", "is required (a folder, file://... or s3://bucket/prefix)")
	case hasUserInfo(loc):
		bad("lake.location", "%q: credentials in the URL are refused (S3 credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile or a web identity); the URL is not repeated", RedactURL(loc))
	case strings.HasPrefix(loc, "s3://"):
		bucket, prefix, _ := strings.Cut(strings.TrimPrefix(loc, "s3://"), "/")
		if bucket == "" {
			bad("lake.location", "%q: want s3://bucket/prefix", loc)
		} else if prefix = strings.TrimSuffix(prefix, "/"); prefix != "" && badSegments(prefix) {
			bad("lake.location", "%q: the prefix has an empty, . or .. segment", loc)
		}
	case strings.HasPrefix(loc, "file://"):
		if u, err := url.Parse(loc); err != nil {
			bad("lake.location", "%q: not a valid file:// URL", loc)
		} else if u.Host != "" && u.Host != "localhost" {
			bad("lake.location", "%q: a file:// URL names a folder on this machine, not on host %q (want file:///path)", loc, u.Host)
		} else if isRoot(u.Path) {
			bad("lake.location", "%q: the root folder cannot be a lake location", loc)
		}
	case strings.Contains(loc, "://"):
		bad("lake.location", "%q: only a folder, file:// and s3:// are supported", RedactURL(loc))
	case isRoot(loc):
		bad("lake.location", "%q: the root folder cannot be a lake location", loc)
	}
	if c.Lake.S3.Endpoint != "" {
		if hasUserInfo(c.Lake.S3.Endpoint) {
			bad("lake.s3.endpoint", "%q: credentials in the URL are refused; the URL is not repeated", RedactURL(c.Lake.S3.Endpoint))
		} else if u, err := url.Parse(c.Lake.S3.Endpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("lake.s3.endpoint", "%q: want http(s)://host[:port]", RedactURL(c.Lake.S3.Endpoint))
		}
	}
	if c.Source.ParallelAccounts < 1 || c.Source.ParallelAccounts > 64 {
		bad("source.parallel_accounts", "%d is outside 1..64", c.Source.ParallelAccounts)
	}
	names, ids := map[string]bool{}, map[int64]bool{}
	for i, a := range c.Accounts {
		field := fmt.Sprintf("accounts[%d]", i)
		if a.Name != "" && !accountNameRE.MatchString(a.Name) {
			bad(field+".name", "%q: want 1-64 characters of [A-Za-z0-9._-]", a.Name)
		}
		if a.Name != "" && names[a.Name] {
			bad(field+".name", "%q appears twice", a.Name)
		}
		names[a.Name] = true
		if a.ID < 0 {
			bad(field+".id", "must be positive")
		}
		if a.ID > 0 && ids[a.ID] {
			bad(field+".id", "%d appears twice", a.ID)
		}
		ids[a.ID] = true
		if a.Name == "" && a.ID == 0 {
			bad(field, "give it a name or an id (to tell it apart in logs and --account)")
		}
		if a.APIKeyEnv == "" && a.APIKeyFile == "" && a.BearerTokenFile == "" {
			bad(field, "name its credential: api_key_env, api_key_file or bearer_token_file")
		}
		if a.BearerTokenFile == "" && a.Username == "" {
			bad(field+".username", "is required with an API key (\"apikey\" for an IBM Cloud API key)")
		}
		if math.IsNaN(a.RatePerSecond) || a.RatePerSecond < 0 || a.RatePerSecond > 50 {
			bad(field+".rate_per_second", "%g is outside (0, 50]: the API allows 50 requests/s per user", a.RatePerSecond)
		}
	}
	if c.Lake.MaxPeriods < 1 {
		bad("lake.max_periods", "%d: want at least 1", c.Lake.MaxPeriods)
	}
	if err := c.Lake.S3.Load().Validate(); err != nil {
		bad("lake.s3", "%v", err)
	}
	if c.Lake.Lease < Duration(10*time.Second) {
		bad("lake.lock_lease", "must be at least 10s (and far above the clock skew between machines)")
	}
	if c.Lake.LockWait < 0 {
		bad("lake.lock_wait", "must not be negative")
	}
	switch transform.PIIPolicy(c.Transform.PII) {
	case transform.PIIDrop, transform.PIIHash, transform.PIIKeep:
	default:
		bad("transform.pii", "%q: want drop, hash or keep", c.Transform.PII)
	}
	for col, p := range c.Transform.PIIColumns {
		if !slices.Contains(transform.ContactColumns, col) {
			bad("transform.pii_columns", "%q: want one of %s", col, strings.Join(transform.ContactColumns, ", "))
		}
		switch transform.PIIPolicy(p) {
		case transform.PIIDrop, transform.PIIHash, transform.PIIKeep:
		default:
			bad("transform.pii_columns."+col, "%q: want drop, hash or keep", p)
		}
	}
	if c.Transform.PIIHashes() && c.Transform.PIIKeyEnv == "" {
		bad("transform.pii_key_env", "is required when transform.pii or a transform.pii_columns entry is hash")
	}
	switch transform.ReconcilePolicy(c.Transform.Reconcile) {
	case transform.ReconcileMark, transform.ReconcileFail:
	default:
		bad("transform.reconcile", "%q: want mark or fail", c.Transform.Reconcile)
	}
	if c.Incremental.StartPeriod != "" && !periodRE.MatchString(c.Incremental.StartPeriod) {
		bad("incremental.start_period", "%q: want YYYY-MM from 2000-01 on", c.Incremental.StartPeriod)
	}
	if c.Incremental.LookbackPeriods < 1 || c.Incremental.LookbackPeriods > 120 {
		bad("incremental.lookback_periods", "%d is outside 1..120", c.Incremental.LookbackPeriods)
	}
	if c.Incremental.SafetyMargin < 0 {
		bad("incremental.safety_margin", "must not be negative")
	}
	if c.Schedule.StopTimeout <= 0 {
		bad("schedule.stop_timeout", "must be positive")
	}
	for _, k := range c.Documents.Kinds {
		if !slices.Contains(DocumentKinds, k) {
			bad("documents.kinds", "%q: want %s", k, strings.Join(DocumentKinds, ", "))
		}
	}
	if c.Documents.Enabled && !slices.Contains(c.Documents.Kinds, "pdf") {
		bad("documents.kinds", "must include pdf (the invoices table references it)")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q: want debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "auto", "text", "json":
	default:
		bad("log.format", "%q: want auto, text or json", c.Log.Format)
	}
	return errors.Join(errs...)
}

var accountNameRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

var periodRE = regexp.MustCompile(`^[2-9]\d{3}-(0[1-9]|1[0-2])$`)

// hasUserInfo reports a URL with user info ("scheme://user:secret@host").
func hasUserInfo(s string) bool {
	_, rest, ok := strings.Cut(s, "://")
	if !ok {
		return false
	}
	authority, _, _ := strings.Cut(rest, "/")
	return strings.Contains(authority, "@")
}

// RedactURL returns s with any user info of a URL replaced by "REDACTED",
// for messages; s need not parse as a URL.
func RedactURL(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	authority, tail, slash := strings.Cut(rest, "/")
	i := strings.LastIndexByte(authority, '@')
	if i < 0 {
		return s
	}
	out := scheme + "://REDACTED@" + authority[i+1:]
	if slash {
		out += "/" + tail
	}
	return out
}

func badSegments(prefix string) bool {
	for seg := range strings.SplitSeq(prefix, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// isRoot reports a path that names the file system's root ("/", "//", "/..").
func isRoot(p string) bool { return path.Clean("/"+p) == "/" && strings.HasPrefix(p, "/") }
