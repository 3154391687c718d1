package slsim

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
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

	"github.com/invoicelake/invoicelake/extract/slsim/query"
)

// callAs GETs path with the classic credentials of cr.
func callAs(t *testing.T, srv *Server, cr Credentials, path string, q url.Values) resp {
	t.Helper()
	return do(t, srv, http.MethodGet, path, q, func(r *http.Request) { r.SetBasicAuth(cr.User, cr.APIKey) })
}

func ratOf(t *testing.T, s string) *big.Rat {
	t.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("amount %q: not a decimal", s)
	}
	return r
}

// number reads an amount written as a JSON string or a bare number.
func number(t *testing.T, v any) *big.Rat {
	t.Helper()
	switch x := v.(type) {
	case string:
		return ratOf(t, x)
	case float64:
		return ratOf(t, strconv.FormatFloat(x, 'f', -1, 64))
	}
	t.Fatalf("got %T %v, want an amount", v, v)
	return nil
}

func TestAccounts(t *testing.T) {
	o := smallOpts()
	o.Accounts = 3
	srv := start(t, o)
	accts := srv.Sim().Accounts()
	if len(accts) != 3 {
		t.Fatalf("got %d accounts, want 3", len(accts))
	}
	want0 := Credentials{DefaultUser, DefaultAPIKey, DefaultIAMKey, DefaultBearerToken}
	if accts[0].Credentials != want0 {
		t.Errorf("first account: got %+v, want the default credentials", accts[0].Credentials)
	}
	if c := accts[2].Credentials; c != (Credentials{"simuser-3", "simkey-3", "sim-iam-key-3", "sim-bearer-token-3"}) {
		t.Errorf("third account: got %+v", c)
	}

	t.Run("the first account is the single-account simulator", func(t *testing.T) {
		one := start(t, smallOpts())
		got, want := srv.Sim().Truth(), one.Sim().Truth()
		if diff := cmp.Diff(want.AccountTruth, got.AccountTruth); diff != "" {
			t.Errorf("first account's truth (-single +three):\n%s", diff)
		}
		if len(got.Accounts) != 3 || got.Accounts[1].AccountID != accts[1].ID {
			t.Errorf("truth accounts: got %d, want 3 with ids in order", len(got.Accounts))
		}
		if a, ok := got.Account(accts[2].ID); !ok || a.Credentials != accts[2].Credentials {
			t.Errorf("Truth.Account(%d): got %+v %v", accts[2].ID, a.Credentials, ok)
		}
	})

	// every credential form sees its own account
	ids := map[int64]bool{}
	invoices := make([][]obj, 3)
	for i, a := range accts {
		cr := a.Credentials
		forms := map[string]func(*http.Request){
			"classic": func(r *http.Request) { r.SetBasicAuth(cr.User, cr.APIKey) },
			"iam":     func(r *http.Request) { r.SetBasicAuth("apikey", cr.IAMKey) },
			"bearer":  func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+cr.BearerToken) },
		}
		for name, auth := range forms {
			r := do(t, srv, "GET", "SoftLayer_Account/getObject.json", url.Values{"objectMask": {"mask[id]"}}, auth)
			if r.status != 200 || idOf(decode[obj](t, r)) != a.ID {
				t.Errorf("account %d %s: got %d %s, want id %d", i, name, r.status, r.body, a.ID)
			}
		}
		if ids[a.ID] {
			t.Errorf("account id %d twice", a.ID)
		}
		ids[a.ID] = true
		invoices[i] = decode[[]obj](t, callAs(t, srv, cr, "SoftLayer_Account/getInvoices.json", url.Values{"objectMask": {"mask[id,accountId,invoiceTotalAmount]"}}))
		if len(invoices[i]) == 0 {
			t.Fatalf("account %d: no invoices", i)
		}
		for _, inv := range invoices[i] {
			if int64(inv["accountId"].(float64)) != a.ID {
				t.Fatalf("account %d: got an invoice of account %v", i, inv["accountId"])
			}
		}
		tr := srv.Sim().Truth().Accounts[i]
		var n int64
		for _, p := range tr.Periods {
			n += p.Invoices
		}
		if n != int64(len(invoices[i])) {
			t.Errorf("account %d: got %d invoices, truth %d", i, len(invoices[i]), n)
		}
	}
	seen := map[int64]int{}
	for i, invs := range invoices {
		for _, inv := range invs {
			if j, ok := seen[idOf(inv)]; ok {
				t.Fatalf("invoice id %d in accounts %d and %d", idOf(inv), j, i)
			}
			seen[idOf(inv)] = i
		}
	}
	if cmp.Equal(srv.Sim().Truth().Accounts[1].Periods, srv.Sim().Truth().Accounts[2].Periods) {
		t.Errorf("accounts 2 and 3 have the same history, want their own")
	}

	t.Run("another account's objects are not found", func(t *testing.T) {
		first, second := accts[0].Credentials, accts[1].Credentials
		inv := strconv.FormatInt(idOf(invoices[1][len(invoices[1])/2]), 10)
		items := decode[[]obj](t, callAs(t, srv, second, "SoftLayer_Billing_Invoice/"+inv+"/getItems.json", url.Values{"objectMask": {"mask[id,billingItemId]"}, "resultLimit": {"0,5"}}))
		bis := decode[[]obj](t, callAs(t, srv, second, "SoftLayer_Account/getAllTopLevelBillingItems.json", url.Values{"objectMask": {"mask[id,orderItemId]"}, "resultLimit": {"0,1"}}))
		orders := decode[[]obj](t, callAs(t, srv, second, "SoftLayer_Billing_Order/getAllObjects.json", url.Values{"objectMask": {"mask[id]"}, "resultLimit": {"0,1"}}))
		if len(items) == 0 || len(bis) == 0 || len(orders) == 0 {
			t.Fatal("the second account has no items, billing items or orders")
		}
		paths := []string{
			"SoftLayer_Billing_Invoice/" + inv + "/getObject.json",
			"SoftLayer_Billing_Invoice/" + inv + "/getPdf.json",
			"SoftLayer_Account/getInvoices/" + inv + ".json",
			"SoftLayer_Billing_Invoice_Item/" + strconv.FormatInt(idOf(items[0]), 10) + ".json",
			"SoftLayer_Billing_Item/" + strconv.FormatInt(idOf(bis[0]), 10) + ".json",
			"SoftLayer_Billing_Order_Item/" + strconv.FormatInt(int64(bis[0]["orderItemId"].(float64)), 10) + ".json",
			"SoftLayer_Billing_Order/" + strconv.FormatInt(idOf(orders[0]), 10) + ".json",
			"SoftLayer_Account/" + strconv.FormatInt(accts[1].ID, 10) + ".json",
		}
		for _, p := range paths {
			if r := callAs(t, srv, second, p, nil); r.status != 200 {
				t.Errorf("%s as its owner: got %d %s, want 200", p, r.status, r.body)
			}
			r := callAs(t, srv, first, p, nil)
			if r.status != 404 || !strings.Contains(r.body, `"code":"SoftLayer_Exception_ObjectNotFound"`) {
				t.Errorf("%s as another account: got %d %s, want 404 ObjectNotFound", p, r.status, r.body)
			}
		}
	})

	t.Run("rate limit per credential", func(t *testing.T) {
		o := smallOpts()
		o.Accounts = 2
		o.RateLimit = 3
		srv := start(t, o)
		accts := srv.Sim().Accounts()
		var limited int
		for i := 0; i < 8; i++ {
			if r := callAs(t, srv, accts[0].Credentials, "SoftLayer_Account/getBalance.json", nil); r.status == 500 &&
				strings.Contains(r.body, "SoftLayer_Exception_WebService_RateLimitExceeded") {
				limited++
			}
		}
		if limited == 0 {
			t.Fatal("got no rate-limit answer for 8 quick requests at 3/s, want some")
		}
		if r := callAs(t, srv, accts[1].Credentials, "SoftLayer_Account/getBalance.json", nil); r.status != 200 {
			t.Errorf("the other account's credential: got %d %s, want 200 (its own budget)", r.status, r.body)
		}
		st := srv.Sim().Stats()
		if st.ByAccount[strconv.FormatInt(accts[1].ID, 10)] != 1 || st.ByAccount[strconv.FormatInt(accts[0].ID, 10)] != int64(8-limited) {
			t.Errorf("stats by account: got %v, want %d and 1", st.ByAccount, 8-limited)
		}
	})

	t.Run("admin lists the accounts", func(t *testing.T) {
		r := do(t, srv, "GET", "/_sim/accounts", nil, nil)
		if diff := cmp.Diff(accts, decode[[]Account](t, r)); diff != "" {
			t.Errorf("/_sim/accounts (-Accounts() +admin):\n%s", diff)
		}
	})
	t.Run("bad options", func(t *testing.T) {
		for _, n := range []int{-1, MaxAccounts + 1} {
			o := smallOpts()
			o.Accounts = n
			if _, err := New(o); err == nil {
				t.Errorf("Accounts %d: got no error", n)
			}
		}
	})
}

func TestAccountSnapshot(t *testing.T) {
	srv := start(t, smallOpts())
	tr := srv.Sim().Truth()
	snap := tr.Snapshot
	mask := "mask[balance,nextInvoiceTotalAmount,nextInvoiceTotalRecurringAmount,nextInvoiceTotalRecurringTaxAmount," +
		"nextInvoiceTotalTaxableRecurringAmount,nextInvoiceTotalOneTimeAmount,nextInvoiceTotalOneTimeTaxAmount," +
		"nextInvoiceTopLevelBillingItemCount,pendingInvoice[id,startingBalance,invoiceTotalAmount],latestRecurringInvoice[id]," +
		"latestBillDate,userCount,orderCount,hardwareCount,virtualGuestCount,allTopLevelBillingItemCount]"
	a := decode[obj](t, call(t, srv, "SoftLayer_Account/getObject.json", url.Values{"objectMask": {mask}}))
	for name, want := range map[string]string{
		"balance": snap.Balance, "nextInvoiceTotalAmount": snap.NextInvoiceTotalAmount,
		"nextInvoiceTotalRecurringAmount": snap.NextInvoiceTotalRecurringAmount, "nextInvoiceTotalRecurringTaxAmount": snap.NextInvoiceTotalRecurringTaxAmount,
		"nextInvoiceTotalTaxableRecurringAmount": snap.NextInvoiceTotalTaxableRecurringAmount,
		"nextInvoiceTotalOneTimeAmount":          snap.NextInvoiceTotalOneTimeAmount, "nextInvoiceTotalOneTimeTaxAmount": snap.NextInvoiceTotalOneTimeTaxAmount,
	} {
		if got := rat(t, a[name]); got.Cmp(ratOf(t, want)) != 0 {
			t.Errorf("%s: got %s, truth %s", name, got.FloatString(8), want)
		}
	}
	if ratOf(t, snap.NextInvoiceTotalAmount).Sign() <= 0 || ratOf(t, snap.NextInvoiceTotalRecurringTaxAmount).Sign() <= 0 {
		t.Errorf("got next invoice %s tax %s, want both > 0", snap.NextInvoiceTotalAmount, snap.NextInvoiceTotalRecurringTaxAmount)
	}
	p := a["pendingInvoice"].(obj)
	if snap.PendingInvoice == nil || idOf(p) != snap.PendingInvoice.ID ||
		rat(t, p["startingBalance"]).Cmp(ratOf(t, snap.PendingInvoice.StartingBalance)) != 0 ||
		rat(t, p["invoiceTotalAmount"]).Cmp(ratOf(t, snap.PendingInvoice.InvoiceTotalAmount)) != 0 {
		t.Errorf("pendingInvoice: got %v, truth %+v", p, snap.PendingInvoice)
	}
	if idOf(a["latestRecurringInvoice"].(obj)) != snap.LatestRecurringInvoice.ID || !strings.HasPrefix(a["latestBillDate"].(string), "2025-03-04T00:17") {
		t.Errorf("latest recurring: got %v %v, truth %+v", a["latestRecurringInvoice"], a["latestBillDate"], snap.LatestRecurringInvoice)
	}
	if int64(a["nextInvoiceTopLevelBillingItemCount"].(float64)) != snap.NextInvoiceTopLevelBillingItemCount ||
		int(a["allTopLevelBillingItemCount"].(float64)) != len(tr.BillingItems) || int(a["orderCount"].(float64)) != len(tr.Orders) {
		t.Errorf("counts: got %v, truth %d next, %d billing items, %d orders", a, snap.NextInvoiceTopLevelBillingItemCount, len(tr.BillingItems), len(tr.Orders))
	}
	if a["hardwareCount"].(float64) < 1 || a["virtualGuestCount"].(float64) < 1 || a["userCount"].(float64) < 2 {
		t.Errorf("inventory: got %v, want servers, guests and users", a)
	}

	t.Run("scalar getters are bare numbers", func(t *testing.T) {
		for m, want := range map[string]string{"getNextInvoiceTotalAmount": snap.NextInvoiceTotalAmount, "getBalance": snap.Balance,
			"getNextInvoiceTotalRecurringTaxAmount": snap.NextInvoiceTotalRecurringTaxAmount} {
			r := call(t, srv, "SoftLayer_Account/"+m+".json", nil)
			if strings.HasPrefix(r.body, `"`) || ratOf(t, r.body).Cmp(ratOf(t, want)) != 0 {
				t.Errorf("%s: got %s, want bare %s", m, r.body, want)
			}
		}
		if r := call(t, srv, "SoftLayer_Account/getLatestBillDate.json", nil); !strings.HasPrefix(r.body, `"2025-03-04T00:17`) {
			t.Errorf("getLatestBillDate: got %s, want a date string", r.body)
		}
	})
	t.Run("the next invoice's items add up to its total", func(t *testing.T) {
		r := call(t, srv, "SoftLayer_Account/getNextInvoiceTopLevelBillingItems.json", url.Values{
			"objectMask": {"mask[id,nextInvoiceTotalRecurringAmount,cancellationDate]"}})
		items := decode[[]obj](t, r)
		sum := new(big.Rat)
		for _, it := range items {
			v, ok := it["nextInvoiceTotalRecurringAmount"].(float64)
			if !ok {
				t.Fatalf("nextInvoiceTotalRecurringAmount: got %T, want a bare number as in the sl-cli fixture", it["nextInvoiceTotalRecurringAmount"])
			}
			sum.Add(sum, number(t, v))
			if it["cancellationDate"] != nil {
				t.Errorf("item %v: got a cancellationDate on the next invoice", it["id"])
			}
		}
		if sum.Cmp(ratOf(t, snap.NextInvoiceTotalRecurringAmount)) != 0 || len(items) != int(snap.NextInvoiceTopLevelBillingItemCount) || total(t, r) != len(items) {
			t.Errorf("got %d items summing to %s, truth %d items, %s", len(items), sum.FloatString(8), snap.NextInvoiceTopLevelBillingItemCount, snap.NextInvoiceTotalRecurringAmount)
		}
	})
	t.Run("no pending invoice", func(t *testing.T) {
		// on the 3rd (before the recurring invoice) everything may be
		// closed; then pendingInvoice is null and omitted in a mask
		srv := start(t, smallOpts())
		for d := 0; d < 40; d++ {
			tr := srv.Sim().Truth()
			r := call(t, srv, "SoftLayer_Account/getPendingInvoice.json", nil)
			if tr.Snapshot.PendingInvoice == nil {
				if r.body != "null" {
					t.Errorf("getPendingInvoice with none open: got %s, want null", r.body)
				}
				return
			}
			if idOf(decode[obj](t, r)) != tr.Snapshot.PendingInvoice.ID {
				t.Fatalf("getPendingInvoice: got %s, truth %d", r.body, tr.Snapshot.PendingInvoice.ID)
			}
			srv.Sim().Advance(24 * time.Hour)
		}
		t.Error("every day of 40 had an open invoice, want a day without")
	})
}

// TestForecastMatchesNextInvoice checks the forecast against the invoice it
// forecasts: a monthly item active now and still active at the next
// anniversary is billed exactly its nextInvoiceTotalRecurringAmount.
func TestForecastMatchesNextInvoice(t *testing.T) {
	srv := start(t, smallOpts())
	forecast := map[int64]*big.Rat{}
	for _, it := range decode[[]obj](t, call(t, srv, "SoftLayer_Account/getNextInvoiceTopLevelBillingItems.json",
		url.Values{"objectMask": {"mask[id,hourlyFlag,nextInvoiceTotalRecurringAmount]"}})) {
		if it["hourlyFlag"] == false {
			forecast[idOf(it)] = number(t, it["nextInvoiceTotalRecurringAmount"])
		}
	}
	srv.Sim().Advance(720 * time.Hour) // past the April anniversary
	inv := decode[obj](t, call(t, srv, "SoftLayer_Account/getLatestRecurringInvoice.json", url.Values{"objectMask": {"mask[id,createDate]"}}))
	if !strings.HasPrefix(inv["createDate"].(string), "2025-04-04") {
		t.Fatalf("latest recurring invoice: got %v, want April's", inv)
	}
	items := decode[[]obj](t, call(t, srv, "SoftLayer_Billing_Invoice/"+strconv.FormatInt(idOf(inv), 10)+"/getItems.json",
		url.Values{"objectMask": {"mask[id,parentId,billingItemId,recurringFee,categoryCode]"}}))
	billed := map[int64]*big.Rat{} // top-level billing item -> Σ recurringFee with children
	topOf := map[int64]int64{}     // invoice item -> its top-level billing item
	for _, it := range items {
		if it["parentId"] == nil && it["billingItemId"] != nil {
			topOf[idOf(it)] = int64(it["billingItemId"].(float64))
		}
	}
	var licenses int
	for _, it := range items {
		top, ok := topOf[idOf(it)]
		if p, child := it["parentId"].(float64); child {
			top, ok = topOf[int64(p)]
		}
		if !ok {
			continue
		}
		if billed[top] == nil {
			billed[top] = new(big.Rat)
		}
		billed[top].Add(billed[top], rat(t, it["recurringFee"]))
		if it["categoryCode"] == "software_license" {
			licenses++
		}
	}
	var matched int
	for id, want := range forecast {
		got, ok := billed[id]
		if !ok {
			continue // cancelled before the anniversary
		}
		matched++
		if got.Cmp(want) != 0 {
			t.Errorf("billing item %d: forecast %s, billed %s", id, want.FloatString(8), got.FloatString(8))
		}
	}
	if matched < 20 || licenses == 0 {
		t.Errorf("got %d forecast items on the invoice (%d licenses), want >= 20 and a license", matched, licenses)
	}
}

func TestBillingItems(t *testing.T) {
	srv := start(t, smallOpts())
	tr := srv.Sim().Truth()
	slcliFilter := `{"allTopLevelBillingItems":{"cancellationDate":{"operation":"is null"},"createDate":{"operation":"orderBy","options":[{"name":"sort","value":["ASC"]}]}}}`
	slcliMask := "mask[orderItem[id,order[id,userRecord[id,email,displayName,userStatus]]],nextInvoiceTotalRecurringAmount,location,hourlyFlag]"
	var active []BillingItemTruth
	for _, b := range tr.BillingItems {
		if b.CancellationDate == nil {
			active = append(active, b)
		}
	}
	if len(active) == len(tr.BillingItems) || len(active) < 30 {
		t.Fatalf("truth: %d active of %d billing items, want some cancelled and >= 30 active", len(active), len(tr.BillingItems))
	}
	var got []obj
	for off := 0; ; off += 25 {
		r := call(t, srv, "SoftLayer_Account/getAllTopLevelBillingItems.json", url.Values{"objectMask": {slcliMask},
			"objectFilter": {slcliFilter}, "resultLimit": {strconv.Itoa(off) + ",25"}})
		page := decode[[]obj](t, r)
		got = append(got, page...)
		if total(t, r) != len(active) {
			t.Fatalf("SoftLayer-Total-Items: got %d, want %d", total(t, r), len(active))
		}
		if len(page) < 25 {
			break
		}
	}
	if len(got) != len(active) {
		t.Fatalf("got %d active billing items, truth %d", len(got), len(active))
	}
	byID := map[int64]BillingItemTruth{}
	for _, b := range active {
		byID[b.ID] = b
	}
	var prev time.Time
	for _, g := range got {
		b, ok := byID[idOf(g)]
		if !ok {
			t.Fatalf("billing item %d: not an active item of the truth", idOf(g))
		}
		cd, err := time.Parse(time.RFC3339, g["createDate"].(string))
		if err != nil || cd.Before(prev) || !cd.Equal(b.CreateDate) {
			t.Errorf("billing item %d: createDate %v after %v (truth %v), want ascending as the filter asks", b.ID, cd, prev, b.CreateDate)
		}
		prev = cd
		user := g["orderItem"].(obj)["order"].(obj)["userRecord"].(obj)
		if number(t, g["nextInvoiceTotalRecurringAmount"]).Cmp(ratOf(t, b.NextInvoiceTotalRecurringAmount)) != 0 ||
			user["displayName"] != b.OrderedBy.DisplayName || user["userStatus"].(obj)["keyName"] != b.OrderedBy.Status ||
			int64(g["orderItem"].(obj)["order"].(obj)["id"].(float64)) != b.OrderID || g["categoryCode"] != b.CategoryCode {
			t.Errorf("billing item %d: got %v, truth %+v", b.ID, g, b)
		}
		if _, ok := g["hostName"]; ok != (b.HostName != "") {
			t.Errorf("billing item %d: hostName present %v, want present only when set (the API leaves it out)", b.ID, ok)
		}
	}

	t.Run("getObject with slcli's item-detail mask", func(t *testing.T) {
		var server, hourly, license *BillingItemTruth
		for i := range active {
			b := &active[i]
			switch {
			case b.CategoryCode == "server" && server == nil:
				server = b
			case b.HourlyFlag && hourly == nil && b.HoursUsed > 0:
				hourly = b
			case b.CategoryCode == "software_license" && license == nil:
				license = b
			}
		}
		if server == nil || hourly == nil || license == nil {
			t.Fatalf("truth lacks an active server, hourly item or license: %v %v %v", server, hourly, license)
		}
		mask := "mask[orderItem[id,order[id,userRecord[id,email,displayName,userStatus]]],nextInvoiceTotalRecurringAmount,location,hourlyFlag,children]"
		g := decode[obj](t, call(t, srv, "SoftLayer_Billing_Item/"+strconv.FormatInt(server.ID, 10)+".json", url.Values{"objectMask": {mask}}))
		var kids []int64
		for _, c := range g["children"].([]any) {
			c := c.(obj)
			kids = append(kids, idOf(c))
			if c["associatedBillingItemId"] != strconv.FormatInt(server.ID, 10) || int64(c["parentId"].(float64)) != server.ID {
				t.Errorf("child %v: want parentId %d and associatedBillingItemId the string %q", c, server.ID, strconv.FormatInt(server.ID, 10))
			}
			if _, ok := c["hostName"]; ok {
				t.Errorf("child %v: got hostName, want it left out", c["id"])
			}
		}
		if diff := cmp.Diff(server.Children, kids); diff != "" || g["hostName"] != server.HostName || g["recurringFee"] != server.RecurringFee {
			t.Errorf("server %d: children (-truth +got):\n%s; host %v fee %v", server.ID, diff, g["hostName"], g["recurringFee"])
		}
		h := decode[obj](t, call(t, srv, "SoftLayer_Billing_Item/"+strconv.FormatInt(hourly.ID, 10)+".json", url.Values{"objectMask": {"mask[hourlyFlag,hoursUsed,currentHourlyCharge,hourlyRecurringFee]"}}))
		charge := new(big.Rat).Mul(ratOf(t, hourly.HourlyRecurringFee), new(big.Rat).SetInt64(hourly.HoursUsed))
		if h["hourlyFlag"] != true || h["hoursUsed"] != strconv.FormatInt(hourly.HoursUsed, 10) || rat(t, h["currentHourlyCharge"]).Cmp(charge) != 0 {
			t.Errorf("hourly item %d: got %v, want hoursUsed %d (a string) and currentHourlyCharge %s", hourly.ID, h, hourly.HoursUsed, charge.FloatString(4))
		}
		l := decode[obj](t, call(t, srv, "SoftLayer_Billing_Item/"+strconv.FormatInt(license.ID, 10)+"/getObject.json", nil))
		if l["parentId"] != nil || l["associatedBillingItemId"] != strconv.FormatInt(license.AssociatedBillingItemID, 10) {
			t.Errorf("license %d: got %v, want no parent and associatedBillingItemId %d", license.ID, l, license.AssociatedBillingItemID)
		}
		lic := strconv.FormatInt(license.ID, 10)
		owner := strconv.FormatInt(license.AssociatedBillingItemID, 10)
		if r := call(t, srv, "SoftLayer_Billing_Item/"+owner+"/getAssociatedChildren.json", url.Values{"objectMask": {"mask[id]"}}); !strings.Contains(r.body, `"id":`+lic+`}`) {
			t.Errorf("associatedChildren of server %s: got %s, want its license %s", owner, r.body, lic)
		}
	})
	t.Run("an invoice item's billing item is the same object", func(t *testing.T) {
		_, hs := srv.Sim().snapshot()
		var h *header
		for _, x := range hs {
			if x.recipe == rcRecurring {
				h = x
			}
		}
		items := decode[[]obj](t, call(t, srv, "SoftLayer_Billing_Invoice/"+strconv.FormatInt(h.id, 10)+"/getInvoiceTopLevelItems.json",
			url.Values{"objectMask": {"mask[id,billingItemId,billingItem[id,categoryCode]]"}, "resultLimit": {"0,20"}}))
		var n int
		for _, it := range items {
			bi, ok := it["billingItem"].(obj)
			if !ok {
				continue
			}
			n++
			if idOf(bi) != int64(it["billingItemId"].(float64)) {
				t.Errorf("invoice item %v: billingItem %v, billingItemId %v", it["id"], bi["id"], it["billingItemId"])
			}
			if r := call(t, srv, "SoftLayer_Billing_Item/"+strconv.FormatInt(idOf(bi), 10)+".json", nil); r.status != 200 {
				t.Errorf("billing item %v: got %d, want 200", bi["id"], r.status)
			}
		}
		if n == 0 {
			t.Error("got no invoice item with a billing item")
		}
	})
	t.Run("errors", func(t *testing.T) {
		id := strconv.FormatInt(active[0].ID, 10)
		for _, tc := range []struct{ path, q, want string }{
			{"SoftLayer_Billing_Item/1.json", "", `"code":"SoftLayer_Exception_ObjectNotFound"`},
			{"SoftLayer_Billing_Item/" + id + ".json", "objectMask=mask[nope]", `Property 'nope' not valid for 'SoftLayer_Billing_Item'.`},
			{"SoftLayer_Account/getAllTopLevelBillingItems.json", "objectFilter={", `Unable to parse object filter`},
			{"SoftLayer_Billing_Item/" + id + "/getNope.json", "", `is not a valid method`},
		} {
			q, _ := url.ParseQuery(tc.q)
			if r := call(t, srv, tc.path, q); r.status < 400 || !strings.Contains(r.body, tc.want) {
				t.Errorf("%s?%s: got %d %s, want %s", tc.path, tc.q, r.status, r.body, tc.want)
			}
		}
	})
}

func TestOrders(t *testing.T) {
	srv := start(t, smallOpts())
	tr := srv.Sim().Truth()
	var got []obj
	for off := 0; ; off += 50 {
		r := call(t, srv, "SoftLayer_Billing_Order/getAllObjects.json", url.Values{
			"objectMask":  {"orderTotalAmount, userRecord[username,displayName], initialInvoice[id,amount,invoiceTotalAmount], items[description]"},
			"resultLimit": {strconv.Itoa(off) + ",50"}})
		if total(t, r) != len(tr.Orders) {
			t.Fatalf("SoftLayer-Total-Items: got %d, truth %d orders", total(t, r), len(tr.Orders))
		}
		page := decode[[]obj](t, r)
		got = append(got, page...)
		if len(page) < 50 {
			break
		}
	}
	if len(got) != len(tr.Orders) || len(got) < 50 {
		t.Fatalf("got %d orders, truth %d (want >= 50)", len(got), len(tr.Orders))
	}
	users := map[string]bool{}
	for i, g := range got {
		w := tr.Orders[i]
		inv, _ := g["initialInvoice"].(obj)
		if idOf(g) != w.ID || g["userRecord"].(obj)["username"] != w.User.Username || g["status"] != w.Status ||
			rat(t, g["orderTotalAmount"]).Cmp(ratOf(t, w.OrderTotalAmount)) != 0 || len(g["items"].([]any)) != int(w.Items) ||
			(inv == nil) != (w.InitialInvoiceID == 0) || (inv != nil && idOf(inv) != w.InitialInvoiceID) {
			t.Errorf("order %d: got %v, truth %+v", i, g, w)
		}
		if i > 0 && idOf(g) <= idOf(got[i-1]) {
			t.Errorf("order ids not ascending: %d after %d", idOf(g), idOf(got[i-1]))
		}
		if i > 0 && w.CreateDate.Before(tr.Orders[i-1].CreateDate) {
			t.Errorf("order %d created %v before the previous one %v, want ids in time order", w.ID, w.CreateDate, tr.Orders[i-1].CreateDate)
		}
		users[w.User.Username] = true
	}
	if len(users) < 2 {
		t.Errorf("got orders by %d users, want several", len(users))
	}
	t.Run("filter, getObject and the account's orders", func(t *testing.T) {
		w := tr.Orders[len(tr.Orders)/2]
		r := call(t, srv, "SoftLayer_Billing_Order/getAllObjects.json", url.Values{"objectFilter": {`{"id":{"operation":` + strconv.FormatInt(w.ID, 10) + `}}`}})
		if rs := decode[[]obj](t, r); len(rs) != 1 || idOf(rs[0]) != w.ID {
			t.Errorf("filter by id: got %s", r.body)
		}
		o := decode[obj](t, call(t, srv, "SoftLayer_Billing_Order/"+strconv.FormatInt(w.ID, 10)+".json", url.Values{"objectMask": {"mask[id,userRecord[username],orderTopLevelItems[billingItem[id]]]"}}))
		top := o["orderTopLevelItems"].([]any)[0].(obj)["billingItem"].(obj)
		if idOf(top) != w.TopLevelBillingItemID || o["userRecord"].(obj)["username"] != w.User.Username {
			t.Errorf("getObject: got %v, truth %+v", o, w)
		}
		r = call(t, srv, "SoftLayer_Account/getOrders.json", url.Values{"objectMask": {"mask[id]"}, "resultLimit": {"0,3"}})
		if rs := decode[[]obj](t, r); total(t, r) != len(tr.Orders) || idOf(rs[0]) != tr.Orders[0].ID {
			t.Errorf("SoftLayer_Account/getOrders: got %s (total %d)", r.body, total(t, r))
		}
	})
}

func TestInvoiceProperties(t *testing.T) {
	o := smallOpts()
	o.Accounts = 4 // half the accounts use purchase orders; with seed 1 the fourth does
	srv := start(t, o)
	mask := "mask[id,createDate,typeCode,statusCode,purchaseOrderNumber,claimedTaxExemptTxFlag,documentsGeneratedFlag,detailedPdfGeneratedFlag," +
		"sellerRegistration,taxMessage,taxStatusId,taxTypeId,amount,invoiceTotalAmount,payment,paymentCount,taxInfoHistoryCount," +
		"payments[amount,createDate,typeCode,exchangeRate[rate]],localCurrencyExchangeRate[rate,effectiveDate,localCurrency[keyName],fundingCurrency[keyName]]," +
		"taxInfo[id,invoiceId,reportedFlag,totalTaxAmountToCurrency,currency[keyName]],taxType[keyName,name],brandAtInvoiceCreation[keyName]]"
	var po, nonUSD, paid int
	types := map[string]bool{}
	for i, a := range srv.Sim().Accounts() {
		tr := srv.Sim().Truth().Accounts[i]
		payments := map[string]*big.Rat{}
		for _, inv := range decode[[]obj](t, callAs(t, srv, a.Credentials, "SoftLayer_Account/getInvoices.json", url.Values{"objectMask": {mask}})) {
			if s, ok := inv["purchaseOrderNumber"].(string); ok {
				po++
				if !strings.HasPrefix(s, "PO-20") {
					t.Errorf("purchaseOrderNumber: got %q", s)
				}
			}
			closed := inv["statusCode"] != "OPEN"
			if inv["documentsGeneratedFlag"] != closed || inv["detailedPdfGeneratedFlag"] != closed || inv["claimedTaxExemptTxFlag"] != false {
				t.Errorf("invoice %d: flags %v %v %v for status %v", idOf(inv), inv["documentsGeneratedFlag"], inv["detailedPdfGeneratedFlag"], inv["claimedTaxExemptTxFlag"], inv["statusCode"])
			}
			x := inv["localCurrencyExchangeRate"].(obj)
			cur := x["localCurrency"].(obj)["keyName"]
			if x["fundingCurrency"].(obj)["keyName"] != "USD" || (cur == "USD") != (rat(t, x["rate"]).Cmp(big.NewRat(1, 1)) == 0) {
				t.Errorf("invoice %d: exchange rate %v", idOf(inv), x)
			}
			if cur != "USD" {
				nonUSD++
			}
			ti := inv["taxInfo"].(obj)
			if int64(ti["invoiceId"].(float64)) != idOf(inv) || ti["currency"].(obj)["keyName"] != cur || ti["reportedFlag"] != closed ||
				inv["taxType"].(obj)["keyName"] != "SALES_TAX" || inv["brandAtInvoiceCreation"].(obj)["keyName"] != "SOFTLAYER" || inv["taxInfoHistoryCount"] != 1.0 {
				t.Errorf("invoice %d: tax info %v, type %v, brand %v", idOf(inv), ti, inv["taxType"], inv["brandAtInvoiceCreation"])
			}
			ps := inv["payments"].([]any)
			sum := new(big.Rat)
			for _, p := range ps {
				p := p.(obj)
				sum.Add(sum, rat(t, p["amount"]))
				types[p["typeCode"].(string)] = true
			}
			if int(inv["paymentCount"].(float64)) != len(ps) || rat(t, inv["payment"]).Cmp(sum) != 0 {
				t.Errorf("invoice %d: paymentCount %v payment %v, payments %v", idOf(inv), inv["paymentCount"], inv["payment"], ps)
			}
			if len(ps) > 0 {
				paid++
			}
			periodOf := inv["createDate"].(string)[:7]
			if payments[periodOf] == nil {
				payments[periodOf] = new(big.Rat)
			}
			payments[periodOf].Add(payments[periodOf], sum)
		}
		for _, p := range tr.Periods {
			got := payments[p.Period]
			if got == nil {
				got = new(big.Rat)
			}
			if got.Cmp(ratOf(t, p.PaymentsAmount)) != 0 {
				t.Errorf("account %d period %s: payments %s, truth %s", i, p.Period, got.FloatString(2), p.PaymentsAmount)
			}
		}
	}
	if po == 0 || nonUSD == 0 || paid == 0 || len(types) < 2 {
		t.Errorf("got %d invoices with a purchase order, %d in another currency, %d paid, payment types %v; want each", po, nonUSD, paid, types)
	}

	t.Run("everyday categories and associated items occur", func(t *testing.T) {
		seen := map[string]int{}
		var assoc int
		for _, h := range srv.Sim().accts[0].visible(srv.Sim().Now()) {
			d := srv.Sim().accts[0].data(h)
			for i := range d.items {
				seen[d.items[i].cat.code]++
				if d.items[i].assoc >= 0 {
					assoc++
				}
			}
		}
		for _, c := range []string{"credit", "bandwidth", "software_license", "one_time_charge", "labor_fee"} {
			if seen[c] == 0 {
				t.Errorf("category %s: no item in 14 months", c)
			}
		}
		var want int64
		for _, p := range srv.Sim().Truth().Periods {
			want += p.AssociatedItems
		}
		if assoc == 0 || int64(assoc) != want {
			t.Errorf("associated items: got %d, truth %d, want > 0", assoc, want)
		}
	})
}

func TestDocuments(t *testing.T) {
	srv := start(t, smallOpts())
	var closed *header
	for _, h := range headersOf(srv, rcRecurring) {
		if (view{h, srv.Sim().Now()}).closed() {
			closed = h
		}
	}
	id := strconv.FormatInt(closed.id, 10)
	get := func(t *testing.T, m string) (string, []byte) {
		t.Helper()
		r := call(t, srv, "SoftLayer_Billing_Invoice/"+id+"/"+m+".json", nil)
		if r.status != 200 || !strings.HasPrefix(r.body, `"`) {
			t.Fatalf("%s: got %d %.100s, want a JSON string", m, r.status, r.body)
		}
		// as the article says: drop the quotes and the escaping backslashes
		b64 := strings.NewReplacer(`"`, "", `\`, "").Replace(r.body)
		b, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatalf("%s: base64: %v", m, err)
		}
		if strings.Contains(b64, "/") && !strings.Contains(r.body, `\/`) {
			t.Errorf("%s: got an unescaped /", m)
		}
		return r.body, b
	}
	for _, m := range []string{"getPdf", "getPdfDetailed", "getPreliminaryPdf", "getPreliminaryPdfDetailed"} {
		body, pdf := get(t, m)
		if !bytes.HasPrefix(pdf, []byte("%PDF-1.4\n")) || !bytes.HasSuffix(pdf, []byte("%%EOF\n")) || !bytes.Contains(pdf, []byte(id)) {
			t.Errorf("%s: got %.60q, want a PDF naming the invoice", m, pdf)
		}
		if again, _ := get(t, m); again != body {
			t.Errorf("%s: two calls gave different bytes", m)
		}
	}
	_, detailed := get(t, "getPdfDetailed")
	top := closed.base.topLevel
	if pages := bytes.Count(detailed, []byte("/Type /Page ")); pages != int((top+4+49)/50) {
		t.Errorf("getPdfDetailed: got %d pages for %d top-level items, want 50 lines a page", pages, top)
	}
	for _, m := range []string{"getExcel", "getPreliminaryExcel"} {
		_, x := get(t, m)
		zr, err := zip.NewReader(bytes.NewReader(x), int64(len(x)))
		if err != nil {
			t.Fatalf("%s: not a zip: %v", m, err)
		}
		var sheet []byte
		for _, f := range zr.File {
			if f.Name == "xl/worksheets/sheet1.xml" {
				rc, _ := f.Open()
				sheet, _ = io.ReadAll(rc)
				rc.Close()
			}
		}
		if n := bytes.Count(sheet, []byte("<row ")); n != int(top)+1 {
			t.Errorf("%s: got %d rows, want a header and %d items", m, n, top)
		}
	}
	for m, want := range map[string]string{"getPdfFilename": ".pdf", "getPdfDetailedFilename": "-detailed.pdf", "getXlsFilename": ".xlsx"} {
		if s := decode[string](t, call(t, srv, "SoftLayer_Billing_Invoice/"+id+"/"+m+".json", nil)); !strings.HasSuffix(s, id+want) {
			t.Errorf("%s: got %q, want ...%s%s", m, s, id, want)
		}
	}
	_, pdf := get(t, "getPdf")
	if r := call(t, srv, "SoftLayer_Billing_Invoice/"+id+"/getPdfFileSize.json", nil); r.body != strconv.Itoa(len(pdf)) {
		t.Errorf("getPdfFileSize: got %s, want %d", r.body, len(pdf))
	}
	t.Run("faults and errors apply", func(t *testing.T) {
		srv.Sim().InjectFault(FaultInternalError, 1)
		if r := call(t, srv, "SoftLayer_Billing_Invoice/"+id+"/getPdf.json", nil); r.status != 500 {
			t.Errorf("injected fault: got %d, want 500", r.status)
		}
		if r := call(t, srv, "SoftLayer_Billing_Invoice/1/getExcel.json", nil); r.status != 404 {
			t.Errorf("unknown invoice: got %d, want 404", r.status)
		}
	})
}

// TestTruthSorted keeps the truth's lists in id order (tests diff them).
func TestTruthSorted(t *testing.T) {
	tr := start(t, smallOpts()).Sim().Truth()
	if !sort.SliceIsSorted(tr.BillingItems, func(i, j int) bool { return tr.BillingItems[i].ID < tr.BillingItems[j].ID }) ||
		!sort.SliceIsSorted(tr.Orders, func(i, j int) bool { return tr.Orders[i].ID < tr.Orders[j].ID }) {
		t.Error("billing items or orders not in id order")
	}
}

// TestDeclaredProperties checks every record against its declared type:
// each property a type declares is one its records answer (the mask
// resolver trusts the declaration, the encoder the record).
func TestDeclaredProperties(t *testing.T) {
	s, err := New(smallOpts())
	if err != nil {
		t.Fatal(err)
	}
	a := s.accts[0]
	c := &reqCtx{s: s, a: a, now: s.Now()}
	var inv invoiceRec
	for _, h := range a.visible(c.now) {
		if (view{h, c.now}).paid() && h.recipe == rcRecurring {
			inv = invoiceRec{c, h}
		}
	}
	var item itemRec
	for _, x := range inv.itemRecords(false) {
		if it := x.(itemRec); it.it().parent >= 0 {
			item = it
			break
		}
	}
	var server *resource
	for _, res := range a.ordered(c.now) {
		if res.licensed() {
			server = res
			break
		}
	}
	plain := item.d.items[item.i]
	top := c.billingItem(server, 0)
	child, lic := top, top
	child.part, lic.part = 1, licensePart
	order := c.order(server)
	records := []struct {
		t *query.Type
		r query.Record
	}{
		{tAccount, accountRec{c}}, {tInvoice, inv}, {tItem, item}, {tPayment, paymentRec{inv}},
		{tBillingItem, top}, {tBillingItem, child}, {tBillingItem, lic}, {tBillingItem, billingItemRec{c: c, inv: &plain}},
		{tOrder, order}, {tOrderItem, orderItemRec{c: c, res: server, parts: top.parts, part: 0}},
		{tOrderItem, orderItemRec{c: c, res: server, parts: top.parts, part: licensePart}}, {tOrderType, orderTypeRec{}},
		{tUser, userRec{c, &a.model.users[0]}}, {tUserStatus, userStatusRec{}}, {tCurrency, currencyRec{&currencies[1]}},
		{tExchangeRate, exchangeRateRec{inv.rate()}}, {tTaxInfo, taxInfoRec{inv}}, {tTaxType, taxTypeRec{}}, {tBrand, brandRec{}},
		{tCategory, categoryRec{categoryByCode["server"]}}, {tLocation, locationRec{&locations[0]}}, {tProduct, productRec{item.it()}},
	}
	covered := map[*query.Type]bool{tChargeback: true} // chargebackType is always null
	for _, x := range records {
		covered[x.t] = true
		for name := range x.t.Props {
			if _, ok := x.r.Field(name); !ok {
				t.Errorf("%s (%T): declared property %s not answered", x.t.Name, x.r, name)
			}
		}
	}
	for _, typ := range allTypes {
		if !covered[typ] {
			t.Errorf("%s: no record checked", typ.Name)
		}
	}
}
