// Command invoicelake exports IBM Cloud Classic (SoftLayer) invoices and
// invoice items into a Hive-partitioned Parquet lake on a local folder or S3.
//
//	invoicelake export --from 2024-01 --to 2024-12 --out s3://bucket/billing
//	invoicelake run --config invoicelake.yaml      # the scheduled one-shot (CronJob)
//	invoicelake serve --config invoicelake.yaml    # a daemon running `run` on a cron schedule
//	invoicelake verify --out ./lake                 # read the lake back, reconcile with the API
//	invoicelake report --out ./lake --html r.html   # cost by month, service, resource; credits; reconciliation
//	invoicelake ddl athena --location s3://bucket/billing
//	invoicelake ddl duckdb --location ./lake
//	invoicelake version
//	invoicelake help COMMAND                        # its flags, defaults and examples (cli.go)
//	invoicelake completion bash|zsh|fish            # shell completion (completion.go)
//
// Exit codes: 0 success, 1 transient failure (worth a retry), 2 usage,
// configuration, credentials or another permanent failure, 3 verify found
// a difference, 130 cancelled.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"
	_ "time/tzdata" // the binary is static; billing periods need America/Chicago
)

// version, commit and buildDate are set at build time with -ldflags
// "-X main.version=... -X main.commit=... -X main.buildDate=..." (the
// Makefile and the Dockerfile do).
var (
	version   = "dev"
	commit    = "unknown"
	buildDate = "unknown"
)

// defaultMemoryLimit is the Go runtime's soft memory limit when the
// environment sets none (GOMEMLIMIT): the heap goal stays under it, so
// that the GC's headroom never takes peak RSS past about 100 MiB (see
// docs/BENCHMARKS.md, "Memory"). It is soft: a run that needs more live
// heap gets it, at the price of more frequent collections. GOMEMLIMIT
// (e.g. "off", or a container's limit) overrides it.
const defaultMemoryLimit = 64 << 20

// setMemoryLimit applies defaultMemoryLimit unless GOMEMLIMIT is set.
func setMemoryLimit() {
	if _, ok := os.LookupEnv("GOMEMLIMIT"); !ok {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
}

func main() {
	setMemoryLimit()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	m := &Main{Stdout: os.Stdout, Stderr: os.Stderr, LookupEnv: os.LookupEnv, Stdin: os.Stdin}
	code := m.Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// Main is the program, with its environment made explicit so that
// end-to-end tests run it in-process exactly as the binary does.
type Main struct {
	Stdout, Stderr io.Writer
	Stdin          io.Reader
	LookupEnv      func(string) (string, bool)
	// Now is the wall clock; `run` plans its billing periods from it. Tests
	// set it to the simulator's clock. nil means time.Now.
	Now func() time.Time
	// MinScheduleInterval is the shortest gap between two runs `serve`
	// accepts in a schedule; 0 means a minute. Tests lower it.
	MinScheduleInterval time.Duration

	// introspect, when set, receives the flag.FlagSet of the command and
	// ends it before it parses (help and completion read the flags).
	introspect func(*flag.FlagSet)

	// tty is stderr when it is a terminal and the log is text: log lines
	// go above the progress bar. Set by logger.
	tty *term
}

func (m *Main) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Run executes one command line and returns the process exit code. It
// prints the error, if any, exactly once.
func (m *Main) Run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		usage(m.Stderr)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "-h", "--help", "-help":
		usage(m.Stdout)
		return exitOK
	case "--version", "-version":
		args = []string{"version"}
	}
	c, n, ok := findCommand(args)
	switch {
	case ok:
		err = c.run(m, ctx, args[n:])
	case args[0] == "ddl":
		err = m.ddl(ctx, args[1:]) // help, or which subcommands exist
	default:
		err = unknownCommand(args[0])
	}
	return m.exit(err)
}

// versionCmd prints the version.
func (m *Main) versionCmd(_ context.Context, args []string) error {
	if err := m.parseFlags(flag.NewFlagSet("version", flag.ContinueOnError), args); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "invoicelake %s\ncommit:  %s\nbuilt:   %s\ngo:      %s %s/%s\nschema:  %s\n",
		version, commit, buildDate, runtime.Version(), runtime.GOOS, runtime.GOARCH, schemaVersion())
	return nil
}
