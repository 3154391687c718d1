package load

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/invoicelake/invoicelake/schemas"
)

// FuzzLakeReadsOutsideInput: a lake's manifests and lock record are read
// back from storage anyone with write access may have damaged. Whatever
// they hold, reading them never panics, Recover deletes no file the lake
// did not write (none of the canaries: no journal names them and their
// content does not hash to their name), and a lock record that does not
// parse never lets a second holder in silently.
func FuzzLakeReadsOutsideInput(f *testing.F) {
	f.Add([]byte(`{"schema_version":"`+schemas.SchemaVersion+`","billing_period":"2024-03","run_id":"r1","invoices":{"rows":0,"files":[{"key":"invoices/billing_period=2024-03/part-00000-aaaaaaaaaaaaaaaa.parquet","size":3,"sha256":"00","rows":0}]},"invoice_items":{"rows":0,"files":[]}}`),
		[]byte(`{"holder":"other","token":"t","expires":"2999-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"billing_period":"2024-03","invoices":{"files":[{"key":"../../outside"}]}}`), []byte(`{}`))
	f.Add([]byte(`{"billing_period":"2024-04"}`), []byte(`not json`))
	f.Add([]byte(`null`), []byte(`{"expires":"2000-01-01T00:00:00Z","token":"../x"}`))
	f.Fuzz(func(t *testing.T, manifest, lock []byte) {
		ctx := context.Background()
		root := t.TempDir()
		dir := filepath.Join(root, "lake")
		canaries := map[string]string{
			filepath.Join(root, "outside"):             "outside the lake",
			filepath.Join(dir, "_runs", "canary.json"): "{}",
			filepath.Join(dir, "invoices", "billing_period=2024-03", "part-00000-aaaaaaaaaaaaaaaa.parquet"):      "pq!",
			filepath.Join(dir, "invoice_items", "billing_period=2024-03", "part-00000-bbbbbbbbbbbbbbbb.parquet"): "pq!",
			filepath.Join(dir, "invoices", "2024", "acme-invoice-0001.pdf"):                                      "%PDF",
			filepath.Join(dir, "_manifests", "billing_period=2024-03.json"):                                      string(manifest),
			filepath.Join(dir, "_lock", "lake.json"):                                                             string(lock),
		}
		for p, s := range canaries {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		b, err := NewFileBucket(dir)
		if err != nil {
			t.Fatal(err)
		}
		lake := NewLake(b, Options{Account: testAccount, Create: true})
		p := schemas.Period{Year: 2024, Month: time.March}
		m, _, merr := lake.Manifest(ctx, p)
		_, _ = lake.Periods(ctx)
		if s, err := lake.Summarize(ctx, p); err == nil {
			for _, f := range m.Files() {
				if _, err := b.path(f.Key); err != nil {
					t.Fatalf("Summarize accepted a manifest listing the invalid key %q (summary %+v)", f.Key, s)
				}
			}
		}

		lk, err := lake.Lock(ctx, "fuzz", time.Minute)
		if err != nil {
			return // held, or unreadable: either way nobody else is let in
		}
		defer lk.Release(ctx)
		if _, err := lake.Recover(ctx); err != nil && merr == nil {
			t.Logf("recover: %v", err)
		}
		for p := range canaries {
			if p == filepath.Join(dir, "_lock", "lake.json") {
				continue // an expired or dead holder's lock is taken over
			}
			if _, err := os.Stat(p); err != nil {
				t.Fatalf("Recover removed %s, which the lake did not write: %v", p, err)
			}
		}
	})
}
