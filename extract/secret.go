package extract

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
)

const redacted = "[REDACTED]"

// Secret is a credential. Every way of printing it (fmt verbs, slog, JSON,
// text marshalling) gives "[REDACTED]"; only Reveal returns the value.
type Secret string

// Reveal returns the secret's value, for the Authorization header only.
func (s Secret) Reveal() string { return string(s) }

// String returns "[REDACTED]".
func (s Secret) String() string { return redacted }

// GoString returns "[REDACTED]" for %#v.
func (s Secret) GoString() string { return redacted }

// Format prints "[REDACTED]" for every verb, including %d and %x, which
// would otherwise print the underlying string.
func (s Secret) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue returns "[REDACTED]" for log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText returns "[REDACTED]" (JSON, YAML and slog's JSON handler use it).
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s == "" }

// Credentials authenticate API calls. BearerToken (an IAM access token)
// wins if set; otherwise HTTP Basic with Username and APIKey: a classic
// user and API key, or the literal user "apikey" with an IBM Cloud API key.
type Credentials struct {
	Username    string
	APIKey      Secret
	BearerToken Secret
}

// ReadBearerTokenFile reads an IAM access token from a file (as written by
// a sidecar or mounted from a Kubernetes secret). Surrounding space and an
// optional "Bearer " prefix are removed. The token never appears in errors.
func ReadBearerTokenFile(path string) (Secret, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("extract: read bearer token file: %w", err)
	}
	b = bytes.TrimSpace(b)
	if len(b) >= 7 && strings.EqualFold(string(b[:7]), "bearer ") {
		b = bytes.TrimSpace(b[7:])
	}
	if len(b) == 0 {
		return "", fmt.Errorf("extract: read bearer token file %s: %w", path, errors.New("file is empty"))
	}
	if bytes.ContainsAny(b, "\r\n") {
		return "", fmt.Errorf("extract: read bearer token file %s: %w", path, errors.New("token spans several lines"))
	}
	return Secret(b), nil
}
