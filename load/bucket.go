package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Bucket is the object store a lake lives in, seen from the loader: a flat
// namespace of path-shaped keys ("a/b/c", never OS paths). Implementations:
// the local folder (FileBucket) and S3 (S3Bucket). Every implementation
// passes the same acceptance test (bucket_test.go: testBucket).
//
// Retries are the implementation's business (the SDK's retryer for S3; none
// for the local folder): callers do not retry.
type Bucket interface {
	// Put writes size bytes from r under key, replacing any object there.
	// It is idempotent, and atomic for readers: they see the old object or
	// the whole new one, never a part.
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	// PutIfAbsent writes data under key only if no object is there
	// (S3: If-None-Match: *); it returns an error wrapping ErrExists if
	// one is.
	PutIfAbsent(ctx context.Context, key string, data []byte) error
	// Get opens the object; an error wraps ErrNotExist if it is absent.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes the object; it returns nil if it is absent.
	Delete(ctx context.Context, key string) error
	// List yields the objects whose key starts with prefix (a plain string
	// prefix, not a folder), sorted by key. The first error ends it.
	List(ctx context.Context, prefix string) iter.Seq2[Object, error]
}

// Copier is implemented by buckets that copy an object without moving its
// bytes through the client (S3 CopyObject, a hard link). The lake uses it to
// move staged files into place quickly; without it, it uploads them again.
type Copier interface {
	Copy(ctx context.Context, src, dst string) error
}

// Object is one entry of a listing.
type Object struct {
	Key  string
	Size int64
}

// Sentinel errors of the Bucket contract.
var (
	ErrExists   = errors.New("object already exists")
	ErrNotExist = errors.New("object does not exist")
)

// S3Config configures an S3 location. Zero values defer to the AWS SDK's
// standard configuration: region, endpoint (AWS_ENDPOINT_URL_S3,
// AWS_ENDPOINT_URL), credentials (environment, shared profiles, web
// identity / IRSA, container and instance roles), AWS_CA_BUNDLE, retries.
type S3Config struct {
	Region   string // "" = the SDK's (AWS_REGION, profile); us-east-1 if none
	Endpoint string // custom endpoint: IBM COS, MinIO, versitygw
	// PathStyle addresses buckets as endpoint/bucket/key; most non-AWS
	// servers need it.
	PathStyle bool
	// SSE is "" (the bucket's default), "AES256" (SSE-S3) or "aws:kms"
	// (SSE-KMS, with KMSKeyID or the account's default KMS key).
	SSE      string
	KMSKeyID string
	// HTTPClient replaces the SDK's HTTP client (e.g. for a private CA).
	HTTPClient *http.Client
	// PartSize is the multipart part size in bytes; objects larger than
	// one part are uploaded in parts. 0 means 16 MiB; the minimum is 5 MiB.
	PartSize int64
	// Concurrency bounds the parts in flight per upload (memory is about
	// PartSize x Concurrency). 0 means 2.
	Concurrency int
	// MaxAttempts overrides the SDK retryer's attempts per request (0: the
	// SDK's default, 3).
	MaxAttempts int
	// Credentials replaces the SDK's default credential chain (tests).
	Credentials aws.CredentialsProvider
}

// Validate reports a configuration the S3 bucket cannot use (a permanent
// error).
func (c S3Config) Validate() error {
	switch c.SSE {
	case "", "AES256", "aws:kms":
	default:
		return permanentf("load: s3 sse %q: want \"\", \"AES256\" or \"aws:kms\"", c.SSE)
	}
	if c.KMSKeyID != "" && c.SSE != "aws:kms" {
		return permanentf("load: s3 kms key id set but sse is %q, want \"aws:kms\"", c.SSE)
	}
	if c.PartSize != 0 && c.PartSize < 5<<20 {
		return permanentf("load: s3 part size %d: the minimum is 5 MiB", c.PartSize)
	}
	if c.Endpoint != "" {
		if hasUserInfo(c.Endpoint) {
			return permanentf("load: s3 endpoint %q: credentials in the URL are refused; the URL is not repeated", RedactLocation(c.Endpoint))
		}
		u, err := url.Parse(c.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return permanentf("load: s3 endpoint %q: want http(s)://host[:port]", RedactLocation(c.Endpoint))
		}
	}
	return nil
}

// OpenLocation opens the lake location: a local folder ("/data/lake",
// "./lake", "file:///data/lake"), created on the first write, or an S3
// prefix ("s3://bucket" or "s3://bucket/prefix"). s3 is used only for s3://
// URLs. A location that can never hold a lake is a permanent error (see
// IsPermanent): user info in the URL (refused without repeating it), a
// file:// URL naming another host, a prefix with empty, "." or ".."
// segments, the root folder, a path that is not a folder.
func OpenLocation(ctx context.Context, location string, s3 S3Config) (Bucket, error) {
	shown := RedactLocation(location)
	switch {
	case location == "":
		return nil, permanentf("load: open location: empty location")
	case hasUserInfo(location):
		return nil, permanentf("load: open location %q: credentials in the URL are refused (S3 credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile or a web identity); the URL is not repeated", shown)
	case strings.HasPrefix(location, "s3://"):
		rest := strings.TrimPrefix(location, "s3://")
		bucket, prefix, _ := strings.Cut(rest, "/")
		if bucket == "" {
			return nil, permanentf("load: open location %q: no bucket name", shown)
		}
		if !bucketNameRE.MatchString(bucket) {
			return nil, permanentf("load: open location %q: %q is not a bucket name", shown, bucket)
		}
		prefix = strings.TrimSuffix(prefix, "/")
		if err := checkPrefix(prefix); err != nil {
			return nil, permanentf("load: open location %q: %w", shown, err)
		}
		return NewS3Bucket(ctx, bucket, prefix, s3)
	case strings.HasPrefix(location, "file://"):
		u, err := url.Parse(location)
		if err != nil {
			return nil, permanentf("load: open location %q: not a valid file:// URL", shown)
		}
		if u.Host != "" && u.Host != "localhost" {
			return nil, permanentf("load: open location %q: a file:// URL names a folder on this machine, not on host %q (want file:///path)", shown, u.Host)
		}
		if u.Path == "" {
			return nil, permanentf("load: open location %q: no path", shown)
		}
		return openFolder(u.Path, shown)
	case strings.Contains(location, "://"):
		return nil, permanentf("load: open location %q: unsupported scheme (want a path, file:// or s3://)", shown)
	default:
		return openFolder(location, shown)
	}
}

var bucketNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$`)

func openFolder(dir, shown string) (Bucket, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, permanentf("load: open location %q: %w", shown, err)
	}
	if filepath.Dir(abs) == abs {
		return nil, permanentf("load: open location %q: the root folder %s cannot be a lake location (name a folder below it)", shown, abs)
	}
	return NewFileBucket(abs)
}

// hasUserInfo reports a URL with user info ("scheme://user:secret@host").
func hasUserInfo(location string) bool {
	_, rest, ok := strings.Cut(location, "://")
	if !ok {
		return false
	}
	authority, _, _ := strings.Cut(rest, "/")
	return strings.Contains(authority, "@")
}

// RedactLocation returns location with any user info of a URL replaced by
// "REDACTED", for messages. It does not need location to parse as a URL.
func RedactLocation(location string) string {
	scheme, rest, ok := strings.Cut(location, "://")
	if !ok {
		return location
	}
	authority, tail, slash := strings.Cut(rest, "/")
	i := strings.LastIndexByte(authority, '@')
	if i < 0 {
		return location
	}
	out := scheme + "://REDACTED@" + authority[i+1:]
	if slash {
		out += "/" + tail
	}
	return out
}

// checkKey rejects keys that are not clean path-shaped object names, so the
// local folder cannot be escaped and S3 and the folder agree on names.
func checkKey(key string) error {
	if key == "" {
		return errors.New("empty key")
	}
	if strings.HasPrefix(key, "/") || strings.HasSuffix(key, "/") || strings.Contains(key, "\\") ||
		strings.ContainsRune(key, 0) {
		return fmt.Errorf("key %q: want a relative path-shaped name", key)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("key %q: empty, . or .. segment", key)
		}
	}
	return nil
}

func checkPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	return checkKey(prefix)
}
