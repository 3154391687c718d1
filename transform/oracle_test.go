package transform

import (
	"github.com/invoicelake/invoicelake/schemas"
)

// The shipped path is Stream (two passes over items on disk). The
// in-memory versions below (Invoice, Flatten) are what the tests compare
// it with and use to state expected rows compactly.

// Result is one invoice's rows, held in memory.
type Result struct {
	Period       schemas.Period
	Invoice      schemas.InvoiceRow
	Items        []schemas.ItemRow // parents before children
	UnknownCodes []CodeCount
	UnmappedRows int64
}

// Invoice is Stream with the items in memory and the rows in Flatten's
// order: each top-level item in input order followed by its descendants,
// depth first. The rows share pointer fields with items.
func (t *Transformer) Invoice(inv schemas.Invoice, items []schemas.InvoiceItem) (Result, error) {
	x := NewIndex(inv.ID, len(items))
	for i := range items {
		x.Add(&items[i])
	}
	s, err := t.Stream(inv, x)
	if err != nil {
		return Result{}, err
	}
	rows := make([]schemas.ItemRow, len(items))
	x.resolved = false
	if err := flatten(x, items, rows); err != nil {
		return Result{}, err
	}
	return Result{Period: s.Period, Invoice: s.Invoice, Items: rows, UnknownCodes: s.UnknownCodes, UnmappedRows: s.UnmappedRows}, nil
}

// Flatten returns one row per item of invoice invoiceID, parents before
// children, with ResourceService nil; errors as Stream's.
func Flatten(invoiceID int64, items []schemas.InvoiceItem) ([]schemas.ItemRow, error) {
	rows := make([]schemas.ItemRow, len(items))
	x := NewIndex(invoiceID, len(items))
	for i := range items {
		x.Add(&items[i])
	}
	if err := flatten(x, items, rows); err != nil {
		return nil, err
	}
	return rows, nil
}

func flatten(x *Index, items []schemas.InvoiceItem, rows []schemas.ItemRow) error {
	// The rows are made once the hierarchy is resolved (the rollups need
	// every item's top-level item), in the order resolve visits them.
	order := make([]int32, 0, len(items))
	if err := x.resolve(func(v int32) { order = append(order, v) }); err != nil {
		return err
	}
	for out, v := range order {
		it := &items[v]
		nd := &x.nodes[v]
		if err := x.row(&rows[out], it, nd, &x.nodes[nd.top], items[nd.top].ResourceTableID, nil); err != nil {
			return err
		}
	}
	return nil
}

// stats adds up what invoices' Results say, as the exporter's run summary
// does.
type stats struct {
	Invoices, Items, Reconciled, Unreconciled, UnmappedRows int64
	UnknownCategories                                       map[string]int64
}

func (s *stats) add(r Result) {
	s.Invoices++
	s.Items += int64(len(r.Items))
	if r.Invoice.Reconciled {
		s.Reconciled++
	} else {
		s.Unreconciled++
	}
	s.UnmappedRows += r.UnmappedRows
	if s.UnknownCategories == nil {
		s.UnknownCategories = map[string]int64{}
	}
	for _, c := range r.UnknownCodes {
		s.UnknownCategories[c.Code] += c.Items
	}
}
