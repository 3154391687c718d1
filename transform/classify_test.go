package transform

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/invoicelake/invoicelake/schemas"
)

// TestClassify states the classification of every kind of item the API
// bills, through the exporter's path (Stream).
func TestClassify(t *testing.T) {
	created := mustTime("2024-03-04T00:17:00-06:00")
	closed := mustTime("2024-03-14T10:00:00-05:00")
	later := closed.Add(24 * time.Hour)
	before := closed.Add(-time.Hour)
	tests := []struct {
		name      string
		invType   string
		closed    *time.Time
		it        schemas.InvoiceItem
		cat, freq string
	}{
		{"monthly fee", "RECURRING", nil, schemas.InvoiceItem{RecurringFee: dec("100"), RecurringTaxAmount: dec("8.25")}, "Purchase", "Recurring"},
		{"hourly guest", "RECURRING", nil, schemas.InvoiceItem{RecurringFee: dec("12.5"), HourlyRecurringFee: dec(".025")}, "Usage", "Usage-Based"},
		{"hourly rate 0 is monthly", "RECURRING", nil, schemas.InvoiceItem{RecurringFee: dec("5"), HourlyRecurringFee: dec("0")}, "Purchase", "Recurring"},
		{"zero part on RECURRING", "RECURRING", nil, schemas.InvoiceItem{RecurringFee: dec("0")}, "Purchase", "Recurring"},
		{"zero part on NEW", "NEW", nil, schemas.InvoiceItem{}, "Purchase", "Recurring"},
		{"zero item elsewhere", "ONE-TIME-CHARGE", nil, schemas.InvoiceItem{}, "Purchase", "One-Time"},
		{"bandwidth overage", "RECURRING", nil, schemas.InvoiceItem{CategoryCode: "bandwidth", OneTimeFee: dec("9.81")}, "Purchase", "One-Time"},
		{"setup fee", "NEW", nil, schemas.InvoiceItem{SetupFee: dec("50")}, "Purchase", "One-Time"},
		{"labor", "ONE-TIME-CHARGE", nil, schemas.InvoiceItem{LaborFee: dec("75"), LaborTaxAmount: dec("6.19")}, "Purchase", "One-Time"},
		{"tax alone", "RECURRING", nil, schemas.InvoiceItem{RecurringFee: dec("0"), RecurringTaxAmount: dec("1.10")}, "Tax", "One-Time"},
		{"CREDIT invoice", "CREDIT", nil, schemas.InvoiceItem{CategoryCode: "credit", OneTimeFee: dec("-20")}, "Credit", "One-Time"},
		{"REFUND invoice", "REFUND", nil, schemas.InvoiceItem{OneTimeFee: dec("-5")}, "Credit", "One-Time"},
		{"manual payment credit", "MANUAL_PAYMENT_CREDIT", nil, schemas.InvoiceItem{OneTimeFee: dec("1")}, "Credit", "One-Time"},
		{"credit code elsewhere", "RECURRING", nil, schemas.InvoiceItem{CategoryCode: "credit", OneTimeFee: dec("0")}, "Credit", "One-Time"},
		{"negative item", "RECURRING", nil, schemas.InvoiceItem{RecurringFee: dec("-3")}, "Credit", "One-Time"},
		{"added after close", "RECURRING", &closed, schemas.InvoiceItem{OneTimeFee: dec("12"), CreateDate: &later}, "Adjustment", "One-Time"},
		{"created before close", "RECURRING", &closed, schemas.InvoiceItem{OneTimeFee: dec("12"), CreateDate: &before}, "Purchase", "One-Time"},
		{"negative late item is a credit", "RECURRING", &closed, schemas.InvoiceItem{OneTimeFee: dec("-12"), CreateDate: &later}, "Credit", "One-Time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := schemas.Invoice{ID: 7, TypeCode: tt.invType, CreateDate: created, ClosedDate: tt.closed}
			it := tt.it
			it.ID, it.InvoiceID = 100, 7
			if it.CategoryCode == "" {
				it.CategoryCode = "server"
			}
			res, err := streamInvoice(newT(t, Options{}), inv, []schemas.InvoiceItem{it})
			if err != nil {
				t.Fatal(err)
			}
			r := res.Items[0]
			if *r.ChargeCategory != tt.cat || *r.ChargeFrequency != tt.freq {
				t.Errorf("got %s/%s, want %s/%s", *r.ChargeCategory, *r.ChargeFrequency, tt.cat, tt.freq)
			}
		})
	}
}

// TestRollup: a software license attached to a server (a top-level item of
// its own, with associatedInvoiceItemId) rolls into the server; its
// resource stays its own (the lake's rule: a row carries its top-level
// item's resource).
func TestRollup(t *testing.T) {
	inv := schemas.Invoice{ID: 7, TypeCode: "RECURRING", CreateDate: mustTime("2024-03-04T00:17:00-06:00")}
	server := item(10, 0, "server")
	server.ResourceTableID = i64(555)
	ram := item(11, 10, "ram")
	license := item(12, 0, "software_license")
	license.AssociatedInvoiceItemID = i64(10)
	// associated with the server's child: rolls into the server too
	toChild := item(13, 0, "software_license")
	toChild.AssociatedInvoiceItemID = i64(11)
	// associated with an item that is not on the invoice: its own
	stray := item(14, 0, "software_license")
	stray.AssociatedInvoiceItemID = i64(999)
	// a child's association does not move it out of its hierarchy
	guest := item(20, 0, "guest_core")
	disk := item(21, 20, "guest_disk0")
	disk.AssociatedInvoiceItemID = i64(10)
	items := []schemas.InvoiceItem{server, ram, license, toChild, stray, guest, disk}
	m, err := ParseCategoryMap([]byte(testCategories + "  software_license: ~\nservice_names:\n  SoftLayer_Hardware_Server: Bare Metal Servers\n  software_license: Software Licenses\n"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := streamInvoice(newT(t, Options{Categories: m}), inv, items)
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Item, Top, Rollup int64
		Assoc             *int64
		Service, Name     *string
	}
	var rows []got
	for _, r := range res.Items {
		rows = append(rows, got{r.ItemID, r.TopLevelItemID, r.RollupItemID, r.AssociatedItemID, r.ResourceService, r.ServiceName})
	}
	bm, lic, vs := str("Bare Metal Servers"), str("Software Licenses"), str("SoftLayer_Virtual_Guest")
	want := []got{
		{10, 10, 10, nil, str("SoftLayer_Hardware_Server"), bm},
		{11, 10, 10, nil, str("SoftLayer_Hardware_Server"), bm},
		{12, 12, 10, i64(10), nil, lic},
		{13, 13, 10, i64(11), nil, lic},
		{14, 14, 14, i64(999), nil, lic},
		{20, 20, 20, nil, vs, vs}, // a service without a readable name is named by its API type
		{21, 20, 20, i64(10), vs, vs},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	// The in-memory oracle agrees.
	if err := sameAsInvoice(t, Options{Categories: m}, inv, items); err != nil {
		t.Fatal(err)
	}
}

// TestInvoiceProperties: the datatype's remaining properties reach the
// invoices row as the API sent them, and the payments become rows in a
// stable order, numbered from 0, with UTC times.
func TestInvoiceProperties(t *testing.T) {
	yes := true
	p1 := mustTime("2024-03-14T10:00:00-05:00")
	p0 := mustTime("2024-03-10T10:00:00-05:00")
	inv := schemas.Invoice{ID: 7, AccountID: 42, TypeCode: "RECURRING", CreateDate: mustTime("2024-03-04T00:17:00-06:00"),
		DocumentsGeneratedFlag: &yes, PurchaseOrderNumber: str("PO-2024-1234"), Amount: dec("10"), Payment: dec("10"),
		PaymentCount: i64(2), TaxType: str("SALES_TAX"), ExchangeRate: dec(".9183"), LocalCurrency: str("EUR"),
		TaxInfoTaxAmount: dec(".76"), TaxInfoReported: &yes,
		Payments: []schemas.Payment{{Amount: dec("6"), CreateDate: &p1, TypeCode: "WIRE"}, {Amount: dec("4"), CreateDate: &p0, TypeCode: "WIRE"}},
	}
	res, err := newT(t, Options{}).Invoice(inv, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := res.Invoice
	if !*r.DocumentsGenerated || *r.PurchaseOrderNumber != "PO-2024-1234" || r.Amount.String() != "10" || *r.PaymentCount != 2 ||
		*r.TaxType != "SALES_TAX" || r.ExchangeRate.String() != "0.9183" || *r.LocalCurrency != "EUR" ||
		r.TaxInLocalCurrency.String() != "0.76" || !*r.TaxReported || r.PaymentAmount.String() != "10" || r.ClaimedTaxExempt != nil {
		t.Errorf("got %+v", r)
	}
	u0, u1 := p0.UTC(), p1.UTC()
	want := []schemas.PaymentRow{
		{InvoiceID: 7, PaymentIndex: 0, AccountID: 42, Amount: dec("4"), TypeCode: "WIRE", CreateDate: &u0},
		{InvoiceID: 7, PaymentIndex: 1, AccountID: 42, Amount: dec("6"), TypeCode: "WIRE", CreateDate: &u1},
	}
	got := PaymentRows(&inv)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("payments (-want +got):\n%s", diff)
	}
	if got[0].CreateDate.Location() != time.UTC {
		t.Errorf("payment time not in UTC")
	}
	if PaymentRows(&schemas.Invoice{ID: 8}) != nil {
		t.Errorf("an invoice without payments has payment rows")
	}
}
