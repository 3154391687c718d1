package schemas

import (
	"fmt"
	"time"
)

// SchemaVersion is written in every Parquet file's metadata and manifest.
// It changes only when a column is added (at the end, nullable); a rename or
// retype makes new tables instead.
const SchemaVersion = "2"

// Period is a billing period: one calendar month, the unit of partitioning
// and of replacement. Its partition folder is billing_period=YYYY-MM.
type Period struct {
	Year  int
	Month time.Month
}

// PeriodOf returns the billing period of an invoice created at t: the
// calendar month of t in the UTC offset the API reported, not in UTC. So
// 2024-03-31T23:30:00-05:00 belongs to 2024-03 although it is April in UTC.
func PeriodOf(t time.Time) Period {
	return Period{Year: t.Year(), Month: t.Month()}
}

// ParsePeriod parses "YYYY-MM".
func ParsePeriod(s string) (Period, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || len(s) != 7 {
		return Period{}, fmt.Errorf("billing period %q: want YYYY-MM", s)
	}
	return PeriodOf(t), nil
}

// String returns "YYYY-MM".
func (p Period) String() string { return fmt.Sprintf("%04d-%02d", p.Year, int(p.Month)) }

// Next returns the following month.
func (p Period) Next() Period { return p.AddMonths(1) }

// AddMonths returns the period n months later (n may be negative).
func (p Period) AddMonths(n int) Period {
	m := int(p.Month) - 1 + n
	y := p.Year + m/12
	m %= 12
	if m < 0 {
		m += 12
		y--
	}
	return Period{Year: y, Month: time.Month(m + 1)}
}

// Before reports whether p is earlier than q.
func (p Period) Before(q Period) bool {
	return p.Year < q.Year || (p.Year == q.Year && p.Month < q.Month)
}

// IsZero reports whether p is the zero Period.
func (p Period) IsZero() bool { return p == Period{} }

// Start returns the first instant of p in the given zone.
func (p Period) Start(loc *time.Location) time.Time {
	return time.Date(p.Year, p.Month, 1, 0, 0, 0, 0, loc)
}

// PartitionDir is the Hive partition folder name, "billing_period=YYYY-MM".
func (p Period) PartitionDir() string { return "billing_period=" + p.String() }

// Window is an inclusive range of billing periods.
type Window struct {
	From, To Period
}

// Contains reports whether p lies in w.
func (w Window) Contains(p Period) bool { return !p.Before(w.From) && !w.To.Before(p) }

// Periods lists the periods of w in order.
func (w Window) Periods() []Period {
	var out []Period
	for p := w.From; !w.To.Before(p); p = p.Next() {
		out = append(out, p)
	}
	return out
}

// Validate reports a window whose From is after its To.
func (w Window) Validate() error {
	if w.From.IsZero() || w.To.IsZero() {
		return fmt.Errorf("window: both ends are required")
	}
	if w.To.Before(w.From) {
		return fmt.Errorf("window: from %s is after to %s", w.From, w.To)
	}
	return nil
}
