package main

import (
	"bytes"
	"errors"
	"html"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/invoicelake/invoicelake/load"
	"github.com/invoicelake/invoicelake/schemas"
)

func TestReportMoneyIsExact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"0", "0.00"},
		{"7.5", "7.50"},
		{"-0.5", "-0.50"},
		{"1234.5", "1,234.50"},
		{"-1234567.891", "-1,234,567.891"},
		{"999.99999999", "999.99999999"},
		{"0.00000001", "0.00000001"},
		{"100000", "100,000.00"},
	} {
		if got := fmtMoney(schemas.MustParseDecimal(tc.in).BigRat()); got != tc.want {
			t.Errorf("fmtMoney(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// A sum beyond DECIMAL(18,8) and int64 is still printed exactly.
	var s schemas.Sum
	big9 := schemas.MustParseDecimal("9999999999.99999999")
	for range 1000 {
		s.Add(big9)
	}
	s.Add(schemas.MustParseDecimal("0.00000010"))
	if got, want := fmtSum(&s), "9,999,999,999,999.9999901"; got != want {
		t.Errorf("fmtSum of 1000 × 9999999999.99999999 + 1e-7 = %s, want %s", got, want)
	}
	var a, b schemas.Sum
	a.Add(schemas.MustParseDecimal("10.005"))
	b.Add(schemas.MustParseDecimal("12.50"))
	if got := fmtDiff(&a, &b); got != "-2.495" {
		t.Errorf("fmtDiff(10.005, 12.50) = %s, want -2.495", got)
	}
	if got := fmtDiff(&b, &a); got != "+2.495" {
		t.Errorf("fmtDiff(12.50, 10.005) = %s, want +2.495", got)
	}
	if got := fmtShare(&a, new(schemas.Sum)); got != "" {
		t.Errorf("a share of zero = %q, want empty", got)
	}
}

func TestReportClipMakesLakeStringsSafe(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"web1.example.com", 80, "web1.example.com"},
		{"gw25.müller-gmbh.de", 80, "gw25.müller-gmbh.de"},
		{"evil\x1b[2J\x07name", 80, "evil\uFFFD[2J\uFFFDname"},
		{"a\nb\tc", 80, "a\uFFFDb\uFFFDc"},
		{"bad \xff utf8", 80, "bad \uFFFD utf8"},
		{"right\u202eto-left", 80, "right\uFFFDto-left"},
		{"abcdef", 3, "abc…"},
	} {
		if got := clip(tc.in, tc.n); got != tc.want {
			t.Errorf("clip(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func TestReportTableAlignsDecimalPoints(t *testing.T) {
	tb := &table{head: []string{"name", ">amount", ">n"}}
	tb.add("a", "1,234.50", "1")
	tb.add("bb", "0.125", "22")
	tb.add("c", "", "")
	var b strings.Builder
	if err := tb.write(&b, ""); err != nil {
		t.Fatal(err)
	}
	want := "name     amount   n\n" +
		"a     1,234.50    1\n" + // the decimal points in one column
		"bb        0.125  22\n" +
		"c\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
}

// fixture: a lake with 2026-01 and 2026-03 published (2026-02 missing),
// every kind of row the report treats differently. The amounts are chosen
// by hand; the expected figures below are their sums.
func reportFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	b, err := load.NewFileBucket(dir)
	if err != nil {
		t.Fatal(err)
	}
	l := load.NewLake(b, load.Options{Account: 42})
	lock, err := l.Lock(t.Context(), "test", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release(t.Context())
	str := func(s string) *string { return &s }
	id := func(v int64) *int64 { return &v }
	dec := schemas.MustParseDecimal
	hs, vg := str("SoftLayer_Hardware_Server"), str("SoftLayer_Virtual_Guest")
	type inv struct {
		row   schemas.InvoiceRow
		items []schemas.ItemRow
	}
	item := func(invID, itemID int64, parent *int64, top int64, depth int32, code string, svc *string, res *int64, amount string) schemas.ItemRow {
		return schemas.ItemRow{InvoiceID: invID, ItemID: itemID, ParentItemID: parent, TopLevelItemID: top, Depth: depth,
			CategoryCode: code, ResourceService: svc, ResourceID: res, Description: code + " item", TotalAmount: dec(amount)}
	}
	invoice := func(p schemas.Period, id int64, typ, status, total string, items []schemas.ItemRow) inv {
		var s schemas.Sum
		for _, it := range items {
			s.Add(it.TotalAmount)
		}
		st, _ := s.Decimal()
		tot := dec(total)
		r := schemas.InvoiceRow{InvoiceID: id, AccountID: 42, TypeCode: typ, StatusCode: status,
			CreateDate: p.Start(time.UTC).Add(time.Hour), InvoiceTotalAmount: &tot, ItemsTotalAmount: st,
			ItemRows: int64(len(items)), Reconciled: st == tot}
		if !r.Reconciled {
			r.ReconcileIssues = str("invoice_total_amount: items " + st.String() + " != invoice " + tot.String() + " <b>")
		}
		return inv{r, items}
	}
	jan, mar := schemas.Period{Year: 2026, Month: 1}, schemas.Period{Year: 2026, Month: 3}
	server := item(1001, 1, nil, 1, 0, "server", hs, id(7), "100.00")
	server.HostName, server.DomainName, server.Location = str("web1"), str("example.com"), str("dal10")
	guest := item(1001, 4, nil, 4, 0, "guest_core", vg, id(9), "900.00")
	guest.Description = "<script>alert(1)</script>\x1b[2Jguest"
	periods := map[schemas.Period][]inv{
		jan: {
			invoice(jan, 1001, "RECURRING", "CLOSED", "1075.625", []schemas.ItemRow{
				server,
				item(1001, 2, id(1), 1, 1, "ram", hs, id(7), "50.25"),
				item(1001, 3, id(2), 1, 2, "ram_addon", hs, id(7), "0.125"),
				guest,
				item(1001, 5, id(4), 4, 1, "guest_disk0", vg, id(9), "50.25"),
				item(1001, 6, nil, 6, 0, "one_time_charge", nil, nil, "-25.00"),
			}),
			invoice(jan, 1002, "CREDIT", "CLOSED", "-30.00", []schemas.ItemRow{
				item(1002, 10, nil, 10, 0, "credit", nil, nil, "-30.00"),
			}),
			invoice(jan, 1003, "MANUAL_PAYMENT_CREDIT", "CLOSED", "0", nil),
		},
		mar: {
			invoice(mar, 3001, "RECURRING", "OPEN", "1000.00", []schemas.ItemRow{
				func() schemas.ItemRow {
					it := item(3001, 20, nil, 20, 0, "server", hs, id(7), "400.00")
					it.HostName = str("web1-renamed")
					return it
				}(),
				item(3001, 21, id(20), 20, 1, "ram", hs, id(7), "0.01"),
				item(3001, 22, nil, 22, 0, "quantum_widget", nil, id(55), "600.00"),
			}),
			invoice(mar, 3002, "REFUND", "CLOSED", "-12.34", []schemas.ItemRow{
				item(3002, 30, nil, 30, 0, "credit", nil, nil, "-12.34"),
			}),
		},
	}
	for p, invs := range periods {
		w, err := l.Begin(p, load.RunInfo{RunID: "fixture"})
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range invs {
			err := w.AddRows(in.row, func(yield func(*schemas.ItemRow, error) bool) {
				for i := range in.items {
					if !yield(&in.items[i], nil) {
						return
					}
				}
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.Publish(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// noEnv is an environment without any SL_* variable: report needs none.
func noEnv(string) (string, bool) { return "", false }

func runReport(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	m := &Main{Stdout: &stdout, Stderr: &stderr, LookupEnv: noEnv}
	code := m.Run(t.Context(), append([]string{"report"}, args...))
	return code, stdout.String(), stderr.String()
}

// textRow returns the fields of the first line of section (a title line of
// the text report) whose first fields are prefix.
func textRow(t *testing.T, out, section string, prefix ...string) []string {
	t.Helper()
	_, rest, ok := strings.Cut(out, "\n"+section)
	if !ok {
		t.Fatalf("no section %q in:\n%s", section, out)
	}
	rest, _, _ = strings.Cut(rest, "\n\n")
	for _, line := range strings.Split(rest, "\n") {
		f := strings.Fields(line)
		if len(f) >= len(prefix) && slicesEqual(f[:len(prefix)], prefix) {
			return f
		}
	}
	t.Fatalf("section %q has no row %q:\n%s", section, prefix, rest)
	return nil
}

func slicesEqual(a, b []string) bool { return cmp.Equal(a, b) }

// domValue returns the text of the element whose attributes include
// attrs (in order, as the page writes them), unescaped.
func domValue(t *testing.T, page string, attrs string) string {
	t.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta(attrs) + `[^>]*>([^<]*)<`)
	m := re.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the page has no element with %s", attrs)
	}
	return html.UnescapeString(m[1])
}

func TestReportOfAHandBuiltLake(t *testing.T) {
	dir := reportFixture(t)
	page := filepath.Join(t.TempDir(), "report.html")
	code, out, stderr := runReport(t, "--out", dir, "--top", "2", "--from", "2026-01", "--to", "2026-03", "--html", page)
	if code != 0 {
		t.Fatalf("report exit %d\n%s\n%s", code, out, stderr)
	}
	t.Log("\n" + out)
	if strings.ContainsAny(out, "\x1b\x07") || strings.Contains(out, "\u202e") {
		t.Errorf("the text report carries control characters from the lake")
	}
	if !strings.Contains(out, "Not in the lake (never exported): 2026-02\n") {
		t.Errorf("the missing period 2026-02 is not named")
	}
	checks := []struct {
		section string
		prefix  []string
		want    []string
	}{
		// period invoices open items cost [change] invoiced credits unreconciled
		{"Cost per month", []string{"2026-01"}, []string{"2026-01", "3", "0", "7", "1,045.625", "1,045.625", "-55.00", "0"}},
		{"Cost per month", []string{"2026-03"}, []string{"2026-03", "2", "1", "4", "987.67", "-57.955", "987.66", "-12.34", "1"}},
		{"Cost per month", []string{"total"}, []string{"total", "5", "1", "11", "2,033.295", "2,033.285", "-67.34", "1"}},
		{"Cost per month by resource service", []string{"all", "SoftLayer_Virtual_Guest"}, []string{"all", "SoftLayer_Virtual_Guest", "950.25", "46.7%"}},
		{"Cost per month by resource service", []string{"SoftLayer_Hardware_Server", "400.01"}, []string{"SoftLayer_Hardware_Server", "400.01", "40.5%"}},
		{"Cost per month by resource service", []string{"(no", "resource", "service)", "532.66"}, []string{"(no", "resource", "service)", "532.66", "26.2%"}},
		// # service id name category location periods own children total share
		{"Top 2 resources", []string{"1"}, []string{"1", "SoftLayer_Virtual_Guest", "9", "<script>alert(1)</script>\uFFFD[2Jguest", "guest_core", "1", "900.00", "50.25", "950.25", "46.7%"}},
		{"Top 2 resources", []string{"2"}, []string{"2", "(no", "resource", "service)", "55", "quantum_widget", "item", "quantum_widget", "1", "600.00", "0.00", "600.00", "29.5%"}},
		{"Top 2 resources", []string{"the", "other"}, []string{"the", "other", "1", "resource", "550.385", "27.1%"}},
		{"Top 2 resources", []string{"no", "resource"}, []string{"no", "resource", "(credits,", "fees,", "labor)", "3", "item", "rows", "-67.34", "-3.3%"}},
		{"Top 2 resources", []string{"total"}, []string{"total", "2,033.295"}},
		{"Credits and refunds", []string{"2026-01", "CREDIT"}, []string{"2026-01", "CREDIT", "1", "-30.00"}},
		{"Credits and refunds", []string{"MANUAL_PAYMENT_CREDIT"}, []string{"MANUAL_PAYMENT_CREDIT", "1", "0.00"}},
		{"Credits and refunds", []string{"negative"}, []string{"negative", "items", "on", "other", "invoices", "1", "-25.00"}},
		{"Credits and refunds", []string{"2026-03", "REFUND"}, []string{"2026-03", "REFUND", "1", "-12.34"}},
		{"Credits and refunds", []string{"total"}, []string{"total", "-67.34"}},
		{"Reconciliation", []string{"2026-03"}, []string{"2026-03", "3001", "RECURRING", "OPEN", "1,000.00", "1,000.01", "invoice_total_amount:", "items", "1000.01", "!=", "invoice", "1000", "<b>"}},
	}
	for _, c := range checks {
		if diff := cmp.Diff(c.want, textRow(t, out, c.section, c.prefix...)); diff != "" {
			t.Errorf("%s, row %q (-want +got):\n%s", c.section, c.prefix, diff)
		}
	}
	if !strings.Contains(out, "Reconciliation: 1 of 5 invoices NOT reconciled") {
		t.Errorf("the reconciliation status line is missing")
	}

	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	pg := string(b)
	for attrs, want := range map[string]string{
		`data-check="total"`:                                              "2,033.295",
		`data-check="period-total" data-period="2026-01"`:                 "1,045.625",
		`data-check="period-total" data-period="2026-03"`:                 "987.67",
		`data-check="period-invoiced" data-period="2026-03"`:              "987.66",
		`data-check="window-total"`:                                       "2,033.295",
		`data-check="window-invoiced"`:                                    "2,033.285",
		`data-check="service-total" data-service="(no resource service)"`: "532.66",
		`data-check="top-others"`:                                         "550.385",
		`data-check="top-nores"`:                                          "-67.34",
		`data-check="credits-total"`:                                      "-67.34",
		`data-check="unreconciled-invoice"`:                               "3001",
		`data-check="missing"`:                                            "Not in the lake (never exported): 2026-02",
	} {
		if got := domValue(t, pg, attrs); got != want {
			t.Errorf("page %s = %q, want %q", attrs, got, want)
		}
	}
	if strings.Contains(pg, "<script") || strings.Contains(pg, "<b>") || strings.Contains(pg, "\x1b") {
		t.Errorf("the page carries markup or control characters from the lake unescaped")
	}
	if !strings.Contains(pg, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the hostile description is not shown escaped")
	}
	assertSelfContained(t, pg)
}

// assertSelfContained fails when the page would fetch anything.
func assertSelfContained(t *testing.T, pg string) {
	t.Helper()
	for _, bad := range []string{"<script", "<link", "<img", "<iframe", "<object", "<embed", "@import", "url(", " src=", " href=", "xlink:href", "http://", "https://"} {
		if strings.Contains(strings.ToLower(pg), bad) {
			t.Errorf("the page contains %q: it must load nothing", bad)
		}
	}
}

func TestReportUsage(t *testing.T) {
	dir := reportFixture(t)
	empty := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // in stdout+stderr
	}{
		{"no location", nil, exitUsage, "--out is required"},
		{"top zero", []string{"--out", dir, "--top", "0"}, exitUsage, "--top 0 is outside"},
		{"reversed window", []string{"--out", dir, "--from", "2026-03", "--to", "2026-01"}, exitUsage, "after --to"},
		{"bad period", []string{"--out", dir, "--from", "2026-13"}, exitUsage, "--from"},
		{"empty lake", []string{"--out", empty}, exitUsage, "holds no published billing period (run `invoicelake export` first)"},
		{"window outside", []string{"--out", dir, "--from", "2027-01"}, exitUsage, "it has 2026-01..2026-03"},
		{"html is a folder", []string{"--out", dir, "--html", empty}, exitUsage, "is a directory"},
		{"html folder missing", []string{"--out", dir, "--html", filepath.Join(empty, "no", "r.html")}, exitUsage, "its folder does not exist"},
		{"unknown flag", []string{"--out", dir, "--endpoint", "x"}, exitUsage, "unknown flag --endpoint (a flag of export, run, serve, verify, not of report)"},
		{"help", []string{"-h"}, exitOK, "invoicelake report --out LOCATION"},
		{"long window", []string{"--out", dir, "--from", "1990-01"}, exitOK, "(433 periods in all, the last 2026-02)"},
		{"one period", []string{"--out", dir, "--from", "2026-03"}, exitOK, "2026-03..2026-03 (1 billing period)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := runReport(t, tc.args...)
			if code != tc.code || !strings.Contains(out+stderr, tc.want) {
				t.Errorf("report %q: exit %d, want %d with %q\nstdout:\n%s\nstderr:\n%s", tc.args, code, tc.code, tc.want, out, stderr)
			}
		})
	}
}

// An HTML report that cannot be written completely leaves the file that
// was there, and no temporary file.
func TestReportHTMLWriteKeepsTheOldFile(t *testing.T) {
	folder := t.TempDir()
	page := filepath.Join(folder, "r.html")
	if err := os.WriteFile(page, []byte("old report"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	err := writeFileAtomic(page, func(w io.Writer) error {
		io.WriteString(w, "<!DOCTYPE html><html>half a new rep")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("writeFileAtomic = %v, want %v", err, boom)
	}
	if b, _ := os.ReadFile(page); string(b) != "old report" {
		t.Errorf("the old file became %q", b)
	}
	if ents, _ := os.ReadDir(folder); len(ents) != 1 {
		t.Errorf("the folder holds %d files, want only r.html", len(ents))
	}
	if err := writeFileAtomic(page, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(page); string(b) != "new" {
		t.Errorf("after a complete write the file holds %q, want %q", b, "new")
	}
}

// The forecast extension point (issue 14) is rendered when a forecast is
// set, and nothing is shown while the lake has none.
func TestReportForecastSection(t *testing.T) {
	r := &report{Location: "./lake", Window: schemas.Window{From: schemas.Period{Year: 2026, Month: 5}, To: schemas.Period{Year: 2026, Month: 5}}}
	var text, page bytes.Buffer
	if err := writeText(&text, r); err != nil {
		t.Fatal(err)
	}
	if err := writeHTML(&page, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text.String(), "forecast") || strings.Contains(page.String(), `data-check="forecast"`) {
		t.Errorf("a forecast section is shown without a forecast")
	}
	f := &forecast{Period: schemas.Period{Year: 2026, Month: 6}, LastMonth: schemas.Period{Year: 2026, Month: 5}}
	f.Amount.Add(schemas.MustParseDecimal("1200.5"))
	f.LastTotal.Add(schemas.MustParseDecimal("1000"))
	r.Forecast = f
	text.Reset()
	page.Reset()
	if err := writeText(&text, r); err != nil {
		t.Fatal(err)
	}
	if err := writeHTML(&page, r); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"2026-06", "(forecast)", "1,200.50", "+200.50"}, textRow(t, text.String(), "Next invoice forecast", "2026-06")); diff != "" {
		t.Errorf("forecast row (-want +got):\n%s", diff)
	}
	if !strings.Contains(page.String(), `data-check="forecast"`) || !strings.Contains(html.UnescapeString(page.String()), "+200.50") {
		t.Errorf("the page has no forecast section")
	}
}

// ratOf parses an amount as the report prints it ("-1,234.50").
func ratOf(t *testing.T, s string) *big.Rat {
	t.Helper()
	r, ok := new(big.Rat).SetString(strings.ReplaceAll(s, ",", ""))
	if !ok {
		t.Fatalf("not an amount: %q", s)
	}
	return r
}
