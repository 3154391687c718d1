package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/invoicelake/invoicelake/configs"
	"github.com/invoicelake/invoicelake/load"
	"github.com/invoicelake/invoicelake/schemas"
)

// `invoicelake report` reads the lake (no API call, no credentials, no
// DuckDB) and shows what a FinOps person looks at first: cost per month by
// resource service, the top resources with their children's cost rolled up,
// credits and refunds per month, and the reconciliation status. As aligned
// text on stdout, and with --html FILE as one self-contained page
// (report_html.go).
//
// Every amount is summed exactly with schemas.Sum and printed to the cent
// as the invoices show it; an amount with more fractional digits than cents
// is printed with all of them, never rounded.

// Limits of the report, chosen here so that a hostile or huge lake cannot
// make the report hold an unbounded amount of memory.
const (
	maxReportResources = 2_000_000 // distinct (resource_service, resource_id) in the window
	maxReportServices  = 10_000    // distinct resource_service values in the window
	maxListedInvoices  = 200       // unreconciled invoices listed (all are counted)
	maxTop             = 1000      // --top
	maxLabelRunes      = 80        // a resource's name as shown
	maxIssueRunes      = 2000      // an invoice's reconcile_issues as shown
	readAttempts       = 3         // a period replaced while it is read is read again
)

// creditTypes are the invoice type codes of credits and refunds, in the
// order the report shows them.
var creditTypes = []string{"CREDIT", "REFUND", "MANUAL_PAYMENT_CREDIT"}

// noService is how the report names rows whose resource_service is NULL
// (credits, labor, one-time charges, and codes missing from the category map).
const noService = "(no resource service)"

// negativeKind names, in the credits table, negative item rows on invoices
// that are not credits or refunds (late adjustments, discounts).
const negativeKind = "negative items on other invoices"

// report is everything the report shows, built from the lake by buildReport
// and rendered by writeText and writeHTML. It holds only values.
type report struct {
	Location string
	Window   schemas.Window   // the periods asked for (or every published one)
	Missing  []schemas.Period // periods of the window that the lake has not published
	Accounts []int64
	Periods  []periodReport // published periods of the window, in order
	Services []serviceTotal // every resource service of the window, largest total first

	Invoices, Open, Items int64
	Total                 schemas.Sum // Σ invoice_items.total_amount (taxes included)
	Invoiced              schemas.Sum // Σ invoices.invoice_total_amount

	TopN         int
	Top          []resourceCost // the TopN largest resources
	Resources    int            // distinct resources in the window
	OtherTotal   schemas.Sum    // resources below the top
	NoResource   schemas.Sum    // rows with no resource_id (credits, fees, labor)
	NoResRows    int64
	Credits      []creditLine // per period and kind, periods in order
	CreditsTotal schemas.Sum

	Unreconciled      int64 // invoices with reconciled = false
	UnreconciledShown []unreconciledInvoice

	// Forecast is the next invoice's forecast against last month, from
	// the latest account snapshot (readForecast); nil when the lake has
	// none, or the window ends before the present.
	Forecast *forecast
}

// forecast is the next invoice's expected amount next to the last
// published month's (see report.Forecast).
type forecast struct {
	Period    schemas.Period // the period forecast
	Amount    schemas.Sum
	LastMonth schemas.Period
	LastTotal schemas.Sum
	// Balance is the account balance at the snapshot (Taken); nil if the
	// API gave none.
	Balance *schemas.Decimal
	Taken   time.Time
}

// periodReport is one billing period of the report.
type periodReport struct {
	Period       schemas.Period
	Invoices     int64
	Open         int64 // invoices with status_code OPEN: the period may still change
	Items        int64
	Total        schemas.Sum // Σ total_amount of the period's item rows
	Invoiced     schemas.Sum // Σ invoice_total_amount of its invoices
	Credits      schemas.Sum // Σ of its credit lines (see creditLine)
	Unreconciled int64
	Services     map[string]*schemas.Sum // resource_service ("" = NULL) -> Σ total_amount
}

// serviceTotal is one resource service over the whole window.
type serviceTotal struct {
	Service string // "" = NULL
	Total   schemas.Sum
}

// resKey identifies a resource: rows share their top-level item's.
type resKey struct {
	service string // "" = NULL (a top-level code missing from the category map)
	id      int64
}

// resourceCost is one resource over the window, its children rolled up.
type resourceCost struct {
	Service  string
	ID       int64
	Label    string // host name or description of its latest top-level row
	Category string // category code of its latest top-level row
	Location string
	Periods  int         // periods in which it appears
	Own      schemas.Sum // depth-0 rows
	Children schemas.Sum // every descendant row
	Total    schemas.Sum
}

// creditLine is one kind of credit in one period: the invoices of a
// credit type (their invoice_total_amount), or the negative item rows of
// other invoices (their total_amount).
type creditLine struct {
	Period schemas.Period
	Kind   string // a creditTypes code, or negativeKind
	Count  int64  // invoices, or item rows for negativeKind
	Amount schemas.Sum
}

// unreconciledInvoice is an invoice whose items do not match its totals.
type unreconciledInvoice struct {
	Period     schemas.Period
	InvoiceID  int64
	TypeCode   string
	StatusCode string
	Invoiced   string // invoice_total_amount, "" when NULL
	ItemsTotal schemas.Decimal
	Issues     string
}

func (m *Main) report(ctx context.Context, args []string) error {
	flags := flag.NewFlagSet("report", flag.ContinueOnError)
	var c commonFlags
	// The lake-side common flags only: report makes no API call.
	flags.StringVar(&c.config, "config", "", "YAML configuration `FILE` (its lake section is used)")
	flags.StringVar(&c.out, "out", "", "the lake's `LOCATION`: a folder, file:///path or s3://bucket/prefix")
	flags.StringVar(&c.logLevel, "log-level", "", "the log's `LEVEL`: debug, info, warn or error")
	flags.StringVar(&c.logFormat, "log-format", "", "the log's `FORMAT`: auto (text on a terminal, JSON otherwise), text or json")
	from := flags.String("from", "", "first billing period, `YYYY-MM` (default: the first published)")
	to := flags.String("to", "", "last billing period, `YYYY-MM` (default: the last published)")
	top := flags.Int("top", 10, "the top resources table shows the `N` that cost most")
	htmlFile := flags.String("html", "", "also write the report as one self-contained HTML `FILE` (charts, no network)")
	if err := m.parseFlags(flags, args); err != nil {
		return err
	}
	cfg, err := m.reportSettings(flags, &c)
	if err != nil {
		return err
	}
	if *top < 1 || *top > maxTop {
		return usageErrorf("report: --top %d is outside 1..%d", *top, maxTop)
	}
	var lo, hi schemas.Period
	if *from != "" {
		if lo, err = schemas.ParsePeriod(*from); err != nil {
			return usageErrorf("report: --from: %v", err)
		}
	}
	if *to != "" {
		if hi, err = schemas.ParsePeriod(*to); err != nil {
			return usageErrorf("report: --to: %v", err)
		}
	}
	if !lo.IsZero() && !hi.IsZero() && hi.Before(lo) {
		return usageErrorf("report: --from %s is after --to %s", lo, hi)
	}
	if *htmlFile != "" {
		if st, err := os.Stat(*htmlFile); err == nil && st.IsDir() {
			return usageErrorf("report: --html %s is a directory; give a file name", *htmlFile)
		}
		if st, err := os.Stat(filepath.Dir(*htmlFile)); err != nil || !st.IsDir() {
			return usageErrorf("report: --html %s: its folder does not exist", *htmlFile)
		}
	}
	log := m.logger(cfg)
	b, err := m.openBucket(ctx, cfg)
	if err != nil {
		return err
	}
	lakes, err := accountLakes(ctx, b, log)
	if err != nil {
		return err
	}
	r, err := buildReport(ctx, lakes, load.RedactLocation(cfg.Lake.Location), lo, hi, *top)
	if err != nil {
		return err
	}
	// The page first: `report --html FILE | head` still writes it.
	if *htmlFile != "" {
		if err := writeFileAtomic(*htmlFile, func(w io.Writer) error { return writeHTML(w, r) }); err != nil {
			err = fmt.Errorf("report: write %s: %w", *htmlFile, err)
			if errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrNotExist) {
				return usageError{err} // a retry cannot fix it
			}
			return err
		}
		log.Info("wrote the HTML report", "file", *htmlFile)
	}
	return writeText(m.Stdout, r)
}

// reportSettings resolves the configuration like every command (defaults,
// file, environment, flags) but requires a lake location given on purpose.
// It reads no SoftLayer credential.
func (m *Main) reportSettings(fs *flag.FlagSet, c *commonFlags) (configs.Config, error) {
	cfg, err := m.settings(fs, c)
	if err != nil {
		return cfg, err
	}
	if !c.set["out"] && c.config == "" {
		return cfg, usageErrorf("report: --out is required (a folder, file:///path or s3://bucket/prefix), or --config with lake.location")
	}
	return cfg, nil
}

// buildReport reads the published periods between lo and hi (zero: no
// bound) and aggregates them. It holds one period's invoice types, the
// window's services and resources (bounded by maxReportServices and
// maxReportResources), and at most maxListedInvoices unreconciled invoices.
func buildReport(ctx context.Context, lakes []*load.Lake, location string, lo, hi schemas.Period, top int) (*report, error) {
	// The periods any account published; a period is read from every
	// account that has it.
	holders := map[schemas.Period][]*load.Lake{}
	var published []schemas.Period
	for _, lake := range lakes {
		ps, err := lake.Periods(ctx)
		if err != nil {
			return nil, fmt.Errorf("report: list the lake's periods: %w", err)
		}
		for _, p := range ps {
			if holders[p] == nil {
				published = append(published, p)
			}
			holders[p] = append(holders[p], lake)
		}
	}
	slices.SortFunc(published, comparePeriods)
	var periods []schemas.Period
	for _, p := range published {
		if (lo.IsZero() || !p.Before(lo)) && (hi.IsZero() || !hi.Before(p)) {
			periods = append(periods, p)
		}
	}
	if len(periods) == 0 {
		if len(published) == 0 {
			return nil, usageErrorf("report: %s holds no published billing period (run `invoicelake export` first)", location)
		}
		return nil, usageErrorf("report: %s holds no published billing period in the window asked (it has %s..%s)",
			location, published[0], published[len(published)-1])
	}
	r := &report{Location: location, TopN: top, Window: schemas.Window{From: lo, To: hi}}
	if lo.IsZero() {
		r.Window.From = periods[0]
	}
	if hi.IsZero() {
		r.Window.To = periods[len(periods)-1]
	}
	have := map[schemas.Period]bool{}
	for _, p := range periods {
		have[p] = true
	}
	for _, p := range r.Window.Periods() {
		if !have[p] {
			r.Missing = append(r.Missing, p)
		}
	}
	acc := &reportAcc{
		resources: map[resKey]*resourceCost{},
		services:  map[string]*schemas.Sum{},
		accounts:  map[int64]bool{},
	}
	for _, p := range periods {
		var pa *periodAgg
		for _, lake := range holders[p] {
			one, err := readPeriodStable(ctx, lake, p)
			if err != nil {
				return nil, err
			}
			if pa == nil {
				pa = one
			} else {
				pa.add(one)
			}
		}
		if err := acc.merge(r, pa); err != nil {
			return nil, err
		}
	}
	acc.finish(r)
	if hi.IsZero() {
		f, err := readForecasts(ctx, lakes)
		if err != nil {
			return nil, err
		}
		r.Forecast = f
	}
	return r, nil
}

// reportAcc accumulates the window across periods.
type reportAcc struct {
	resources map[resKey]*resourceCost
	services  map[string]*schemas.Sum
	accounts  map[int64]bool
}

// periodAgg is one period as read from the lake, before it is merged.
type periodAgg struct {
	periodReport
	accounts  map[int64]bool
	credits   map[string]*creditLine
	resources map[resKey]*resourceCost
	unrec     []unreconciledInvoice
	noRes     schemas.Sum
	noResRows int64
}

// add merges b, the same period of another account, into a.
func (a *periodAgg) add(b *periodAgg) {
	a.Invoices += b.Invoices
	a.Open += b.Open
	a.Items += b.Items
	a.Total.AddSum(&b.Total)
	a.Invoiced.AddSum(&b.Invoiced)
	a.Credits.AddSum(&b.Credits)
	a.Unreconciled += b.Unreconciled
	for svc, sum := range b.Services {
		if t := a.Services[svc]; t != nil {
			t.AddSum(sum)
		} else {
			a.Services[svc] = sum
		}
	}
	for id := range b.accounts {
		a.accounts[id] = true
	}
	for k, cl := range b.credits {
		if t := a.credits[k]; t != nil {
			t.Count += cl.Count
			t.Amount.AddSum(&cl.Amount)
		} else {
			a.credits[k] = cl
		}
	}
	for k, rc := range b.resources {
		if t := a.resources[k]; t != nil {
			t.Own.AddSum(&rc.Own)
			t.Children.AddSum(&rc.Children)
			t.Total.AddSum(&rc.Total)
		} else {
			a.resources[k] = rc
		}
	}
	a.unrec = append(a.unrec, b.unrec...)
	a.noRes.AddSum(&b.noRes)
	a.noResRows += b.noResRows
}

// accountLakes opens every account's part of the lake in b (the layout
// before accounts included, read-only, while it holds periods).
func accountLakes(ctx context.Context, b load.Bucket, log *slog.Logger) ([]*load.Lake, error) {
	accts, legacy, err := load.Accounts(ctx, b)
	if err != nil {
		return nil, err
	}
	var out []*load.Lake
	if legacy {
		out = append(out, load.NewLake(b, load.Options{Logger: log}))
	}
	for _, a := range accts {
		out = append(out, load.NewLake(b, load.Options{Account: a, Logger: log}))
	}
	return out, nil
}

// readPeriodStable reads period p, and reads it again when it was replaced
// meanwhile (its manifest changed, or one of its files disappeared), so
// that the invoices and the items always come from the same version.
func readPeriodStable(ctx context.Context, lake *load.Lake, p schemas.Period) (*periodAgg, error) {
	var lastErr error
	for range readAttempts {
		before, ok, err := lake.Manifest(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("report: read the manifest of %s: %w", p, err)
		}
		if !ok {
			return nil, fmt.Errorf("report: period %s: its manifest disappeared while the report read the lake: %w", p, load.ErrNotExist)
		}
		pa, err := readPeriod(ctx, lake, p)
		if err != nil && !errors.Is(err, load.ErrNotExist) {
			return nil, err
		}
		after, ok, merr := lake.Manifest(ctx, p)
		if merr != nil {
			return nil, fmt.Errorf("report: read the manifest of %s: %w", p, merr)
		}
		if err == nil && ok && sameManifest(before, after) {
			return pa, nil
		}
		lastErr = err
		if lastErr == nil {
			lastErr = errors.New("its manifest changed while it was read")
		}
	}
	return nil, fmt.Errorf("report: period %s was being replaced (by a run writing the lake?) on %d attempts; try again: %w", p, readAttempts, lastErr)
}

func sameManifest(a, b load.Manifest) bool {
	if a.RunID != b.RunID || len(a.Invoices.Files) != len(b.Invoices.Files) || len(a.Items.Files) != len(b.Items.Files) {
		return false
	}
	for i := range a.Invoices.Files {
		if a.Invoices.Files[i].SHA256 != b.Invoices.Files[i].SHA256 {
			return false
		}
	}
	for i := range a.Items.Files {
		if a.Items.Files[i].SHA256 != b.Items.Files[i].SHA256 {
			return false
		}
	}
	return true
}

// readPeriod aggregates one period: its invoices first (types, totals,
// reconciliation), then its item rows.
func readPeriod(ctx context.Context, lake *load.Lake, p schemas.Period) (*periodAgg, error) {
	pa := &periodAgg{
		periodReport: periodReport{Period: p, Services: map[string]*schemas.Sum{}},
		accounts:     map[int64]bool{},
		credits:      map[string]*creditLine{},
		resources:    map[resKey]*resourceCost{},
	}
	isCredit := map[int64]bool{} // invoice -> of a credit type (one period's invoices)
	for inv, err := range lake.InvoiceRows(ctx, p) {
		if err != nil {
			return nil, fmt.Errorf("report: period %s: %w", p, err)
		}
		pa.Invoices++
		if inv.StatusCode == "OPEN" {
			pa.Open++
		}
		pa.accounts[inv.AccountID] = true
		if inv.InvoiceTotalAmount != nil {
			pa.Invoiced.Add(*inv.InvoiceTotalAmount)
		}
		if slices.Contains(creditTypes, inv.TypeCode) {
			isCredit[inv.InvoiceID] = true
			cl := pa.credit(inv.TypeCode)
			cl.Count++
			if inv.InvoiceTotalAmount != nil {
				cl.Amount.Add(*inv.InvoiceTotalAmount)
			}
		}
		if !inv.Reconciled {
			pa.Unreconciled++
			if len(pa.unrec) < maxListedInvoices {
				u := unreconciledInvoice{Period: p, InvoiceID: inv.InvoiceID, TypeCode: inv.TypeCode,
					StatusCode: inv.StatusCode, ItemsTotal: inv.ItemsTotalAmount}
				if inv.InvoiceTotalAmount != nil {
					u.Invoiced = inv.InvoiceTotalAmount.String()
				}
				if inv.ReconcileIssues != nil {
					u.Issues = *inv.ReconcileIssues
				}
				pa.unrec = append(pa.unrec, u)
			}
		}
	}
	for it, err := range lake.ItemRows(ctx, p) {
		if err != nil {
			return nil, fmt.Errorf("report: period %s: %w", p, err)
		}
		pa.Items++
		pa.Total.Add(it.TotalAmount)
		svc := ""
		if it.ResourceService != nil {
			svc = *it.ResourceService
		}
		s := pa.Services[svc]
		if s == nil {
			if len(pa.Services) >= maxReportServices {
				return nil, fmt.Errorf("report: period %s has more than %d distinct resource services; the report stops here", p, maxReportServices)
			}
			s = new(schemas.Sum)
			pa.Services[svc] = s
		}
		s.Add(it.TotalAmount)
		if it.TotalAmount.Sign() < 0 && !isCredit[it.InvoiceID] {
			cl := pa.credit(negativeKind)
			cl.Count++
			cl.Amount.Add(it.TotalAmount)
		}
		if it.ResourceID == nil {
			pa.noRes.Add(it.TotalAmount)
			pa.noResRows++
			continue
		}
		k := resKey{svc, *it.ResourceID}
		rc := pa.resources[k]
		if rc == nil {
			if len(pa.resources) >= maxReportResources {
				return nil, fmt.Errorf("report: period %s has more than %d distinct resources; the report stops here", p, maxReportResources)
			}
			rc = &resourceCost{Service: svc, ID: k.id, Periods: 1}
			pa.resources[k] = rc
		}
		rc.Total.Add(it.TotalAmount)
		if it.Depth == 0 {
			rc.Own.Add(it.TotalAmount)
			rc.Category = clip(it.CategoryCode, maxLabelRunes)
			rc.Label = clip(itemLabel(&it), maxLabelRunes)
			rc.Location = ""
			if it.Location != nil {
				rc.Location = clip(*it.Location, maxLabelRunes)
			}
		} else {
			rc.Children.Add(it.TotalAmount)
		}
	}
	for _, cl := range pa.credits {
		pa.Credits.AddSum(&cl.Amount)
	}
	return pa, nil
}

func (pa *periodAgg) credit(kind string) *creditLine {
	cl := pa.credits[kind]
	if cl == nil {
		cl = &creditLine{Period: pa.Period, Kind: kind}
		pa.credits[kind] = cl
	}
	return cl
}

// itemLabel names a top-level item: its host name (with domain) when it
// has one, its description otherwise.
func itemLabel(it *schemas.ItemRow) string {
	if it.HostName != nil && *it.HostName != "" {
		if it.DomainName != nil && *it.DomainName != "" {
			return *it.HostName + "." + *it.DomainName
		}
		return *it.HostName
	}
	return it.Description
}

// merge adds one period to the report.
func (a *reportAcc) merge(r *report, pa *periodAgg) error {
	r.Periods = append(r.Periods, pa.periodReport)
	r.Invoices += pa.Invoices
	r.Open += pa.Open
	r.Items += pa.Items
	r.Total.AddSum(&pa.Total)
	r.Invoiced.AddSum(&pa.Invoiced)
	r.Unreconciled += pa.Unreconciled
	for _, u := range pa.unrec {
		if len(r.UnreconciledShown) < maxListedInvoices {
			r.UnreconciledShown = append(r.UnreconciledShown, u)
		}
	}
	for id := range pa.accounts {
		a.accounts[id] = true
	}
	for svc, s := range pa.Services {
		t := a.services[svc]
		if t == nil {
			if len(a.services) >= maxReportServices {
				return fmt.Errorf("report: the window has more than %d distinct resource services; narrow --from/--to", maxReportServices)
			}
			t = new(schemas.Sum)
			a.services[svc] = t
		}
		t.AddSum(s)
	}
	kinds := append(slices.Clone(creditTypes), negativeKind)
	for _, k := range kinds {
		if cl := pa.credits[k]; cl != nil {
			r.Credits = append(r.Credits, *cl)
			r.CreditsTotal.AddSum(&cl.Amount)
		}
	}
	r.NoResource.AddSum(&pa.noRes)
	r.NoResRows += pa.noResRows
	for k, rc := range pa.resources {
		t := a.resources[k]
		if t == nil {
			if len(a.resources) >= maxReportResources {
				return fmt.Errorf("report: the window has more than %d distinct resources; narrow --from/--to", maxReportResources)
			}
			a.resources[k] = rc
			continue
		}
		t.Total.AddSum(&rc.Total)
		t.Own.AddSum(&rc.Own)
		t.Children.AddSum(&rc.Children)
		t.Periods++
		if rc.Label != "" || rc.Category != "" { // the latest period's top-level row names it
			t.Label, t.Category, t.Location = rc.Label, rc.Category, rc.Location
		}
	}
	return nil
}

// finish sorts the window's services and resources and keeps the top.
func (a *reportAcc) finish(r *report) {
	for id := range a.accounts {
		r.Accounts = append(r.Accounts, id)
	}
	slices.Sort(r.Accounts)
	for svc, s := range a.services {
		r.Services = append(r.Services, serviceTotal{Service: svc, Total: *s})
	}
	slices.SortFunc(r.Services, func(x, y serviceTotal) int {
		if c := y.Total.Cmp(&x.Total); c != 0 {
			return c
		}
		return cmp.Compare(x.Service, y.Service)
	})
	all := make([]*resourceCost, 0, len(a.resources))
	for _, rc := range a.resources {
		all = append(all, rc)
	}
	slices.SortFunc(all, func(x, y *resourceCost) int {
		if c := y.Total.Cmp(&x.Total); c != 0 {
			return c
		}
		if c := cmp.Compare(x.Service, y.Service); c != 0 {
			return c
		}
		return cmp.Compare(x.ID, y.ID)
	})
	r.Resources = len(all)
	for i, rc := range all {
		if i < r.TopN {
			r.Top = append(r.Top, *rc)
		} else {
			r.OtherTotal.AddSum(&rc.Total)
		}
	}
}

func comparePeriods(a, b schemas.Period) int {
	if a.Before(b) {
		return -1
	}
	if b.Before(a) {
		return 1
	}
	return 0
}

// ---- exact money formatting ----

// sumRat returns s as an exact rational.
func sumRat(s *schemas.Sum) *big.Rat {
	r, ok := new(big.Rat).SetString(s.String())
	if !ok { // Sum.String is always a plain decimal
		panic("report: not a decimal: " + s.String())
	}
	return r
}

// fmtMoney formats an exact amount to the cent, as invoices show it, with
// thousands separators ("-1,234.50"); an amount with digits beyond the
// cent is shown with all of them ("0.12345"), never rounded.
func fmtMoney(r *big.Rat) string {
	var s string
	switch {
	case new(big.Rat).Mul(r, big.NewRat(100, 1)).IsInt():
		s = r.FloatString(2)
	case new(big.Rat).Mul(r, big.NewRat(scaleUnits, 1)).IsInt():
		// DECIMAL(18,8) values and their sums: exact with 8 digits.
		s = strings.TrimRight(r.FloatString(schemas.MoneyScale), "0")
	default: // not a lake amount; still never rounded
		return r.RatString()
	}
	return groupThousands(s)
}

// scaleUnits is 10^MoneyScale.
const scaleUnits = 100_000_000

// fmtSum formats a sum like fmtMoney.
func fmtSum(s *schemas.Sum) string { return fmtMoney(sumRat(s)) }

// fmtDiff formats a - b exactly, with a sign ("+12.00", "-3.50", "0.00").
func fmtDiff(a, b *schemas.Sum) string {
	d := new(big.Rat).Sub(sumRat(a), sumRat(b))
	s := fmtMoney(d)
	if d.Sign() > 0 {
		s = "+" + s
	}
	return s
}

// fmtShare formats part/whole as a percentage with one decimal (a share,
// not an amount), or "" when whole is zero.
func fmtShare(part, whole *schemas.Sum) string {
	w := sumRat(whole)
	if w.Sign() == 0 {
		return ""
	}
	q := new(big.Rat).Quo(sumRat(part), w)
	q.Mul(q, big.NewRat(100, 1))
	return q.FloatString(1) + "%"
}

// groupThousands inserts a comma every three digits of the integer part of
// a plain decimal string.
func groupThousands(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	b.WriteString(sign)
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// ---- text ----

// clip makes a string from the lake safe to print and bounded: invalid
// UTF-8 and control characters (which could drive a terminal) become U+FFFD,
// and a string longer than n runes is cut with a visible "…".
func clip(s string, n int) string {
	var b strings.Builder
	runes := 0
	for i := 0; i < len(s); {
		c, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if runes == n {
			b.WriteRune('…')
			break
		}
		if c == utf8.RuneError || unicode.IsControl(c) || c == '\u2028' || c == '\u2029' ||
			(c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) {
			c = '\uFFFD' // bidirectional overrides and zero-width characters too
		}
		b.WriteRune(c)
		runes++
	}
	return b.String()
}

func serviceName(s string) string {
	if s == "" {
		return noService
	}
	return clip(s, maxLabelRunes)
}

// table is an aligned text table; columns whose header starts with ">"
// are right-aligned, on their decimal point when their cells have one
// (an amount shown with more digits than cents keeps the points aligned).
type table struct {
	head []string
	rows [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer, indent string) error {
	width := make([]int, len(t.head))
	right := make([]bool, len(t.head))
	head := make([]string, len(t.head))
	for i, h := range t.head {
		head[i], right[i] = strings.CutPrefix(h, ">")
		width[i] = utf8.RuneCountInString(head[i])
	}
	frac := make([]int, len(t.head)) // widest ".ddd%" part of a right-aligned column
	for _, row := range t.rows {
		for i, c := range row {
			if right[i] {
				frac[i] = max(frac[i], fracWidth(c))
			}
		}
	}
	cell := func(i int, c string) string {
		if right[i] && c != "" {
			c += strings.Repeat(" ", frac[i]-fracWidth(c))
		}
		return c
	}
	for _, row := range t.rows {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(cell(i, c)))
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		var l strings.Builder
		l.WriteString(indent)
		for i, c := range cells {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i > 0 {
				l.WriteString("  ")
			}
			if right[i] {
				l.WriteString(pad + c)
			} else {
				l.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(l.String(), " "))
		b.WriteByte('\n')
	}
	line(head)
	for _, row := range t.rows {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = cell(i, c)
		}
		line(cells)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// fracWidth is the width of a cell's part from its decimal point on.
func fracWidth(c string) int {
	if i := strings.LastIndexByte(c, '.'); i >= 0 {
		return utf8.RuneCountInString(c[i:])
	}
	return 0
}

func (r *report) windowString() string {
	return fmt.Sprintf("%s..%s", r.Window.From, r.Window.To)
}

func (r *report) accountsString() string {
	s := make([]string, len(r.Accounts))
	for i, a := range r.Accounts {
		s[i] = strconv.FormatInt(a, 10)
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// writeText writes the report as aligned text tables.
func writeText(w io.Writer, r *report) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "invoicelake report of %s: %s (%s), account %s\n", clip(r.Location, 200), r.windowString(), plural(len(r.Periods), "billing period"), r.accountsString())
	fmt.Fprintf(ew, "Amounts in USD; cost is the sum of the items' total_amount (taxes included, credits netted).\n")
	if len(r.Missing) > 0 {
		fmt.Fprintf(ew, "Not in the lake (never exported): %s\n", r.missingString())
	}

	fmt.Fprintf(ew, "\nCost per month\n")
	t := &table{head: []string{"period", ">invoices", ">open", ">items", ">cost", ">change", ">invoiced", ">credits", ">unreconciled"}}
	for i, p := range r.Periods {
		change := ""
		if i > 0 {
			change = fmtDiff(&p.Total, &r.Periods[i-1].Total)
		}
		t.add(p.Period.String(), itoa64(p.Invoices), itoa64(p.Open), itoa64(p.Items), fmtSum(&p.Total), change,
			fmtSum(&p.Invoiced), fmtSum(&p.Credits), itoa64(p.Unreconciled))
	}
	t.add("total", itoa64(r.Invoices), itoa64(r.Open), itoa64(r.Items), fmtSum(&r.Total), "", fmtSum(&r.Invoiced), fmtSum(&r.CreditsTotal), itoa64(r.Unreconciled))
	t.write(ew, "  ")
	if r.Open > 0 {
		fmt.Fprintf(ew, "  open: invoices not closed yet; their periods may still change.\n")
	}

	fmt.Fprintf(ew, "\nCost per month by resource service\n")
	t = &table{head: []string{"period", "resource_service", ">cost", ">share"}}
	for _, p := range r.Periods {
		first := true
		for _, svc := range sortedServices(p.Services) {
			per := ""
			if first {
				per, first = p.Period.String(), false
			}
			t.add(per, serviceName(svc), fmtSum(p.Services[svc]), fmtShare(p.Services[svc], &p.Total))
		}
	}
	for i, s := range r.Services {
		if len(r.Periods) == 1 {
			break // the period's own lines are the whole window's
		}
		per := ""
		if i == 0 {
			per = "all"
		}
		t.add(per, serviceName(s.Service), fmtSum(&s.Total), fmtShare(&s.Total, &r.Total))
	}
	t.write(ew, "  ")

	fmt.Fprintf(ew, "\nTop %d resources of %s, children's cost rolled up (%d resources in all)\n", len(r.Top), r.windowString(), r.Resources)
	t = &table{head: []string{">#", "resource_service", ">resource_id", "name", "category", "location", ">periods", ">own", ">children", ">total", ">share"}}
	for i, rc := range r.Top {
		t.add(strconv.Itoa(i+1), serviceName(rc.Service), strconv.FormatInt(rc.ID, 10), rc.Label, rc.Category, rc.Location,
			strconv.Itoa(rc.Periods), fmtSum(&rc.Own), fmtSum(&rc.Children), fmtSum(&rc.Total), fmtShare(&rc.Total, &r.Total))
	}
	if n := r.Resources - len(r.Top); n > 0 {
		t.add("", "the other "+plural(n, "resource"), "", "", "", "", "", "", "", fmtSum(&r.OtherTotal), fmtShare(&r.OtherTotal, &r.Total))
	}
	t.add("", "no resource (credits, fees, labor)", "", fmt.Sprintf("%d item rows", r.NoResRows), "", "", "", "", "", fmtSum(&r.NoResource), fmtShare(&r.NoResource, &r.Total))
	t.add("", "total", "", "", "", "", "", "", "", fmtSum(&r.Total), "")
	t.write(ew, "  ")

	fmt.Fprintf(ew, "\nCredits and refunds per month (credit invoices: invoice_total_amount; other invoices: their negative items)\n")
	if len(r.Credits) == 0 {
		fmt.Fprintf(ew, "  none in %s\n", r.windowString())
	} else {
		t = &table{head: []string{"period", "kind", ">count", ">amount"}}
		var last schemas.Period
		for _, cl := range r.Credits {
			per := ""
			if cl.Period != last {
				per, last = cl.Period.String(), cl.Period
			}
			t.add(per, cl.Kind, itoa64(cl.Count), fmtSum(&cl.Amount))
		}
		t.add("total", "", "", fmtSum(&r.CreditsTotal))
		t.write(ew, "  ")
	}

	fmt.Fprintf(ew, "\nReconciliation: %s\n", r.reconciliationLine())
	if len(r.UnreconciledShown) > 0 {
		t = &table{head: []string{"period", ">invoice_id", "type", "status", ">invoiced", ">items total", "issues"}}
		for _, u := range r.UnreconciledShown {
			t.add(u.Period.String(), strconv.FormatInt(u.InvoiceID, 10), clip(u.TypeCode, 40), clip(u.StatusCode, 40),
				u.invoicedString(), fmtMoney(u.ItemsTotal.BigRat()), clip(u.Issues, maxIssueRunes))
		}
		t.write(ew, "  ")
		if n := r.Unreconciled - int64(len(r.UnreconciledShown)); n > 0 {
			fmt.Fprintf(ew, "  ... and %d more (query the unreconciled_invoices view of `invoicelake ddl`)\n", n)
		}
	}

	if f := r.Forecast; f != nil {
		fmt.Fprintf(ew, "\nNext invoice forecast\n")
		t = &table{head: []string{"period", ">amount", ">change"}}
		t.add(f.LastMonth.String()+" (last)", fmtSum(&f.LastTotal), "")
		t.add(f.Period.String()+" (forecast)", fmtSum(&f.Amount), fmtDiff(&f.Amount, &f.LastTotal))
		t.write(ew, "  ")
		if f.Balance != nil {
			fmt.Fprintf(ew, "  balance %s (snapshot of %s)\n", fmtMoney(f.Balance.BigRat()), f.Taken.Format("2006-01-02 15:04Z"))
		}
	}
	return ew.err
}

func (r *report) reconciliationLine() string {
	if r.Unreconciled == 0 {
		return fmt.Sprintf("all %d invoices reconciled (their items match every total and item count)", r.Invoices)
	}
	return fmt.Sprintf("%d of %d invoices NOT reconciled (their items do not match the invoice's totals)", r.Unreconciled, r.Invoices)
}

func (u unreconciledInvoice) invoicedString() string {
	if u.Invoiced == "" {
		return "NULL"
	}
	d, err := schemas.ParseDecimal(u.Invoiced)
	if err != nil {
		return u.Invoiced
	}
	return fmtMoney(d.BigRat())
}

// sortedServices lists a period's services, largest cost first.
func sortedServices(m map[string]*schemas.Sum) []string {
	out := make([]string, 0, len(m))
	for s := range m {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b string) int {
		if c := m[b].Cmp(m[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return out
}

// missingString lists the window's missing periods, the first dozen of
// them when there are many (a window can span centuries).
func (r *report) missingString() string {
	const show = 12
	if len(r.Missing) <= 2*show {
		return joinPeriods(r.Missing)
	}
	return fmt.Sprintf("%s, ... (%d periods in all, the last %s)", joinPeriods(r.Missing[:show]), len(r.Missing), r.Missing[len(r.Missing)-1])
}

func joinPeriods(ps []schemas.Period) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// errWriter keeps the first write error (bufio.Writer's sticky error).
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// writeFileAtomic writes name through a temporary file in its folder,
// renamed over it only when complete: a failure leaves what was there.
func writeFileAtomic(name string, write func(io.Writer) error) error {
	dir := filepath.Dir(name)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
