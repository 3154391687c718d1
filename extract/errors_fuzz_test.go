package extract

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeAPIError: every error body the API sends (with HTTP 500, 401,
// 404 and even 200) goes through decodeAPIError. It never panics; a valid
// SoftLayer error object ({"error": string, "code": string or null}) is
// always recognised with the message and code encoding/json reads; an
// object with any other key is never taken for an error.
func FuzzDecodeAPIError(f *testing.F) {
	for _, s := range []string{
		`{"error":"Internal Error","code":"SoftLayer_Exception_Public"}`,
		`{"error":"Access Denied. ","code":"SoftLayer_Exception_Public"}`,
		`{"error":"Service does not exist"}`,
		`{"error":"Rate limit of 50 requests for every 1 second(s) exceeded.","code":"SoftLayer_Exception_WebService_RateLimitExceeded"}`,
		`{"error":"\u00e9\/x","code":null}`, `{"error":1}`, `[{"error":"x"}]`, `{"id":1}`, `{"error":"x","id":1}`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		code, msg, ok := decodeAPIError(body)
		if !ok && (code != "" || msg != "") {
			t.Fatalf("decodeAPIError(%q) = %q, %q, false: want empty fields when not an error body", body, code, msg)
		}
		var std map[string]json.RawMessage
		if json.Unmarshal(body, &std) != nil || std == nil {
			return // not a JSON object: the lexer may be lenient, it must only not panic
		}
		var wantMsg, wantCode *string
		for k, v := range std {
			switch k {
			case "error":
				if json.Unmarshal(v, &wantMsg) != nil || wantMsg == nil {
					return // not a string: tolerated either way
				}
			case "code":
				if json.Unmarshal(v, &wantCode) != nil {
					return
				}
			default:
				if ok {
					t.Fatalf("decodeAPIError(%q) took an object with key %q for an error", body, k)
				}
				return
			}
		}
		if wantMsg == nil || !utf8.ValidString(*wantMsg) || !utf8.Valid(body) {
			return // invalid UTF-8 is kept as sent, where encoding/json substitutes U+FFFD
		}
		if wantCode == nil {
			wantCode = new(string)
		}
		if !ok || msg != *wantMsg || code != *wantCode {
			t.Fatalf("decodeAPIError(%q) = %q, %q, %v; want %q, %q, true", body, code, msg, ok, *wantCode, *wantMsg)
		}
	})
}

// FuzzParseTime: dates come from the API as text. What parseTime accepts
// keeps its instant through UTC and through its RFC 3339 form.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2024-03-31T23:30:00-05:00", "2024-01-01T00:00:00-06:00", "2024-01-01T00:00:00Z",
		"2024-01-01T00:00:00.123-0600", "2024-02-30T00:00:00-06:00", "0000-01-01T00:00:00+23:59", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := parseTime(s)
		if err != nil {
			return
		}
		if u := tm.UTC(); !u.Equal(tm) {
			t.Fatalf("parseTime(%q): UTC %v is not the same instant as %v", s, u, tm)
		}
		back, err := parseTime(tm.Format("2006-01-02T15:04:05.999999999Z07:00"))
		if err != nil || !back.Equal(tm) {
			t.Fatalf("parseTime(%q) = %v; its RFC 3339 form parses back as %v, %v", s, tm, back, err)
		}
	})
}
