package transform

import (
	"strings"
	"testing"

	"github.com/invoicelake/invoicelake/schemas"
)

// goodRows is a valid invoice 7: server 1 (resource 500) with children 2
// and 3 (3 under 2), credit 4 with no service and license 5 attached to
// the server.
func goodRows() []RowKey {
	svc := "SoftLayer_Hardware_Server"
	return []RowKey{
		{InvoiceID: 7, ItemID: 1, TopID: 1, Rollup: 1, HasService: true, Service: svc, HasResource: true, Resource: 500},
		{InvoiceID: 7, ItemID: 2, TopID: 1, Rollup: 1, Depth: 1, HasParent: true, ParentID: 1, HasService: true, Service: svc, HasResource: true, Resource: 500},
		{InvoiceID: 7, ItemID: 3, TopID: 1, Rollup: 1, Depth: 2, HasParent: true, ParentID: 2, HasService: true, Service: svc, HasResource: true, Resource: 500},
		{InvoiceID: 7, ItemID: 4, TopID: 4, Rollup: 4},
		{InvoiceID: 7, ItemID: 5, TopID: 5, Rollup: 1},
	}
}

func TestCheckRows(t *testing.T) {
	if p := CheckRows(7, goodRows()); p != nil {
		t.Fatalf("valid rows: got problems %v, want none", p)
	}
	tests := []struct {
		name   string
		mutate func([]RowKey) []RowKey
		item   int64
		want   string
	}{
		{"resource id 0 on a child (issue 11)", func(r []RowKey) []RowKey { r[2].Resource = 0; return r }, 3, "resource_id 0, want 500"},
		{"resource id missing on a child", func(r []RowKey) []RowKey { r[1].HasResource = false; return r }, 2, "resource_id NULL, want 500"},
		{"service differs", func(r []RowKey) []RowKey { r[1].Service = "x"; return r }, 2, "resource_service"},
		{"wrong top", func(r []RowKey) []RowKey { r[2].TopID = 2; return r }, 3, "top_level_item_id 2, want 1"},
		{"wrong depth", func(r []RowKey) []RowKey { r[2].Depth = 1; return r }, 3, "depth 1, want 2"},
		{"orphan", func(r []RowKey) []RowKey { r[1].ParentID = 99; return r }, 2, "parent 99"},
		{"duplicate", func(r []RowKey) []RowKey { return append(r, r[3]) }, 4, "appears twice"},
		{"cycle", func(r []RowKey) []RowKey { r[0].HasParent, r[0].ParentID = true, 3; return r }, 1, "cycle"},
		{"foreign row", func(r []RowKey) []RowKey { r[3].InvoiceID = 8; return r }, 4, "belongs to invoice 8"},
		{"rollup differs from the top's", func(r []RowKey) []RowKey { r[1].Rollup = 4; return r }, 2, "rollup_item_id 4, want 1"},
		{"rollup into a child", func(r []RowKey) []RowKey { r[4].Rollup = 2; return r }, 5, "not a top-level item"},
		{"rollup into nothing", func(r []RowKey) []RowKey { r[4].Rollup = 99; return r }, 5, "not a top-level item"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probs := CheckRows(7, tt.mutate(goodRows()))
			for _, p := range probs {
				if p.ItemID == tt.item && strings.Contains(p.Problem, tt.want) {
					return
				}
			}
			t.Errorf("got %v, want a problem of item %d containing %q", probs, tt.item, tt.want)
		})
	}
}

func TestDiffItem(t *testing.T) {
	cd := mustTime("2024-03-01T06:00:00-06:00")
	it := schemas.InvoiceItem{ID: 2, InvoiceID: 7, ParentID: i64(1), CategoryCode: "ram", CategoryName: str("RAM"),
		Description: "16 GB", CreateDate: &cd, RecurringFee: dec("10.5"), RecurringTaxAmount: dec("1.05"), HourlyRecurringFee: dec("0.02")}
	utc := cd.UTC()
	row := schemas.ItemRow{InvoiceID: 7, ItemID: 2, ParentItemID: i64(1), TopLevelItemID: 1, Depth: 1, CategoryCode: "ram",
		CategoryName: str("RAM"), Description: "16 GB", CreateDate: &utc, RecurringFee: dec("10.5"),
		RecurringTaxAmount: dec("1.05"), HourlyRecurringFee: dec("0.02"), TotalAmount: schemas.MustParseDecimal("11.55")}
	if d := DiffItem(&row, &it); d != nil {
		t.Fatalf("equal row: got %v, want no difference", d)
	}
	row.TotalAmount = schemas.MustParseDecimal("11.56")
	row.Location = str("dal10")
	d := DiffItem(&row, &it)
	if len(d) != 2 || !strings.HasPrefix(d[0], "location:") || !strings.HasPrefix(d[1], "total_amount: lake 11.56, api 11.55") {
		t.Errorf("got %q, want location and total_amount", d)
	}
}
