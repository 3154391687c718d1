package load

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/aws/smithy-go"
)

// ErrPermanent is matched (errors.Is) by the load errors that no retry can
// fix: a location that cannot hold a lake, a location that is not ours, a
// corrupt file of the lake, refused data. IsPermanent also recognises the
// object stores' and the file system's own permanent errors.
var ErrPermanent = errors.New("permanent")

// IsPermanent reports whether err, returned by this package, cannot be
// fixed by running again: the location, its permissions, its credentials
// or what it holds must change first. Everything else (network, 5xx,
// throttling, a held lock) may succeed on a later run.
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrPermanent) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && permanentS3Codes[ae.ErrorCode()] {
		return true
	}
	for _, e := range []error{syscall.EROFS, syscall.EACCES, syscall.EPERM, syscall.ENOTDIR, syscall.EISDIR} {
		if errors.Is(err, e) {
			return true
		}
	}
	return isTLSMisconfiguration(err)
}

// permanentS3Codes are S3 error codes that a retry cannot fix.
var permanentS3Codes = map[string]bool{
	"AccessDenied": true, "InvalidAccessKeyId": true, "SignatureDoesNotMatch": true,
	"NoSuchBucket": true, "InvalidBucketName": true, "AllAccessDisabled": true,
	"KMS.NotFoundException": true, "KMS.DisabledException": true, "InvalidArgument": true,
	"AuthorizationHeaderMalformed": true, "InvalidRequest": true,
}

// isTLSMisconfiguration reports an https:// URL pointed at a server that
// does not speak TLS, or a certificate that does not verify: the URL or the
// trust store is wrong, and a retry meets the same server.
func isTLSMisconfiguration(err error) bool {
	var (
		rh tls.RecordHeaderError
		ua x509.UnknownAuthorityError
		hn x509.HostnameError
		ci x509.CertificateInvalidError
	)
	if errors.As(err, &rh) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci) {
		return true
	}
	// net/http reports a plain-HTTP answer to a TLS hello with this text
	// and no type of its own.
	return strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
}

// permanent marks err as permanent, keeping it for errors.Is/As.
func permanent(err error) error { return &permanentError{err} }

type permanentError struct{ err error }

func (e *permanentError) Error() string   { return e.err.Error() }
func (e *permanentError) Unwrap() []error { return []error{e.err, ErrPermanent} }

func permanentf(format string, args ...any) error { return permanent(fmt.Errorf(format, args...)) }

// CorruptError reports a file of the lake (a manifest, the lock, the lake
// marker, a JSON object of cmd's) that cannot be decoded. It is permanent:
// the message says how to repair it.
type CorruptError struct {
	Key    string // the object, relative to the location
	Err    error  // what the decoder said
	Remedy string // what to do about it
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("%s is corrupt (%v): %s", e.Key, e.Err, e.Remedy)
}

func (e *CorruptError) Unwrap() []error { return []error{e.Err, ErrPermanent} }
