package transform

import (
	"cmp"
	"fmt"
	"slices"
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
	if err := flatten(invoiceID, items, rows); err != nil {
		return nil, err
	}
	return rows, nil
}

// flatten fills rows (len(rows) == len(items)) as Flatten describes.
func flatten(invoiceID int64, items []schemas.InvoiceItem, rows []schemas.ItemRow) error {
	n := len(items)
	if n == 0 {
		return nil
	}
	// One scratch allocation, sliced up: byID (positions sorted by id),
	// parent position (-1 for top-level), children in CSR form
	// (childStart[p]..childStart[p+1] index into childList), depth (-1 until
	// the item is reached) and the DFS stack.
	scratch := make([]int32, 6*n+1)
	byID := scratch[0:n]
	parent := scratch[n : 2*n]
	childList := scratch[2*n : 3*n]
	depth := scratch[3*n : 4*n]
	stack := scratch[4*n : 5*n]
	childStart := scratch[5*n : 6*n+1]

	for i := range items {
		if id := items[i].InvoiceID; id != 0 && id != invoiceID {
			return &HierarchyError{Kind: Foreign, InvoiceID: invoiceID, ItemID: items[i].ID, Other: id}
		}
		byID[i] = int32(i)
	}
	slices.SortFunc(byID, func(a, b int32) int {
		if c := cmp.Compare(items[a].ID, items[b].ID); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	for k := 1; k < n; k++ {
		if items[byID[k]].ID == items[byID[k-1]].ID {
			return &HierarchyError{Kind: Duplicate, InvoiceID: invoiceID, ItemID: items[byID[k]].ID}
		}
	}
	find := func(id int64) int32 {
		k, ok := slices.BinarySearchFunc(byID, id, func(p int32, id int64) int { return cmp.Compare(items[p].ID, id) })
		if !ok {
			return -1
		}
		return byID[k]
	}

	// Parents and child counts (childStart[p+1] counts p's children).
	for i := range items {
		depth[i] = -1
		pid := items[i].ParentID
		if pid == nil {
			parent[i] = -1
			continue
		}
		p := find(*pid)
		if p < 0 {
			return &HierarchyError{Kind: Orphan, InvoiceID: invoiceID, ItemID: items[i].ID, ParentID: *pid}
		}
		parent[i] = p
		childStart[p+1]++
	}
	for p := 0; p < n; p++ {
		childStart[p+1] += childStart[p]
	}
	// Fill children in input order; stack[p] counts those placed so far.
	for i := range items {
		if p := parent[i]; p >= 0 {
			childList[childStart[p]+stack[p]] = int32(i)
			stack[p]++
		}
	}

	var utc []time.Time // UTC copies of CreateDate, allocated once
	out := 0
	for r := range items {
		if parent[r] >= 0 {
			continue
		}
		top := &items[r]
		depth[r] = 0
		sp := 0
		stack[sp] = int32(r)
		sp++
		for sp > 0 {
			sp--
			v := stack[sp]
			it := &items[v]
			total, err := itemTotal(it)
			if err != nil {
				return fmt.Errorf("transform: invoice %d item %d: total_amount: %w", invoiceID, it.ID, err)
			}
			row := &rows[out]
			*row = schemas.ItemRow{
				InvoiceID:          invoiceID,
				ItemID:             it.ID,
				ParentItemID:       it.ParentID,
				TopLevelItemID:     top.ID,
				Depth:              depth[v],
				CategoryCode:       it.CategoryCode,
				CategoryName:       it.CategoryName,
				ResourceID:         top.ResourceTableID,
				BillingItemID:      it.BillingItemID,
				Description:        it.Description,
				HostName:           it.HostName,
				DomainName:         it.DomainName,
				Location:           it.Location,
				RecurringFee:       it.RecurringFee,
				HourlyRecurringFee: it.HourlyRecurringFee,
				OneTimeFee:         it.OneTimeFee,
				SetupFee:           it.SetupFee,
				LaborFee:           it.LaborFee,
				RecurringTaxAmount: it.RecurringTaxAmount,
				OneTimeTaxAmount:   it.OneTimeTaxAmount,
				SetupTaxAmount:     it.SetupTaxAmount,
				LaborTaxAmount:     it.LaborTaxAmount,
				TotalAmount:        total,
			}
			if t := it.CreateDate; t != nil {
				if t.Location() == time.UTC {
					row.CreateDate = t
				} else {
					if utc == nil {
						utc = make([]time.Time, n)
					}
					utc[out] = t.UTC()
					row.CreateDate = &utc[out]
				}
			}
			out++
			// Push children in reverse so the first is visited first.
			for k := childStart[v+1] - 1; k >= childStart[v]; k-- {
				c := childList[k]
				depth[c] = depth[v] + 1
				stack[sp] = c
				sp++
			}
		}
	}
	if out == n {
		return nil
	}
	// Items never reached all have parents that were never reached: they
	// lie on, or hang below, a cycle. Walk n parent steps from one of them
	// to land on the cycle, then collect it.
	u := int32(0)
	for depth[u] >= 0 {
		u++
	}
	for range n {
		u = parent[u]
	}
	// Report the cycle from its item that comes first in the input.
	first := u
	for v := parent[u]; v != u; v = parent[v] {
		first = min(first, v)
	}
	cycle := []int64{items[first].ID}
	for v := parent[first]; v != first; v = parent[v] {
		cycle = append(cycle, items[v].ID)
	}
	return &HierarchyError{Kind: Cycle, InvoiceID: invoiceID, ItemID: items[first].ID, Cycle: cycle}
}

// itemTotal is the item's own fees plus taxes (nil = 0). HourlyRecurringFee
// is a rate, not an amount billed, and is excluded.
func itemTotal(it *schemas.InvoiceItem) (schemas.Decimal, error) {
	var s sum128
	for _, p := range [...]*schemas.Decimal{
		it.RecurringFee, it.OneTimeFee, it.SetupFee, it.LaborFee,
		it.RecurringTaxAmount, it.OneTimeTaxAmount, it.SetupTaxAmount, it.LaborTaxAmount,
	} {
		if p != nil {
			s.add(*p)
		}
	}
	return s.decimal()
}
