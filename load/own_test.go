package load

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/invoicelake/invoicelake/load/s3test"
)

// backends runs f against a fresh local folder and a fresh S3 prefix
// (versitygw): every ownership rule holds on both.
func backends(t *testing.T, f func(t *testing.T, newBucket func(t *testing.T) Bucket)) {
	t.Run("folder", func(t *testing.T) {
		f(t, func(t *testing.T) Bucket {
			_, b := newFileLake(t, Options{})
			return b
		})
	})
	t.Run("s3", func(t *testing.T) {
		if testing.Short() {
			t.Skip("starts versitygw")
		}
		srv := s3test.Start(t)
		n := 0
		f(t, func(t *testing.T) Bucket {
			n++
			b, err := OpenLocation(context.Background(), fmt.Sprintf("s3://%s/own-%d", srv.Bucket, n), s3Config(srv))
			if err != nil {
				t.Fatal(err)
			}
			return b
		})
	})
}

func put(t *testing.T, b Bucket, key, data string) {
	t.Helper()
	if err := b.Put(context.Background(), key, strings.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
}

func content(t *testing.T, b Bucket, key string) string {
	t.Helper()
	rc, err := b.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// userFiles are what a user may keep where they point the lake: never
// touched by the lake, whatever it does.
var userFiles = map[string]string{
	"invoices/2024/acme-invoice-0001.pdf":                                      "%PDF user's own",
	"invoices/notes.txt":                                                       "user's notes",
	"invoices/billing_period=2024-03/mine.parquet":                             "user's parquet",
	"invoice_items/billing_period=2024-03/part-00007-0123456789abcdef.parquet": "named like ours, content is not",
	"_staging/readme.txt":                                                      "user's file in a folder of ours",
	"report.csv":                                                               "a,b",
	// Inside the account's own subtree, too.
	"invoices/" + acctDir + "billing_period=2024-03/mine.parquet":                             "user's parquet",
	"invoice_items/" + acctDir + "billing_period=2024-03/part-00008-0123456789abcdef.parquet": "named like ours, content is not",
	"_staging/" + acctDir + "readme.txt":                                                      "user's file in a folder of ours",
}

// userFilesInAccount counts the user files in the test account's subtree:
// what its Recover lists (and leaves alone) as foreign.
func userFilesInAccount() int {
	n := 0
	for k := range userFiles {
		if strings.Contains(k, acctDir) {
			n++
		}
	}
	return n
}

func TestOwnership(t *testing.T) {
	ctx := context.Background()
	backends(t, func(t *testing.T, newBucket func(*testing.T) Bucket) {
		t.Run("foreign location refused, nothing written", func(t *testing.T) {
			b := newBucket(t)
			put(t, b, "invoices/2024/acme-invoice-0001.pdf", "%PDF")
			l := NewLake(b, Options{Account: testAccount, TempDir: t.TempDir()})
			_, err := l.Lock(ctx, "test", time.Hour)
			if !errors.Is(err, ErrNotALake) || !IsPermanent(err) || !strings.Contains(err.Error(), "invoices/2024/acme-invoice-0001.pdf") ||
				!strings.Contains(err.Error(), "--create-lake") {
				t.Fatalf("Lock on a foreign location: got %v, want a permanent ErrNotALake naming the file and the flag", err)
			}
			if got := keys(t, b, ""); !cmp.Equal(got, []string{"invoices/2024/acme-invoice-0001.pdf"}) {
				t.Errorf("after the refusal the location holds %v, want only the user's file", got)
			}
			if err := l.WriteJSON(ctx, "_runs/x.json", 1); !errors.Is(err, ErrNotClaimed) {
				t.Errorf("WriteJSON on a refused location: got %v, want ErrNotClaimed", err)
			}
			if err := l.Exists(ctx); !errors.Is(err, ErrNotALake) || !IsPermanent(err) {
				t.Errorf("Exists: got %v, want a permanent ErrNotALake", err)
			}
		})
		t.Run("empty location", func(t *testing.T) {
			b := newBucket(t)
			l := NewLake(b, Options{Account: testAccount, TempDir: t.TempDir()})
			if err := l.Exists(ctx); !errors.Is(err, ErrNoLake) || !IsPermanent(err) {
				t.Errorf("Exists on an empty location: got %v, want a permanent ErrNoLake", err)
			}
			lock(t, l)
			if !strings.Contains(content(t, b, MarkerKey), `"invoicelake"`) {
				t.Errorf("no lake marker after Lock")
			}
			if err := l.Exists(ctx); err != nil {
				t.Errorf("Exists after Lock: %v", err)
			}
		})
		t.Run("lake of an earlier release: manifests, no marker", func(t *testing.T) {
			b := newBucket(t)
			first := NewLake(b, Options{Account: testAccount, TempDir: t.TempDir()})
			k := lock(t, first)
			m1 := publish(t, first, march, "run-1", genInvoices(march, 1000, 20, 5, 1))
			put(t, b, "_runs/run-1.json", "{}")
			if err := k.Release(ctx); err != nil {
				t.Fatal(err)
			}
			if err := b.Delete(ctx, MarkerKey); err != nil {
				t.Fatal(err)
			}
			next := NewLake(b, Options{Account: testAccount, TempDir: t.TempDir()})
			if err := next.Exists(ctx); err != nil {
				t.Fatalf("Exists on a lake without marker: %v", err)
			}
			lock(t, next)
			content(t, b, MarkerKey)
			if _, err := next.Recover(ctx); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(manifestKeys(m1), sorted(tableKeys(t, b))); diff != "" {
				t.Errorf("table folders (-manifest +got):\n%s", diff)
			}
		})
		t.Run("create-lake: user files never touched", func(t *testing.T) {
			b := newBucket(t)
			for k, v := range userFiles {
				put(t, b, k, v)
			}
			l := NewLake(b, Options{Account: testAccount, TempDir: t.TempDir(), Create: true})
			lock(t, l)
			publish(t, l, march, "run-1", genInvoices(march, 1000, 20, 5, 1))
			rec, err := l.Recover(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(rec.Strays)+len(rec.Staging) != 0 {
				t.Errorf("Recover removed %v %v, want nothing", rec.Strays, rec.Staging)
			}
			if len(rec.Foreign) != userFilesInAccount() { // the others are outside the account's folders
				t.Errorf("Recover reports %d foreign objects %v, want %d", len(rec.Foreign), rec.Foreign, userFilesInAccount())
			}
			m := publish(t, l, march, "run-2", genInvoices(march, 1000, 30, 5, 2)) // replaces run-1's files
			emptyRun := RunInfo{RunID: "run-3", AllowShrink: true}
			if _, err := tryPublishRun(ctx, l, march, emptyRun, &invoiceSet{}); err != nil {
				t.Fatal(err)
			}
			for k, v := range userFiles {
				if got := content(t, b, k); got != v {
					t.Errorf("%s: got %q, want the user's %q", k, got, v)
				}
			}
			for _, f := range m.Files() {
				if _, err := b.Get(ctx, f.Key); !errors.Is(err, ErrNotExist) {
					t.Errorf("%s of the replaced version: got %v, want it deleted", f.Key, err)
				}
			}
		})
		t.Run("recover removes only what a lake wrote", func(t *testing.T) {
			b := newBucket(t)
			for k, v := range userFiles {
				put(t, b, k, v)
			}
			l := NewLake(b, Options{Account: testAccount, TempDir: t.TempDir(), Create: true})
			lock(t, l)
			m := publish(t, l, march, "run-1", genInvoices(march, 1000, 20, 5, 1))
			// A dead run's leftovers: staged files, a journal naming a
			// file it placed, and a file an older release placed with no
			// journal (its content hashes to its name).
			legacy := "invoices/" + acctDir + "billing_period=2024-06/part-00000-" + hash16("legacy") + ".parquet"
			journaled := "invoice_items/" + acctDir + "billing_period=2024-03/part-00003-abcdefabcdefabcd.parquet"
			staged := "_staging/" + acctDir + "dead-run/billing_period=2024-03/invoices/part-00000-0123456789abcdef.parquet"
			// Another account's leftovers, and the layout before accounts:
			// not this account's to touch.
			other := "_staging/account_id=7/dead-run/billing_period=2024-03/invoices/part-00000-0123456789abcdef.parquet"
			otherData := "invoices/account_id=7/billing_period=2024-06/part-00000-" + hash16("legacy") + ".parquet"
			oldLayout := "invoices/billing_period=2024-06/part-00000-" + hash16("legacy") + ".parquet"
			for _, k := range []string{legacy, otherData, oldLayout} {
				put(t, b, k, "legacy")
			}
			put(t, b, journaled, "placed by a dead run")
			put(t, b, staged, "x")
			put(t, b, other, "x")
			put(t, b, "_staging/"+acctDir+"dead-run/billing_period=2024-03/journal.json",
				`{"billing_period":"2024-03","run_id":"dead-run","new":["`+journaled+`","invoices/2024/acme-invoice-0001.pdf"],"old":["`+m.Invoices.Files[0].Key+`"]}`)
			rec, err := l.Recover(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{journaled, legacy}, rec.Strays); diff != "" {
				t.Errorf("strays removed (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{staged, "_staging/" + acctDir + "dead-run/billing_period=2024-03/journal.json"}, rec.Staging); diff != "" {
				t.Errorf("staging removed (-want +got):\n%s", diff)
			}
			for _, k := range []string{other, otherData, oldLayout} {
				if _, err := b.Get(ctx, k); err != nil {
					t.Errorf("%s (not this account's): %v, want it left alone", k, err)
				}
			}
			for k, v := range userFiles {
				if got := content(t, b, k); got != v {
					t.Errorf("%s: got %q, want the user's %q", k, got, v)
				}
			}
			if _, err := l.Summarize(ctx, march); err != nil {
				t.Errorf("the published version after Recover: %v", err)
			}
		})
	})
}

func hash16(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])[:16]
}

// TestCorruptFilesOfOnePeriod: a corrupt (or tampered) manifest blocks
// only its own period, with a message saying how to repair it; nothing a
// tampered manifest names outside the lake's scheme is deleted.
func TestCorruptFilesOfOnePeriod(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, manifest string
	}{
		{"not json", "{"},
		{"truncated", `{"schema_version":"1","billing_period":"2024-03"`},
		{"another period", `{"schema_version":"1","billing_period":"2024-04","invoices":{"files":[]},"invoice_items":{"files":[]}}`},
		{"names a user's file", `{"schema_version":"1","billing_period":"2024-03","invoices":{"rows":1,"files":[{"key":"invoices/2024/acme-invoice-0001.pdf"}]},"invoice_items":{"files":[]}}`},
		{"names another period's file", `{"schema_version":"1","billing_period":"2024-03","invoices":{"rows":1,"files":[{"key":"invoices/billing_period=2024-04/part-00000-0123456789abcdef.parquet"}]},"invoice_items":{"files":[]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, b := newFileLake(t, Options{Create: true})
			put(t, b, "invoices/2024/acme-invoice-0001.pdf", "%PDF")
			lock(t, l)
			publish(t, l, march, "run-1", genInvoices(march, 1000, 20, 5, 1))
			a1 := publish(t, l, april, "run-1", genInvoices(april, 2000, 20, 5, 1))
			put(t, b, ManifestsDir+"/"+acctDir+march.PartitionDir()+".json", tt.manifest)

			rec, err := l.Recover(ctx)
			if err != nil || !cmp.Equal(rec.Skipped, []string{"2024-03"}) {
				t.Errorf("Recover: skipped %v, %v; want 2024-03 skipped and no error", rec.Skipped, err)
			}
			if _, err := tryPublish(ctx, l, april, "run-2", genInvoices(april, 2000, 25, 5, 2)); err != nil {
				t.Errorf("publishing another period: %v", err)
			}
			_, err = tryPublish(ctx, l, march, "run-2", genInvoices(march, 1000, 20, 5, 2))
			var ce *CorruptError
			if !errors.As(err, &ce) || !IsPermanent(err) || !strings.Contains(err.Error(), b.Root()+"/_manifests/"+acctDir+"billing_period=2024-03.json") ||
				!strings.Contains(err.Error(), "delete it") {
				t.Errorf("publishing the corrupt period: got %v, want a permanent *CorruptError naming the file and the repair", err)
			}
			if got := content(t, b, "invoices/2024/acme-invoice-0001.pdf"); got != "%PDF" {
				t.Errorf("the user's file: got %q", got)
			}
			_ = a1
			// The repair the message gives works.
			if err := b.Delete(ctx, ManifestsDir+"/"+acctDir+march.PartitionDir()+".json"); err != nil {
				t.Fatal(err)
			}
			if _, err := l.Recover(ctx); err != nil {
				t.Fatal(err)
			}
			m := publish(t, l, march, "run-3", genInvoices(march, 1000, 20, 5, 2))
			if s, err := l.Summarize(ctx, march); err != nil || s.Invoices != 20 {
				t.Errorf("after the repair: %+v, %v", s, err)
			}
			for _, k := range tableKeys(t, b) {
				if _, _, p, ok := dataKey(k); ok && p == march && !cmp.Equal(true, contains(manifestKeys(m), k)) {
					t.Errorf("after the repair, %s is in march's folder but not in its manifest", k)
				}
			}
		})
	}
	t.Run("corrupt marker and lock", func(t *testing.T) {
		for _, key := range []string{MarkerKey, testLockKey} {
			l, b := newFileLake(t, Options{})
			lock(t, l).Release(ctx)
			put(t, b, key, "garbage")
			_, err := NewLake(b, Options{Account: testAccount}).Lock(ctx, "next", time.Hour)
			var ce *CorruptError
			if !errors.As(err, &ce) || !IsPermanent(err) || !strings.Contains(err.Error(), b.Root()+"/"+key) || !strings.Contains(err.Error(), "delete") {
				t.Errorf("Lock with a corrupt %s: got %v, want a permanent *CorruptError naming it and the repair", key, err)
			}
		}
	})
}

func contains(s []string, k string) bool {
	for _, x := range s {
		if x == k {
			return true
		}
	}
	return false
}

// TestShrinkRefused: a version with fewer invoices than the published one
// is not published unless allowed; the log says so at WARN.
func TestShrinkRefused(t *testing.T) {
	ctx := context.Background()
	var log strings.Builder
	l, _ := newFileLake(t, Options{Logger: newTextLogger(&log)})
	lock(t, l)
	m1 := publish(t, l, march, "run-1", genInvoices(march, 1000, 20, 5, 1))
	for _, n := range []int{0, 1, 19} {
		_, err := tryPublish(ctx, l, march, fmt.Sprintf("short-%d", n), genInvoices(march, 1000, n, 5, 2))
		var se *ShrinkError
		if !errors.As(err, &se) || se.Published != 20 || se.New != int64(n) || !IsPermanent(err) {
			t.Errorf("%d invoices over 20: got %v, want a permanent *ShrinkError", n, err)
		}
		if m, _, _ := l.Manifest(ctx, march); m.RunID != "run-1" {
			t.Errorf("%d invoices over 20: published run %s, want run-1 kept", n, m.RunID)
		}
	}
	if !strings.Contains(log.String(), "level=WARN msg=\"refusing to replace a billing period with fewer invoices") {
		t.Errorf("no WARN line for the refusal:\n%s", log.String())
	}
	if _, err := tryPublish(ctx, l, march, "same", genInvoices(march, 1000, 20, 5, 2)); err != nil {
		t.Errorf("same number of invoices: %v", err)
	}
	m, err := tryPublishRun(ctx, l, march, RunInfo{RunID: "allowed", AllowShrink: true}, genInvoices(march, 1000, 3, 5, 2))
	if err != nil || m.Invoices.Rows != 3 {
		t.Errorf("allowed shrink: %d invoices, %v", m.Invoices.Rows, err)
	}
	_ = m1
}

func newTextLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
