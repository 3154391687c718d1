package schemas

import "time"

// Table names: the top-level folders of a lake.
const (
	InvoicesTable = "invoices"
	ItemsTable    = "invoice_items"
	PaymentsTable = "invoice_payments"

	// The tables of account snapshots, partitioned by snapshot date.
	SnapshotsTable        = "account_snapshots"
	NextInvoiceItemsTable = "next_invoice_items"
	BillingItemsTable     = "billing_items"
)

// InvoiceRow is one row of the invoices table: one per invoice. The
// partition column billing_period lives in the folder name only
// (billing_period=YYYY-MM), never in the file. Timestamps are UTC instants.
type InvoiceRow struct {
	InvoiceID  int64      `parquet:"invoice_id" doc:"SoftLayer invoice id (SoftLayer_Billing_Invoice.id)."`
	AccountID  int64      `parquet:"account_id" doc:"SoftLayer account id the invoice belongs to."`
	TypeCode   string     `parquet:"type_code,dict" doc:"Invoice type: NEW, RECURRING, ONE-TIME-CHARGE, CREDIT, REFUND or MANUAL_PAYMENT_CREDIT."`
	StatusCode string     `parquet:"status_code,dict" doc:"Invoice status: OPEN, CLOSED or CLOSED_FAILED."`
	CreateDate time.Time  `parquet:"create_date,timestamp(microsecond)" doc:"When the invoice was created, as a UTC instant. Its calendar month in the offset the API reported is the billing_period."`
	ModifyDate *time.Time `parquet:"modify_date,optional,timestamp(microsecond)" doc:"When the invoice was last modified, as a UTC instant."`
	ClosedDate *time.Time `parquet:"closed_date,optional,timestamp(microsecond)" doc:"When the invoice was closed, as a UTC instant; NULL while it is open."`

	StartingBalance *Decimal `parquet:"starting_balance,optional,decimal(8:18)" doc:"Account balance when the invoice was created (USD)."`
	EndingBalance   *Decimal `parquet:"ending_balance,optional,decimal(8:18)" doc:"Account balance when the invoice was closed (USD)."`

	InvoiceTotalAmount             *Decimal `parquet:"invoice_total_amount,optional,decimal(8:18)" doc:"Invoice total including taxes, as the API reports it (invoiceTotalAmount)."`
	InvoiceTotalPreTaxAmount       *Decimal `parquet:"invoice_total_pre_tax_amount,optional,decimal(8:18)" doc:"Invoice total excluding taxes (invoiceTotalPreTaxAmount)."`
	InvoiceTotalRecurringAmount    *Decimal `parquet:"invoice_total_recurring_amount,optional,decimal(8:18)" doc:"Recurring charges excluding taxes (invoiceTotalRecurringAmount)."`
	InvoiceTotalRecurringTaxAmount *Decimal `parquet:"invoice_total_recurring_tax_amount,optional,decimal(8:18)" doc:"Taxes on recurring charges (invoiceTotalRecurringTaxAmount)."`
	InvoiceTotalOneTimeAmount      *Decimal `parquet:"invoice_total_one_time_amount,optional,decimal(8:18)" doc:"One-time, setup and labor charges excluding taxes (invoiceTotalOneTimeAmount)."`
	InvoiceTotalOneTimeTaxAmount   *Decimal `parquet:"invoice_total_one_time_tax_amount,optional,decimal(8:18)" doc:"Taxes on one-time, setup and labor charges (invoiceTotalOneTimeTaxAmount)."`
	ItemCount                      *int64   `parquet:"item_count,optional" doc:"Number of items at every level, as the API reports it (itemCount)."`

	// Reconciliation of the invoice's items against its totals.
	ItemsTotalAmount Decimal `parquet:"items_total_amount,decimal(8:18)" doc:"Sum of total_amount over the rows of this invoice in invoice_items."` // sum of the items' total_amount
	ItemRows         int64   `parquet:"item_rows" doc:"Number of rows written to invoice_items for this invoice."`                                  // rows written to invoice_items
	Reconciled       bool    `parquet:"reconciled" doc:"True when the items match every total the API sent and item_count exactly."`
	ReconcileIssues  *string `parquet:"reconcile_issues,optional" doc:"What did not match, e.g. invoice_total_amount: items 12.50 != invoice 12.51; NULL when reconciled."` // nil when reconciled

	// Contact columns, subject to the PII policy: NULL under "drop", an
	// HMAC-SHA256 hex digest under "hash", the value under "keep".
	CompanyName *string `parquet:"company_name,optional" doc:"Contact company name at invoice creation. PII policy: NULL (drop), HMAC-SHA256 hex (hash) or the value (keep)."`
	FirstName   *string `parquet:"first_name,optional" doc:"Contact first name. PII policy applies."`
	LastName    *string `parquet:"last_name,optional" doc:"Contact last name. PII policy applies."`
	Address1    *string `parquet:"address1,optional" doc:"Contact address, first line. PII policy applies."`
	Address2    *string `parquet:"address2,optional" doc:"Contact address, second line. PII policy applies."`
	City        *string `parquet:"city,optional" doc:"Contact city. PII policy applies."`
	State       *string `parquet:"state,optional" doc:"Contact state or province (other outside provinces). PII policy applies."`
	PostalCode  *string `parquet:"postal_code,optional" doc:"Contact postal code. PII policy applies."`
	Country     *string `parquet:"country,optional" doc:"Contact country, two-letter code. PII policy applies."`
	Email       *string `parquet:"email,optional" doc:"Contact email address. PII policy applies."`
	OfficePhone *string `parquet:"office_phone,optional" doc:"Contact office phone. PII policy applies."`
	FaxPhone    *string `parquet:"fax_phone,optional" doc:"Contact fax phone. PII policy applies."`

	// Schema version 2: the datatype's remaining properties and the
	// archived invoice document.
	ClaimedTaxExempt     *bool    `parquet:"claimed_tax_exempt,optional" doc:"Whether the account was exempt from taxes when the invoice was created (claimedTaxExemptTxFlag)."`
	DocumentsGenerated   *bool    `parquet:"documents_generated,optional" doc:"Whether the invoice documents (PDF, Excel) are generated (documentsGeneratedFlag); true once the invoice is closed."`
	DetailedPDFGenerated *bool    `parquet:"detailed_pdf_generated,optional" doc:"Whether the detailed PDF has been generated (detailedPdfGeneratedFlag)."`
	PurchaseOrderNumber  *string  `parquet:"purchase_order_number,optional" doc:"The purchase order number on the invoice (purchaseOrderNumber); NULL when none."`
	TaxStatusID          *int64   `parquet:"tax_status_id,optional" doc:"The invoice tax status id (taxStatusId)."`
	TaxTypeID            *int64   `parquet:"tax_type_id,optional" doc:"The invoice tax type id (taxTypeId)."`
	Amount               *Decimal `parquet:"amount,optional,decimal(8:18)" doc:"The amount of this invoice (amount), as the API reports it beside invoice_total_amount."`
	PaymentAmount        *Decimal `parquet:"payment_amount,optional,decimal(8:18)" doc:"The total payment made on this invoice (payment); its payments are in invoice_payments."`
	PaymentCount         *int64   `parquet:"payment_count,optional" doc:"Number of payments of the invoice (paymentCount)."`
	SellerRegistration   *string  `parquet:"seller_registration,optional" doc:"The seller tax registration (sellerRegistration)."`
	TaxMessage           *string  `parquet:"tax_message,optional" doc:"The message explaining the tax treatment of the invoice (taxMessage)."`
	TaxType              *string  `parquet:"tax_type,optional,dict" doc:"The strategy used to calculate tax on the invoice (taxType.keyName), e.g. SALES_TAX."`
	ExchangeRate         *Decimal `parquet:"exchange_rate,optional,decimal(8:18)" doc:"Exchange rate used for billing the invoice (localCurrencyExchangeRate.rate): local currency units per USD."`
	LocalCurrency        *string  `parquet:"local_currency,optional,dict" doc:"The local currency of the exchange rate (localCurrencyExchangeRate.localCurrency.keyName), e.g. USD or EUR."`
	TaxInLocalCurrency   *Decimal `parquet:"tax_in_local_currency,optional,decimal(8:18)" doc:"The tax of the official tax record, in the local currency (taxInfo.totalTaxAmountToCurrency)."`
	TaxReported          *bool    `parquet:"tax_reported,optional" doc:"Whether the official tax record has been reported (taxInfo.reportedFlag)."`
	DocumentKey          *string  `parquet:"document_key,optional" doc:"Key of the archived invoice PDF (getPdf) relative to the lake location, e.g. documents/account_id=278444/billing_period=2025-03/70088137.pdf; NULL when documents are not archived or the invoice is not closed."`
	DocumentSHA256       *string  `parquet:"document_sha256,optional" doc:"Lowercase hex SHA-256 of the archived PDF; NULL with document_key."`
	DocumentBytes        *int64   `parquet:"document_bytes,optional" doc:"Size of the archived PDF in bytes; NULL with document_key."`
}

// PaymentRow is one row of the invoice_payments table: one payment of an
// invoice (SoftLayer_Billing_Invoice::getPayments), in the invoice's
// billing period and replaced with it.
type PaymentRow struct {
	InvoiceID    int64      `parquet:"invoice_id" doc:"Invoice the payment is for (invoices.invoice_id)."`
	PaymentIndex int64      `parquet:"payment_index" doc:"Position of the payment among the payments of its invoice (0, 1...), ordered by create_date, amount and type_code: the API gives payments no id."`
	AccountID    int64      `parquet:"account_id" doc:"SoftLayer account id of the invoice."`
	Amount       *Decimal   `parquet:"amount,optional,decimal(8:18)" doc:"Amount paid (USD)."`
	TypeCode     string     `parquet:"type_code,dict" doc:"How it was paid (typeCode), e.g. CREDIT_CARD, WIRE, ACH, PAYPAL."`
	CreateDate   *time.Time `parquet:"create_date,optional,timestamp(microsecond)" doc:"When the payment was made, as a UTC instant."`
}

// ItemRow is one row of the invoice_items table: one per invoice item at
// every level of the hierarchy. total_amount is this item's own fees plus
// taxes, children excluded, so SUM(total_amount) never double counts.
type ItemRow struct {
	InvoiceID      int64  `parquet:"invoice_id" doc:"Invoice this item is on (invoices.invoice_id)."`
	ItemID         int64  `parquet:"item_id" doc:"SoftLayer invoice item id (SoftLayer_Billing_Invoice_Item.id)."`
	ParentItemID   *int64 `parquet:"parent_item_id,optional" doc:"Parent invoice item id; NULL for top-level items."`
	TopLevelItemID int64  `parquet:"top_level_item_id" doc:"Id of the top-level item of this hierarchy (the item itself when depth is 0)."`
	Depth          int32  `parquet:"depth" doc:"Level in the hierarchy: 0 for top-level items, 1 for their children, and so on."` // 0 for top-level items

	CategoryCode    string  `parquet:"category_code,dict" doc:"Item category code (categoryCode), e.g. server, guest_core, ram."`
	CategoryName    *string `parquet:"category_name,optional,dict" doc:"Item category name as shown on invoices (category.name)."`
	ResourceService *string `parquet:"resource_service,optional,dict" doc:"SoftLayer service of the resource of the top-level item, from the category map (e.g. SoftLayer_Hardware_Server); NULL when the top-level category code is not in the map."` // of the top-level item; NULL when its code is unknown
	ResourceID      *int64  `parquet:"resource_id,optional" doc:"resourceTableId of the top-level item: the id of its resource in resource_service."`                                                                                                  // the top-level item's resourceTableId
	BillingItemID   *int64  `parquet:"billing_item_id,optional" doc:"Billing item this invoice item was generated from (billingItemId)."`

	Description string  `parquet:"description" doc:"Item description."`
	HostName    *string `parquet:"host_name,optional" doc:"Host name, on server and guest items."`
	DomainName  *string `parquet:"domain_name,optional" doc:"Domain name, on server and guest items."`
	Location    *string `parquet:"location,optional,dict" doc:"Datacenter name (location.name), e.g. dal10."`

	RecurringFee       *Decimal `parquet:"recurring_fee,optional,decimal(8:18)" doc:"Recurring fee of this item, children excluded (USD)."`
	HourlyRecurringFee *Decimal `parquet:"hourly_recurring_fee,optional,decimal(8:18)" doc:"Hourly rate of this item: a rate per hour, not an amount billed; not part of total_amount."`
	OneTimeFee         *Decimal `parquet:"one_time_fee,optional,decimal(8:18)" doc:"One-time fee of this item, children excluded."`
	SetupFee           *Decimal `parquet:"setup_fee,optional,decimal(8:18)" doc:"Setup fee of this item, children excluded."`
	LaborFee           *Decimal `parquet:"labor_fee,optional,decimal(8:18)" doc:"Labor fee of this item, children excluded."`
	RecurringTaxAmount *Decimal `parquet:"recurring_tax_amount,optional,decimal(8:18)" doc:"Tax on the recurring fee, children excluded."`
	OneTimeTaxAmount   *Decimal `parquet:"one_time_tax_amount,optional,decimal(8:18)" doc:"Tax on the one-time fee, children excluded."`
	SetupTaxAmount     *Decimal `parquet:"setup_tax_amount,optional,decimal(8:18)" doc:"Tax on the setup fee, children excluded."`
	LaborTaxAmount     *Decimal `parquet:"labor_tax_amount,optional,decimal(8:18)" doc:"Tax on the labor fee, children excluded."`
	TotalAmount        Decimal  `parquet:"total_amount,decimal(8:18)" doc:"Fees plus taxes of this item (recurring, one-time, setup, labor and their taxes; NULL counts as 0), children excluded, so SUM(total_amount) never double counts."`

	CreateDate *time.Time `parquet:"create_date,optional,timestamp(microsecond)" doc:"When the item was created, as a UTC instant."`

	// Schema version 2: true cost with associated items, a readable
	// service name, the FOCUS charge category and frequency.
	AssociatedItemID *int64  `parquet:"associated_item_id,optional" doc:"The item this one is associated with (associatedInvoiceItemId), e.g. a software license attached to a server; NULL for most items."`
	RollupItemID     int64   `parquet:"rollup_item_id" doc:"The top-level item whose true cost includes this row: top_level_item_id, or, when that top-level item is associated with another item of the invoice (a license attached to a server), the top-level item of the item it is attached to. GROUP BY rollup_item_id gives the true cost of each resource."`
	ServiceName      *string `parquet:"service_name,optional,dict" doc:"Readable name of the service (e.g. Virtual Servers for SoftLayer_Virtual_Guest), or of the kind of charge for a top-level code without a resource (Service Credits, Bandwidth, Labor); from the category map; NULL when the top-level category code is unknown."`
	ChargeCategory   *string `parquet:"charge_category,optional,dict" doc:"FOCUS ChargeCategory of the item: Credit (CREDIT, REFUND or MANUAL_PAYMENT_CREDIT invoice, the credit code, or a negative total), Adjustment (created after its invoice closed), Tax (taxes only), Usage (hourly: billed in arrears by the hour) or Purchase."`
	ChargeFrequency  *string `parquet:"charge_frequency,optional,dict" doc:"FOCUS ChargeFrequency of the item: One-Time (credits, adjustments, one-time, setup and labor fees), Usage-Based (hourly) or Recurring (a monthly recurring fee, or a zero-cost part of a monthly resource on a RECURRING or NEW invoice)."`
}

// The values of ItemRow.ChargeCategory and ItemRow.ChargeFrequency (FOCUS
// 1.2's allowed values).
const (
	ChargeUsage      = "Usage"
	ChargePurchase   = "Purchase"
	ChargeTax        = "Tax"
	ChargeCredit     = "Credit"
	ChargeAdjustment = "Adjustment"

	FrequencyOneTime    = "One-Time"
	FrequencyRecurring  = "Recurring"
	FrequencyUsageBased = "Usage-Based"
)

// SnapshotPartitionColumn is the Hive partition key of the snapshot
// tables (account_snapshots, next_invoice_items, billing_items): the UTC
// date of the snapshot, YYYY-MM-DD. It lives in the folder name only.
const SnapshotPartitionColumn = "snapshot_date"

// snapshotPartitionDoc describes SnapshotPartitionColumn in every
// generated artefact.
const snapshotPartitionDoc = "UTC date of the snapshot, YYYY-MM-DD. Partition key, from the folder name."

// AccountSnapshotRow is one row of account_snapshots: what SoftLayer_Account
// said at one run (the balance, the next invoice, the pending and latest
// recurring invoices). The table is an append-only history: each run adds
// one snapshot, never replaces one.
type AccountSnapshotRow struct {
	SnapshotID   string    `parquet:"snapshot_id" doc:"The snapshot: the id of the run that took it. next_invoice_items and billing_items rows of the snapshot carry it."`
	SnapshotTime time.Time `parquet:"snapshot_time,timestamp(microsecond)" doc:"When the snapshot was taken (the run started asking the API), as a UTC instant."`
	AccountID    int64     `parquet:"account_id" doc:"SoftLayer account id."`

	Balance                                *Decimal `parquet:"balance,optional,decimal(8:18)" doc:"The account balance (getBalance): what the account owes (USD)."`
	NextInvoiceTotalAmount                 *Decimal `parquet:"next_invoice_total_amount,optional,decimal(8:18)" doc:"The next invoice total as the API gives it (nextInvoiceTotalAmount; before tax)."`
	NextInvoiceTotalRecurringAmount        *Decimal `parquet:"next_invoice_total_recurring_amount,optional,decimal(8:18)" doc:"Recurring charges of the next invoice (nextInvoiceTotalRecurringAmount)."`
	NextInvoiceTotalRecurringTaxAmount     *Decimal `parquet:"next_invoice_total_recurring_tax_amount,optional,decimal(8:18)" doc:"Tax on the recurring charges of the next invoice (nextInvoiceTotalRecurringTaxAmount)."`
	NextInvoiceTotalTaxableRecurringAmount *Decimal `parquet:"next_invoice_total_taxable_recurring_amount,optional,decimal(8:18)" doc:"The taxed part of the recurring charges of the next invoice (nextInvoiceTotalTaxableRecurringAmount)."`
	NextInvoiceTotalOneTimeAmount          *Decimal `parquet:"next_invoice_total_one_time_amount,optional,decimal(8:18)" doc:"One-time charges of the next invoice (nextInvoiceTotalOneTimeAmount)."`
	NextInvoiceTotalOneTimeTaxAmount       *Decimal `parquet:"next_invoice_total_one_time_tax_amount,optional,decimal(8:18)" doc:"Tax on the one-time charges of the next invoice (nextInvoiceTotalOneTimeTaxAmount)."`
	NextInvoiceTopLevelItemCount           *int64   `parquet:"next_invoice_top_level_item_count,optional" doc:"Top-level billing items on the next invoice, as the API counts them (nextInvoiceTopLevelBillingItemCount)."`

	PendingInvoiceID              *int64     `parquet:"pending_invoice_id,optional" doc:"The pending invoice (the latest OPEN one); NULL when every invoice is closed."`
	PendingInvoiceTypeCode        *string    `parquet:"pending_invoice_type_code,optional,dict" doc:"Type of the pending invoice."`
	PendingInvoiceCreateDate      *time.Time `parquet:"pending_invoice_create_date,optional,timestamp(microsecond)" doc:"When the pending invoice was created, as a UTC instant."`
	PendingInvoiceStartingBalance *Decimal   `parquet:"pending_invoice_starting_balance,optional,decimal(8:18)" doc:"The balance when the pending invoice was created (slcli account summary prints it as Balance)."`
	PendingInvoiceTotalAmount     *Decimal   `parquet:"pending_invoice_total_amount,optional,decimal(8:18)" doc:"Total of the pending invoice (slcli account summary prints it as Upcoming Invoice)."`

	LatestRecurringInvoiceID          *int64     `parquet:"latest_recurring_invoice_id,optional" doc:"The latest RECURRING invoice (getLatestRecurringInvoice)."`
	LatestRecurringInvoiceStatusCode  *string    `parquet:"latest_recurring_invoice_status_code,optional,dict" doc:"Status of the latest RECURRING invoice: OPEN, CLOSED or CLOSED_FAILED."`
	LatestRecurringInvoiceCreateDate  *time.Time `parquet:"latest_recurring_invoice_create_date,optional,timestamp(microsecond)" doc:"When the latest RECURRING invoice was created, as a UTC instant."`
	LatestRecurringInvoiceTotalAmount *Decimal   `parquet:"latest_recurring_invoice_total_amount,optional,decimal(8:18)" doc:"Total of the latest RECURRING invoice, taxes included."`

	NextInvoiceItemRows int64 `parquet:"next_invoice_item_rows" doc:"Rows of next_invoice_items in this snapshot (top-level items and their children)."`
	BillingItemRows     int64 `parquet:"billing_item_rows" doc:"Rows of billing_items in this snapshot (top-level items and their children)."`
}

// BillingItemRow is one row of billing_items (the live billing items, as
// slcli account billing-items lists them) or of next_invoice_items (the
// billing items the next invoice will bill): a top-level billing item or
// one of its children, in one snapshot. Money columns are the API's;
// next_invoice_total_recurring_amount of a top-level row includes its
// children, so sum it over depth = 0 rows.
type BillingItemRow struct {
	SnapshotID   string    `parquet:"snapshot_id" doc:"The snapshot (account_snapshots.snapshot_id)."`
	SnapshotTime time.Time `parquet:"snapshot_time,timestamp(microsecond)" doc:"When the snapshot was taken, as a UTC instant."`
	AccountID    int64     `parquet:"account_id" doc:"SoftLayer account id."`

	BillingItemID           int64  `parquet:"billing_item_id" doc:"SoftLayer billing item id; joins invoice_items.billing_item_id."`
	ParentID                *int64 `parquet:"parent_id,optional" doc:"Parent billing item; NULL for a top-level item."`
	TopLevelBillingItemID   int64  `parquet:"top_level_billing_item_id" doc:"The top-level billing item of this row (itself at depth 0)."`
	Depth                   int32  `parquet:"depth" doc:"0 for a top-level item, 1 for its children."`
	AssociatedBillingItemID *int64 `parquet:"associated_billing_item_id,optional" doc:"The billing item this one is associated with (associatedBillingItemId), e.g. the server of a software license."`

	CategoryCode    string  `parquet:"category_code,dict" doc:"Category code of the billing item."`
	CategoryName    *string `parquet:"category_name,optional,dict" doc:"Category name (category.name)."`
	ResourceService *string `parquet:"resource_service,optional,dict" doc:"SoftLayer service of the resource of the top-level item, from the category map, as in invoice_items."`
	ServiceName     *string `parquet:"service_name,optional,dict" doc:"Readable service name of the top-level item, from the category map, as in invoice_items."`
	ResourceID      *int64  `parquet:"resource_id,optional" doc:"resourceTableId of the top-level item: the id of its resource in resource_service."`
	Description     string  `parquet:"description" doc:"Billing item description."`
	HostName        *string `parquet:"host_name,optional" doc:"Host name, on server and guest items."`
	DomainName      *string `parquet:"domain_name,optional" doc:"Domain name, on server and guest items."`
	Location        *string `parquet:"location,optional,dict" doc:"Datacenter name (location.name)."`
	HourlyFlag      *bool   `parquet:"hourly_flag,optional" doc:"Whether the item is billed by the hour (hourlyFlag)."`

	CreateDate       *time.Time `parquet:"create_date,optional,timestamp(microsecond)" doc:"When the item was created (ordered), as a UTC instant."`
	CycleStartDate   *time.Time `parquet:"cycle_start_date,optional,timestamp(microsecond)" doc:"Start of the current billing cycle (cycleStartDate)."`
	LastBillDate     *time.Time `parquet:"last_bill_date,optional,timestamp(microsecond)" doc:"When the item was last billed (lastBillDate)."`
	NextBillDate     *time.Time `parquet:"next_bill_date,optional,timestamp(microsecond)" doc:"When the item will be billed next (nextBillDate)."`
	CancellationDate *time.Time `parquet:"cancellation_date,optional,timestamp(microsecond)" doc:"When the item was cancelled; NULL while active."`

	RecurringFee        *Decimal `parquet:"recurring_fee,optional,decimal(8:18)" doc:"Monthly recurring fee of this item alone (USD)."`
	HourlyRecurringFee  *Decimal `parquet:"hourly_recurring_fee,optional,decimal(8:18)" doc:"Hourly rate of this item alone."`
	OneTimeFee          *Decimal `parquet:"one_time_fee,optional,decimal(8:18)" doc:"One-time fee."`
	SetupFee            *Decimal `parquet:"setup_fee,optional,decimal(8:18)" doc:"Setup fee."`
	LaborFee            *Decimal `parquet:"labor_fee,optional,decimal(8:18)" doc:"Labor fee."`
	HoursUsed           *Decimal `parquet:"hours_used,optional,decimal(8:18)" doc:"Hours used in the current cycle, on hourly items (hoursUsed)."`
	CurrentHourlyCharge *Decimal `parquet:"current_hourly_charge,optional,decimal(8:18)" doc:"Charge of the hours used so far in the cycle, on hourly items (currentHourlyCharge)."`

	NextInvoiceTotalRecurringAmount    *Decimal `parquet:"next_invoice_total_recurring_amount,optional,decimal(8:18)" doc:"What the next invoice bills for this item and its children, before tax (nextInvoiceTotalRecurringAmount; a float in the API, rounded to 8 decimals when it carries more). Sum it over depth = 0 rows."`
	NextInvoiceTotalRecurringTaxAmount *Decimal `parquet:"next_invoice_total_recurring_tax_amount,optional,decimal(8:18)" doc:"As the API gives it (documented as always zero; the account snapshot has the tax)."`
	NextInvoiceTotalOneTimeAmount      *Decimal `parquet:"next_invoice_total_one_time_amount,optional,decimal(8:18)" doc:"One-time charges the next invoice will bill for this item (nextInvoiceTotalOneTimeAmount)."`
	NextInvoiceTotalOneTimeTaxAmount   *Decimal `parquet:"next_invoice_total_one_time_tax_amount,optional,decimal(8:18)" doc:"Tax on them (nextInvoiceTotalOneTimeTaxAmount)."`

	OrderItemID       *int64     `parquet:"order_item_id,optional" doc:"The order item behind the billing item (orderItemId)."`
	OrderID           *int64     `parquet:"order_id,optional" doc:"The order behind the billing item (orderItem.order.id)."`
	OrderCreateDate   *time.Time `parquet:"order_create_date,optional,timestamp(microsecond)" doc:"When it was ordered (orderItem.order.createDate), as a UTC instant."`
	OrderedByUserID   *int64     `parquet:"ordered_by_user_id,optional" doc:"Who ordered it: the portal user id (orderItem.order.userRecordId)."`
	OrderedByUsername *string    `parquet:"ordered_by_username,optional" doc:"Who ordered it: the user name (userRecord.username). PII policy applies (column ordered_by_username)."`
	OrderedByName     *string    `parquet:"ordered_by_name,optional" doc:"Who ordered it: the display name (userRecord.displayName). PII policy applies (column ordered_by_name)."`
}
