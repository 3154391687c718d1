package transform

import (
	"cmp"
	"fmt"
	"hash"
	"slices"
	"strings"
	"time"

	"github.com/invoicelake/invoicelake/schemas"
)

// Snapshot names the snapshot rows belong to: its id (the run's), the
// instant it describes and the account.
type Snapshot struct {
	ID        string
	Time      time.Time
	AccountID int64
}

// AccountSnapshotRow returns the account_snapshots row of a, with the
// number of rows the snapshot writes to next_invoice_items and
// billing_items. Times are UTC; the row shares nothing with a.
func AccountSnapshotRow(s Snapshot, a *schemas.Account, nextRows, billingRows int64) schemas.AccountSnapshotRow {
	r := schemas.AccountSnapshotRow{
		SnapshotID: strings.Clone(s.ID), SnapshotTime: s.Time.UTC().Truncate(time.Microsecond), AccountID: a.ID,
		Balance:                                copyDec(a.Balance),
		NextInvoiceTotalAmount:                 copyDec(a.NextInvoiceTotalAmount),
		NextInvoiceTotalRecurringAmount:        copyDec(a.NextInvoiceTotalRecurringAmount),
		NextInvoiceTotalRecurringTaxAmount:     copyDec(a.NextInvoiceTotalRecurringTaxAmount),
		NextInvoiceTotalTaxableRecurringAmount: copyDec(a.NextInvoiceTotalTaxableRecurringAmount),
		NextInvoiceTotalOneTimeAmount:          copyDec(a.NextInvoiceTotalOneTimeAmount),
		NextInvoiceTotalOneTimeTaxAmount:       copyDec(a.NextInvoiceTotalOneTimeTaxAmount),
		NextInvoiceItemRows:                    nextRows,
		BillingItemRows:                        billingRows,
	}
	if v := a.NextInvoiceTopLevelBillingItemCount; v != nil {
		n := *v
		r.NextInvoiceTopLevelItemCount = &n
	}
	if p := a.PendingInvoice; p.ID != 0 {
		id := p.ID
		r.PendingInvoiceID = &id
		r.PendingInvoiceTypeCode = optString(p.TypeCode)
		r.PendingInvoiceCreateDate = utcPtr(p.CreateDate)
		r.PendingInvoiceStartingBalance = copyDec(p.StartingBalance)
		r.PendingInvoiceTotalAmount = copyDec(p.InvoiceTotalAmount)
	}
	if p := a.LatestRecurringInvoice; p.ID != 0 {
		id := p.ID
		r.LatestRecurringInvoiceID = &id
		r.LatestRecurringInvoiceStatusCode = optString(p.StatusCode)
		r.LatestRecurringInvoiceCreateDate = utcPtr(p.CreateDate)
		r.LatestRecurringInvoiceTotalAmount = copyDec(p.InvoiceTotalAmount)
	}
	return r
}

func copyDec(d *schemas.Decimal) *schemas.Decimal {
	if d == nil {
		return nil
	}
	v := *d
	return &v
}

func copyInt(v *int64) *int64 {
	if v == nil {
		return nil
	}
	n := *v
	return &n
}

func copyStr(v *string) *string {
	if v == nil {
		return nil
	}
	s := strings.Clone(*v)
	return &s
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	s = strings.Clone(s)
	return &s
}

// BillingItems is what BillingItemRows made of one top-level billing
// item.
type BillingItems struct {
	Rows []schemas.BillingItemRow // the item, then its children, sorted by id
	// UnknownCode is the item's category code when the category map lacks
	// it ("" otherwise): its rows have no resource service nor name.
	UnknownCode string
}

// BillingItemRows returns the rows of b, a top-level billing item, and of
// its children for snapshot s: resource_service, service_name and
// resource_id come from b (its categoryCode through the category map, its
// resourceTableId), as invoice_items rows take them from their top-level
// item; who ordered it follows the PII policy of the ordered_by columns.
// The rows are sorted by billing_item_id and share nothing with b. A child
// that names another parent, or an id twice, is an error: the API's
// answer contradicts itself. Under StrictCategories an unknown code is an
// *UnknownCategoryError.
func (t *Transformer) BillingItemRows(s Snapshot, b *schemas.BillingItem) (BillingItems, error) {
	var out BillingItems
	svc, known := t.cats.lookup(b.CategoryCode)
	name, _ := t.cats.name(b.CategoryCode)
	if !known {
		if t.strict {
			return out, &UnknownCategoryError{ItemID: b.ID, Code: b.CategoryCode}
		}
		out.UnknownCode = b.CategoryCode
	}
	var mac hash.Hash
	row := func(it *schemas.BillingItem, depth int32) schemas.BillingItemRow {
		return schemas.BillingItemRow{
			SnapshotID: strings.Clone(s.ID), SnapshotTime: s.Time.UTC().Truncate(time.Microsecond), AccountID: s.AccountID,
			BillingItemID: it.ID, ParentID: copyInt(it.ParentID), TopLevelBillingItemID: b.ID, Depth: depth,
			AssociatedBillingItemID: copyInt(it.AssociatedBillingItemID),
			CategoryCode:            strings.Clone(it.CategoryCode), CategoryName: copyStr(it.CategoryName),
			ResourceService: copyStr(svc), ServiceName: copyStr(name), ResourceID: copyInt(b.ResourceTableID),
			Description: strings.Clone(it.Description), HostName: copyStr(it.HostName), DomainName: copyStr(it.DomainName),
			Location: copyStr(it.Location), HourlyFlag: copyBool(it.HourlyFlag),
			CreateDate: utcPtr(it.CreateDate), CycleStartDate: utcPtr(it.CycleStartDate), LastBillDate: utcPtr(it.LastBillDate),
			NextBillDate: utcPtr(it.NextBillDate), CancellationDate: utcPtr(it.CancellationDate),
			RecurringFee: copyDec(it.RecurringFee), HourlyRecurringFee: copyDec(it.HourlyRecurringFee), OneTimeFee: copyDec(it.OneTimeFee),
			SetupFee: copyDec(it.SetupFee), LaborFee: copyDec(it.LaborFee), HoursUsed: copyDec(it.HoursUsed),
			CurrentHourlyCharge:                copyDec(it.CurrentHourlyCharge),
			NextInvoiceTotalRecurringAmount:    copyDec(it.NextInvoiceTotalRecurringAmount),
			NextInvoiceTotalRecurringTaxAmount: copyDec(it.NextInvoiceTotalRecurringTaxAmount),
			NextInvoiceTotalOneTimeAmount:      copyDec(it.NextInvoiceTotalOneTimeAmount),
			NextInvoiceTotalOneTimeTaxAmount:   copyDec(it.NextInvoiceTotalOneTimeTaxAmount),
			OrderItemID:                        copyInt(it.OrderItemID), OrderID: copyInt(it.OrderID), OrderCreateDate: utcPtr(it.OrderCreateDate),
			OrderedByUserID:   copyInt(it.OrderUserID),
			OrderedByUsername: t.piiValue(12, deref(it.OrderUsername), &mac),
			OrderedByName:     t.piiValue(13, deref(it.OrderUserFullName), &mac),
		}
	}
	out.Rows = make([]schemas.BillingItemRow, 0, 1+len(b.Children))
	out.Rows = append(out.Rows, row(b, 0))
	for i := range b.Children {
		ch := &b.Children[i]
		if ch.ParentID != nil && *ch.ParentID != b.ID {
			return BillingItems{}, fmt.Errorf("transform: billing item %d: child %d names parent %d: %w", b.ID, ch.ID, *ch.ParentID, errInvalid)
		}
		out.Rows = append(out.Rows, row(ch, 1))
		if out.Rows[len(out.Rows)-1].ParentID == nil {
			id := b.ID
			out.Rows[len(out.Rows)-1].ParentID = &id
		}
	}
	slices.SortFunc(out.Rows, func(x, y schemas.BillingItemRow) int { return cmp.Compare(x.BillingItemID, y.BillingItemID) })
	for i := 1; i < len(out.Rows); i++ {
		if out.Rows[i].BillingItemID == out.Rows[i-1].BillingItemID {
			return BillingItems{}, fmt.Errorf("transform: billing item %d: id %d twice: %w", b.ID, out.Rows[i].BillingItemID, errInvalid)
		}
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func copyBool(b *bool) *bool {
	if b == nil {
		return nil
	}
	v := *b
	return &v
}
