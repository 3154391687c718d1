package extract

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// A first call that cannot connect fails at once, naming the host and no
// query; once the endpoint has answered, the same failure is retried (a
// blip, not a wrong endpoint).
func TestConnectFailsFastUntilAnswered(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: connection refused

	c := newTestClient(t, "http://"+addr+"/rest/v3.1/", nil)
	var got error
	for _, err := range c.Invoices(context.Background(), InvoiceQuery{Window: march}) {
		got = err
	}
	if got == nil || !IsTransient(got) || !IsConnectError(got) {
		t.Fatalf("got %v, want a transient connect error", got)
	}
	st := c.Stats()
	if st.TotalCalls() != 1 || st.TotalRetries() != 0 {
		t.Errorf("calls %v, retries %v: want 1 call and no retry", st.Calls, st.Retries)
	}
	msg := got.Error()
	if !strings.Contains(msg, addr) || !strings.Contains(msg, "connection refused") {
		t.Errorf("error %q does not name %s and the refusal", msg, addr)
	}
	if strings.Contains(msg, "?") || strings.Contains(msg, "objectMask") || strings.Contains(msg, "objectFilter") {
		t.Errorf("error %q holds the URL's query", msg)
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"id":42}`)) }))
	c = newTestClient(t, srv.URL+"/rest/v3.1/", nil)
	if a, err := c.Account(context.Background()); err != nil || a.ID != 42 {
		t.Fatalf("Account = %+v, %v", a, err)
	}
	srv.Close()
	if _, err := c.Account(context.Background()); err == nil || !IsTransient(err) {
		t.Fatalf("got %v, want a transient error", err)
	}
	if n := c.Stats().Retries[CauseConnect]; n != 4 {
		t.Errorf("retries %v: want 4 connect retries (5 attempts) once the endpoint had answered", c.Stats().Retries)
	}
}

// An API error names the URL it answered for, without the query; its
// message is the status, code and text, once (the call wraps it).
func TestAPIErrorURLWithoutQuery(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	c := newTestClient(t, srv.URL+"/wrong/", nil)
	var got error
	for _, err := range c.Invoices(context.Background(), InvoiceQuery{Window: march}) {
		got = err
	}
	var ae *APIError
	if !errors.As(got, &ae) || ae.StatusCode != 404 || !IsPermanent(got) {
		t.Fatalf("got %v, want a permanent 404 APIError", got)
	}
	if want := srv.URL + "/wrong/SoftLayer_Account/getInvoices.json"; ae.URL != want {
		t.Errorf("URL %q, want %q", ae.URL, want)
	}
	if n := strings.Count(got.Error(), "extract:"); n != 1 {
		t.Errorf("%q says extract: %d times, want once", got, n)
	}
}

// Observe sees every request: its method, status, bytes, and an outcome
// that says whether it was retried and why.
func TestObserveEveryAttempt(t *testing.T) {
	f := newFakeAPI(t)
	f.addItems(1, 10, 11, 12)
	f.fault(apiErr(500, CodeRateLimit, "Rate limit exceeded."))
	var mu sync.Mutex
	var got []Attempt
	c := newTestClient(t, f.url(), func(c *Config) {
		c.Observe = func(a Attempt) { mu.Lock(); got = append(got, a); mu.Unlock() }
	})
	if _, err := collectItems(t, c, 1); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("observed %d events, want 3 (a failure, its retry, a success): %+v", len(got), got)
	}
	if a := got[0]; a.Method != "SoftLayer_Billing_Invoice::getItems" || a.Outcome != CauseRateLimit || a.Status != 500 || a.Duration <= 0 || a.Retry {
		t.Errorf("first attempt %+v: want getItems, 500, outcome %s", a, CauseRateLimit)
	}
	if a := got[1]; !a.Retry || a.Outcome != CauseRateLimit {
		t.Errorf("second event %+v: want a retry for %s", a, CauseRateLimit)
	}
	if a := got[2]; a.Outcome != OutcomeOK || a.Status != 200 || a.Bytes == 0 || a.Retry {
		t.Errorf("second attempt %+v: want ok, 200, its bytes", a)
	}
	st := c.Stats()
	if st.TotalCalls() != 2 || st.Retries[CauseRateLimit] != 1 {
		t.Errorf("stats count %v calls, %v retries; Observe saw %+v", st.Calls, st.Retries, got)
	}

	// A permanent failure is observed as an error; a connection never made
	// with no status.
	got = nil
	f2 := newFakeAPI(t)
	f2.fault(apiErr(401, "SoftLayer_Exception_Public", "Access Denied."))
	c = newTestClient(t, f2.url(), func(c *Config) {
		c.Observe = func(a Attempt) { mu.Lock(); got = append(got, a); mu.Unlock() }
	})
	collectItems(t, c, 1)
	if len(got) != 1 || got[0].Outcome != OutcomeError || got[0].Status != 401 {
		t.Errorf("observed %+v, want one 401 error", got)
	}
}
