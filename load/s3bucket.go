package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	tmtypes "github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

const (
	defaultPartSize    = 16 << 20
	defaultConcurrency = 2
)

// S3Bucket is a Bucket under a prefix of an S3 bucket (AWS S3, IBM Cloud
// Object Storage, MinIO, versitygw), through aws-sdk-go-v2. Requests are
// retried by the SDK's standard retryer only. Objects larger than one part
// are uploaded with multipart uploads (feature/s3/transfermanager), which
// are aborted on failure; AbortIncompleteUploads removes those a dead
// process left.
type S3Bucket struct {
	client *s3.Client
	tm     *transfermanager.Client
	bucket string
	prefix string // "" or "a/b/" (with the trailing slash)
	cfg    S3Config
}

// NewS3Bucket opens bucket/prefix with cfg and the SDK's standard
// configuration chain. It does not contact the server, but resolves the
// credentials at once: none at all is a permanent error naming where they
// are looked for.
func NewS3Bucket(ctx context.Context, bucket, prefix string, cfg S3Config) (*S3Bucket, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var opts []func(*config.LoadOptions) error
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, config.WithHTTPClient(cfg.HTTPClient))
	}
	if cfg.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(cfg.Credentials))
	}
	if cfg.MaxAttempts > 0 {
		opts = append(opts, config.WithRetryMaxAttempts(cfg.MaxAttempts))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load: s3 config: %w", err)
	}
	if awsCfg.Region == "" {
		awsCfg.Region = "us-east-1" // custom endpoints still sign with a region
	}
	if _, err := awsCfg.Credentials.Retrieve(ctx); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("load: s3 credentials: %w", ctx.Err())
		}
		return nil, permanentf("load: s3: no usable credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "+
			"AWS_PROFILE, or a web identity (IRSA): %w", err)
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.PathStyle
		// Objects uploaded in parts have composite checksums the SDK
		// cannot validate on GET; the lake checks SHA-256 itself.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	if cfg.PartSize == 0 {
		cfg.PartSize = defaultPartSize
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = defaultConcurrency
	}
	tm := transfermanager.New(client, func(o *transfermanager.Options) {
		o.PartSizeBytes = cfg.PartSize
		o.MultipartUploadThreshold = cfg.PartSize
		o.Concurrency = cfg.Concurrency
	})
	if prefix != "" {
		prefix = strings.Trim(prefix, "/") + "/"
	}
	return &S3Bucket{client: client, tm: tm, bucket: bucket, prefix: prefix, cfg: cfg}, nil
}

func (b *S3Bucket) String() string {
	return "s3://" + b.bucket + "/" + strings.TrimSuffix(b.prefix, "/")
}

func (b *S3Bucket) key(key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	return b.prefix + key, nil
}

func (b *S3Bucket) sse() (types.ServerSideEncryption, *string) {
	var kms *string
	if b.cfg.KMSKeyID != "" {
		kms = aws.String(b.cfg.KMSKeyID)
	}
	return types.ServerSideEncryption(b.cfg.SSE), kms
}

// Put implements Bucket; bodies larger than one part go up in parts.
func (b *S3Bucket) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	full, err := b.key(key)
	if err != nil {
		return fmt.Errorf("load: s3 put %s: %w", key, err)
	}
	sse, kms := b.sse()
	in := &transfermanager.UploadObjectInput{
		Bucket:               aws.String(b.bucket),
		Key:                  aws.String(full),
		Body:                 r,
		ServerSideEncryption: tmtypes.ServerSideEncryption(sse),
		SSEKMSKeyID:          kms,
	}
	if size >= 0 {
		in.ContentLength = aws.Int64(size)
	}
	if _, err := b.tm.UploadObject(ctx, in); err != nil {
		return fmt.Errorf("load: s3 put s3://%s/%s: %w", b.bucket, full, classify(err))
	}
	return nil
}

// PutIfAbsent implements Bucket with a conditional write (If-None-Match: *).
func (b *S3Bucket) PutIfAbsent(ctx context.Context, key string, data []byte) error {
	full, err := b.key(key)
	if err != nil {
		return fmt.Errorf("load: s3 put if absent %s: %w", key, err)
	}
	sse, kms := b.sse()
	_, err = b.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:               aws.String(b.bucket),
		Key:                  aws.String(full),
		Body:                 bytes.NewReader(data),
		ContentLength:        aws.Int64(int64(len(data))),
		IfNoneMatch:          aws.String("*"),
		ServerSideEncryption: sse,
		SSEKMSKeyId:          kms,
	})
	if err != nil {
		return fmt.Errorf("load: s3 put if absent s3://%s/%s: %w", b.bucket, full, classify(err))
	}
	return nil
}

// Get implements Bucket.
func (b *S3Bucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	full, err := b.key(key)
	if err != nil {
		return nil, fmt.Errorf("load: s3 get %s: %w", key, err)
	}
	out, err := b.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(full)})
	if err != nil {
		return nil, fmt.Errorf("load: s3 get s3://%s/%s: %w", b.bucket, full, classify(err))
	}
	return out.Body, nil
}

// Delete implements Bucket (S3 deletes of absent keys succeed).
func (b *S3Bucket) Delete(ctx context.Context, key string) error {
	full, err := b.key(key)
	if err != nil {
		return fmt.Errorf("load: s3 delete %s: %w", key, err)
	}
	_, err = b.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(full)})
	if err != nil {
		if err := classify(err); errors.Is(err, ErrNotExist) {
			return nil
		}
		return fmt.Errorf("load: s3 delete s3://%s/%s: %w", b.bucket, full, classify(err))
	}
	return nil
}

// Copy implements Copier with a server-side CopyObject (objects up to 5 GiB;
// the lake's files are far smaller, see Options.TargetFileBytes).
func (b *S3Bucket) Copy(ctx context.Context, src, dst string) error {
	fs, err := b.key(src)
	if err != nil {
		return fmt.Errorf("load: s3 copy %s: %w", src, err)
	}
	fd, err := b.key(dst)
	if err != nil {
		return fmt.Errorf("load: s3 copy %s: %w", dst, err)
	}
	sse, kms := b.sse()
	_, err = b.client.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket:               aws.String(b.bucket),
		Key:                  aws.String(fd),
		CopySource:           aws.String(b.bucket + "/" + escapePath(fs)),
		ServerSideEncryption: sse,
		SSEKMSKeyId:          kms,
	})
	if err != nil {
		return fmt.Errorf("load: s3 copy s3://%s/%s to %s: %w", b.bucket, fs, fd, classify(err))
	}
	return nil
}

// escapePath URL-escapes each segment of a key for x-amz-copy-source.
func escapePath(key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// List implements Bucket; S3 lists in UTF-8 binary order, which is Go's
// string order.
func (b *S3Bucket) List(ctx context.Context, prefix string) iter.Seq2[Object, error] {
	return func(yield func(Object, error) bool) {
		p := s3.NewListObjectsV2Paginator(b.client, &s3.ListObjectsV2Input{
			Bucket: aws.String(b.bucket),
			Prefix: aws.String(b.prefix + prefix),
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				yield(Object{}, fmt.Errorf("load: s3 list s3://%s/%s: %w", b.bucket, b.prefix+prefix, classify(err)))
				return
			}
			for _, o := range page.Contents {
				key := strings.TrimPrefix(aws.ToString(o.Key), b.prefix)
				if !yield(Object{Key: key, Size: aws.ToInt64(o.Size)}, nil) {
					return
				}
			}
		}
	}
}

// AbortIncompleteUploads aborts the multipart uploads under prefix that a
// dead process left (their parts are billed storage and invisible to List).
// It returns how many it aborted. Call it only while holding the lake's lock.
func (b *S3Bucket) AbortIncompleteUploads(ctx context.Context, prefix string) (int, error) {
	n := 0
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(b.bucket), Prefix: aws.String(b.prefix + prefix)}
	for {
		out, err := b.client.ListMultipartUploads(ctx, in)
		if err != nil {
			return n, fmt.Errorf("load: s3 list uploads s3://%s/%s: %w", b.bucket, b.prefix+prefix, classify(err))
		}
		for _, u := range out.Uploads {
			_, err := b.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
				Bucket: aws.String(b.bucket), Key: u.Key, UploadId: u.UploadId,
			})
			if err != nil && !errors.Is(classify(err), ErrNotExist) {
				return n, fmt.Errorf("load: s3 abort upload s3://%s/%s: %w", b.bucket, aws.ToString(u.Key), classify(err))
			}
			n++
		}
		if !aws.ToBool(out.IsTruncated) {
			return n, nil
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
}

// classify adds the bucket contract's sentinels to S3 errors, keeping the
// original for the message and for errors.As.
func classify(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchBucket", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch":
			return err
		case "NoSuchKey", "NotFound", "NoSuchUpload":
			return &classified{err: err, class: ErrNotExist}
		case "PreconditionFailed", "ConditionalRequestConflict":
			return &classified{err: err, class: ErrExists}
		}
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		switch re.HTTPStatusCode() {
		case http.StatusNotFound: // HEAD-style responses carry no error code
			return &classified{err: err, class: ErrNotExist}
		case http.StatusPreconditionFailed:
			return &classified{err: err, class: ErrExists}
		}
	}
	return err
}

type classified struct {
	err   error
	class error
}

func (c *classified) Error() string   { return c.err.Error() }
func (c *classified) Unwrap() []error { return []error{c.class, c.err} }
