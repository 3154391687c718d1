package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/invoicelake/invoicelake/configs"
	"github.com/invoicelake/invoicelake/extract"
	"github.com/invoicelake/invoicelake/load"
	"github.com/invoicelake/invoicelake/schemas"
	"github.com/invoicelake/invoicelake/transform"
)

// State is what `run` keeps in the lake between runs (_state/state.json).
type State struct {
	LastSuccess time.Time `json:"last_success"`
	LastRunID   string    `json:"last_run_id"`
	// Watermark is when the last successful run started, before its first
	// API call. The next run re-exports every period holding an invoice
	// modified at or after Watermark - incremental.safety_margin. It is
	// not the largest modifyDate the run saw: an invoice of a period
	// outside the plan, modified while the run was exporting, has a
	// modifyDate earlier than invoices the run read later, and would be
	// missed. The margin (48h by default) absorbs a skew between this
	// machine's clock and the API's.
	Watermark time.Time `json:"watermark"`
}

const stateKey = "_state/state.json"

func (m *Main) export(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	var c commonFlags
	c.register(fs)
	from := fs.String("from", "", "first billing period, `YYYY-MM`")
	to := fs.String("to", "", "last billing period, `YYYY-MM`")
	dry := fs.Bool("dry-run", false, "print the periods and the API calls it would make; write nothing")
	shrink := fs.Bool("allow-shrink", false, "replace a published period even when the new version has fewer invoices")
	var w schemas.Window
	f, err := m.setup(ctx, fs, &c, args, func(cfg *configs.Config) (err error) {
		if w, err = parseWindow(*from, *to); err != nil {
			return err
		}
		return checkPlanSize(*cfg, w)
	})
	if err != nil {
		return err
	}
	return f.each(ctx, func(ctx context.Context, p *pipeline) error {
		before := p.snapshot()
		if err := p.open(ctx); err != nil {
			return err
		}
		if *dry {
			return m.dryRun(ctx, p, w.Periods())
		}
		_, err := m.execute(ctx, p, "export", w.Periods(), nil, *shrink, before)
		return err
	}, m.printOutput)
}

// printOutput prints what a command collected for one account.
func (m *Main) printOutput(p *pipeline) {
	m.Stdout.Write(p.output)
	p.output = nil
}

func (m *Main) run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var c commonFlags
	c.register(fs)
	dry := fs.Bool("dry-run", false, "print the periods and the API calls it would make; write nothing")
	shrink := fs.Bool("allow-shrink", false, "replace a published period even when the new version has fewer invoices")
	f, err := m.setup(ctx, fs, &c, args, nil)
	if err != nil {
		return err
	}
	now := m.now()
	return f.each(ctx, func(ctx context.Context, p *pipeline) error {
		_, err := m.runIncremental(ctx, p, *dry, now, *shrink)
		return err
	}, m.printOutput)
}

// setup parses a pipeline command's flags, resolves its settings (calling
// check, if any, on them before anything is opened) and builds a pipeline
// per selected account.
func (m *Main) setup(ctx context.Context, fs *flag.FlagSet, c *commonFlags, args []string, check func(*configs.Config) error) (*fleet, error) {
	if err := m.parseFlags(fs, args); err != nil {
		return nil, err
	}
	cfg, err := m.settings(fs, c)
	if err != nil {
		return nil, err
	}
	if !c.set["out"] && c.config == "" {
		// lake.location has a default (./lake) for the file; a command
		// line alone never writes or reads a lake it did not name.
		return nil, usageErrorf("%s: --out is required (a folder, file:///path or s3://bucket/prefix), or --config FILE with lake.location", fs.Name())
	}
	if check != nil {
		if err := check(&cfg); err != nil {
			return nil, err
		}
	}
	return m.newFleet(ctx, cfg, m.logger(cfg), c)
}

// runIncremental plans and executes one scheduled run: the last N periods,
// plus any older period holding an invoice modified since the watermark
// minus the safety margin; a first run backfills from the start period.
func (m *Main) runIncremental(ctx context.Context, p *pipeline, dry bool, now time.Time, allowShrink bool) (*Summary, error) {
	before := p.snapshot() // the run's calls include its planning
	if err := p.open(ctx); err != nil {
		return nil, err
	}
	var st State
	found := true
	remedy := fmt.Sprintf("delete it (%s): the next run is then a first run and re-exports from incremental.start_period (or the last 12 periods)", p.lake.Where(stateKey))
	if err := p.lake.ReadJSON(ctx, stateKey, &st, remedy); errors.Is(err, load.ErrNotExist) {
		found, err = p.legacyState(ctx, &st)
		if err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("read run state: %w", err)
	}
	periods, err := planIncremental(ctx, p, st, found, now)
	if err != nil {
		return nil, err
	}
	if len(periods) > p.cfg.Lake.MaxPeriods {
		return nil, usageErrorf("the plan is %d billing periods (%s..%s), more than lake.max_periods (%d): set a later incremental.start_period, or raise --max-periods if you mean it",
			len(periods), periods[0], periods[len(periods)-1], p.cfg.Lake.MaxPeriods)
	}
	if dry {
		return nil, m.dryRun(ctx, p, periods)
	}
	st.Watermark = now.UTC() // for the state this run writes if it succeeds
	return m.execute(ctx, p, "run", periods, &st, allowShrink, before)
}

func planIncremental(ctx context.Context, p *pipeline, st State, found bool, now time.Time) ([]schemas.Period, error) {
	inc := p.cfg.Incremental
	current := schemas.PeriodOf(now.In(central))
	if !found {
		start := current.AddMonths(-11)
		if inc.StartPeriod != "" {
			s, err := parsePeriod(inc.StartPeriod)
			if err != nil {
				return nil, usageError{err}
			}
			start = s
		}
		if current.Before(start) {
			return nil, usageErrorf("incremental.start_period %s is in the future", start)
		}
		w := schemas.Window{From: start, To: current}
		if err := checkPlanSize(p.cfg, w); err != nil {
			return nil, err
		}
		p.log.Info("first run: backfilling", "from", start, "to", current)
		return w.Periods(), nil
	}
	set := map[schemas.Period]bool{}
	for i := inc.LookbackPeriods - 1; i >= 0; i-- {
		set[current.AddMonths(-i)] = true
	}
	if err := stalePeriods(ctx, p, set); err != nil {
		return nil, err
	}
	since := st.Watermark.Add(-inc.SafetyMargin.D())
	for inv, err := range p.client.Invoices(ctx, extract.InvoiceQuery{ModifiedSince: since}) {
		if err != nil {
			return nil, fmt.Errorf("list invoices modified since %s: %w", since.Format(time.RFC3339), err)
		}
		per := schemas.PeriodOf(inv.CreateDate)
		if !set[per] {
			p.log.Info("older period changed since the last run: re-exporting it", "period", per, "invoice_id", inv.ID, "modify_date", inv.ModifyDate)
			set[per] = true
		}
	}
	periods := make([]schemas.Period, 0, len(set))
	for per := range set {
		periods = append(periods, per)
	}
	slices.SortFunc(periods, func(a, b schemas.Period) int {
		if a.Before(b) {
			return -1
		}
		if b.Before(a) {
			return 1
		}
		return 0
	})
	return periods, nil
}

// stalePeriods adds to set the periods an earlier release published with
// another schema version, in the account's folders or in the layout before
// accounts (which this run moves into them first): readers need every
// file of a table in one version, and the run rewrites them whole.
func stalePeriods(ctx context.Context, p *pipeline, set map[schemas.Period]bool) error {
	for _, l := range []*load.Lake{p.lake, load.NewLake(p.bucket, load.Options{})} {
		periods, err := l.Periods(ctx)
		if err != nil {
			return err
		}
		for _, per := range periods {
			m, ok, err := l.Manifest(ctx, per)
			if err != nil || !ok || m.SchemaVersion == schemas.SchemaVersion || set[per] {
				continue // a corrupt manifest says how to repair it when the period is published
			}
			p.log.Info("period written with another schema version: re-exporting it", "period", per, "schema_version", m.SchemaVersion)
			set[per] = true
		}
	}
	return nil
}

// execute runs the pipeline, then records the summary (and, for `run`, the
// new state) in the lake. The summary's counters are this run's alone.
func (m *Main) execute(ctx context.Context, p *pipeline, command string, periods []schemas.Period, st *State, allowShrink bool, before extract.Stats) (*Summary, error) {
	runID := newRunID(time.Now())
	watermark := time.Time{}
	if st != nil {
		watermark = st.Watermark
	}
	sum, err := p.runOnce(ctx, periods, load.RunInfo{RunID: runID, Watermark: watermark, AllowShrink: allowShrink})
	sum.Command = command
	sum.Watermark = watermark
	sum.AccountID, sum.Account = p.lake.Account(), p.acct.Name
	sum.finish(err, statsSince(before, p.client.Stats()))
	sum.log(p.log)
	wctx := context.WithoutCancel(ctx)
	if werr := p.lake.WriteJSON(wctx, "_runs/"+runID+".json", sum); werr != nil && !errors.Is(werr, load.ErrNotClaimed) {
		p.log.Warn("could not write the run summary to the lake", "err", werr)
	}
	if err != nil {
		return sum, err
	}
	if st != nil {
		next := State{LastSuccess: sum.Finished, LastRunID: runID, Watermark: sum.Watermark}
		if err := p.lake.WriteJSON(wctx, stateKey, next); err != nil {
			return sum, fmt.Errorf("write run state: %w", err)
		}
	}
	if p.progress != nil {
		sum.table(m.Stdout)
	}
	return sum, nil
}

// legacyState reads the state a release before accounts kept
// (_state/state.json, no account folder) when the lake still has periods
// of that layout: the first run after the upgrade continues from its
// watermark instead of backfilling. It reports whether there was one.
func (p *pipeline) legacyState(ctx context.Context, st *State) (bool, error) {
	_, legacy, err := load.Accounts(ctx, p.bucket)
	if err != nil || !legacy {
		return false, err
	}
	old := load.NewLake(p.bucket, load.Options{})
	err = old.ReadJSON(ctx, stateKey, st, "delete it: the next run backfills from incremental.start_period instead")
	if errors.Is(err, load.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read the run state of the layout before accounts: %w", err)
	}
	p.log.Info("continuing from the run state of the layout before accounts", "watermark", st.Watermark)
	return true, nil
}

// snapshot returns the client's counters now: it counts from its creation,
// and serve keeps one client across runs.
func (p *pipeline) snapshot() extract.Stats { return p.client.Stats() }

// newRunID names a run by its start time, with a random suffix so that two
// runs started in the same millisecond differ; data objects never carry it.
func newRunID(now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return now.UTC().Format("20060102T150405.000Z") + "-" + hex.EncodeToString(b[:])
}

// dryRun lists the invoices of each period (cheap calls) and prints the
// periods and the API calls a real run would make. It writes nothing.
func (m *Main) dryRun(ctx context.Context, p *pipeline, periods []schemas.Period) error {
	var out bytes.Buffer
	defer func() { p.output = append(p.output, out.Bytes()...) }()
	if p.lake != nil && len(p.cfg.Accounts) > 0 {
		fmt.Fprintf(&out, "== account %s (%d)\n", p.acct.Label(), p.lake.Account())
	}
	ipage, tpage := p.plannedPages()
	var totalCalls int64
	fmt.Fprintf(&out, "dry run: nothing is written to %s\n", load.RedactLocation(p.cfg.Lake.Location))
	fmt.Fprintf(&out, "%-8s %9s %10s %10s\n", "period", "invoices", "items", "api_calls")
	for _, per := range periods {
		var invoices, items, calls int64
		for inv, err := range p.client.Invoices(ctx, extract.InvoiceQuery{Window: schemas.Window{From: per, To: per}}) {
			if err != nil {
				return fmt.Errorf("dry run: period %s: %w", per, err)
			}
			invoices++
			n := int64(0)
			if inv.ItemCount != nil {
				n = *inv.ItemCount
			}
			items += n
			calls += max(1, (n+tpage-1)/tpage)
		}
		calls += max(1, (invoices+ipage-1)/ipage)
		totalCalls += calls
		fmt.Fprintf(&out, "%-8s %9d %10d %10d\n", per, invoices, items, calls)
	}
	n, err := m.dryRunDatasets(ctx, p)
	if err != nil {
		return err
	}
	totalCalls += n
	fmt.Fprintf(&out, "total API calls: about %d (at %.0f/s: %s)\n", totalCalls, p.cfg.Source.RatePerSecond,
		time.Duration(float64(totalCalls)/p.cfg.Source.RatePerSecond*float64(time.Second)).Round(time.Second))
	return nil
}

func (m *Main) verify(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	var c commonFlags
	c.register(fs)
	from := fs.String("from", "", "first billing period, `YYYY-MM` (default: every published period)")
	to := fs.String("to", "", "last billing period, `YYYY-MM`")
	deep := fs.Bool("deep", false, "also re-read every item from the API and compare every column of every row")
	var window []schemas.Period
	f, err := m.setup(ctx, fs, &c, args, func(*configs.Config) error {
		if *from == "" && *to == "" {
			return nil
		}
		w, err := parseWindow(*from, *to)
		window = w.Periods()
		return err
	})
	if err != nil {
		return err
	}
	return f.each(ctx, func(ctx context.Context, p *pipeline) error {
		if err := p.open(ctx); err != nil {
			return err
		}
		if err := p.lake.Exists(ctx); err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		periods := window
		if periods == nil {
			if periods, err = p.lake.Periods(ctx); err != nil {
				return err
			}
			if len(periods) == 0 {
				return fmt.Errorf("verify: %s: %w", p.lake.Where(load.ManifestsDir+"/"+load.AccountDir(p.lake.Account())), errNothingPublished)
			}
		}
		// Each account's table is printed whole, in the configuration's
		// order, whatever order the accounts finish in.
		var buf bytes.Buffer
		if len(f.pipes) > 1 {
			fmt.Fprintf(&buf, "== account %s (%d)\n", p.acct.Label(), p.lake.Account())
		}
		err := m.verifyPeriods(ctx, &buf, p, periods, *deep)
		p.output = buf.Bytes()
		return err
	}, m.printOutput)
}

// ErrMismatch is returned by verify when the lake and the API disagree, or
// a row breaks the lake's rules (exit code 3).
var ErrMismatch = errors.New("the lake does not match the API")

// errNothingPublished: verify found a lake with no published period.
var errNothingPublished = usageError{errors.New("no billing period is published in this lake (nothing to verify)")}

// maxShown is how many row problems verify prints; all are counted.
const maxShown = 10

// problems collects what verify finds, printing the first maxShown.
type problems struct {
	w     io.Writer
	count int
}

func (ps *problems) add(period schemas.Period, msg string) {
	ps.count++
	if ps.count <= maxShown {
		fmt.Fprintf(ps.w, "  %s: %s\n", period, msg)
	} else if ps.count == maxShown+1 {
		fmt.Fprintf(ps.w, "  ... (more problems are counted, not shown)\n")
	}
}

// verifyPeriods checks each period three ways: its files against its
// manifest and its totals against the API's listing (counts, sums); every
// row against the lake's rules (transform.CheckRows: parents, top-level
// item, depth, resource attribution, no id twice; each invoice's item_rows);
// and, with deep, every column of every row against the API's items
// (transform.DiffItem).
func (m *Main) verifyPeriods(ctx context.Context, out io.Writer, p *pipeline, periods []schemas.Period, deep bool) error {
	fmt.Fprintf(out, "%-8s %-22s %-22s %-40s %s\n", "period", "invoices lake/api", "items lake/api", "invoice_total_amount lake/api", "ok")
	bad := 0
	ps := &problems{w: out}
	for _, per := range periods {
		got, err := p.lake.Summarize(ctx, per)
		if err != nil {
			return fmt.Errorf("verify: read period %s: %w", per, err)
		}
		var invoices, items, payments int64
		var total, paid schemas.Sum
		for inv, err := range p.client.Invoices(ctx, extract.InvoiceQuery{Window: schemas.Window{From: per, To: per}}) {
			if err != nil {
				return fmt.Errorf("verify: period %s: %w", per, err)
			}
			invoices++
			if inv.ItemCount != nil {
				items += *inv.ItemCount
			}
			if inv.InvoiceTotalAmount != nil {
				total.Add(*inv.InvoiceTotalAmount)
			}
			for _, pay := range inv.Payments {
				payments++
				if pay.Amount != nil {
					paid.Add(*pay.Amount)
				}
			}
		}
		ok := got.Invoices == invoices && got.Items == items && got.InvoiceTotal.Cmp(&total) == 0 && got.DistinctItemIDs == got.Items &&
			got.Payments == payments && got.PaymentsTotal.Cmp(&paid) == 0
		before := ps.count
		if err := checkPeriodRows(ctx, p, per, ps); err != nil {
			return fmt.Errorf("verify: period %s: %w", per, err)
		}
		if err := checkDocuments(ctx, p, per, ps); err != nil {
			return fmt.Errorf("verify: period %s: %w", per, err)
		}
		if deep {
			if err := compareWithAPI(ctx, p, per, ps); err != nil {
				return fmt.Errorf("verify: period %s: %w", per, err)
			}
		}
		ok = ok && ps.count == before
		mark := "yes"
		if !ok {
			mark = "NO"
			bad++
			p.log.Error("period does not match the API", "period", per, "lake_invoices", got.Invoices, "api_invoices", invoices,
				"lake_items", got.Items, "api_items", items, "lake_total", got.InvoiceTotal.String(), "api_total", total.String(),
				"distinct_item_ids", got.DistinctItemIDs, "lake_payments", got.Payments, "api_payments", payments,
				"lake_payments_total", got.PaymentsTotal.String(), "api_payments_total", paid.String(), "row_problems", ps.count-before)
		}
		fmt.Fprintf(out, "%-8s %-22s %-22s %-40s %s\n", per,
			fmt.Sprintf("%d/%d", got.Invoices, invoices), fmt.Sprintf("%d/%d", got.Items, items),
			got.InvoiceTotal.String()+"/"+total.String(), mark)
	}
	if bad > 0 {
		return fmt.Errorf("verify: %d of %d periods differ, %d row problems (rerun `invoicelake export` for them): %w", bad, len(periods), ps.count, ErrMismatch)
	}
	if err := m.verifySnapshots(ctx, p); err != nil {
		return err
	}
	what := "counts, totals, payments and row rules"
	if deep {
		what = "counts, totals, payments, row rules and every column of every row"
	}
	fmt.Fprintf(out, "all %d periods match the API (%s)\n", len(periods), what)
	return nil
}

// checkPeriodRows checks every item row of per against the lake's rules,
// one invoice at a time (rows come sorted by invoice), and each invoice's
// item_rows against its rows.
func checkPeriodRows(ctx context.Context, p *pipeline, per schemas.Period, ps *problems) error {
	want := map[int64]int64{} // invoice -> item_rows
	for r, err := range p.lake.InvoiceRows(ctx, per) {
		if err != nil {
			return err
		}
		want[r.InvoiceID] = r.ItemRows
	}
	var keys []transform.RowKey
	flush := func() {
		if len(keys) == 0 {
			return
		}
		inv := keys[0].InvoiceID
		for _, pr := range transform.CheckRows(inv, keys) {
			ps.add(per, pr.String())
		}
		n, ok := want[inv]
		switch {
		case !ok:
			ps.add(per, fmt.Sprintf("invoice %d: %d item rows but no invoices row", inv, len(keys)))
		case n != int64(len(keys)):
			ps.add(per, fmt.Sprintf("invoice %d: %d item rows, its invoices row says item_rows %d", inv, len(keys), n))
		}
		delete(want, inv)
		keys = keys[:0]
	}
	for r, err := range p.lake.ItemRows(ctx, per) {
		if err != nil {
			return err
		}
		if len(keys) > 0 && r.InvoiceID != keys[0].InvoiceID {
			flush()
		}
		keys = append(keys, transform.KeyOf(&r))
	}
	flush()
	for inv, n := range want {
		if n != 0 {
			ps.add(per, fmt.Sprintf("invoice %d: item_rows %d but no item rows", inv, n))
		}
	}
	return nil
}

// compareWithAPI reads every item of per's invoices from the API and
// compares it with the lake's row, column by column; rows on one side only
// are problems too. Both sides come sorted by (invoice, item).
func compareWithAPI(ctx context.Context, p *pipeline, per schemas.Period, ps *problems) error {
	next, stop := iter.Pull2(p.lake.ItemRows(ctx, per))
	defer stop()
	var row schemas.ItemRow // the current lake row (the consumer's own)
	have := false
	pull := func() error {
		r, err, ok := next()
		if err != nil {
			return err
		}
		row, have = r, ok
		return nil
	}
	if err := pull(); err != nil {
		return err
	}
	for iw, err := range p.client.InvoicesWithItems(ctx, []extract.InvoiceQuery{{Window: schemas.Window{From: per, To: per}}}) {
		if err != nil {
			return err
		}
		inv := iw.Invoice.ID
		// Lake rows of invoices the API does not list (before this one).
		for have && row.InvoiceID < inv {
			ps.add(per, fmt.Sprintf("invoice %d item %d: in the lake, not in the API", row.InvoiceID, row.ItemID))
			if err := pull(); err != nil {
				iw.Items.Close()
				return err
			}
		}
		for it, err := range iw.Items.Items() {
			if err != nil {
				iw.Items.Close()
				return err
			}
			for have && row.InvoiceID == inv && row.ItemID < it.ID {
				ps.add(per, fmt.Sprintf("invoice %d item %d: in the lake, not in the API", inv, row.ItemID))
				if err := pull(); err != nil {
					iw.Items.Close()
					return err
				}
			}
			if !have || row.InvoiceID != inv || row.ItemID != it.ID {
				ps.add(per, fmt.Sprintf("invoice %d item %d: in the API, not in the lake", inv, it.ID))
				continue
			}
			for _, d := range transform.DiffItem(&row, it) {
				ps.add(per, fmt.Sprintf("invoice %d item %d: %s", inv, it.ID, d))
			}
			if err := pull(); err != nil {
				iw.Items.Close()
				return err
			}
		}
		iw.Items.Close()
		for have && row.InvoiceID == inv {
			ps.add(per, fmt.Sprintf("invoice %d item %d: in the lake, not in the API", inv, row.ItemID))
			if err := pull(); err != nil {
				return err
			}
		}
	}
	for have {
		ps.add(per, fmt.Sprintf("invoice %d item %d: in the lake, not in the API", row.InvoiceID, row.ItemID))
		if err := pull(); err != nil {
			return err
		}
	}
	return nil
}

func (m *Main) ddl(ctx context.Context, args []string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		m.ddlHelp(m.Stdout)
		return flag.ErrHelp
	}
	if len(args) == 0 || (args[0] != "athena" && args[0] != "duckdb") {
		return usageErrorf("ddl: want `ddl athena --location s3://bucket/prefix` or `ddl duckdb --location DIR`")
	}
	fs := flag.NewFlagSet("ddl "+args[0], flag.ContinueOnError)
	loc := fs.String("location", "", "the lake's `LOCATION`")
	db, accounts := new(string), new(string)
	if args[0] == "athena" {
		fs.StringVar(db, "database", "invoicelake", "Athena database `NAME`")
		fs.StringVar(accounts, "accounts", "", "the account `IDS` of the lake, comma-separated (default: read from the lake, with the AWS SDK's credentials)")
	}
	if err := m.parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if *loc == "" {
		return usageErrorf("ddl %s: --location is required", args[0])
	}
	switch args[0] {
	case "athena":
		if len(*loc) < 6 || (*loc)[:5] != "s3://" {
			return usageErrorf("ddl athena: --location must be s3://bucket/prefix")
		}
		ids, err := m.ddlAccounts(ctx, *loc, *accounts)
		if err != nil {
			return err
		}
		sql, err := schemas.AthenaDDL(*loc, *db, ids)
		if err != nil {
			return usageError{err}
		}
		fmt.Fprint(m.Stdout, sql)
	case "duckdb":
		where, note, err := duckDBLocation(*loc)
		if err != nil {
			return err
		}
		sql, err := schemas.DuckDBDDL(where)
		if err != nil {
			return usageError{err}
		}
		fmt.Fprintf(m.Stdout, "-- %s\n%s", note, sql)
	}
	return nil
}

// duckDBLocation is where DuckDB's views read the lake: a local folder
// (a path, or file:///path) as an absolute path, so that the views work
// from any folder; an s3:// URL as given (DuckDB's httpfs reads it with
// its own S3 credentials). note says which, for the DDL's first line.
func duckDBLocation(loc string) (where, note string, err error) {
	switch {
	case strings.HasPrefix(loc, "s3://"):
		return loc, fmt.Sprintf("location %s, as given: DuckDB reads it with its httpfs extension and S3 credentials (CREATE SECRET)", loc), nil
	case strings.HasPrefix(loc, "file://"):
		u, err := url.Parse(loc)
		if err != nil || (u.Host != "" && u.Host != "localhost") || u.Path == "" {
			return "", "", usageErrorf("ddl duckdb: --location %q: want file:///absolute/path", loc)
		}
		return u.Path, fmt.Sprintf("location %s, as the local path %s", loc, u.Path), nil
	case strings.Contains(loc, "://"):
		return "", "", usageErrorf("ddl duckdb: --location %q: want a folder, file:///path or s3://bucket/prefix", loc)
	}
	abs, err := filepath.Abs(loc)
	if err != nil {
		return "", "", usageErrorf("ddl duckdb: --location %q: %v", loc, err)
	}
	if abs == loc {
		return abs, "location " + abs, nil
	}
	return abs, fmt.Sprintf("location %s (given as %s): absolute, so that the views work from any folder", abs, loc), nil
}

// ddlAccounts returns the account ids for Athena's partition projection:
// those given (--accounts), or those the lake holds.
func (m *Main) ddlAccounts(ctx context.Context, loc, given string) ([]int64, error) {
	if given != "" {
		var ids []int64
		for _, f := range strings.Split(given, ",") {
			id, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
			if err != nil || id <= 0 {
				return nil, usageErrorf("ddl athena: --accounts %q: want account ids, comma-separated", given)
			}
			ids = append(ids, id)
		}
		return ids, nil
	}
	b, err := load.OpenLocation(ctx, loc, load.S3Config{})
	if err != nil {
		return nil, fmt.Errorf("ddl athena: open the lake to list its accounts (or give --accounts): %w", err)
	}
	ids, legacy, err := load.Accounts(ctx, b)
	if err != nil {
		return nil, fmt.Errorf("ddl athena: list the lake's accounts (or give --accounts): %w", err)
	}
	if legacy {
		m.logger(configs.Default()).Warn("the lake still holds periods of the layout before accounts: a run of their account moves them; until then these tables do not see them")
	}
	if len(ids) == 0 {
		return nil, usageErrorf("ddl athena: %s holds no account's period yet: export first, or give --accounts", load.RedactLocation(loc))
	}
	return ids, nil
}
