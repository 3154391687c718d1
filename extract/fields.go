package extract

import (
	"strings"
	"time"

	"github.com/invoicelake/invoicelake/schemas"
)

// The properties we request of an invoice and of an item are each declared
// once, in invoiceFields and itemFields: the object masks, the JSON decoder
// and the spill encoding are derived from these lists, and a test checks
// that they cover every field of schemas.Invoice and schemas.InvoiceItem
// exactly once.

// fieldKind says how a property is decoded and where it is stored.
type fieldKind uint8

const (
	kindInt       fieldKind = iota // int64; absent is 0
	kindIntPtr                     // *int64
	kindDecimal                    // *schemas.Decimal, exact
	kindString                     // string; absent is ""
	kindStringPtr                  // *string
	kindNamed                      // *string: "name" of a relational object (category, location)
	kindTime                       // *time.Time, RFC 3339, offset kept
	kindTimeValue                  // time.Time; absent is the zero time
	kindBool                       // *bool: true/false (also 1/0 and their strings)
	kindObject                     // a relational object whose properties (sub) are stored in fields of the same T
	kindList                       // a relational array of objects of another type, decoded by list
)

// field is one API property held by a field of T. Exactly one accessor,
// the one of its kind, is set.
type field[T any] struct {
	name  string // the API property, as in the mask and the JSON
	label string // its name in errors: "category.name" for a named field
	kind  fieldKind
	// slot is the field's position among the fields of its store class
	// (ints, decimals, strings): where a decoder keeps its value.
	slot int

	i  func(*T) *int64
	ip func(*T) **int64
	d  func(*T) **schemas.Decimal
	s  func(*T) *string
	sp func(*T) **string
	t  func(*T) **time.Time
	tv func(*T) *time.Time
	b  func(*T) **bool
	// sub, on a kindObject field, lists the object's properties.
	sub *fieldList[T]
	// list, on a kindList field, decodes the array into v (its elements'
	// property list gives listMask).
	list     func(l *lexer, fe *fieldErr, v *T) error
	listMask string
	// code, on a kindNamed field, receives the object's categoryCode when
	// the item's own categoryCode property is missing or empty.
	code func(*T) *string
	// keys: the spill's Keys pass decodes it (every field but the
	// descriptive strings).
	keys bool
	// intern: values repeat across items (codes, names); decoders may
	// share one string for equal values.
	intern bool
	// float, on a kindDecimal field, marks a float-typed property: a JSON
	// number with more than 8 decimals is rounded (half to even) instead
	// of refused; strings stay exact.
	float bool
}

// maskName is the field's entry in an object mask.
func (f *field[T]) maskName() string {
	switch f.kind {
	case kindNamed:
		return f.name + "[name]"
	case kindObject:
		return f.name + "[" + f.sub.maskBody() + "]"
	case kindList:
		return f.name + "[" + f.listMask + "]"
	}
	return f.name
}

// errName is the field's name in a DecodeError (computed once, by
// newFieldList).
func (f *field[T]) errName() string { return f.label }

// fieldList is a declared list with its derived lookups.
type fieldList[T any] struct {
	fields []field[T]
	byName map[string]int
	// counts of the pointer store classes
	nInts, nDecs, nStrs int
	// spillOrder lists the fields marked keys, then the others, each
	// group in declared order.
	spillOrder []int
}

func newFieldList[T any](fs ...field[T]) *fieldList[T] {
	l := &fieldList[T]{fields: fs, byName: make(map[string]int, len(fs))}
	for i := range l.fields {
		f := &l.fields[i]
		if _, dup := l.byName[f.name]; dup {
			panic("extract: property " + f.name + " declared twice")
		}
		l.byName[f.name] = i
		f.label = f.name
		if f.kind == kindNamed {
			f.label = f.name + ".name"
		}
		if f.keys {
			l.spillOrder = append(l.spillOrder, i)
		}
		switch f.kind {
		case kindIntPtr:
			f.slot, l.nInts = l.nInts, l.nInts+1
		case kindDecimal:
			f.slot, l.nDecs = l.nDecs, l.nDecs+1
		case kindStringPtr, kindNamed:
			f.slot, l.nStrs = l.nStrs, l.nStrs+1
		case kindObject:
			// the object's own fields are labelled under its name
			f.sub.prefix(f.name + ".")
		}
	}
	for i := range l.fields {
		if !l.fields[i].keys {
			l.spillOrder = append(l.spillOrder, i)
		}
	}
	if len(l.fields) > 64 {
		panic("extract: more than 64 properties in one list")
	}
	return l
}

// prefix puts p before the labels of l's fields, at every level.
func (l *fieldList[T]) prefix(p string) {
	for j := range l.fields {
		f := &l.fields[j]
		f.label = p + f.label
		if f.kind == kindObject {
			f.sub.prefix(p)
		}
	}
}

// present reports whether v's field holds a value: always for the kinds
// that are not pointers.
func (f *field[T]) present(v *T) bool {
	switch f.kind {
	case kindIntPtr:
		return *f.ip(v) != nil
	case kindDecimal:
		return *f.d(v) != nil
	case kindStringPtr, kindNamed:
		return *f.sp(v) != nil
	case kindTime:
		return *f.t(v) != nil
	case kindBool:
		return *f.b(v) != nil
	}
	return true
}

// mask is the object mask naming every field.
func (l *fieldList[T]) mask() string { return "mask[" + l.maskBody() + "]" }

// maskBody is the mask's list of properties, nested levels in brackets.
func (l *fieldList[T]) maskBody() string {
	names := make([]string, len(l.fields))
	for i := range l.fields {
		names[i] = l.fields[i].maskName()
	}
	return strings.Join(names, ",")
}

// keyOrder remembers which field came at each key position of the
// previous objects of a document: the API sends every object's properties
// in one order, so after the first object a key is found with one string
// comparison instead of a map lookup. Zero value: nothing learned.
type keyOrder struct {
	field [64]int8 // field index + 1 at each position; 0 unknown
}

// lookup finds the field of the JSON key at position pos of its object.
func (l *fieldList[T]) lookup(key []byte, pos int, ko *keyOrder) (int, bool) {
	if pos < len(ko.field) {
		if j := int(ko.field[pos]) - 1; j >= 0 && l.fields[j].name == string(key) {
			return j, true
		}
	}
	i, ok := l.byName[string(key)]
	if ok && pos < len(ko.field) {
		ko.field[pos] = int8(i + 1)
	}
	return i, ok
}

func intF[T any](name string, get func(*T) *int64) field[T] {
	return field[T]{name: name, kind: kindInt, i: get, keys: true}
}

func intPtrF[T any](name string, get func(*T) **int64) field[T] {
	return field[T]{name: name, kind: kindIntPtr, ip: get, keys: true}
}

func decF[T any](name string, get func(*T) **schemas.Decimal) field[T] {
	return field[T]{name: name, kind: kindDecimal, d: get, keys: true}
}

// decFloatF is a float-typed amount (see field.float).
func decFloatF[T any](name string, get func(*T) **schemas.Decimal) field[T] {
	f := decF(name, get)
	f.float = true
	return f
}

func strF[T any](name string, get func(*T) *string) field[T] {
	return field[T]{name: name, kind: kindString, s: get}
}

func strPtrF[T any](name string, get func(*T) **string) field[T] {
	return field[T]{name: name, kind: kindStringPtr, sp: get}
}

func namedF[T any](name string, get func(*T) **string) field[T] {
	return field[T]{name: name, kind: kindNamed, sp: get, intern: true}
}

func timeF[T any](name string, get func(*T) **time.Time) field[T] {
	return field[T]{name: name, kind: kindTime, t: get, keys: true}
}

func timeValF[T any](name string, get func(*T) *time.Time) field[T] {
	return field[T]{name: name, kind: kindTimeValue, tv: get, keys: true}
}

func boolF[T any](name string, get func(*T) **bool) field[T] {
	return field[T]{name: name, kind: kindBool, b: get, keys: true}
}

// objectF is a relational object of which the properties fs are kept, in
// fields of the same T (localCurrencyExchangeRate[rate,...] into the
// invoice's ExchangeRate).
func objectF[T any](name string, fs ...field[T]) field[T] {
	return field[T]{name: name, kind: kindObject, sub: newFieldList(fs...)}
}

// listF is a relational array whose elements, of type E, are decoded with
// sub into the slice get returns (payments[amount,...] into the invoice's
// Payments). A missing, null or empty array gives no element.
func listF[T, E any](name string, sub *fieldList[E], get func(*T) *[]E) field[T] {
	return field[T]{name: name, kind: kindList, listMask: sub.maskBody(),
		list: func(l *lexer, fe *fieldErr, v *T) error {
			dst := get(v)
			*dst = nil
			return l.objects(fe, name, func() error {
				var e E
				var ko keyOrder
				if _, err := decodeObjectWith(l, sub, &e, valueStore{}, fe, &ko); err != nil {
					return err
				}
				*dst = append(*dst, e)
				return nil
			})
		}}
}

// withCode makes a kindNamed field fill code from the object's
// categoryCode when code is still empty after the object is decoded.
func (f field[T]) withCode(code func(*T) *string) field[T] { f.code = code; return f }

// interned marks a string field whose values repeat; inKeys marks a
// string field the Keys pass needs.
func (f field[T]) interned() field[T] { f.intern = true; return f }
func (f field[T]) inKeys() field[T]   { f.keys = true; return f }

type item = schemas.InvoiceItem

// itemFields are the properties of SoftLayer_Billing_Invoice_Item that
// schemas.InvoiceItem holds. Item totals including children
// (total*Amount) are computed downstream, not masked on every row.
var itemFields = newFieldList(
	intF("id", func(it *item) *int64 { return &it.ID }),
	intF("invoiceId", func(it *item) *int64 { return &it.InvoiceID }),
	intPtrF("parentId", func(it *item) **int64 { return &it.ParentID }),
	intPtrF("billingItemId", func(it *item) **int64 { return &it.BillingItemID }),
	intPtrF("associatedInvoiceItemId", func(it *item) **int64 { return &it.AssociatedInvoiceItemID }),
	intPtrF("resourceTableId", func(it *item) **int64 { return &it.ResourceTableID }),
	intPtrF("productItemId", func(it *item) **int64 { return &it.ProductItemID }),
	strF("categoryCode", func(it *item) *string { return &it.CategoryCode }).interned().inKeys(),
	namedF("category", func(it *item) **string { return &it.CategoryName }).
		withCode(func(it *item) *string { return &it.CategoryCode }),
	strF("description", func(it *item) *string { return &it.Description }),
	strPtrF("hostName", func(it *item) **string { return &it.HostName }),
	strPtrF("domainName", func(it *item) **string { return &it.DomainName }),
	namedF("location", func(it *item) **string { return &it.Location }),
	timeF("createDate", func(it *item) **time.Time { return &it.CreateDate }),
	decF("recurringFee", func(it *item) **schemas.Decimal { return &it.RecurringFee }),
	decF("hourlyRecurringFee", func(it *item) **schemas.Decimal { return &it.HourlyRecurringFee }),
	decF("oneTimeFee", func(it *item) **schemas.Decimal { return &it.OneTimeFee }),
	decF("setupFee", func(it *item) **schemas.Decimal { return &it.SetupFee }),
	decF("laborFee", func(it *item) **schemas.Decimal { return &it.LaborFee }),
	decF("recurringTaxAmount", func(it *item) **schemas.Decimal { return &it.RecurringTaxAmount }),
	decF("oneTimeTaxAmount", func(it *item) **schemas.Decimal { return &it.OneTimeTaxAmount }),
	decF("setupTaxAmount", func(it *item) **schemas.Decimal { return &it.SetupTaxAmount }),
	decF("laborTaxAmount", func(it *item) **schemas.Decimal { return &it.LaborTaxAmount }),
	decF("recurringAfterTaxAmount", func(it *item) **schemas.Decimal { return &it.RecurringAfterTaxAmount }),
	decF("oneTimeAfterTaxAmount", func(it *item) **schemas.Decimal { return &it.OneTimeAfterTaxAmount }),
	decF("setupAfterTaxAmount", func(it *item) **schemas.Decimal { return &it.SetupAfterTaxAmount }),
	decF("laborAfterTaxAmount", func(it *item) **schemas.Decimal { return &it.LaborAfterTaxAmount }),
)

type invoice = schemas.Invoice

// invoiceFields are the properties of SoftLayer_Billing_Invoice that
// schemas.Invoice holds: the locals (listed explicitly: a relational-only
// mask does not reliably return them over REST) and the relational totals
// and item count.
var invoiceFields = newFieldList(
	intF("id", func(v *invoice) *int64 { return &v.ID }),
	intF("accountId", func(v *invoice) *int64 { return &v.AccountID }),
	timeValF("createDate", func(v *invoice) *time.Time { return &v.CreateDate }),
	timeF("modifyDate", func(v *invoice) **time.Time { return &v.ModifyDate }),
	timeF("closedDate", func(v *invoice) **time.Time { return &v.ClosedDate }),
	strF("typeCode", func(v *invoice) *string { return &v.TypeCode }),
	strF("statusCode", func(v *invoice) *string { return &v.StatusCode }),
	decF("startingBalance", func(v *invoice) **schemas.Decimal { return &v.StartingBalance }),
	decF("endingBalance", func(v *invoice) **schemas.Decimal { return &v.EndingBalance }),
	decF("invoiceTotalAmount", func(v *invoice) **schemas.Decimal { return &v.InvoiceTotalAmount }),
	decF("invoiceTotalPreTaxAmount", func(v *invoice) **schemas.Decimal { return &v.InvoiceTotalPreTaxAmount }),
	decF("invoiceTotalRecurringAmount", func(v *invoice) **schemas.Decimal { return &v.InvoiceTotalRecurringAmount }),
	decF("invoiceTotalRecurringTaxAmount", func(v *invoice) **schemas.Decimal { return &v.InvoiceTotalRecurringTaxAmount }),
	decF("invoiceTotalOneTimeAmount", func(v *invoice) **schemas.Decimal { return &v.InvoiceTotalOneTimeAmount }),
	decF("invoiceTotalOneTimeTaxAmount", func(v *invoice) **schemas.Decimal { return &v.InvoiceTotalOneTimeTaxAmount }),
	intPtrF("itemCount", func(v *invoice) **int64 { return &v.ItemCount }),
	strF("companyName", func(v *invoice) *string { return &v.Contact.CompanyName }),
	strF("firstName", func(v *invoice) *string { return &v.Contact.FirstName }),
	strF("lastName", func(v *invoice) *string { return &v.Contact.LastName }),
	strF("address1", func(v *invoice) *string { return &v.Contact.Address1 }),
	strF("address2", func(v *invoice) *string { return &v.Contact.Address2 }),
	strF("city", func(v *invoice) *string { return &v.Contact.City }),
	strF("state", func(v *invoice) *string { return &v.Contact.State }),
	strF("postalCode", func(v *invoice) *string { return &v.Contact.PostalCode }),
	strF("country", func(v *invoice) *string { return &v.Contact.Country }),
	strF("email", func(v *invoice) *string { return &v.Contact.Email }),
	strF("officePhone", func(v *invoice) *string { return &v.Contact.OfficePhone }),
	strF("faxPhone", func(v *invoice) *string { return &v.Contact.FaxPhone }),
	boolF("claimedTaxExemptTxFlag", func(v *invoice) **bool { return &v.ClaimedTaxExemptTxFlag }),
	boolF("documentsGeneratedFlag", func(v *invoice) **bool { return &v.DocumentsGeneratedFlag }),
	boolF("detailedPdfGeneratedFlag", func(v *invoice) **bool { return &v.DetailedPdfGeneratedFlag }),
	strPtrF("purchaseOrderNumber", func(v *invoice) **string { return &v.PurchaseOrderNumber }),
	intPtrF("taxStatusId", func(v *invoice) **int64 { return &v.TaxStatusID }),
	intPtrF("taxTypeId", func(v *invoice) **int64 { return &v.TaxTypeID }),
	decF("amount", func(v *invoice) **schemas.Decimal { return &v.Amount }),
	decF("payment", func(v *invoice) **schemas.Decimal { return &v.Payment }),
	intPtrF("paymentCount", func(v *invoice) **int64 { return &v.PaymentCount }),
	strPtrF("sellerRegistration", func(v *invoice) **string { return &v.SellerRegistration }),
	strPtrF("taxMessage", func(v *invoice) **string { return &v.TaxMessage }),
	objectF("taxType", strPtrF("keyName", func(v *invoice) **string { return &v.TaxType })),
	objectF("localCurrencyExchangeRate",
		decF("rate", func(v *invoice) **schemas.Decimal { return &v.ExchangeRate }),
		objectF("localCurrency", strPtrF("keyName", func(v *invoice) **string { return &v.LocalCurrency }))),
	objectF("taxInfo",
		decF("totalTaxAmountToCurrency", func(v *invoice) **schemas.Decimal { return &v.TaxInfoTaxAmount }),
		boolF("reportedFlag", func(v *invoice) **bool { return &v.TaxInfoReported })),
	listF("payments", paymentFields, func(v *invoice) *[]schemas.Payment { return &v.Payments }),
)

type payment = schemas.Payment

// paymentFields are the properties of a
// SoftLayer_Billing_Invoice_Receivable_Payment that schemas.Payment holds.
var paymentFields = newFieldList(
	decF("amount", func(p *payment) **schemas.Decimal { return &p.Amount }),
	timeF("createDate", func(p *payment) **time.Time { return &p.CreateDate }),
	strF("typeCode", func(p *payment) *string { return &p.TypeCode }).interned(),
)

// InvoiceMask and ItemMask name exactly the properties schemas.Invoice and
// schemas.InvoiceItem hold (derived from invoiceFields and itemFields).
var (
	InvoiceMask = invoiceFields.mask()
	ItemMask    = itemFields.mask()
)

// Store sizes of an item: the decoder and the spill keep an item's pointed-
// to values in arrays of these sizes (one allocation per item); init checks
// them against itemFields.
const (
	nItemInts = 5
	nItemDecs = 13
	nItemStrs = 4
)

func init() {
	if itemFields.nInts != nItemInts || itemFields.nDecs != nItemDecs || itemFields.nStrs != nItemStrs {
		panic("extract: item store sizes disagree with itemFields")
	}
}

// itemStore holds the values an item's pointer fields point to.
type itemStore struct {
	ints [nItemInts]int64
	decs [nItemDecs]schemas.Decimal
	strs [nItemStrs]string
	t    time.Time
}

// values is the store as decodeObject takes it.
func (st *itemStore) values() valueStore {
	return valueStore{ints: st.ints[:], decs: st.decs[:], strs: st.strs[:], t: &st.t}
}
