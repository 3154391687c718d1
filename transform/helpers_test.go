package transform

import (
	"time"

	"github.com/invoicelake/invoicelake/schemas"
)

func dec(s string) *schemas.Decimal {
	d := schemas.MustParseDecimal(s)
	return &d
}

func i64(v int64) *int64 { return &v }

func str(s string) *string { return &s }

// item is a top-level item when parent is 0.
func item(id, parent int64, code string) schemas.InvoiceItem {
	it := schemas.InvoiceItem{ID: id, InvoiceID: 7, CategoryCode: code, Description: code}
	if parent != 0 {
		it.ParentID = i64(parent)
	}
	return it
}

// shape is the hierarchy part of a row, for compact table tests.
type shape struct {
	ID, Top int64
	Depth   int32
}

func shapes(rows []schemas.ItemRow) []shape {
	out := make([]shape, len(rows))
	for i, r := range rows {
		out[i] = shape{ID: r.ItemID, Top: r.TopLevelItemID, Depth: r.Depth}
	}
	return out
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}
