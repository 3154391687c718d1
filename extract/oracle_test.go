package extract

import (
	"context"
	"iter"

	"github.com/invoicelake/invoicelake/schemas"
)

// The exporter has one path (InvoicesWithItems, spills read item by item);
// the helpers below are the simple in-memory versions the tests compare
// with.

// invoiceWithItems is an invoice and its items, held in memory.
type invoiceWithItems struct {
	Invoice schemas.Invoice
	Items   []schemas.InvoiceItem
}

// collectInvoices is InvoicesWithItems for one query with each spill read
// into memory (items cloned out of the reused slot) and closed.
func collectInvoices(c *Client, ctx context.Context, q InvoiceQuery) iter.Seq2[invoiceWithItems, error] {
	return func(yield func(invoiceWithItems, error) bool) {
		for v, err := range c.InvoicesWithItems(ctx, []InvoiceQuery{q}) {
			if err != nil {
				yield(invoiceWithItems{}, err)
				return
			}
			out := invoiceWithItems{Invoice: v.Invoice}
			for it, err := range v.Items.Items() {
				if err != nil {
					v.Items.Close()
					yield(invoiceWithItems{}, err)
					return
				}
				out.Items = append(out.Items, cloneItem(it))
			}
			if err := v.Items.Close(); err != nil {
				yield(invoiceWithItems{}, err)
				return
			}
			if !yield(out, nil) {
				return
			}
		}
	}
}

// eachItem pages through an invoice's items with no itemCount bound.
func (c *Client) eachItem(ctx context.Context, invoiceID int64, emit func(schemas.InvoiceItem) bool) error {
	return c.eachItemOf(ctx, invoiceID, nil, emit)
}

// itemsOf yields the items of one invoice, straight from the pager.
func itemsOf(c *Client, ctx context.Context, invoiceID int64) iter.Seq2[schemas.InvoiceItem, error] {
	return func(yield func(schemas.InvoiceItem, error) bool) {
		stopped := false
		err := c.eachItem(ctx, invoiceID, func(it schemas.InvoiceItem) bool {
			if !yield(it, nil) {
				stopped = true
				return false
			}
			return true
		})
		if err != nil && !stopped {
			yield(schemas.InvoiceItem{}, err)
		}
	}
}

// cloneItem copies it and every value it points to, field by field of
// itemFields (TestFieldListsCoverStructs checks they are all the fields).
func cloneItem(it *schemas.InvoiceItem) schemas.InvoiceItem {
	out := *it
	for i := range itemFields.fields {
		f := &itemFields.fields[i]
		switch f.kind {
		case kindIntPtr:
			if p := *f.ip(it); p != nil {
				v := *p
				*f.ip(&out) = &v
			}
		case kindDecimal:
			if p := *f.d(it); p != nil {
				v := *p
				*f.d(&out) = &v
			}
		case kindStringPtr, kindNamed:
			if p := *f.sp(it); p != nil {
				v := *p
				*f.sp(&out) = &v
			}
		case kindTime:
			if p := *f.t(it); p != nil {
				v := *p
				*f.t(&out) = &v
			}
		}
	}
	return out
}
