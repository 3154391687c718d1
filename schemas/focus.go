package schemas

import (
	"fmt"
	"strings"
)

// The FOCUS view: the lake's invoice items as a FOCUS 1.2 CostAndUsage
// dataset, generated for Athena and DuckDB from one Go table of FOCUS column
// -> SQL expression (focusColumns). docs/FOCUS.md explains every mapping.
const (
	// FocusView is the name of the view in both dialects.
	FocusView = "focus_1_2"
	// FocusVersion is the FOCUS specification version the view follows
	// (FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec, tag v1.2).
	FocusVersion = "1.2"
)

// FocusType is the FOCUS data type of a column.
type FocusType string

// The FOCUS data types the view uses. FocusInteger is for x_ columns that
// carry SoftLayer's numeric ids unchanged.
const (
	FocusDecimal  FocusType = "Decimal"
	FocusString   FocusType = "String"
	FocusDateTime FocusType = "Date/Time"
	FocusInteger  FocusType = "Integer"
)

// FocusLevel is a column's feature level in the specification; extensions
// (x_ columns) have none.
type FocusLevel string

// Feature levels.
const (
	Mandatory   FocusLevel = "Mandatory"
	Recommended FocusLevel = "Recommended"
	Conditional FocusLevel = "Conditional"
	Extension   FocusLevel = "Extension"
)

// FocusColumn is one column of the FOCUS view.
type FocusColumn struct {
	Name   string     // FOCUS column id, or x_ name for a SoftLayer extension
	Level  FocusLevel // feature level in FOCUS 1.2
	Type   FocusType
	Source string // where the value comes from (lake columns, constants)
	Why    string // the reasoning behind a judgement call; empty when obvious
	expr   string // SQL over the charge row q and the lookups s (service) and d (datacenter)
}

// DuckDBType is the column's type in the DuckDB view.
func (c FocusColumn) DuckDBType() string { return duckDB.typeOf(c.Type) }

// AthenaType is the column's type in the Athena view.
func (c FocusColumn) AthenaType() string { return athenaSQL.typeOf(c.Type) }

// FocusColumns returns the view's columns in order: the FOCUS columns in
// alphabetical order, then the x_ extensions in alphabetical order.
func FocusColumns() []FocusColumn { return append([]FocusColumn(nil), focusColumns...) }

// dialect is what differs between the engines: type names and the bounds
// of a billing period as UTC instants. Everything else is SQL both accept.
type dialect struct {
	decimal, varchar, timestamp, bigint string
	// periodStart and periodEnd turn the partition string i.billing_period
	// ("YYYY-MM") into the month's bounds as UTC instants.
	periodStart, periodEnd string
}

var (
	duckDB = dialect{
		decimal: fmt.Sprintf("DECIMAL(%d,%d)", MoneyPrecision, MoneyScale), varchar: "VARCHAR",
		timestamp: "TIMESTAMP WITH TIME ZONE", bigint: "BIGINT",
		// A naive timestamp read as UTC: independent of the session's TimeZone.
		periodStart: "timezone('UTC', CAST(CAST(i.billing_period || '-01' AS DATE) AS TIMESTAMP))",
		periodEnd:   "timezone('UTC', CAST(CAST(i.billing_period || '-01' AS DATE) + INTERVAL '1' MONTH AS TIMESTAMP))",
	}
	athenaSQL = dialect{
		decimal: fmt.Sprintf("decimal(%d,%d)", MoneyPrecision, MoneyScale), varchar: "varchar",
		// The lake's timestamps are UTC instants in Athena's timestamp type.
		timestamp: "timestamp", bigint: "bigint",
		periodStart: "CAST(CAST(i.billing_period || '-01' AS DATE) AS timestamp)",
		periodEnd:   "CAST(date_add('month', 1, CAST(i.billing_period || '-01' AS DATE)) AS timestamp)",
	}
)

func (d dialect) typeOf(t FocusType) string {
	switch t {
	case FocusDecimal:
		return d.decimal
	case FocusString:
		return d.varchar
	case FocusDateTime:
		return d.timestamp
	case FocusInteger:
		return d.bigint
	}
	panic(fmt.Sprintf("schemas: unknown FOCUS type %q", t))
}

// The charge rows. Each invoice item becomes one row per non-zero amount
// the API gives it: its four fees (recurring, one-time, setup, labor) as
// charges and their four taxes as Tax rows, so every row has one charge
// category and one frequency, and the rows of an item add up to its
// total_amount exactly. An item with no non-zero amount becomes one zero
// row, so that every exported item is in the view.
type focusComponent struct {
	n        int    // 1..8; the fee kind is (n-1)%4+1
	property string // the SoftLayer_Billing_Invoice_Item property of the amount
	column   string // the lake column that holds it
	label    string // the fee, for the tax rows' description
	tax      bool
}

var focusComponents = []focusComponent{
	{1, "recurringFee", "recurring_fee", "recurring fee", false},
	{2, "oneTimeFee", "one_time_fee", "one-time fee", false},
	{3, "setupFee", "setup_fee", "setup fee", false},
	{4, "laborFee", "labor_fee", "labor fee", false},
	{5, "recurringTaxAmount", "recurring_tax_amount", "recurring fee", true},
	{6, "oneTimeTaxAmount", "one_time_tax_amount", "one-time fee", true},
	{7, "setupTaxAmount", "setup_tax_amount", "setup fee", true},
	{8, "laborTaxAmount", "labor_tax_amount", "labor fee", true},
}

// focusService names the service of a charge and classifies it. key is a
// resource service (the top-level item's, from the category map) or, for a
// charge without one, the top-level item's category code.
type focusService struct {
	key, name, category, subcategory string
	resourceType                     string // empty for codes without a resource
	why                              string // the category codes behind it, and the judgement
}

// focusServices: ServiceName, ServiceCategory and ServiceSubcategory per
// resource service (every code of the default category map leads to one of
// these) and per everyday code that has no resource. One name, one category.
// A charge matching none gets its resource service, or its top-level
// category name (code when nameless), as ServiceName, and category Other.
var focusServices = []focusService{
	{"SoftLayer_Hardware_Server", "Bare Metal Servers", "Compute", "Virtual Machines", "Bare Metal Server",
		"`server`. FOCUS puts bare metal under Virtual Machines (\"from hosts with abstracted operating systems to bare-metal servers\")."},
	{"SoftLayer_Virtual_Guest", "Virtual Servers", "Compute", "Virtual Machines", "Virtual Server", "`guest_core`."},
	{"SoftLayer_Virtual_DedicatedHost", "Dedicated Hosts", "Compute", "Virtual Machines", "Dedicated Host", "`dedicated_virtual_hosts`: hosts for virtual servers."},
	{"SoftLayer_Virtual_ReservedCapacityGroup", "Reserved Capacity", "Compute", "Virtual Machines", "Reserved Capacity Group", "`reserved_capacity`: capacity for virtual servers, bought for a term."},
	{"SoftLayer_Network_Storage", "Block and File Storage", "Storage", "Storage Platforms", "Storage Volume",
		"`storage_as_a_service`, `storage_service_enterprise`, `performance_storage_iscsi`, `performance_storage_nfs`: one service for block (iSCSI) and file (NFS) volumes, so \"a unified solution that supports multiple storage types\"."},
	{"SoftLayer_Network_Storage_Hub", "Object Storage", "Storage", "Object Storage", "Object Storage Account", "`hub`: Swift object storage."},
	{"SoftLayer_Network_Vlan", "VLANs", "Networking", "Network Infrastructure", "VLAN", "`network_vlan`."},
	{"SoftLayer_Network_Subnet", "Subnets and IP Addresses", "Networking", "Network Infrastructure", "Subnet",
		"`pri_ip_address`, `static_sec_ip_addresses`, `sec_ip_addresses`, `sov_sec_ip_addresses*`, `global_ipv4`, `global_ipv6`."},
	{"SoftLayer_Network_Vlan_Firewall", "Dedicated Hardware Firewalls", "Networking", "Network Security", "VLAN Firewall",
		"`vlan_firewall`. A network firewall: Networking's Network Security (\"firewalls and anti-malware tools\"), not the Security category (monitoring and compliance)."},
	{"SoftLayer_Network_Component_Firewall", "Hardware Firewalls", "Networking", "Network Security", "Server Firewall", "`firewall`, as above."},
	{"SoftLayer_Network_LBaaS_LoadBalancer", "Load Balancers", "Networking", "Application Networking", "Load Balancer",
		"`load_balancer_as_a_service`: \"distribution of incoming network traffic across application-based workloads\"."},
	{"SoftLayer_Network_Tunnel_Module_Context", "IPsec VPN", "Networking", "Network Connectivity", "IPsec VPN Tunnel", "`network_tunnel`: connects networks."},
	{"SoftLayer_Network_Message_Delivery", "Email Delivery", "Business Applications", "Other (Business Applications)", "Email Delivery Account",
		"`network_message_delivery`: an email sending service, an application rather than network plumbing."},
	// Top-level codes without a resource service.
	{"bandwidth", "Bandwidth", "Networking", "Network Connectivity", "", "`bandwidth` at the top level: data transfer overages."},
	{"labor_fee", "Labor", "Management and Governance", "Support", "", "`labor_fee`: remote hands, \"assistance and expertise supplied by providers\"."},
	{"credit", "Service Credits", "Other", "Other (Other)", "", "`credit`: credits that name no service."},
	{"one_time_charge", "One-Time Charges", "Other", "Other (Other)", "", "`one_time_charge`: upgrades, custom setups, billing adjustments of any service."},
	{"software_license", "Software Licenses", "Other", "Other (Other)", "",
		"`software_license`: licences of any software (operating systems, databases) attached to a server; FOCUS has no licence category."},
}

// focusCities names SoftLayer datacenters: location "dal10" is "Dallas 10",
// as the API's location.longName spells it. A location not of that shape,
// or of an unknown city, is its own RegionName.
var focusCities = [][2]string{
	{"ams", "Amsterdam"}, {"che", "Chennai"}, {"dal", "Dallas"}, {"fra", "Frankfurt"},
	{"hkg", "Hong Kong"}, {"hou", "Houston"}, {"lon", "London"}, {"mad", "Madrid"},
	{"mel", "Melbourne"}, {"mex", "Mexico"}, {"mil", "Milan"}, {"mon", "Montreal"},
	{"osa", "Osaka"}, {"osl", "Oslo"}, {"par", "Paris"}, {"sao", "Sao Paulo"},
	{"sea", "Seattle"}, {"seo", "Seoul"}, {"sjc", "San Jose"}, {"sng", "Singapore"},
	{"syd", "Sydney"}, {"tok", "Tokyo"}, {"tor", "Toronto"}, {"wdc", "Washington"},
}

// blankNull is expr, or NULL when it is empty or only spaces (FOCUS: no
// empty strings for NULL); other values keep their spacing.
func blankNull(expr string) string {
	return fmt.Sprintf("CASE WHEN TRIM(%s) = '' THEN NULL ELSE %s END", expr, expr)
}

const (
	resourceIDExpr = "CASE WHEN q.resource_service IS NOT NULL AND q.resource_id IS NOT NULL THEN q.resource_service || '/' || CAST(q.resource_id AS VARCHAR) END"
	regionIDExpr   = "CASE WHEN TRIM(q.location) = '' THEN NULL ELSE q.location END"
)

var focusColumns = []FocusColumn{
	{Name: "BilledCost", Level: Mandatory, Type: FocusDecimal, expr: "q.amount",
		Source: "`invoice_items`: the row's fee or tax amount (`x_AmountProperty` names which); 0 on the one row of an item with no non-zero amount",
		Why:    "SoftLayer's amounts are what the invoice bills, account discounts included; the rows of an invoice add up to its invoiceTotalAmount exactly."},
	{Name: "BillingAccountId", Level: Mandatory, Type: FocusString, expr: "q.account_id",
		Source: "`invoices.account_id`",
		Why:    "The SoftLayer account number, unique within IBM Cloud Classic; kept as the API and the portal show it."},
	{Name: "BillingAccountName", Level: Mandatory, Type: FocusString, expr: blankNull("q.company_name"),
		Source: "`invoices.company_name`",
		Why:    "The account's company name copied onto the invoice. It is a contact column under the PII policy: NULL under `drop` (the default), a digest under `hash`, the name under `keep`."},
	{Name: "BillingCurrency", Level: Mandatory, Type: FocusString, expr: "'USD'",
		Source: "constant `USD`",
		Why:    "The API reports every amount in US dollars (the lake's money convention)."},
	{Name: "BillingPeriodEnd", Level: Mandatory, Type: FocusDateTime, expr: "q.period_end",
		Source: "`billing_period` + 1 month, 00:00:00Z",
		Why:    "Exclusive end of the billing period's month, as a UTC instant."},
	{Name: "BillingPeriodStart", Level: Mandatory, Type: FocusDateTime, expr: "q.period_start",
		Source: "`billing_period`, first day 00:00:00Z",
		Why:    "SoftLayer's billing period is a month in US Central time (the partition key); FOCUS consumers group by UTC months, so the period is labelled with the same month in UTC (see Time)."},
	{Name: "ChargeCategory", Level: Mandatory, Type: FocusString, expr: "q.charge_category",
		Source: "the amount's property, `invoices.type_code`, `category_code`, `hourly_recurring_fee`, `create_date` vs `closed_date`",
		Why:    "Tax for a tax amount; Credit on CREDIT, REFUND and MANUAL_PAYMENT_CREDIT invoices and for the `credit` category; Adjustment for an item added to an invoice after it closed; Usage for the recurring fee of an hourly item (non-zero hourly rate, billed in arrears by the hour); Purchase otherwise (monthly, one-time, setup and labor fees)."},
	{Name: "ChargeClass", Level: Mandatory, Type: FocusString, expr: "CASE WHEN q.is_correction THEN 'Correction' END",
		Source: "`invoice_items.create_date`, `invoices.closed_date`, `invoices.type_code`",
		Why:    "Correction when the row corrects an already invoiced period: an item created after its invoice closed (a late adjustment), or a CREDIT or REFUND invoice closed more than a day after its billing period ended (a late credit; the day absorbs the API's time zone). NULL otherwise."},
	{Name: "ChargeDescription", Level: Mandatory, Type: FocusString,
		expr:   "CASE WHEN q.is_tax THEN 'Tax on ' || q.fee_label || COALESCE(': ' || " + blankNull("q.description") + ", '') ELSE " + blankNull("q.description") + " END",
		Source: "`invoice_items.description`; `Tax on <fee>: <description>` on tax rows",
		Why:    "The item's own description; NULL when the API sent an empty one."},
	{Name: "ChargeFrequency", Level: Recommended, Type: FocusString,
		expr:   "CASE WHEN q.base_category IN ('Credit', 'Adjustment') THEN 'One-Time' WHEN q.fee_kind = 1 AND q.base_category = 'Usage' THEN 'Usage-Based' WHEN q.fee_kind = 1 THEN 'Recurring' ELSE 'One-Time' END",
		Source: "the fee kind and the charge category of the charge (of the taxed charge on tax rows)",
		Why:    "Recurring fee: Usage-Based when hourly, Recurring when monthly; one-time, setup and labor fees, credits and adjustments: One-Time."},
	{Name: "ChargePeriodEnd", Level: Mandatory, Type: FocusDateTime, expr: "q.period_end",
		Source: "= BillingPeriodEnd",
		Why:    "The lake does not hold an item's billing-cycle dates (the API's newer `endDate`, the billing item's `cycleStartDate`), so the finest honest period is the billing period."},
	{Name: "ChargePeriodStart", Level: Mandatory, Type: FocusDateTime, expr: "q.period_start",
		Source: "= BillingPeriodStart", Why: "As ChargePeriodEnd."},
	{Name: "ConsumedQuantity", Level: Conditional, Type: FocusDecimal, expr: "CASE WHEN q.charge_category = 'Usage' THEN q.hours END",
		Source: "`recurring_fee / hourly_recurring_fee` on Usage rows",
		Why:    "The hours billed at the hourly rate. Exact when the API bills whole multiples of the rate (the suite checks ConsumedQuantity × x_HourlyRecurringFee = BilledCost); NULL on other rows, as the spec requires."},
	{Name: "ConsumedUnit", Level: Conditional, Type: FocusString, expr: "CASE WHEN q.charge_category = 'Usage' THEN 'Hours' END",
		Source: "constant `Hours` on Usage rows"},
	{Name: "ContractedCost", Level: Mandatory, Type: FocusDecimal, expr: "q.amount",
		Source: "= BilledCost",
		Why:    "Invoice items carry the price charged, with the account's negotiated discounts applied, and no unit price; without ContractedUnitPrice the spec makes it the billed cost."},
	{Name: "EffectiveCost", Level: Mandatory, Type: FocusDecimal, expr: "q.amount",
		Source: "= BilledCost",
		Why:    "Nothing on a SoftLayer invoice is a prepayment amortized over later charges."},
	{Name: "InvoiceId", Level: Recommended, Type: FocusString, expr: "q.invoice_id",
		Source: "`invoice_items.invoice_id`",
		Why:    "Every item is on an invoice (OPEN invoices are provisional and keep their id when they close)."},
	{Name: "InvoiceIssuerName", Level: Mandatory, Type: FocusString, expr: "'IBM'", Source: "constant `IBM`"},
	{Name: "ListCost", Level: Mandatory, Type: FocusDecimal, expr: "q.amount",
		Source: "= BilledCost",
		Why:    "The invoice has no list prices; with no ListUnitPrice the spec's fallback is the billed cost. Savings against list prices need the catalog, which is not in the lake."},
	{Name: "PricingCategory", Level: Conditional, Type: FocusString, expr: "CASE WHEN q.charge_category IN ('Usage', 'Purchase') THEN 'Standard' END",
		Source: "constant `Standard` on Usage and Purchase rows",
		Why:    "Items are billed at the account's agreed rates; the lake cannot tell a guest running on reserved capacity (Committed). NULL on Tax, Credit and Adjustment rows."},
	{Name: "PricingQuantity", Level: Mandatory, Type: FocusDecimal, expr: "CASE q.charge_category WHEN 'Usage' THEN q.hours WHEN 'Purchase' THEN 1 END",
		Source: "Usage: hours as ConsumedQuantity; Purchase: 1",
		Why:    "A monthly fee buys one billing cycle (a NEW invoice's first cycle is prorated, so it is not a month), a one-time fee one unit. NULL on Tax (required), Credit and Adjustment rows."},
	{Name: "PricingUnit", Level: Mandatory, Type: FocusString,
		expr:   "CASE q.charge_category WHEN 'Usage' THEN 'Hours' WHEN 'Purchase' THEN CASE WHEN q.fee_kind = 1 THEN 'Billing Cycles' ELSE 'Units' END END",
		Source: "`Hours`, `Billing Cycles` or `Units`, with PricingQuantity",
		Why:    "The units of SoftLayer's price list: per hour, per (monthly) billing cycle, per item."},
	{Name: "ProviderName", Level: Mandatory, Type: FocusString, expr: "'IBM'", Source: "constant `IBM`",
		Why: "As IBM's own FOCUS export names itself."},
	{Name: "PublisherName", Level: Mandatory, Type: FocusString, expr: "'IBM'", Source: "constant `IBM`",
		Why: "Third-party software (an OS or database licence) is resold by IBM; the lake cannot name its vendor."},
	{Name: "RegionId", Level: Conditional, Type: FocusString, expr: regionIDExpr,
		Source: "`invoice_items.location`",
		Why:    "The datacenter (e.g. dal10): SoftLayer deploys resources per datacenter. NULL for items without a location."},
	{Name: "RegionName", Level: Conditional, Type: FocusString,
		expr: "CASE WHEN (" + regionIDExpr + ") IS NULL THEN NULL WHEN d.city IS NOT NULL AND length(q.location) = 5 AND TRY_CAST(substr(q.location, 4) AS INTEGER) IS NOT NULL " +
			"THEN d.city || ' ' || CAST(TRY_CAST(substr(q.location, 4) AS INTEGER) AS VARCHAR) ELSE q.location END",
		Source: "`location` through a table of datacenter cities",
		Why:    "dal10 is Dallas 10, as the API's location.longName spells it; a location the table does not know is its own name."},
	{Name: "ResourceId", Level: Conditional, Type: FocusString, expr: resourceIDExpr,
		Source: "`resource_service` + `/` + `resource_id`",
		Why:    "The REST path of the resource (e.g. SoftLayer_Hardware_Server/1234): resourceTableId is unique within its service only. Every row of a hierarchy carries its top-level item's resource. NULL when either is unknown."},
	{Name: "ResourceName", Level: Conditional, Type: FocusString,
		expr:   "CASE WHEN (" + resourceIDExpr + ") IS NOT NULL AND TRIM(q.top_host_name) <> '' THEN q.top_host_name || COALESCE('.' || " + blankNull("q.top_domain_name") + ", '') END",
		Source: "the top-level item's `host_name` and `domain_name`",
		Why:    "The host's FQDN, on every row of its hierarchy; NULL for resources without a host name."},
	{Name: "ResourceType", Level: Conditional, Type: FocusString,
		expr:   "CASE WHEN (" + resourceIDExpr + ") IS NOT NULL THEN COALESCE(s.resource_type, q.resource_service) END",
		Source: "`resource_service` through the service table", Why: "A readable type per service; the service name when the table does not know it."},
	{Name: "ServiceCategory", Level: Mandatory, Type: FocusString, expr: "COALESCE(s.service_category, 'Other')",
		Source: "the service table", Why: "One of the 19 allowed values per service (see the table)."},
	{Name: "ServiceName", Level: Mandatory, Type: FocusString,
		expr:   "COALESCE(s.service_name, q.resource_service, " + blankNull("q.top_category_name") + ", q.top_category_code, q.category_code)",
		Source: "`resource_service`, or the top-level `category_code`, through the service table",
		Why:    "A readable name per SoftLayer service; otherwise the resource service, or the top-level item's category name (its code when nameless)."},
	{Name: "ServiceSubcategory", Level: Recommended, Type: FocusString, expr: "COALESCE(s.service_subcategory, 'Other (Other)')",
		Source: "the service table"},

	{Name: "x_AmountProperty", Level: Extension, Type: FocusString, expr: "q.amount_property",
		Source: "the SoftLayer_Billing_Invoice_Item property of BilledCost, e.g. `recurringFee`, `setupTaxAmount`"},
	{Name: "x_BillingItemId", Level: Extension, Type: FocusInteger, expr: "q.billing_item_id", Source: "`billing_item_id`"},
	{Name: "x_BillingPeriod", Level: Extension, Type: FocusString, expr: "q.billing_period",
		Source: "`billing_period` (YYYY-MM)", Why: "The partition key: filter on it and Athena reads only that month's files."},
	{Name: "x_CategoryCode", Level: Extension, Type: FocusString, expr: "q.category_code", Source: "`category_code`"},
	{Name: "x_CategoryName", Level: Extension, Type: FocusString, expr: blankNull("q.category_name"), Source: "`category_name`"},
	{Name: "x_HourlyRecurringFee", Level: Extension, Type: FocusDecimal, expr: "q.hourly_recurring_fee",
		Source: "`hourly_recurring_fee`", Why: "The hourly rate (a price, not an amount billed)."},
	{Name: "x_InvoiceItemId", Level: Extension, Type: FocusInteger, expr: "q.item_id", Source: "`item_id`"},
	{Name: "x_InvoiceStatusCode", Level: Extension, Type: FocusString, expr: "q.status_code", Source: "`invoices.status_code`"},
	{Name: "x_InvoiceTypeCode", Level: Extension, Type: FocusString, expr: "q.type_code", Source: "`invoices.type_code`"},
	{Name: "x_ParentInvoiceItemId", Level: Extension, Type: FocusInteger, expr: "q.parent_item_id", Source: "`parent_item_id`"},
	{Name: "x_ResourceService", Level: Extension, Type: FocusString, expr: "q.resource_service", Source: "`resource_service`"},
	{Name: "x_ResourceTableId", Level: Extension, Type: FocusInteger, expr: "q.resource_id", Source: "`resource_id`"},
	{Name: "x_TopLevelCategoryCode", Level: Extension, Type: FocusString, expr: "q.top_category_code", Source: "the top-level item's `category_code`"},
	{Name: "x_TopLevelInvoiceItemId", Level: Extension, Type: FocusInteger, expr: "q.top_level_item_id", Source: "`top_level_item_id`"},
}

// focusOmitted: the FOCUS 1.2 columns the view leaves out, each with the
// reason (the lake does not hold what they need, or SoftLayer has no such
// concept); docs/FOCUS.md lists them.
var focusOmitted = [][2]string{
	{"AvailabilityZone", "A SoftLayer datacenter is the region here (RegionId); the lake has no finer placement."},
	{"BillingAccountType", "SoftLayer has one kind of billing account."},
	{"CapacityReservationId, CapacityReservationStatus", "Reserved capacity is billed as its own resource; the lake cannot tell which guests ran on it."},
	{"CommitmentDiscountCategory, CommitmentDiscountId, CommitmentDiscountName, CommitmentDiscountQuantity, CommitmentDiscountStatus, CommitmentDiscountType, CommitmentDiscountUnit", "Invoice items carry no commitment discount."},
	{"ContractedUnitPrice, ListUnitPrice", "Invoice items carry the amount charged, not a unit price (a NEW invoice's recurring fee is prorated); list prices live in the product catalog, not in the lake."},
	{"PricingCurrency, PricingCurrencyContractedUnitPrice, PricingCurrencyEffectiveCost, PricingCurrencyListUnitPrice", "SoftLayer prices and bills in USD."},
	{"SkuId, SkuMeter, SkuPriceDetails, SkuPriceId", "The API gives each item's productItemId, but the lake does not store it yet (it would be SkuId)."},
	{"SubAccountId, SubAccountName, SubAccountType", "SoftLayer has no sub-account construct."},
	{"Tags", "Resource tags are not part of invoice data; the lake holds none."},
}

// focusBaseCategory is the ChargeCategory of a charge, and of the charge a
// tax row taxes (over r, the charge rows before the tax split is known).
const focusBaseCategory = "CASE WHEN r.type_code IN ('CREDIT', 'REFUND', 'MANUAL_PAYMENT_CREDIT') OR r.category_code = 'credit' THEN 'Credit'" +
	" WHEN r.is_late THEN 'Adjustment' WHEN r.fee_kind = 1 AND r.hourly_recurring_fee <> 0 THEN 'Usage' ELSE 'Purchase' END"

// focusSQL returns the query of the FOCUS view for a dialect, over the
// table references invoices and items.
func focusSQL(d dialect, invoices, items string) string {
	var b strings.Builder
	b.WriteString("SELECT\n")
	for i, c := range focusColumns {
		sep := ","
		if i == len(focusColumns)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "  CAST(%s AS %s) AS %s%s\n", c.expr, d.typeOf(c.Type), c.Name, sep)
	}
	// q: one row per charge, with what the columns derive from.
	b.WriteString("FROM (\n  SELECT r.*,\n")
	fmt.Fprintf(&b, "    %s AS base_category,\n", focusBaseCategory)
	fmt.Fprintf(&b, "    CASE WHEN r.is_tax THEN 'Tax' ELSE %s END AS charge_category,\n", focusBaseCategory)
	b.WriteString("    CASE WHEN r.is_late OR (r.type_code IN ('CREDIT', 'REFUND') AND r.closed_date >= r.period_end + INTERVAL '1' DAY) THEN TRUE ELSE FALSE END AS is_correction,\n")
	b.WriteString("    CASE WHEN r.fee_kind = 1 AND r.hourly_recurring_fee <> 0\n")
	fmt.Fprintf(&b, "         THEN CAST(ROUND(CAST(COALESCE(r.recurring_fee, 0) AS DOUBLE) / CAST(r.hourly_recurring_fee AS DOUBLE), %d) AS %s) END AS hours\n", MoneyScale, d.decimal)
	// r: the item crossed with its eight amounts, keeping the non-zero ones.
	b.WriteString("  FROM (\n    SELECT b.*, c.component, c.fee_kind, c.amount_property, c.fee_label, c.is_tax,\n")
	b.WriteString("      COALESCE(CASE c.component")
	for _, c := range focusComponents {
		fmt.Fprintf(&b, " WHEN %d THEN b.%s", c.n, c.column)
	}
	b.WriteString(" END, 0) AS amount,\n")
	b.WriteString("      CASE WHEN b.create_date > b.closed_date THEN TRUE ELSE FALSE END AS is_late\n")
	// b: the item with its invoice, the billing period bounds and what
	// every row of a hierarchy takes from its top-level item.
	b.WriteString("    FROM (\n      SELECT i.billing_period, i.invoice_id, i.item_id, i.parent_item_id, i.top_level_item_id,\n")
	b.WriteString("        i.category_code, i.category_name, i.resource_service, i.resource_id, i.billing_item_id,\n")
	b.WriteString("        i.description, i.location, i.hourly_recurring_fee, i.create_date,\n       ")
	for _, c := range focusComponents {
		fmt.Fprintf(&b, " i.%s,", c.column)
	}
	b.WriteString("\n        v.account_id, v.type_code, v.status_code, v.closed_date, v.company_name,\n")
	// Keep the non-zero amounts; an item with none keeps one zero row, for
	// its first fee the API sent (the recurring fee when it sent none).
	var nonzero []string
	for _, c := range focusComponents {
		nonzero = append(nonzero, fmt.Sprintf("COALESCE(i.%s, 0) <> 0", c.column))
	}
	fmt.Fprintf(&b, "        CASE WHEN %s THEN 0\n", strings.Join(nonzero, " OR "))
	b.WriteString("          WHEN i.recurring_fee IS NOT NULL THEN 1 WHEN i.one_time_fee IS NOT NULL THEN 2 WHEN i.setup_fee IS NOT NULL THEN 3 WHEN i.labor_fee IS NOT NULL THEN 4 ELSE 1 END AS zero_component,\n")
	b.WriteString("        t.category_code AS top_category_code, t.category_name AS top_category_name, t.host_name AS top_host_name, t.domain_name AS top_domain_name,\n")
	fmt.Fprintf(&b, "        %s AS period_start,\n        %s AS period_end\n", d.periodStart, d.periodEnd)
	fmt.Fprintf(&b, "      FROM %s i\n      LEFT JOIN %s v ON v.account_id = i.account_id AND v.billing_period = i.billing_period AND v.invoice_id = i.invoice_id\n", items, invoices)
	// The top-level item, by a join: a window over the hierarchy costs
	// DuckDB 20 times more.
	fmt.Fprintf(&b, "      LEFT JOIN %s t ON t.account_id = i.account_id AND t.billing_period = i.billing_period AND t.invoice_id = i.invoice_id AND t.item_id = i.top_level_item_id\n    ) b\n", items)
	b.WriteString("    CROSS JOIN (VALUES")
	for i, c := range focusComponents {
		sep := ","
		if i == len(focusComponents)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "\n      (%d, %d, '%s', '%s', %s)%s", c.n, (c.n-1)%4+1, c.property, c.label, strings.ToUpper(fmt.Sprint(c.tax)), sep)
	}
	b.WriteString("\n    ) AS c(component, fee_kind, amount_property, fee_label, is_tax)\n")
	b.WriteString("    WHERE COALESCE(CASE c.component")
	for _, c := range focusComponents {
		fmt.Fprintf(&b, " WHEN %d THEN b.%s", c.n, c.column)
	}
	b.WriteString(" END, 0) <> 0 OR c.component = b.zero_component\n")
	b.WriteString("  ) r\n) q\n")
	b.WriteString("LEFT JOIN (VALUES")
	for i, s := range focusServices {
		sep := ","
		if i == len(focusServices)-1 {
			sep = ""
		}
		rt := "NULL"
		if s.resourceType != "" {
			rt = "'" + s.resourceType + "'"
		}
		fmt.Fprintf(&b, "\n  ('%s', '%s', '%s', '%s', %s)%s", s.key, s.name, s.category, s.subcategory, rt, sep)
	}
	b.WriteString("\n) AS s(service_key, service_name, service_category, service_subcategory, resource_type)\n")
	b.WriteString("  ON s.service_key = COALESCE(q.resource_service, q.top_category_code)\n")
	b.WriteString("LEFT JOIN (VALUES")
	for i, c := range focusCities {
		sep := ","
		if i == len(focusCities)-1 {
			sep = ""
		}
		if i%6 == 0 {
			b.WriteString("\n ")
		}
		fmt.Fprintf(&b, " ('%s', '%s')%s", c[0], c[1], sep)
	}
	b.WriteString("\n) AS d(prefix, city)\n")
	b.WriteString("  ON d.prefix = substr(q.location, 1, 3)")
	return b.String()
}

// focusDoc is the comment above the view in the generated DDL.
const focusDoc = "FOCUS " + FocusVersion + " CostAndUsage: one row per non-zero fee or tax of every invoice item (one zero row for an item without any); " +
	"BilledCost adds up to each invoice's total. See docs/FOCUS.md."

// FocusMapping returns the generated part of docs/FOCUS.md: every column
// of the view with its source and reasoning, the FOCUS columns left out and
// why, the service table and the conformance checks.
func FocusMapping() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Columns of `%s`\n\n", FocusView)
	b.WriteString("| # | column | FOCUS level | type (DuckDB / Athena) | source | reasoning |\n|---|---|---|---|---|---|\n")
	for i, c := range focusColumns {
		level := string(c.Level)
		if c.Level == Extension {
			level = "extension"
		}
		fmt.Fprintf(&b, "| %d | `%s` | %s | %s / %s | %s | %s |\n", i+1, c.Name, level, c.DuckDBType(), c.AthenaType(), mdEscape(c.Source), mdEscape(c.Why))
	}
	b.WriteString("\n### FOCUS columns left out\n\n| column | why |\n|---|---|\n")
	for _, o := range focusOmitted {
		fmt.Fprintf(&b, "| %s | %s |\n", o[0], mdEscape(o[1]))
	}
	b.WriteString("\n### Services\n\nKeyed by the top-level item's resource service (from the category map) or, for a charge without one, its category code.\n\n")
	b.WriteString("| key | ServiceName | ServiceCategory | ServiceSubcategory | ResourceType | category codes (default category map), reasoning |\n|---|---|---|---|---|---|\n")
	for _, s := range focusServices {
		rt := s.resourceType
		if rt == "" {
			rt = "(no resource)"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n", s.key, s.name, s.category, s.subcategory, rt, mdEscape(s.why))
	}
	b.WriteString("| anything else | the resource service, else the top-level category name, else its code | Other | Other (Other) | the resource service | Nothing known about it: Other, as the spec requires when no category fits. |\n")
	checks := FocusChecks()
	fmt.Fprintf(&b, "\n### Conformance checks\n\n%d checks; a check applies when the dataset has the columns it is about. "+
		"The per-column families are one check per column.\n\n| check | rule |\n|---|---|\n", len(checks))
	for i := 0; i < len(checks); {
		c := checks[i]
		family, col, _ := strings.Cut(c.Name, "/")
		j := i + 1
		cols := []string{col}
		if family == "not-null" || family == "no-empty" || family == "numeric-format" || family == "datetime-format" {
			for ; j < len(checks) && strings.HasPrefix(checks[j].Name, family+"/"); j++ {
				cols = append(cols, strings.TrimPrefix(checks[j].Name, family+"/"))
			}
		}
		if j-i > 1 {
			rule := c.Rule
			if family == "not-null" {
				rule = "The column \"MUST NOT be null\" (columns/<column>.md)."
			}
			fmt.Fprintf(&b, "| `%s/`: %s | %s |\n", family, strings.Join(cols, ", "), mdEscape(rule))
		} else {
			fmt.Fprintf(&b, "| `%s` | %s |\n", c.Name, mdEscape(c.Rule))
		}
		i = j
	}
	return strings.TrimSuffix(b.String(), "\n")
}
