package schemas

import "time"

// Invoice is the part of a SoftLayer_Billing_Invoice that invoicelake
// requests (extract's mask names exactly these properties). Times keep the
// UTC offset the API reported; PeriodOf(CreateDate) is the billing period.
// Pointers are nil when the API sent null or omitted the property.
type Invoice struct {
	ID         int64
	AccountID  int64
	TypeCode   string // NEW, RECURRING, ONE-TIME-CHARGE, CREDIT, REFUND, MANUAL_PAYMENT_CREDIT
	StatusCode string // OPEN, CLOSED, CLOSED_FAILED
	CreateDate time.Time
	ModifyDate *time.Time
	ClosedDate *time.Time

	StartingBalance *Decimal
	EndingBalance   *Decimal

	// Relational totals, present when masked.
	InvoiceTotalAmount             *Decimal
	InvoiceTotalPreTaxAmount       *Decimal
	InvoiceTotalRecurringAmount    *Decimal
	InvoiceTotalRecurringTaxAmount *Decimal
	InvoiceTotalOneTimeAmount      *Decimal
	InvoiceTotalOneTimeTaxAmount   *Decimal
	ItemCount                      *int64

	Contact Contact

	// The datatype's remaining properties (schema version 2), named as the
	// API and softlayer-go name them.
	ClaimedTaxExemptTxFlag   *bool    // claimedTaxExemptTxFlag: tax exempt when the invoice was created
	DocumentsGeneratedFlag   *bool    // documentsGeneratedFlag
	DetailedPdfGeneratedFlag *bool    // detailedPdfGeneratedFlag
	PurchaseOrderNumber      *string  // purchaseOrderNumber
	TaxStatusID              *int64   // taxStatusId
	TaxTypeID                *int64   // taxTypeId
	Amount                   *Decimal // amount: "the amount of this invoice"
	Payment                  *Decimal // payment: the total payment made on this invoice
	PaymentCount             *int64   // paymentCount
	SellerRegistration       *string  // sellerRegistration
	TaxMessage               *string  // taxMessage
	TaxType                  *string  // taxType.keyName
	ExchangeRate             *Decimal // localCurrencyExchangeRate.rate
	LocalCurrency            *string  // localCurrencyExchangeRate.localCurrency.keyName
	TaxInfoTaxAmount         *Decimal // taxInfo.totalTaxAmountToCurrency
	TaxInfoReported          *bool    // taxInfo.reportedFlag
	Payments                 []Payment
}

// Payment is a SoftLayer_Billing_Invoice_Receivable_Payment: one payment
// of an invoice (the API gives it no id).
type Payment struct {
	Amount     *Decimal
	CreateDate *time.Time
	TypeCode   string // CREDIT_CARD, WIRE, ACH, PAYPAL...
}

// Contact is the account contact copied onto an invoice at creation. It is
// personal data: transform's PII policy decides what reaches the lake.
type Contact struct {
	CompanyName, FirstName, LastName string
	Address1, Address2, City, State  string
	PostalCode, Country              string
	Email, OfficePhone, FaxPhone     string
}

// InvoiceItem is the part of a SoftLayer_Billing_Invoice_Item that
// invoicelake requests through SoftLayer_Billing_Invoice::getItems (every
// item of an invoice, top-level and children, linked by ParentID).
type InvoiceItem struct {
	ID                      int64
	InvoiceID               int64
	ParentID                *int64 // nil for top-level items
	BillingItemID           *int64
	AssociatedInvoiceItemID *int64
	ResourceTableID         *int64
	ProductItemID           *int64

	CategoryCode string
	CategoryName *string
	Description  string
	HostName     *string
	DomainName   *string
	Location     *string // location.name
	CreateDate   *time.Time

	RecurringFee       *Decimal
	HourlyRecurringFee *Decimal // a rate per hour, not an amount billed
	OneTimeFee         *Decimal
	SetupFee           *Decimal
	LaborFee           *Decimal

	RecurringTaxAmount *Decimal
	OneTimeTaxAmount   *Decimal
	SetupTaxAmount     *Decimal
	LaborTaxAmount     *Decimal

	RecurringAfterTaxAmount *Decimal
	OneTimeAfterTaxAmount   *Decimal
	SetupAfterTaxAmount     *Decimal
	LaborAfterTaxAmount     *Decimal
}

// Account is what invoicelake requests of SoftLayer_Account for a snapshot:
// the balance, the next invoice's totals and the invoices a snapshot
// names. Pointers are nil when the API sent null or omitted the property.
type Account struct {
	ID      int64
	Balance *Decimal // balance (getBalance)

	NextInvoiceTotalAmount                 *Decimal
	NextInvoiceTotalRecurringAmount        *Decimal
	NextInvoiceTotalRecurringTaxAmount     *Decimal
	NextInvoiceTotalTaxableRecurringAmount *Decimal
	NextInvoiceTotalOneTimeAmount          *Decimal
	NextInvoiceTotalOneTimeTaxAmount       *Decimal
	NextInvoiceTopLevelBillingItemCount    *int64

	PendingInvoice         InvoiceRef // pendingInvoice: the latest OPEN invoice
	LatestRecurringInvoice InvoiceRef // latestRecurringInvoice
}

// InvoiceRef is an invoice as a snapshot names it; ID is 0 when there is
// none.
type InvoiceRef struct {
	ID                 int64
	TypeCode           string
	StatusCode         string
	CreateDate         *time.Time
	StartingBalance    *Decimal
	InvoiceTotalAmount *Decimal
}

// BillingItem is the part of a SoftLayer_Billing_Item that invoicelake
// requests (getAllTopLevelBillingItems, getNextInvoiceTopLevelBillingItems),
// with its children and the order behind it.
type BillingItem struct {
	ID                      int64
	ParentID                *int64
	AssociatedBillingItemID *int64 // a string in the API
	CategoryCode            string
	CategoryName            *string // category.name
	Description             string
	HostName                *string
	DomainName              *string
	Location                *string // location.name
	ResourceTableID         *int64
	HourlyFlag              *bool

	CreateDate       *time.Time
	CycleStartDate   *time.Time
	LastBillDate     *time.Time
	NextBillDate     *time.Time
	CancellationDate *time.Time

	RecurringFee        *Decimal
	HourlyRecurringFee  *Decimal
	OneTimeFee          *Decimal
	SetupFee            *Decimal
	LaborFee            *Decimal
	HoursUsed           *Decimal // a string in the API
	CurrentHourlyCharge *Decimal // a string in the API

	// Floats in the API (JSON numbers): rounded to 8 decimals when they
	// carry more.
	NextInvoiceTotalRecurringAmount    *Decimal
	NextInvoiceTotalRecurringTaxAmount *Decimal
	NextInvoiceTotalOneTimeAmount      *Decimal
	NextInvoiceTotalOneTimeTaxAmount   *Decimal

	// The order behind the item: orderItemId, orderItem.order.
	OrderItemID       *int64
	OrderID           *int64
	OrderCreateDate   *time.Time
	OrderUserID       *int64  // orderItem.order.userRecordId
	OrderUsername     *string // orderItem.order.userRecord.username
	OrderUserFullName *string // orderItem.order.userRecord.displayName

	Children []BillingItem
}
