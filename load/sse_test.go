package load

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"
)

// TestS3SendsSSEHeaders checks that SSE settings reach every write request
// (single PUT, multipart create, copy) against a recording HTTP server.
func TestS3SendsSSEHeaders(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]string{} // request kind -> SSE headers
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		kind := r.Method
		switch {
		case r.URL.Query().Has("uploads"):
			kind = "create-multipart"
			w.Write([]byte(`<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>u1</UploadId></InitiateMultipartUploadResult>`))
		case r.Header.Get("X-Amz-Copy-Source") != "":
			kind = "copy"
			w.Write([]byte(`<CopyObjectResult><ETag>"e"</ETag></CopyObjectResult>`))
		case r.URL.Query().Has("partNumber"):
			kind = "part"
			w.Header().Set("ETag", `"e"`)
		case r.Method == http.MethodPut:
			kind = "put"
			w.Header().Set("ETag", `"e"`)
		}
		mu.Lock()
		seen[kind] = r.Header.Get("X-Amz-Server-Side-Encryption") + " " + r.Header.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id")
		mu.Unlock()
	}))
	defer srv.Close()
	b, err := NewS3Bucket(context.Background(), "b", "p", S3Config{
		Region: "us-east-1", Endpoint: srv.URL, PathStyle: true, SSE: "aws:kms", KMSKeyID: "key-1",
		Credentials: credentials.NewStaticCredentialsProvider("a", "s", ""), MaxAttempts: 1, PartSize: 5 << 20,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := b.Put(ctx, "x", strings.NewReader("data"), 4); err != nil {
		t.Fatal(err)
	}
	if err := b.PutIfAbsent(ctx, "y", []byte("data")); err != nil {
		t.Fatal(err)
	}
	if err := b.Copy(ctx, "x", "z"); err != nil {
		t.Fatal(err)
	}
	// Start of a multipart upload (the server does not complete it).
	_ = b.Put(ctx, "big", bytes.NewReader(make([]byte, 6<<20)), 6<<20)
	for _, kind := range []string{"put", "copy", "create-multipart"} {
		if got := seen[kind]; got != "aws:kms key-1" {
			t.Errorf("%s request SSE headers: got %q, want %q", kind, got, "aws:kms key-1")
		}
	}
}
