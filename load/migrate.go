package load

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/invoicelake/invoicelake/schemas"
)

// Migration reports what Migrate did.
type Migration struct {
	// Moved lists the periods moved into the account's subtree.
	Moved []string
	// Superseded lists periods the account had already published in its
	// subtree: their copy in the old layout was removed.
	Superseded []string
	// Skipped lists the old layout's periods left for another account's
	// run, with the reason ("2024-03: invoices of account 7").
	Skipped []string
	// Recovered is what recovering the old layout removed first.
	Recovered Recovery
}

// Migrate moves the periods of the layout before accounts
// (invoices/billing_period=P/..., _manifests/billing_period=P.json) that
// belong to l's account into the account's subtree, and removes them from
// the old layout. A period belongs to the account its invoices rows name;
// a period with no invoice belongs to l's account. It requires l's lock,
// and takes the old layout's lock (_lock/lake.json) for its duration, so
// that no run of an earlier release writes meanwhile; holder and lease are
// for that lock.
//
// Each period moves in steps that a crash can interrupt anywhere: its
// files are copied to their new keys and read back (size and SHA-256),
// then its new manifest is written (from then on readers of the new layout
// see it), then the old files are deleted, and the old manifest last. A
// rerun resumes: a period the account already has in its subtree (moved,
// or exported since) only has its old copy removed, and new-layout files
// a crash left without a manifest are strays that Recover removes.
// Periods of other accounts are left for their own runs. The old layout's
// run summaries and state stay where they are (cmd reads the state once).
func (l *Lake) Migrate(ctx context.Context, holder string, lease time.Duration) (Migration, error) {
	var mig Migration
	if l.acct == "" {
		return mig, fmt.Errorf("load: migrate: want an account's lake")
	}
	if err := l.requireLock(); err != nil {
		return mig, fmt.Errorf("load: migrate: %w", err)
	}
	old := NewLake(l.b, Options{TempDir: l.opts.TempDir, Logger: l.opts.Logger, Now: l.opts.Now, Create: l.opts.Create})
	periods, err := old.Periods(ctx)
	if err != nil || len(periods) == 0 {
		return mig, err
	}
	lk, err := old.Lock(ctx, holder, lease)
	if err != nil {
		return mig, fmt.Errorf("load: migrate: the layout before accounts: %w", err)
	}
	defer lk.Release(context.WithoutCancel(ctx))
	if mig.Recovered, err = old.Recover(ctx); err != nil {
		return mig, fmt.Errorf("load: migrate: %w", err)
	}
	for _, p := range periods {
		if err := l.migratePeriod(ctx, old, p, &mig); err != nil {
			return mig, fmt.Errorf("load: migrate %s: %w", p, err)
		}
	}
	if len(mig.Moved)+len(mig.Superseded) > 0 {
		l.opts.Logger.Info("moved periods of the layout before accounts into the account's folders",
			"account", l.opts.Account, "moved", mig.Moved, "superseded", mig.Superseded, "skipped", mig.Skipped)
	}
	return mig, nil
}

func (l *Lake) migratePeriod(ctx context.Context, old *Lake, p schemas.Period, mig *Migration) error {
	m, ok, err := old.Manifest(ctx, p)
	if err != nil || !ok {
		return err // a corrupt old manifest stops the migration: its error says how to repair it
	}
	owner, err := old.periodAccount(ctx, p)
	if errors.Is(err, ErrNotExist) {
		// Files of the old copy are gone: a migration (of whichever
		// account) was removing it, which it does only once the new copy
		// is committed. Finish removing it.
		return old.removeOld(ctx, m, p)
	}
	if err != nil {
		return err
	}
	if owner != 0 && owner != l.opts.Account {
		mig.Skipped = append(mig.Skipped, fmt.Sprintf("%s: invoices of account %d", p, owner))
		return nil
	}
	_, have, err := l.Manifest(ctx, p)
	if err != nil {
		return err
	}
	if !have {
		nm := m
		nm.Invoices = l.movedTable(m.Invoices, schemas.InvoicesTable, p)
		nm.Items = l.movedTable(m.Items, schemas.ItemsTable, p)
		nm.Payments = l.movedTable(m.Payments, schemas.PaymentsTable, p)
		for i, f := range m.Files() {
			to := nm.Files()[i]
			if err := l.copyObject(ctx, f.Key, to.Key); err != nil {
				return err
			}
			if err := checkRemote(ctx, l.b, to.Key, f.Size, f.SHA256); err != nil {
				return err
			}
		}
		if err := l.requireLock(); err != nil {
			return err
		}
		if err := l.writeJSON(ctx, l.manifestKey(p), nm); err != nil {
			return fmt.Errorf("write manifest: %w", err)
		}
		mig.Moved = append(mig.Moved, p.String())
	} else {
		mig.Superseded = append(mig.Superseded, p.String())
	}
	return old.removeOld(ctx, m, p)
}

// removeOld deletes a period of the old layout: its files, then its
// manifest (the last trace).
func (l *Lake) removeOld(ctx context.Context, m Manifest, p schemas.Period) error {
	for _, f := range m.Files() {
		if err := l.b.Delete(ctx, f.Key); err != nil && !errors.Is(err, ErrNotExist) {
			return err
		}
	}
	if err := l.b.Delete(ctx, l.manifestKey(p)); err != nil && !errors.Is(err, ErrNotExist) {
		return err
	}
	return nil
}

// movedTable is tm with its files' keys in the account's subtree.
func (l *Lake) movedTable(tm TableManifest, table string, p schemas.Period) TableManifest {
	out := tm
	out.Files = make([]File, len(tm.Files))
	for i, f := range tm.Files {
		f.Key = l.partitionPrefix(table, p) + f.Key[strings.LastIndexByte(f.Key, '/')+1:]
		out.Files[i] = f
	}
	return out
}

// periodAccount returns the account the invoices rows of a period of the
// old layout name: 0 when it has none; an error when they name several
// (no release wrote such a period).
func (l *Lake) periodAccount(ctx context.Context, p schemas.Period) (int64, error) {
	var acct int64
	for r, err := range l.InvoiceRows(ctx, p) {
		if err != nil {
			return 0, err
		}
		switch {
		case acct == 0:
			acct = r.AccountID
		case r.AccountID != acct:
			return 0, permanentf("period %s of the layout before accounts holds invoices of accounts %d and %d: move it by hand", p, acct, r.AccountID)
		}
	}
	return acct, nil
}

// copyObject copies src to dst, server-side (both of the lake's buckets
// can).
func (l *Lake) copyObject(ctx context.Context, src, dst string) error {
	c, ok := l.b.(Copier)
	if !ok {
		return fmt.Errorf("copy %s: the bucket cannot copy objects", src)
	}
	return c.Copy(ctx, src, dst)
}
