package configs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the whole configuration of a run or a daemon. Secrets are never
// fields of it: only the names of the environment variables or files that
// hold them, so a Config can be logged and printed safely.
type Config struct {
	Source      Source      `yaml:"source"`
	Lake        Lake        `yaml:"lake"`
	Transform   Transform   `yaml:"transform"`
	Incremental Incremental `yaml:"incremental"`
	Schedule    Schedule    `yaml:"schedule"`
	Log         Log         `yaml:"log"`
}

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
	Concurrency     int      `yaml:"concurrency"`
	RatePerSecond   float64  `yaml:"rate_per_second"`
	MaxAttempts     int      `yaml:"max_attempts"`
	MaxRetryTime    Duration `yaml:"max_retry_time"`
}

// Lake is where the Parquet files go.
type Lake struct {
	Location string   `yaml:"location"` // a folder, file://..., or s3://bucket/prefix
	S3       S3       `yaml:"s3"`
	Lease    Duration `yaml:"lock_lease"` // renewed by a heartbeat; a dead run's lock expires after this
	LockWait Duration `yaml:"lock_wait"`  // how long a run waits for another run's lock before giving up
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

// Transform settings.
type Transform struct {
	CategoriesFile   string `yaml:"categories_file"`   // overrides/extends the embedded map
	StrictCategories bool   `yaml:"strict_categories"` // fail on an unknown top-level category code
	PII              string `yaml:"pii"`               // drop (default), hash or keep
	PIIKeyEnv        string `yaml:"pii_key_env"`       // env var holding the HMAC key for pii: hash
	Reconcile        string `yaml:"reconcile"`         // mark (default) or fail
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
			Endpoint:        "https://api.softlayer.com/rest/v3.1/",
			APIKeyEnv:       "SL_API_KEY",
			Timeout:         Duration(60 * time.Second),
			InvoicePageSize: 50,
			ItemPageSize:    100,
			Concurrency:     4,
			RatePerSecond:   40,
			MaxAttempts:     8,
			MaxRetryTime:    Duration(5 * time.Minute),
		},
		Lake: Lake{Location: "./lake", Lease: Duration(3 * time.Minute), LockWait: Duration(5 * time.Minute)},
		Transform: Transform{
			PII:       "drop",
			PIIKeyEnv: "INVOICELAKE_PII_KEY",
			Reconcile: "mark",
		},
		Incremental: Incremental{LookbackPeriods: 3, SafetyMargin: Duration(48 * time.Hour)},
		Schedule: Schedule{
			Cron:        "CRON_TZ=UTC 17 3 * * *",
			Listen:      "127.0.0.1:9090",
			StopTimeout: Duration(5 * time.Minute),
		},
		Log: Log{Level: "info", Format: "auto"},
	}
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

// Validate checks every field and names the first bad one.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", field, fmt.Sprintf(format, args...)))
	}
	// The value is never repeated: a URL that does not parse, or carries
	// user info, may hold the API key (http://user:KEY@host/).
	if u, err := url.Parse(c.Source.Endpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		bad("source.endpoint", "not an http(s) URL with a host and no user info (the value is not repeated here: it may hold a credential)")
	}
	if c.Source.Timeout <= 0 {
		bad("source.timeout", "must be positive")
	}
	if c.Source.InvoicePageSize < 2 || c.Source.InvoicePageSize > 1000 {
		bad("source.invoice_page_size", "%d is outside 2..1000", c.Source.InvoicePageSize)
	}
	if c.Source.ItemPageSize < 2 || c.Source.ItemPageSize > 1000 {
		bad("source.item_page_size", "%d is outside 2..1000", c.Source.ItemPageSize)
	}
	if c.Source.Concurrency < 1 || c.Source.Concurrency > 64 {
		bad("source.concurrency", "%d is outside 1..64", c.Source.Concurrency)
	}
	if c.Source.RatePerSecond <= 0 || c.Source.RatePerSecond > 50 {
		bad("source.rate_per_second", "%g is outside (0, 50]: the API allows 50 requests/s per user", c.Source.RatePerSecond)
	}
	if c.Source.MaxAttempts < 1 {
		bad("source.max_attempts", "must be at least 1")
	}
	if c.Lake.Location == "" {
		bad("lake.location", "is required (a folder, file://... or s3://bucket/prefix)")
	} else if strings.HasPrefix(c.Lake.Location, "s3://") {
		if u, err := url.Parse(c.Lake.Location); err != nil || u.Host == "" {
			bad("lake.location", "%q: want s3://bucket/prefix", c.Lake.Location)
		}
	} else if strings.Contains(c.Lake.Location, "://") && !strings.HasPrefix(c.Lake.Location, "file://") {
		bad("lake.location", "%q: only a folder, file:// and s3:// are supported", c.Lake.Location)
	}
	switch c.Lake.S3.SSE {
	case "", "AES256", "aws:kms":
	default:
		bad("lake.s3.sse", "%q: want empty, AES256 or aws:kms", c.Lake.S3.SSE)
	}
	if c.Lake.S3.KMSKeyID != "" && c.Lake.S3.SSE != "aws:kms" {
		bad("lake.s3.kms_key_id", "is set but lake.s3.sse is not aws:kms")
	}
	if c.Lake.Lease < Duration(10*time.Second) {
		bad("lake.lock_lease", "must be at least 10s (and far above the clock skew between machines)")
	}
	if c.Lake.LockWait < 0 {
		bad("lake.lock_wait", "must not be negative")
	}
	switch c.Transform.PII {
	case "drop", "hash", "keep":
	default:
		bad("transform.pii", "%q: want drop, hash or keep", c.Transform.PII)
	}
	if c.Transform.PII == "hash" && c.Transform.PIIKeyEnv == "" {
		bad("transform.pii_key_env", "is required when transform.pii is hash")
	}
	switch c.Transform.Reconcile {
	case "mark", "fail":
	default:
		bad("transform.reconcile", "%q: want mark or fail", c.Transform.Reconcile)
	}
	if c.Incremental.StartPeriod != "" && !periodRE.MatchString(c.Incremental.StartPeriod) {
		bad("incremental.start_period", "%q: want YYYY-MM", c.Incremental.StartPeriod)
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

var periodRE = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)
