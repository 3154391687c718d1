package transform

import (
	"errors"
	"fmt"
	"github.com/invoicelake/invoicelake/schemas"
	"strings"
)

// Sentinels for errors.Is; the typed errors below match them.
var (
	ErrOrphanItem      = errors.New("parent item missing from invoice")
	ErrItemCycle       = errors.New("item hierarchy has a cycle")
	ErrDuplicateItem   = errors.New("duplicate item id")
	ErrForeignItem     = errors.New("item belongs to another invoice")
	ErrUnknownCategory = errors.New("unknown top-level category code")
	ErrUnreconciled    = errors.New("invoice does not reconcile with its items")
)

// HierarchyKind classifies a HierarchyError.
type HierarchyKind int

// The ways an invoice's item hierarchy can be broken.
const (
	Orphan    HierarchyKind = iota + 1 // ParentID names no item of the invoice
	Cycle                              // following ParentID never reaches a top-level item
	Duplicate                          // two items share an id
	Foreign                            // the item's invoiceId is another invoice's
)

func (k HierarchyKind) sentinel() error {
	switch k {
	case Orphan:
		return ErrOrphanItem
	case Cycle:
		return ErrItemCycle
	case Duplicate:
		return ErrDuplicateItem
	case Foreign:
		return ErrForeignItem
	}
	return errors.New("unknown hierarchy error")
}

// HierarchyError reports an invoice whose items cannot be flattened. It
// matches ErrOrphanItem, ErrItemCycle, ErrDuplicateItem or ErrForeignItem
// with errors.Is.
type HierarchyError struct {
	Kind      HierarchyKind
	InvoiceID int64
	ItemID    int64
	// ParentID is the missing parent (Orphan); Other is the other
	// invoice's id (Foreign); Cycle lists the item ids on the cycle in
	// parent order, starting at ItemID, the cycle's first item in input order.
	ParentID int64
	Other    int64
	Cycle    []int64
}

func (e *HierarchyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "transform: invoice %d item %d: %v", e.InvoiceID, e.ItemID, e.Kind.sentinel())
	switch e.Kind {
	case Orphan:
		fmt.Fprintf(&b, " (parent %d)", e.ParentID)
	case Foreign:
		fmt.Fprintf(&b, " (invoice %d)", e.Other)
	case Cycle:
		b.WriteString(" (")
		for i, id := range e.Cycle {
			if i > 0 {
				b.WriteString(" -> ")
			}
			fmt.Fprint(&b, id)
		}
		if len(e.Cycle) > 0 {
			fmt.Fprintf(&b, " -> %d", e.Cycle[0])
		}
		b.WriteString(")")
	}
	return b.String()
}

// Is reports whether target is the sentinel of e's Kind.
func (e *HierarchyError) Is(target error) bool { return target == e.Kind.sentinel() }

// UnknownCategoryError reports a top-level item whose categoryCode is not in
// the category map, under StrictCategories. It matches ErrUnknownCategory.
type UnknownCategoryError struct {
	InvoiceID int64
	ItemID    int64
	Code      string
}

func (e *UnknownCategoryError) Error() string {
	return fmt.Sprintf("transform: invoice %d item %d: %v %q (add it to the category map file, or turn strict_categories off)",
		e.InvoiceID, e.ItemID, ErrUnknownCategory, e.Code)
}

// Is reports whether target is ErrUnknownCategory.
func (e *UnknownCategoryError) Is(target error) bool { return target == ErrUnknownCategory }

// ReconcileError reports an invoice whose items do not add up to its totals
// or itemCount, under ReconcileFail. It matches ErrUnreconciled.
type ReconcileError struct {
	InvoiceID int64
	Issues    []string // "invoice_total_amount: items 12.50 != invoice 12.51"
}

func (e *ReconcileError) Error() string {
	return fmt.Sprintf("transform: invoice %d: %v: %s", e.InvoiceID, ErrUnreconciled, strings.Join(e.Issues, "; "))
}

// Is reports whether target is ErrUnreconciled.
func (e *ReconcileError) Is(target error) bool { return target == ErrUnreconciled }

// errInvalid marks an invoice that cannot be transformed as sent (a
// missing createDate).
var errInvalid = errors.New("invalid invoice")

// IsPermanent reports whether err is an error of this package that the
// same input would give again (every error Stream and Row return about the
// data: a broken hierarchy, an unknown code under strict categories, an
// unreconciled invoice under the fail policy, a total out of DECIMAL(18,8),
// an invalid invoice): a retry cannot fix it.
func IsPermanent(err error) bool {
	var (
		h *HierarchyError
		u *UnknownCategoryError
		r *ReconcileError
	)
	return errors.As(err, &h) || errors.As(err, &u) || errors.As(err, &r) ||
		errors.Is(err, schemas.ErrDecimalRange) || errors.Is(err, errInvalid)
}
