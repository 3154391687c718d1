package query

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// now is the simulated clock of the filter tests.
var now = time.Date(2024, 3, 15, 18, 0, 0, 0, time.UTC)

// invoices is the fixture the filter tests select from.
func invoices() []Record {
	server := rec{"id": int64(101), "categoryCode": "server", "category": rec{"name": "Server", "categoryCode": "server"},
		"location": rec{"name": "dal10"}, "recurringFee": Number("100.00")}
	guest := rec{"id": int64(301), "categoryCode": "guest_core", "category": rec{"name": "Computing Instance", "categoryCode": "guest_core"},
		"location": nil, "recurringFee": Number(".09")}
	return []Record{
		rec{"id": int64(1), "createDate": cst(2024, 1, 1, 0, 0, 0), "closedDate": nil, "statusCode": "OPEN",
			"typeCode": "RECURRING", "amount": Number("10.50"), "paidFlag": false, "companyName": "Acme Inc",
			"items": []Record{server}},
		rec{"id": int64(2), "createDate": cst(2024, 2, 1, 0, 0, 0), "closedDate": cst(2024, 2, 2, 0, 0, 0), "statusCode": "CLOSED",
			"typeCode": "NEW", "amount": Number("-12.5"), "paidFlag": true, "companyName": "acme inc",
			"items": []Record{}},
		rec{"id": int64(3), "createDate": cst(2024, 3, 1, 10, 30, 0), "closedDate": nil, "statusCode": "OPEN",
			"typeCode": "ONE-TIME-CHARGE", "amount": Number("0.30000000000000001"), "paidFlag": false, "companyName": "Globex",
			"items": []Record{guest}},
		rec{"id": int64(12), "createDate": cst(2023, 12, 31, 23, 59, 59), "closedDate": cst(2024, 1, 5, 0, 0, 0), "statusCode": "CLOSED_FAILED",
			"typeCode": "CREDIT", "amount": nil, "paidFlag": true, "companyName": "Initech",
			"items": nil},
	}
}

func match(t *testing.T, f *Filter, prop string, rs []Record) []int64 {
	t.Helper()
	u := f.Under(prop)
	var out []Record
	for _, r := range rs {
		if u.Match(r, now, central) {
			out = append(out, r)
		}
	}
	return ids(out)
}

func TestFilterMatch(t *testing.T) {
	all := []int64{1, 2, 3, 12}
	tests := []struct {
		name   string
		filter string
		want   []int64
	}{
		// Paths, plain values, numeric operation, unknown paths.
		{"no filter", ``, all},
		{"null filter", `null`, all},
		{"empty object", `{}`, all},
		{"plain equality (slcli invoices)", `{"invoices": {"createDate": {"operation": "orderBy", "options": [{"name": "sort", "value": ["DESC"]}]}, "statusCode": {"operation": "OPEN"}}}`, []int64{1, 3}},
		{"equality is case-sensitive", `{"invoices":{"statusCode":{"operation":"open"}}}`, nil},
		{"numeric operation", `{"invoices":{"id":{"operation":2}}}`, []int64{2}},
		{"numeric operation 0 on a boolean", `{"invoices":{"paidFlag":{"operation":0}}}`, []int64{1, 3}},
		{"string 1 on a boolean", `{"invoices":{"paidFlag":{"operation":"1"}}}`, []int64{2, 12}},
		{"JSON true on a boolean", `{"invoices":{"paidFlag":{"operation":true}}}`, []int64{2, 12}},
		{"unknown path ignored", `{"invoices":{"bogus":{"operation":"x"}}}`, all},
		{"unknown nested path ignored", `{"invoices":{"bogus":{"deeper":{"operation":"x"}}}}`, all},
		{"wrong root key ignored", `{"virtualGuests":{"id":{"operation":1}}}`, all},
		{"path below a scalar ignored", `{"invoices":{"statusCode":{"name":{"operation":"x"}}}}`, all},
		{"value not an object ignored", `{"invoices":{"id":5}}`, all},
		{"conditions ANDed", `{"invoices":{"statusCode":{"operation":"OPEN"},"typeCode":{"operation":"RECURRING"}}}`, []int64{1}},
		// Literal operators.
		{"!=", `{"invoices":{"statusCode":{"operation":"!= OPEN"}}}`, []int64{2, 12}},
		{"> on int64", `{"invoices":{"id":{"operation":"> 2"}}}`, []int64{3, 12}},
		{">= on int64", `{"invoices":{"id":{"operation":">= 3"}}}`, []int64{3, 12}},
		{"< on int64, no space", `{"invoices":{"id":{"operation":"<3"}}}`, []int64{1, 2}},
		{"<= on int64", `{"invoices":{"id":{"operation":"<= 2"}}}`, []int64{1, 2}},
		{"> on int64 is numeric not lexicographic", `{"invoices":{"id":{"operation":"> 9"}}}`, []int64{12}},
		{"= on Number is exact (10.50 = 10.5)", `{"invoices":{"amount":{"operation":"10.5"}}}`, []int64{1}},
		{"> on Number, null excluded", `{"invoices":{"amount":{"operation":"> 0"}}}`, []int64{1, 3}},
		{"< on Number negative", `{"invoices":{"amount":{"operation":"< -12.4"}}}`, []int64{2}},
		{"> on Number beyond float64 precision", `{"invoices":{"amount":{"operation":"> 0.3"}}}`, []int64{1, 3}},
		{"= on Number beyond float64 precision", `{"invoices":{"amount":{"operation":"0.3"}}}`, nil},
		{"Number operation with exponent", `{"invoices":{"amount":{"operation":">= 1.05e1"}}}`, []int64{1}},
		{"non-numeric operand on int64 ignored", `{"invoices":{"id":{"operation":"> abc"}}}`, all},
		{"> on string is lexicographic", `{"invoices":{"statusCode":{"operation":"> CLOSED"}}}`, []int64{1, 3, 12}},
		{"^=", `{"invoices":{"typeCode":{"operation":"^= ONE"}}}`, []int64{3}},
		{"^= without space", `{"invoices":{"typeCode":{"operation":"^=ONE"}}}`, []int64{3}},
		{"^= case-sensitive", `{"invoices":{"typeCode":{"operation":"^= one"}}}`, nil},
		{"!^= (brands.md)", `{"invoices":{"typeCode":{"operation":"!^=ONE"}}}`, []int64{1, 2, 12}},
		{"$=", `{"invoices":{"typeCode":{"operation":"$= ING"}}}`, []int64{1}},
		{"!$=", `{"invoices":{"typeCode":{"operation":"!$= ING"}}}`, []int64{2, 3, 12}},
		{"*=", `{"invoices":{"typeCode":{"operation":"*= CHARGE"}}}`, []int64{3}},
		{"!*=", `{"invoices":{"typeCode":{"operation":"!*= E"}}}`, []int64{}},
		{"^= on int64 uses its digits", `{"invoices":{"id":{"operation":"^= 1"}}}`, []int64{1, 12}},
		{"_= case-insensitive equality (slcli call-api)", `{"invoices":{"companyName":{"operation":"_= acme inc"}}}`, []int64{1, 2}},
		{"~ regex", `{"invoices":{"statusCode":{"operation":"~ ^CLOSED"}}}`, []int64{2, 12}},
		{"!~ regex", `{"invoices":{"statusCode":{"operation":"!~ ^CLOSED"}}}`, []int64{1, 3}},
		{"invalid regex ignored", `{"invoices":{"statusCode":{"operation":"~ ["}}}`, all},
		{"not null", `{"invoices":{"closedDate":{"operation":"not null"}}}`, []int64{2, 12}},
		{"NOT NULL", `{"invoices":{"closedDate":{"operation":"NOT NULL"}}}`, []int64{2, 12}},
		{"is null", `{"invoices":{"closedDate":{"operation":"is null"}}}`, []int64{1, 3}},
		{"not null on Number (SLDN PHP example)", `{"invoices":{"amount":{"operation":"not null"}}}`, []int64{1, 2, 3}},
		{"is null on an empty relational array", `{"invoices":{"items":{"operation":"is null"}}}`, []int64{2, 12}},
		{"null never equals", `{"invoices":{"amount":{"operation":"!= 1"}}}`, []int64{1, 2, 3}},
		// Relative dates: now is 2024-03-15 13:00 CDT.
		{"> sysdate - 30", `{"invoices":{"createDate":{"operation":"> sysdate - 30"}}}`, []int64{3}},
		{">= currentDate - 45", `{"invoices":{"createDate":{"operation":">= currentDate - 45"}}}`, []int64{2, 3}},
		{"< SYSDATE-74 (case, no spaces)", `{"invoices":{"createDate":{"operation":"<SYSDATE-74"}}}`, []int64{1, 12}},
		{"relative date on a string ignored", `{"invoices":{"statusCode":{"operation":"> sysdate - 30"}}}`, all},
		// Literal comparisons on dates.
		{"> date on time", `{"invoices":{"createDate":{"operation":"> 02/01/2024"}}}`, []int64{3}},
		{">= date on time", `{"invoices":{"createDate":{"operation":">= 02/01/2024 0:0:0"}}}`, []int64{2, 3}},
		{"= date and time", `{"invoices":{"createDate":{"operation":"03/01/2024 10:30:00"}}}`, []int64{3}},
		{"< ISO with offset", `{"invoices":{"createDate":{"operation":"< 2024-01-01T06:00:00Z"}}}`, []int64{12}},
		{"unparsable date on time ignored", `{"invoices":{"createDate":{"operation":"> yesterday"}}}`, all},
		// Named operations.
		{"in strings", `{"invoices":{"typeCode":{"operation":"in","options":[{"name":"data","value":["RECURRING","NEW"]}]}}}`, []int64{1, 2}},
		{"in numbers", `{"invoices":{"id":{"operation":"in","options":[{"name":"data","value":[1,3]}]}}}`, []int64{1, 3}},
		{"in numeric strings", `{"invoices":{"id":{"operation":"in","options":[{"name":"data","value":["12","2"]}]}}}`, []int64{2, 12}},
		{"in values are not operators", `{"invoices":{"typeCode":{"operation":"in","options":[{"name":"data","value":["^= NEW"]}]}}}`, nil},
		{"in without data ignored", `{"invoices":{"typeCode":{"operation":"in"}}}`, all},
		{"in, option name case-insensitive", `{"invoices":{"typeCode":{"operation":"IN","options":[{"name":"DATA","value":["NEW"]}]}}}`, []int64{2}},
		{"or with literal operators", `{"invoices":{"typeCode":{"operation":"or","options":[{"name":"data","value":["^= ONE","^= NEW"]}]}}}`, []int64{2, 3}},
		{"and with literal operators", `{"invoices":{"id":{"operation":"and","options":[{"name":"data","value":[">= 2","<= 3"]}]}}}`, []int64{2, 3}},
		{"isDate MM/DD/YYYY", `{"invoices":{"createDate":{"operation":"isDate","options":[{"name":"date","value":["01/01/2024"]}]}}}`, []int64{1}},
		{"isDate ISO", `{"invoices":{"createDate":{"operation":"isDate","options":[{"name":"date","value":["2023-12-31"]}]}}}`, []int64{12}},
		{"isDate M/D/YY", `{"invoices":{"createDate":{"operation":"isDate","options":[{"name":"date","value":["3/1/24"]}]}}}`, []int64{3}},
		{"lessThanDate", `{"invoices":{"createDate":{"operation":"lessThanDate","options":[{"name":"date","value":["01/01/2024"]}]}}}`, []int64{12}},
		{"greaterThanDate is strict", `{"invoices":{"createDate":{"operation":"greaterThanDate","options":[{"name":"date","value":["02/01/2024"]}]}}}`, []int64{3}},
		{"greaterThanDate without date ignored", `{"invoices":{"createDate":{"operation":"greaterThanDate","options":[]}}}`, all},
		{"betweenDate (billing.md) inclusive, date-only end is midnight",
			`{"invoices":{"createDate":{"operation":"betweenDate","options":[{"name":"startDate","value":["01/01/2024"]},{"name":"endDate","value":["02/01/2024"]}]}}}`, []int64{1, 2}},
		{"betweenDate options in the other order",
			`{"invoices":{"createDate":{"operation":"betweenDate","options":[{"name":"endDate","value":["02/01/2024"]},{"name":"startDate","value":["01/01/2024"]}]}}}`, []int64{1, 2}},
		{"betweenDate slcli call-api M/D/Y H:M:S",
			`{"invoices": {"createDate": {"operation": "betweenDate", "options": [{"name": "startDate", "value": ["01/01/2024 0:0:0"]}, {"name": "endDate", "value": ["03/01/2024 23:59:59"]}]}}}`, []int64{1, 2, 3}},
		{"betweenDate sl-py query_filter_date unpadded",
			`{"invoices":{"createDate":{"operation":"betweenDate","options":[{"name":"startDate","value":["1/1/2024 0:0:0"]},{"name":"endDate","value":["3/1/2024 10:30:0"]}]}}}`, []int64{1, 2, 3}},
		{"betweenDate end to the second",
			`{"invoices":{"createDate":{"operation":"betweenDate","options":[{"name":"startDate","value":["12/31/2023 23:59:59"]},{"name":"endDate","value":["03/01/2024 10:29:59"]}]}}}`, []int64{1, 2, 12}},
		{"betweenDate ISO with offsets and fractions",
			`{"invoices":{"createDate":{"operation":"betweenDate","options":[{"name":"startDate","value":["2024-01-01T00:00:00.0000-06:00"]},{"name":"endDate","value":["2024-02-01T00:00:00Z"]}]}}}`, []int64{1}},
		{"betweenDate ISO date-only in Central time",
			`{"invoices":{"createDate":{"operation":"betweenDate","options":[{"name":"startDate","value":["2024-02-01"]},{"name":"endDate","value":["2024-03-02"]}]}}}`, []int64{2, 3}},
		{"betweenDate missing endDate ignored",
			`{"invoices":{"createDate":{"operation":"betweenDate","options":[{"name":"startDate","value":["01/01/2024"]}]}}}`, all},
		{"betweenDate unknown extra option ignored",
			`{"invoices":{"createDate":{"operation":"betweenDate","options":[{"name":"foo","value":[1]},{"name":"startDate","value":["02/01/2024"]},{"name":"endDate","value":["02/01/2024"]}]}}}`, []int64{2}},
		{"betweenDate scalar option values tolerated",
			`{"invoices":{"createDate":{"operation":"betweenDate","options":[{"name":"startDate","value":"02/01/2024"},{"name":"endDate","value":"02/01/2024"}]}}}`, []int64{2}},
		{"single-account-billing-detail filter",
			`{"invoices":{"createDate":{"operation":"betweenDate","options":[{"name":"startDate","value":["12/01/2023 0:0:0"]},{"name":"endDate","value":["01/31/2024 23:59:59"]}]},"typeCode":{"operation":"in","options":[{"name":"data","value":["RECURRING"]}]}}}`, []int64{1}},
		{"unknown named operation ignored", `{"invoices":{"typeCode":{"operation":"notIn","options":[{"name":"data","value":["NEW"]}]}}}`, all},
		{"operation of another JSON type ignored", `{"invoices":{"typeCode":{"operation":["NEW"]}}}`, all},
		{"orderBy does not filter", `{"invoices":{"id":{"operation":"orderBy","options":[{"name":"sort","value":["ASC"]}]}}}`, all},
		// Relational paths.
		{"relational array: any element", `{"invoices":{"items":{"categoryCode":{"operation":"server"}}}}`, []int64{1}},
		{"relational array then object", `{"invoices":{"items":{"category":{"name":{"operation":"^= Comp"}}}}}`, []int64{3}},
		{"null relational object under a condition does not match", `{"invoices":{"items":{"location":{"name":{"operation":"*= dal"}}}}}`, []int64{1}},
		{"relational with Number", `{"invoices":{"items":{"recurringFee":{"operation":"< 1"}}}}`, []int64{3}},
		{"relational with only orderBy keeps empty arrays", `{"invoices":{"items":{"id":{"operation":"orderBy","options":[{"name":"sort","value":["ASC"]}]}}}}`, all},
		// Root-level tolerance (sl-py HEAD fix_filter).
		{"root-level condition applied", `{"id":{"operation":"> 2"}}`, []int64{3, 12}},
		{"root-level with property root", `{"invoices":{"statusCode":{"operation":"OPEN"}},"id":{"operation":"> 2"}}`, []int64{3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFilter(tt.filter)
			if err != nil {
				t.Fatalf("ParseFilter(%s): got error %v, want nil", tt.filter, err)
			}
			got := match(t, f, "invoices", invoices())
			if tt.want == nil {
				tt.want = []int64{}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ids matching %s (-want +got):\n%s", tt.filter, diff)
			}
		})
	}
}

func TestFilterUnder(t *testing.T) {
	f, err := ParseFilter(`{"invoices":{"createDate":{"operation":"isDate","options":[{"name":"date","value":["01/01/2024"]}]},
		"items":{"categoryCode":{"operation":"guest_core"}}}}`)
	if err != nil {
		t.Fatal(err)
	}
	items := []Record{
		rec{"id": int64(1), "categoryCode": "server", "createDate": cst(2024, 1, 1, 0, 0, 0)},
		rec{"id": int64(2), "categoryCode": "guest_core", "createDate": cst(2024, 2, 1, 0, 0, 0)},
	}
	// Nested Under (filteredMask): only the items sub-filter, not the invoice
	// level's createDate condition.
	var got []Record
	for _, r := range items {
		if f.Under("invoices").Under("items").Match(r, now, central) {
			got = append(got, r)
		}
	}
	if diff := cmp.Diff([]int64{2}, ids(got)); diff != "" {
		t.Errorf("Under(invoices).Under(items) (-want +got):\n%s", diff)
	}

	// getItems: root "items".
	g, err := ParseFilter(`{"items":{"categoryCode":{"operation":"server"}}}`)
	if err != nil {
		t.Fatal(err)
	}
	if got := match(t, g, "items", items); !cmp.Equal(got, []int64{1}) {
		t.Errorf("Under(items): got %v, want [1]", got)
	}
	// The same filter for getInvoiceTopLevelItems is an unknown root: ignored.
	if got := match(t, g, "invoiceTopLevelItems", items); !cmp.Equal(got, []int64{1, 2}) {
		t.Errorf("Under(invoiceTopLevelItems) of an items filter: got %v, want [1 2]", got)
	}
	// A condition on the collection itself does not apply to its elements.
	h, err := ParseFilter(`{"items":{"operation":"not null"}}`)
	if err != nil {
		t.Fatal(err)
	}
	if h.Under("items").Restricts() {
		t.Errorf("Under(items) of a condition on items: got Restricts()=true, want false")
	}

	var nilF *Filter
	u := nilF.Under("invoices")
	if u == nil {
		t.Fatalf("nil Filter Under: got nil, want a filter")
	}
	if !u.Match(items[0], now, central) || !nilF.Match(items[0], now, nil) || u.Restricts() {
		t.Errorf("nil Filter: got no match, want match all")
	}
	if f.Under("invoices").Match(nil, now, central) {
		t.Errorf("restricting filter Match(nil record): got true, want false")
	}
	if u.Under("x") == nil {
		t.Errorf("Under of Under: got nil, want a filter")
	}
}

func TestFilterNilLocationIsCentral(t *testing.T) {
	f, err := ParseFilter(`{"invoices":{"createDate":{"operation":"isDate","options":[{"name":"date","value":["01/01/2024"]}]}}}`)
	if err != nil {
		t.Fatal(err)
	}
	r := rec{"createDate": time.Date(2024, 1, 1, 5, 59, 59, 0, time.UTC)} // 2023-12-31 23:59:59 CST
	if f.Under("invoices").Match(r, now, nil) {
		t.Errorf("isDate 01/01/2024 with loc=nil for 2023-12-31 23:59:59 CST: got match, want none")
	}
	if !f.Under("invoices").Match(r, now, time.UTC) {
		t.Errorf("isDate 01/01/2024 with loc=UTC for 2024-01-01 05:59:59Z: got no match, want match")
	}
}

func TestParseFilterErrors(t *testing.T) {
	for _, raw := range []string{
		`{`,
		`{"invoices":}`,
		`[]`,
		`"invoices"`,
		`42`,
		`{} x`,
		`{}{}`,
		`{"a":1,}`,
		`{'a':1}`,
		strings.Repeat(`{"a":`, 100) + `1` + strings.Repeat(`}`, 100),
	} {
		f, err := ParseFilter(raw)
		var fe *FilterError
		if !errors.As(err, &fe) {
			t.Errorf("ParseFilter(%q): got (%v, %v), want a *FilterError", raw, f, err)
			continue
		}
		if f != nil {
			t.Errorf("ParseFilter(%q): got a filter with the error, want nil", raw)
		}
		if !strings.HasPrefix(err.Error(), "query: object filter: ") {
			t.Errorf("ParseFilter(%q).Error(): got %q, want prefix %q", raw, err.Error(), "query: object filter: ")
		}
	}
}

func TestParseFilterDate(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time // zero: invalid
	}{
		{"01/01/2015", cst(2015, 1, 1, 0, 0, 0)},
		{"1/5/2024", cst(2024, 1, 5, 0, 0, 0)},
		{"01/01/01", cst(2001, 1, 1, 0, 0, 0)},
		{"12/31/99", cst(1999, 12, 31, 0, 0, 0)},
		{"07/15/2020 23:59:59", cst(2020, 7, 15, 23, 59, 59)},
		{"1/5/2024 0:0:0", cst(2024, 1, 5, 0, 0, 0)},
		{"04/01/2018 01:00:00", cst(2018, 4, 1, 1, 0, 0)},
		{"04/01/2018 1:00", cst(2018, 4, 1, 1, 0, 0)},
		{"10-04-2022", cst(2022, 10, 4, 0, 0, 0)},
		{"2024-03-01", cst(2024, 3, 1, 0, 0, 0)},
		{"2024-03-01T10:30:00", cst(2024, 3, 1, 10, 30, 0)},
		{"2024-03-01 10:30:00", cst(2024, 3, 1, 10, 30, 0)},
		{"2018-04-18T00:00:00.0000-06:00", time.Date(2018, 4, 18, 6, 0, 0, 0, time.UTC)},
		{"2018-04-18T00:00:00-0500", time.Date(2018, 4, 18, 5, 0, 0, 0, time.UTC)},
		{"2018-04-18T00:00:00+05:30", time.Date(2018, 4, 17, 18, 30, 0, 0, time.UTC)},
		{"2018-04-18T00:00:00.123456789123Z", time.Date(2018, 4, 18, 0, 0, 0, 0, time.UTC)},
		{"2024-07-01T00:00:00", cst(2024, 7, 1, 0, 0, 0)}, // CDT
		{" 2/29/2024 ", cst(2024, 2, 29, 0, 0, 0)},
		{"2/30/2024", time.Time{}},
		{"13/01/2024", time.Time{}},
		{"00/01/2024", time.Time{}},
		{"01/01/2024 24:00:00", time.Time{}},
		{"01/01/2024 10:60", time.Time{}},
		{"01/01/2024 10", time.Time{}},
		{"2024/01/01", time.Time{}},
		{"01/01/202", time.Time{}},
		{"2024-01-01T00:00:00+25:00", time.Time{}},
		{"2024-01-01T00:00:00 junk", time.Time{}},
		{"yesterday", time.Time{}},
		{"", time.Time{}},
		{"1234567890123/1/1", time.Time{}},
	}
	for _, tt := range tests {
		d := parseFilterDate(tt.in)
		if tt.want.IsZero() {
			if d.ok {
				t.Errorf("parseFilterDate(%q): got %v, want invalid", tt.in, d.in(central))
			}
			continue
		}
		if !d.ok {
			t.Errorf("parseFilterDate(%q): got invalid, want %v", tt.in, tt.want)
			continue
		}
		if got := d.in(central); !got.Equal(tt.want) {
			t.Errorf("parseFilterDate(%q): got %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestOrderBy(t *testing.T) {
	tests := []struct {
		name   string
		filter string
		prop   string
		want   []SortKey
	}{
		{"none", `{"invoices":{"statusCode":{"operation":"OPEN"}}}`, "invoices", nil},
		{"nil filter", ``, "invoices", nil},
		{"slcli invoices DESC", `{"invoices": {"createDate": {"operation": "orderBy", "options": [{"name": "sort", "value": ["DESC"]}]}, "statusCode": {"operation": "OPEN"}}}`, "invoices",
			[]SortKey{{Path: []string{"createDate"}, Desc: true}}},
		{"sl-cli top-level items", `{"invoiceTopLevelItems":{"id":{"operation":"orderBy","options":[{"name":"sort","value":["DESC"]}]}}}`, "invoiceTopLevelItems",
			[]SortKey{{Path: []string{"id"}, Desc: true}}},
		{"sortOrder: lower is higher priority", `{"virtualGuests":{"provisionDate":{"operation":"orderBy","options":[{"name":"sort","value":["DESC"]},{"name":"sortOrder","value":[1]}]},"maxMemory":{"operation":"orderBy","options":[{"name":"sort","value":["ASC"]},{"name":"sortOrder","value":[0]}]}}}`, "virtualGuests",
			[]SortKey{{Path: []string{"maxMemory"}}, {Path: []string{"provisionDate"}, Desc: true}}},
		{"sortOrder as string, options reversed, keys without sortOrder last in JSON order",
			`{"items":{"a":{"operation":"orderBy","options":[{"name":"sort","value":["ASC"]}]},"b":{"operation":"orderBy","options":[{"name":"sortOrder","value":["2"]},{"name":"sort","value":["desc"]}]},"c":{"operation":"orderBy","options":[{"name":"sort","value":["DESC"]}]},"d":{"operation":"orderBy","options":[{"name":"sortOrder","value":[1]}]}}}`, "items",
			[]SortKey{{Path: []string{"d"}}, {Path: []string{"b"}, Desc: true}, {Path: []string{"a"}}, {Path: []string{"c"}, Desc: true}}},
		{"no options is ASC", `{"items":{"id":{"operation":"orderBy"}}}`, "items", []SortKey{{Path: []string{"id"}}}},
		{"invalid sort ignored", `{"items":{"id":{"operation":"orderBy","options":[{"name":"sort","value":["UP"]}]}}}`, "items", nil},
		{"invalid sortOrder treated as absent", `{"items":{"a":{"operation":"orderBy"},"b":{"operation":"orderBy","options":[{"name":"sortOrder","value":["x"]}]}}}`, "items",
			[]SortKey{{Path: []string{"a"}}, {Path: []string{"b"}}}},
		{"nested path", `{"items":{"category":{"name":{"operation":"orderBy","options":[{"name":"sort","value":["ASC"]}]}}}}`, "items",
			[]SortKey{{Path: []string{"category", "name"}}}},
		{"root-level tolerance (sl-py HEAD fix_filter)", `{"id":{"operation":"orderBy","options":[{"name":"sort","value":["ASC"]}]}}`, "invoiceTopLevelItems",
			[]SortKey{{Path: []string{"id"}}}},
		{"property root first, then root level; duplicate path keeps the first", `{"id":{"operation":"orderBy","options":[{"name":"sort","value":["ASC"]}]},"items":{"id":{"operation":"orderBy","options":[{"name":"sort","value":["DESC"]}]},"createDate":{"operation":"orderBy"}}}`, "items",
			[]SortKey{{Path: []string{"id"}, Desc: true}, {Path: []string{"createDate"}}}},
		{"sl-go filter builder", `{"invoices":{"createDate":{"operation":"betweenDate","options":[{"name":"startDate","value":["01/01/2024"]},{"name":"endDate","value":["03/01/2024"]}]},"id":{"operation":"orderBy","options":[{"name":"sort","value":["ASC"]}]}}}`, "invoices",
			[]SortKey{{Path: []string{"id"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFilter(tt.filter)
			if err != nil {
				t.Fatalf("ParseFilter: %v", err)
			}
			if diff := cmp.Diff(tt.want, f.Under(tt.prop).OrderBy()); diff != "" {
				t.Errorf("OrderBy (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSort(t *testing.T) {
	rs := func() []Record {
		return []Record{
			rec{"id": int64(1), "amount": Number("10"), "code": "b", "flag": true, "createDate": cst(2024, 1, 2, 0, 0, 0), "category": rec{"name": "z"}},
			rec{"id": int64(2), "amount": Number("9.5"), "code": "a", "flag": false, "createDate": cst(2024, 1, 1, 0, 0, 0), "category": rec{"name": "y"}},
			rec{"id": int64(3), "amount": nil, "code": "b", "flag": nil, "createDate": nil, "category": nil},
			rec{"id": int64(4), "amount": Number("-0.5"), "code": "a", "flag": true, "createDate": cst(2024, 1, 1, 0, 0, 1), "category": rec{"name": "x"}},
			rec{"id": int64(5), "amount": Number("-1"), "code": "B", "flag": false, "createDate": cst(2023, 6, 1, 0, 0, 0), "category": rec{}},
			rec{"id": int64(10), "amount": Number("10.00000000000000000001"), "code": "a", "flag": true, "createDate": cst(2024, 1, 2, 0, 0, 0), "category": rec{"name": "a"}},
		}
	}
	orderBy := func(path, dir string) string {
		return `{"` + path + `":{"operation":"orderBy","options":[{"name":"sort","value":["` + dir + `"]}]}}`
	}
	tests := []struct {
		name   string
		filter string
		want   []int64
	}{
		{"no orderBy: unchanged", `{"items":{"code":{"operation":"a"}}}`, []int64{1, 2, 3, 4, 5, 10}},
		{"int64 DESC", `{"items":` + orderBy("id", "DESC") + `}`, []int64{10, 5, 4, 3, 2, 1}},
		{"Number ASC exact, nulls first", `{"items":` + orderBy("amount", "ASC") + `}`, []int64{3, 5, 4, 2, 1, 10}},
		{"Number DESC, nulls last", `{"items":` + orderBy("amount", "DESC") + `}`, []int64{10, 1, 2, 4, 5, 3}},
		{"string ASC byte-wise, stable", `{"items":` + orderBy("code", "ASC") + `}`, []int64{5, 2, 4, 10, 1, 3}},
		{"bool ASC, nulls first", `{"items":` + orderBy("flag", "ASC") + `}`, []int64{3, 2, 5, 1, 4, 10}},
		{"time ASC, stable on ties", `{"items":` + orderBy("createDate", "ASC") + `}`, []int64{3, 5, 2, 4, 1, 10}},
		{"nested path, missing and null sort as null", `{"items":{"category":` + orderBy("name", "ASC") + `}}`, []int64{3, 5, 10, 4, 2, 1}},
		{"two keys by sortOrder", `{"items":{"id":{"operation":"orderBy","options":[{"name":"sort","value":["DESC"]},{"name":"sortOrder","value":[1]}]},"code":{"operation":"orderBy","options":[{"name":"sort","value":["ASC"]},{"name":"sortOrder","value":[0]}]}}}`,
			[]int64{5, 10, 4, 2, 3, 1}},
		{"unknown property: no change", `{"items":` + orderBy("bogus", "DESC") + `}`, []int64{1, 2, 3, 4, 5, 10}},
		{"root-level id orderBy", orderBy("id", "DESC"), []int64{10, 5, 4, 3, 2, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFilter(tt.filter)
			if err != nil {
				t.Fatalf("ParseFilter: %v", err)
			}
			got := rs()
			f.Under("items").Sort(got)
			if diff := cmp.Diff(tt.want, ids(got)); diff != "" {
				t.Errorf("Sort (-want +got):\n%s", diff)
			}
		})
	}
	var nilF *Filter
	got := rs()
	nilF.Sort(got)
	if diff := cmp.Diff([]int64{1, 2, 3, 4, 5, 10}, ids(got)); diff != "" {
		t.Errorf("nil Filter Sort (-want +got):\n%s", diff)
	}
}

func TestSampleFilters(t *testing.T) {
	// Every filter of softlayer-samples/filter-examples.json parses.
	for _, raw := range []string{
		`{ "invoices": { "createDate": { "operation": "orderBy", "options": [ { "name": "sort", "value": ["DESC"] } ] }, "statusCode": { "operation": "OPEN" } } }`,
		`{ "invoices": { "id": { "operation": "orderBy", "options": [ { "name": "sort", "value": ["DESC"] } ] }, "statusCode": { "operation": "OPEN" } } }`,
		`{ "invoiceTopLevelItems": { "id": { "operation": "orderBy", "options": [ { "name": "sort", "value": ["DESC"] } ] } } }`,
		`{ "id": { "operation": "orderBy", "options": [ { "name": "sort", "value": ["ASC"] } ] } }`,
		`{ "invoices": { "createDate": { "operation": "betweenDate", "options": [ { "name": "startDate", "value": ["12/01/2020"] }, { "name": "endDate", "value": ["02/01/2021"] } ] } } }`,
		`{ "createDate": { "operation": "betweenDate", "options": [ { "name": "startDate", "value": ["1/5/2024 0:0:0"] }, { "name": "endDate", "value": ["2/5/2024 0:0:0"] } ] } }`,
		`{ "invoices": { "amount": { "operation": "not null" } } }`,
		`{ "invoiceTopLevelItems": { "categoryCode": { "operation": "!^=paas_" } } }`,
		`{ "virtualGuests": { "pendingMigrationFlag": { "operation": 0 } } }`,
		`{ "virtualGuests": { "provisionDate": { "operation": "> sysdate - 30" } } }`,
	} {
		f, err := ParseFilter(raw)
		if err != nil || f == nil {
			t.Errorf("ParseFilter(%s): got (%v, %v), want a filter", raw, f, err)
		}
	}
}

func TestMatchValueTypes(t *testing.T) {
	tests := []struct {
		op    string
		value any
		want  bool
	}{
		{"> 4", 5, true}, // int is accepted as int64
		{"^= 5", 5, true},
		{"< 9223372036854775807", int64(9223372036854775806), true}, // beyond the Decimal fast path
		{"9223372036854775807", int64(9223372036854775807), true},
		{"> 92233720369", int64(92233720370), true},
		{"= 0.5", Number("1/2"), false}, // not a decimal: compared as text
		{"1/2", Number("1/2"), true},
		{"*= /", Number("1/2"), true},
		{"> 0.1", Number("1e-1"), false},
		{">= 0.1", Number("1e-1"), true},
		{"< 1", Number("0.999999999999999999999999"), true},
		{"!= true", true, false},
		{"!= true", false, true},
		{"> true", true, true},                      // not understood on a boolean: ignored
		{"~ ^2024", cst(2024, 1, 1, 0, 0, 0), true}, // string operators on a time: ignored
		{"12", rec{"id": int64(12)}, true},          // literal on a relational object: ignored
		{"is not null", []Record{rec{}}, true},
		{"not null", []Record{}, false},
		{"x", 1.5, true}, // a value type Record must not return: ignored
	}
	for _, tt := range tests {
		f, err := ParseFilter(`{"v":{"operation":` + strconvQuote(tt.op) + `}}`)
		if err != nil {
			t.Fatalf("ParseFilter(%q): %v", tt.op, err)
		}
		if got := f.Under("x").Match(rec{"v": tt.value}, now, central); got != tt.want {
			t.Errorf("%q on %#v: got %v, want %v", tt.op, tt.value, got, tt.want)
		}
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
