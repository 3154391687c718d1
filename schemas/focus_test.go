package schemas

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFocusColumnsMatchSpec checks the view's columns against FOCUS 1.2 as
// the conformance suite transcribes it: levels, types, order, every
// Mandatory column present, every left-out column explained.
func TestFocusColumnsMatchSpec(t *testing.T) {
	spec := map[string]FocusSpecColumn{}
	for _, s := range focusSpec {
		spec[s.Name] = s
	}
	var focus, ext []string
	have := map[string]bool{}
	for _, c := range focusColumns {
		if have[c.Name] {
			t.Errorf("column %s listed twice", c.Name)
		}
		have[c.Name] = true
		if strings.HasPrefix(c.Name, "x_") {
			ext = append(ext, c.Name)
			if c.Level != Extension || !regexp.MustCompile(`^x_[A-Z][A-Za-z0-9]*$`).MatchString(c.Name) {
				t.Errorf("extension %s: level %q, want an x_ Pascal case name of level Extension", c.Name, c.Level)
			}
			continue
		}
		if len(ext) > 0 {
			t.Errorf("FOCUS column %s after the extensions", c.Name)
		}
		focus = append(focus, c.Name)
		s, ok := spec[c.Name]
		if !ok {
			t.Errorf("%s is not a FOCUS 1.2 column", c.Name)
			continue
		}
		if string(c.Type) != s.Type || c.Level != s.Level {
			t.Errorf("%s: %s %s, want %s %s", c.Name, c.Level, c.Type, s.Level, s.Type)
		}
		if c.Source == "" {
			t.Errorf("%s: no source for docs/FOCUS.md", c.Name)
		}
	}
	if !slices.IsSorted(focus) || !slices.IsSorted(ext) {
		t.Errorf("columns not in alphabetical order: %v %v", focus, ext)
	}
	var omitted []string
	for _, o := range focusOmitted {
		for _, n := range strings.Split(o[0], ", ") {
			omitted = append(omitted, n)
			if have[n] || spec[n].Name == "" {
				t.Errorf("left out: %s is in the view or not a FOCUS column", n)
			}
		}
	}
	for _, s := range focusSpec {
		if s.Level == Mandatory && !have[s.Name] {
			t.Errorf("Mandatory column %s missing", s.Name)
		}
		if !have[s.Name] && !slices.Contains(omitted, s.Name) {
			t.Errorf("%s is neither in the view nor explained in focusOmitted", s.Name)
		}
	}
}

// TestFocusServices checks the service table against the allowed values
// of ServiceCategory and ServiceSubcategory, and that a ServiceName has one
// category.
func TestFocusServices(t *testing.T) {
	allowed := map[[2]string]bool{}
	for _, p := range focusSubcategories {
		allowed[p] = true
	}
	keys := map[string]bool{}
	category := map[string]string{}
	for _, s := range focusServices {
		if keys[s.key] {
			t.Errorf("service key %s listed twice", s.key)
		}
		keys[s.key] = true
		if !allowed[[2]string{s.category, s.subcategory}] {
			t.Errorf("%s: %s / %s is not an allowed category and subcategory", s.key, s.category, s.subcategory)
		}
		if c, ok := category[s.name]; ok && c != s.category {
			t.Errorf("ServiceName %s in two categories: %s, %s", s.name, c, s.category)
		}
		category[s.name] = s.category
		for _, v := range []string{s.key, s.name, s.category, s.subcategory, s.resourceType} {
			if strings.ContainsAny(v, "'\\\n") {
				t.Errorf("%s: %q has a quote, backslash or newline", s.key, v)
			}
		}
	}
	if n := len(focusServiceCategories()); n != 19 {
		t.Errorf("%d service categories transcribed, the spec has 19", n)
	}
}

// TestFocusDialects checks that the Athena and DuckDB views differ only in
// the dialect's type names and period bounds, and that the Athena one uses
// none of DuckDB's own functions.
func TestFocusDialects(t *testing.T) {
	// Type names differ in case only, but for the timestamp type.
	norm := func(d dialect) string {
		s := strings.NewReplacer(d.periodStart, "{start}", d.periodEnd, "{end}", " AS "+d.timestamp+")", " AS {timestamp})").Replace(focusSQL(d, "INV", "ITEMS"))
		return strings.ToLower(s)
	}
	if diff := cmp.Diff(norm(duckDB), norm(athenaSQL)); diff != "" {
		t.Errorf("the dialects differ beyond types and period bounds (-duckdb +athena):\n%s", diff)
	}
	athena := focusSQL(athenaSQL, "INV", "ITEMS")
	for _, bad := range []string{"timezone(", "strftime", "regexp_", "::", "epoch_", "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE", "REPLACE (", "EXCLUDE", "regexp_matches"} {
		if strings.Contains(athena, bad) {
			t.Errorf("the Athena view contains %q", bad)
		}
	}
}
