package load

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/invoicelake/invoicelake/load/s3test"
)

func newS3Lake(t *testing.T, srv *s3test.Server, o Options) (*Lake, Bucket) {
	t.Helper()
	b, err := OpenLocation(context.Background(), "s3://"+srv.Bucket+"/exports/lake", s3Config(srv))
	if err != nil {
		t.Fatal(err)
	}
	if o.TempDir == "" {
		o.TempDir = t.TempDir()
	}
	if o.Account == 0 {
		o.Account = testAccount
	}
	return NewLake(b, o), b
}

func TestLakeOnS3(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t)
	l, b := newS3Lake(t, srv, Options{MaxRowsPerFile: 500})
	k := lock(t, l)

	// A second run against the same lake is refused, naming the holder.
	other, _ := newS3Lake(t, srv, Options{})
	var le *LockedError
	if _, err := other.Lock(ctx, "other", time.Hour); !errors.As(err, &le) || le.Holder != "test" {
		t.Fatalf("second Lock on S3: got %v, want *LockedError naming \"test\"", err)
	}

	v1 := genInvoices(march, 1000, 80, 10, 1)
	m1 := publish(t, l, march, "run-1", v1)
	before := snapshot(t, b)
	m1b := publish(t, l, march, "run-2", genInvoices(march, 1000, 80, 10, 1))
	if diff := cmp.Diff(before, snapshot(t, b)); diff != "" {
		t.Errorf("rerun changed table folders (-before +after):\n%s", diff)
	}
	if !cmp.Equal(manifestKeys(m1), manifestKeys(m1b)) {
		t.Errorf("rerun keys: got %v, want %v", manifestKeys(m1b), manifestKeys(m1))
	}
	v2 := genInvoices(march, 1000, 90, 10, 2)
	m2 := publish(t, l, march, "run-3", v2)
	if diff := cmp.Diff(manifestKeys(m2), sorted(tableKeys(t, b))); diff != "" {
		t.Errorf("table folders after v2 (-manifest +folders):\n%s", diff)
	}
	s, err := l.Summarize(ctx, march)
	if err != nil || s.Items != v2.nItems || s.ItemsTotal.Cmp(&v2.itemsTotal) != 0 {
		t.Errorf("Summarize: got %d items Σ %s, %v; want %d Σ %s", s.Items, s.ItemsTotal.String(), err, v2.nItems, v2.itemsTotal.String())
	}
	if err := k.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Lock(ctx, "other", time.Hour); err != nil {
		t.Errorf("Lock after Release: %v", err)
	}
}

// stopper stops the server once more than after bytes of an items file
// have been read for upload: the server dies mid-upload.
type stopper struct {
	Bucket
	srv   *s3test.Server
	after int64
	once  sync.Once
}

func (s *stopper) Copy(ctx context.Context, src, dst string) error {
	return s.Bucket.(Copier).Copy(ctx, src, dst)
}

func (s *stopper) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if strings.Contains(key, "invoice_items") {
		r = &stopReader{r: r, s: s}
	}
	return s.Bucket.Put(ctx, key, r, size)
}

type stopReader struct {
	r io.Reader
	s *stopper
	n int64
}

func (r *stopReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n += int64(n)
	if r.n > r.s.after {
		r.s.once.Do(r.s.srv.Stop)
	}
	return n, err
}

// bulky makes item descriptions incompressible so files are several MiB.
func bulky(set *invoiceSet) *invoiceSet {
	r := rand.New(rand.NewPCG(7, 7))
	buf := make([]byte, 120)
	for i := range set.items {
		for j := range set.items[i] {
			for k := range buf {
				buf[k] = byte(r.Uint32())
			}
			set.items[i][j].Description = hex.EncodeToString(buf)
		}
	}
	return set
}

// TestS3StoppedMidUpload kills the S3 server while a multipart upload of a
// new version is in flight: Publish fails with an error naming the upload,
// the previous version stays published and intact, and after a restart
// Recover and a rerun publish the new version.
func TestS3StoppedMidUpload(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t)
	l, b := newS3Lake(t, srv, Options{})
	lock(t, l)
	v1 := genInvoices(march, 1000, 50, 10, 1)
	m1 := publish(t, l, march, "run-1", v1)

	v2 := bulky(genInvoices(march, 1000, 1500, 30, 2)) // ~45k items, ~11 MiB file
	cfg := s3Config(srv)
	cfg.MaxAttempts = 2
	sb, err := NewS3Bucket(ctx, srv.Bucket, "exports/lake", cfg)
	if err != nil {
		t.Fatal(err)
	}
	dying := NewLake(&stopper{Bucket: sb, srv: srv, after: 7 << 20}, Options{Account: testAccount, TempDir: t.TempDir()})
	if _, err := dying.Lock(ctx, "dying", time.Hour); err == nil {
		t.Fatal("Lock while another lake holds it: got nil error")
	}
	dying.lock = l.lock // same run, bucket seen through the stopper
	start := time.Now()
	_, err = tryPublish(ctx, dying, march, "run-2", v2)
	t.Logf("publish with the server stopped failed after %v: %v", time.Since(start).Round(time.Millisecond), err)
	if err == nil {
		t.Fatal("publish with the server stopped mid-upload: got nil error")
	}
	for _, want := range []string{"load: publish 2024-03: upload _staging/" + acctDir + "run-2/billing_period=2024-03/invoice_items/part-00000-", "connect"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}

	srv.Restart()
	m, ok, err := l.Manifest(ctx, march)
	if err != nil || !ok || !cmp.Equal(manifestKeys(m), manifestKeys(m1)) {
		t.Fatalf("manifest after the failed upload: got %v ok=%v, %v; want v1 %v", manifestKeys(m), ok, err, manifestKeys(m1))
	}
	if s, err := l.Summarize(ctx, march); err != nil || s.Items != v1.nItems {
		t.Errorf("v1 after the failed upload: got %d items, %v; want %d", s.Items, err, v1.nItems)
	}
	if diff := cmp.Diff(manifestKeys(m1), sorted(tableKeys(t, b))); diff != "" {
		t.Errorf("table folders after the failed upload (-v1 +got):\n%s", diff)
	}

	rec, err := l.Recover(ctx)
	if err != nil {
		t.Fatalf("Recover: %v", err)
	}
	t.Logf("recovery: %d staging objects, %d strays, %d incomplete uploads aborted", len(rec.Staging), len(rec.Strays), rec.UploadsAborted)
	if rec.UploadsAborted < 1 {
		t.Errorf("Recover aborted %d uploads; want the dead multipart upload aborted", rec.UploadsAborted)
	}
	if len(rec.Staging) == 0 {
		t.Errorf("Recover removed no staging object; the invoices file of run-2 was staged")
	}
	if n, err := sb.AbortIncompleteUploads(ctx, ""); err != nil || n != 0 {
		t.Errorf("incomplete uploads after Recover: got %d, %v; want 0", n, err)
	}
	m2 := publish(t, l, march, "run-3", v2)
	if diff := cmp.Diff(manifestKeys(m2), sorted(tableKeys(t, b))); diff != "" {
		t.Errorf("table folders after rerun (-manifest +folders):\n%s", diff)
	}
	if m2.Items.Files[0].Size < 6<<20 {
		t.Errorf("items file is %d bytes; want a multipart-sized (> 6 MiB) file for this test", m2.Items.Files[0].Size)
	}
	if s, err := l.Summarize(ctx, march); err != nil || s.Items != v2.nItems {
		t.Errorf("Summarize after rerun: got %d items, %v; want %d", s.Items, err, v2.nItems)
	}
}
