package schemas

import (
	"testing"
	"time"
)

// FuzzParsePeriod: a period comes from flags, configs and partition folder
// names. What ParsePeriod accepts round-trips through String, names its own
// partition folder, and its neighbours are whole months.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"2024-03", "0000-01", "9999-12", "2024-13", "2024-3", "24-03", " 2024-03", "2024-03\n", "2024-00", "+024-03", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePeriod(s)
		if err != nil {
			return
		}
		if got := p.String(); got != s {
			t.Fatalf("ParsePeriod(%q).String() = %q, want %q", s, got, s)
		}
		if p.Month < time.January || p.Month > time.December {
			t.Fatalf("ParsePeriod(%q) = month %d", s, p.Month)
		}
		if got, want := p.PartitionDir(), "billing_period="+s; got != want {
			t.Fatalf("PartitionDir() = %q, want %q", got, want)
		}
		if back := p.AddMonths(13).AddMonths(-13); back != p {
			t.Fatalf("%s +13 -13 months = %s", p, back)
		}
		if n := p.Next(); !p.Before(n) || n.AddMonths(-1) != p {
			t.Fatalf("%s.Next() = %s", p, n)
		}
		w := Window{From: p, To: p}
		if err := w.Validate(); err != nil {
			t.Fatalf("one-period window %s: %v", p, err)
		}
		if ps := w.Periods(); len(ps) != 1 || ps[0] != p {
			t.Fatalf("Window{%s, %s}.Periods() = %v", p, p, ps)
		}
	})
}
