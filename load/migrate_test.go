package load

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/invoicelake/invoicelake/schemas"
)

// genAccount is the account genInvoices writes into every invoices row.
const genAccount = 278444

// oldLayout publishes sets into b in the account layout, then moves every
// object to where a release before accounts kept it (no account folder,
// manifests naming those keys): a lake exactly as such a release left it.
func oldLayout(t *testing.T, b Bucket, sets map[schemas.Period]*invoiceSet) {
	t.Helper()
	ctx := context.Background()
	l := NewLake(b, Options{Account: 999, TempDir: t.TempDir()})
	k := lock(t, l)
	for p, set := range sets {
		publish(t, l, p, "old-run", set)
	}
	if err := k.Release(ctx); err != nil {
		t.Fatal(err)
	}
	for _, key := range keys(t, b, "") {
		if !strings.Contains(key, "account_id=999/") {
			continue
		}
		data := content(t, b, key)
		if strings.HasPrefix(key, ManifestsDir) {
			data = strings.ReplaceAll(data, "account_id=999/", "")
		}
		put(t, b, strings.Replace(key, "account_id=999/", "", 1), data)
		if err := b.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
}

// tableContent maps each data file's name to its content (the same file,
// whatever folder it is in).
func tableContent(t *testing.T, b Bucket, contains string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, k := range tableKeys(t, b) {
		if strings.Contains(k, contains) {
			out[filepath.Base(filepath.Dir(k))+"/"+filepath.Base(k)] = content(t, b, k)
		}
	}
	return out
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	backends(t, func(t *testing.T, newBucket func(*testing.T) Bucket) {
		{
			b := newBucket(t)
			oldLayout(t, b, map[schemas.Period]*invoiceSet{
				march: genInvoices(march, 1000, 20, 5, 1),
				april: genInvoices(april, 2000, 20, 5, 2),
			})
			before := tableContent(t, b, "")
			l := NewLake(b, Options{Account: genAccount, TempDir: t.TempDir()})
			lock(t, l)
			mig, err := l.Migrate(ctx, "migrator", time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"2024-03", "2024-04"}, mig.Moved); diff != "" {
				t.Errorf("moved (-want +got):\n%s", diff)
			}
			// The same files, byte for byte, now in the account's folders,
			// and nothing left of the old layout.
			if diff := cmp.Diff(before, tableContent(t, b, "account_id=278444/")); diff != "" {
				t.Errorf("files (-old layout +account folders):\n%s", diff)
			}
			for _, k := range keys(t, b, "") {
				if strings.Contains(k, "billing_period=") && !strings.Contains(k, "account_id=") {
					t.Errorf("%s of the old layout is still there", k)
				}
			}
			for _, p := range []schemas.Period{march, april} {
				s, err := l.Summarize(ctx, p)
				if err != nil || s.Invoices != 20 {
					t.Errorf("%s after the move: %+v, %v", p, s, err)
				}
			}
			if got, legacy, err := Accounts(ctx, b); err != nil || legacy || !slices.Equal(got, []int64{genAccount}) {
				t.Errorf("Accounts: %v legacy %v, %v; want [%d] and no legacy", got, legacy, err, genAccount)
			}
			// Again: nothing to do.
			if mig, err := l.Migrate(ctx, "migrator", time.Minute); err != nil || len(mig.Moved)+len(mig.Superseded) != 0 {
				t.Errorf("second Migrate: %+v, %v; want nothing done", mig, err)
			}
		}
	})
}

// Another account's periods are left for its own run, untouched.
func TestMigrateLeavesOtherAccounts(t *testing.T) {
	ctx := context.Background()
	l, b := newFileLake(t, Options{Account: 7})
	oldLayout(t, b, map[schemas.Period]*invoiceSet{march: genInvoices(march, 1000, 20, 5, 1)})
	before := keys(t, b, "")
	lock(t, l)
	mig, err := l.Migrate(ctx, "migrator", time.Minute)
	if err != nil || len(mig.Moved) != 0 || !slices.Equal(mig.Skipped, []string{"2024-03: invoices of account 278444"}) {
		t.Errorf("Migrate by account 7: %+v, %v; want 2024-03 skipped", mig, err)
	}
	after := slices.DeleteFunc(keys(t, b, ""), func(k string) bool { return strings.HasPrefix(k, LockDir) })
	before = slices.DeleteFunc(before, func(k string) bool { return strings.HasPrefix(k, LockDir) })
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("keys (-before +after):\n%s", diff)
	}
}

// A crash anywhere in a migration, then a rerun: the account's folders
// hold every period whole, the old layout nothing, and no file was lost in
// between (a reader of either layout always finds each period whole).
func TestMigrateCrashAnywhere(t *testing.T) {
	ctx := context.Background()
	sets := map[schemas.Period]*invoiceSet{march: genInvoices(march, 1000, 20, 5, 1), april: genInvoices(april, 2000, 20, 5, 2)}
	// Count the operations of a whole migration.
	count := func() int {
		fb, err := NewFileBucket(filepath.Join(t.TempDir(), "lake"))
		if err != nil {
			t.Fatal(err)
		}
		oldLayout(t, fb, sets)
		db := &dyingBucket{b: fb}
		l := NewLake(db, Options{Account: genAccount, TempDir: t.TempDir()})
		lock(t, l)
		db.arm(1<<30, false)
		if _, err := l.Migrate(ctx, "m", time.Minute); err != nil {
			t.Fatal(err)
		}
		return db.ops
	}
	n := count()
	if n < 10 {
		t.Fatalf("a migration took %d bucket operations, want more", n)
	}
	for k := 0; k < n; k++ {
		for _, applyLast := range []bool{false, true} {
			fb, err := NewFileBucket(filepath.Join(t.TempDir(), "lake"))
			if err != nil {
				t.Fatal(err)
			}
			oldLayout(t, fb, sets)
			want := tableContent(t, fb, "")
			db := &dyingBucket{b: fb}
			dying := NewLake(db, Options{Account: genAccount, TempDir: t.TempDir()})
			dk := lock(t, dying)
			db.arm(k, applyLast)
			// (It succeeds when the failing operation is the release of
			// the old layout's lock, whose lease then expires.)
			dying.Migrate(ctx, "m", time.Minute)
			// Every period is whole in one layout or the other.
			for p := range sets {
				nl := NewLake(fb, Options{Account: genAccount})
				ol := NewLake(fb, Options{})
				sn, errN := nl.Summarize(ctx, p)
				so, errO := ol.Summarize(ctx, p)
				if !(errN == nil && sn.Invoices == 20) && !(errO == nil && so.Invoices == 20) {
					t.Fatalf("op %d (applied %v): %s whole in neither layout: new %v, old %v", k, applyLast, p, errN, errO)
				}
			}
			dk.stopRenew()
			dk.renewing.Wait()
			// The next run: its lock is taken over (same process, a new run),
			// Recover, then Migrate.
			next := NewLake(fb, Options{Account: genAccount, TempDir: t.TempDir(), Now: func() time.Time { return time.Now().Add(2 * time.Hour) }})
			lock(t, next)
			if _, err := next.Recover(ctx); err != nil {
				t.Fatalf("op %d: Recover: %v", k, err)
			}
			mig, err := next.Migrate(ctx, "m2", time.Minute)
			var le *LockedError
			if errors.As(err, &le) {
				// The dead migration's lock on the old layout: it expires.
				t.Fatalf("op %d: rerun blocked by %v", k, err)
			}
			if err != nil {
				t.Fatalf("op %d: rerun Migrate: %v (%+v)", k, err, mig)
			}
			if diff := cmp.Diff(want, tableContent(t, fb, "")); diff != "" {
				t.Fatalf("op %d (applied %v): files after the rerun (-old layout +now):\n%s", k, applyLast, diff)
			}
			for _, key := range keys(t, fb, "") {
				if strings.Contains(key, "billing_period=") && !strings.Contains(key, "account_id=") {
					t.Fatalf("op %d: %s of the old layout is still there", k, key)
				}
			}
		}
	}
}
