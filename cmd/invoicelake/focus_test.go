//go:build cgo

package main

import (
	"database/sql"
	"testing"

	"github.com/invoicelake/invoicelake/extract/slsim"
	"github.com/invoicelake/invoicelake/schemas"
)

// TestFocusOverDemoLake exports a demo-like account (the simulator, seed
// 42, 24 months, as `make demo` runs it) into a lake, creates invoicelake's
// DuckDB views over it and runs the FOCUS 1.2 conformance suite
// (schemas.FocusChecks) on focus_1_2: every applicable check finds nothing,
// BilledCost adds up to every invoice's total, credits and refunds
// included, and each period's BilledCost to the simulator's ground truth.
func TestFocusOverDemoLake(t *testing.T) {
	srv := startSim(t, slsim.Options{Seed: 42, Months: 24, HeavyInvoiceItems: 20000})
	e := simEnv(srv)
	dir := t.TempDir()
	from, to := "2024-07", "2026-06"
	if code, stdout, stderr := e.run(t, t.Context(), nil, "export", "--from", from, "--to", to, "--out", dir, "--log-level", "error"); code != 0 {
		t.Fatalf("export exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	code, ddl, stderr := e.run(t, t.Context(), nil, "ddl", "duckdb", "--location", dir)
	if code != 0 {
		t.Fatalf("ddl duckdb exit %d: %s", code, stderr)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	// The session's zone must not matter: the API's own.
	if _, err := db.Exec("SET TimeZone = 'America/Chicago'"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ddl); err != nil {
		t.Fatalf("DuckDB DDL: %v", err)
	}
	// Compute the view once; the checks read the copy.
	if _, err := db.Exec("CREATE TABLE focus AS SELECT * FROM " + schemas.FocusView); err != nil {
		t.Fatal(err)
	}

	present := map[string]bool{}
	rows, err := db.Query("SELECT column_name FROM (DESCRIBE focus)")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		present[n] = true
	}
	rows.Close()
	applied := 0
	for _, c := range schemas.FocusChecks() {
		if !c.Applies(present) {
			continue
		}
		applied++
		var n int64
		var ex sql.NullString
		if err := db.QueryRow(c.SQL("focus", schemas.InvoicesTable, schemas.ItemsTable, present)).Scan(&n, &ex); err != nil {
			t.Fatalf("check %s: %v", c.Name, err)
		}
		if n != 0 {
			t.Errorf("%s: %d violations, e.g. %s\nrule: %s", c.Name, n, ex.String, c.Rule)
		}
	}
	t.Logf("%d of %d conformance checks applied", applied, len(schemas.FocusChecks()))

	// The suite only means something if the lake has every kind of charge.
	var items, focusRows, invoices, credits, refunds, corrections, usage, tax, adjustments int64
	err = db.QueryRow(`SELECT
		(SELECT count(*) FROM invoice_items),
		(SELECT count(*) FROM focus),
		(SELECT count(*) FROM invoices),
		(SELECT count(DISTINCT InvoiceId) FROM focus WHERE x_InvoiceTypeCode = 'CREDIT'),
		(SELECT count(DISTINCT InvoiceId) FROM focus WHERE x_InvoiceTypeCode = 'REFUND'),
		(SELECT count(*) FROM focus WHERE ChargeClass = 'Correction'),
		(SELECT count(*) FROM focus WHERE ChargeCategory = 'Usage'),
		(SELECT count(*) FROM focus WHERE ChargeCategory = 'Tax'),
		(SELECT count(*) FROM focus WHERE ChargeCategory = 'Adjustment')`).Scan(&items, &focusRows, &invoices, &credits, &refunds, &corrections, &usage, &tax, &adjustments)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d items, %d FOCUS rows, %d invoices (%d CREDIT, %d REFUND); rows: %d Correction, %d Usage, %d Tax, %d Adjustment",
		items, focusRows, invoices, credits, refunds, corrections, usage, tax, adjustments)
	for what, n := range map[string]int64{"CREDIT invoices": credits, "REFUND invoices": refunds, "Correction rows": corrections,
		"Usage rows": usage, "Tax rows": tax, "Adjustment rows": adjustments} {
		if n == 0 {
			t.Errorf("the demo lake has no %s: the suite does not cover them", what)
		}
	}

	// Per period, BilledCost adds up to the API's invoice totals as the
	// simulator knows them, independently of the lake's invoices table.
	got := map[string]string{}
	rows, err = db.Query("SELECT x_BillingPeriod, CAST(sum(BilledCost) AS VARCHAR) FROM focus GROUP BY 1")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var p, s string
		if err := rows.Scan(&p, &s); err != nil {
			t.Fatal(err)
		}
		got[p] = s
	}
	rows.Close()
	for _, w := range windowOf(srv.Sim().Truth(), from, to) {
		g, ok := got[w.Period]
		if !ok && w.Items > 0 {
			t.Errorf("period %s: no row in focus_1_2", w.Period)
			continue
		}
		if !ok {
			g = "0"
		}
		if rat(t, g).Cmp(rat(t, w.InvoiceTotalAmount)) != 0 {
			t.Errorf("period %s: Σ BilledCost = %s, want Σ invoiceTotalAmount %s", w.Period, g, w.InvoiceTotalAmount)
		}
	}
	if len(got) < 20 {
		t.Errorf("focus_1_2 covers %d periods, want the 24 exported", len(got))
	}
}
