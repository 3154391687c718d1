//go:build cgo

package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/invoicelake/invoicelake/extract/slsim"
)

// TestErrorsSayWhatToDo: the endpoint and credential mistakes of issue 16
// each print one short line that names the host or the setting and what
// to do, then the error; the exit code tells a CronJob whether a retry
// can help; no URL is printed with its query.
func TestErrorsSayWhatToDo(t *testing.T) {
	srv := startSim(t, slsim.Options{Seed: 3, Months: 2})
	simURL := srv.URL() // http://127.0.0.1:PORT/rest/v3.1/
	simHost := strings.TrimSuffix(strings.TrimPrefix(simURL, "http://"), "/rest/v3.1/")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	defer tlsSrv.Close()
	tlsHost := strings.TrimPrefix(tlsSrv.URL, "https://")

	with := func(endpoint, key string) env {
		return env{"SL_USERNAME": slsim.DefaultUser, "SL_API_KEY": key, "SL_ENDPOINT_URL": endpoint}
	}
	for _, tt := range []struct {
		name  string
		e     env
		code  int
		first []string // in the first line
	}{
		{"connection refused", with("http://"+closed+"/rest/v3.1/", testAPIKey), exitTransient,
			[]string{"cannot connect to " + closed, "connection refused", "SL_ENDPOINT_URL"}},
		{"wrong base path", with("http://"+simHost+"/", testAPIKey), exitUsage,
			[]string{"http://" + simHost + "/ is not the SoftLayer REST API", "HTTP 404", "/rest/v3.1/", "http://" + simHost + "/rest/v3.1/"}},
		{"wrong base path, deeper", with("http://"+simHost+"/rest/v3/x/", testAPIKey), exitUsage,
			[]string{"is not the SoftLayer REST API", "https://api.softlayer.com/rest/v3.1/"}},
		{"https to a plain HTTP API", with("https://"+simHost+"/rest/v3.1/", testAPIKey), exitUsage,
			[]string{simHost + " answers in plain HTTP", "http://" + simHost + "/rest/v3.1/"}},
		{"http to an HTTPS server", with("http://"+tlsHost+"/rest/v3.1/", testAPIKey), exitUsage,
			[]string{tlsHost + " speaks HTTPS", "https://" + tlsHost + "/rest/v3.1/"}},
		{"wrong API key", with(simURL, "wrong-key"), exitUsage,
			[]string{"refused the credentials (HTTP 401)", "classic user name", `"apikey"`, "IBM Cloud API key"}},
		{"IBM Cloud API key with a classic user", env{"SL_USERNAME": slsim.DefaultUser, "SL_API_KEY": slsim.DefaultIAMKey, "SL_ENDPOINT_URL": simURL}, exitUsage,
			[]string{"refused the credentials", `"apikey"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := tt.e.run(t, t.Context(), srv.Sim().Now, "export", "--from", "2026-05", "--to", "2026-05", "--out", t.TempDir())
			if code != tt.code {
				t.Errorf("exit %d, want %d: %s", code, tt.code, stderr)
			}
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			first := lines[len(lines)-2] // the log may come before: the error is the last two lines
			if len(lines) < 2 || !strings.HasPrefix(first, "invoicelake: ") || !strings.HasPrefix(lines[len(lines)-1], "  error: ") {
				t.Fatalf("stderr does not end with a headline and the error:\n%s", stderr)
			}
			for _, want := range tt.first {
				if !strings.Contains(first, want) {
					t.Errorf("first line %q lacks %q", first, want)
				}
			}
			if len(first) > 330 {
				t.Errorf("first line is %d characters: %q", len(first), first)
			}
			for _, bad := range []string{"objectMask", "objectFilter", "%5B", "?", "giving up after", testAPIKey} {
				if strings.Contains(stderr, bad) {
					t.Errorf("stderr holds %q:\n%s", bad, stderr)
				}
			}
			if n := strings.Count(lines[len(lines)-1], "extract:"); n > 1 {
				t.Errorf("the error says extract: %d times: %s", n, lines[len(lines)-1])
			}
		})
	}
}
