package load

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/invoicelake/invoicelake/schemas"
)

// TestPaymentsPublishedWithTheirPeriod: invoice_payments rows go into the
// invoice's period, are listed in its manifest with their sums, read back
// exactly, replaced with the period and owned like every data file.
func TestPaymentsPublishedWithTheirPeriod(t *testing.T) {
	ctx := context.Background()
	l, b := newFileLake(t, Options{})
	lock(t, l)
	set := genInvoices(march, 1000, 3, 4, 1)
	at := time.Date(2024, 3, 14, 15, 0, 0, 0, time.UTC)
	amt := func(s string) *schemas.Decimal { d := schemas.MustParseDecimal(s); return &d }
	pays := map[int64][]schemas.PaymentRow{
		1000: {{InvoiceID: 1000, PaymentIndex: 0, AccountID: 42, Amount: amt("10.5"), TypeCode: "WIRE", CreateDate: &at},
			{InvoiceID: 1000, PaymentIndex: 1, AccountID: 42, Amount: amt("0.00000001"), TypeCode: "ACH", CreateDate: &at}},
		1002: {{InvoiceID: 1002, PaymentIndex: 0, AccountID: 42, Amount: amt("99"), TypeCode: "CREDIT_CARD"}},
	}
	w, err := l.Begin(march, RunInfo{RunID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	for i, inv := range set.invoices {
		if err := w.AddRows(inv, seqOf(set.items[i])); err != nil {
			t.Fatal(err)
		}
		if err := w.AddPayments(pays[inv.InvoiceID]); err != nil {
			t.Fatal(err)
		}
	}
	m, err := w.Publish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m.Payments.Rows != 3 || m.Payments.Sums["amount"] != "109.50000001" || len(m.Payments.Files) != 1 ||
		!strings.HasPrefix(m.Payments.Files[0].Key, "invoice_payments/"+acctDir+"billing_period=2024-03/part-00000-") {
		t.Fatalf("manifest payments %+v", m.Payments)
	}
	var got []schemas.PaymentRow
	for r, err := range l.PaymentRows(ctx, march) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	want := slices.Concat(pays[1000], pays[1002])
	if diff := gocmp.Diff(want, got, gocmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("payments read back (-want +got):\n%s", diff)
	}
	s, err := l.Summarize(ctx, march)
	if err != nil {
		t.Fatal(err)
	}
	if s.Payments != 3 || s.PaymentsTotal.String() != "109.50000001" {
		t.Errorf("summary: %d payments, total %s", s.Payments, s.PaymentsTotal.String())
	}
	// A rerun without payments removes them, leaving a file without rows
	// (readers such as DuckDB need one to know the table); the lake never
	// leaves a file no manifest lists.
	m2 := publish(t, l, march, "r2", set)
	files := keys(t, b, schemas.PaymentsTable+"/")
	if m2.Payments.Rows != 0 || len(m2.Payments.Files) != 1 || len(files) != 1 || files[0] != m2.Payments.Files[0].Key {
		t.Errorf("after a rerun without payments: manifest %+v, files %v", m2.Payments, files)
	}
	// An empty period has no file at all.
	m3, err := tryPublishRun(ctx, l, march, RunInfo{RunID: "r3", AllowShrink: true}, &invoiceSet{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m3.Files()) != 0 || len(keys(t, b, schemas.PaymentsTable+"/")) != 0 {
		t.Errorf("an empty period: manifest files %v", m3.Files())
	}
}

func TestAddPaymentsRejects(t *testing.T) {
	l, _ := newFileLake(t, Options{})
	lock(t, l)
	set := genInvoices(march, 1000, 2, 2, 1)
	for _, tc := range []struct {
		name string
		rows []schemas.PaymentRow
		want string
	}{
		{"before its invoice", []schemas.PaymentRow{{InvoiceID: 1001, TypeCode: "WIRE"}}, "add the invoice first"},
		{"out of order", []schemas.PaymentRow{{InvoiceID: 1000, PaymentIndex: 1, TypeCode: "WIRE"}, {InvoiceID: 1000, PaymentIndex: 0, TypeCode: "WIRE"}}, "increasing"},
		{"invalid UTF-8", []schemas.PaymentRow{{InvoiceID: 1000, TypeCode: "\xff"}}, "not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := l.Begin(march, RunInfo{RunID: "r"})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			if err := w.AddRows(set.invoices[0], seqOf(set.items[0])); err != nil {
				t.Fatal(err)
			}
			err = w.AddPayments(tc.rows)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			if _, err2 := w.Publish(context.Background()); !errors.Is(err2, err) && err2.Error() != err.Error() {
				t.Errorf("Publish after a failed AddPayments: got %v, want the sticky %v", err2, err)
			}
		})
	}
}
