package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/invoicelake/invoicelake/extract"
	"github.com/invoicelake/invoicelake/load"
	"github.com/invoicelake/invoicelake/schemas"
	"github.com/invoicelake/invoicelake/transform"
)

// Summary is what a run did. It is logged as one line, written to the lake
// under _runs/, and exported as metrics by serve.
type Summary struct {
	RunID        string           `json:"run_id"`
	AccountID    int64            `json:"account_id,omitempty"`
	Account      string           `json:"account,omitempty"` // its name in the configuration
	Command      string           `json:"command"`
	Started      time.Time        `json:"started"`
	Finished     time.Time        `json:"finished"`
	Duration     string           `json:"duration"`
	OK           bool             `json:"ok"`
	Error        string           `json:"error,omitempty"`
	Planned      []string         `json:"planned_periods"`
	Periods      []PeriodSummary  `json:"periods"`
	Invoices     int64            `json:"invoices"`
	Items        int64            `json:"items"`
	Unreconciled int64            `json:"unreconciled_invoices"`
	UnknownCodes map[string]int64 `json:"unknown_category_codes,omitempty"`
	UnmappedRows int64            `json:"unmapped_rows"` // item rows with resource_service NULL
	Bytes        int64            `json:"bytes_written"`
	APICalls     int64            `json:"api_calls"`
	Retries      int64            `json:"api_retries"`
	RetryCauses  map[string]int64 `json:"api_retries_by_cause,omitempty"`
	PageHalvings int64            `json:"page_size_reductions"` // pages retried at half size after "too much data" or a timeout
	APIBytes     int64            `json:"api_bytes"`
	LockWait     string           `json:"lock_wait"`                           // how long the run waited for the lake's lock
	InvalidUTF8  int64            `json:"api_invalid_utf8_replaced,omitempty"` // runs of non-UTF-8 bytes replaced with U+FFFD
	Watermark    time.Time        `json:"watermark,omitzero"`
	// Snapshot is the account snapshot the run published, if it did.
	Snapshot *SnapshotSummary `json:"snapshot,omitempty"`
	// Documents counts the invoice documents, when archived.
	Documents *DocumentsSummary `json:"documents,omitempty"`
	// FailedDatasets names the datasets that failed after the billing
	// periods were published (account snapshot, invoice documents): the
	// run then exits non-zero.
	FailedDatasets []string `json:"failed_datasets,omitempty"`
	// Tables is what the run published per table (rows, files, bytes).
	Tables map[string]*TableSummary `json:"tables,omitempty"`
}

// TableSummary is what a run published of one table.
type TableSummary struct {
	Rows  int64 `json:"rows"`
	Files int   `json:"files"`
	Bytes int64 `json:"bytes"`
}

// PeriodSummary is one published period.
type PeriodSummary struct {
	Period      string `json:"period"`
	Invoices    int64  `json:"invoices"`
	Items       int64  `json:"items"`
	TotalAmount string `json:"invoice_total_amount"`
	Files       int    `json:"files"`
	Bytes       int64  `json:"bytes"`
}

func newSummary(runID string, periods []schemas.Period) *Summary {
	s := &Summary{RunID: runID, Started: time.Now().UTC()}
	for _, p := range periods {
		s.Planned = append(s.Planned, p.String())
	}
	return s
}

// observe counts one transformed invoice and warns, once per run, about
// each top-level category code the category map lacks.
func (s *Summary) observe(inv schemas.Invoice, st *transform.Stream, log *slog.Logger) {
	if !st.Invoice.Reconciled {
		s.Unreconciled++
	}
	s.UnmappedRows += st.UnmappedRows
	for _, c := range st.UnknownCodes {
		if _, seen := s.UnknownCodes[c.Code]; !seen {
			log.Warn("unknown top-level category code: resource_service left NULL (map it in transform.categories_file)",
				"category_code", c.Code, "invoice_id", inv.ID)
		}
		if s.UnknownCodes == nil {
			s.UnknownCodes = map[string]int64{}
		}
		s.UnknownCodes[c.Code] += c.Items
	}
}

func (s *Summary) published(p schemas.Period, m load.Manifest) {
	ps := PeriodSummary{Period: p.String(), Invoices: m.Invoices.Rows, Items: m.Items.Rows,
		TotalAmount: m.Invoices.Sums["invoice_total_amount"], Files: len(m.Files())}
	if ps.TotalAmount == "" {
		ps.TotalAmount = "0"
	}
	for _, f := range m.Files() {
		ps.Bytes += f.Size
	}
	for name, tm := range map[string]load.TableManifest{schemas.InvoicesTable: m.Invoices, schemas.ItemsTable: m.Items, schemas.PaymentsTable: m.Payments} {
		if s.Tables == nil {
			s.Tables = map[string]*TableSummary{}
		}
		t := s.Tables[name]
		if t == nil {
			t = &TableSummary{}
			s.Tables[name] = t
		}
		t.Rows += tm.Rows
		t.Files += len(tm.Files)
		for _, f := range tm.Files {
			t.Bytes += f.Size
		}
	}
	s.Periods = append(s.Periods, ps)
	s.Invoices += ps.Invoices
	s.Items += ps.Items
	s.Bytes += ps.Bytes
}

// finish completes the summary with the stages' counters and the outcome.
func (s *Summary) finish(err error, ex extract.Stats) {
	s.Finished = time.Now().UTC()
	s.Duration = s.Finished.Sub(s.Started).Round(time.Millisecond).String()
	s.OK = err == nil
	if err != nil {
		s.Error = err.Error()
	}
	s.APICalls = ex.TotalCalls()
	s.Retries = ex.TotalRetries()
	s.RetryCauses = ex.Retries
	s.PageHalvings = ex.PageSizeReductions
	s.APIBytes = ex.Bytes
	s.InvalidUTF8 = ex.InvalidUTF8
}

// statsSince returns the client's counters between two snapshots: one
// run's, although the client (kept by serve across runs) counts from New.
func statsSince(before, after extract.Stats) extract.Stats {
	d := after
	d.Calls = mapSince(before.Calls, after.Calls)
	d.Retries = mapSince(before.Retries, after.Retries)
	d.RateLimitErrors -= before.RateLimitErrors
	d.Bytes -= before.Bytes
	d.Pages -= before.Pages
	d.PageSizeReductions -= before.PageSizeReductions
	d.Invoices -= before.Invoices
	d.Items -= before.Items
	d.InvalidUTF8 -= before.InvalidUTF8
	d.ItemCountMismatch -= before.ItemCountMismatch
	return d
}

// mapSince returns after - before per key, leaving out keys that did not
// grow; nil when none did.
func mapSince(before, after map[string]int64) map[string]int64 {
	var out map[string]int64
	for k, v := range after {
		if n := v - before[k]; n != 0 {
			if out == nil {
				out = map[string]int64{}
			}
			out[k] = n
		}
	}
	return out
}

// log writes the one summary line.
func (s *Summary) log(log *slog.Logger) {
	lvl := slog.LevelInfo
	if !s.OK {
		lvl = slog.LevelError
	}
	log.Log(context.Background(), lvl, "run summary", "run_id", s.RunID, "command", s.Command, "ok", s.OK,
		"periods", len(s.Periods), "invoices", s.Invoices, "items", s.Items,
		"unreconciled", s.Unreconciled, "unknown_codes", len(s.UnknownCodes),
		"bytes", s.Bytes, "api_calls", s.APICalls, "api_retries", s.Retries, "page_size_reductions", s.PageHalvings,
		"lock_wait", parseDuration(s.LockWait), "invalid_utf8_replaced", s.InvalidUTF8,
		"duration", s.Finished.Sub(s.Started), "watermark", s.Watermark) // durations: *_seconds (see secondsAttr)
}

// parseDuration reads back a duration the summary keeps as text.
func parseDuration(s string) time.Duration {
	d, _ := time.ParseDuration(s)
	return d
}

// table prints the per-period summary for people.
func (s *Summary) table(w io.Writer) {
	fmt.Fprintf(w, "%-8s %9s %10s %18s %6s %10s\n", "period", "invoices", "items", "total amount", "files", "bytes")
	for _, p := range s.Periods {
		fmt.Fprintf(w, "%-8s %9d %10d %18s %6d %10d\n", p.Period, p.Invoices, p.Items, p.TotalAmount, p.Files, p.Bytes)
	}
	fmt.Fprintf(w, "%-8s %9d %10d %18s %6s %10d\n", "all", s.Invoices, s.Items, "", "", s.Bytes)
	fmt.Fprintf(w, "%d periods published in %s; %d API calls, %d retried; %d invoices unreconciled\n",
		len(s.Periods), s.Finished.Sub(s.Started).Round(time.Millisecond), s.APICalls, s.Retries, s.Unreconciled)
}
