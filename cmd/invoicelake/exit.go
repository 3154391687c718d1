package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/invoicelake/invoicelake/extract"
	"github.com/invoicelake/invoicelake/load"
	"github.com/invoicelake/invoicelake/transform"
)

// Exit codes, one place for the whole program.
const (
	exitOK        = 0
	exitTransient = 1   // worth a retry: network, 5xx, rate limits, a held lock
	exitUsage     = 2   // usage, configuration, credentials, permanent API, lake or data errors
	exitMismatch  = 3   // verify: the lake differs from the API or breaks a row rule
	exitCancelled = 130 // SIGINT/SIGTERM
)

// usageError marks errors of the command line or configuration.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// accountsError reports the accounts of a run that failed; the others
// published.
type accountsError struct {
	ok     []string
	failed []accountFailure
}

type accountFailure struct {
	label string
	err   error
}

func (e *accountsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d accounts failed", len(e.failed), len(e.failed)+len(e.ok))
	for _, f := range e.failed {
		fmt.Fprintf(&b, "; account %s: %v", f.label, f.err)
	}
	if len(e.ok) > 0 {
		fmt.Fprintf(&b, " (accounts %s succeeded)", strings.Join(e.ok, ", "))
	}
	return b.String()
}

func (e *accountsError) Unwrap() []error {
	out := make([]error, len(e.failed))
	for i, f := range e.failed {
		out[i] = f.err
	}
	return out
}

// code is the exit code of several accounts' failures: 1 when a retry may
// help one of them (the others' periods are replaced, never duplicated, by
// the retry), else the first failure's code.
func (e *accountsError) code() int {
	codes := make([]int, len(e.failed))
	for i, f := range e.failed {
		codes[i] = exitCode(f.err)
	}
	for _, c := range codes {
		if c == exitTransient || c == exitCancelled {
			return c
		}
	}
	return codes[0]
}

// exitCode classifies err once, for the whole program. Each stage says
// which of its errors are permanent; cmd adds only what no stage can know.
// Several accounts' failures exit with accountsError.code.
func exitCode(err error) int {
	var ae *accountsError
	if errors.As(err, &ae) {
		return ae.code()
	}
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, context.Canceled):
		return exitCancelled
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, ErrMismatch):
		return exitMismatch
	case extract.IsPermanent(err), load.IsPermanent(err), isPermanentTransform(err):
		return exitUsage
	case isTLSMisconfiguration(err):
		return exitUsage
	}
	return exitTransient
}

func isPermanentTransform(err error) bool { return transform.IsPermanent(err) }

// isTLSMisconfiguration reports an https:// endpoint that answers in plain
// HTTP (or not in TLS at all), or whose certificate does not verify: the
// URL or the trust store is wrong, and a retry meets the same server.
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

// remedy returns what to do about a permanent error when its message does
// not already say it.
func remedy(err error) string {
	switch {
	case isTLSMisconfiguration(err) && strings.Contains(err.Error(), "HTTP response to HTTPS"):
		return "the endpoint speaks plain HTTP: use an http:// URL, or point the https:// URL at a TLS endpoint"
	case isTLSMisconfiguration(err):
		return "the endpoint's certificate does not verify: check the URL's host, or add its CA (AWS_CA_BUNDLE for S3)"
	case errors.Is(err, load.ErrNotALake), errors.Is(err, load.ErrNoLake), errors.As(err, new(*load.CorruptError)), errors.As(err, new(*load.ShrinkError)):
		return "" // their messages say what to do
	case load.IsPermanent(err):
		return "the lake location cannot be written as it is: check the path or bucket, its permissions and the credentials"
	}
	return ""
}

// exit prints err once and returns its exit code.
func (m *Main) exit(err error) int {
	code := exitCode(err)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		hint := ""
		switch code {
		case exitTransient:
			hint = " (transient: a retry may succeed)"
		case exitCancelled:
			hint = " (cancelled)"
		case exitUsage:
			if errors.As(err, new(usageError)) {
				break
			}
			if r := remedy(err); r != "" {
				hint = " (permanent: " + r + ")"
			} else {
				hint = " (permanent: a retry fails the same way)"
			}
		case exitMismatch:
			hint = " (rerun `invoicelake export` for the periods shown, then verify again)"
		}
		fmt.Fprintf(m.Stderr, "invoicelake: %v%s\n", err, hint)
	}
	return code
}
