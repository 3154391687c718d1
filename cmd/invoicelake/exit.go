package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/aws/smithy-go"
	"github.com/invoicelake/invoicelake/extract"
	"github.com/invoicelake/invoicelake/transform"
)

// Exit codes, one place for the whole program.
const (
	exitOK        = 0
	exitTransient = 1   // worth a retry: network, 5xx, rate limits, a held lock
	exitUsage     = 2   // usage, configuration, credentials, permanent API or data errors
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

// permanentS3Codes are S3 error codes that a retry cannot fix.
var permanentS3Codes = map[string]bool{
	"AccessDenied": true, "InvalidAccessKeyId": true, "SignatureDoesNotMatch": true,
	"NoSuchBucket": true, "InvalidBucketName": true, "AllAccessDisabled": true,
	"KMS.NotFoundException": true, "KMS.DisabledException": true, "InvalidArgument": true,
}

// exitCode classifies err once, for the whole program.
func exitCode(err error) int {
	var (
		ue  usageError
		api smithy.APIError
	)
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
	case extract.IsPermanent(err):
		return exitUsage
	case isPermanentTransform(err):
		return exitUsage
	case errors.As(err, &api) && permanentS3Codes[api.ErrorCode()]:
		return exitUsage
	}
	return exitTransient
}

func isPermanentTransform(err error) bool { return transform.IsPermanent(err) }

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
		case exitMismatch:
			hint = " (rerun `invoicelake export` for the periods shown, then verify again)"
		}
		fmt.Fprintf(m.Stderr, "invoicelake: %v%s\n", err, hint)
	}
	return code
}
