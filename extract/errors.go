package extract

import (
	"context"
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
}

func (e *APIError) Error() string {
	code := e.Code
	if code == "" {
		code = "no code"
	}
	return fmt.Sprintf("extract: %s: HTTP %d %s: %s", e.Method, e.StatusCode, code, e.Message)
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
	CauseTruncated   = "truncated_body"
	CauseMalformed   = "malformed_body"
	CauseEmpty       = "empty_body"
)

// transportError is a failure below the API: connection refused or reset,
// a timeout, a body cut short or corrupted. It is transient.
type transportError struct {
	cause string
	err   error
}

func (e *transportError) Error() string { return e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }
func (e *transportError) Is(target error) bool {
	return target == ErrTransient
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
		return true, te.cause
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
