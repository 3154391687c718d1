package transform

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/invoicelake/invoicelake/schemas"
)

// RowKey is what CheckRows reads of one invoice_items row: its place in
// the hierarchy and the resource it is attributed to, as values.
type RowKey struct {
	InvoiceID, ItemID, TopID int64
	ParentID                 int64 // when HasParent
	Depth                    int32
	HasParent                bool
	HasService, HasResource  bool
	Service                  string // when HasService
	Resource                 int64  // when HasResource
	Rollup                   int64  // rollup_item_id
}

// KeyOf copies what CheckRows needs of r; it keeps nothing of r.
func KeyOf(r *schemas.ItemRow) RowKey {
	k := RowKey{InvoiceID: r.InvoiceID, ItemID: r.ItemID, TopID: r.TopLevelItemID, Depth: r.Depth, Rollup: r.RollupItemID}
	if r.ParentItemID != nil {
		k.ParentID, k.HasParent = *r.ParentItemID, true
	}
	if r.ResourceService != nil {
		k.Service, k.HasService = strings.Clone(*r.ResourceService), true
	}
	if r.ResourceID != nil {
		k.Resource, k.HasResource = *r.ResourceID, true
	}
	return k
}

// RowProblem is one rule a row breaks.
type RowProblem struct {
	InvoiceID, ItemID int64
	Problem           string
}

func (p RowProblem) String() string {
	return fmt.Sprintf("invoice %d item %d: %s", p.InvoiceID, p.ItemID, p.Problem)
}

// CheckRows checks the invoice_items rows of one invoice, in any order,
// against the rules every exported invoice keeps, and returns each broken
// one (nil when none): no item_id twice; every parent_item_id names a row
// of the invoice; top_level_item_id and depth follow the parent chain (a
// top-level row is its own top at depth 0); every row's resource_service,
// resource_id and rollup_item_id are those of its top-level row, and
// rollup_item_id names a top-level row of the invoice. It uses plain maps,
// independent of the Index the exporter builds, so that it can judge it.
func CheckRows(invoiceID int64, rows []RowKey) []RowProblem {
	var out []RowProblem
	bad := func(id int64, format string, args ...any) {
		out = append(out, RowProblem{InvoiceID: invoiceID, ItemID: id, Problem: fmt.Sprintf(format, args...)})
	}
	byID := make(map[int64]*RowKey, len(rows))
	for i := range rows {
		r := &rows[i]
		if r.InvoiceID != invoiceID {
			bad(r.ItemID, "row belongs to invoice %d", r.InvoiceID)
		}
		if _, dup := byID[r.ItemID]; dup {
			bad(r.ItemID, "item_id appears twice")
			continue
		}
		byID[r.ItemID] = r
	}
	for i := range rows {
		r := &rows[i]
		if byID[r.ItemID] != r {
			continue // a duplicate, reported
		}
		// Walk up to the top-level item, at most len(rows) steps.
		top, depth := r, int32(0)
		broken := false
		for top.HasParent {
			p, ok := byID[top.ParentID]
			if !ok {
				bad(r.ItemID, "parent %d (of item %d) is not in the invoice", top.ParentID, top.ItemID)
				broken = true
				break
			}
			top, depth = p, depth+1
			if int(depth) > len(rows) {
				bad(r.ItemID, "its parent chain is a cycle")
				broken = true
				break
			}
		}
		if broken {
			continue
		}
		if r.TopID != top.ItemID {
			bad(r.ItemID, "top_level_item_id %d, want %d", r.TopID, top.ItemID)
		}
		if r.Depth != depth {
			bad(r.ItemID, "depth %d, want %d", r.Depth, depth)
		}
		if r.HasService != top.HasService || r.Service != top.Service {
			bad(r.ItemID, "resource_service %s, want %s (its top-level item %d's)", showKey(r.HasService, strconv.Quote(r.Service)),
				showKey(top.HasService, strconv.Quote(top.Service)), top.ItemID)
		}
		if r.Rollup != top.Rollup {
			bad(r.ItemID, "rollup_item_id %d, want %d (its top-level item %d's)", r.Rollup, top.Rollup, top.ItemID)
		}
		if ru, ok := byID[r.Rollup]; r == top && (!ok || ru.HasParent) {
			bad(r.ItemID, "rollup_item_id %d is not a top-level item of the invoice", r.Rollup)
		}
		if r.HasResource != top.HasResource || r.Resource != top.Resource {
			bad(r.ItemID, "resource_id %s, want %s (its top-level item %d's)", showKey(r.HasResource, strconv.FormatInt(r.Resource, 10)),
				showKey(top.HasResource, strconv.FormatInt(top.Resource, 10)), top.ItemID)
		}
	}
	return out
}

func showKey(has bool, v string) string {
	if !has {
		return "NULL"
	}
	return v
}

func show(s *string) string {
	if s == nil {
		return "NULL"
	}
	return strconv.Quote(*s)
}

func showInt(v *int64) string {
	if v == nil {
		return "NULL"
	}
	return strconv.FormatInt(*v, 10)
}

// DiffItem compares the invoice_items row r with it, the API's item, column
// by column, and returns each column that differs ("name: lake X, api Y").
// It checks the columns copied from the item (ids, code and names,
// description, host, domain, location, every fee and tax, create_date as a
// UTC instant), total_amount (recomputed here: fees plus taxes, the hourly
// rate excluded) and, on a top-level row, resource_id (its
// resourceTableId). The columns that follow the hierarchy (depth,
// top_level_item_id, and a child's resource columns) are CheckRows's.
func DiffItem(r *schemas.ItemRow, it *schemas.InvoiceItem) []string {
	var out []string
	diff := func(col, lake, api string) {
		if lake != api {
			out = append(out, fmt.Sprintf("%s: lake %s, api %s", col, lake, api))
		}
	}
	i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
	dec := func(d *schemas.Decimal) string {
		if d == nil {
			return "NULL"
		}
		return d.String()
	}
	diff("item_id", i64(r.ItemID), i64(it.ID))
	diff("invoice_id", i64(r.InvoiceID), i64(it.InvoiceID))
	diff("parent_item_id", showInt(r.ParentItemID), showInt(it.ParentID))
	diff("billing_item_id", showInt(r.BillingItemID), showInt(it.BillingItemID))
	diff("category_code", strconv.Quote(r.CategoryCode), strconv.Quote(it.CategoryCode))
	diff("category_name", show(r.CategoryName), show(it.CategoryName))
	diff("description", strconv.Quote(r.Description), strconv.Quote(it.Description))
	diff("host_name", show(r.HostName), show(it.HostName))
	diff("domain_name", show(r.DomainName), show(it.DomainName))
	diff("location", show(r.Location), show(it.Location))
	for _, c := range []struct {
		col       string
		lake, api *schemas.Decimal
	}{
		{"recurring_fee", r.RecurringFee, it.RecurringFee},
		{"hourly_recurring_fee", r.HourlyRecurringFee, it.HourlyRecurringFee},
		{"one_time_fee", r.OneTimeFee, it.OneTimeFee},
		{"setup_fee", r.SetupFee, it.SetupFee},
		{"labor_fee", r.LaborFee, it.LaborFee},
		{"recurring_tax_amount", r.RecurringTaxAmount, it.RecurringTaxAmount},
		{"one_time_tax_amount", r.OneTimeTaxAmount, it.OneTimeTaxAmount},
		{"setup_tax_amount", r.SetupTaxAmount, it.SetupTaxAmount},
		{"labor_tax_amount", r.LaborTaxAmount, it.LaborTaxAmount},
	} {
		diff(c.col, dec(c.lake), dec(c.api))
	}
	var total schemas.Sum
	for _, d := range []*schemas.Decimal{it.RecurringFee, it.OneTimeFee, it.SetupFee, it.LaborFee,
		it.RecurringTaxAmount, it.OneTimeTaxAmount, it.SetupTaxAmount, it.LaborTaxAmount} {
		if d != nil {
			total.Add(*d)
		}
	}
	diff("total_amount", r.TotalAmount.String(), total.String())
	diff("create_date", showTime(r.CreateDate), showTime(it.CreateDate))
	if it.ParentID == nil {
		diff("resource_id", showInt(r.ResourceID), showInt(it.ResourceTableID))
	}
	return out
}

// showTime is t as a UTC instant at the lake's microsecond precision.
func showTime(t *time.Time) string {
	if t == nil {
		return "NULL"
	}
	return t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)
}
