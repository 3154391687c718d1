package schemas

import "time"

// Table names: the top-level folders of a lake.
const (
	InvoicesTable = "invoices"
	ItemsTable    = "invoice_items"
)

// InvoiceRow is one row of the invoices table: one per invoice. The
// partition column billing_period lives in the folder name only
// (billing_period=YYYY-MM), never in the file. Timestamps are UTC instants.
type InvoiceRow struct {
	InvoiceID  int64      `parquet:"invoice_id"`
	AccountID  int64      `parquet:"account_id"`
	TypeCode   string     `parquet:"type_code,dict"`
	StatusCode string     `parquet:"status_code,dict"`
	CreateDate time.Time  `parquet:"create_date,timestamp(microsecond)"`
	ModifyDate *time.Time `parquet:"modify_date,optional,timestamp(microsecond)"`
	ClosedDate *time.Time `parquet:"closed_date,optional,timestamp(microsecond)"`

	StartingBalance *Decimal `parquet:"starting_balance,optional,decimal(8:18)"`
	EndingBalance   *Decimal `parquet:"ending_balance,optional,decimal(8:18)"`

	InvoiceTotalAmount             *Decimal `parquet:"invoice_total_amount,optional,decimal(8:18)"`
	InvoiceTotalPreTaxAmount       *Decimal `parquet:"invoice_total_pre_tax_amount,optional,decimal(8:18)"`
	InvoiceTotalRecurringAmount    *Decimal `parquet:"invoice_total_recurring_amount,optional,decimal(8:18)"`
	InvoiceTotalRecurringTaxAmount *Decimal `parquet:"invoice_total_recurring_tax_amount,optional,decimal(8:18)"`
	InvoiceTotalOneTimeAmount      *Decimal `parquet:"invoice_total_one_time_amount,optional,decimal(8:18)"`
	InvoiceTotalOneTimeTaxAmount   *Decimal `parquet:"invoice_total_one_time_tax_amount,optional,decimal(8:18)"`
	ItemCount                      *int64   `parquet:"item_count,optional"`

	// Reconciliation of the invoice's items against its totals.
	ItemsTotalAmount Decimal `parquet:"items_total_amount,decimal(8:18)"` // sum of the items' total_amount
	ItemRows         int64   `parquet:"item_rows"`                        // rows written to invoice_items
	Reconciled       bool    `parquet:"reconciled"`
	ReconcileIssues  *string `parquet:"reconcile_issues,optional"` // nil when reconciled

	// Contact columns, subject to the PII policy: NULL under "drop", an
	// HMAC-SHA256 hex digest under "hash", the value under "keep".
	CompanyName *string `parquet:"company_name,optional"`
	FirstName   *string `parquet:"first_name,optional"`
	LastName    *string `parquet:"last_name,optional"`
	Address1    *string `parquet:"address1,optional"`
	Address2    *string `parquet:"address2,optional"`
	City        *string `parquet:"city,optional"`
	State       *string `parquet:"state,optional"`
	PostalCode  *string `parquet:"postal_code,optional"`
	Country     *string `parquet:"country,optional"`
	Email       *string `parquet:"email,optional"`
	OfficePhone *string `parquet:"office_phone,optional"`
	FaxPhone    *string `parquet:"fax_phone,optional"`
}

// ItemRow is one row of the invoice_items table: one per invoice item at
// every level of the hierarchy. total_amount is this item's own fees plus
// taxes, children excluded, so SUM(total_amount) never double counts.
type ItemRow struct {
	InvoiceID      int64  `parquet:"invoice_id"`
	ItemID         int64  `parquet:"item_id"`
	ParentItemID   *int64 `parquet:"parent_item_id,optional"`
	TopLevelItemID int64  `parquet:"top_level_item_id"`
	Depth          int32  `parquet:"depth"` // 0 for top-level items

	CategoryCode    string  `parquet:"category_code,dict"`
	CategoryName    *string `parquet:"category_name,optional,dict"`
	ResourceService *string `parquet:"resource_service,optional,dict"` // of the top-level item; NULL when its code is unknown
	ResourceID      *int64  `parquet:"resource_id,optional"`           // the top-level item's resourceTableId
	BillingItemID   *int64  `parquet:"billing_item_id,optional"`

	Description string  `parquet:"description"`
	HostName    *string `parquet:"host_name,optional"`
	DomainName  *string `parquet:"domain_name,optional"`
	Location    *string `parquet:"location,optional,dict"`

	RecurringFee       *Decimal `parquet:"recurring_fee,optional,decimal(8:18)"`
	HourlyRecurringFee *Decimal `parquet:"hourly_recurring_fee,optional,decimal(8:18)"`
	OneTimeFee         *Decimal `parquet:"one_time_fee,optional,decimal(8:18)"`
	SetupFee           *Decimal `parquet:"setup_fee,optional,decimal(8:18)"`
	LaborFee           *Decimal `parquet:"labor_fee,optional,decimal(8:18)"`
	RecurringTaxAmount *Decimal `parquet:"recurring_tax_amount,optional,decimal(8:18)"`
	OneTimeTaxAmount   *Decimal `parquet:"one_time_tax_amount,optional,decimal(8:18)"`
	SetupTaxAmount     *Decimal `parquet:"setup_tax_amount,optional,decimal(8:18)"`
	LaborTaxAmount     *Decimal `parquet:"labor_tax_amount,optional,decimal(8:18)"`
	TotalAmount        Decimal  `parquet:"total_amount,decimal(8:18)"`

	CreateDate *time.Time `parquet:"create_date,optional,timestamp(microsecond)"`
}
