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
//
// Exit codes: 0 success, 1 transient failure (worth a retry), 2 usage,
// configuration, credentials or another permanent failure, 130 cancelled.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // the binary is static; billing periods need America/Chicago
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
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
}

func (m *Main) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

const usage = `invoicelake exports IBM Cloud Classic (SoftLayer) invoices to a Parquet lake.

Usage:
  invoicelake export --from YYYY-MM --to YYYY-MM --out LOCATION [flags]
  invoicelake run    --config FILE [flags]      incremental one-shot (CronJob)
  invoicelake serve  --config FILE [flags]      daemon: run on a cron schedule
  invoicelake verify --out LOCATION [--from YYYY-MM --to YYYY-MM] [flags]
  invoicelake report --out LOCATION [--from YYYY-MM] [--to YYYY-MM] [--top N] [--html FILE]
  invoicelake ddl athena --location s3://bucket/prefix [--database NAME]
  invoicelake ddl duckdb --location DIR
  invoicelake version

LOCATION is a folder, file:///path or s3://bucket/prefix.
Credentials come from the environment: SL_USERNAME and SL_API_KEY (or the
file named by source.api_key_file / source.bearer_token_file in the config);
SL_ENDPOINT_URL overrides the API endpoint.
Run "invoicelake COMMAND -h" for a command's flags.

Exit codes: 0 ok, 1 transient failure (retry), 2 usage/config/permanent, 130 cancelled.
`

// Run executes one command line and returns the process exit code. It
// prints the error, if any, exactly once.
func (m *Main) Run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(m.Stderr, usage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "export":
		err = m.export(ctx, args[1:])
	case "run":
		err = m.run(ctx, args[1:])
	case "serve":
		err = m.serve(ctx, args[1:])
	case "verify":
		err = m.verify(ctx, args[1:])
	case "report":
		err = m.report(ctx, args[1:])
	case "ddl":
		err = m.ddl(ctx, args[1:])
	case "version", "--version":
		fmt.Fprintf(m.Stdout, "invoicelake %s (schema %s)\n", version, schemaVersion())
		return exitOK
	case "help", "-h", "--help":
		fmt.Fprint(m.Stdout, usage)
		return exitOK
	default:
		err = usageErrorf("unknown command %q (want export, run, serve, verify, report, ddl or version)", args[0])
	}
	return m.exit(err)
}
