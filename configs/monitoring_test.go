package configs

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not installed (Debian's prometheus package; .ci/run installs it)")
	}
	return p
}

// TestAlertRules: the example alerts pass `promtool check rules` (syntax,
// PromQL, templates), and `promtool test rules` shows each one firing on
// the series that should raise it, and not before.
func TestAlertRules(t *testing.T) {
	bin := promtool(t)
	for _, args := range [][]string{{"check", "rules", "alerts.yaml"}, {"test", "rules", "alerts_test.yaml"}} {
		cmd := exec.Command(bin, args...)
		cmd.Dir = "monitoring"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	// Every alert of the file has a test.
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	readYAML(t, "monitoring/alerts.yaml", &rules)
	tests, err := os.ReadFile("monitoring/alerts_test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if !strings.Contains(string(tests), "alertname: "+r.Alert+"\n") {
				t.Errorf("alert %s has no test in alerts_test.yaml", r.Alert)
			}
		}
	}
}

// TestDashboardQueries: every query of the Grafana dashboard is valid
// PromQL (promtool checks it as a recording rule, Grafana's variables
// replaced), and the dashboard is a Grafana dashboard document.
func TestDashboardQueries(t *testing.T) {
	bin := promtool(t)
	exprs, err := dashboardQueries("monitoring/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(exprs) < 10 {
		t.Fatalf("%d queries in the dashboard, want its panels'", len(exprs))
	}
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for i, e := range exprs {
		fmt.Fprintf(&b, "      - record: dashboard:query%d\n        expr: %q\n", i, grafanaToPromQL(e))
	}
	f := filepath.Join(t.TempDir(), "dashboard-rules.yaml")
	if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "check", "rules", f).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules (the dashboard's queries): %v\n%s", err, out)
	}
}

// dashboardQueries returns the PromQL of every target of a Grafana
// dashboard's panels. (cmd/invoicelake's TestMonitoringMetricNames checks
// their metric names against the binary's.)
func dashboardQueries(file string) ([]string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var d struct {
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if d.UID == "" || len(d.Panels) == 0 {
		return nil, fmt.Errorf("%s: no uid or no panels: not a dashboard", file)
	}
	var out []string
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			return nil, fmt.Errorf("%s: panel %q has no query", file, p.Title)
		}
		for _, tg := range p.Targets {
			if strings.TrimSpace(tg.Expr) == "" {
				return nil, fmt.Errorf("%s: panel %q has an empty query", file, p.Title)
			}
			out = append(out, tg.Expr)
		}
	}
	return out, nil
}

// grafanaToPromQL replaces Grafana's variables in a query with values
// Prometheus accepts.
func grafanaToPromQL(expr string) string {
	return strings.NewReplacer("$__rate_interval", "5m", "$__range", "1d", "$__interval", "1m",
		"$account_id", ".*", "$job", ".*").Replace(expr)
}

func readYAML(t *testing.T, file string, v any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}
