package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var errCrashed = errors.New("process died")

// dyingBucket passes operations through until it is armed, then lets n
// more through and "dies": every later operation fails. With applyLast the
// operation that dies is carried out first (the server applied it; the
// process died before hearing back).
type dyingBucket struct {
	b         Bucket
	mu        sync.Mutex
	armed     bool
	left      int
	applyLast bool
	ops       int // operations since armed
	log       []string
}

func (d *dyingBucket) arm(n int, applyLast bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.armed, d.left, d.applyLast, d.ops = true, n, applyLast, 0
}

// step reports whether to do the operation and whether to then fail.
func (d *dyingBucket) step(op, key string) (do bool, fail bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.armed {
		return true, false
	}
	d.ops++
	d.log = append(d.log, op+" "+key)
	if d.left > 0 {
		d.left--
		return true, false
	}
	if d.left == 0 {
		d.left = -1
		return d.applyLast, true
	}
	return false, true
}

func (d *dyingBucket) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	do, fail := d.step("put", key)
	var err error
	if do {
		err = d.b.Put(ctx, key, r, size)
	}
	if fail {
		return fmt.Errorf("put %s: %w", key, errCrashed)
	}
	return err
}

func (d *dyingBucket) PutIfAbsent(ctx context.Context, key string, data []byte) error {
	do, fail := d.step("putifabsent", key)
	var err error
	if do {
		err = d.b.PutIfAbsent(ctx, key, data)
	}
	if fail {
		return fmt.Errorf("put if absent %s: %w", key, errCrashed)
	}
	return err
}

func (d *dyingBucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if _, fail := d.step("get", key); fail {
		return nil, fmt.Errorf("get %s: %w", key, errCrashed)
	}
	return d.b.Get(ctx, key)
}

func (d *dyingBucket) Delete(ctx context.Context, key string) error {
	do, fail := d.step("delete", key)
	var err error
	if do {
		err = d.b.Delete(ctx, key)
	}
	if fail {
		return fmt.Errorf("delete %s: %w", key, errCrashed)
	}
	return err
}

func (d *dyingBucket) Copy(ctx context.Context, src, dst string) error {
	do, fail := d.step("copy", dst)
	var err error
	if do {
		err = d.b.(Copier).Copy(ctx, src, dst)
	}
	if fail {
		return fmt.Errorf("copy %s: %w", dst, errCrashed)
	}
	return err
}

func (d *dyingBucket) List(ctx context.Context, prefix string) iter.Seq2[Object, error] {
	if _, fail := d.step("list", prefix); fail {
		return func(yield func(Object, error) bool) { yield(Object{}, fmt.Errorf("list %s: %w", prefix, errCrashed)) }
	}
	return d.b.List(ctx, prefix)
}

// TestCrashAtEveryStep kills a publish of v2 over v1 at every bucket
// operation (before and after the operation takes effect) and checks that
// the lake then holds v1 or v2 completely, and that the next run (lock
// takeover, Recover, publish again) leaves exactly v2 in the table folders.
func TestCrashAtEveryStep(t *testing.T) {
	ctx := context.Background()
	opts := Options{MaxRowsPerFile: 400}
	v1 := genInvoices(march, 1000, 50, 10, 1) // 500 items: 2 files
	v2 := genInvoices(march, 1000, 70, 10, 2) // 700 items: 2 files, other names

	// Reference: the keys of v2 published alone.
	ref, _ := newFileLake(t, opts)
	lock(t, ref)
	want2 := manifestKeys(publish(t, ref, march, "ref", v2))

	setup := func(t *testing.T) (*FileBucket, *dyingBucket, *Lake, Manifest) {
		t.Helper()
		fb, err := NewFileBucket(filepath.Join(t.TempDir(), "lake"))
		if err != nil {
			t.Fatal(err)
		}
		o := opts
		o.TempDir = t.TempDir()
		o.Account = testAccount
		first := NewLake(fb, o)
		k := lock(t, first)
		m1 := publish(t, first, march, "run-1", v1)
		if err := k.Release(ctx); err != nil {
			t.Fatal(err)
		}
		db := &dyingBucket{b: fb}
		dying := NewLake(db, o)
		if _, err := dying.Lock(ctx, "doomed", time.Hour); err != nil {
			t.Fatal(err)
		}
		return fb, db, dying, m1
	}

	// Count the operations of a healthy publish.
	_, db, dying, _ := setup(t)
	db.arm(1<<30, false)
	if _, err := tryPublish(ctx, dying, march, "run-2", v2); err != nil {
		t.Fatal(err)
	}
	total := db.ops
	t.Logf("a publish of v2 over v1 takes %d bucket operations: %v", total, db.log)
	if total < 10 {
		t.Fatalf("publish took %d operations; the test would cover little", total)
	}

	for _, applyLast := range []bool{false, true} {
		for n := 0; n <= total; n++ {
			t.Run(fmt.Sprintf("die_at_%d_applied_%v", n, applyLast), func(t *testing.T) {
				fb, db, dying, m1 := setup(t)
				db.arm(n, applyLast)
				_, err := tryPublish(ctx, dying, march, "run-2", v2)
				if n < total && !errors.Is(err, errCrashed) {
					t.Fatalf("publish dying at op %d: got %v, want errCrashed", n, err)
				}

				// Before any rerun: the manifest describes v1 or v2 and every
				// file it lists is there, intact.
				healthy := NewLake(fb, Options{Account: testAccount, TempDir: t.TempDir()})
				m, ok, err := healthy.Manifest(ctx, march)
				if err != nil || !ok {
					t.Fatalf("manifest after crash: ok=%v, %v", ok, err)
				}
				wantSet := v1
				switch got := manifestKeys(m); {
				case cmp.Equal(got, manifestKeys(m1)):
				case cmp.Equal(got, want2):
					wantSet = v2
				default:
					t.Fatalf("manifest after crash lists %v: neither v1 %v nor v2 %v", got, manifestKeys(m1), want2)
				}
				s, err := healthy.Summarize(ctx, march)
				if err != nil {
					t.Fatalf("Summarize after crash: %v", err)
				}
				if s.Items != wantSet.nItems || s.ItemsTotal.Cmp(&wantSet.itemsTotal) != 0 {
					t.Errorf("after crash: got %d items Σ %s, want %d Σ %s", s.Items, s.ItemsTotal.String(), wantSet.nItems, wantSet.itemsTotal.String())
				}

				// The next run: the dead run's lease expires, it takes over,
				// recovers and publishes v2.
				next := NewLake(fb, Options{Account: testAccount, TempDir: t.TempDir(), MaxRowsPerFile: 400,
					Now: func() time.Time { return time.Now().Add(2 * time.Hour) }})
				if _, err := next.Lock(ctx, "next", time.Hour); err != nil {
					t.Fatalf("Lock after crash: %v", err)
				}
				if _, err := next.Recover(ctx); err != nil {
					t.Fatalf("Recover: %v", err)
				}
				if got := sortedKeys(t, fb); !cmp.Equal(got, manifestKeys(m)) {
					t.Errorf("table folders after Recover: got %v, want the manifest's %v", got, manifestKeys(m))
				}
				m3 := publish(t, next, march, "run-3", v2)
				if diff := cmp.Diff(want2, manifestKeys(m3)); diff != "" {
					t.Errorf("rerun manifest (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(want2, sortedKeys(t, fb)); diff != "" {
					t.Errorf("table folders after rerun (-want +got):\n%s", diff)
				}
				if got := keys(t, fb, StagingDir+"/"); len(got) != 0 {
					t.Errorf("staging after rerun: got %v, want none", got)
				}
				if s, err := next.Summarize(ctx, march); err != nil || s.Items != v2.nItems {
					t.Errorf("Summarize after rerun: got %d items, %v; want %d", s.Items, err, v2.nItems)
				}
			})
		}
	}
}

func sortedKeys(t *testing.T, b Bucket) []string { return sorted(tableKeys(t, b)) }
