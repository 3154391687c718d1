package extract

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"time"

	"github.com/invoicelake/invoicelake/schemas"
)

// The rest of the billing data: the account's snapshot (balance, next
// invoice), its billing items with the orders behind them, and invoice
// documents. Their properties are declared once, below, like invoices'.

type account = schemas.Account

// invoiceRefFields are the properties of an invoice a snapshot names, as
// fields of the Account under get.
func invoiceRefFields(get func(*account) *schemas.InvoiceRef) []field[account] {
	return []field[account]{
		intF("id", func(a *account) *int64 { return &get(a).ID }),
		strF("typeCode", func(a *account) *string { return &get(a).TypeCode }),
		strF("statusCode", func(a *account) *string { return &get(a).StatusCode }),
		timeF("createDate", func(a *account) **time.Time { return &get(a).CreateDate }),
		decF("startingBalance", func(a *account) **schemas.Decimal { return &get(a).StartingBalance }),
		decF("invoiceTotalAmount", func(a *account) **schemas.Decimal { return &get(a).InvoiceTotalAmount }),
	}
}

// accountFields are the properties of SoftLayer_Account a snapshot holds:
// one getObject call.
var accountFields = newFieldList(
	intF("id", func(a *account) *int64 { return &a.ID }),
	decF("balance", func(a *account) **schemas.Decimal { return &a.Balance }),
	decF("nextInvoiceTotalAmount", func(a *account) **schemas.Decimal { return &a.NextInvoiceTotalAmount }),
	decF("nextInvoiceTotalRecurringAmount", func(a *account) **schemas.Decimal { return &a.NextInvoiceTotalRecurringAmount }),
	decF("nextInvoiceTotalRecurringTaxAmount", func(a *account) **schemas.Decimal { return &a.NextInvoiceTotalRecurringTaxAmount }),
	decF("nextInvoiceTotalTaxableRecurringAmount", func(a *account) **schemas.Decimal { return &a.NextInvoiceTotalTaxableRecurringAmount }),
	decF("nextInvoiceTotalOneTimeAmount", func(a *account) **schemas.Decimal { return &a.NextInvoiceTotalOneTimeAmount }),
	decF("nextInvoiceTotalOneTimeTaxAmount", func(a *account) **schemas.Decimal { return &a.NextInvoiceTotalOneTimeTaxAmount }),
	intPtrF("nextInvoiceTopLevelBillingItemCount", func(a *account) **int64 { return &a.NextInvoiceTopLevelBillingItemCount }),
	objectF("pendingInvoice", invoiceRefFields(func(a *account) *schemas.InvoiceRef { return &a.PendingInvoice })...),
	objectF("latestRecurringInvoice", invoiceRefFields(func(a *account) *schemas.InvoiceRef { return &a.LatestRecurringInvoice })...),
)

type billingItem = schemas.BillingItem

// billingItemProps are the properties of a SoftLayer_Billing_Item that
// schemas.BillingItem holds, its children aside.
func billingItemProps() []field[billingItem] {
	return []field[billingItem]{
		intF("id", func(b *billingItem) *int64 { return &b.ID }),
		intPtrF("parentId", func(b *billingItem) **int64 { return &b.ParentID }),
		intPtrF("associatedBillingItemId", func(b *billingItem) **int64 { return &b.AssociatedBillingItemID }),
		strF("categoryCode", func(b *billingItem) *string { return &b.CategoryCode }).interned(),
		namedF("category", func(b *billingItem) **string { return &b.CategoryName }).
			withCode(func(b *billingItem) *string { return &b.CategoryCode }),
		strF("description", func(b *billingItem) *string { return &b.Description }),
		strPtrF("hostName", func(b *billingItem) **string { return &b.HostName }),
		strPtrF("domainName", func(b *billingItem) **string { return &b.DomainName }),
		namedF("location", func(b *billingItem) **string { return &b.Location }),
		intPtrF("resourceTableId", func(b *billingItem) **int64 { return &b.ResourceTableID }),
		boolF("hourlyFlag", func(b *billingItem) **bool { return &b.HourlyFlag }),
		timeF("createDate", func(b *billingItem) **time.Time { return &b.CreateDate }),
		timeF("cycleStartDate", func(b *billingItem) **time.Time { return &b.CycleStartDate }),
		timeF("lastBillDate", func(b *billingItem) **time.Time { return &b.LastBillDate }),
		timeF("nextBillDate", func(b *billingItem) **time.Time { return &b.NextBillDate }),
		timeF("cancellationDate", func(b *billingItem) **time.Time { return &b.CancellationDate }),
		decF("recurringFee", func(b *billingItem) **schemas.Decimal { return &b.RecurringFee }),
		decF("hourlyRecurringFee", func(b *billingItem) **schemas.Decimal { return &b.HourlyRecurringFee }),
		decF("oneTimeFee", func(b *billingItem) **schemas.Decimal { return &b.OneTimeFee }),
		decF("setupFee", func(b *billingItem) **schemas.Decimal { return &b.SetupFee }),
		decF("laborFee", func(b *billingItem) **schemas.Decimal { return &b.LaborFee }),
		decF("hoursUsed", func(b *billingItem) **schemas.Decimal { return &b.HoursUsed }),
		decF("currentHourlyCharge", func(b *billingItem) **schemas.Decimal { return &b.CurrentHourlyCharge }),
		decFloatF("nextInvoiceTotalRecurringAmount", func(b *billingItem) **schemas.Decimal { return &b.NextInvoiceTotalRecurringAmount }),
		decFloatF("nextInvoiceTotalRecurringTaxAmount", func(b *billingItem) **schemas.Decimal { return &b.NextInvoiceTotalRecurringTaxAmount }),
		decFloatF("nextInvoiceTotalOneTimeAmount", func(b *billingItem) **schemas.Decimal { return &b.NextInvoiceTotalOneTimeAmount }),
		decFloatF("nextInvoiceTotalOneTimeTaxAmount", func(b *billingItem) **schemas.Decimal { return &b.NextInvoiceTotalOneTimeTaxAmount }),
		intPtrF("orderItemId", func(b *billingItem) **int64 { return &b.OrderItemID }),
		objectF("orderItem",
			objectF("order",
				intPtrF("id", func(b *billingItem) **int64 { return &b.OrderID }),
				timeF("createDate", func(b *billingItem) **time.Time { return &b.OrderCreateDate }),
				intPtrF("userRecordId", func(b *billingItem) **int64 { return &b.OrderUserID }),
				objectF("userRecord",
					strPtrF("username", func(b *billingItem) **string { return &b.OrderUsername }),
					strPtrF("displayName", func(b *billingItem) **string { return &b.OrderUserFullName })))),
	}
}

// billingItemChildFields are a child's properties; billingItemFields a
// top-level item's, with its children.
var (
	billingItemChildFields = newFieldList(billingItemProps()...)
	billingItemFields      = newFieldList(append(billingItemProps(),
		listF("children", billingItemChildFields, func(b *billingItem) *[]schemas.BillingItem { return &b.Children }))...)
)

// AccountMask and BillingItemMask name exactly what schemas.Account and
// schemas.BillingItem hold.
var (
	AccountMask     = accountFields.mask()
	BillingItemMask = billingItemFields.mask()
)

// Account returns the account's snapshot: one SoftLayer_Account::getObject
// call. The API's answer must be one object with an id.
func (c *Client) Account(ctx context.Context) (schemas.Account, error) {
	var a schemas.Account
	req := request{service: "SoftLayer_Account", method: "getObject", mask: AccountMask}
	err := c.call(ctx, req, func(body []byte, _ int) error {
		l := lexer{data: body}
		if l.peek() != '{' {
			return &DecodeError{Field: "account", Value: snippet(body), Err: errors.New("not an object")}
		}
		var fe fieldErr
		a = schemas.Account{}
		if _, err := decodeObject(&l, accountFields, &a, valueStore{}, &fe); err != nil {
			return err
		}
		if l.peek() != 0 {
			return l.errorf("trailing data after the document")
		}
		if fe.err != nil {
			return &DecodeError{Field: fe.field, Value: fe.value, Err: fe.err}
		}
		if a.ID == 0 {
			return &DecodeError{Field: "id", Err: errors.New("account without an id")}
		}
		return nil
	})
	if err != nil {
		return schemas.Account{}, err // call names the method
	}
	return a, nil
}

// billingItemsFilter sorts a billing item listing by id under root;
// active adds slcli's filter on a null cancellationDate.
func billingItemsFilter(root string, active bool) string {
	f := map[string]any{"id": orderByIDAsc}
	if active {
		f["cancellationDate"] = filterOp{Operation: "is null"}
	}
	b, err := json.Marshal(map[string]any{root: f})
	if err != nil {
		panic(err) // static shapes
	}
	return string(b)
}

// NextInvoiceItems yields SoftLayer_Account::getNextInvoiceTopLevelBillingItems,
// the forecast of the next invoice: the top-level billing items it will
// bill, with their children, sorted by id, each once. The first error ends
// the sequence (a listing is complete or an error, as Invoices).
func (c *Client) NextInvoiceItems(ctx context.Context) iter.Seq2[schemas.BillingItem, error] {
	return c.billingItems(ctx, "getNextInvoiceTopLevelBillingItems", billingItemsFilter("nextInvoiceTopLevelBillingItems", false))
}

// BillingItems yields the account's live top-level billing items with
// their children, as slcli's account billing-items lists them
// (getAllTopLevelBillingItems with a null cancellationDate), sorted by id.
func (c *Client) BillingItems(ctx context.Context) iter.Seq2[schemas.BillingItem, error] {
	return c.billingItems(ctx, "getAllTopLevelBillingItems", billingItemsFilter("allTopLevelBillingItems", true))
}

func (c *Client) billingItems(ctx context.Context, method, filter string) iter.Seq2[schemas.BillingItem, error] {
	return func(yield func(schemas.BillingItem, error) bool) {
		req := request{service: "SoftLayer_Account", method: method, mask: BillingItemMask, filter: filter}
		ls := newLister(c, req, c.cfg.InvoicePageSize, decodeBillingItems, func(b *schemas.BillingItem) int64 { return b.ID })
		stopped := false
		err := ls.each(ctx, func(b schemas.BillingItem) bool {
			if !yield(b, nil) {
				stopped = true
				return false
			}
			return true
		})
		if err != nil && !stopped {
			yield(schemas.BillingItem{}, err) // the pager names the method
		}
	}
}

// decodeBillingItems appends the billing items in body to dst.
func decodeBillingItems(body []byte, dst []schemas.BillingItem) ([]schemas.BillingItem, error) {
	l := lexer{data: body}
	err := l.list(func() error {
		dst = append(dst, schemas.BillingItem{})
		b := &dst[len(dst)-1]
		var fe fieldErr
		if _, err := decodeObject(&l, billingItemFields, b, valueStore{}, &fe); err != nil {
			dst = dst[:len(dst)-1]
			return err
		}
		if fe.err == nil && b.ID == 0 {
			fe.set("id", nil, errors.New("billing item without an id"))
		}
		for i := range b.Children {
			if fe.err == nil && b.Children[i].ID == 0 {
				fe.set("children.id", nil, errors.New("billing item without an id"))
			}
		}
		if fe.err != nil {
			dst = dst[:len(dst)-1]
			return &DecodeError{Item: b.ID, Field: fe.field, Value: fe.value, Err: fe.err}
		}
		return nil
	})
	return dst, err
}
