package transform

import (
	"time"

	"github.com/invoicelake/invoicelake/schemas"
)

// Flatten returns one row per item of invoice invoiceID, parents before
// children: each top-level item (ParentID nil) in input order, followed by
// its descendants depth first, siblings in input order. Every row carries
// its depth (0 for top-level items), its top-level item's id and that item's
// resourceTableId as ResourceID; ResourceService is left nil (Transformer
// fills it from a CategoryMap). TotalAmount is the item's own fees plus
// taxes, children excluded; CreateDate is converted to UTC.
//
// An item whose parent is not among items, a cycle of ParentIDs, two items
// with one id, or an item whose InvoiceID is another invoice's (0 is taken
// as unset) is a *HierarchyError naming the invoice and the item. A total
// that does not fit DECIMAL(18,8) is an error wrapping
// schemas.ErrDecimalRange. Flatten runs in O(n log n) and never loops
// forever, whatever the input.
//
// Rows share pointer fields (ParentID, CategoryName, fees, ...) with items:
// do not modify items while the rows are in use.
func Flatten(invoiceID int64, items []schemas.InvoiceItem) ([]schemas.ItemRow, error) {
	rows := make([]schemas.ItemRow, len(items))
	x := Index{invoiceID: invoiceID, nodes: make([]node, 0, len(items))}
	for i := range items {
		x.Add(&items[i])
	}
	if err := flatten(&x, items, rows); err != nil {
		return nil, err
	}
	return rows, nil
}

// flatten fills rows (len(rows) == len(items)) as Flatten describes, from
// x, the Index of items. ResourceService comes from x (nil unless the
// Transformer categorized it).
func flatten(x *Index, items []schemas.InvoiceItem, rows []schemas.ItemRow) error {
	var utc []time.Time // UTC copies of CreateDate, allocated once
	out := 0
	var rerr error
	err := x.resolve(func(v int32) {
		it := &items[v]
		var u *time.Time
		if t := it.CreateDate; t != nil && t.Location() != time.UTC {
			if utc == nil {
				utc = make([]time.Time, len(items))
			}
			u = &utc[out]
		}
		if err := x.row(&rows[out], it, v, items[x.nodes[v].top].ResourceTableID, u); err != nil && rerr == nil {
			rerr = err
		}
		out++
	})
	if err != nil {
		return err
	}
	return rerr
}
