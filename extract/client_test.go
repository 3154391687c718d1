package extract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/invoicelake/invoicelake/schemas"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func newTestClient(t testing.TB, endpoint string, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		Endpoint:    endpoint,
		Credentials: Credentials{Username: "user", APIKey: "key"},
		Timeout:     5 * time.Second,
		Rate:        1000, Burst: 100,
		Retry: RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, MaxElapsed: 10 * time.Second},
		// Growth off: the fake API's tests pin page sizes; simClient
		// and the tests of growth turn it on.
		MaxPageSize: MinPageSizeLimit,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

var march = schemas.Window{From: schemas.Period{Year: 2024, Month: 3}, To: schemas.Period{Year: 2024, Month: 3}}

func seq(from, n int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = from + int64(i)
	}
	return out
}

func collectItems(t *testing.T, c *Client, inv int64) ([]int64, error) {
	t.Helper()
	var ids []int64
	for it, err := range itemsOf(c, context.Background(), inv) {
		if err != nil {
			return ids, err
		}
		ids = append(ids, it.ID)
	}
	return ids, nil
}

func TestSecretNeverPrints(t *testing.T) {
	s := Secret("hunter2-very-secret")
	cr := Credentials{Username: "u", APIKey: s, BearerToken: s}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "key", s, "creds", cr)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "key", s, "creds", cr)
	j, _ := json.Marshal(cr)
	outs := []string{
		fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %q %x %X %d %10s", s, s, s, s, s, s, s, s, s),
		fmt.Sprintf("%v %+v %#v", cr, cr, cr), buf.String(), string(j),
	}
	for _, out := range outs {
		if strings.Contains(out, "hunter2") {
			t.Errorf("got %q, want the secret redacted", out)
		}
	}
	if s.Reveal() != "hunter2-very-secret" {
		t.Errorf("got %q from Reveal, want the value", s.Reveal())
	}
}

func TestReadBearerTokenFile(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ content, want string }{
		{"abc.def\n", "abc.def"}, {"Bearer abc.def\n", "abc.def"}, {"  tok  ", "tok"},
	} {
		p := filepath.Join(dir, "tok")
		if err := os.WriteFile(p, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := ReadBearerTokenFile(p)
		if err != nil || got.Reveal() != tc.want {
			t.Errorf("%q: got %q, %v; want %q", tc.content, got.Reveal(), err, tc.want)
		}
	}
	p := filepath.Join(dir, "empty")
	os.WriteFile(p, []byte("\n"), 0o600)
	if _, err := ReadBearerTokenFile(p); err == nil {
		t.Errorf("empty file: got no error, want one")
	}
	os.WriteFile(p, []byte("secret-line1\nsecret-line2"), 0o600)
	if _, err := ReadBearerTokenFile(p); err == nil || strings.Contains(err.Error(), "secret-line") {
		t.Errorf("two lines: got %v, want an error without the content", err)
	}
}

func TestConfigValidateNamesField(t *testing.T) {
	ok := Credentials{Username: "u", APIKey: "k"}
	for _, tc := range []struct {
		cfg   Config
		field string
	}{
		{Config{Endpoint: "ftp://x/", Credentials: ok}, "Endpoint"},
		{Config{Endpoint: "https://u:p@x/", Credentials: ok}, "Endpoint"},
		{Config{Credentials: Credentials{APIKey: "k"}}, "Credentials.Username"},
		{Config{Credentials: Credentials{Username: "u"}}, "Credentials.APIKey"},
		{Config{Credentials: ok, ItemPageSize: 1}, "ItemPageSize"},
		{Config{Credentials: ok, InvoicePageSize: 20, MinPageSize: 30}, "MinPageSize"},
		{Config{Credentials: ok, Concurrency: -1}, "Concurrency"},
		{Config{Credentials: ok, Rate: -1}, "Rate"},
		{Config{Credentials: ok, Retry: RetryPolicy{MaxAttempts: -2}}, "Retry.MaxAttempts"},
	} {
		_, err := New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%+v: got %v, want an error naming %s", tc.cfg, err, tc.field)
		}
	}
	if _, err := New(Config{Credentials: Credentials{BearerToken: "t"}}); err != nil {
		t.Errorf("bearer only: got %v, want ok", err)
	}
}

func TestAuthHeaders(t *testing.T) {
	for _, tc := range []struct {
		name string
		cr   Credentials
		want string
	}{
		{"classic", Credentials{Username: "123_me@x", APIKey: "k1"}, basic("123_me@x", "k1")},
		{"ibm cloud api key", Credentials{Username: "apikey", APIKey: "iam"}, basic("apikey", "iam")},
		{"bearer wins", Credentials{Username: "u", APIKey: "k", BearerToken: "tok"}, "Bearer tok"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t)
			f.auth = tc.want
			f.addItems(1, 10, 11)
			c := newTestClient(t, f.url(), func(c *Config) { c.Credentials = tc.cr })
			ids, err := collectItems(t, c, 1)
			if err != nil || len(ids) != 2 {
				t.Errorf("got %v, %v; want 2 items", ids, err)
			}
		})
	}
}

func TestDebugLogRedactsAuthorization(t *testing.T) {
	f := newFakeAPI(t)
	f.auth = basic("user", "sekret-key")
	f.addItems(1, 10)
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newTestClient(t, f.url(), func(c *Config) {
		c.Credentials.APIKey = "sekret-key"
		c.Logger = log
	})
	f.fault(apiErr(500, CodeRateLimit, "Rate limit of 50 requests for every 1 second(s) exceeded."))
	if _, err := collectItems(t, c, 1); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "Authorization") || !strings.Contains(out, redacted) {
		t.Errorf("got log %q, want the Authorization header shown as %s", out, redacted)
	}
	enc := strings.TrimPrefix(f.auth, "Basic ")
	if strings.Contains(out, "sekret-key") || strings.Contains(out, enc) {
		t.Errorf("got log %q, want no credentials", out)
	}
}

func TestPermanentErrorsReturnAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fault  func(http.ResponseWriter)
		status int
		code   string
	}{
		{"401", apiErr(401, CodePublic, "Access Denied. "), 401, CodePublic},
		{"403", apiErr(403, CodePublic, "Forbidden"), 403, CodePublic},
		{"404", apiErr(404, CodeObjectNotFound, "Unable to find object with id of '1'."), 404, CodeObjectNotFound},
		{"mask", apiErr(500, CodeObjectMask, "Property 'x' not valid for 'SoftLayer_Billing_Invoice_Item'."), 500, CodeObjectMask},
		{"bad request", apiErr(400, CodeBadRequest, "Bad request"), 400, CodeBadRequest},
		{"filter", apiErr(500, "SoftLayer_Exception_WebService_ObjectFilter", "bad filter"), 500, "SoftLayer_Exception_WebService_ObjectFilter"},
		{"expired token", apiErr(500, CodeTokenInvalid, "Expired Token"), 500, CodeTokenInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t)
			f.addItems(1, 10)
			f.fault(tc.fault)
			c := newTestClient(t, f.url(), nil)
			_, err := collectItems(t, c, 1)
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("got %v, want an *APIError", err)
			}
			if ae.StatusCode != tc.status || ae.Code != tc.code || ae.Method != "SoftLayer_Billing_Invoice::getItems" {
				t.Errorf("got %+v, want status %d code %s method getItems", ae, tc.status, tc.code)
			}
			if !IsPermanent(err) || IsTransient(err) {
				t.Errorf("got permanent=%v transient=%v, want permanent", IsPermanent(err), IsTransient(err))
			}
			if n := f.calls(); n != 1 {
				t.Errorf("got %d calls, want 1 (no retry)", n)
			}
		})
	}
}

func TestTransientFaultsAreRetried(t *testing.T) {
	truncatedLength := func(w http.ResponseWriter) {
		w.Header().Set("Content-Length", "500")
		w.Write([]byte(`[{"id":10,`))
	}
	truncatedJSON := func(w http.ResponseWriter) {
		w.Header().Set("SoftLayer-Total-Items", "3")
		w.Write([]byte(`[{"id":10,"invoiceId":1},{"id":11,"invo`))
	}
	reset := func(w http.ResponseWriter) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}
	for _, tc := range []struct {
		name  string
		fault func(http.ResponseWriter)
		cause string
	}{
		{"rate limit", apiErr(500, CodeRateLimit, "Rate limit of 50 requests for every 1 second(s) exceeded."), CauseRateLimit},
		{"500", apiErr(500, "SoftLayer_Exception_Foo", "boom"), CauseServer},
		{"502 html", func(w http.ResponseWriter) { w.WriteHeader(502); w.Write([]byte("<html>bad gateway</html>")) }, CauseServer},
		{"503", apiErr(503, "", "unavailable"), CauseServer},
		{"truncated length", truncatedLength, CauseTruncated},
		{"truncated json", truncatedJSON, CauseTruncated},
		{"malformed", func(w http.ResponseWriter) { w.Write([]byte(`[{"id":10,,}]`)) }, CauseMalformed},
		{"reset", reset, CauseReset},
		{"empty", func(w http.ResponseWriter) {}, CauseEmpty},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t)
			f.addItems(1, 10, 11, 12)
			f.fault(tc.fault, tc.fault)
			c := newTestClient(t, f.url(), func(c *Config) { c.ItemPageSize = 5 })
			ids, err := collectItems(t, c, 1)
			if err != nil {
				t.Fatalf("got %v, want success after retries", err)
			}
			if diff := cmp.Diff([]int64{10, 11, 12}, ids); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			st := c.Stats()
			if st.Retries[tc.cause] != 2 {
				t.Errorf("got retries %v, want 2 for %s", st.Retries, tc.cause)
			}
			if st.Calls["SoftLayer_Billing_Invoice::getItems"] != 3 {
				t.Errorf("got calls %v, want 3", st.Calls)
			}
		})
	}
}

func TestRetryBudgetExhausted(t *testing.T) {
	f := newFakeAPI(t)
	f.addItems(1, 10)
	for range 10 {
		f.fault(apiErr(500, CodeRateLimit, "Rate limit exceeded."))
	}
	c := newTestClient(t, f.url(), func(c *Config) { c.Retry.MaxAttempts = 3 })
	_, err := collectItems(t, c, 1)
	if !IsTransient(err) || IsPermanent(err) {
		t.Fatalf("got %v, want a transient error", err)
	}
	var ae *APIError
	if !errors.As(err, &ae) || !ae.RateLimited() {
		t.Errorf("got %v, want the last APIError (rate limit) inside", err)
	}
	if n := f.calls(); n != 3 {
		t.Errorf("got %d calls, want 3 (MaxAttempts)", n)
	}
	if st := c.Stats(); st.RateLimitErrors != 3 {
		t.Errorf("got %d rate-limit errors counted, want 3", st.RateLimitErrors)
	}
}

func TestRetryMaxElapsed(t *testing.T) {
	f := newFakeAPI(t)
	f.addItems(1, 10)
	for range 50 {
		f.fault(apiErr(503, "", "down"))
	}
	c := newTestClient(t, f.url(), func(c *Config) {
		c.Retry = RetryPolicy{MaxAttempts: 50, BaseDelay: 20 * time.Millisecond, MaxDelay: 20 * time.Millisecond, MaxElapsed: 100 * time.Millisecond}
	})
	_, err := collectItems(t, c, 1)
	if !IsTransient(err) {
		t.Fatalf("got %v, want a transient error", err)
	}
	if n := f.calls(); n >= 50 || n < 2 {
		t.Errorf("got %d calls, want a few (MaxElapsed caps them)", n)
	}
}

func TestAdaptivePageSize(t *testing.T) {
	f := newFakeAPI(t)
	f.addItems(1, seq(1, 100)...)
	internal := apiErr(500, CodePublic, "Internal Error")
	in200 := apiErr(200, CodePublic, "Internal Error")
	f.fault(internal, in200, internal) // 40 -> 20 -> 10 -> 5
	c := newTestClient(t, f.url(), func(c *Config) { c.ItemPageSize = 40; c.MinPageSize = 5; c.PageConcurrency = 1 })
	ids, err := collectItems(t, c, 1)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(seq(1, 100), ids); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	st := c.Stats()
	if st.PageSizeReductions != 3 {
		t.Errorf("got %d reductions, want 3", st.PageSizeReductions)
	}
	if st.TotalRetries() != 0 {
		t.Errorf("got retries %v, want none (halving is not a backoff retry)", st.Retries)
	}
	// The size grew back: far fewer than 100/5 = 20 successful pages.
	if st.Pages >= 20 {
		t.Errorf("got %d pages, want the size to grow back (< 20)", st.Pages)
	}
	var limits []string
	f.mu.Lock()
	for _, r := range f.requests {
		limits = append(limits, r.URL.Query().Get("resultLimit"))
	}
	f.mu.Unlock()
	if want := []string{"0,40", "0,20", "0,10", "0,5"}; !cmp.Equal(want, limits[:4]) {
		t.Errorf("got resultLimits %v, want to start %v", limits, want)
	}
}

func TestAdaptiveFloorIsFinal(t *testing.T) {
	f := newFakeAPI(t)
	f.addItems(1, seq(1, 10)...)
	for range 20 {
		f.fault(apiErr(500, CodePublic, "Internal Error"))
	}
	c := newTestClient(t, f.url(), func(c *Config) { c.ItemPageSize = 8; c.MinPageSize = 4; c.Retry.MaxAttempts = 3 })
	_, err := collectItems(t, c, 1)
	var ae *APIError
	if !errors.As(err, &ae) || !ae.TooMuchData() {
		t.Fatalf("got %v, want the Internal Error once the floor is reached", err)
	}
	// 1 call at 8, then 3 attempts at the floor of 4.
	if n := f.calls(); n != 4 {
		t.Errorf("got %d calls, want 4", n)
	}
}

func TestTimeoutHalvesPage(t *testing.T) {
	f := newFakeAPI(t)
	f.addItems(1, seq(1, 30)...)
	slow := func(w http.ResponseWriter) { time.Sleep(300 * time.Millisecond) }
	f.fault(slow)
	c := newTestClient(t, f.url(), func(c *Config) { c.ItemPageSize = 20; c.Timeout = 100 * time.Millisecond })
	ids, err := collectItems(t, c, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 30 {
		t.Errorf("got %d items, want 30", len(ids))
	}
	if st := c.Stats(); st.PageSizeReductions != 1 {
		t.Errorf("got %d reductions, want 1", st.PageSizeReductions)
	}
}

// TestCallsAreMinimal checks the call count is exactly ceil(n/page) and the
// order is by id, for sizes around page multiples and several prefetch depths.
func TestCallsAreMinimal(t *testing.T) {
	for _, n := range []int64{0, 1, 9, 10, 11, 55, 100} {
		for _, depth := range []int{1, 3, 8} {
			t.Run(fmt.Sprintf("n=%d/depth=%d", n, depth), func(t *testing.T) {
				f := newFakeAPI(t)
				f.addItems(1, seq(1000, n)...)
				c := newTestClient(t, f.url(), func(c *Config) { c.ItemPageSize = 10; c.PageConcurrency = depth })
				ids, err := collectItems(t, c, 1)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(seq(1000, n), ids); diff != "" && n > 0 {
					t.Errorf("ids (-want +got):\n%s", diff)
				}
				want := max(1, (int(n)+9)/10)
				if got := f.calls(); got != want {
					t.Errorf("got %d calls, want %d", got, want)
				}
			})
		}
	}
}

func TestUnsortedResponseIsAnError(t *testing.T) {
	f := newFakeAPI(t)
	f.addItems(1, 1, 2, 3)
	f.fault(func(w http.ResponseWriter) {
		w.Header().Set("SoftLayer-Total-Items", "3")
		w.Write([]byte(`[{"id":3},{"id":1},{"id":2}]`))
	})
	c := newTestClient(t, f.url(), nil)
	_, err := collectItems(t, c, 1)
	if err == nil || !IsPermanent(err) || !strings.Contains(err.Error(), "not sorted") {
		t.Errorf("got %v, want a permanent 'not sorted' error", err)
	}
}

// TestPagingWhileAppended adds rows at the end of the list between pages
// (new ids sort last, the total grows): every row comes exactly once, the
// appended ones too, in order.
func TestPagingWhileAppended(t *testing.T) {
	for _, depth := range []int{1, 4} {
		t.Run(fmt.Sprintf("depth=%d", depth), func(t *testing.T) {
			f := newFakeAPI(t)
			f.addItems(1, seq(1, 50)...)
			f.before = func(n int, r *http.Request) {
				switch n {
				case 2:
					f.mu.Unlock()
					f.addItems(1, 51, 52)
					f.mu.Lock()
				case 4:
					f.mu.Unlock()
					f.addItems(1, 53)
					f.mu.Lock()
				}
			}
			c := newTestClient(t, f.url(), func(c *Config) { c.ItemPageSize = 10; c.PageConcurrency = depth })
			ids, err := collectItems(t, c, 1)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(seq(1, 53), ids); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPagingWhileChangedBeforeOffset removes or inserts rows before the
// offset between pages: rows may have been skipped, so the listing ends
// with a transient *PagingError instead of a guess.
func TestPagingWhileChangedBeforeOffset(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(f *fakeAPI)
		want   string
	}{
		{"removed", func(f *fakeAPI) { f.removeItem(1, 2); f.removeItem(1, 5) }, "want 10 (the last row read)"},
		{"removed and appended", func(f *fakeAPI) {
			f.removeItem(1, 2)
			f.mu.Unlock()
			f.addItems(1, 100, 101)
			f.mu.Lock()
		}, "want 10 (the last row read)"},
		{"inserted", func(f *fakeAPI) {
			f.mu.Unlock()
			f.addItems(1, 0)
			f.mu.Lock()
		}, "want 10 (the last row read)"},
	} {
		for _, depth := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/depth=%d", tc.name, depth), func(t *testing.T) {
				f := newFakeAPI(t)
				f.addItems(1, seq(1, 50)...)
				f.before = func(n int, r *http.Request) {
					if n == 2 {
						tc.change(f)
					}
				}
				c := newTestClient(t, f.url(), func(c *Config) { c.ItemPageSize = 10; c.PageConcurrency = depth })
				_, err := collectItems(t, c, 1)
				var pe *PagingError
				if !errors.As(err, &pe) || !IsTransient(err) || IsPermanent(err) {
					t.Fatalf("got %v, want a transient *PagingError", err)
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("got %q, want it to say %q", err, tc.want)
				}
			})
		}
	}
}

func TestInvoicesWindowExact(t *testing.T) {
	f := newFakeAPI(t)
	f.mu.Lock()
	for i, cd := range []string{
		"2024-02-29T23:59:59-06:00", // February
		"2024-03-01T00:00:00-06:00", // March
		"2024-03-31T23:30:00-05:00", // March in its own offset, April in UTC
		"2024-04-01T00:00:00+02:00", // April in its offset, March in UTC
		"2024-03-15T12:00:00.5Z",    // March
	} {
		id := int64(i + 1)
		f.invoices = append(f.invoices, fakeRow{id, fmt.Sprintf(`{"id":%d,"createDate":%q,"statusCode":"OPEN"}`, id, cd)})
	}
	f.mu.Unlock()
	c := newTestClient(t, f.url(), nil)
	var got []int64
	for inv, err := range c.Invoices(context.Background(), InvoiceQuery{Window: march}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, inv.ID)
	}
	if diff := cmp.Diff([]int64{2, 3, 5}, got); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	// The filter is widened and sorted by id.
	f.mu.Lock()
	filter := f.requests[0].URL.Query().Get("objectFilter")
	mask := f.requests[0].URL.Query().Get("objectMask")
	f.mu.Unlock()
	var parsed map[string]map[string]filterOp
	if err := json.Unmarshal([]byte(filter), &parsed); err != nil {
		t.Fatalf("filter %s: %v", filter, err)
	}
	want := map[string]map[string]filterOp{"invoices": {
		"id": orderByIDAsc,
		"createDate": {Operation: "betweenDate", Options: []filterOption{
			{Name: "startDate", Value: []any{"02/28/2024 00:00:00"}},
			{Name: "endDate", Value: []any{"04/03/2024 00:00:00"}},
		}},
	}}
	if diff := cmp.Diff(want, parsed); diff != "" {
		t.Errorf("filter (-want +got):\n%s", diff)
	}
	if mask != InvoiceMask {
		t.Errorf("got mask %q, want InvoiceMask", mask)
	}
}

func TestInvoicesModifiedSince(t *testing.T) {
	f := newFakeAPI(t)
	f.mu.Lock()
	f.invoices = []fakeRow{
		{1, `{"id":1,"createDate":"2023-01-01T00:00:00-06:00","modifyDate":"2024-05-01T09:59:59-05:00"}`},
		{2, `{"id":2,"createDate":"2023-01-01T00:00:00-06:00","modifyDate":"2024-05-01T10:00:00-05:00"}`},
		{3, `{"id":3,"createDate":"2024-05-02T00:00:00-06:00","modifyDate":null}`},
	}
	f.mu.Unlock()
	c := newTestClient(t, f.url(), nil)
	var got []int64
	since := time.Date(2024, 5, 1, 15, 0, 0, 0, time.UTC)
	for inv, err := range c.Invoices(context.Background(), InvoiceQuery{ModifiedSince: since}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, inv.ID)
	}
	if diff := cmp.Diff([]int64{2, 3}, got); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	f.mu.Lock()
	filter := f.requests[0].URL.Query().Get("objectFilter")
	f.mu.Unlock()
	if !strings.Contains(filter, `"modifyDate":{"operation":"greaterThanDate","options":[{"name":"date","value":["04/29/2024 09:00:00"]}]}`) {
		t.Errorf("got filter %s, want modifyDate greaterThanDate 2 days early in Central time", filter)
	}
}

func TestInvoicesBadWindow(t *testing.T) {
	c := newTestClient(t, "http://127.0.0.1:1/rest/v3.1/", nil)
	for _, err := range c.Invoices(context.Background(), InvoiceQuery{}) {
		if !IsPermanent(err) {
			t.Errorf("got %v, want a permanent error for an empty window", err)
		}
	}
}

func TestInvoicesWithItemsDeterministic(t *testing.T) {
	f := newFakeAPI(t)
	want := map[int64][]int64{}
	var invIDs []int64
	for inv := int64(1); inv <= 23; inv++ {
		n := (inv * 7) % 31
		ids := seq(inv*1000, n)
		f.addItems(inv, ids...)
		want[inv] = ids
		invIDs = append(invIDs, inv)
	}
	f.addInvoices(invIDs...)
	// Slow some responses at random so completion order differs from id order.
	f.before = func(n int, r *http.Request) {
		if n%3 == 0 {
			f.mu.Unlock()
			time.Sleep(time.Duration(n%5) * time.Millisecond)
			f.mu.Lock()
		}
	}
	for _, conc := range []int{1, 3, 16} {
		t.Run(fmt.Sprint(conc), func(t *testing.T) {
			c := newTestClient(t, f.url(), func(c *Config) { c.Concurrency = conc; c.ItemPageSize = 4; c.InvoicePageSize = 5 })
			var gotInv []int64
			for v, err := range collectInvoices(c, context.Background(), InvoiceQuery{Window: march}) {
				if err != nil {
					t.Fatal(err)
				}
				gotInv = append(gotInv, v.Invoice.ID)
				var ids []int64
				for _, it := range v.Items {
					ids = append(ids, it.ID)
				}
				if diff := cmp.Diff(want[v.Invoice.ID], ids); diff != "" {
					t.Errorf("invoice %d items (-want +got):\n%s", v.Invoice.ID, diff)
				}
			}
			if diff := cmp.Diff(invIDs, gotInv); diff != "" {
				t.Errorf("invoice order (-want +got):\n%s", diff)
			}
			// Closed invoices with itemCount 0 are not asked for items.
			if st := c.Stats(); st.Calls["SoftLayer_Billing_Invoice::getItems"] == 0 || st.Items == 0 {
				t.Errorf("got stats %+v", st)
			}
		})
	}
}

func TestInvoicesWithItemsStopsEarlyAndCancels(t *testing.T) {
	f := newFakeAPI(t)
	var invIDs []int64
	for inv := int64(1); inv <= 20; inv++ {
		f.addItems(inv, seq(inv*1000, 50)...)
		invIDs = append(invIDs, inv)
	}
	f.addInvoices(invIDs...)
	c := newTestClient(t, f.url(), func(c *Config) { c.Concurrency = 4; c.ItemPageSize = 5 })
	n := 0
	for _, err := range collectInvoices(c, context.Background(), InvoiceQuery{Window: march}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if n == 2 {
			break
		}
	}
	// goleak in TestMain checks that nothing is left running; the calls
	// stop well before the whole account.
	if calls := f.calls(); calls >= 20*10 {
		t.Errorf("got %d calls after stopping at 2 invoices, want far fewer than %d", calls, 200)
	}

	ctx, cancel := context.WithCancel(context.Background())
	f.before = func(n int, r *http.Request) {
		if n > 40 {
			cancel()
		}
	}
	var last error
	for _, err := range collectInvoices(c, ctx, InvoiceQuery{Window: march}) {
		last = err
	}
	if !errors.Is(last, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", last)
	}
}

func TestItemsErrorNamesInvoice(t *testing.T) {
	f := newFakeAPI(t)
	f.addItems(77, 1)
	f.mu.Lock()
	f.items[77] = append(f.items[77], fakeRow{2, `{"id":2,"invoiceId":77,"recurringFee":"1.2.3"}`})
	f.mu.Unlock()
	c := newTestClient(t, f.url(), nil)
	_, err := collectItems(t, c, 77)
	var de *DecodeError
	if !errors.As(err, &de) || de.Invoice != 77 || de.Item != 2 || de.Field != "recurringFee" {
		t.Errorf("got %v, want a DecodeError naming invoice 77 item 2 recurringFee", err)
	}
	if n := f.calls(); n != 1 {
		t.Errorf("got %d calls, want 1 (decode errors are not retried)", n)
	}
}
