package slsim

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	srv := start(t, smallOpts())
	mask := "mask[id,createDate,modifyDate,closedDate,statusCode,typeCode,itemCount,invoiceTotalAmount]"
	byID := func(os []obj) map[int64]obj {
		m := map[int64]obj{}
		for _, o := range os {
			m[idOf(o)] = o
		}
		return m
	}
	before := byID(allInvoices(t, srv, mask))
	truthBefore := srv.Sim().Truth()

	latest := decode[obj](t, call(t, srv, "SoftLayer_Account/getLatestRecurringInvoice.json", url.Values{"objectMask": {mask}}))
	if latest["statusCode"] != "OPEN" || latest["closedDate"] != nil || !strings.HasPrefix(latest["createDate"].(string), "2025-03-04T00:17") {
		t.Fatalf("latest recurring before: got %v, want OPEN 2025-03-04 with null closedDate", latest)
	}

	srv.Sim().Advance(720 * time.Hour)
	if got, want := srv.Sim().Now(), testNow.Add(720*time.Hour); !got.Equal(want) {
		t.Fatalf("Now: got %v, want %v", got, want)
	}
	after := byID(allInvoices(t, srv, mask))

	t.Run("the open invoice closes", func(t *testing.T) {
		o := after[idOf(latest)]
		if o["statusCode"] != "CLOSED" && o["statusCode"] != "CLOSED_FAILED" {
			t.Errorf("got status %v, want CLOSED", o["statusCode"])
		}
		if o["closedDate"] == nil || o["modifyDate"] == latest["modifyDate"] {
			t.Errorf("got closedDate %v modifyDate %v (was %v), want set and changed", o["closedDate"], o["modifyDate"], latest["modifyDate"])
		}
	})
	t.Run("a new month appears", func(t *testing.T) {
		var april int
		for _, o := range after {
			if strings.HasPrefix(o["createDate"].(string), "2025-04") {
				april++
			}
		}
		if april == 0 {
			t.Errorf("got no April invoices, want some")
		}
	})
	t.Run("a late credit lands in an old period", func(t *testing.T) {
		var late obj
		for id, o := range after {
			if _, ok := before[id]; !ok && o["typeCode"] == "CREDIT" && strings.HasPrefix(o["createDate"].(string), "2025-02") {
				late = o
			}
		}
		if late == nil {
			t.Fatal("got no new CREDIT created in 2025-02, want one")
		}
		cd, _ := time.Parse(time.RFC3339, late["createDate"].(string))
		md, _ := time.Parse(time.RFC3339, late["modifyDate"].(string))
		if md.Sub(cd) < 30*24*time.Hour || md.After(testNow.Add(720*time.Hour)) || !md.After(testNow) {
			t.Errorf("got createDate %v modifyDate %v, want modifyDate = when it became visible", cd, md)
		}
		get := func(tr Truth, p string) PeriodTruth {
			for _, x := range tr.Periods {
				if x.Period == p {
					return x
				}
			}
			return PeriodTruth{}
		}
		b, a := get(truthBefore, "2025-02"), get(srv.Sim().Truth(), "2025-02")
		if a.Invoices != b.Invoices+1 {
			t.Errorf("truth 2025-02 invoices: got %d, want %d", a.Invoices, b.Invoices+1)
		}
	})
	t.Run("an old invoice gets a late adjustment", func(t *testing.T) {
		var found bool
		for id, b := range before {
			a := after[id]
			if b["typeCode"] != "RECURRING" || !strings.HasPrefix(b["createDate"].(string), "2025-02") {
				continue
			}
			found = true
			if a["itemCount"].(float64) != b["itemCount"].(float64)+1 || a["modifyDate"] == b["modifyDate"] || a["invoiceTotalAmount"] == b["invoiceTotalAmount"] {
				t.Errorf("invoice %d: got itemCount %v->%v modifyDate %v->%v total %v->%v, want +1 item, new modifyDate and total",
					id, b["itemCount"], a["itemCount"], b["modifyDate"], a["modifyDate"], b["invoiceTotalAmount"], a["invoiceTotalAmount"])
			}
			r := call(t, srv, "SoftLayer_Billing_Invoice/"+strconv.FormatInt(id, 10)+"/getItems.json", url.Values{"objectMask": {"mask[id]"}})
			if total(t, r) != int(a["itemCount"].(float64)) {
				t.Errorf("getItems total %d, want itemCount %v", total(t, r), a["itemCount"])
			}
		}
		if !found {
			t.Fatal("got no February recurring invoice")
		}
	})
	t.Run("back in time", func(t *testing.T) {
		srv.Sim().SetNow(testNow)
		if got := len(allInvoices(t, srv, "mask[id]")); got != len(before) {
			t.Errorf("got %d invoices, want %d", got, len(before))
		}
	})
	t.Run("admin endpoint", func(t *testing.T) {
		r := do(t, srv, "POST", "/_sim/clock", url.Values{"advance": {"24h"}}, nil)
		if r.status != 200 || !strings.Contains(r.body, `"now": "2025-03-11T12:00:00Z"`) {
			t.Errorf("advance: got %d %s", r.status, r.body)
		}
		r = do(t, srv, "POST", "/_sim/clock", url.Values{"set": {"2025-05-01T00:00:00Z"}}, nil)
		if r.status != 200 || !srv.Sim().Now().Equal(time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("set: got %d %s", r.status, r.body)
		}
		r = do(t, srv, "GET", "/_sim/truth", nil, nil)
		tr := decode[Truth](t, r)
		if len(tr.Periods) == 0 || tr.Periods[len(tr.Periods)-1].Period != "2025-04" {
			t.Errorf("truth: got %+v, want periods up to 2025-04", tr.Periods)
		}
		if r := do(t, srv, "GET", "/_sim/stats", nil, nil); r.status != 200 || !strings.Contains(r.body, `"maxPerSecond"`) {
			t.Errorf("stats: got %d %s", r.status, r.body)
		}
		if r := do(t, srv, "POST", "/_sim/clock", url.Values{"set": {"yesterday"}}, nil); r.status != 400 {
			t.Errorf("bad set: got %d, want 400", r.status)
		}
	})
}

// TestConcurrentClock reads while the clock moves (run with -race).
func TestConcurrentClock(t *testing.T) {
	srv := start(t, smallOpts())
	done := make(chan struct{})
	errs := make(chan string, 4)
	var wg sync.WaitGroup
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				req, _ := http.NewRequest("GET", srv.URL()+"SoftLayer_Account/getInvoices.json?objectMask=mask[id,itemCount,invoiceTotalAmount,endingBalance,items[id]]&resultLimit=0,5&objectFilter="+
					url.QueryEscape(`{"invoices":{"id":{"operation":"orderBy","options":[{"name":"sort","value":["DESC"]}]}}}`), nil)
				req.SetBasicAuth(DefaultUser, DefaultAPIKey)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err.Error()
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					errs <- res.Status
					return
				}
			}
		}()
	}
	for i := 0; i < 40; i++ {
		srv.Sim().Advance(72 * time.Hour)
	}
	close(done)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("concurrent request: %s", e)
	}
}
