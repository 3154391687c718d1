package slsim

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testNow is a fixed clock: 2025-03-10 07:00 CDT, six days after the March
// recurring invoice (still OPEN) and just after the DST switch.
var testNow = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

func smallOpts() Options {
	return Options{Seed: 1, Months: 14, Now: testNow, HeavyInvoiceItems: 1500, RateLimit: -1}
}

func start(t *testing.T, o Options) *Server {
	t.Helper()
	srv, err := Start(o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return srv
}

type resp struct {
	status int
	header http.Header
	body   string
}

// call GETs path (relative to /rest/v3.1/ unless it starts with /) with the
// default classic credentials.
func call(t *testing.T, srv *Server, path string, q url.Values) resp {
	t.Helper()
	return do(t, srv, http.MethodGet, path, q, func(r *http.Request) { r.SetBasicAuth(DefaultUser, DefaultAPIKey) })
}

func do(t *testing.T, srv *Server, method, path string, q url.Values, auth func(*http.Request)) resp {
	t.Helper()
	u := srv.URL() + path
	if strings.HasPrefix(path, "/") {
		u = "http://" + srv.Addr() + path
	}
	if q != nil {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != nil {
		auth(req)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp{res.StatusCode, res.Header, string(b)}
}

func decode[T any](t *testing.T, r resp) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Fatalf("decode %.200q: %v", r.body, err)
	}
	return v
}

type obj = map[string]any

func total(t *testing.T, r resp) int {
	t.Helper()
	v := r.header.Get("SoftLayer-Total-Items")
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("SoftLayer-Total-Items %q: %v", v, err)
	}
	return n
}

func allInvoices(t *testing.T, srv *Server, mask string) []obj {
	t.Helper()
	r := call(t, srv, "SoftLayer_Account/getInvoices.json", url.Values{"objectMask": {mask}})
	if r.status != 200 {
		t.Fatalf("getInvoices: status %d %s", r.status, r.body)
	}
	return decode[[]obj](t, r)
}

func idOf(o obj) int64 { return int64(o["id"].(float64)) }

func TestRoutes(t *testing.T) {
	srv := start(t, smallOpts())
	invs := allInvoices(t, srv, "mask[id,typeCode]")
	inv := strconv.FormatInt(idOf(invs[3]), 10)
	tests := []struct {
		path       string
		method     string
		wantStatus int
		wantBody   string // substring
	}{
		{"/rest/v3/SoftLayer_Account/getInvoices.json", "GET", 200, `[{"accountId":`},
		{"/rest/v3.1/SoftLayer_Account/getInvoices", "GET", 200, `[{"accountId":`},
		{"/rest/v3.1/SoftLayer_Account/Invoices.json", "GET", 200, `[{"accountId":`},
		{"/rest/v3.1/SoftLayer_Account.json", "GET", 200, `"companyName":`},
		{"/rest/v3.1/SoftLayer_Billing_Invoice/" + inv + ".json", "GET", 200, `"id":` + inv + `,`},
		{"/rest/v3.1/SoftLayer_Billing_Invoice/" + inv + "/getObject.json", "GET", 200, `"id":` + inv + `,`},
		{"/rest/v3.1/SoftLayer_Billing_Invoice/" + inv + "/getItems.json", "GET", 200, `[{"associatedInvoiceItemId":`},
		{"/rest/v3.1/SoftLayer_Billing_Invoice/" + inv + "/Items", "GET", 200, `[{"associatedInvoiceItemId":`},
		{"/rest/v3.1/SoftLayer_Account/getInvoices/" + inv + "/getItems.json", "GET", 200, `"invoiceId":` + inv},
		{"/rest/v3.1/SoftLayer_Account/getInvoices/" + inv + ".json", "GET", 200, `"id":` + inv + `,`},
		{"/rest/v3.1/SoftLayer_Billing_Invoice/" + inv + "/getPayments.json", "GET", 200, `[`},
		{"/rest/v3.1/SoftLayer_Account/getLatestRecurringInvoice.json", "GET", 200, `"typeCode":"RECURRING"`},
		{"/rest/v3.1/SoftLayer_Account/getLatestRecurringPendingInvoice.json", "GET", 200, `"statusCode":"OPEN"`},
		{"/rest/v3.1/SoftLayer_Account/getNextInvoiceTopLevelBillingItems.json", "GET", 200, `[{"allowCancellationFlag":1,`},
		{"/rest/v3.1/SoftLayer_Account/nope.json", "GET", 404, `{"error":"Function (\"nope\") is not a valid method for this service.","code":"SoftLayer_Exception_Public"}`},
		{"/rest/v3.1/SoftLayer_Billing_Invoice/" + inv + "/getCompanyName.json", "GET", 404, `Function (\"getCompanyName\") is not a valid method`},
		{"/rest/v3.1/SoftLayer_Nope/getObject.json", "GET", 404, `{"error":"Service does not exist"}`},
		{"/rest/v3.1/SoftLayer_Billing_Invoice/1/getObject.json", "GET", 404, `{"error":"Unable to find object with id of '1'.","code":"SoftLayer_Exception_ObjectNotFound"}`},
		{"/rest/v3.1/SoftLayer_Account/getInvoices.json", "POST", 400, `"code":"SoftLayer_Exception_WebService_BadRequest"`},
		{"/rest/v3.1/SoftLayer_Account/getInvoices.xml", "GET", 400, `Unsupported format`},
	}
	for _, tc := range tests {
		t.Run(tc.method+tc.path, func(t *testing.T) {
			r := do(t, srv, tc.method, tc.path, nil, func(r *http.Request) { r.SetBasicAuth(DefaultUser, DefaultAPIKey) })
			if r.status != tc.wantStatus || !strings.Contains(r.body, tc.wantBody) {
				t.Errorf("got %d %.300s, want %d containing %s", r.status, r.body, tc.wantStatus, tc.wantBody)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("got Content-Type %q, want application/json", ct)
			}
		})
	}

	t.Run("getBalance is a bare number", func(t *testing.T) {
		r := call(t, srv, "SoftLayer_Account/getBalance.json", nil)
		if _, ok := new(big.Rat).SetString(r.body); !ok || strings.HasPrefix(r.body, `"`) {
			t.Errorf("got %q, want a bare JSON number", r.body)
		}
	})
	t.Run("getPdf is base64 of a PDF with escaped slashes", func(t *testing.T) {
		r := call(t, srv, "SoftLayer_Billing_Invoice/"+inv+"/getPdf.json", nil)
		s := decode[string](t, r)
		pdf, err := base64.StdEncoding.DecodeString(s)
		if err != nil || !strings.HasPrefix(string(pdf), "%PDF-1.4") || !strings.HasSuffix(string(pdf), "%%EOF\n") {
			t.Fatalf("got %.40q (err %v), want a PDF", pdf, err)
		}
		if strings.Contains(s, "/") && !strings.Contains(r.body, `\/`) {
			t.Errorf("got a body with unescaped '/', want \\/")
		}
	})
}

func TestAuth(t *testing.T) {
	srv := start(t, smallOpts())
	basic := func(u, p string) func(*http.Request) { return func(r *http.Request) { r.SetBasicAuth(u, p) } }
	bearer := func(tok string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
	}
	tests := []struct {
		name string
		auth func(*http.Request)
		want int
	}{
		{"classic", basic(DefaultUser, DefaultAPIKey), 200},
		{"iam api key", basic("apikey", DefaultIAMKey), 200},
		{"bearer", bearer(DefaultBearerToken), 200},
		{"wrong key", basic(DefaultUser, "nope"), 401},
		{"iam key as classic key", basic(DefaultUser, DefaultIAMKey), 401},
		{"wrong token", bearer("nope"), 401},
		{"none", nil, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, srv, "GET", "SoftLayer_Account/getBalance.json", nil, tc.auth)
			if r.status != tc.want {
				t.Fatalf("got %d %s, want %d", r.status, r.body, tc.want)
			}
			if tc.want == 401 && r.body != `{"error":"Access Denied. ","code":"SoftLayer_Exception_Public"}` {
				t.Errorf("got body %s, want the Access Denied body", r.body)
			}
		})
	}
}

func keys(o obj) []string {
	var ks []string
	for k := range o {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func TestMasks(t *testing.T) {
	srv := start(t, smallOpts())
	invoiceLocals := localNames[tInvoice]
	first := func(t *testing.T, mask string) obj {
		t.Helper()
		r := call(t, srv, "SoftLayer_Account/getInvoices.json", url.Values{"objectMask": {mask}, "resultLimit": {"0,1"}})
		if r.status != 200 {
			t.Fatalf("status %d %s", r.status, r.body)
		}
		return decode[[]obj](t, r)[0]
	}
	tests := []struct {
		name, mask string
		want       []string
	}{
		{"no mask: locals only", "", invoiceLocals},
		{"named locals", "mask[id,createDate]", []string{"createDate", "id"}},
		{"dotted", "mask.id,mask.typeCode", []string{"id", "typeCode"}},
		{"bare", "id", []string{"id"}},
		{"relational only keeps locals", "mask[itemCount, invoiceTotalAmount]", append([]string{"invoiceTotalAmount", "itemCount"}, invoiceLocals...)},
		{"nested", "mask[id,items[id,category[name]]]", []string{"id", "items"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := keys(first(t, tc.mask))
			want := append([]string{}, tc.want...)
			sort.Strings(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("nested selection", func(t *testing.T) {
		o := first(t, "mask[id,items[id,category[name]]]")
		items := o["items"].([]any)
		if len(items) == 0 {
			t.Fatal("got no items")
		}
		it := items[0].(obj)
		if diff := cmp.Diff([]string{"category", "id"}, keys(it)); diff != "" {
			t.Errorf("item keys (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"name"}, keys(it["category"].(obj))); diff != "" {
			t.Errorf("category keys (-want +got):\n%s", diff)
		}
	})
	t.Run("unknown property", func(t *testing.T) {
		r := call(t, srv, "SoftLayer_Account/getInvoices.json", url.Values{"objectMask": {"mask[id,nope]"}})
		want := `{"error":"Property 'nope' not valid for 'SoftLayer_Billing_Invoice'.","code":"SoftLayer_Exception_WebService_ObjectMask"}`
		if r.status != 500 || r.body != want {
			t.Errorf("got %d %s, want 500 %s", r.status, r.body, want)
		}
	})
	t.Run("drop locals on relational only", func(t *testing.T) {
		o := smallOpts()
		o.DropLocalsOnRelationalOnly = true
		srv2 := start(t, o)
		r := call(t, srv2, "SoftLayer_Account/getInvoices.json", url.Values{"objectMask": {"mask[itemCount]"}, "resultLimit": {"0,1"}})
		if diff := cmp.Diff([]string{"itemCount"}, keys(decode[[]obj](t, r)[0])); diff != "" {
			t.Errorf("keys (-want +got):\n%s", diff)
		}
	})
	t.Run("missing relational object omitted, empty array [], null locals", func(t *testing.T) {
		_, hs := srv.Sim().snapshot()
		for _, h := range hs {
			if h.recipe != rcRecurring {
				continue
			}
			r := call(t, srv, "SoftLayer_Billing_Invoice/"+strconv.FormatInt(h.id, 10)+"/getInvoiceTopLevelItems.json",
				url.Values{"objectMask": {"mask[id,hostName,location[name],children[id]]"}})
			var sawNoLoc, sawEmpty, sawNullHost bool
			for _, it := range decode[[]obj](t, r) {
				if _, ok := it["location"]; !ok {
					sawNoLoc = true
				}
				if c, ok := it["children"].([]any); ok && len(c) == 0 {
					sawEmpty = true
				}
				if v, ok := it["hostName"]; ok && v == nil {
					sawNullHost = true
				}
			}
			if !sawNoLoc || !sawEmpty || !sawNullHost {
				t.Errorf("invoice %d: got no-location %v, empty children %v, null hostName %v; want all true", h.id, sawNoLoc, sawEmpty, sawNullHost)
			}
			return
		}
	})
}

func TestFilters(t *testing.T) {
	srv := start(t, smallOpts())
	all := allInvoices(t, srv, "mask[id,createDate,typeCode]")
	get := func(t *testing.T, filter, limit string) ([]obj, int) {
		t.Helper()
		q := url.Values{"objectMask": {"mask[id,createDate,typeCode]"}, "objectFilter": {filter}}
		if limit != "" {
			q.Set("resultLimit", limit)
		}
		r := call(t, srv, "SoftLayer_Account/getInvoices.json", q)
		if r.status != 200 {
			t.Fatalf("status %d %s", r.status, r.body)
		}
		return decode[[]obj](t, r), total(t, r)
	}
	t.Run("betweenDate on createDate", func(t *testing.T) {
		got, n := get(t, `{"invoices":{"createDate":{"operation":"betweenDate","options":[{"name":"endDate","value":["01/31/2025 23:59:59"]},{"name":"startDate","value":["01/01/2025"]}]}}}`, "")
		want := 0
		for _, o := range all {
			if strings.HasPrefix(o["createDate"].(string), "2025-01") {
				want++
			}
		}
		if n != want || len(got) != want || want == 0 {
			t.Fatalf("got %d (total %d), want %d > 0", len(got), n, want)
		}
		for _, o := range got {
			if !strings.HasPrefix(o["createDate"].(string), "2025-01") {
				t.Errorf("got createDate %v, want January 2025", o["createDate"])
			}
		}
	})
	t.Run("orderBy createDate DESC", func(t *testing.T) {
		got, _ := get(t, `{"invoices":{"createDate":{"operation":"orderBy","options":[{"name":"sort","value":["DESC"]}]}}}`, "")
		for i := 1; i < len(got); i++ {
			a, _ := time.Parse(time.RFC3339, got[i-1]["createDate"].(string))
			b, _ := time.Parse(time.RFC3339, got[i]["createDate"].(string))
			if a.Before(b) {
				t.Fatalf("got %v before %v, want descending", a, b)
			}
		}
		if len(got) != len(all) {
			t.Errorf("got %d invoices, want %d", len(got), len(all))
		}
	})
	t.Run("orderBy id DESC", func(t *testing.T) {
		got, _ := get(t, `{"invoices":{"id":{"operation":"orderBy","options":[{"name":"sort","value":["DESC"]}]}}}`, "0,3")
		want := []int64{idOf(all[len(all)-1]), idOf(all[len(all)-2]), idOf(all[len(all)-3])}
		if diff := cmp.Diff(want, []int64{idOf(got[0]), idOf(got[1]), idOf(got[2])}); diff != "" {
			t.Errorf("ids (-want +got):\n%s", diff)
		}
	})
	t.Run("typeCode equality", func(t *testing.T) {
		got, n := get(t, `{"invoices":{"typeCode":{"operation":"RECURRING"}}}`, "")
		if n != len(got) || n < 10 {
			t.Fatalf("got %d (total %d), want >= 10", len(got), n)
		}
		for _, o := range got {
			if o["typeCode"] != "RECURRING" {
				t.Errorf("got typeCode %v, want RECURRING", o["typeCode"])
			}
		}
	})
	t.Run("unknown path ignored", func(t *testing.T) {
		got, n := get(t, `{"invoices":{"nonsense":{"operation":"x"}},"id":{"operation":"orderBy","options":[{"name":"sort","value":["ASC"]}]}}`, "")
		if n != len(all) || len(got) != len(all) {
			t.Errorf("got %d (total %d), want %d", len(got), n, len(all))
		}
	})
	t.Run("bad JSON", func(t *testing.T) {
		r := call(t, srv, "SoftLayer_Account/getInvoices.json", url.Values{"objectFilter": {`{"invoices":`}})
		if r.status != 500 || !strings.Contains(r.body, `"code":"SoftLayer_Exception_Public"`) || !strings.Contains(r.body, "Unable to parse object filter") {
			t.Errorf("got %d %s, want 500 SoftLayer_Exception_Public", r.status, r.body)
		}
	})
	t.Run("items root key and nested category", func(t *testing.T) {
		id := strconv.FormatInt(idOf(all[0]), 10)
		r := call(t, srv, "SoftLayer_Billing_Invoice/"+id+"/getItems.json", url.Values{
			"objectMask":   {"mask[id,categoryCode]"},
			"objectFilter": {`{"items":{"category":{"categoryCode":{"operation":"ram"}}}}`}})
		got := decode[[]obj](t, r)
		if len(got) == 0 || total(t, r) != len(got) {
			t.Fatalf("got %d items (total %s), want > 0", len(got), r.header.Get("SoftLayer-Total-Items"))
		}
		for _, o := range got {
			if o["categoryCode"] != "ram" {
				t.Errorf("got %v, want ram", o["categoryCode"])
			}
		}
	})
}

func TestResultLimit(t *testing.T) {
	srv := start(t, smallOpts())
	n := len(allInvoices(t, srv, "mask[id]"))
	tests := []struct {
		limit string
		want  int
	}{
		{"", n}, {"0,2", 2}, {"2", 2}, {"3,5", 5}, {strconv.Itoa(n-1) + ",5", 1}, {strconv.Itoa(n) + ",5", 0}, {"5,0", n - 5},
	}
	for _, tc := range tests {
		t.Run(tc.limit, func(t *testing.T) {
			q := url.Values{"objectMask": {"mask[id]"}}
			if tc.limit != "" {
				q.Set("resultLimit", tc.limit)
			}
			r := call(t, srv, "SoftLayer_Account/getInvoices.json", q)
			got := decode[[]obj](t, r)
			if len(got) != tc.want || total(t, r) != n {
				t.Errorf("got %d rows, total %d; want %d rows, total %d", len(got), total(t, r), tc.want, n)
			}
			if tc.want == 0 && r.body != "[]" {
				t.Errorf("got %q, want []", r.body)
			}
		})
	}
	t.Run("bad", func(t *testing.T) {
		r := call(t, srv, "SoftLayer_Account/getInvoices.json", url.Values{"resultLimit": {"x,1"}})
		if r.status != 500 {
			t.Errorf("got %d, want 500", r.status)
		}
	})
	t.Run("bare object on limit one", func(t *testing.T) {
		o := smallOpts()
		o.BareObjectOnLimitOne = true
		srv2 := start(t, o)
		r := call(t, srv2, "SoftLayer_Account/getInvoices.json", url.Values{"objectMask": {"mask[id]"}, "resultLimit": {"0,1"}})
		if !strings.HasPrefix(r.body, `{"id":`) || total(t, r) != n {
			t.Errorf("got %s (total %d), want a bare object (total %d)", r.body, total(t, r), n)
		}
	})
}

func TestEncoding(t *testing.T) {
	srv := start(t, smallOpts())
	r := call(t, srv, "SoftLayer_Account/getInvoices.json", url.Values{"objectMask": {"mask[id,createDate,closedDate,statusCode,address2,companyName,invoiceTotalAmount,itemCount]"}})
	if strings.Contains(r.body, " ") && !strings.Contains(r.body, `"companyName":"`) {
		t.Errorf("got spaces outside strings, want compact JSON")
	}
	var winter, summer, openNull bool
	for _, o := range decode[[]obj](t, r) {
		cd := o["createDate"].(string)
		if strings.Contains(cd, "-01-") && strings.HasSuffix(cd, "-06:00") {
			winter = true
		}
		if strings.Contains(cd, "-07-") && strings.HasSuffix(cd, "-05:00") {
			summer = true
		}
		if (strings.Contains(cd, "-01-") && !strings.HasSuffix(cd, "-06:00")) || (strings.Contains(cd, "-07-") && !strings.HasSuffix(cd, "-05:00")) {
			t.Errorf("got createDate %s, want -06:00 in January and -05:00 in July", cd)
		}
		if o["statusCode"] == "OPEN" && o["closedDate"] == nil {
			openNull = true
		}
		if v, ok := o["address2"]; !ok || v != nil {
			t.Errorf("got address2 %v (present %v), want explicit null", v, ok)
		}
		if _, ok := o["invoiceTotalAmount"].(string); !ok {
			t.Errorf("got invoiceTotalAmount %T, want a string", o["invoiceTotalAmount"])
		}
		if _, ok := o["itemCount"].(float64); !ok {
			t.Errorf("got itemCount %T, want a number", o["itemCount"])
		}
	}
	if !winter || !summer || !openNull {
		t.Errorf("got winter %v summer %v open-with-null-closedDate %v, want all", winter, summer, openNull)
	}
	if !strings.Contains(r.body, `\u00fc`) && !strings.Contains(r.body, `"companyName":"Example`) {
		t.Errorf("got non-ASCII unescaped, want \\uXXXX")
	}
	// a month-edge order: 23:30 Central on a last day is the next month in UTC
	var edge bool
	for _, o := range decode[[]obj](t, r) {
		cd, _ := time.Parse(time.RFC3339, o["createDate"].(string))
		if cd.Hour() == 23 && cd.Minute() == 30 && cd.UTC().Month() != cd.Month() {
			edge = true
		}
	}
	if !edge {
		t.Errorf("got no invoice at 23:30 on a month's last day, want at least one")
	}
	t.Run("slashes", func(t *testing.T) {
		for _, h := range headersOf(srv, rcRecurring) {
			r := call(t, srv, "SoftLayer_Billing_Invoice/"+strconv.FormatInt(h.id, 10)+"/getItems.json", url.Values{"objectMask": {"mask[description]"}})
			if strings.Contains(r.body, "GNU/Linux") {
				t.Fatalf("got an unescaped /, want \\/")
			}
			if strings.Contains(r.body, `GNU\/Linux`) {
				return
			}
		}
		t.Errorf("got no description with a slash, want one")
	})
	t.Run("omit null locals", func(t *testing.T) {
		o := smallOpts()
		o.OmitNullLocals = true
		srv2 := start(t, o)
		r := call(t, srv2, "SoftLayer_Account/getInvoices.json", url.Values{"resultLimit": {"0,1"}})
		if strings.Contains(r.body, "null") {
			t.Errorf("got %s, want no nulls", r.body)
		}
	})
}

func TestMoneyFormat(t *testing.T) {
	tests := []struct{ in, api, plain string }{
		{"0", "0", "0"}, {".09", ".09", "0.09"}, {"-.5", "-.5", "-0.5"}, {"-12.5", "-12.5", "-12.5"},
		{"264111.3", "264111.3", "264111.3"}, {"10.234", "10.234", "10.234"}, {"0.00000001", ".00000001", "0.00000001"},
		{"100", "100", "100"},
	}
	for _, tc := range tests {
		m := parseMoney(tc.in)
		if got := m.apiString(); got != tc.api {
			t.Errorf("apiString(%s): got %q, want %q", tc.in, got, tc.api)
		}
		if got := m.plain(); got != tc.plain {
			t.Errorf("plain(%s): got %q, want %q", tc.in, got, tc.plain)
		}
	}
	taxes := []struct{ fee, want string }{{"100", "8.25"}, {"10.06", ".83"}, {"-10.06", "-.83"}, {"0.06", "0"}, {"12.3456", "1.02"}}
	for _, tc := range taxes {
		if got := parseMoney(tc.fee).taxAt(taxRate).apiString(); got != tc.want {
			t.Errorf("tax of %s: got %s, want %s", tc.fee, got, tc.want)
		}
	}
}

func headersOf(srv *Server, k recipeKind) []*header {
	_, hs := srv.Sim().snapshot()
	var out []*header
	for _, h := range hs {
		if h.recipe == k {
			out = append(out, h)
		}
	}
	return out
}

func TestFaults(t *testing.T) {
	o := smallOpts()
	o.SlowDelay = 150 * time.Millisecond
	srv := start(t, o)
	path := "SoftLayer_Account/getInvoices.json"
	q := url.Values{"objectMask": {"mask[id]"}, "resultLimit": {"0,10"}}
	fetch := func() (*http.Response, []byte, error) {
		req, _ := http.NewRequest("GET", srv.URL()+path+"?"+q.Encode(), nil)
		req.SetBasicAuth(DefaultUser, DefaultAPIKey)
		res, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return res, b, err
	}
	tests := []struct {
		k     FaultKind
		check func(res *http.Response, body []byte, err error) string
	}{
		{FaultInternalError, wantBody(500, `{"error":"Internal Error","code":"SoftLayer_Exception_Public"}`)},
		{FaultError200, wantBody(200, `{"error":"Internal Error","code":"SoftLayer_Exception_Public"}`)},
		{FaultTooMuchData, wantBody(500, `{"error":"Internal Error","code":"SoftLayer_Exception_Public"}`)},
		{FaultRateLimit, wantBody(500, `{"error":"Rate limit of 50 requests for every 1 second(s) exceeded.","code":"SoftLayer_Exception_WebService_RateLimitExceeded"}`)},
		{FaultUnauthorized, wantBody(401, `{"error":"Access Denied. ","code":"SoftLayer_Exception_Public"}`)},
		{FaultTokenExpired, wantBody(500, `{"error":"Expired Token","code":"SoftLayer_Exception_Account_Authentication_AccessTokenValidation"}`)},
		{FaultTruncate, func(res *http.Response, body []byte, err error) string {
			if err == nil {
				return "got a complete body " + string(body) + ", want a read error"
			}
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				return "got " + err.Error() + ", want unexpected EOF"
			}
			return ""
		}},
		{FaultMalformed, func(res *http.Response, body []byte, err error) string {
			if err != nil || res.StatusCode != 200 || json.Valid(body) {
				return "got valid JSON or an error, want 200 with invalid JSON"
			}
			return ""
		}},
		{FaultReset, func(res *http.Response, body []byte, err error) string {
			if err == nil {
				return "got a response, want a transport error"
			}
			return ""
		}},
	}
	for _, tc := range tests {
		t.Run(tc.k.String(), func(t *testing.T) {
			srv.Sim().InjectFault(tc.k, 1)
			res, body, err := fetch()
			if msg := tc.check(res, body, err); msg != "" {
				t.Error(msg)
			}
			// the next request is normal again
			if res, body, err := fetch(); err != nil || res.StatusCode != 200 || !json.Valid(body) {
				t.Errorf("after the fault: got %v %v, want a normal answer", res, err)
			}
		})
	}
	t.Run("slow", func(t *testing.T) {
		srv.Sim().InjectFault(FaultSlow, 1)
		t0 := time.Now()
		res, body, err := fetch()
		if err != nil || res.StatusCode != 200 || !json.Valid(body) {
			t.Fatalf("got %v, want a normal answer", err)
		}
		if d := time.Since(t0); d < o.SlowDelay {
			t.Errorf("got an answer after %v, want at least %v", d, o.SlowDelay)
		}
	})
	st := srv.Sim().Stats()
	for _, k := range []FaultKind{FaultInternalError, FaultError200, FaultTruncate, FaultMalformed, FaultReset, FaultSlow} {
		if st.Faults[k.String()] != 1 {
			t.Errorf("stats faults[%s]: got %d, want 1", k, st.Faults[k.String()])
		}
	}
	if st.Requests["SoftLayer_Account::getInvoices"] != 19 {
		t.Errorf("stats requests: got %v, want 19 getInvoices", st.Requests)
	}
}

func wantBody(status int, body string) func(*http.Response, []byte, error) string {
	return func(res *http.Response, b []byte, err error) string {
		if err != nil {
			return "got " + err.Error()
		}
		if res.StatusCode != status || string(b) != body {
			return "got " + strconv.Itoa(res.StatusCode) + " " + string(b) + ", want " + strconv.Itoa(status) + " " + body
		}
		return ""
	}
}

func TestRandomFaultsAndLimits(t *testing.T) {
	t.Run("rate limit", func(t *testing.T) {
		o := smallOpts()
		o.RateLimit = 5
		srv := start(t, o)
		var limited int
		for i := 0; i < 12; i++ {
			r := call(t, srv, "SoftLayer_Account/getBalance.json", nil)
			if r.status == 500 && r.body == `{"error":"Rate limit of 5 requests for every 1 second(s) exceeded.","code":"SoftLayer_Exception_WebService_RateLimitExceeded"}` {
				limited++
			}
		}
		st := srv.Sim().Stats()
		if limited == 0 || st.RateLimited != int64(limited) || st.MaxPerSecond > 5 {
			t.Errorf("got %d limited, stats %+v; want > 0 limited and at most 5 per second", limited, st)
		}
		// another credential has its own budget
		r := do(t, srv, "GET", "SoftLayer_Account/getBalance.json", nil, func(r *http.Request) { r.SetBasicAuth("apikey", DefaultIAMKey) })
		if r.status != 200 {
			t.Errorf("IAM credential: got %d, want 200", r.status)
		}
	})
	t.Run("max page bytes", func(t *testing.T) {
		o := smallOpts()
		o.MaxPageBytes = 4000
		srv := start(t, o)
		if r := call(t, srv, "SoftLayer_Account/getInvoices.json", nil); r.status != 500 || !strings.Contains(r.body, "Internal Error") {
			t.Errorf("whole list: got %d, want 500 Internal Error", r.status)
		}
		if r := call(t, srv, "SoftLayer_Account/getInvoices.json", url.Values{"resultLimit": {"0,2"}}); r.status != 200 {
			t.Errorf("small page: got %d, want 200", r.status)
		}
	})
	t.Run("error rate", func(t *testing.T) {
		o := smallOpts()
		o.ErrorRate = 0.5
		srv := start(t, o)
		var errs int
		for i := 0; i < 40; i++ {
			if r := call(t, srv, "SoftLayer_Account/getBalance.json", nil); r.status == 500 {
				errs++
			}
		}
		if errs < 5 || errs > 35 {
			t.Errorf("got %d/40 errors, want about half", errs)
		}
	})
	t.Run("shuffle unsorted", func(t *testing.T) {
		o := smallOpts()
		o.ShuffleUnsorted = true
		srv := start(t, o)
		ids := func(filter string) []int64 {
			q := url.Values{"objectMask": {"mask[id]"}}
			if filter != "" {
				q.Set("objectFilter", filter)
			}
			var out []int64
			for _, o := range decode[[]obj](t, call(t, srv, "SoftLayer_Account/getInvoices.json", q)) {
				out = append(out, idOf(o))
			}
			return out
		}
		a, b := ids(""), ids("")
		if cmp.Equal(a, b) {
			t.Errorf("got the same order twice without orderBy, want a shuffle")
		}
		sorted := `{"invoices":{"id":{"operation":"orderBy","options":[{"name":"sort","value":["ASC"]}]}}}`
		c, d := ids(sorted), ids(sorted)
		if !cmp.Equal(c, d) || !sort.SliceIsSorted(c, func(i, j int) bool { return c[i] < c[j] }) {
			t.Errorf("with orderBy: got different or unsorted orders")
		}
		sort.Slice(a, func(i, j int) bool { return a[i] < a[j] })
		if diff := cmp.Diff(c, a); diff != "" {
			t.Errorf("shuffled set differs (-sorted +shuffled):\n%s", diff)
		}
	})
}

func rat(t *testing.T, v any) *big.Rat {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("got %T %v, want an amount string", v, v)
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("amount %q: not a decimal", s)
	}
	return r
}

func TestTotalsConsistent(t *testing.T) {
	o := smallOpts()
	o.InconsistentInvoices = 2
	srv := start(t, o)
	truth := srv.Sim().Truth()
	if len(truth.Unreconciled) != 2 {
		t.Fatalf("got unreconciled %v, want 2 ids", truth.Unreconciled)
	}
	bad := map[int64]bool{}
	for _, id := range truth.Unreconciled {
		bad[id] = true
	}
	invs := allInvoices(t, srv, "mask[id,itemCount,amount,invoiceTotalAmount,invoiceTotalPreTaxAmount,invoiceTotalRecurringAmount,invoiceTotalRecurringTaxAmount,invoiceTotalOneTimeAmount,invoiceTotalOneTimeTaxAmount]")
	fields := []string{"recurringFee", "oneTimeFee", "setupFee", "laborFee", "recurringTaxAmount", "oneTimeTaxAmount", "setupTaxAmount", "laborTaxAmount"}
	var heavy int
	for _, inv := range invs {
		id := idOf(inv)
		r := call(t, srv, "SoftLayer_Billing_Invoice/"+strconv.FormatInt(id, 10)+"/getItems.json",
			url.Values{"objectMask": {"mask[id,parentId," + strings.Join(fields, ",") + "]"}})
		items := decode[[]obj](t, r)
		sum := map[string]*big.Rat{}
		for _, f := range fields {
			sum[f] = new(big.Rat)
		}
		for _, it := range items {
			for _, f := range fields {
				sum[f].Add(sum[f], rat(t, it[f]))
			}
		}
		add := func(fs ...string) *big.Rat {
			x := new(big.Rat)
			for _, f := range fs {
				x.Add(x, sum[f])
			}
			return x
		}
		check := func(name string, want *big.Rat) {
			if got := rat(t, inv[name]); got.Cmp(want) != 0 {
				t.Errorf("invoice %d %s: got %s, want %s", id, name, got.FloatString(8), want.FloatString(8))
			}
		}
		check("invoiceTotalRecurringAmount", sum["recurringFee"])
		check("invoiceTotalRecurringTaxAmount", sum["recurringTaxAmount"])
		check("invoiceTotalOneTimeAmount", add("oneTimeFee", "setupFee", "laborFee"))
		check("invoiceTotalOneTimeTaxAmount", add("oneTimeTaxAmount", "setupTaxAmount", "laborTaxAmount"))
		check("invoiceTotalPreTaxAmount", add("recurringFee", "oneTimeFee", "setupFee", "laborFee"))
		all := add(fields...)
		check("amount", all)
		if bad[id] {
			all.Add(all, big.NewRat(1, 100))
		}
		check("invoiceTotalAmount", all)
		if n := int(inv["itemCount"].(float64)); n != len(items) || n != total(t, r) {
			t.Errorf("invoice %d: itemCount %d, got %d items (total %d)", id, n, len(items), total(t, r))
		}
		if len(items) > heavy {
			heavy = len(items)
		}
	}
	if heavy < 1500 {
		t.Errorf("heaviest invoice: got %d items, want >= 1500", heavy)
	}
}
