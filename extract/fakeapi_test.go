package extract

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeAPI is a minimal SoftLayer REST server for unit tests: getInvoices and
// getItems over in-memory rows, resultLimit, SoftLayer-Total-Items, Basic
// and Bearer auth, orderBy id, and one-shot faults. The simulator
// (extract/slsim) is the full one; this covers what it cannot script.
type fakeAPI struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	invoices []fakeRow
	items    map[int64][]fakeRow
	faults   []func(w http.ResponseWriter) // consumed one per request
	before   func(n int, r *http.Request)  // called with the request number, under mu
	requests []*http.Request
	n        int
	auth     string // expected Authorization
}

type fakeRow struct {
	id   int64
	json string
}

func newFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{t: t, items: map[int64][]fakeRow{}, auth: basic("user", "key")}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func basic(u, p string) string {
	r, _ := http.NewRequest("GET", "http://x", nil)
	r.SetBasicAuth(u, p)
	return r.Header.Get("Authorization")
}

func (f *fakeAPI) url() string { return f.srv.URL + "/rest/v3.1/" }

func (f *fakeAPI) addInvoices(ids ...int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		f.invoices = append(f.invoices, fakeRow{id, fmt.Sprintf(
			`{"id":%d,"accountId":1,"createDate":"2024-03-%02dT10:00:00-06:00","modifyDate":"2024-03-%02dT10:00:00-06:00",`+
				`"statusCode":"CLOSED","typeCode":"RECURRING","invoiceTotalAmount":"%d.5","itemCount":%d}`,
			id, id%28+1, id%28+1, id, len(f.items[id]))})
	}
	sort.Slice(f.invoices, func(i, j int) bool { return f.invoices[i].id < f.invoices[j].id })
}

func (f *fakeAPI) addItems(inv int64, ids ...int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.items[inv] == nil {
		f.items[inv] = []fakeRow{}
	}
	for _, id := range ids {
		f.items[inv] = append(f.items[inv], fakeRow{id, fmt.Sprintf(
			`{"id":%d,"invoiceId":%d,"categoryCode":"guest_core","recurringFee":"%d.01","createDate":"2024-03-01T00:00:00-06:00"}`, id, inv, id)})
	}
	sort.Slice(f.items[inv], func(i, j int) bool { return f.items[inv][i].id < f.items[inv][j].id })
}

func (f *fakeAPI) removeItem(inv, id int64) {
	rows := f.items[inv]
	for i, r := range rows {
		if r.id == id {
			f.items[inv] = append(rows[:i:i], rows[i+1:]...)
			return
		}
	}
}

func (f *fakeAPI) fault(fs ...func(w http.ResponseWriter)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, fs...)
}

func apiErr(status int, code, msg string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		b, _ := json.Marshal(map[string]string{"error": msg, "code": code})
		w.Write(b)
	}
}

func (f *fakeAPI) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.n++
	f.requests = append(f.requests, r)
	if f.before != nil {
		f.before(f.n, r)
	}
	if r.Header.Get("Authorization") != f.auth {
		f.mu.Unlock()
		apiErr(401, CodePublic, "Access Denied. ")(w)
		return
	}
	if len(f.faults) > 0 {
		fault := f.faults[0]
		f.faults = f.faults[1:]
		f.mu.Unlock()
		if fault != nil {
			fault(w)
			return
		}
		f.mu.Lock()
	}
	var rows []fakeRow
	path := strings.TrimPrefix(r.URL.Path, "/rest/v3.1/")
	switch {
	case path == "SoftLayer_Account/getInvoices.json":
		rows = append(rows, f.invoices...)
	case strings.HasPrefix(path, "SoftLayer_Billing_Invoice/") && strings.HasSuffix(path, "/getItems.json"):
		id, _ := strconv.ParseInt(strings.Split(path, "/")[1], 10, 64)
		if _, ok := f.items[id]; !ok {
			f.mu.Unlock()
			apiErr(404, CodeObjectNotFound, fmt.Sprintf("Unable to find object with id of '%d'.", id))(w)
			return
		}
		rows = append(rows, f.items[id]...)
	default:
		f.mu.Unlock()
		apiErr(404, CodePublic, "Service does not exist")(w)
		return
	}
	f.mu.Unlock()
	if !strings.Contains(r.URL.Query().Get("objectFilter"), `"orderBy"`) {
		for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 { // "database order"
			rows[i], rows[j] = rows[j], rows[i]
		}
	}
	total := len(rows)
	if rl := r.URL.Query().Get("resultLimit"); rl != "" {
		parts := strings.Split(rl, ",")
		off, _ := strconv.Atoi(parts[0])
		lim, _ := strconv.Atoi(parts[1])
		off = min(off, len(rows))
		rows = rows[off:min(off+lim, len(rows))]
	}
	var b strings.Builder
	b.WriteByte('[')
	for i, row := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row.json)
	}
	b.WriteByte(']')
	w.Header().Set("SoftLayer-Total-Items", strconv.Itoa(total))
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(b.String()))
}
