package transform

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/invoicelake/invoicelake/schemas"
)

const testCategories = `
categories:
  server: SoftLayer_Hardware_Server
  guest_core: SoftLayer_Virtual_Guest
  credit: ~
`

func testMap(t testing.TB) *CategoryMap {
	t.Helper()
	m, err := ParseCategoryMap([]byte(testCategories))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func newT(t testing.TB, o Options) *Transformer {
	t.Helper()
	if o.Categories == nil {
		o.Categories = testMap(t)
	}
	tr, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// sampleInvoice is a reconciled invoice: a server with two children and a
// guest, created late on March 31 at UTC-5 (April 1 in UTC).
func sampleInvoice() (schemas.Invoice, []schemas.InvoiceItem) {
	inv := schemas.Invoice{
		ID: 7, AccountID: 42, TypeCode: "RECURRING", StatusCode: "OPEN",
		CreateDate:                     mustTime("2024-03-31T23:30:00-05:00"),
		InvoiceTotalAmount:             dec("126.70"),
		InvoiceTotalPreTaxAmount:       dec("115.20"),
		InvoiceTotalRecurringAmount:    dec("110.20"),
		InvoiceTotalRecurringTaxAmount: dec("11.02"),
		InvoiceTotalOneTimeAmount:      dec("5"),
		InvoiceTotalOneTimeTaxAmount:   dec("0.48"),
		ItemCount:                      i64(4),
	}
	server := item(10, 0, "server")
	server.ResourceTableID = i64(555)
	server.RecurringFee, server.RecurringTaxAmount = dec("0"), dec("0")
	ram := item(11, 10, "ram")
	ram.RecurringFee, ram.RecurringTaxAmount = dec("60.20"), dec("6.02")
	disk := item(12, 10, "disk0")
	disk.RecurringFee, disk.SetupFee, disk.SetupTaxAmount = dec("40"), dec("5"), dec("0.48")
	disk.RecurringTaxAmount = dec("4")
	guest := item(20, 0, "guest_core")
	guest.ResourceTableID = i64(666)
	guest.RecurringFee, guest.RecurringTaxAmount = dec("10"), dec("1")
	guest.HourlyRecurringFee = dec("0.014")
	return inv, []schemas.InvoiceItem{guest, disk, server, ram}
}

func TestInvoiceCategories(t *testing.T) {
	tests := []struct {
		name        string
		items       []schemas.InvoiceItem
		wantService []*string // per row, in Flatten order
		wantNew     []string
	}{
		{
			"children take the top-level item's service",
			[]schemas.InvoiceItem{item(1, 0, "server"), item(2, 1, "ram"), item(3, 2, "guest_core")},
			[]*string{str("SoftLayer_Hardware_Server"), str("SoftLayer_Hardware_Server"), str("SoftLayer_Hardware_Server")},
			nil,
		},
		{
			"unknown top-level code: NULL for its whole tree only",
			[]schemas.InvoiceItem{item(1, 0, "mystery"), item(2, 1, "server"), item(3, 0, "guest_core"), item(4, 0, "mystery")},
			[]*string{nil, nil, str("SoftLayer_Virtual_Guest"), nil},
			[]string{"mystery"},
		},
		{
			"unknown child code is irrelevant",
			[]schemas.InvoiceItem{item(1, 0, "guest_core"), item(2, 1, "never_heard_of")},
			[]*string{str("SoftLayer_Virtual_Guest"), str("SoftLayer_Virtual_Guest")},
			nil,
		},
		{
			"code known to have no service: NULL, not unknown",
			[]schemas.InvoiceItem{item(1, 0, "credit"), item(2, 1, "server")},
			[]*string{nil, nil},
			nil,
		},
		{
			"empty code is an unknown code",
			[]schemas.InvoiceItem{item(1, 0, "")},
			[]*string{nil},
			[]string{""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newT(t, Options{})
			res, err := tr.Invoice(schemas.Invoice{ID: 7, CreateDate: mustTime("2024-01-05T00:00:00Z")}, tt.items)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]*string, len(res.Items))
			for i, r := range res.Items {
				got[i] = r.ResourceService
			}
			if diff := cmp.Diff(tt.wantService, got); diff != "" {
				t.Errorf("resource_service (-want +got):\n%s", diff)
			}
			var codes []string
			for _, c := range res.UnknownCodes {
				codes = append(codes, c.Code)
			}
			if diff := cmp.Diff(tt.wantNew, codes); diff != "" {
				t.Errorf("UnknownCodes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInvoiceUnknownCodesCounted(t *testing.T) {
	tr := newT(t, Options{})
	cd := mustTime("2024-01-05T00:00:00Z")
	var st stats
	res1, err := tr.Invoice(schemas.Invoice{ID: 7, CreateDate: cd},
		[]schemas.InvoiceItem{item(1, 0, "a"), item(2, 0, "b"), item(3, 0, "a"), item(4, 3, "x")})
	if err != nil {
		t.Fatal(err)
	}
	st.add(res1)
	res2, err := tr.Invoice(schemas.Invoice{ID: 7, CreateDate: cd},
		[]schemas.InvoiceItem{item(5, 0, "b"), item(6, 0, "c"), item(7, 0, "server")})
	if err != nil {
		t.Fatal(err)
	}
	st.add(res2)
	if diff := cmp.Diff([]CodeCount{{"a", 2}, {"b", 1}}, res1.UnknownCodes); diff != "" {
		t.Errorf("first invoice UnknownCodes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]CodeCount{{"b", 1}, {"c", 1}}, res2.UnknownCodes); diff != "" {
		t.Errorf("second invoice UnknownCodes (-want +got):\n%s", diff)
	}
	want := stats{Invoices: 2, Items: 7, Reconciled: 2, UnmappedRows: 6,
		UnknownCategories: map[string]int64{"a": 2, "b": 2, "c": 1}}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestInvoiceStrictCategories(t *testing.T) {
	tr := newT(t, Options{StrictCategories: true})
	if _, err := tr.Invoice(schemas.Invoice{ID: 7, CreateDate: mustTime("2024-01-05T00:00:00Z")},
		[]schemas.InvoiceItem{item(1, 0, "credit")}); err != nil {
		t.Errorf("a code known to have no service: got %v, want nil", err)
	}
	_, err := tr.Invoice(schemas.Invoice{ID: 7, CreateDate: mustTime("2024-01-05T00:00:00Z")},
		[]schemas.InvoiceItem{item(1, 0, "server"), item(2, 1, "ram"), item(3, 0, "mystery")})
	var ue *UnknownCategoryError
	if !errors.As(err, &ue) || !errors.Is(err, ErrUnknownCategory) {
		t.Fatalf("got %v, want *UnknownCategoryError", err)
	}
	if diff := cmp.Diff(UnknownCategoryError{InvoiceID: 7, ItemID: 3, Code: "mystery"}, *ue); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
}

func TestInvoiceRow(t *testing.T) {
	inv, items := sampleInvoice()
	mod := mustTime("2024-04-02T10:00:00+02:00")
	inv.ModifyDate = &mod
	tr := newT(t, Options{})
	res, err := tr.Invoice(inv, items)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.Period.String(), "2024-03"; got != want {
		t.Errorf("got period %s, want %s (the month in the API's offset)", got, want)
	}
	modUTC := mustTime("2024-04-02T08:00:00Z")
	want := schemas.InvoiceRow{
		InvoiceID: 7, AccountID: 42, TypeCode: "RECURRING", StatusCode: "OPEN",
		CreateDate:                     mustTime("2024-04-01T04:30:00Z"),
		ModifyDate:                     &modUTC,
		InvoiceTotalAmount:             dec("126.70"),
		InvoiceTotalPreTaxAmount:       dec("115.20"),
		InvoiceTotalRecurringAmount:    dec("110.20"),
		InvoiceTotalRecurringTaxAmount: dec("11.02"),
		InvoiceTotalOneTimeAmount:      dec("5"),
		InvoiceTotalOneTimeTaxAmount:   dec("0.48"),
		ItemCount:                      i64(4),
		ItemsTotalAmount:               schemas.MustParseDecimal("126.70"),
		ItemRows:                       4,
		Reconciled:                     true,
	}
	if diff := cmp.Diff(want, res.Invoice); diff != "" {
		t.Errorf("invoice row (-want +got):\n%s", diff)
	}
	if res.Invoice.CreateDate.Location() != time.UTC || res.Invoice.ModifyDate.Location() != time.UTC {
		t.Errorf("got locations %v, %v; want UTC", res.Invoice.CreateDate.Location(), res.Invoice.ModifyDate.Location())
	}
	if diff := cmp.Diff([]shape{{20, 20, 0}, {10, 10, 0}, {12, 10, 1}, {11, 10, 1}}, shapes(res.Items)); diff != "" {
		t.Errorf("item order (-want +got):\n%s", diff)
	}
}

func TestPeriodMonthEdges(t *testing.T) {
	tests := []struct{ createDate, want string }{
		{"2024-03-31T23:30:00-05:00", "2024-03"}, // April in UTC
		{"2024-04-01T00:30:00+02:00", "2024-04"}, // March in UTC
		{"2024-03-01T00:00:00-06:00", "2024-03"},
		{"2023-12-31T23:59:59-08:00", "2023-12"}, // next year in UTC
		{"2024-02-29T12:00:00Z", "2024-02"},
	}
	tr := newT(t, Options{})
	for _, tt := range tests {
		res, err := tr.Invoice(schemas.Invoice{ID: 7, CreateDate: mustTime(tt.createDate)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Period.String(); got != tt.want {
			t.Errorf("createDate %s: got period %s, want %s", tt.createDate, got, tt.want)
		}
	}
}

func TestReconcile(t *testing.T) {
	tests := []struct {
		name   string
		change func(*schemas.Invoice, []schemas.InvoiceItem) []schemas.InvoiceItem
		want   string // "" = reconciled
	}{
		{"sample reconciles", nil, ""},
		{
			"total off by a cent",
			func(inv *schemas.Invoice, it []schemas.InvoiceItem) []schemas.InvoiceItem {
				inv.InvoiceTotalAmount = dec("126.71")
				return it
			},
			"invoice_total_amount: items 126.70 != invoice 126.71",
		},
		{
			"breakdowns not sent are not checked",
			func(inv *schemas.Invoice, it []schemas.InvoiceItem) []schemas.InvoiceItem {
				inv.InvoiceTotalAmount, inv.InvoiceTotalPreTaxAmount, inv.InvoiceTotalRecurringAmount = nil, nil, nil
				inv.InvoiceTotalRecurringTaxAmount, inv.InvoiceTotalOneTimeAmount, inv.InvoiceTotalOneTimeTaxAmount = nil, nil, nil
				inv.ItemCount = nil
				return it[:1]
			},
			"",
		},
		{
			"missing child: totals, breakdowns and count",
			func(inv *schemas.Invoice, it []schemas.InvoiceItem) []schemas.InvoiceItem {
				return it[:3] // drops ram (60.20 + 6.02)
			},
			"invoice_total_amount: items 60.48 != invoice 126.70; " +
				"invoice_total_pre_tax_amount: items 55.00 != invoice 115.20; " +
				"invoice_total_recurring_amount: items 50.00 != invoice 110.20; " +
				"invoice_total_recurring_tax_amount: items 5.00 != invoice 11.02; " +
				"item_count: rows 3 != invoice 4",
		},
		{
			"one-time side: setup and labor count as one-time",
			func(inv *schemas.Invoice, it []schemas.InvoiceItem) []schemas.InvoiceItem {
				it[0].LaborFee, it[0].LaborTaxAmount = dec("1.00000001"), dec("0.1")
				return it
			},
			"invoice_total_amount: items 127.80000001 != invoice 126.70; " +
				"invoice_total_pre_tax_amount: items 116.20000001 != invoice 115.20; " +
				"invoice_total_one_time_amount: items 6.00000001 != invoice 5.00; " +
				"invoice_total_one_time_tax_amount: items 0.58 != invoice 0.48",
		},
		{
			"hourly rate is not an amount",
			func(inv *schemas.Invoice, it []schemas.InvoiceItem) []schemas.InvoiceItem {
				it[0].HourlyRecurringFee = dec("1234.5")
				return it
			},
			"",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, items := sampleInvoice()
			if tt.change != nil {
				items = tt.change(&inv, items)
			}
			res, err := newT(t, Options{}).Invoice(inv, items)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if res.Invoice.ReconcileIssues != nil {
				got = *res.Invoice.ReconcileIssues
			}
			if got != tt.want {
				t.Errorf("got issues %q, want %q", got, tt.want)
			}
			if res.Invoice.Reconciled != (tt.want == "") {
				t.Errorf("got reconciled %t, want %t", res.Invoice.Reconciled, tt.want == "")
			}

			_, err = newT(t, Options{Reconcile: ReconcileFail}).Invoice(inv, items)
			if tt.want == "" {
				if err != nil {
					t.Errorf("fail policy: got %v, want nil", err)
				}
				return
			}
			var re *ReconcileError
			if !errors.As(err, &re) || !errors.Is(err, ErrUnreconciled) {
				t.Fatalf("fail policy: got %v, want *ReconcileError", err)
			}
			if re.InvoiceID != 7 || strings.Join(re.Issues, "; ") != tt.want {
				t.Errorf("fail policy: got invoice %d issues %q, want 7 and %q", re.InvoiceID, re.Issues, tt.want)
			}
		})
	}
}

func TestReconcileStats(t *testing.T) {
	inv, items := sampleInvoice()
	bad := inv
	bad.ItemCount = i64(5)
	var st [2]stats
	var failed [2]int
	for k, tr := range []*Transformer{newT(t, Options{}), newT(t, Options{Reconcile: ReconcileFail})} {
		for _, in := range []schemas.Invoice{inv, bad, inv} {
			res, err := tr.Invoice(in, items)
			if err != nil {
				failed[k]++
				continue
			}
			st[k].add(res)
		}
	}
	if diff := cmp.Diff(stats{Invoices: 3, Items: 12, Reconciled: 2, Unreconciled: 1, UnknownCategories: map[string]int64{}}, st[0]); diff != "" || failed[0] != 0 {
		t.Errorf("mark: %d failed, stats (-want +got):\n%s", failed[0], diff)
	}
	if diff := cmp.Diff(stats{Invoices: 2, Items: 8, Reconciled: 2, UnknownCategories: map[string]int64{}}, st[1]); diff != "" || failed[1] != 1 {
		t.Errorf("fail: %d failed (want 1), stats (-want +got):\n%s", failed[1], diff)
	}
}

func TestItemsTotalOutOfRange(t *testing.T) {
	a, b := item(1, 0, "server"), item(2, 0, "server")
	a.RecurringFee, b.RecurringFee = dec("9999999999"), dec("1")
	_, err := newT(t, Options{}).Invoice(schemas.Invoice{ID: 7, CreateDate: mustTime("2024-01-05T00:00:00Z")}, []schemas.InvoiceItem{a, b})
	if !errors.Is(err, schemas.ErrDecimalRange) {
		t.Errorf("got %v, want ErrDecimalRange", err)
	}
}

func TestPII(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	mac := func(v string) *string {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(v))
		s := hex.EncodeToString(h.Sum(nil))
		return &s
	}
	c := schemas.Contact{
		CompanyName: "ACME", FirstName: "Ada", LastName: "Lovelace", Address1: "1 Main St", Address2: "",
		City: "Dallas", State: "TX", PostalCode: "75201", Country: "US", Email: "ada@example.com",
		OfficePhone: "+1 555 0100", FaxPhone: "",
	}
	contact := func(r schemas.InvoiceRow) []*string {
		return []*string{r.CompanyName, r.FirstName, r.LastName, r.Address1, r.Address2, r.City,
			r.State, r.PostalCode, r.Country, r.Email, r.OfficePhone, r.FaxPhone}
	}
	// By default the state and the country are kept under every policy.
	dropped := []*string{nil, nil, nil, nil, nil, nil, str("TX"), nil, str("US"), nil, nil, nil}
	tests := []struct {
		name    string
		policy  PIIPolicy
		columns map[string]PIIPolicy
		want    []*string
	}{
		{"default", "", nil, dropped},
		{"drop", PIIDrop, nil, dropped},
		{"keep", PIIKeep, nil, []*string{str("ACME"), str("Ada"), str("Lovelace"), str("1 Main St"), nil, str("Dallas"),
			str("TX"), str("75201"), str("US"), str("ada@example.com"), str("+1 555 0100"), nil}},
		{"hash", PIIHash, nil, []*string{mac("ACME"), mac("Ada"), mac("Lovelace"), mac("1 Main St"), nil, mac("Dallas"),
			str("TX"), mac("75201"), str("US"), mac("ada@example.com"), mac("+1 555 0100"), nil}},
		{"drop everything", PIIDrop, map[string]PIIPolicy{"state": PIIDrop, "country": PIIDrop}, make([]*string, 12)},
		{"per column", PIIDrop, map[string]PIIPolicy{"country": PIIDrop, "company_name": PIIKeep, "email": PIIHash},
			[]*string{str("ACME"), nil, nil, nil, nil, nil, str("TX"), nil, nil, mac("ada@example.com"), nil, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newT(t, Options{PII: tt.policy, PIIColumns: tt.columns, PIIKey: key})
			res, err := tr.Invoice(schemas.Invoice{ID: 7, CreateDate: mustTime("2024-01-05T00:00:00Z"), Contact: c}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, contact(res.Invoice)); diff != "" {
				t.Errorf("contact columns (-want +got):\n%s", diff)
			}
		})
	}
	// A known vector: HMAC-SHA256(key, "ACME") must not depend on our code.
	if got := *mac("ACME"); len(got) != 64 || got != strings.ToLower(got) {
		t.Errorf("got digest %q, want 64 lowercase hex digits", got)
	}
}

func TestNewRejects(t *testing.T) {
	secret := []byte("hunter2-hunter2")
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"unknown pii", Options{PII: "mask"}, `transform: pii policy "mask": want drop, hash or keep`},
		{"hash without key", Options{PII: PIIHash}, "transform: pii policy hash: key is 0 bytes, want at least 16"},
		{"hash with short key", Options{PII: PIIHash, PIIKey: secret}, "transform: pii policy hash: key is 15 bytes, want at least 16"},
		{"unknown reconcile", Options{Reconcile: "ignore"}, `transform: reconcile policy "ignore": want mark or fail`},
		{"unknown pii column", Options{PIIColumns: map[string]PIIPolicy{"phone": PIIKeep}}, `transform: pii column "phone": want one of company_name, first_name, last_name, address1, address2, city, state, postal_code, country, email, office_phone, fax_phone, ordered_by_username, ordered_by_name`},
		{"unknown column policy", Options{PIIColumns: map[string]PIIPolicy{"city": "mask"}}, `transform: pii policy "mask" of column city: want drop, hash or keep`},
		{"column hash without key", Options{PIIColumns: map[string]PIIPolicy{"email": PIIHash}}, "transform: pii policy hash: key is 0 bytes, want at least 16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.o)
			if err == nil || err.Error() != tt.want {
				t.Errorf("got %v, want %s", err, tt.want)
			}
		})
	}
	if s := fmt.Sprint(Options{PII: PIIHash, PIIKey: secret}); strings.Contains(s, "hunter2") {
		t.Errorf("Options printed as %q, which shows the key", s)
	}
}

func TestInvoiceMissingCreateDate(t *testing.T) {
	_, err := newT(t, Options{}).Invoice(schemas.Invoice{ID: 7}, nil)
	if err == nil {
		t.Error("got nil error for an invoice without createDate, want an error")
	}
}

// The shipped path (an Index, Stream, then Row per item) allocates per
// invoice, not per item: 8 and 8,000 items of the same codes take the same
// number of allocations. (A top-level item with a resourceTableId costs one
// more, its id's copy, and a CreateDate not in UTC one more per row.)
func TestStreamAllocations(t *testing.T) {
	allocsOf := func(inv schemas.Invoice, items []schemas.InvoiceItem) float64 {
		tr := newT(t, Options{})
		utc := inv.CreateDate.UTC()
		for i := range items {
			items[i].CreateDate = &utc
		}
		var row schemas.ItemRow
		return testing.AllocsPerRun(20, func() {
			x := NewIndex(inv.ID, len(items))
			for i := range items {
				x.Add(&items[i])
			}
			s, err := tr.Stream(inv, x)
			if err != nil {
				t.Fatal(err)
			}
			for i := range items {
				if err := s.Row(&row, &items[i]); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
	small, big := allocsOf(benchItems(8)), allocsOf(benchItems(8000))
	if small != big {
		t.Errorf("got %.0f allocations for 8 items and %.0f for 8,000, want the same", small, big)
	}
	if small > 12 {
		t.Errorf("got %.0f allocations per invoice, want at most 12", small)
	}
}

// benchItems is one invoice of n/8 servers with 7 children each.
func benchItems(n int) (schemas.Invoice, []schemas.InvoiceItem) {
	cd := mustTime("2024-03-01T06:00:00-06:00")
	items := make([]schemas.InvoiceItem, 0, n)
	var total schemas.Decimal
	for i := 0; len(items) < n; i++ {
		top := int64(1_000_000 + i*8)
		for k := range 8 {
			it := schemas.InvoiceItem{ID: top + int64(k), InvoiceID: 7, CategoryCode: "server",
				Description: "item", CreateDate: &cd, RecurringFee: dec("12.34"), RecurringTaxAmount: dec("1.23")}
			if k > 0 {
				it.ParentID, it.CategoryCode = i64(top), "ram"
			}
			items = append(items, it)
			total += schemas.MustParseDecimal("13.57")
		}
	}
	return schemas.Invoice{ID: 7, CreateDate: cd, InvoiceTotalAmount: &total, ItemCount: i64(int64(len(items)))}, items
}

func BenchmarkInvoice(b *testing.B) {
	for _, n := range []int{8, 1024, 65536} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			inv, items := benchItems(n)
			tr := newT(b, Options{})
			b.ReportAllocs()
			for b.Loop() {
				res, err := tr.Invoice(inv, items)
				if err != nil || !res.Invoice.Reconciled {
					b.Fatal(err, res.Invoice.ReconcileIssues)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(items)), "ns/item")
		})
	}
}

func TestInvoiceConcurrent(t *testing.T) {
	inv, items := sampleInvoice()
	tr := newT(t, Options{})
	var (
		wg sync.WaitGroup
		mu sync.Mutex
		st stats
	)
	for g := range 4 {
		wg.Go(func() {
			for k := range 50 {
				its := append([]schemas.InvoiceItem{item(int64(1000+g*100+k), 0, fmt.Sprint("code", k%3))}, items...)
				res, err := tr.Invoice(inv, its)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				st.add(res)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	want := stats{Invoices: 200, Items: 1000, Unreconciled: 200, UnmappedRows: 200,
		UnknownCategories: map[string]int64{"code0": 68, "code1": 68, "code2": 64}}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}
