package extract

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/invoicelake/invoicelake/schemas"
)

func dec(s string) *schemas.Decimal { d := schemas.MustParseDecimal(s); return &d }
func i64(v int64) *int64            { return &v }
func str(s string) *string          { return &s }
func tm(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

// timeCmp compares instants and offsets, not time.Location pointers.
var timeCmp = cmp.Comparer(func(a, b time.Time) bool {
	_, oa := a.Zone()
	_, ob := b.Zone()
	return a.Equal(b) && oa == ob
})

func TestDecodeInvoicesSampleCLI(t *testing.T) {
	body, err := os.ReadFile("testdata/account-getInvoices.softlayer-cli-fixture.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeInvoices(body, nil)
	if err != nil {
		t.Fatalf("decodeInvoices: %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d invoices, want 2", len(got))
	}
	want := schemas.Invoice{
		ID: 76602936, AccountID: 307608, TypeCode: "NEW", StatusCode: "OPEN",
		CreateDate:         *tm("2021-11-24T15:07:42-06:00"),
		ModifyDate:         tm("2021-11-24T15:10:12-06:00"),
		ClosedDate:         tm("2021-11-24T15:07:46-06:00"),
		StartingBalance:    dec("264111.3"),
		EndingBalance:      dec("264111.3"),
		InvoiceTotalAmount: dec("0"),
		ItemCount:          i64(14),
		Contact: schemas.Contact{CompanyName: "SoftLayer Internal - Development Community", FirstName: "XXXXX",
			LastName: "ZZZZZ", Address1: "4849 Alpha Rd", City: "Dallas", State: "TX", PostalCode: "75244-4608",
			Country: "US", Email: "TestEmail@us.ibm.com", OfficePhone: "2817874579"},
		// the datatype's locals the fixture carries
		ClaimedTaxExemptTxFlag: bp(false), DocumentsGeneratedFlag: bp(true), TaxStatusID: i64(6), TaxTypeID: i64(6),
	}
	if diff := cmp.Diff(want, got[0], timeCmp); diff != "" {
		t.Errorf("invoice 0 (-want +got):\n%s", diff)
	}
	if schemas.PeriodOf(got[1].CreateDate).String() != "2021-12" {
		t.Errorf("got period %s, want 2021-12", schemas.PeriodOf(got[1].CreateDate))
	}
}

func TestDecodeItemsSamples(t *testing.T) {
	for _, f := range []string{
		"billing-invoice-getInvoiceTopLevelItems.softlayer-cli-fixture-888.json",
		"billing-invoice-getInvoiceTopLevelItems.softlayer-cli-fixture-999.json",
		"billing-invoice-getInvoiceTopLevelItems.softlayer-python-fixture.json",
	} {
		t.Run(f, func(t *testing.T) {
			body, err := os.ReadFile("testdata/" + f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeItems(body, 7, nil)
			if err != nil {
				t.Fatalf("decodeItems: %v", err)
			}
			if n := strings.Count(string(body), `"categoryCode"`); len(got) != n {
				t.Errorf("got %d items, want %d (children are skipped)", len(got), n)
			}
			for _, it := range got {
				if it.ID == 0 || it.InvoiceID != 7 || it.CategoryCode == "" {
					t.Errorf("got item %+v, want id, invoice 7 and a category code", it)
				}
			}
		})
	}
}

func TestDecodeItemTolerant(t *testing.T) {
	body := `[{"id":1,"invoiceId":9,"parentId":null,"categoryCode":"guest_core","category":{"name":"Computing Instance","id":3},
	  "description":"a\/b \u00e9\ud83d\ude00","hostName":"h","domainName":null,"location":{"name":"dal10"},
	  "createDate":"2024-03-31T23:30:00.123456-05:00","recurringFee":".09","hourlyRecurringFee":0.025,
	  "oneTimeFee":250.26,"setupFee":"-1.5","laborFee":"","recurringTaxAmount":[],"children":[{"id":5}],
	  "billingItemId":"1168682641","resourceTableId":12,"unknownThing":{"deep":[1,2,{"x":null}]},"flag":true},
	 {"id":2,"parentId":1,"categoryCode":"ram","category":[],"location":null,"createDate":"2024-04-01T05:00:00Z"}]`
	got, err := decodeItems([]byte(body), 9, nil)
	if err != nil {
		t.Fatalf("decodeItems: %v", err)
	}
	want := []schemas.InvoiceItem{{
		ID: 1, InvoiceID: 9, CategoryCode: "guest_core", CategoryName: str("Computing Instance"),
		Description: "a/b é😀", HostName: str("h"), Location: str("dal10"),
		CreateDate:   tm("2024-03-31T23:30:00.123456-05:00"),
		RecurringFee: dec("0.09"), HourlyRecurringFee: dec("0.025"), OneTimeFee: dec("250.26"),
		SetupFee: dec("-1.5"), BillingItemID: i64(1168682641), ResourceTableID: i64(12),
	}, {
		ID: 2, InvoiceID: 9, ParentID: i64(1), CategoryCode: "ram", CreateDate: tm("2024-04-01T05:00:00Z"),
	}}
	if diff := cmp.Diff(want, got, timeCmp); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if p := schemas.PeriodOf(*got[0].CreateDate); p.String() != "2024-03" {
		t.Errorf("got period %s, want 2024-03 (the API's offset)", p)
	}
}

func TestDecodeBareObjectAndNull(t *testing.T) {
	got, err := decodeItems([]byte(` {"id":3,"categoryCode":"server"} `), 4, nil)
	if err != nil || len(got) != 1 || got[0].ID != 3 {
		t.Fatalf("bare object: got %+v, %v; want one item 3", got, err)
	}
	for _, body := range []string{"[]", "null", " [ ] "} {
		got, err := decodeItems([]byte(body), 4, nil)
		if err != nil || len(got) != 0 {
			t.Errorf("%q: got %+v, %v; want no items", body, got, err)
		}
	}
}

func TestDecodeErrorsNameTheField(t *testing.T) {
	tests := []struct {
		name, body       string
		item             int64
		field, valuePart string
	}{
		{"bad amount after id", `[{"id":11,"recurringFee":"12,5"}]`, 11, "recurringFee", "12,5"},
		{"bad amount before id", `[{"oneTimeFee":"abc","id":12}]`, 12, "oneTimeFee", "abc"},
		{"too many digits", `[{"id":13,"setupFee":"0.123456789"}]`, 13, "setupFee", "0.123456789"},
		{"bad date", `[{"id":14,"createDate":"03/04/2024"}]`, 14, "createDate", "03/04/2024"},
		{"bool amount", `[{"id":15,"laborFee":true}]`, 15, "laborFee", "true"},
		{"object id", `[{"id":{"x":1},"laborFee":"1"}]`, 0, "id", "{"},
		{"bad parent", `[{"id":16,"parentId":"x"}]`, 16, "parentId", "x"},
		{"location not object", `[{"id":17,"location":"dal"}]`, 17, "location", "dal"},
		{"missing id", `[{"categoryCode":"x"}]`, 0, "id", ""},
		{"foreign invoice", `[{"id":18,"invoiceId":99}]`, 18, "invoiceId", "99"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeItems([]byte(tc.body), 5, nil)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("got %v, want a *DecodeError", err)
			}
			if de.Invoice != 5 || de.Item != tc.item || de.Field != tc.field || !strings.Contains(de.Value, tc.valuePart) {
				t.Errorf("got invoice=%d item=%d field=%s value=%q, want 5, %d, %s, containing %q",
					de.Invoice, de.Item, de.Field, de.Value, tc.item, tc.field, tc.valuePart)
			}
			if !IsPermanent(err) || IsTransient(err) {
				t.Errorf("got permanent=%v transient=%v, want a permanent error", IsPermanent(err), IsTransient(err))
			}
			if !strings.Contains(err.Error(), "invoice=5") || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("got message %q, want it to name invoice=5 and %s", err, tc.field)
			}
		})
	}
}

func TestDecodeInvoiceErrors(t *testing.T) {
	for _, tc := range []struct{ body, field string }{
		{`[{"id":1}]`, "createDate"},
		{`[{"id":1,"createDate":null}]`, "createDate"},
		{`[{"id":1,"createDate":"2024-01-01T00:00:00Z","invoiceTotalAmount":"1e400"}]`, "invoiceTotalAmount"},
		{`[{"id":1,"createDate":"2024-01-01T00:00:00Z","itemCount":"many"}]`, "itemCount"},
	} {
		_, err := decodeInvoices([]byte(tc.body), nil)
		var de *DecodeError
		if !errors.As(err, &de) || de.Field != tc.field || de.Invoice != 1 {
			t.Errorf("%s: got %v, want a DecodeError on invoice 1 field %s", tc.body, err, tc.field)
		}
	}
}

// Strings: escapes anywhere in the string, quotes escaped before the
// closing one, non-ASCII text, empty strings.
func TestDecodeStrings(t *testing.T) {
	for body, want := range map[string]string{
		`[{"id":1,"description":""}]`:                    "",
		`[{"id":1,"description":"plain"}]`:               "plain",
		`[{"id":1,"description":"say \"hi\" twice"}]`:    `say "hi" twice`,
		`[{"id":1,"description":"\u00e9t\u00e9 \\ ok"}]`: `été \ ok`,
		`[{"id":1,"description":"ends with \\"}]`:        `ends with \`,
		`[{"id":1,"description":"déjà vu"}]`:             "déjà vu",
		`[{"id":1,"description":"\/x\/"}]`:               "/x/",
	} {
		got, err := decodeItems([]byte(body), 1, nil)
		if err != nil || len(got) != 1 || got[0].Description != want {
			t.Errorf("%s: got %+v, %v; want description %q", body, got, err, want)
		}
	}
}

func TestDecodeSyntaxErrors(t *testing.T) {
	full := `[{"id":1,"recurringFee":"12.5","description":"x"},{"id":2,"recurringFee":3}]`
	// Every strict prefix is a truncated body: a transient syntax error, never a short list.
	for n := 0; n < len(full); n++ {
		got, err := decodeItems([]byte(full[:n]), 1, nil)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("prefix %q: got %d items, %v; want a *SyntaxError", full[:n], len(got), err)
		}
		if !IsTransient(err) {
			t.Fatalf("prefix %q: got %v, want a transient error", full[:n], err)
		}
	}
	for _, body := range []string{`[{"id":1}]]`, `[{"id":1,}]`, `<html>`, `[{"id":1 "x":2}]`, `[{"id":"\q"}]`,
		"[{\"id\":1,\"description\":\"a\tb\"}]", "[{\"id\":1,\"description\":\"a\\\"\nb\"}]", "[{\"id\":1,\"descr\x01iption\":2}]"} {
		if _, err := decodeItems([]byte(body), 1, nil); !IsTransient(err) {
			t.Errorf("%q: got %v, want a transient syntax error", body, err)
		}
	}
}

func TestDecodeAPIError(t *testing.T) {
	for _, tc := range []struct {
		body, code, msg string
		ok              bool
	}{
		{`{"error":"Internal Error","code":"SoftLayer_Exception_Public"}`, CodePublic, "Internal Error", true},
		{`{"code":"X","error":"y"}`, "X", "y", true},
		{`{"error": "Service does not exist"}`, "", "Service does not exist", true},
		{`{"id":1,"error":"x"}`, "", "", false},
		{`[{"error":"x"}]`, "", "", false},
	} {
		code, msg, ok := decodeAPIError([]byte(tc.body))
		if code != tc.code || msg != tc.msg || ok != tc.ok {
			t.Errorf("%s: got %q %q %v, want %q %q %v", tc.body, code, msg, ok, tc.code, tc.msg, tc.ok)
		}
	}
}

func FuzzDecodeItems(f *testing.F) {
	for _, name := range []string{
		"billing-invoice-getInvoiceTopLevelItems.softlayer-cli-fixture-888.json",
		"billing-invoice-getInvoiceTopLevelItems.softlayer-python-fixture.json",
	} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`[{"id":1,"recurringFee":".09","createDate":"2024-01-01T00:00:00-06:00"}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		items, err := decodeItems(body, 1, nil)
		if err == nil {
			for _, it := range items {
				if it.ID == 0 {
					t.Fatalf("got an item without id and no error")
				}
			}
			return
		}
		var se *SyntaxError
		var de *DecodeError
		if !errors.As(err, &se) && !errors.As(err, &de) {
			t.Fatalf("got %T %v, want a SyntaxError or DecodeError", err, err)
		}
	})
}

func FuzzDecodeInvoices(f *testing.F) {
	b, err := os.ReadFile("testdata/account-getInvoices.softlayer-cli-fixture.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, body []byte) {
		invs, err := decodeInvoices(body, nil)
		if err == nil {
			for _, inv := range invs {
				if inv.ID == 0 || inv.CreateDate.IsZero() {
					t.Fatalf("got invoice %+v without id or create date and no error", inv)
				}
			}
		}
	})
}

func BenchmarkDecodeItems(b *testing.B) {
	body := benchItemsPage()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var dst []schemas.InvoiceItem
	for b.Loop() {
		var err error
		dst, err = decodeItems(body, 987654, dst[:0])
		if err != nil || len(dst) != 100 {
			b.Fatalf("got %d, %v", len(dst), err)
		}
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "items/s")
}
