package transform

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/invoicelake/invoicelake/schemas"
)

// PIIPolicy decides what reaches the invoice contact columns (company,
// names, address, email, phones).
type PIIPolicy string

// The PII policies. Under every policy an empty value is NULL.
const (
	PIIDrop PIIPolicy = "drop" // every contact column NULL (the default)
	PIIHash PIIPolicy = "hash" // lowercase hex HMAC-SHA256(key, value)
	PIIKeep PIIPolicy = "keep" // the value as the API sent it
)

// ReconcilePolicy decides what happens to an invoice whose items do not add
// up to its totals or itemCount.
type ReconcilePolicy string

// The reconciliation policies.
const (
	ReconcileMark ReconcilePolicy = "mark" // publish it with reconciled=false and the issues (the default)
	ReconcileFail ReconcilePolicy = "fail" // Invoice returns a *ReconcileError
)

// MinPIIKeyLen is the shortest HMAC key PIIHash accepts. Use 32 random bytes.
const MinPIIKeyLen = 16

// ContactColumns are the invoice contact columns the PII policy governs,
// in table order, then the billing items' columns naming who ordered an
// item.
var ContactColumns = []string{"company_name", "first_name", "last_name", "address1", "address2", "city",
	"state", "postal_code", "country", "email", "office_phone", "fax_phone", "ordered_by_username", "ordered_by_name"}

// DefaultPIIColumns are the per-column policies that apply unless
// Options.PIIColumns says otherwise: the country and the state (a
// two-letter code, "other" outside provinces) are kept, which is what
// cost reports by region need and identifies no one; every other contact
// column follows Options.PII.
func DefaultPIIColumns() map[string]PIIPolicy {
	return map[string]PIIPolicy{"country": PIIKeep, "state": PIIKeep}
}

// Options configure a Transformer. The zero value keeps the country and
// the state, drops the other contact columns, marks unreconciled invoices
// and maps no category (every code unknown).
type Options struct {
	Categories       *CategoryMap // top-level categoryCode -> service; read-only once passed
	StrictCategories bool         // an unknown top-level code is an error, not a NULL service
	PII              PIIPolicy    // the policy of the contact columns PIIColumns does not name; "" means PIIDrop
	// PIIColumns overrides PII per contact column (ContactColumns), on top
	// of DefaultPIIColumns: {"country": "drop"} drops the country too.
	PIIColumns map[string]PIIPolicy
	PIIKey     []byte // the HMAC key for PIIHash (at least MinPIIKeyLen bytes); never printed
	Reconcile  ReconcilePolicy
}

// String describes o without the PII key.
func (o Options) String() string {
	key := "unset"
	if len(o.PIIKey) > 0 {
		key = "redacted"
	}
	return fmt.Sprintf("{categories:%d strict:%t pii:%s pii_columns:%v pii_key:%s reconcile:%s}",
		o.Categories.Len(), o.StrictCategories, o.PII, o.PIIColumns, key, o.Reconcile)
}

// Transformer turns invoices and their items into rows. It holds only its
// options, never changes and is safe for concurrent use: what an invoice
// yields (its row, unknown codes, unmapped rows) comes back with its
// Stream, for the caller to count.
type Transformer struct {
	cats      *CategoryMap
	strict    bool
	pii       [14]PIIPolicy // per ContactColumns entry
	key       []byte
	reconcile ReconcilePolicy
}

// New returns a Transformer, or an error naming an invalid option.
func New(opts Options) (*Transformer, error) {
	t := &Transformer{
		cats:      opts.Categories,
		strict:    opts.StrictCategories,
		reconcile: opts.Reconcile,
	}
	def := opts.PII
	if def == "" {
		def = PIIDrop
	}
	cols := DefaultPIIColumns()
	for c, p := range opts.PIIColumns {
		if !slices.Contains(ContactColumns, c) {
			return nil, fmt.Errorf("transform: pii column %q: want one of %s", c, strings.Join(ContactColumns, ", "))
		}
		cols[c] = p
	}
	hash := false
	for i, c := range ContactColumns {
		p, ok := cols[c]
		if !ok {
			p = def
		}
		switch p {
		case PIIDrop, PIIKeep:
		case PIIHash:
			hash = true
		default:
			if ok {
				return nil, fmt.Errorf("transform: pii policy %q of column %s: want drop, hash or keep", string(p), c)
			}
			return nil, fmt.Errorf("transform: pii policy %q: want drop, hash or keep", string(opts.PII))
		}
		t.pii[i] = p
	}
	if hash {
		if len(opts.PIIKey) < MinPIIKeyLen {
			return nil, fmt.Errorf("transform: pii policy hash: key is %d bytes, want at least %d", len(opts.PIIKey), MinPIIKeyLen)
		}
		t.key = append([]byte(nil), opts.PIIKey...)
	}
	switch t.reconcile {
	case "":
		t.reconcile = ReconcileMark
	case ReconcileMark, ReconcileFail:
	default:
		return nil, fmt.Errorf("transform: reconcile policy %q: want mark or fail", string(opts.Reconcile))
	}
	if t.cats == nil {
		t.cats = &CategoryMap{}
	}
	return t, nil
}

// Stream is one invoice turned into rows one at a time: its invoices row
// is known, and Row makes its invoice_items rows from a second pass over
// the items. It is not safe for concurrent use.
type Stream struct {
	Period  schemas.Period     // the partition: PeriodOf(invoice createDate), in the API's offset
	Invoice schemas.InvoiceRow // the invoices row; Invoice.ItemRows rows follow
	// UnknownCodes are the invoice's top-level category codes missing from
	// the category map, in input order, with their number of top-level
	// items; their rows have resource_service NULL (under
	// StrictCategories, Stream fails instead).
	UnknownCodes []CodeCount
	// UnmappedRows counts the item rows whose resource_service is NULL
	// (an unknown code, or one the map says has no service).
	UnmappedRows int64

	x       *Index
	next    int32
	lastTop int32
	lastRes *int64 // the resource id of lastTop, owned by the Stream
}

// CodeCount is a category code and a number of items.
type CodeCount struct {
	Code  string
	Items int64
}

// Stream checks inv and x, its Index (the hierarchy, the categories, the
// totals), and returns the invoice's row. The item rows then come from
// Stream.Row, one per item given again in the order of x.Add. x must not
// be used otherwise afterwards.
//
// Errors: a *HierarchyError (an orphan, a cycle, a duplicate id, an item
// of another invoice), an *UnknownCategoryError under StrictCategories, a
// *ReconcileError under ReconcileFail, or an error wrapping
// schemas.ErrDecimalRange when a total does not fit DECIMAL(18,8). All are
// permanent (IsPermanent): the same items give the same error.
func (t *Transformer) Stream(inv schemas.Invoice, x *Index) (*Stream, error) {
	if inv.CreateDate.IsZero() {
		return nil, fmt.Errorf("transform: invoice %d: createDate missing: %w", inv.ID, errInvalid)
	}
	if x.invoiceID != inv.ID {
		return nil, fmt.Errorf("transform: invoice %d: stream with the index of invoice %d", inv.ID, x.invoiceID)
	}
	if x.resolved {
		return nil, fmt.Errorf("transform: invoice %d: index already streamed", inv.ID)
	}
	if x.ext != nil {
		x.flush()
	}
	if x.err != nil {
		return nil, fmt.Errorf("transform: invoice %d: %w", inv.ID, x.err)
	}
	cat, err := t.categorize(x)
	if err != nil {
		return nil, fmt.Errorf("transform: invoice %d: %w", inv.ID, err)
	}
	x.inv = invoiceInfo{typeCode: inv.TypeCode, closed: utcPtr(inv.ClosedDate)}
	if err := x.resolve(nil); err != nil {
		return nil, err
	}
	if cat.strict != nil {
		return nil, cat.strict
	}
	row, err := t.invoiceRow(&inv, x)
	if err != nil {
		return nil, err
	}
	if !row.Reconciled && t.reconcile == ReconcileFail {
		return nil, &ReconcileError{InvoiceID: inv.ID, Issues: strings.Split(*row.ReconcileIssues, "; ")}
	}
	var unmapped int64
	if x.ext != nil {
		var c cursor
		c.init(x.ext, x.sizes.block)
		for i := range x.ext.n {
			_, _, top, err := c.at(int32(i))
			if err != nil {
				return nil, fmt.Errorf("transform: invoice %d: %w", inv.ID, err)
			}
			if x.svc(top.code) == nil {
				unmapped++
			}
		}
		x.ext.cur.init(x.ext, x.sizes.block)
	}
	for i := range x.nodes {
		if x.svc(x.nodes[x.nodes[i].top].code) == nil {
			unmapped++
		}
	}
	return &Stream{Period: schemas.PeriodOf(inv.CreateDate), Invoice: row, UnknownCodes: cat.unknown,
		UnmappedRows: unmapped, x: x, lastTop: -1}, nil
}

// Row fills dst with the row of it, the next item in the order of
// Index.Add. The row's pointer fields point into it or into the Stream:
// it is valid while it is and until the next Row. The Stream keeps
// nothing of it.
func (s *Stream) Row(dst *schemas.ItemRow, it *schemas.InvoiceItem) error {
	x := s.x
	k := s.next
	if int(k) >= x.size() {
		return fmt.Errorf("transform: invoice %d: item %d: more items than the %d indexed", x.invoiceID, it.ID, x.size())
	}
	var nd, top *node
	if x.ext != nil {
		n, _, t, err := x.ext.cur.at(k)
		if err != nil {
			return fmt.Errorf("transform: invoice %d: %w", x.invoiceID, err)
		}
		nd, top = &n, &t
	} else {
		nd = &x.nodes[k]
		top = &x.nodes[nd.top]
	}
	if nd.id != it.ID {
		return fmt.Errorf("transform: invoice %d: row %d: got item %d, want item %d (items must come in the order they were indexed)",
			x.invoiceID, k, it.ID, nd.id)
	}
	// The resource id comes from the Index (a value), never from an item:
	// a top-level item may be thousands of rows before its children.
	if nd.top != s.lastTop {
		s.lastTop, s.lastRes = nd.top, topRes(top)
	}
	if err := x.row(dst, it, nd, top, s.lastRes, nil); err != nil {
		return err
	}
	s.next++
	return nil
}

// Rows returns the number of item rows: Invoice.ItemRows.
func (s *Stream) Rows() int { return s.x.size() }

// categorized is what categorize found in an Index.
type categorized struct {
	unknown []CodeCount // distinct unknown top-level codes of the invoice
	strict  error       // under StrictCategories, the first unknown top-level item's error
}

// categorize sets the service of each top-level item of x and collects the
// unknown codes, in input order.
func (t *Transformer) categorize(x *Index) (categorized, error) {
	var c categorized
	x.cats = make([]codeCat, len(x.codes))
	for k, code := range x.codes {
		x.cats[k].svc, x.cats[k].known = t.cats.lookup(code)
		x.cats[k].name, _ = t.cats.name(code)
	}
	err := x.each(func(nd *node) {
		if nd.flags&hasParent != 0 || x.cats[nd.code].known {
			return
		}
		code := x.codes[nd.code]
		if t.strict {
			if c.strict == nil {
				c.strict = &UnknownCategoryError{InvoiceID: x.invoiceID, ItemID: nd.id, Code: code}
			}
			return
		}
		k := slices.IndexFunc(c.unknown, func(cc CodeCount) bool { return cc.Code == code })
		if k < 0 {
			c.unknown = append(c.unknown, CodeCount{Code: code})
			k = len(c.unknown) - 1
		}
		c.unknown[k].Items++
	})
	return c, err
}

// invoiceRow builds inv's row: UTC times, totals, reconciliation, contact.
func (t *Transformer) invoiceRow(inv *schemas.Invoice, x *Index) (schemas.InvoiceRow, error) {
	row := schemas.InvoiceRow{
		InvoiceID:                      inv.ID,
		AccountID:                      inv.AccountID,
		TypeCode:                       inv.TypeCode,
		StatusCode:                     inv.StatusCode,
		CreateDate:                     inv.CreateDate.UTC(),
		ModifyDate:                     utcPtr(inv.ModifyDate),
		ClosedDate:                     utcPtr(inv.ClosedDate),
		StartingBalance:                inv.StartingBalance,
		EndingBalance:                  inv.EndingBalance,
		InvoiceTotalAmount:             inv.InvoiceTotalAmount,
		InvoiceTotalPreTaxAmount:       inv.InvoiceTotalPreTaxAmount,
		InvoiceTotalRecurringAmount:    inv.InvoiceTotalRecurringAmount,
		InvoiceTotalRecurringTaxAmount: inv.InvoiceTotalRecurringTaxAmount,
		InvoiceTotalOneTimeAmount:      inv.InvoiceTotalOneTimeAmount,
		InvoiceTotalOneTimeTaxAmount:   inv.InvoiceTotalOneTimeTaxAmount,
		ItemCount:                      inv.ItemCount,
		ItemRows:                       int64(x.size()),
	}
	issues, total := reconcile(inv, &x.sums, int64(x.size()))
	d, err := total.Decimal()
	if err != nil {
		return row, fmt.Errorf("transform: invoice %d: items_total_amount: %w", inv.ID, err)
	}
	row.ItemsTotalAmount = d
	row.Reconciled = issues == ""
	if !row.Reconciled {
		row.ReconcileIssues = &issues
	}
	t.contact(&row, &inv.Contact)
	properties(&row, inv)
	return row, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// reconcile checks the sums of an invoice's n item rows against inv's
// totals and itemCount. It returns the issues ("" when none) and the sum of
// the rows' total_amount. A breakdown the API did not send (nil) is not
// checked.
func reconcile(inv *schemas.Invoice, s *itemSums, n int64) (string, schemas.Sum) {
	total, recurring, recurringTax, oneTime, oneTimeTax := s.total, s.recurring, s.recurringTax, s.oneTime, s.oneTimeTax
	preTax := recurring
	preTax.AddSum(&oneTime)

	var b []byte
	check := func(name string, items schemas.Sum, invoice *schemas.Decimal) {
		if invoice == nil || items.Equal(*invoice) {
			return
		}
		if len(b) > 0 {
			b = append(b, "; "...)
		}
		b = append(b, name...)
		b = append(b, ": items "...)
		b = append(b, items.StringFixed(2)...)
		b = append(b, " != invoice "...)
		b = append(b, invoice.StringFixed(2)...)
	}
	check("invoice_total_amount", total, inv.InvoiceTotalAmount)
	check("invoice_total_pre_tax_amount", preTax, inv.InvoiceTotalPreTaxAmount)
	check("invoice_total_recurring_amount", recurring, inv.InvoiceTotalRecurringAmount)
	check("invoice_total_recurring_tax_amount", recurringTax, inv.InvoiceTotalRecurringTaxAmount)
	check("invoice_total_one_time_amount", oneTime, inv.InvoiceTotalOneTimeAmount)
	check("invoice_total_one_time_tax_amount", oneTimeTax, inv.InvoiceTotalOneTimeTaxAmount)
	if inv.ItemCount != nil && *inv.ItemCount != n {
		if len(b) > 0 {
			b = append(b, "; "...)
		}
		b = append(b, "item_count: rows "...)
		b = strconv.AppendInt(b, n, 10)
		b = append(b, " != invoice "...)
		b = strconv.AppendInt(b, *inv.ItemCount, 10)
	}
	return string(b), total
}

func addPtr(s *schemas.Sum, d *schemas.Decimal) {
	if d != nil {
		s.Add(*d)
	}
}

// piiValue is v under the policy of ContactColumns[i]: nil, a new string
// holding v or its HMAC. mac is created on first use.
func (t *Transformer) piiValue(i int, v string, mac *hash.Hash) *string {
	if t.pii[i] == PIIDrop || v == "" {
		return nil
	}
	if t.pii[i] == PIIHash {
		if *mac == nil {
			*mac = hmac.New(sha256.New, t.key)
		}
		var sum [sha256.Size]byte
		(*mac).Reset()
		(*mac).Write([]byte(v))
		v = hex.EncodeToString((*mac).Sum(sum[:0]))
	}
	p := new(string)
	*p = v
	return p
}

// contact fills row's contact columns, each under its PII policy.
func (t *Transformer) contact(row *schemas.InvoiceRow, c *schemas.Contact) {
	var mac hash.Hash
	val := func(i int, v string) *string { return t.piiValue(i, v, &mac) }
	// in ContactColumns order
	row.CompanyName = val(0, c.CompanyName)
	row.FirstName = val(1, c.FirstName)
	row.LastName = val(2, c.LastName)
	row.Address1 = val(3, c.Address1)
	row.Address2 = val(4, c.Address2)
	row.City = val(5, c.City)
	row.State = val(6, c.State)
	row.PostalCode = val(7, c.PostalCode)
	row.Country = val(8, c.Country)
	row.Email = val(9, c.Email)
	row.OfficePhone = val(10, c.OfficePhone)
	row.FaxPhone = val(11, c.FaxPhone)
}

// properties fills the columns of the datatype's remaining properties.
func properties(row *schemas.InvoiceRow, inv *schemas.Invoice) {
	row.ClaimedTaxExempt = inv.ClaimedTaxExemptTxFlag
	row.DocumentsGenerated = inv.DocumentsGeneratedFlag
	row.DetailedPDFGenerated = inv.DetailedPdfGeneratedFlag
	row.PurchaseOrderNumber = inv.PurchaseOrderNumber
	row.TaxStatusID = inv.TaxStatusID
	row.TaxTypeID = inv.TaxTypeID
	row.Amount = inv.Amount
	row.PaymentAmount = inv.Payment
	row.PaymentCount = inv.PaymentCount
	row.SellerRegistration = inv.SellerRegistration
	row.TaxMessage = inv.TaxMessage
	row.TaxType = inv.TaxType
	row.ExchangeRate = inv.ExchangeRate
	row.LocalCurrency = inv.LocalCurrency
	row.TaxInLocalCurrency = inv.TaxInfoTaxAmount
	row.TaxReported = inv.TaxInfoReported
}

// PaymentRows returns the invoice_payments rows of inv: its payments in a
// stable order (create_date, amount, type_code; the API gives payments no
// id), numbered from 0. Times are UTC; the rows share nothing with inv.
func PaymentRows(inv *schemas.Invoice) []schemas.PaymentRow {
	if len(inv.Payments) == 0 {
		return nil
	}
	ps := slices.Clone(inv.Payments)
	slices.SortStableFunc(ps, func(a, b schemas.Payment) int {
		if c := cmpTime(a.CreateDate, b.CreateDate); c != 0 {
			return c
		}
		if c := cmpDec(a.Amount, b.Amount); c != 0 {
			return c
		}
		return strings.Compare(a.TypeCode, b.TypeCode)
	})
	out := make([]schemas.PaymentRow, len(ps))
	for i, p := range ps {
		out[i] = schemas.PaymentRow{InvoiceID: inv.ID, PaymentIndex: int64(i), AccountID: inv.AccountID,
			TypeCode: strings.Clone(p.TypeCode), CreateDate: utcPtr(p.CreateDate)}
		if p.Amount != nil {
			a := *p.Amount
			out[i].Amount = &a
		}
	}
	return out
}

// cmpTime orders nil first.
func cmpTime(a, b *time.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return a.Compare(*b)
}

// cmpDec orders nil first.
func cmpDec(a, b *schemas.Decimal) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return cmp.Compare(a.Units(), b.Units())
}
