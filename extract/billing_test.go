package extract

import (
	"context"
	"errors"
	"iter"
	"strings"
	"testing"

	"github.com/invoicelake/invoicelake/extract/slsim"
	"github.com/invoicelake/invoicelake/schemas"
)

func TestBillingFieldListsCoverStructs(t *testing.T) {
	checkCovers(t, accountFields)
	checkCovers(t, billingItemFields)
	for _, want := range []string{"orderItem[order[id,createDate,userRecordId,userRecord[username,displayName]]]",
		",children[id,parentId,", "pendingInvoice[id,typeCode,statusCode,createDate,startingBalance,invoiceTotalAmount]"} {
		if !contains(BillingItemMask+AccountMask, want) {
			t.Errorf("masks lack %s:\n%s\n%s", want, BillingItemMask, AccountMask)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// TestSimBillingData reads the snapshot, the forecast and the billing
// items from the simulator and compares them with its ground truth.
func TestSimBillingData(t *testing.T) {
	srv := startSim(t, slsim.Options{HeavyInvoiceItems: -1})
	c := simClient(t, srv, func(c *Config) { c.InvoicePageSize = 7 }) // several pages
	ctx := context.Background()
	truth := srv.Sim().Truth()
	before := c.Stats().TotalCalls()
	a, err := c.Account(ctx)
	if err != nil {
		t.Fatal(err)
	}
	snap := truth.Snapshot
	if a.ID != truth.AccountID || a.Balance.String() != schemas.MustParseDecimal(snap.Balance).String() ||
		a.NextInvoiceTotalAmount.String() != schemas.MustParseDecimal(snap.NextInvoiceTotalAmount).String() ||
		a.NextInvoiceTotalRecurringTaxAmount.String() != schemas.MustParseDecimal(snap.NextInvoiceTotalRecurringTaxAmount).String() ||
		*a.NextInvoiceTopLevelBillingItemCount != snap.NextInvoiceTopLevelBillingItemCount {
		t.Errorf("account %+v, truth %+v", a, snap)
	}
	switch p := snap.PendingInvoice; {
	case p == nil && a.PendingInvoice.ID != 0,
		p != nil && (a.PendingInvoice.ID != p.ID || a.PendingInvoice.InvoiceTotalAmount.String() != schemas.MustParseDecimal(p.InvoiceTotalAmount).String()):
		t.Errorf("pending invoice %+v, truth %+v", a.PendingInvoice, p)
	}
	if a.LatestRecurringInvoice.ID != snap.LatestRecurringInvoice.ID {
		t.Errorf("latest recurring invoice %d, truth %d", a.LatestRecurringInvoice.ID, snap.LatestRecurringInvoice.ID)
	}
	if n := c.Stats().TotalCalls() - before; n != 1 {
		t.Errorf("the snapshot took %d calls, want 1", n)
	}

	active := map[int64]slsim.BillingItemTruth{}
	for _, b := range truth.BillingItems {
		if b.CancellationDate == nil {
			active[b.ID] = b
		}
	}
	for name, seq := range map[string]func(context.Context) iter.Seq2[schemas.BillingItem, error]{
		"billing items": c.BillingItems, "next invoice": c.NextInvoiceItems,
	} {
		seen := 0
		var forecast schemas.Sum
		for b, err := range seq(ctx) {
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			seen++
			w, ok := active[b.ID]
			if !ok {
				t.Errorf("%s: item %d is not an active top-level item of the truth", name, b.ID)
				continue
			}
			forecast.Add(*b.NextInvoiceTotalRecurringAmount)
			if b.NextInvoiceTotalRecurringAmount.String() != schemas.MustParseDecimal(w.NextInvoiceTotalRecurringAmount).String() ||
				*b.OrderID != w.OrderID || *b.OrderItemID != w.OrderItemID || *b.OrderUserID != w.OrderedBy.ID ||
				*b.OrderUsername != w.OrderedBy.Username || b.CategoryCode != w.CategoryCode || len(b.Children) != len(w.Children) {
				t.Errorf("%s: item %d: %+v, truth %+v", name, b.ID, b, w)
			}
			for i, ch := range b.Children {
				if ch.ID != w.Children[i] || ch.ParentID == nil || *ch.ParentID != b.ID {
					t.Errorf("%s: item %d child %d: %+v", name, b.ID, i, ch)
				}
			}
		}
		if seen != len(active) {
			t.Errorf("%s: %d items, truth has %d active", name, seen, len(active))
		}
		if !forecast.Equal(schemas.MustParseDecimal(snap.NextInvoiceTotalRecurringAmount)) {
			t.Errorf("%s: Σ nextInvoiceTotalRecurringAmount %s, account says %s", name, forecast.String(), snap.NextInvoiceTotalRecurringAmount)
		}
	}
}

func TestReadFloatDecimal(t *testing.T) {
	for in, want := range map[string]string{
		`12.5`: "12.5", `0`: "0", `"1.123456789"`: "", `23.450000000000003`: "23.45", `-0.000000005`: "0", `0.000000015`: "0.00000002",
		`1e2`: "100", `"7.25"`: "7.25",
	} {
		l := lexer{data: []byte(in + ",")}
		var fe fieldErr
		d, err := l.readFloatDecimal(&fe, "x")
		got := ""
		if d != nil {
			got = d.String()
		}
		if err != nil || got != want || (want == "" && fe.err == nil) {
			t.Errorf("%s: got %q (%v, %v), want %q", in, got, err, fe.err, want)
		}
	}
}

// FuzzDecodeBillingItems: whatever the API sends for a billing item
// listing, decoding never panics, a result has an id on every item and
// child, and an error is a *SyntaxError or a *DecodeError.
func FuzzDecodeBillingItems(f *testing.F) {
	for _, s := range []string{
		`[{"id":1,"categoryCode":"server","nextInvoiceTotalRecurringAmount":12.5,"hoursUsed":"3","associatedBillingItemId":"7",` +
			`"orderItem":{"order":{"id":9,"userRecord":{"username":"u"}}},"children":[{"id":2,"parentId":1}]}]`,
		`{"id":1}`, `null`, `[]`, `[{"id":1,"children":"x"}]`, `[{"id":1,"nextInvoiceTotalRecurringAmount":1e400}]`,
		`[{"id":1,"orderItem":[{"order":[]}]}]`, `[{"id":0}]`, `[{"id":1,"children":[{"id":0}]}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := decodeBillingItems(body, nil)
		if err != nil {
			var se *SyntaxError
			var de *DecodeError
			if !errors.As(err, &se) && !errors.As(err, &de) {
				t.Fatalf("error %T %v: want a SyntaxError or a DecodeError", err, err)
			}
			return
		}
		for _, b := range got {
			if b.ID == 0 {
				t.Fatalf("an item without an id: %+v", b)
			}
			for _, c := range b.Children {
				if c.ID == 0 {
					t.Fatalf("a child without an id: %+v", c)
				}
			}
		}
	})
}
