package load

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/invoicelake/invoicelake/load/s3test"
)

// testBucket is the acceptance test every Bucket implementation passes.
func testBucket(t *testing.T, b Bucket) {
	ctx := context.Background()
	put := func(t *testing.T, key, body string) {
		t.Helper()
		if err := b.Put(ctx, key, bytes.NewReader([]byte(body)), int64(len(body))); err != nil {
			t.Fatalf("Put(%q): %v", key, err)
		}
	}
	get := func(t *testing.T, key string) (string, error) {
		t.Helper()
		rc, err := b.Get(ctx, key)
		if err != nil {
			return "", err
		}
		defer rc.Close()
		data, err := io.ReadAll(rc)
		return string(data), err
	}
	list := func(t *testing.T, prefix string) []Object {
		t.Helper()
		var out []Object
		for o, err := range b.List(ctx, prefix) {
			if err != nil {
				t.Fatalf("List(%q): %v", prefix, err)
			}
			out = append(out, o)
		}
		return out
	}

	t.Run("PutOverwrite", func(t *testing.T) {
		put(t, "po/a.txt", "one")
		put(t, "po/a.txt", "second")
		got, err := get(t, "po/a.txt")
		if err != nil || got != "second" {
			t.Fatalf("Get after overwrite: got %q, %v; want %q", got, err, "second")
		}
		if diff := cmp.Diff([]Object{{Key: "po/a.txt", Size: 6}}, list(t, "po/")); diff != "" {
			t.Errorf("List (-want +got):\n%s", diff)
		}
		put(t, "po/empty", "")
		if got, err := get(t, "po/empty"); err != nil || got != "" {
			t.Errorf("Get empty object: got %q, %v; want \"\", nil", got, err)
		}
	})

	t.Run("GetMissing", func(t *testing.T) {
		_, err := b.Get(ctx, "missing/nothing.parquet")
		if !errors.Is(err, ErrNotExist) {
			t.Fatalf("Get missing: got %v, want ErrNotExist", err)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		if err := b.Delete(ctx, "missing/nothing.parquet"); err != nil {
			t.Fatalf("Delete missing: got %v, want nil", err)
		}
		put(t, "del/x/y.bin", "y")
		if err := b.Delete(ctx, "del/x/y.bin"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if _, err := get(t, "del/x/y.bin"); !errors.Is(err, ErrNotExist) {
			t.Errorf("Get after Delete: got %v, want ErrNotExist", err)
		}
		if got := list(t, "del/"); len(got) != 0 {
			t.Errorf("List after Delete: got %v, want none", got)
		}
	})

	t.Run("PutIfAbsent", func(t *testing.T) {
		if err := b.PutIfAbsent(ctx, "lock/held.json", []byte("first")); err != nil {
			t.Fatalf("PutIfAbsent on absent key: %v", err)
		}
		err := b.PutIfAbsent(ctx, "lock/held.json", []byte("second"))
		if !errors.Is(err, ErrExists) {
			t.Fatalf("PutIfAbsent on present key: got %v, want ErrExists", err)
		}
		if got, err := get(t, "lock/held.json"); err != nil || got != "first" {
			t.Errorf("Get after refused PutIfAbsent: got %q, %v; want %q", got, err, "first")
		}
		// Contention: exactly one of several concurrent writers wins.
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				errs[i] = b.PutIfAbsent(ctx, "lock/race.json", []byte{byte('a' + i)})
			})
		}
		wg.Wait()
		wins := 0
		for i, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, ErrExists):
				t.Errorf("writer %d: got %v, want nil or ErrExists", i, err)
			}
		}
		if wins != 1 {
			t.Errorf("concurrent PutIfAbsent: got %d winners, want 1", wins)
		}
	})

	t.Run("ListPrefixAndOrder", func(t *testing.T) {
		for _, k := range []string{"ls/x/z", "ls/xz", "lsx", "ls/x-y", "ls/x y/k=v.txt", "ls/x/billing_period=2024-03/a b.parquet"} {
			put(t, k, k)
		}
		obj := func(k string) Object { return Object{Key: k, Size: int64(len(k))} }
		tests := []struct {
			prefix string
			want   []Object
		}{
			{"ls/x", []Object{obj("ls/x y/k=v.txt"), obj("ls/x-y"), obj("ls/x/billing_period=2024-03/a b.parquet"), obj("ls/x/z"), obj("ls/xz")}},
			{"ls/x/", []Object{obj("ls/x/billing_period=2024-03/a b.parquet"), obj("ls/x/z")}},
			{"ls/x/billing_period=2024-03/", []Object{obj("ls/x/billing_period=2024-03/a b.parquet")}},
			{"ls", []Object{obj("ls/x y/k=v.txt"), obj("ls/x-y"), obj("ls/x/billing_period=2024-03/a b.parquet"), obj("ls/x/z"), obj("ls/xz"), obj("lsx")}},
			{"ls/nothing", nil},
			{"nothing/at/all/", nil},
		}
		for _, tt := range tests {
			if diff := cmp.Diff(tt.want, list(t, tt.prefix)); diff != "" {
				t.Errorf("List(%q) (-want +got):\n%s", tt.prefix, diff)
			}
		}
		got, err := get(t, "ls/x/billing_period=2024-03/a b.parquet")
		if err != nil || got != "ls/x/billing_period=2024-03/a b.parquet" {
			t.Errorf("Get key with = and space: got %q, %v", got, err)
		}
		// List("") sees everything this test wrote, in order.
		all := list(t, "")
		for i := 1; i < len(all); i++ {
			if all[i-1].Key >= all[i].Key {
				t.Fatalf("List(\"\") not sorted: %q before %q", all[i-1].Key, all[i].Key)
			}
		}
	})

	t.Run("LargeMultipart", func(t *testing.T) {
		data := make([]byte, 12<<20+12345) // several 5 MiB parts and a short one
		if _, err := rand.Read(data); err != nil {
			t.Fatal(err)
		}
		if err := b.Put(ctx, "big/file.bin", bytes.NewReader(data), int64(len(data))); err != nil {
			t.Fatalf("Put large: %v", err)
		}
		rc, err := b.Get(ctx, "big/file.bin")
		if err != nil {
			t.Fatalf("Get large: %v", err)
		}
		h := sha256.New()
		n, err := io.Copy(h, rc)
		rc.Close()
		if err != nil {
			t.Fatalf("read large: %v", err)
		}
		if want := sha256.Sum256(data); n != int64(len(data)) || !bytes.Equal(h.Sum(nil), want[:]) {
			t.Errorf("large round trip: got %d bytes sha256 %x, want %d bytes %x", n, h.Sum(nil), len(data), want)
		}
		if diff := cmp.Diff([]Object{{Key: "big/file.bin", Size: int64(len(data))}}, list(t, "big/")); diff != "" {
			t.Errorf("List large (-want +got):\n%s", diff)
		}
	})

	t.Run("Copy", func(t *testing.T) {
		c, ok := b.(Copier)
		if !ok {
			t.Skip("bucket does not implement Copier")
		}
		put(t, "cp/src file=1", "payload")
		put(t, "cp/dst/x", "old")
		if err := c.Copy(ctx, "cp/src file=1", "cp/dst/x"); err != nil {
			t.Fatalf("Copy: %v", err)
		}
		if got, err := get(t, "cp/dst/x"); err != nil || got != "payload" {
			t.Errorf("Get copy: got %q, %v; want %q", got, err, "payload")
		}
		if err := b.Delete(ctx, "cp/src file=1"); err != nil {
			t.Fatal(err)
		}
		if got, err := get(t, "cp/dst/x"); err != nil || got != "payload" {
			t.Errorf("copy after source deleted: got %q, %v; want %q", got, err, "payload")
		}
		if err := c.Copy(ctx, "cp/missing", "cp/dst/y"); !errors.Is(err, ErrNotExist) {
			t.Errorf("Copy missing source: got %v, want ErrNotExist", err)
		}
	})

	t.Run("BadKeys", func(t *testing.T) {
		for _, k := range []string{"", "/abs", "a//b", "../up", "a/./b", "trailing/"} {
			if err := b.Put(ctx, k, bytes.NewReader(nil), 0); err == nil {
				t.Errorf("Put(%q): got nil error, want an invalid key error", k)
			}
		}
	})
}

func TestFileBucket(t *testing.T) {
	b, err := NewFileBucket(filepath.Join(t.TempDir(), "lake"))
	if err != nil {
		t.Fatal(err)
	}
	testBucket(t, b)
}

func TestS3Bucket(t *testing.T) {
	srv := s3test.Start(t)
	b, err := NewS3Bucket(context.Background(), srv.Bucket, "some prefix/lake", s3Config(srv))
	if err != nil {
		t.Fatal(err)
	}
	testBucket(t, b)
}

func s3Config(srv *s3test.Server) S3Config {
	return S3Config{
		Region:      srv.Region,
		Endpoint:    srv.Endpoint,
		PathStyle:   true,
		PartSize:    5 << 20,
		Credentials: srv.Credentials(),
	}
}

func TestOpenLocation(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
	tests := []struct {
		loc     string
		wantErr bool
		want    string
	}{
		{loc: dir + "/a", want: "file://" + dir + "/a"},
		{loc: "file://" + dir + "/b", want: "file://" + dir + "/b"},
		{loc: "s3://bucket/pre/fix/", want: "s3://bucket/pre/fix"},
		{loc: "s3://bucket", want: "s3://bucket/"},
		{loc: "", wantErr: true},
		{loc: "s3:///prefix", wantErr: true},
		{loc: "s3://bucket/a//b", wantErr: true},
		{loc: "gs://bucket/x", wantErr: true},
		{loc: "file://remote/x", wantErr: true},
		{loc: "file://host/x", wantErr: true},
		{loc: "s3://b/a/../b", wantErr: true},
		{loc: "s3://b/./b", wantErr: true},
		{loc: "s3://b:9000/x", wantErr: true},
		{loc: "file:///", wantErr: true},
		{loc: "/", wantErr: true},
		{loc: "/..", wantErr: true},
		{loc: file, wantErr: true},
		{loc: "/dev/null", wantErr: true},
		{loc: "s3://AKIDLEAK:s3cretLEAK@bucket/p", wantErr: true},
		{loc: "file://user:s3cretLEAK@localhost/tmp/x", wantErr: true},
		{loc: "s3://user:s3cretLEAK@bucket/%zz", wantErr: true},
	}
	for _, tt := range tests {
		b, err := OpenLocation(ctx, tt.loc, S3Config{Region: "us-east-1"})
		if tt.wantErr {
			if err == nil {
				t.Errorf("OpenLocation(%q): got nil error, want one", tt.loc)
			} else if !IsPermanent(err) {
				t.Errorf("OpenLocation(%q): %v: want a permanent error", tt.loc, err)
			} else if strings.Contains(err.Error(), "LEAK") {
				t.Errorf("OpenLocation(%q): the error repeats the credentials: %v", tt.loc, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("OpenLocation(%q): %v", tt.loc, err)
			continue
		}
		if got := b.(interface{ String() string }).String(); got != tt.want {
			t.Errorf("OpenLocation(%q) = %s, want %s", tt.loc, got, tt.want)
		}
	}
	if _, err := OpenLocation(ctx, "s3://b/p", S3Config{SSE: "rot13"}); err == nil {
		t.Error("OpenLocation with SSE rot13: got nil error, want one")
	}
	if _, err := OpenLocation(ctx, "s3://b/p", S3Config{Endpoint: "http://AKIDLEAK:s3cretLEAK@127.0.0.1:1/%zz"}); err == nil || strings.Contains(err.Error(), "LEAK") {
		t.Errorf("OpenLocation with credentials in the S3 endpoint: got %v, want an error that does not repeat them", err)
	}
}

func TestRedactLocation(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"s3://key:secret@bucket/p", "s3://REDACTED@bucket/p"},
		{"s3://key:sec@ret@bucket", "s3://REDACTED@bucket"},
		{"http://u:KEY@127.0.0.1:1/rest/%zz/", "http://REDACTED@127.0.0.1:1/rest/%zz/"},
		{"s3://bucket/a@b", "s3://bucket/a@b"},
		{"/data/lake@x", "/data/lake@x"},
	} {
		if got := RedactLocation(tt.in); got != tt.want {
			t.Errorf("RedactLocation(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
