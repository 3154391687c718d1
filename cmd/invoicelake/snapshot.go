package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/invoicelake/invoicelake/load"
	"github.com/invoicelake/invoicelake/schemas"
	"github.com/invoicelake/invoicelake/transform"
)

// SnapshotSummary is what a run's account snapshot holds.
type SnapshotSummary struct {
	SnapshotID       string    `json:"snapshot_id"`
	SnapshotTime     time.Time `json:"snapshot_time"`
	AccountID        int64     `json:"account_id"`
	Balance          string    `json:"balance,omitempty"`
	NextInvoiceTotal string    `json:"next_invoice_total_amount,omitempty"`
	NextInvoiceItems int64     `json:"next_invoice_items"` // rows (top-level items and children)
	BillingItems     int64     `json:"billing_items"`      // rows (top-level items and children)
	APICalls         int64     `json:"api_calls"`
}

// snapshotAccount takes the account's snapshot and publishes it: the
// balance and the next invoice's totals (one call), the next invoice's
// billing items and the live billing items (each a paged listing). It runs
// after the billing periods are published, so that its failure never
// holds them back; the run then fails, saying so.
func (p *pipeline) snapshotAccount(ctx context.Context, run load.RunInfo, sum *Summary) error {
	calls := p.client.Stats().TotalCalls()
	at := time.Now().UTC()
	a, fresh := schemas.Account{}, p.fresh
	p.fresh = nil
	if fresh != nil {
		a, at = *fresh, p.freshAt // the account as read when the run opened the lake
	} else {
		var err error
		if a, err = p.client.Account(ctx); err != nil {
			return err
		}
	}
	snap := transform.Snapshot{ID: run.RunID, Time: at, AccountID: a.ID}
	w, err := p.lake.BeginSnapshot(load.SnapshotInfo{ID: snap.ID, Time: snap.Time, AccountID: snap.AccountID})
	if err != nil {
		return err
	}
	defer w.Abort()
	unknown := map[string]bool{}
	var nextRows, billingRows int64
	add := func(name string, seq func(context.Context) func(func(schemas.BillingItem, error) bool), put func([]schemas.BillingItemRow) error, n *int64) error {
		for b, err := range seq(ctx) {
			if err != nil {
				return err
			}
			r, err := p.tr.BillingItemRows(snap, &b)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if r.UnknownCode != "" && !unknown[r.UnknownCode] {
				unknown[r.UnknownCode] = true
				p.log.Warn("unknown top-level category code in the billing items: resource_service left NULL (map it in transform.categories_file)",
					"category_code", r.UnknownCode, "billing_item_id", b.ID)
			}
			if err := put(r.Rows); err != nil {
				return err
			}
			*n += int64(len(r.Rows))
		}
		return nil
	}
	if err := add("next invoice items", p.nextInvoiceItems, w.AddNextInvoiceItems, &nextRows); err != nil {
		return err
	}
	if err := add("billing items", p.billingItems, w.AddBillingItems, &billingRows); err != nil {
		return err
	}
	row := transform.AccountSnapshotRow(snap, &a, nextRows, billingRows)
	if _, err := w.Publish(ctx, row); err != nil {
		return err
	}
	s := &SnapshotSummary{SnapshotID: snap.ID, SnapshotTime: row.SnapshotTime, AccountID: a.ID,
		NextInvoiceItems: nextRows, BillingItems: billingRows, APICalls: p.client.Stats().TotalCalls() - calls}
	if a.Balance != nil {
		s.Balance = a.Balance.String()
	}
	if a.NextInvoiceTotalAmount != nil {
		s.NextInvoiceTotal = a.NextInvoiceTotalAmount.String()
	}
	sum.Snapshot = s
	return nil
}

func (p *pipeline) nextInvoiceItems(ctx context.Context) func(func(schemas.BillingItem, error) bool) {
	return p.client.NextInvoiceItems(ctx)
}

func (p *pipeline) billingItems(ctx context.Context) func(func(schemas.BillingItem, error) bool) {
	return p.client.BillingItems(ctx)
}

// datasets publishes what a run adds beside the billing periods, once they
// are published: the account snapshot (and, when enabled, the invoice
// documents). A failure of one does not stop the others; each is logged,
// named in the summary, and the run's error says which failed (invoices
// are published either way).
func (p *pipeline) datasets(ctx context.Context, run load.RunInfo, sum *Summary) error {
	var errs []error
	for _, d := range []struct {
		name string
		run  func(context.Context, load.RunInfo, *Summary) error
	}{
		{"account snapshot", p.snapshotAccount},
		{"invoice documents", p.docs.result},
	} {
		if err := d.run(ctx, run, sum); err != nil {
			sum.FailedDatasets = append(sum.FailedDatasets, d.name)
			p.log.Error("a dataset failed; the billing periods are published", "dataset", d.name, "err", err)
			errs = append(errs, fmt.Errorf("%s: %w", d.name, err))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return &datasetsError{names: sum.FailedDatasets, err: errors.Join(errs...)}
}

// datasetsError reports the datasets that failed after the billing
// periods were published. Its exit code is that of the first failure.
type datasetsError struct {
	names []string
	err   error
}

func (e *datasetsError) Error() string {
	return fmt.Sprintf("the billing periods are published, but %s failed: %v", strings.Join(e.names, " and "), e.err)
}

func (e *datasetsError) Unwrap() error { return e.err }

// readForecast returns the forecast of the latest account snapshot in the
// lake (nil when there is none): the next invoice's recurring and one-time
// amounts with their taxes, as the API's account totals give them, next
// to the latest RECURRING invoice the snapshot names; and the balance.
// readForecasts adds up the accounts' forecasts (readForecast): the lake's
// next invoices together, against their last months; nil when no account
// has one.
func readForecasts(ctx context.Context, lakes []*load.Lake) (*forecast, error) {
	var out *forecast
	for _, lake := range lakes {
		f, err := readForecast(ctx, lake)
		if err != nil || f == nil {
			if err != nil {
				return nil, err
			}
			continue
		}
		if out == nil {
			out = f
			continue
		}
		out.Amount.AddSum(&f.Amount)
		out.LastTotal.AddSum(&f.LastTotal)
		if out.LastMonth.Before(f.LastMonth) {
			out.Period, out.LastMonth = f.Period, f.LastMonth
		}
		if f.Taken.After(out.Taken) {
			out.Taken = f.Taken
		}
		switch {
		case out.Balance == nil || f.Balance == nil:
			out.Balance = nil // unknown for one account: unknown for all
		default:
			b, err := out.Balance.Add(*f.Balance)
			if err != nil {
				return nil, fmt.Errorf("report: the accounts' balances: %w", err)
			}
			out.Balance = &b
		}
	}
	return out, nil
}

func readForecast(ctx context.Context, lake *load.Lake) (*forecast, error) {
	var latest *load.SnapshotManifest
	for m, err := range lake.SnapshotManifests(ctx) {
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		if latest == nil || m.SnapshotTime.After(latest.SnapshotTime) {
			latest = &m
		}
	}
	if latest == nil {
		return nil, nil
	}
	s, err := lake.SummarizeSnapshot(ctx, *latest)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	r := s.Snapshot
	if r.LatestRecurringInvoiceCreateDate == nil || r.LatestRecurringInvoiceTotalAmount == nil || r.NextInvoiceTotalRecurringAmount == nil {
		return nil, nil
	}
	last := schemas.PeriodOf(r.LatestRecurringInvoiceCreateDate.In(central))
	f := &forecast{Period: last.Next(), LastMonth: last, Balance: r.Balance, Taken: r.SnapshotTime}
	for _, d := range []*schemas.Decimal{r.NextInvoiceTotalRecurringAmount, r.NextInvoiceTotalRecurringTaxAmount,
		r.NextInvoiceTotalOneTimeAmount, r.NextInvoiceTotalOneTimeTaxAmount} {
		if d != nil {
			f.Amount.Add(*d)
		}
	}
	f.LastTotal.Add(*r.LatestRecurringInvoiceTotalAmount)
	return f, nil
}

// dryRunDatasets prints the API calls of the account snapshot (one
// getObject, then a page of each billing item listing per page of
// top-level items) and, when documents are archived, what they cost, and
// returns the snapshot's calls.
func (m *Main) dryRunDatasets(ctx context.Context, p *pipeline) (int64, error) {
	a, err := p.client.Account(ctx)
	if err != nil {
		return 0, fmt.Errorf("dry run: account snapshot: %w", err)
	}
	n := int64(0)
	if a.NextInvoiceTopLevelBillingItemCount != nil {
		n = *a.NextInvoiceTopLevelBillingItemCount
	}
	page := int64(p.cfg.Source.InvoicePageSize)
	calls := 1 + 2*max(1, (n+page-1)/page)
	fmt.Fprintf(m.Stdout, "account snapshot: %d top-level billing items on the next invoice, about %d API calls\n", n, calls)
	if p.cfg.Documents.Enabled {
		fmt.Fprintf(m.Stdout, "invoice documents: one call per kind (%d) for each CLOSED invoice not archived yet, once\n", len(p.cfg.Documents.Kinds))
	}
	return calls, nil
}
