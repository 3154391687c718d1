package configs

import (
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestParseExample(t *testing.T) {
	cfg, err := Parse(Example, env(map[string]string{"SL_USERNAME": "123_me@example.com"}))
	if err != nil {
		t.Fatalf("example.yaml: %v", err)
	}
	if got, want := cfg.Source.Username, "123_me@example.com"; got != want {
		t.Errorf("username = %q, want %q", got, want)
	}
	def := Default()
	def.Source.Username = cfg.Source.Username
	def.Incremental.StartPeriod = cfg.Incremental.StartPeriod
	if diff := cmp.Diff(def, cfg, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("example.yaml drifted from Default() (-default +example):\n%s", diff)
	}
}

func TestParseEmptyIsDefault(t *testing.T) {
	cfg, err := Parse(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Default(), cfg); diff != "" {
		t.Errorf("got (-defaults +got):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown key", "source:\n  endpoit: x\n", "field endpoit not found"},
		{"literal secret", "source:\n  api_key: hunter2\n", "secrets are never written in the config"},
		{"unset var", "source:\n  username: ${NOPE}\n", "${NOPE} is not set"},
		{"bad duration", "source:\n  timeout: soon\n", "duration \"soon\""},
		{"bad endpoint", "source:\n  endpoint: ftp://x\n", "source.endpoint"},
		{"rate above API limit", "source:\n  rate_per_second: 80\n", "source.rate_per_second"},
		{"bad location", "lake:\n  location: gs://b/p\n", "lake.location"},
		{"bad sse", "lake:\n  s3:\n    sse: yes-please\n", `lake.s3: load: s3 sse "yes-please"`},
		{"bad pii", "transform:\n  pii: blur\n", "transform.pii"},
		{"bad pii column", "transform:\n  pii_columns:\n    phone: keep\n", `transform.pii_columns: "phone"`},
		{"bad pii column policy", "transform:\n  pii_columns:\n    email: blur\n", "transform.pii_columns.email"},
		{"hash column without key env", "transform:\n  pii_key_env: \"\"\n  pii_columns:\n    email: hash\n", "transform.pii_key_env"},
		{"bad reconcile", "transform:\n  reconcile: maybe\n", "transform.reconcile"},
		{"bad start", "incremental:\n  start_period: 2024-13\n", "incremental.start_period"},
		{"bad level", "log:\n  level: loud\n", "log.level"},
		{"not a map", "- a\n- b\n", "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), env(nil))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestSecretNeverInError(t *testing.T) {
	_, err := Parse([]byte("source:\n  api_key: hunter2\n"), env(nil))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error = %v: must fail and not echo the secret", err)
	}
}

func TestDurations(t *testing.T) {
	cfg, err := Parse([]byte("source:\n  timeout: 90s\nincremental:\n  safety_margin: 72h\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Source.Timeout.D() != 90*time.Second || cfg.Incremental.SafetyMargin.D() != 72*time.Hour {
		t.Errorf("got %v / %v", cfg.Source.Timeout.D(), cfg.Incremental.SafetyMargin.D())
	}
}

func FuzzParse(f *testing.F) {
	f.Add(string(Example))
	f.Add("source:\n  timeout: 1s\n")
	f.Add("lake: {location: s3://b/p}\n")
	f.Fuzz(func(t *testing.T, s string) {
		cfg, err := Parse([]byte(s), env(map[string]string{"SL_USERNAME": "u"}))
		if err == nil {
			if verr := cfg.Validate(); verr != nil {
				t.Fatalf("Parse accepted a config that does not validate: %v", verr)
			}
		}
	})
}

func TestExpandTypedAndNoInjection(t *testing.T) {
	cfg, err := Parse([]byte("source:\n  rate_per_second: ${RATE}\n  username: ${U}\n"),
		env(map[string]string{"RATE": "25", "U": "x\nlake:\n  location: /etc"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Source.RatePerSecond != 25 {
		t.Errorf("rate = %v, want 25", cfg.Source.RatePerSecond)
	}
	if cfg.Lake.Location != "./lake" || !strings.Contains(cfg.Source.Username, "lake:") {
		t.Errorf("env value injected structure: location %q username %q", cfg.Lake.Location, cfg.Source.Username)
	}
}

func TestValidateRefusals(t *testing.T) {
	const secret = "s3cretLEAK-42"
	tests := []struct {
		name string
		set  func(*Config)
		want string
	}{
		{"rate NaN", func(c *Config) { c.Source.RatePerSecond = math.NaN() }, "source.rate_per_second"},
		{"rate +Inf", func(c *Config) { c.Source.RatePerSecond = math.Inf(1) }, "source.rate_per_second"},
		{"rate 0", func(c *Config) { c.Source.RatePerSecond = 0 }, "source.rate_per_second"},
		{"s3 user info", func(c *Config) { c.Lake.Location = "s3://AKID:" + secret + "@bucket/p" }, "credentials in the URL are refused"},
		{"file user info", func(c *Config) { c.Lake.Location = "file://u:" + secret + "@localhost/x" }, "credentials in the URL are refused"},
		{"endpoint user info", func(c *Config) { c.Source.Endpoint = "http://u:" + secret + "@127.0.0.1:1/rest/%zz/" }, "source.endpoint"},
		{"s3 endpoint user info", func(c *Config) { c.Lake.S3.Endpoint = "http://u:" + secret + "@minio:9000" }, "lake.s3.endpoint"},
		{"unsupported scheme with user info", func(c *Config) { c.Lake.Location = "gs://u:" + secret + "@b/p" }, "lake.location"},
		{"dot-dot prefix", func(c *Config) { c.Lake.Location = "s3://b/a/../b" }, "lake.location"},
		{"empty segment", func(c *Config) { c.Lake.Location = "s3://b/a//b" }, "lake.location"},
		{"file URL of another host", func(c *Config) { c.Lake.Location = "file://host/x" }, "not on host \"host\""},
		{"file root", func(c *Config) { c.Lake.Location = "file:///" }, "root folder"},
		{"root", func(c *Config) { c.Lake.Location = "/" }, "root folder"},
		{"root via ..", func(c *Config) { c.Lake.Location = "/tmp/../.." }, "root folder"},
		{"start period year 0", func(c *Config) { c.Incremental.StartPeriod = "0000-01" }, "incremental.start_period"},
		{"start period 1900", func(c *Config) { c.Incremental.StartPeriod = "1900-01" }, "incremental.start_period"},
		{"max periods 0", func(c *Config) { c.Lake.MaxPeriods = 0 }, "lake.max_periods"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.set(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate: got %v, want an error containing %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("the error repeats the secret: %v", err)
			}
		})
	}
	for _, ok := range []string{"./lake", "/data/lake", "file:///data/lake", "file://localhost/data/lake", "s3://bucket", "s3://bucket/a/b/"} {
		c := Default()
		c.Lake.Location = ok
		if err := c.Validate(); err != nil {
			t.Errorf("Validate(%q): %v", ok, err)
		}
	}
}

// TestPIIColumns: the defaults keep the country and the state; a file's
// pii_columns override and extend them, column by column.
func TestPIIColumns(t *testing.T) {
	if got := Default().Transform.PIIColumns; !reflect.DeepEqual(got, map[string]string{"country": "keep", "state": "keep"}) {
		t.Errorf("default pii_columns %v", got)
	}
	c, err := Parse([]byte("transform:\n  pii_columns:\n    country: drop\n    email: hash\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"country": "drop", "state": "keep", "email": "hash"}
	if !reflect.DeepEqual(c.Transform.PIIColumns, want) {
		t.Errorf("got %v, want %v", c.Transform.PIIColumns, want)
	}
	if !c.Transform.PIIHashes() {
		t.Errorf("a hashed column: PIIHashes false")
	}
	if Default().Transform.PIIHashes() {
		t.Errorf("the defaults hash nothing")
	}
}
