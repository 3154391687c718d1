package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
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
	m.tty.clear() // a progress bar a failed run left
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
			if r := remedy(err); r != "" && headline(err) == "" {
				hint = " (permanent: " + r + ")"
			} else {
				hint = " (permanent: a retry fails the same way)"
			}
		case exitMismatch:
			hint = " (rerun `invoicelake export` for the periods shown, then verify again)"
		}
		if h := headline(err); h != "" {
			fmt.Fprintf(m.Stderr, "invoicelake: %s\n  error: %v%s\n", h, err, hint)
		} else {
			fmt.Fprintf(m.Stderr, "invoicelake: %v%s\n", err, hint)
		}
	}
	return code
}

// headline is one short line that says what is wrong and what to do, for
// the errors an operator meets first (the endpoint, the credentials);
// printed before the error itself. "" when the error says it already.
func headline(err error) string {
	var ae *extract.APIError
	if errors.As(err, &ae) {
		base, host := endpointOf(ae.URL)
		switch {
		case ae.StatusCode == http.StatusUnauthorized || ae.StatusCode == http.StatusForbidden ||
			strings.Contains(ae.Code, "Authentication") || ae.Code == extract.CodeInvalidToken:
			return fmt.Sprintf("the SoftLayer API refused the credentials (HTTP %d): SL_USERNAME is your classic user name (123456_me@example.com) "+
				"with its API key in SL_API_KEY, or the literal \"apikey\" with an IBM Cloud API key; an IAM token (source.bearer_token_file) may have expired",
				ae.StatusCode)
		case ae.StatusCode == http.StatusNotFound && ae.Code == "":
			return fmt.Sprintf("%s is not the SoftLayer REST API (HTTP 404 for GET %s): give the API's base URL, of the form "+
				"https://api.softlayer.com/rest/v3.1/ (here probably %s), in source.endpoint or SL_ENDPOINT_URL", base, pathOf(ae.URL), expectedEndpoint(ae.URL, "", host))
		case ae.StatusCode == http.StatusBadRequest && strings.Contains(ae.Message, "HTTP request to an HTTPS server"):
			return fmt.Sprintf("%s speaks HTTPS, not plain HTTP: use %s (source.endpoint, SL_ENDPOINT_URL)", host, expectedEndpoint(ae.URL, "https", host))
		}
		return ""
	}
	var ue *url.Error
	hasURL := errors.As(err, &ue)
	switch {
	case isTLSMisconfiguration(err) && strings.Contains(err.Error(), "HTTP response to HTTPS"):
		host := "the endpoint"
		want := "an http:// URL"
		if hasURL {
			_, host = endpointOf(ue.URL)
			want = "an http:// URL: " + expectedEndpoint(ue.URL, "http", host)
		}
		return fmt.Sprintf("%s answers in plain HTTP, not TLS: use %s, or point the https:// URL at a TLS endpoint (source.endpoint, SL_ENDPOINT_URL)", host, want)
	case extract.IsConnectError(err):
		host, what := "", "cannot connect"
		var dns *net.DNSError
		var op *net.OpError
		switch {
		case errors.As(err, &dns):
			host, what = dns.Name, "the name does not resolve"
			if !dns.IsNotFound {
				what = "the name could not be resolved"
			}
		case errors.As(err, &op) && op.Err != nil:
			what = op.Err.Error()
			if i := strings.LastIndex(what, ": "); i >= 0 {
				what = what[i+2:] // "connect: connection refused" -> "connection refused"
			}
		}
		if hasURL {
			_, host = endpointOf(ue.URL)
		} else if op != nil && op.Addr != nil && host == "" {
			host = op.Addr.String()
		}
		if host == "" {
			return ""
		}
		where := "the host and port"
		if hasURL && strings.Contains(ue.URL, "/SoftLayer_") {
			where = "the SoftLayer endpoint (source.endpoint, SL_ENDPOINT_URL)"
		}
		return fmt.Sprintf("cannot connect to %s: %s: check %s and the network", host, what, where)
	}
	return ""
}

// endpointOf returns the endpoint of an API request's URL (what comes
// before the service's name) and its host.
func endpointOf(raw string) (base, host string) {
	u, err := url.Parse(raw)
	if err != nil {
		return "the endpoint", "the endpoint"
	}
	base = raw
	if i := strings.Index(raw, "/SoftLayer_"); i >= 0 {
		base = raw[:i+1]
	}
	return base, u.Host
}

// pathOf returns the path of a URL.
func pathOf(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.EscapedPath()
	}
	return raw
}

// expectedEndpoint is the endpoint with the REST API's base path on host,
// with scheme (or the URL's own).
func expectedEndpoint(raw, scheme, host string) string {
	if scheme == "" {
		scheme = "https"
		if u, err := url.Parse(raw); err == nil && u.Scheme != "" {
			scheme = u.Scheme
		}
	}
	return scheme + "://" + host + "/rest/v3.1/"
}
