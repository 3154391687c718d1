package transform

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/invoicelake/invoicelake/schemas"
)

func TestBillingItemRows(t *testing.T) {
	at := mustTime("2025-03-10T12:00:00Z")
	s := Snapshot{ID: "run-1", Time: at, AccountID: 42}
	created := mustTime("2024-01-03T10:15:32-06:00")
	b := schemas.BillingItem{ID: 500, CategoryCode: "server", ResourceTableID: i64(1900), CreateDate: &created,
		NextInvoiceTotalRecurringAmount: dec("70"), OrderID: i64(31000429), OrderUserID: i64(7),
		OrderUsername: str("339236_grace.hopper@example.com"), OrderUserFullName: str("Grace Hopper"),
		Children: []schemas.BillingItem{
			{ID: 502, ParentID: i64(500), CategoryCode: "ram", NextInvoiceTotalRecurringAmount: dec("30")},
			{ID: 501, CategoryCode: "os"}, // no parentId: the top's
		}}
	m, err := ParseCategoryMap([]byte(testCategories + "service_names:\n  SoftLayer_Hardware_Server: Bare Metal Servers\n"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := newT(t, Options{Categories: m}).BillingItemRows(s, &b)
	if err != nil {
		t.Fatal(err)
	}
	if got.UnknownCode != "" || len(got.Rows) != 3 {
		t.Fatalf("got %+v", got)
	}
	type key struct {
		ID, Parent, Top int64
		Depth           int32
		Svc, Name       string
		Res             int64
	}
	var keys []key
	for _, r := range got.Rows {
		p := int64(0)
		if r.ParentID != nil {
			p = *r.ParentID
		}
		keys = append(keys, key{r.BillingItemID, p, r.TopLevelBillingItemID, r.Depth, *r.ResourceService, *r.ServiceName, *r.ResourceID})
		if r.SnapshotID != "run-1" || !r.SnapshotTime.Equal(at) || r.AccountID != 42 {
			t.Errorf("row %d: snapshot %q %v %d", r.BillingItemID, r.SnapshotID, r.SnapshotTime, r.AccountID)
		}
	}
	svc := "SoftLayer_Hardware_Server"
	want := []key{{500, 0, 500, 0, svc, "Bare Metal Servers", 1900}, {501, 500, 500, 1, svc, "Bare Metal Servers", 1900}, {502, 500, 500, 1, svc, "Bare Metal Servers", 1900}}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	top := got.Rows[0]
	if top.CreateDate.Location() != time.UTC || !top.CreateDate.Equal(created) || *top.OrderID != 31000429 || *top.OrderedByUserID != 7 {
		t.Errorf("top row %+v", top)
	}
	// PII: the orderer's name and username are dropped by default, kept on
	// request.
	if top.OrderedByUsername != nil || top.OrderedByName != nil {
		t.Errorf("default policy kept %v %v", *top.OrderedByUsername, *top.OrderedByName)
	}
	kept, err := newT(t, Options{Categories: m, PIIColumns: map[string]PIIPolicy{"ordered_by_username": PIIKeep}}).BillingItemRows(s, &b)
	if err != nil {
		t.Fatal(err)
	}
	if r := kept.Rows[0]; r.OrderedByUsername == nil || *r.OrderedByUsername != "339236_grace.hopper@example.com" || r.OrderedByName != nil {
		t.Errorf("ordered_by_username: keep: got %v %v", r.OrderedByUsername, r.OrderedByName)
	}
	// The rows share nothing with the item.
	*b.NextInvoiceTotalRecurringAmount = schemas.MustParseDecimal("1")
	if got.Rows[0].NextInvoiceTotalRecurringAmount.String() != "70" {
		t.Errorf("a row aliases the item")
	}
	// Errors: a child of another parent, an id twice, an unknown code.
	bad := b
	bad.Children = []schemas.BillingItem{{ID: 503, ParentID: i64(9)}}
	if _, err := newT(t, Options{}).BillingItemRows(s, &bad); err == nil || !IsPermanent(err) {
		t.Errorf("a foreign child: got %v", err)
	}
	bad.Children = []schemas.BillingItem{{ID: 500}}
	if _, err := newT(t, Options{}).BillingItemRows(s, &bad); err == nil {
		t.Errorf("an id twice: got nil")
	}
	bad.Children, bad.CategoryCode = nil, "quantum_widget"
	if r, err := newT(t, Options{}).BillingItemRows(s, &bad); err != nil || r.UnknownCode != "quantum_widget" || r.Rows[0].ResourceService != nil {
		t.Errorf("an unknown code: got %+v, %v", r, err)
	}
	if _, err := newT(t, Options{StrictCategories: true}).BillingItemRows(s, &bad); err == nil || !IsPermanent(err) {
		t.Errorf("an unknown code under strict: got %v", err)
	}
}

func TestAccountSnapshotRow(t *testing.T) {
	at := mustTime("2025-03-10T12:00:00Z")
	cd := mustTime("2025-03-04T00:17:07-06:00")
	a := schemas.Account{ID: 42, Balance: dec("19010.4047"), NextInvoiceTotalAmount: dec("23067.0747"), NextInvoiceTopLevelBillingItemCount: i64(88),
		PendingInvoice:         schemas.InvoiceRef{ID: 70088137, TypeCode: "RECURRING", StatusCode: "OPEN", CreateDate: &cd, InvoiceTotalAmount: dec("24043.3147"), StartingBalance: dec("-4628.36")},
		LatestRecurringInvoice: schemas.InvoiceRef{ID: 70088137, StatusCode: "OPEN", CreateDate: &cd}}
	r := AccountSnapshotRow(Snapshot{ID: "run-1", Time: at, AccountID: 42}, &a, 10, 12)
	if r.SnapshotID != "run-1" || r.AccountID != 42 || r.Balance.String() != "19010.4047" || *r.NextInvoiceTopLevelItemCount != 88 ||
		*r.PendingInvoiceID != 70088137 || *r.PendingInvoiceTypeCode != "RECURRING" || r.PendingInvoiceStartingBalance.String() != "-4628.36" ||
		r.PendingInvoiceCreateDate.Location() != time.UTC || *r.LatestRecurringInvoiceStatusCode != "OPEN" || r.NextInvoiceItemRows != 10 || r.BillingItemRows != 12 {
		t.Errorf("got %+v", r)
	}
	none := AccountSnapshotRow(Snapshot{ID: "run-1", Time: at, AccountID: 42}, &schemas.Account{ID: 42}, 0, 0)
	if none.PendingInvoiceID != nil || none.LatestRecurringInvoiceID != nil || none.Balance != nil {
		t.Errorf("no invoices: got %+v", none)
	}
}
