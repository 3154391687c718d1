//go:build cgo

package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/invoicelake/invoicelake/extract/slsim"
	"github.com/invoicelake/invoicelake/load"
	"github.com/invoicelake/invoicelake/schemas"
)

// republish replaces period p of the lake at dir with its own rows passed
// through change: a lake whose files and manifests are all consistent but
// whose rows are wrong, as a bug in the exporter would leave it.
func republish(t *testing.T, dir string, p schemas.Period, change func(*schemas.ItemRow)) {
	t.Helper()
	b, err := load.NewFileBucket(dir)
	if err != nil {
		t.Fatal(err)
	}
	l := onlyAccount(t, b)
	var invoices []schemas.InvoiceRow
	for r, err := range l.InvoiceRows(t.Context(), p) {
		if err != nil {
			t.Fatal(err)
		}
		invoices = append(invoices, r)
	}
	var items []schemas.ItemRow
	for r, err := range l.ItemRows(t.Context(), p) {
		if err != nil {
			t.Fatal(err)
		}
		change(&r)
		items = append(items, r)
	}
	payments := map[int64][]schemas.PaymentRow{}
	for r, err := range l.PaymentRows(t.Context(), p) {
		if err != nil {
			t.Fatal(err)
		}
		payments[r.InvoiceID] = append(payments[r.InvoiceID], r)
	}
	lock, err := l.Lock(t.Context(), "test", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release(t.Context())
	w, err := l.Begin(p, load.RunInfo{RunID: "corrupt"})
	if err != nil {
		t.Fatal(err)
	}
	k := 0
	for _, inv := range invoices {
		n := int(inv.ItemRows)
		rows := items[k : k+n]
		k += n
		err := w.AddRows(inv, func(yield func(*schemas.ItemRow, error) bool) {
			for i := range rows {
				if !yield(&rows[i], nil) {
					return
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.AddPayments(payments[inv.InvoiceID]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Publish(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// verify checks rows, not only counts and sums: a child attributed to
// resource 0 (the bug of issue 11) is found by the row rules, a wrong fee
// by --deep; both exit 3 and name the item.
func TestVerifyFindsCorruptedRows(t *testing.T) {
	srv := startSim(t, slsim.Options{Seed: 5, Months: 3})
	e := simEnv(srv)
	dir := t.TempDir()
	per := schemas.PeriodOf(srv.Sim().Now().In(central)).AddMonths(-1)
	code, stdout, stderr := e.run(t, t.Context(), nil, "export", "--from", per.String(), "--to", per.String(), "--out", dir)
	if code != 0 {
		t.Fatalf("export exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = e.run(t, t.Context(), nil, "verify", "--out", dir, "--deep")
	if code != 0 || !strings.Contains(stdout, "every column of every row") {
		t.Fatalf("verify --deep on a good lake: exit %d\n%s\n%s", code, stdout, stderr)
	}

	var child, other int64
	republish(t, dir, per, func(r *schemas.ItemRow) {
		if child == 0 && r.ParentItemID != nil && r.ResourceID != nil {
			child = r.ItemID
			zero := int64(0)
			r.ResourceID = &zero
		}
	})
	if child == 0 {
		t.Fatal("no child row with a resource id in the period")
	}
	code, stdout, stderr = e.run(t, t.Context(), nil, "verify", "--out", dir)
	if code != exitMismatch || !strings.Contains(stdout, "item "+itoa(child)+": resource_id 0, want") {
		t.Errorf("verify after a child lost its resource: exit %d (want %d)\n%s\n%s", code, exitMismatch, stdout, stderr)
	}

	// A rerun repairs it; then change a fee: only --deep compares columns
	// with the API.
	if code, _, stderr := e.run(t, t.Context(), nil, "export", "--from", per.String(), "--to", per.String(), "--out", dir); code != 0 {
		t.Fatalf("re-export exit %d: %s", code, stderr)
	}
	republish(t, dir, per, func(r *schemas.ItemRow) {
		if other == 0 && r.RecurringFee != nil {
			other = r.ItemID
			d := *r.RecurringFee + schemas.DecimalFromUnits(1) // one 1e-8 unit
			r.RecurringFee = &d
		}
	})
	if code, stdout, _ := e.run(t, t.Context(), nil, "verify", "--out", dir); code != 0 {
		t.Errorf("verify without --deep on a row whose rules hold: exit %d, want 0\n%s", code, stdout)
	}
	code, stdout, stderr = e.run(t, t.Context(), nil, "verify", "--out", dir, "--deep")
	if code != exitMismatch || !strings.Contains(stdout, "item "+itoa(other)+": recurring_fee: lake") {
		t.Errorf("verify --deep after a fee changed by 1e-8: exit %d (want %d)\n%s\n%s", code, exitMismatch, stdout, stderr)
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
