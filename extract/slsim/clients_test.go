package slsim

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/softlayer/softlayer-go/datatypes"
	"github.com/softlayer/softlayer-go/session"
	"github.com/softlayer/softlayer-go/sl"
)

// periodSums accumulates per billing period what a client saw.
type periodSums struct {
	invoices, items int64
	total, amount   *big.Rat
}

func addPeriod(m map[string]*periodSums, p string) *periodSums {
	if m[p] == nil {
		m[p] = &periodSums{total: new(big.Rat), amount: new(big.Rat)}
	}
	return m[p]
}

func decimal(t *testing.T, s string) *big.Rat {
	t.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("amount %q: not a decimal", s)
	}
	return r
}

// truthMap reshapes a Truth for comparison: period -> [invoices, items,
// total, itemsAmount] with amounts as exact rationals.
func truthMap(t *testing.T, tr Truth, withItems bool) map[string][4]string {
	out := map[string][4]string{}
	for _, p := range tr.Periods {
		v := [4]string{strconv.FormatInt(p.Invoices, 10), strconv.FormatInt(p.Items, 10), decimal(t, p.InvoiceTotalAmount).RatString(), ""}
		if withItems {
			v[3] = decimal(t, p.ItemsAmount).RatString()
		}
		out[p.Period] = v
	}
	return out
}

func sumsMap(m map[string]*periodSums, withItems bool) map[string][4]string {
	out := map[string][4]string{}
	for p, s := range m {
		v := [4]string{strconv.FormatInt(s.invoices, 10), strconv.FormatInt(s.items, 10), s.total.RatString(), ""}
		if withItems {
			v[3] = s.amount.RatString()
		}
		out[p] = v
	}
	return out
}

// TestSoftLayerGo pages the whole account through softlayer-go v1.1.7's
// session.DoRequest and checks it against the ground truth.
func TestSoftLayerGo(t *testing.T) {
	o := smallOpts()
	o.User, o.APIKey = "gouser", "gokey"
	o.InconsistentInvoices = 1
	srv := start(t, o)
	sess := session.New("gouser", "gokey", strings.TrimSuffix(srv.URL(), "/"), "30")
	sess.Timeout = 30 * time.Second

	type inv struct {
		ID                 int64  `json:"id"`
		CreateDate         string `json:"createDate"`
		ItemCount          int64  `json:"itemCount"`
		InvoiceTotalAmount string `json:"invoiceTotalAmount"`
	}
	var invoices []inv
	for off := 0; ; off += 25 {
		opts := &sl.Options{Mask: "mask[id,createDate,itemCount,invoiceTotalAmount]",
			Filter: `{"invoices":{"id":{"operation":"orderBy","options":[{"name":"sort","value":["ASC"]}]}}}`}
		opts.SetOffset(off)
		opts.SetLimit(25)
		var page []inv
		if err := sess.DoRequest("SoftLayer_Account", "getInvoices", nil, opts, &page); err != nil {
			t.Fatalf("getInvoices offset %d: %v", off, err)
		}
		invoices = append(invoices, page...)
		if len(invoices) >= opts.TotalItems || len(page) == 0 {
			break
		}
	}

	fees := []string{"recurringFee", "oneTimeFee", "setupFee", "laborFee", "recurringTaxAmount", "oneTimeTaxAmount", "setupTaxAmount", "laborTaxAmount"}
	got := map[string]*periodSums{}
	for _, in := range invoices {
		cd, err := time.Parse(time.RFC3339, in.CreateDate)
		if err != nil {
			t.Fatalf("createDate %q: %v", in.CreateDate, err)
		}
		s := addPeriod(got, cd.Format("2006-01"))
		s.invoices++
		s.total.Add(s.total, decimal(t, in.InvoiceTotalAmount))
		var n int64
		for off := 0; ; off += 200 {
			id := int(in.ID)
			opts := &sl.Options{Id: &id, Mask: "mask[id," + strings.Join(fees, ",") + "]",
				Filter: `{"items":{"id":{"operation":"orderBy","options":[{"name":"sort","value":["ASC"]}]}}}`}
			opts.SetOffset(off)
			opts.SetLimit(200)
			var page []map[string]any
			if err := sess.DoRequest("SoftLayer_Billing_Invoice", "getItems", nil, opts, &page); err != nil {
				t.Fatalf("getItems %d offset %d: %v", in.ID, off, err)
			}
			for _, it := range page {
				for _, f := range fees {
					s.amount.Add(s.amount, decimal(t, it[f].(string)))
				}
			}
			n += int64(len(page))
			if n >= int64(opts.TotalItems) || len(page) == 0 {
				break
			}
		}
		if n != in.ItemCount {
			t.Errorf("invoice %d: got %d items, itemCount %d", in.ID, n, in.ItemCount)
		}
		s.items += n
	}
	if diff := cmp.Diff(truthMap(t, srv.Sim().Truth(), true), sumsMap(got, true)); diff != "" {
		t.Errorf("per period [invoices items total itemsAmount] (-truth +softlayer-go):\n%s", diff)
	}

	t.Run("typed datatypes decode", func(t *testing.T) {
		id := int(invoices[len(invoices)/2].ID)
		opts := &sl.Options{Id: &id}
		opts.SetLimit(50)
		var items []datatypes.Billing_Invoice_Item
		if err := sess.DoRequest("SoftLayer_Billing_Invoice", "getItems", nil, opts, &items); err != nil {
			t.Fatalf("getItems into datatypes: %v", err)
		}
		if len(items) == 0 || items[0].Id == nil || items[0].CreateDate == nil || items[0].RecurringFee == nil {
			t.Errorf("got %+v, want decoded items", items)
		}
		var inv datatypes.Billing_Invoice
		if err := sess.DoRequest("SoftLayer_Billing_Invoice", "getObject", nil, &sl.Options{Id: &id}, &inv); err != nil || inv.Id == nil || *inv.Id != id {
			t.Errorf("getObject: got %v %v", inv.Id, err)
		}
	})
	t.Run("errors", func(t *testing.T) {
		var x []datatypes.Billing_Invoice
		err := sess.DoRequest("SoftLayer_Account", "nope", nil, &sl.Options{}, &x)
		if e, ok := err.(sl.Error); !ok || e.StatusCode != 404 || e.Exception != "SoftLayer_Exception_Public" {
			t.Errorf("unknown method: got %#v", err)
		}
		srv.Sim().InjectFault(FaultError200, 1)
		err = sess.DoRequest("SoftLayer_Account", "getInvoices", nil, &sl.Options{}, &x)
		if e, ok := err.(sl.Error); !ok || e.Message != "Internal Error" {
			t.Errorf("error with HTTP 200: got %#v, want sl.Error Internal Error", err)
		}
	})
}

// TestSlcli runs Debian's slcli 6.1.4 against the simulator and compares
// its JSON output with the ground truth.
func TestSlcli(t *testing.T) {
	bin, err := exec.LookPath("slcli")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("slcli not installed (CI is set): .ci/run installs python3-softlayer")
		}
		t.Skip("slcli not installed")
	}
	o := smallOpts()
	o.HeavyInvoiceItems = 300
	o.RateLimit = 0 // the real limit; slcli is sequential
	srv := start(t, o)
	dir := t.TempDir()
	conf := filepath.Join(dir, "sl.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("[softlayer]\nusername=%s\napi_key=%s\nendpoint_url=%s\ntimeout=30\n", DefaultUser, DefaultAPIKey, srv.URL())), 0o600); err != nil {
		t.Fatal(err)
	}
	slcli := func(args ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append([]string{"-C", conf, "--format", "json"}, args...)...)
		var env []string
		for _, kv := range os.Environ() {
			k, _, _ := strings.Cut(kv, "=")
			switch strings.ToLower(k) {
			case "https_proxy", "http_proxy", "all_proxy", "sl_username", "sl_api_key", "slcli_config":
				continue
			}
			env = append(env, kv)
		}
		cmd.Env = append(env, "HOME="+dir)
		out, err := cmd.Output()
		if err != nil {
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("slcli %v: %v\n%s", args, err, stderr)
		}
		return out
	}

	var rows []struct {
		ID      int64  `json:"Id"`
		Created string `json:"Created"`
		Amount  string `json:"Invoice Amount"`
		Items   int64  `json:"Items"`
	}
	if err := json.Unmarshal(slcli("account", "invoices", "--all", "--closed"), &rows); err != nil {
		t.Fatalf("slcli account invoices: %v", err)
	}
	got := map[string]*periodSums{}
	for _, r := range rows {
		s := addPeriod(got, r.Created[:7])
		s.invoices++
		s.items += r.Items
		s.total.Add(s.total, decimal(t, r.Amount))
	}
	if diff := cmp.Diff(truthMap(t, srv.Sim().Truth(), false), sumsMap(got, false)); diff != "" {
		t.Errorf("per period [invoices items total] (-truth +slcli):\n%s", diff)
	}

	// invoice-detail of a NEW invoice with a server or guest (children).
	var h *header
	for _, x := range headersOf(srv, rcNew) {
		if x.base.items > x.base.topLevel && x.base.items < 150 {
			h = x
			break
		}
	}
	if h == nil {
		t.Fatal("no NEW invoice with children")
	}
	var detail []map[string]any
	if err := json.Unmarshal(slcli("account", "invoice-detail", strconv.FormatInt(h.id, 10), "--details"), &detail); err != nil {
		t.Fatalf("slcli invoice-detail: %v", err)
	}
	want := expectedDetail(srv.Sim(), h)
	if diff := cmp.Diff(want, detail); diff != "" {
		t.Errorf("invoice-detail %d (-model +slcli):\n%s", h.id, diff)
	}
}

// expectedDetail renders the rows slcli 6.1.4 prints for invoice-detail
// --details, from the model (sl-py CLI/account/invoice_detail.py).
func expectedDetail(s *Sim, h *header) []map[string]any {
	d := s.accts[0].data(h)
	money2 := func(m money) string {
		r := new(big.Rat).SetFrac64(int64(m), int64(unit))
		return "$" + r.FloatString(2)
	}
	nice := func(x string) string {
		if len(x) > 100 {
			return x[:100] + ".."
		}
		return x
	}
	pyStr := func(x string) string {
		if x == "" {
			return "None"
		}
		return x
	}
	var rows []map[string]any
	for i := range d.items {
		it := &d.items[i]
		if it.parent >= 0 {
			continue
		}
		cat := it.cat.name
		if cat == "" {
			cat = it.cat.code
		}
		var loc any
		if it.loc >= 0 {
			loc = locations[it.loc].name
		}
		// with explicit nulls, slcli appends "(None.None)" to items without a host
		desc := it.desc + " (" + pyStr(it.host) + "." + pyStr(it.domain) + ")"
		rows = append(rows, map[string]any{"Item Id": float64(it.id), "Category": cat, "Description": nice(desc),
			"Single": money2(it.oneTime + it.oneTimeTax), "Monthly": money2(it.recurring + it.recurringTax),
			"Create Date": it.create.In(s.central).Format("2006-01-02"), "Location": loc})
		for _, c := range d.children[i] {
			ch := &d.items[c]
			rows = append(rows, map[string]any{"Item Id": ">>>", "Category": ch.cat.name, "Description": nice(ch.desc),
				"Single": money2(ch.oneTime + ch.oneTimeTax), "Monthly": money2(ch.recurring + ch.recurringTax),
				"Create Date": "---", "Location": "---"})
		}
	}
	return rows
}
