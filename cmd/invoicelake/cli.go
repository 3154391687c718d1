package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/invoicelake/invoicelake/configs"
)

// The command line: a table of commands over the standard flag package,
// with help for every command (flags with their effective defaults and
// the configuration key each overrides, examples), suggestions for a
// mistyped command or flag, and shell completion. docs/CLI.md compares
// this with spf13/cobra and alecthomas/kong and says why.

// command is one command of the table: its help, and how to run it.
type command struct {
	name     string // "export", "ddl athena"
	args     string // the usage line after the name
	summary  string // one line, for the command list
	about    string // what it does, a paragraph
	examples []string
	hidden   bool
	run      func(m *Main, ctx context.Context, args []string) error
}

// commands is the table, in the order the usage lists it. Each pipeline
// command builds its own flag.FlagSet; help and completion read it back
// with flagsOf, so a flag is declared in one place only.
func commands() []command {
	return []command{
		{name: "export", args: "--from YYYY-MM --to YYYY-MM --out LOCATION [flags]",
			summary: "export a window of billing periods, replacing each in the lake",
			about: "Reads every invoice of the window, with its items, from the SoftLayer API and publishes each\n" +
				"billing period as a whole: a rerun replaces a period, never appends to it. --dry-run prints the\n" +
				"periods and the API calls it would make and writes nothing.",
			examples: []string{
				"invoicelake export --from 2024-01 --to 2024-12 --out ./lake",
				"invoicelake export --from 2025-01 --to 2025-03 --out s3://my-bucket/softlayer --dry-run",
				"invoicelake export --config invoicelake.yaml --account prod --from 2025-06 --to 2025-06",
			},
			run: (*Main).export},
		{name: "run", args: "--config FILE [flags]",
			summary: "the scheduled incremental one-shot (a CronJob)",
			about: "Re-exports the last incremental.lookback_periods periods, plus every older period holding an\n" +
				"invoice modified since the last successful run; a first run backfills from\n" +
				"incremental.start_period (or the last 12 periods). It needs a lake: --config with lake.location,\n" +
				"or --out.",
			examples: []string{
				"invoicelake run --config invoicelake.yaml",
				"invoicelake run --config invoicelake.yaml --account-index 0 --dry-run",
			},
			run: (*Main).run},
		{name: "serve", args: "--config FILE [flags]",
			summary: "daemon: `run` at start and on a cron schedule; /healthz, /readyz, /metrics",
			about: "Runs `run` once at start (schedule.run_at_start) and then on schedule.cron, never two at once,\n" +
				"and serves /healthz (liveness), /readyz (503 when the last run failed or the last success is\n" +
				"too old) and /metrics (Prometheus) on schedule.listen. SIGTERM lets a run in flight finish for\n" +
				"schedule.stop_timeout.",
			examples: []string{
				"invoicelake serve --config invoicelake.yaml",
				"invoicelake serve --config invoicelake.yaml --schedule '@every 6h' --listen :9090",
			},
			run: (*Main).serve},
		{name: "verify", args: "--out LOCATION [--from YYYY-MM --to YYYY-MM] [--deep] [flags]",
			summary: "read the lake back, check every row, reconcile with the API",
			about: "Reads every published file back (checksums, schema, sort order, sums), checks each item row\n" +
				"against the lake's rules and compares counts and totals with the API. --deep also compares\n" +
				"every column of every row with the API's items. Exit 3 when they differ.",
			examples: []string{
				"invoicelake verify --out ./lake",
				"invoicelake verify --out s3://my-bucket/softlayer --from 2025-01 --to 2025-03 --deep",
			},
			run: (*Main).verify},
		{name: "report", args: "--out LOCATION [--from YYYY-MM] [--to YYYY-MM] [--top N] [--html FILE]",
			summary: "what it cost: by month, service, resource; credits; reconciliation",
			about: "Cost per month by resource service, top resources, credits and refunds, and the\n" +
				"reconciliation status, read from the lake (no API credentials needed).",
			examples: []string{
				"invoicelake report --out ./lake",
				"invoicelake report --out ./lake --from 2025-01 --to 2025-12 --html report.html",
			},
			run: (*Main).report},
		{name: "ddl athena", args: "--location s3://bucket/prefix [--database NAME] [--accounts IDS]",
			summary: "CREATE EXTERNAL TABLE and views for Athena (partition projection)",
			about:   "Prints the Athena DDL of the lake's tables and views; run it once.",
			examples: []string{
				"invoicelake ddl athena --location s3://my-bucket/softlayer > athena.sql",
				"invoicelake ddl athena --location s3://my-bucket/softlayer --accounts 278444,300123",
			},
			run: func(m *Main, ctx context.Context, args []string) error {
				return m.ddl(ctx, append([]string{"athena"}, args...))
			}},
		{name: "ddl duckdb", args: "--location DIR",
			summary: "DuckDB views over the lake",
			about: "Prints DuckDB views over the lake. A local folder is written as an absolute path, so the\n" +
				"views work from any folder; file:// and s3:// locations are written as given.",
			examples: []string{
				"invoicelake ddl duckdb --location ./lake > views.sql && duckdb -c '.read views.sql' -c 'SELECT * FROM cost_by_service_month'",
			},
			run: func(m *Main, ctx context.Context, args []string) error {
				return m.ddl(ctx, append([]string{"duckdb"}, args...))
			}},
		{name: "version", args: "",
			summary:  "print the version, commit and build date",
			examples: []string{"invoicelake version"},
			run:      (*Main).versionCmd},
		{name: "help", args: "[COMMAND]",
			summary:  "help on a command",
			examples: []string{"invoicelake help export"},
			run:      (*Main).helpCmd},
		{name: "completion", args: "bash|zsh|fish",
			summary: "print a shell completion script",
			about: "Completes commands, flags and their values (files, folders, enumerations). Load it with:\n" +
				"  bash: source <(invoicelake completion bash)     (or save it in /etc/bash_completion.d/invoicelake)\n" +
				"  zsh:  source <(invoicelake completion zsh)      (or save it as _invoicelake in your $fpath)\n" +
				"  fish: invoicelake completion fish > ~/.config/fish/completions/invoicelake.fish",
			examples: []string{"invoicelake completion bash > /etc/bash_completion.d/invoicelake"},
			run:      (*Main).completionCmd},
		{name: "__complete", hidden: true, run: (*Main).completeCmd},
	}
}

// findCommand returns the command args name, and how many words of args
// named it (ddl's subcommands take two).
func findCommand(args []string) (command, int, bool) {
	if len(args) == 0 {
		return command{}, 0, false
	}
	name, n := args[0], 1
	if name == "ddl" && len(args) > 1 && !strings.HasPrefix(args[1], "-") {
		name, n = "ddl "+args[1], 2
	}
	for _, c := range commands() {
		if c.name == name {
			return c, n, true
		}
	}
	return command{}, 0, false
}

// commandNames returns the names a user types first, without the hidden.
func commandNames() []string {
	var out []string
	for _, c := range commands() {
		first, _, _ := strings.Cut(c.name, " ")
		if !c.hidden && !slices.Contains(out, first) {
			out = append(out, first)
		}
	}
	return out
}

// usage is the program's help: what each command does.
func usage(w io.Writer) {
	fmt.Fprint(w, `invoicelake exports IBM Cloud Classic (SoftLayer) invoices to a Parquet lake.

Usage:
  invoicelake COMMAND [flags]

Commands:
`)
	for _, c := range commands() {
		if !c.hidden {
			fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
		}
	}
	fmt.Fprint(w, `
LOCATION is a folder, file:///path or s3://bucket/prefix.
Credentials come from the environment: SL_USERNAME and SL_API_KEY (or the
file named by source.api_key_file / source.bearer_token_file in the config);
SL_ENDPOINT_URL overrides the API endpoint.

"invoicelake help COMMAND" (or "invoicelake COMMAND --help") shows a command's
flags, their defaults and examples; "invoicelake completion bash|zsh|fish"
prints a shell completion script.

Exit codes: 0 ok, 1 transient failure (retry), 2 usage/config/permanent,
3 verify found a difference, 130 cancelled.
`)
}

// errIntrospect ends a command at its flag parsing when flagsOf asks for
// its flags.
var errIntrospect = errors.New("flags collected")

// flagsOf returns the flags command c parses, without running it: the
// command is called in a mode in which parseFlags hands its FlagSet over
// and stops.
func (m *Main) flagsOf(c command) *flag.FlagSet {
	var got *flag.FlagSet
	probe := *m
	probe.introspect = func(fs *flag.FlagSet) { got = fs }
	if c.run != nil {
		_ = c.run(&probe, context.Background(), nil)
	}
	if got == nil {
		got = flag.NewFlagSet(c.name, flag.ContinueOnError) // a command without flags
	}
	return got
}

// parseFlags parses args and records which flags were given. -h and
// --help print the command's help to stdout; an unknown flag is a usage
// error that suggests the closest one.
func (m *Main) parseFlags(fs *flag.FlagSet, args []string) error {
	if m.introspect != nil {
		m.introspect(fs)
		return errIntrospect
	}
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			m.commandHelp(m.Stdout, fs.Name(), fs)
			return err
		}
		return usageError{flagError(fs, err, m.commandsWithFlag)}
	}
	if fs.NArg() > 0 {
		return usageErrorf("%s: unexpected argument %q (%s)", fs.Name(), fs.Arg(0), seeHelp(fs.Name()))
	}
	return nil
}

// commandsWithFlag returns the commands that have the flag name.
func (m *Main) commandsWithFlag(name string) []string {
	if len(name) > 64 {
		return nil
	}
	var out []string
	for _, c := range commands() {
		if !c.hidden && m.flagsOf(c).Lookup(name) != nil {
			out = append(out, c.name)
		}
	}
	return out
}

func seeHelp(name string) string { return fmt.Sprintf(`"invoicelake %s --help" lists the flags`, name) }

// flagError rewrites the flag package's errors in the command line's own
// terms (--name, not -name) and suggests the flag meant.
// A flag of other commands only is named as theirs.
func flagError(fs *flag.FlagSet, err error, others func(flag string) []string) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		s := fmt.Sprintf("%s: unknown flag --%s", fs.Name(), name)
		if best := suggest(name, names); best != "" {
			s += fmt.Sprintf(" (did you mean --%s?)", best)
		} else if cmds := others(name); len(cmds) > 0 {
			s += fmt.Sprintf(" (a flag of %s, not of %s)", strings.Join(cmds, ", "), fs.Name())
		}
		return errors.New(s + "; " + seeHelp(fs.Name()))
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return fmt.Errorf("%s: --%s needs a value; %s", fs.Name(), name, seeHelp(fs.Name()))
	}
	// invalid value "x" for flag -rate: parse error
	msg = strings.Replace(msg, " for flag -", " for flag --", 1)
	return fmt.Errorf("%s: %s; %s", fs.Name(), msg, seeHelp(fs.Name()))
}

// suggest returns the candidate closest to s: within an edit distance of
// a third of its length (at least 1, at most 3), or one s is a prefix of;
// "" when none is.
func suggest(s string, candidates []string) string {
	best, bestD := "", 0
	limit := min(max(1, len(s)/3), 3)
	lenDiff := func(c string) int { return max(len(c)-len(s), len(s)-len(c)) }
	for _, c := range candidates {
		d := editDistance(s, c)
		if strings.HasPrefix(c, s) && len(s) >= 2 {
			d = min(d, 1)
		}
		// Ties go to the candidate of the same length: "tpo" is "top"
		// with two letters swapped more likely than "to" with one added.
		if d <= limit && (best == "" || d < bestD || d == bestD && lenDiff(c) < lenDiff(best)) {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance (Levenshtein with
// adjacent transpositions: "form" is one edit from "from").
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30 // a fuzzed argument: no suggestion, no quadratic work
	}
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// unknownCommand is the usage error of a command that does not exist.
func unknownCommand(name string) error {
	s := fmt.Sprintf("unknown command %q", name)
	if best := suggest(name, commandNames()); best != "" {
		s += fmt.Sprintf(" (did you mean %s?)", best)
	}
	return usageErrorf("%s; \"invoicelake help\" lists the commands (%s)", s, strings.Join(commandNames(), ", "))
}

// flagDefault returns the configuration key a flag overrides and its
// default there: the flags of pipeline commands are zero unless given, so
// that the file and the environment count.
func flagDefault(name string) (key, def string) {
	d := configs.Default()
	switch name {
	case "out":
		return "lake.location", ""
	case "endpoint":
		return "SL_ENDPOINT_URL, source.endpoint", d.Source.Endpoint
	case "username":
		return "SL_USERNAME, source.username", ""
	case "log-level":
		return "log.level", d.Log.Level
	case "log-format":
		return "log.format", d.Log.Format
	case "pii":
		return "transform.pii", d.Transform.PII
	case "reconcile":
		return "transform.reconcile", d.Transform.Reconcile
	case "strict-categories":
		return "transform.strict_categories", "false"
	case "concurrency":
		return "source.concurrency", fmt.Sprint(d.Source.Concurrency)
	case "rate":
		return "source.rate_per_second", fmt.Sprint(d.Source.RatePerSecond)
	case "create-lake":
		return "lake.create", "false"
	case "max-periods":
		return "lake.max_periods", fmt.Sprint(d.Lake.MaxPeriods)
	case "schedule":
		return "schedule.cron", d.Schedule.Cron
	case "listen":
		return "schedule.listen", d.Schedule.Listen
	case "run-at-start":
		return "schedule.run_at_start", fmt.Sprint(d.Schedule.RunAtStart)
	case "account", "account-index":
		return "", "every account"
	}
	return "", ""
}

// commonFlagNames are the flags every pipeline command shares.
func commonFlagNames() map[string]bool {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	var c commonFlags
	c.register(fs)
	out := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { out[f.Name] = true })
	return out
}

// commandHelp prints the help of the command named name (fs.Name()).
func (m *Main) commandHelp(w io.Writer, name string, fs *flag.FlagSet) {
	c, _, ok := findCommand(strings.Fields(name))
	if !ok {
		c = command{name: name}
	}
	fmt.Fprintf(w, "Usage: invoicelake %s %s\n", c.name, c.args)
	if c.summary != "" {
		fmt.Fprintf(w, "\n%s.\n", strings.ToUpper(c.summary[:1])+c.summary[1:])
	}
	if c.about != "" {
		fmt.Fprintf(w, "\n%s\n", c.about)
	}
	if len(c.examples) > 0 {
		fmt.Fprintf(w, "\nExamples:\n")
		for _, e := range c.examples {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
	if fs == nil {
		fs = m.flagsOf(c)
	}
	common := commonFlagNames()
	var own, shared []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		if common[f.Name] && name != "report" && !strings.HasPrefix(name, "ddl") {
			shared = append(shared, f)
		} else {
			own = append(own, f)
		}
	})
	if len(own) > 0 {
		fmt.Fprintf(w, "\nFlags:\n")
		printFlags(w, own)
	}
	if len(shared) > 0 {
		fmt.Fprintf(w, "\nFlags of every pipeline command (each overrides the configuration key named, which\noverrides its default; the environment comes between):\n")
		printFlags(w, shared)
	}
}

// printFlags prints flags as "  --name VALUE   usage (default X; key)",
// the usage wrapped below the name when it does not fit.
func printFlags(w io.Writer, fl []*flag.Flag) {
	const col, width = 28, 100
	for _, f := range fl {
		arg, text := flag.UnquoteUsage(f)
		switch arg {
		case "string":
			arg = "STRING"
		case "int":
			arg = "N"
		case "float":
			arg = "NUMBER"
		}
		head := "  --" + f.Name
		if arg != "" {
			head += " " + arg
		}
		key, def := flagDefault(f.Name)
		if def == "" && f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" {
			def = f.DefValue
		}
		var extra []string
		if def != "" {
			extra = append(extra, "default "+def)
		}
		if key != "" {
			extra = append(extra, key)
		}
		if len(extra) > 0 {
			text += " (" + strings.Join(extra, "; ") + ")"
		}
		lines := wrap(text, width-col)
		if len(head) >= col-1 {
			fmt.Fprintln(w, head)
			head = ""
		}
		for i, l := range lines {
			if i > 0 {
				head = ""
			}
			fmt.Fprintf(w, "%-*s%s\n", col, head, l)
		}
	}
}

// wrap splits s into lines of at most n bytes, at spaces.
func wrap(s string, n int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len(line)+1+len(word) > n {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return append(lines, line)
}

// helpCmd is `invoicelake help [COMMAND]`.
func (m *Main) helpCmd(_ context.Context, args []string) error {
	if m.introspect != nil {
		return m.parseFlags(flag.NewFlagSet("help", flag.ContinueOnError), nil)
	}
	if len(args) == 0 {
		usage(m.Stdout)
		return nil
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		m.commandHelp(m.Stdout, "help", nil)
		return flag.ErrHelp
	}
	if args[0] == "ddl" && len(args) == 1 {
		m.ddlHelp(m.Stdout)
		return nil
	}
	c, n, ok := findCommand(args)
	if !ok || c.hidden {
		return unknownCommand(strings.Join(args, " "))
	}
	if len(args) > n {
		return usageErrorf("help: unexpected argument %q", args[n])
	}
	m.commandHelp(m.Stdout, c.name, nil)
	return nil
}

// ddlHelp lists ddl's two subcommands.
func (m *Main) ddlHelp(w io.Writer) {
	fmt.Fprintf(w, "Usage: invoicelake ddl athena|duckdb --location LOCATION\n\n")
	for _, c := range commands() {
		if strings.HasPrefix(c.name, "ddl ") {
			fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
		}
	}
	fmt.Fprintf(w, "\n\"invoicelake help ddl athena\" and \"invoicelake help ddl duckdb\" show their flags.\n")
}
