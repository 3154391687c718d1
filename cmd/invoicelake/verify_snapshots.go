package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/invoicelake/invoicelake/load"
	"github.com/invoicelake/invoicelake/schemas"
)

// verifySnapshots reads every published account snapshot back (checksums,
// schema, sort order, rows and sums against its manifest) and checks its
// rules: one account_snapshots row whose item counts are the rows of its
// next_invoice_items and billing_items, and every child row under a
// top-level row of the same snapshot. Snapshots describe a past instant:
// they are not compared with the API.
func (m *Main) verifySnapshots(ctx context.Context, p *pipeline) error {
	n, bad := 0, 0
	var last load.SnapshotSummary
	for man, err := range p.lake.SnapshotManifests(ctx) {
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		n++
		s, err := p.lake.SummarizeSnapshot(ctx, man)
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		var problems []string
		if s.Snapshot.NextInvoiceItemRows != s.NextInvoiceItems || s.Snapshot.BillingItemRows != s.BillingItems {
			problems = append(problems, fmt.Sprintf("account_snapshots counts %d next invoice and %d billing item rows, the files hold %d and %d",
				s.Snapshot.NextInvoiceItemRows, s.Snapshot.BillingItemRows, s.NextInvoiceItems, s.BillingItems))
		}
		for _, table := range []string{schemas.NextInvoiceItemsTable, schemas.BillingItemsTable} {
			tops := map[int64]bool{}
			for r, err := range p.lake.SnapshotRows(ctx, man, table) {
				if err != nil {
					return fmt.Errorf("verify: snapshot %s: %w", man.SnapshotID, err)
				}
				switch {
				case r.SnapshotID != man.SnapshotID || r.AccountID != man.AccountID:
					problems = append(problems, fmt.Sprintf("%s: billing item %d belongs to snapshot %s of account %d", table, r.BillingItemID, r.SnapshotID, r.AccountID))
				case r.Depth == 0 && (r.ParentID != nil || r.TopLevelBillingItemID != r.BillingItemID):
					problems = append(problems, fmt.Sprintf("%s: top-level billing item %d has a parent or another top", table, r.BillingItemID))
				case r.Depth == 0:
					tops[r.BillingItemID] = true
				case r.ParentID == nil || *r.ParentID != r.TopLevelBillingItemID || !tops[r.TopLevelBillingItemID]:
					problems = append(problems, fmt.Sprintf("%s: billing item %d is not under a top-level row of the snapshot", table, r.BillingItemID))
				}
			}
		}
		for _, pr := range problems {
			if bad < maxShown {
				fmt.Fprintf(m.Stdout, "  snapshot %s account %d: %s\n", man.SnapshotID, man.AccountID, pr)
			}
			bad++
		}
		if s.Snapshot.SnapshotTime.After(last.Snapshot.SnapshotTime) {
			last = s
		}
	}
	if bad > 0 {
		return fmt.Errorf("verify: %d problems in the account snapshots: %w", bad, ErrMismatch)
	}
	if n == 0 {
		fmt.Fprintf(m.Stdout, "no account snapshot published yet\n")
		return nil
	}
	fmt.Fprintf(m.Stdout, "all %d account snapshots read back (latest %s: %d next invoice and %d billing item rows)\n",
		n, last.Snapshot.SnapshotTime.Format("2006-01-02 15:04:05Z"), last.NextInvoiceItems, last.BillingItems)
	return nil
}

// checkDocuments checks that every document an invoices row of per
// references is in the lake with the size and SHA-256 the row gives.
func checkDocuments(ctx context.Context, p *pipeline, per schemas.Period, ps *problems) error {
	for r, err := range p.lake.InvoiceRows(ctx, per) {
		if err != nil {
			return err
		}
		if r.DocumentKey == nil {
			continue
		}
		n, sha, err := p.lake.DocumentDigest(ctx, *r.DocumentKey)
		switch {
		case errors.Is(err, load.ErrNotExist):
			ps.add(per, fmt.Sprintf("invoice %d: its document %s is missing", r.InvoiceID, *r.DocumentKey))
		case err != nil:
			return err
		case r.DocumentSHA256 == nil || sha != *r.DocumentSHA256 || r.DocumentBytes == nil || n != *r.DocumentBytes:
			ps.add(per, fmt.Sprintf("invoice %d: its document %s has %d bytes sha256 %s, the row says otherwise", r.InvoiceID, *r.DocumentKey, n, sha))
		}
	}
	return nil
}
