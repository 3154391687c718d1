package load

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/invoicelake/invoicelake/schemas"
)

func snapshotRows(s SnapshotInfo, tops ...int64) []schemas.BillingItemRow {
	var out []schemas.BillingItemRow
	amt := func(v string) *schemas.Decimal { d := schemas.MustParseDecimal(v); return &d }
	for _, top := range tops {
		out = append(out,
			schemas.BillingItemRow{SnapshotID: s.ID, SnapshotTime: s.Time, AccountID: s.AccountID, BillingItemID: top,
				TopLevelBillingItemID: top, CategoryCode: "server", NextInvoiceTotalRecurringAmount: amt("100.5")},
			schemas.BillingItemRow{SnapshotID: s.ID, SnapshotTime: s.Time, AccountID: s.AccountID, BillingItemID: top + 1,
				ParentID: &top, TopLevelBillingItemID: top, Depth: 1, CategoryCode: "ram", NextInvoiceTotalRecurringAmount: amt("60.25")})
	}
	return out
}

func publishSnapshot(t *testing.T, l *Lake, s SnapshotInfo, tops ...int64) (SnapshotManifest, error) {
	t.Helper()
	w, err := l.BeginSnapshot(s)
	if err != nil {
		t.Fatal(err)
	}
	rows := snapshotRows(s, tops...)
	for i := 0; i < len(rows); i += 2 {
		if err := w.AddNextInvoiceItems(rows[i : i+2]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.AddBillingItems(rows); err != nil {
		t.Fatal(err)
	}
	bal := schemas.MustParseDecimal("12.34")
	return w.Publish(context.Background(), schemas.AccountSnapshotRow{SnapshotID: s.ID, SnapshotTime: s.Time, AccountID: s.AccountID,
		Balance: &bal, NextInvoiceItemRows: int64(len(rows)), BillingItemRows: int64(len(rows))})
}

// TestSnapshotsAppend: each snapshot adds its files and manifest; nothing
// is replaced; the files read back with their sums; a second account's
// snapshot of the same run has its own files.
func TestSnapshotsAppend(t *testing.T) {
	ctx := context.Background()
	l, b := newFileLake(t, Options{})
	lock(t, l)
	at := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	s1 := SnapshotInfo{ID: "run-1", Time: at, AccountID: testAccount}
	m1, err := publishSnapshot(t, l, s1, 100, 200)
	if err != nil {
		t.Fatal(err)
	}
	// Another account's snapshot of the same run: its own lake, folders
	// and lock.
	l43 := NewLake(b, Options{Account: 43, TempDir: t.TempDir()})
	lock(t, l43)
	if _, err := publishSnapshot(t, l43, SnapshotInfo{ID: "run-1", Time: at, AccountID: 43}, 300); err != nil {
		t.Fatal(err)
	}
	if _, err := publishSnapshot(t, l, SnapshotInfo{ID: "run-2", Time: at.Add(time.Hour), AccountID: testAccount}); err != nil {
		t.Fatal(err)
	}
	for _, table := range snapshotDirs {
		got := slices.DeleteFunc(keys(t, b, table+"/"), func(k string) bool { return !strings.Contains(k, "/snapshot_date=2025-03-10/") })
		if len(got) != 3 {
			t.Errorf("%s: got files %v, want 3 (one per snapshot, rows or none)", table, got)
		}
	}
	if m1.NextInvoiceItems.Rows != 4 || m1.NextInvoiceItems.Sums["next_invoice_total_recurring_amount"] != "321.5" {
		t.Errorf("manifest %+v", m1.NextInvoiceItems)
	}
	var ms []SnapshotManifest
	for m, err := range l.SnapshotManifests(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	if len(ms) != 2 {
		t.Fatalf("got %d snapshot manifests of the account, want 2 (the other account's is its own)", len(ms))
	}
	sum, err := l.SummarizeSnapshot(ctx, m1)
	if err != nil {
		t.Fatal(err)
	}
	if sum.BillingItems != 4 || sum.NextInvoiceItems != 4 || sum.NextInvoiceRecurringTotal.String() != "201" ||
		sum.Snapshot.Balance.String() != "12.34" || sum.Snapshot.SnapshotID != "run-1" {
		t.Errorf("summary %+v", sum)
	}
	if got := keys(t, b, StagingDir+"/"); len(got) != 0 {
		t.Errorf("staging after publishing: %v", got)
	}
	if _, err := l.Periods(ctx); err != nil {
		t.Errorf("periods beside snapshot manifests: %v", err)
	}
}

// TestSnapshotCrashRecovered: a snapshot that died after writing some
// files and before its manifest is removed by Recover, journal last; a
// published snapshot is never touched.
func TestSnapshotCrashRecovered(t *testing.T) {
	ctx := context.Background()
	l, b := newFileLake(t, Options{})
	k := lock(t, l)
	at := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	good, err := publishSnapshot(t, l, SnapshotInfo{ID: "run-1", Time: at, AccountID: testAccount}, 100)
	if err != nil {
		t.Fatal(err)
	}
	k.Release(ctx)
	// A publish that stops at its manifest: the files are there, the
	// journal too.
	fb := &failingBucket{Bucket: b, failOn: func(op, key string) bool { return op == "put" && strings.HasPrefix(key, ManifestsDir+"/") }}
	l2 := NewLake(fb, Options{Account: testAccount, TempDir: t.TempDir()})
	k2 := lock(t, l2)
	if _, err := publishSnapshot(t, l2, SnapshotInfo{ID: "run-2", Time: at.Add(time.Hour), AccountID: testAccount}, 200); err == nil {
		t.Fatal("the publish did not fail")
	}
	k2.Release(ctx)
	lock(t, l)
	if got := keys(t, b, schemas.SnapshotsTable+"/"); len(got) != 2 {
		t.Fatalf("before recovery: %v", got)
	}
	rec, err := l.Recover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Strays) != 3 || len(rec.Staging) != 1 || len(rec.Foreign) != 0 {
		t.Errorf("recovery %+v", rec)
	}
	var want []string
	for _, f := range good.Files() {
		want = append(want, f.Key)
	}
	var got []string
	for _, d := range snapshotDirs {
		got = append(got, keys(t, b, d+"/")...)
	}
	if strings.Join(sorted(got), ",") != strings.Join(sorted(want), ",") {
		t.Errorf("after recovery: %v, want %v", got, want)
	}
	if got := keys(t, b, StagingDir+"/"); len(got) != 0 {
		t.Errorf("staging after recovery: %v", got)
	}
}

func TestSnapshotRejects(t *testing.T) {
	l, _ := newFileLake(t, Options{})
	lock(t, l)
	at := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	if _, err := l.BeginSnapshot(SnapshotInfo{ID: "../x", Time: at, AccountID: testAccount}); err == nil {
		t.Error("a snapshot id with a slash was accepted")
	}
	s := SnapshotInfo{ID: "r", Time: at, AccountID: testAccount}
	w, err := l.BeginSnapshot(s)
	if err != nil {
		t.Fatal(err)
	}
	other := snapshotRows(SnapshotInfo{ID: "r", Time: at, AccountID: 2}, 10)
	if err := w.AddBillingItems(other); err == nil || !strings.Contains(err.Error(), "account 2") {
		t.Errorf("a row of another account: got %v", err)
	}
	w.Abort()
	w, _ = l.BeginSnapshot(s)
	if err := w.AddBillingItems(snapshotRows(s, 10)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Publish(context.Background(), schemas.AccountSnapshotRow{SnapshotID: "r", SnapshotTime: at, AccountID: testAccount, BillingItemRows: 5}); err == nil ||
		!strings.Contains(err.Error(), "counts") {
		t.Errorf("a row that miscounts: got %v", err)
	}
}

// failingBucket fails the operations failOn names.
type failingBucket struct {
	Bucket
	failOn func(op, key string) bool
}

func (f *failingBucket) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if f.failOn("put", key) {
		return errors.New("injected failure")
	}
	return f.Bucket.Put(ctx, key, r, size)
}
