package extract

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
)

// Error classes, for errors.Is. cmd maps ErrPermanent to exit 2 (bad
// credentials, missing objects, requests the API rejects, undecodable
// values) and ErrTransient to exit 1 (the retry budget ran out on faults
// that may clear). A cancelled context is neither: errors.Is(err,
// context.Canceled) holds instead.
var (
	ErrPermanent = errors.New("permanent error")
	ErrTransient = errors.New("transient error")
)

// IsPermanent reports whether err is permanent: retrying will not help.
func IsPermanent(err error) bool { return errors.Is(err, ErrPermanent) }

// IsTransient reports whether err is transient: a later run may succeed.
func IsTransient(err error) bool { return errors.Is(err, ErrTransient) }

// SoftLayer exception codes the client branches on.
const (
	CodeRateLimit      = "SoftLayer_Exception_WebService_RateLimitExceeded"
	CodePublic         = "SoftLayer_Exception_Public"
	CodeObjectMask     = "SoftLayer_Exception_WebService_ObjectMask"
	CodeObjectFilter   = "SoftLayer_Exception_WebService_ObjectFilter"
	CodeBadRequest     = "SoftLayer_Exception_WebService_BadRequest"
	CodeObjectNotFound = "SoftLayer_Exception_ObjectNotFound"
	CodeInvalidValue   = "SoftLayer_Exception_InvalidValue"
	CodeTokenInvalid   = "SoftLayer_Exception_Account_Authentication_AccessTokenValidation"
	CodeInvalidToken   = "SoftLayer_Exception_InvalidLegacyToken"
)

// APIError is an error the SoftLayer API returned: an HTTP status outside
// 2xx, or a 200 whose body is an error object. It matches ErrPermanent or
// ErrTransient with errors.Is. The message is the API's; it never holds
// credentials.
type APIError struct {
	StatusCode int    // HTTP status (200 for an error inside a 200)
	Code       string // SoftLayer exception class, may be empty
	Message    string // the API's "error" text
	Method     string // "SoftLayer_Account::getInvoices"
	// URL is the request's URL without its query (scheme, host, path):
	// what the API answered for, safe to print.
	URL string
}

// Error is the status, the code and the API's message; the call that got
// it (method, offset) wraps it.
func (e *APIError) Error() string {
	code := e.Code
	if code == "" {
		code = "no code"
	}
	return fmt.Sprintf("HTTP %d %s: %s", e.StatusCode, code, e.Message)
}

// Is makes an APIError match its class.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrPermanent:
		return e.permanent()
	case ErrTransient:
		return !e.permanent()
	}
	return false
}

// RateLimited reports whether the API refused the call for its rate limit.
func (e *APIError) RateLimited() bool { return e.Code == CodeRateLimit }

// TooMuchData reports the API's generic "Internal Error", which the SLDN
// documents as "generally ... requesting too much data": the pager answers
// it by halving the page.
func (e *APIError) TooMuchData() bool {
	return e.Code == CodePublic && strings.EqualFold(strings.TrimSpace(e.Message), "Internal Error")
}

func (e *APIError) permanent() bool {
	switch e.Code {
	case CodeRateLimit:
		return false
	case CodeObjectMask, CodeObjectFilter, CodeBadRequest, CodeObjectNotFound, CodeInvalidValue,
		CodeTokenInvalid, CodeInvalidToken:
		return true
	}
	if strings.Contains(e.Code, "ObjectMask") || strings.Contains(e.Code, "ObjectFilter") ||
		strings.Contains(e.Code, "Authentication") {
		return true
	}
	switch {
	case e.StatusCode == http.StatusRequestTimeout || e.StatusCode == http.StatusTooManyRequests:
		return false
	case e.StatusCode >= 400 && e.StatusCode < 500:
		return true
	}
	m := strings.ToLower(e.Message)
	if strings.Contains(m, "not a valid method") || strings.Contains(m, "service does not exist") ||
		strings.Contains(m, "access denied") || strings.Contains(m, "invalid api token") {
		return true
	}
	return false
}

// Retry causes, the keys of Stats.Retries.
const (
	CauseRateLimit   = "rate_limit"
	CauseServer      = "server_error"
	CauseTooMuchData = "too_much_data"
	CauseTimeout     = "timeout"
	CauseReset       = "connection_reset"
	// CauseConnect is a connection that could not be made: refused, no
	// route, a name that does not resolve. It is retried only once the
	// endpoint has answered: a first call that cannot connect fails at
	// once (the endpoint or the network is wrong, not a blip).
	CauseConnect   = "connect"
	CauseTruncated = "truncated_body"
	CauseMalformed = "malformed_body"
	CauseEmpty     = "empty_body"
	// CauseInconsistent is a page that does not agree with its own
	// SoftLayer-Total-Items (short, empty, null, not an array, no header).
	CauseInconsistent = "inconsistent_page"
)

// PagingError is a listing the API did not answer consistently: a page
// that does not agree with its SoftLayer-Total-Items (empty, null, short or
// not an array before the total is reached, or no total at all), a total
// that shrinks, rows that repeat or a row before an offset that is not the
// last row read (the list changed under paging, or the API ignored the
// offset), fewer items than the invoice's itemCount. Nothing from such a
// listing is yielded as complete: the sequence ends with the error. It is
// transient: a later run reads the list again.
type PagingError struct {
	Method string // "SoftLayer_Account::getInvoices"
	Msg    string
	// page is set for a single answer that is inconsistent in itself; the
	// retry layer asks for that page again.
	page bool
}

func (e *PagingError) Error() string {
	return fmt.Sprintf("extract: %s: incomplete listing: %s", e.Method, e.Msg)
}

// Is makes a PagingError match ErrTransient.
func (e *PagingError) Is(target error) bool { return target == ErrTransient }

// LimitError is an answer beyond a limit this client sets whatever the API
// sends (a body, a string, rows in a listing, the spill of one invoice).
// Asking again would get the same answer: it is permanent unless
// Transient says otherwise (a total above the invoice's own itemCount is
// the API contradicting itself, which may clear).
type LimitError struct {
	What      string // "response body", "rows in SoftLayer_Account::getInvoices", ...
	Limit     int64
	Got       int64 // at least this much; 0 when unknown
	Transient bool
	body      bool // a response body over MaxBodyBytes: the pager halves the page first
}

func (e *LimitError) Error() string {
	if e.Got > 0 {
		return fmt.Sprintf("extract: %s: %d is above the limit of %d", e.What, e.Got, e.Limit)
	}
	return fmt.Sprintf("extract: %s: above the limit of %d", e.What, e.Limit)
}

// Is makes a LimitError match its class.
func (e *LimitError) Is(target error) bool {
	switch target {
	case ErrPermanent:
		return !e.Transient
	case ErrTransient:
		return e.Transient
	}
	return false
}

// RedirectError is a 3xx answer. The SoftLayer API does not redirect, and
// the client follows no redirect: the credentials never leave for another
// host or port. It names the Location's host (never its user info, path or
// query) and is permanent: the endpoint is wrong or something between us
// and the API is.
type RedirectError struct {
	StatusCode int
	Method     string
	Host       string // host[:port] of Location, "" when absent or unparsable
}

func (e *RedirectError) Error() string {
	to := "no usable Location"
	if e.Host != "" {
		to = fmt.Sprintf("a redirect to host %q", e.Host)
	}
	return fmt.Sprintf("HTTP %d with %s: redirects are not followed (the SoftLayer API does not redirect; check the endpoint)",
		e.StatusCode, to) // the call that got it names the method
}

// Is makes a RedirectError match ErrPermanent.
func (e *RedirectError) Is(target error) bool { return target == ErrPermanent }

// maxMessage bounds the API's error text kept in an APIError.
const maxMessage = 512

// cleanMessage makes an error text from the API safe to print: valid
// UTF-8, at most maxMessage bytes.
func cleanMessage(s string) string {
	if len(s) > maxMessage {
		s = s[:maxMessage] + "..." // a rune cut in two becomes U+FFFD below
	}
	return strings.ToValidUTF8(s, "\ufffd")
}

// transportError is a failure below the API: connection refused or reset,
// a timeout, a body cut short or corrupted, all transient; or a TLS
// failure (an HTTPS endpoint answered in plain HTTP, a certificate that
// does not verify), which is permanent.
type transportError struct {
	cause     string
	err       error
	permanent bool
}

func (e *transportError) Error() string { return e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }
func (e *transportError) Is(target error) bool {
	if e.permanent {
		return target == ErrPermanent
	}
	return target == ErrTransient
}

// tlsMismatch reports a failure of the TLS handshake that no retry fixes:
// the server does not speak TLS (an https endpoint on an http server), or
// its certificate does not verify.
func tlsMismatch(err error) bool {
	var (
		rh   tls.RecordHeaderError
		cv   *tls.CertificateVerificationError
		ua   x509.UnknownAuthorityError
		he   x509.HostnameError
		ci   x509.CertificateInvalidError
		alrt tls.AlertError
	)
	return errors.Is(err, http.ErrSchemeMismatch) || errors.As(err, &rh) || errors.As(err, &cv) ||
		errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) || errors.As(err, &alrt)
}

// classify returns whether err, the error of one attempt, may clear on
// retry, and its cause for the retry counters. (The caller's context
// ending is checked before classify is asked: it is never retried.)
func classify(err error) (retry bool, cause string) {
	var api *APIError
	if errors.As(err, &api) {
		switch {
		case api.RateLimited():
			return true, CauseRateLimit
		case api.permanent():
			return false, ""
		case api.TooMuchData():
			return true, CauseTooMuchData
		case api.StatusCode == http.StatusGatewayTimeout || api.StatusCode == http.StatusRequestTimeout:
			return true, CauseTimeout
		}
		return true, CauseServer
	}
	var te *transportError
	if errors.As(err, &te) {
		return !te.permanent, te.cause
	}
	var pe *PagingError
	if errors.As(err, &pe) {
		return pe.page, CauseInconsistent
	}
	var se *SyntaxError
	if errors.As(err, &se) {
		if se.Msg == msgUnexpectedEnd {
			return true, CauseTruncated
		}
		return true, CauseMalformed
	}
	return false, ""
}

// transportCause names a failure of the HTTP round trip or the body read.
func transportCause(err error) string {
	var ne net.Error
	if IsConnectError(err) {
		return CauseConnect
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return CauseTimeout
	case errors.Is(err, io.ErrUnexpectedEOF):
		return CauseTruncated
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNABORTED):
		return CauseReset
	}
	return CauseReset
}

// IsConnectError reports a connection that could not be made: refused,
// no route to the host or network, a name that does not resolve.
func IsConnectError(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return !op.Timeout()
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH)
}
