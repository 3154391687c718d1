//go:build cgo

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/invoicelake/invoicelake/configs"
	"github.com/invoicelake/invoicelake/extract/slsim"
	"github.com/invoicelake/invoicelake/load"
	"github.com/invoicelake/invoicelake/schemas"
	"github.com/invoicelake/invoicelake/transform"
)

// The differential test of issue 11: random accounts exported by the
// command, read back from the lake and compared, every column of every
// row, with rows computed straight from the API's items with plain maps.
//
// The invoice sizes cross every buffer, chunk, ring and boundary the path
// holds (in item rows; an item's spill record is ~150 bytes):
//
//	extract  spillChunk 64 KiB (~430 items), spillMemBytes 256 KiB (~1,700
//	         items: larger invoices spill to a file), item pages of 100
//	load     AddRows's buffer addChunk = 1024 rows; tableWriter writes 1024
//	         rows at a time; Parquet pages of 256 KiB; row groups of 65,536
//	         rows (the period holds more); ItemRows reads 256 rows at a time
//	transform a top-level item thousands of rows before its children (the
//	         resource_id = 0 bug hid at 1,024-row boundaries), depth up to 4;
//	         past 65,536 items the Index moves to its scratch file (blocks of
//	         32,768 items; transform's own tests cross its 131,072-id tables)
var diffSizes = []int{1, 2, 255, 256, 257, 1023, 1024, 1025, 1700, 2049, 4097, 11000, 60000, 70000}

// genAccount makes one invoice per size, all in one billing period,
// invoice ids 1.., item ids increasing.
func genAccount(r *rand.Rand, sizes []int) (invoices []schemas.Invoice, items map[int64][]schemas.InvoiceItem) {
	codes := []string{"server", "guest_core", "ram", "disk", "bandwidth", "os", "never_heard_of", ""}
	zone := time.FixedZone("", -6*3600)
	created := time.Date(2026, 3, 10, 1, 2, 3, 0, zone)
	items = map[int64][]schemas.InvoiceItem{}
	id := int64(5_000_000)
	maybe := func() bool { return r.IntN(3) != 0 }
	dec := func() *schemas.Decimal {
		if !maybe() {
			return nil
		}
		d := schemas.DecimalFromUnits(r.Int64N(2_000_000_000_000) - 100_000_000_000) // -1000 .. 19000, 8 digits
		return &d
	}
	str := func(vals ...string) *string {
		if !maybe() {
			return nil
		}
		s := vals[r.IntN(len(vals))]
		return &s
	}
	i64 := func() *int64 {
		if !maybe() {
			return nil
		}
		v := r.Int64N(1 << 40)
		return &v
	}
	for k, n := range sizes {
		inv := schemas.Invoice{ID: int64(k + 1), AccountID: 4242, TypeCode: "RECURRING", StatusCode: "CLOSED",
			CreateDate: created.Add(time.Duration(k) * time.Minute), ItemCount: new(int64(n))}
		var its []schemas.InvoiceItem
		var depth []int // of each item
		var total schemas.Sum
		for i := range n {
			id += 1 + r.Int64N(3)
			it := schemas.InvoiceItem{ID: id, InvoiceID: inv.ID, CategoryCode: codes[r.IntN(len(codes))],
				CategoryName: str("Server", "RAM", "Ünïcode “quoted”"), Description: fmt.Sprintf("item %d — ✓ \"%d\"", id, i),
				HostName: str("web01", "db-ü"), DomainName: str("example.com"), Location: str("dal10", "fra02"),
				BillingItemID: i64(), AssociatedInvoiceItemID: i64(), ProductItemID: i64(),
				RecurringFee: dec(), HourlyRecurringFee: dec(), OneTimeFee: dec(), SetupFee: dec(), LaborFee: dec(),
				RecurringTaxAmount: dec(), OneTimeTaxAmount: dec(), SetupTaxAmount: dec(), LaborTaxAmount: dec()}
			if maybe() {
				t := created.Add(time.Duration(r.Int64N(1e6)) * time.Second).In([]*time.Location{zone, time.UTC}[r.IntN(2)])
				it.CreateDate = &t
			}
			d := 0
			// A child two times in three, its parent any earlier item of
			// depth < 4: often the first items, thousands of rows back.
			if i > 0 && r.IntN(3) != 0 {
				var p int
				switch r.IntN(3) {
				case 0:
					p = r.IntN(min(i, 5)) // far back in a big invoice
				case 1:
					p = i - 1 - r.IntN(min(i, 20))
				default:
					p = r.IntN(i)
				}
				for depth[p] >= 4 {
					p = r.IntN(i)
				}
				it.ParentID = new(its[p].ID)
				d = depth[p] + 1
				if maybe() {
					it.ResourceTableID = i64() // a child's own id is not what its row carries
				}
			} else if r.IntN(6) != 0 {
				it.ResourceTableID = i64()
			}
			for _, p := range []*schemas.Decimal{it.RecurringFee, it.OneTimeFee, it.SetupFee, it.LaborFee,
				it.RecurringTaxAmount, it.OneTimeTaxAmount, it.SetupTaxAmount, it.LaborTaxAmount} {
				if p != nil {
					total.Add(*p)
				}
			}
			its = append(its, it)
			depth = append(depth, d)
		}
		tot, err := total.Decimal()
		if err != nil {
			panic(err)
		}
		inv.InvoiceTotalAmount = &tot
		invoices = append(invoices, inv)
		items[inv.ID] = its
	}
	return invoices, items
}

// itemJSON renders an invoice or item as the API would: amounts as strings,
// relational names as objects, RFC 3339 dates.
func itemJSON(it *schemas.InvoiceItem) map[string]any {
	m := map[string]any{"id": it.ID, "invoiceId": it.InvoiceID, "categoryCode": it.CategoryCode, "description": it.Description}
	ints := map[string]*int64{"parentId": it.ParentID, "billingItemId": it.BillingItemID,
		"associatedInvoiceItemId": it.AssociatedInvoiceItemID, "resourceTableId": it.ResourceTableID, "productItemId": it.ProductItemID}
	for k, v := range ints {
		if v != nil {
			m[k] = *v
		}
	}
	decs := map[string]*schemas.Decimal{"recurringFee": it.RecurringFee, "hourlyRecurringFee": it.HourlyRecurringFee,
		"oneTimeFee": it.OneTimeFee, "setupFee": it.SetupFee, "laborFee": it.LaborFee,
		"recurringTaxAmount": it.RecurringTaxAmount, "oneTimeTaxAmount": it.OneTimeTaxAmount,
		"setupTaxAmount": it.SetupTaxAmount, "laborTaxAmount": it.LaborTaxAmount}
	for k, v := range decs {
		if v != nil {
			m[k] = v.String()
		}
	}
	for k, v := range map[string]*string{"hostName": it.HostName, "domainName": it.DomainName} {
		if v != nil {
			m[k] = *v
		}
	}
	if it.CategoryName != nil {
		m["category"] = map[string]any{"name": *it.CategoryName, "categoryCode": it.CategoryCode}
	}
	if it.Location != nil {
		m["location"] = map[string]any{"name": *it.Location}
	}
	if it.CreateDate != nil {
		m["createDate"] = it.CreateDate.Format(time.RFC3339)
	}
	return m
}

func invoiceJSON(inv *schemas.Invoice) map[string]any {
	return map[string]any{"id": inv.ID, "accountId": inv.AccountID, "typeCode": inv.TypeCode, "statusCode": inv.StatusCode,
		"createDate": inv.CreateDate.Format(time.RFC3339), "invoiceTotalAmount": inv.InvoiceTotalAmount.String(),
		"itemCount": *inv.ItemCount}
}

// fixedAPI serves invoices and items as the SoftLayer REST API pages them
// (resultLimit=offset,limit, SoftLayer-Total-Items), filters ignored: the
// client selects invoices by date exactly on its side.
func fixedAPI(t *testing.T, invoices []schemas.Invoice, items map[int64][]schemas.InvoiceItem) *httptest.Server {
	page := func(w http.ResponseWriter, r *http.Request, n int, each func(i int) any) {
		off, lim := 0, n
		if rl := r.URL.Query().Get("resultLimit"); rl != "" {
			a, b, _ := strings.Cut(rl, ",")
			off, _ = strconv.Atoi(a)
			lim, _ = strconv.Atoi(b)
		}
		out := []any{}
		for i := off; i < min(n, off+lim); i++ {
			out = append(out, each(i))
		}
		w.Header().Set("SoftLayer-Total-Items", strconv.Itoa(n))
		json.NewEncoder(w).Encode(out)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/rest/v3.1/"), ".json")
		switch {
		case p == "SoftLayer_Account/getObject":
			fmt.Fprint(w, `{"id":4242}`)
		case p == "SoftLayer_Account/getInvoices":
			page(w, r, len(invoices), func(i int) any { return invoiceJSON(&invoices[i]) })
		case strings.HasPrefix(p, "SoftLayer_Billing_Invoice/") && strings.HasSuffix(p, "/getItems"):
			id, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(p, "SoftLayer_Billing_Invoice/"), "/getItems"), 10, 64)
			its := items[id]
			page(w, r, len(its), func(i int) any { return itemJSON(&its[i]) })
		case p == "SoftLayer_Account/getObject": // the account snapshot: an account with no billing items
			io.WriteString(w, `{"id":1,"balance":"0"}`)
		case p == "SoftLayer_Account/getNextInvoiceTopLevelBillingItems", p == "SoftLayer_Account/getAllTopLevelBillingItems":
			page(w, r, 0, nil)
		default:
			http.Error(w, `{"error":"Service does not exist"}`, http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// oracleRows computes the invoice_items rows of one invoice from its API
// items with plain maps: parents by id, the top-level item by walking up,
// the service from the category map of the top-level item's code.
func oracleRows(t *testing.T, cats *transform.CategoryMap, inv *schemas.Invoice, its []schemas.InvoiceItem) map[int64]schemas.ItemRow {
	byID := map[int64]*schemas.InvoiceItem{}
	for i := range its {
		byID[its[i].ID] = &its[i]
	}
	out := map[int64]schemas.ItemRow{}
	for i := range its {
		it := &its[i]
		top, depth := it, int32(0)
		for top.ParentID != nil {
			top, depth = byID[*top.ParentID], depth+1
		}
		var total schemas.Sum
		for _, p := range []*schemas.Decimal{it.RecurringFee, it.OneTimeFee, it.SetupFee, it.LaborFee,
			it.RecurringTaxAmount, it.OneTimeTaxAmount, it.SetupTaxAmount, it.LaborTaxAmount} {
			if p != nil {
				total.Add(*p)
			}
		}
		tot, err := total.Decimal()
		if err != nil {
			t.Fatal(err)
		}
		row := schemas.ItemRow{InvoiceID: it.InvoiceID, ItemID: it.ID, ParentItemID: it.ParentID, TopLevelItemID: top.ID,
			Depth: depth, CategoryCode: it.CategoryCode, CategoryName: it.CategoryName, ResourceID: top.ResourceTableID,
			BillingItemID: it.BillingItemID, Description: it.Description, HostName: it.HostName, DomainName: it.DomainName,
			Location: it.Location, RecurringFee: it.RecurringFee, HourlyRecurringFee: it.HourlyRecurringFee,
			OneTimeFee: it.OneTimeFee, SetupFee: it.SetupFee, LaborFee: it.LaborFee,
			RecurringTaxAmount: it.RecurringTaxAmount, OneTimeTaxAmount: it.OneTimeTaxAmount,
			SetupTaxAmount: it.SetupTaxAmount, LaborTaxAmount: it.LaborTaxAmount, TotalAmount: tot}
		if svc, ok := cats.Service(top.CategoryCode); ok && svc != "" {
			row.ResourceService = &svc
		}
		if it.CreateDate != nil {
			u := it.CreateDate.UTC()
			row.CreateDate = &u
		}
		// Schema version 2: the association, the rollup (a top-level item
		// associated with an item of another hierarchy rolls into that
		// one's top-level item), the service name, the charge.
		row.AssociatedItemID = it.AssociatedInvoiceItemID
		row.RollupItemID = top.ID
		if a := top.AssociatedInvoiceItemID; a != nil && byID[*a] != nil {
			to := byID[*a]
			for to.ParentID != nil {
				to = byID[*to.ParentID]
			}
			if to.ID != top.ID {
				row.RollupItemID = to.ID
			}
		}
		if name, ok := cats.Name(top.CategoryCode); ok {
			row.ServiceName = &name
		}
		cat, freq := oracleCharge(inv, it, tot)
		row.ChargeCategory, row.ChargeFrequency = &cat, &freq
		out[it.ID] = row
	}
	return out
}

// oracleCharge classifies an item by the rules docs/DATA.md states.
func oracleCharge(inv *schemas.Invoice, it *schemas.InvoiceItem, total schemas.Decimal) (string, string) {
	nz := func(d *schemas.Decimal) bool { return d != nil && d.Sign() != 0 }
	oneTime := nz(it.OneTimeFee) || nz(it.SetupFee) || nz(it.LaborFee)
	fees := oneTime || nz(it.RecurringFee)
	taxes := nz(it.RecurringTaxAmount) || nz(it.OneTimeTaxAmount) || nz(it.SetupTaxAmount) || nz(it.LaborTaxAmount)
	switch {
	case inv.TypeCode == "CREDIT" || inv.TypeCode == "REFUND" || inv.TypeCode == "MANUAL_PAYMENT_CREDIT" || it.CategoryCode == "credit" || total.Sign() < 0:
		return "Credit", "One-Time"
	case inv.ClosedDate != nil && it.CreateDate != nil && it.CreateDate.After(*inv.ClosedDate):
		return "Adjustment", "One-Time"
	case !fees && taxes:
		return "Tax", "One-Time"
	case nz(it.HourlyRecurringFee):
		return "Usage", "Usage-Based"
	case nz(it.RecurringFee):
		return "Purchase", "Recurring"
	case oneTime:
		return "Purchase", "One-Time"
	case inv.TypeCode == "RECURRING" || inv.TypeCode == "NEW":
		return "Purchase", "Recurring"
	}
	return "Purchase", "One-Time"
}

var march2026 = schemas.Period{Year: 2026, Month: 3}

var sameTime = cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })

func TestDifferentialRandomAccounts(t *testing.T) {
	cats, err := transform.ParseCategoryMap(configs.DefaultCategories)
	if err != nil {
		t.Fatal(err)
	}
	for seed := range uint64(1) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 11))
			sizes := append([]int(nil), diffSizes...)
			r.Shuffle(len(sizes), func(i, j int) { sizes[i], sizes[j] = sizes[j], sizes[i] })
			invoices, items := genAccount(r, sizes)
			api := fixedAPI(t, invoices, items)
			e := env{"SL_USERNAME": "u", "SL_API_KEY": "k", "SL_ENDPOINT_URL": api.URL + "/rest/v3.1/"}
			dir := t.TempDir()
			code, stdout, stderr := e.run(t, t.Context(), nil, "export", "--from", "2026-03", "--to", "2026-03", "--out", dir, "--log-format", "json")
			if code != 0 {
				t.Fatalf("export exit %d\n%s\n%s", code, stdout, stderr)
			}
			b, err := load.NewFileBucket(dir)
			if err != nil {
				t.Fatal(err)
			}
			l := onlyAccount(t, b)
			want := map[int64]schemas.ItemRow{}
			for _, inv := range invoices {
				for id, row := range oracleRows(t, cats, &inv, items[inv.ID]) {
					want[id] = row
				}
			}
			got := 0
			bad := 0
			for row, err := range l.ItemRows(t.Context(), march2026) {
				if err != nil {
					t.Fatal(err)
				}
				got++
				w, ok := want[row.ItemID]
				if !ok {
					t.Fatalf("item %d in the lake, not in the API", row.ItemID)
				}
				delete(want, row.ItemID)
				if diff := cmp.Diff(w, row, sameTime); diff != "" {
					if bad++; bad <= 5 {
						t.Errorf("invoice %d item %d (-oracle +lake):\n%s", row.InvoiceID, row.ItemID, diff)
					}
				}
			}
			if len(want) != 0 || bad != 0 {
				t.Errorf("%d rows differ, %d API items missing from the lake (of %d rows)", bad, len(want), got)
			}
			for inv, err := range l.InvoiceRows(t.Context(), march2026) {
				if err != nil {
					t.Fatal(err)
				}
				if !inv.Reconciled || inv.ItemRows != int64(len(items[inv.InvoiceID])) {
					t.Errorf("invoice %d: reconciled %v item_rows %d (want %d): %v", inv.InvoiceID, inv.Reconciled,
						inv.ItemRows, len(items[inv.InvoiceID]), inv.ReconcileIssues)
				}
			}
		})
	}
}

// The account where the bug was found: the simulator at seed 3, its
// biggest invoice 20,431 items. `verify --deep` compares every row of the
// lake with the API's own items, column by column, and every row with the
// hierarchy rules.
func TestSeed3LakeEqualsAPIRowByRow(t *testing.T) {
	srv := startSim(t, slsim.Options{Seed: 3, Months: 12, HeavyInvoiceItems: slsim.DefaultHeavyInvoiceItems})
	e := simEnv(srv)
	dir := t.TempDir()
	to := schemas.PeriodOf(srv.Sim().Now().In(central))
	from := to.AddMonths(-12)
	code, stdout, stderr := e.run(t, t.Context(), nil, "export", "--from", from.String(), "--to", to.String(), "--out", dir)
	if code != 0 {
		t.Fatalf("export exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = e.run(t, t.Context(), nil, "verify", "--out", dir, "--deep")
	if code != 0 {
		t.Fatalf("verify --deep exit %d\n%s\n%s", code, stdout, stderr)
	}
	t.Logf("%s", stdout)
}
