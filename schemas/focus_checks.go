package schemas

import (
	"fmt"
	"slices"
	"strings"
)

// The FOCUS conformance suite: the normative statements of the FOCUS 1.2
// specification that a dataset's own content can show, as DuckDB queries.
// The spec's tables below are transcribed from FOCUS_Spec v1.2
// (specification/columns/*.md and specification/attributes/*.md), apart from
// the view's generator (focus.go), so that the suite judges the view instead
// of repeating it.

// FocusSpecColumn is a column as FOCUS 1.2 defines it.
type FocusSpecColumn struct {
	Name     string
	Level    FocusLevel
	Type     string // Decimal, String, Date/Time or JSON
	Nullable bool   // "Allows nulls" in the column's content constraints
}

// FocusSpecColumns returns every column FOCUS 1.2 defines.
func FocusSpecColumns() []FocusSpecColumn { return append([]FocusSpecColumn(nil), focusSpec...) }

var focusSpec = []FocusSpecColumn{
	{"AvailabilityZone", Recommended, "String", true},
	{"BilledCost", Mandatory, "Decimal", false},
	{"BillingAccountId", Mandatory, "String", false},
	{"BillingAccountName", Mandatory, "String", true},
	{"BillingAccountType", Conditional, "String", false},
	{"BillingCurrency", Mandatory, "String", false},
	{"BillingPeriodEnd", Mandatory, "Date/Time", false},
	{"BillingPeriodStart", Mandatory, "Date/Time", false},
	{"CapacityReservationId", Conditional, "String", true},
	{"CapacityReservationStatus", Conditional, "String", true},
	{"ChargeCategory", Mandatory, "String", false},
	{"ChargeClass", Mandatory, "String", true},
	{"ChargeDescription", Mandatory, "String", true},
	{"ChargeFrequency", Recommended, "String", false},
	{"ChargePeriodEnd", Mandatory, "Date/Time", false},
	{"ChargePeriodStart", Mandatory, "Date/Time", false},
	{"CommitmentDiscountCategory", Conditional, "String", true},
	{"CommitmentDiscountId", Conditional, "String", true},
	{"CommitmentDiscountName", Conditional, "String", true},
	{"CommitmentDiscountQuantity", Conditional, "Decimal", true},
	{"CommitmentDiscountStatus", Conditional, "String", true},
	{"CommitmentDiscountType", Conditional, "String", true},
	{"CommitmentDiscountUnit", Conditional, "String", true},
	{"ConsumedQuantity", Conditional, "Decimal", true},
	{"ConsumedUnit", Conditional, "String", true},
	{"ContractedCost", Mandatory, "Decimal", false},
	{"ContractedUnitPrice", Conditional, "Decimal", true},
	{"EffectiveCost", Mandatory, "Decimal", false},
	{"InvoiceId", Recommended, "String", true},
	{"InvoiceIssuerName", Mandatory, "String", false},
	{"ListCost", Mandatory, "Decimal", false},
	{"ListUnitPrice", Conditional, "Decimal", true},
	{"PricingCategory", Conditional, "String", true},
	{"PricingCurrency", Conditional, "String", true},
	{"PricingCurrencyContractedUnitPrice", Conditional, "Decimal", true},
	{"PricingCurrencyEffectiveCost", Conditional, "Decimal", true},
	{"PricingCurrencyListUnitPrice", Conditional, "Decimal", true},
	{"PricingQuantity", Mandatory, "Decimal", true},
	{"PricingUnit", Mandatory, "String", true},
	{"ProviderName", Mandatory, "String", false},
	{"PublisherName", Mandatory, "String", false},
	{"RegionId", Conditional, "String", true},
	{"RegionName", Conditional, "String", true},
	{"ResourceId", Conditional, "String", true},
	{"ResourceName", Conditional, "String", true},
	{"ResourceType", Conditional, "String", true},
	{"ServiceCategory", Mandatory, "String", false},
	{"ServiceName", Mandatory, "String", false},
	{"ServiceSubcategory", Recommended, "String", false},
	{"SkuId", Conditional, "String", true},
	{"SkuMeter", Conditional, "String", true},
	{"SkuPriceDetails", Conditional, "JSON", true},
	{"SkuPriceId", Conditional, "String", true},
	{"SubAccountId", Conditional, "String", true},
	{"SubAccountName", Conditional, "String", true},
	{"SubAccountType", Conditional, "String", true},
	{"Tags", Conditional, "JSON", true},
}

// focusNotNull: the columns whose nullability says "MUST NOT be null"
// outright (PricingCurrency and PricingCurrencyEffectiveCost say so in their
// requirements although their constraints table allows nulls).
var focusNotNull = []string{
	"BilledCost", "BillingAccountId", "BillingAccountType", "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart",
	"ChargeCategory", "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart", "ContractedCost", "EffectiveCost",
	"InvoiceIssuerName", "ListCost", "PricingCurrency", "PricingCurrencyEffectiveCost", "ProviderName", "PublisherName",
	"ServiceCategory", "ServiceName", "ServiceSubcategory",
}

var (
	focusChargeCategories  = []string{"Usage", "Purchase", "Tax", "Credit", "Adjustment"}
	focusChargeFrequencies = []string{"One-Time", "Recurring", "Usage-Based"}
	focusPricingCategories = []string{"Standard", "Dynamic", "Committed", "Other"}
	// specification/columns/servicesubcategory.md: subcategory -> category.
	focusSubcategories = [][2]string{
		{"AI and Machine Learning", "AI Platforms"}, {"AI and Machine Learning", "Bots"}, {"AI and Machine Learning", "Generative AI"},
		{"AI and Machine Learning", "Machine Learning"}, {"AI and Machine Learning", "Natural Language Processing"},
		{"AI and Machine Learning", "Other (AI and Machine Learning)"},
		{"Analytics", "Analytics Platforms"}, {"Analytics", "Business Intelligence"}, {"Analytics", "Data Processing"},
		{"Analytics", "Search"}, {"Analytics", "Streaming Analytics"}, {"Analytics", "Other (Analytics)"},
		{"Business Applications", "Productivity and Collaboration"}, {"Business Applications", "Other (Business Applications)"},
		{"Compute", "Containers"}, {"Compute", "End User Computing"}, {"Compute", "Quantum Compute"},
		{"Compute", "Serverless Compute"}, {"Compute", "Virtual Machines"}, {"Compute", "Other (Compute)"},
		{"Databases", "Caching"}, {"Databases", "Data Warehouses"}, {"Databases", "Ledger Databases"},
		{"Databases", "NoSQL Databases"}, {"Databases", "Relational Databases"}, {"Databases", "Time Series Databases"},
		{"Databases", "Other (Databases)"},
		{"Developer Tools", "Developer Platforms"}, {"Developer Tools", "Continuous Integration and Deployment"},
		{"Developer Tools", "Development Environments"}, {"Developer Tools", "Source Code Management"},
		{"Developer Tools", "Quality Assurance"}, {"Developer Tools", "Other (Developer Tools)"},
		{"Identity", "Identity and Access Management"}, {"Identity", "Other (Identity)"},
		{"Integration", "API Management"}, {"Integration", "Messaging"}, {"Integration", "Workflow Orchestration"},
		{"Integration", "Other (Integration)"},
		{"Internet of Things", "IoT Analytics"}, {"Internet of Things", "IoT Platforms"}, {"Internet of Things", "Other (Internet of Things)"},
		{"Management and Governance", "Architecture"}, {"Management and Governance", "Compliance"},
		{"Management and Governance", "Cost Management"}, {"Management and Governance", "Data Governance"},
		{"Management and Governance", "Disaster Recovery"}, {"Management and Governance", "Endpoint Management"},
		{"Management and Governance", "Observability"}, {"Management and Governance", "Support"},
		{"Management and Governance", "Other (Management and Governance)"},
		{"Media", "Content Creation"}, {"Media", "Gaming"}, {"Media", "Media Streaming"}, {"Media", "Mixed Reality"},
		{"Media", "Other (Media)"},
		{"Migration", "Data Migration"}, {"Migration", "Resource Migration"}, {"Migration", "Other (Migration)"},
		{"Mobile", "Other (Mobile)"},
		{"Multicloud", "Multicloud Integration"}, {"Multicloud", "Other (Multicloud)"},
		{"Networking", "Application Networking"}, {"Networking", "Content Delivery"}, {"Networking", "Network Connectivity"},
		{"Networking", "Network Infrastructure"}, {"Networking", "Network Routing"}, {"Networking", "Network Security"},
		{"Networking", "Other (Networking)"},
		{"Security", "Secret Management"}, {"Security", "Security Posture Management"},
		{"Security", "Threat Detection and Response"}, {"Security", "Other (Security)"},
		{"Storage", "Backup Storage"}, {"Storage", "Block Storage"}, {"Storage", "File Storage"}, {"Storage", "Object Storage"},
		{"Storage", "Storage Platforms"}, {"Storage", "Other (Storage)"},
		{"Web", "Application Platforms"}, {"Web", "Other (Web)"},
		{"Other", "Other (Other)"},
	}
)

// focusServiceCategories returns the 19 ServiceCategory values, in the
// order of the subcategory table.
func focusServiceCategories() []string {
	var out []string
	for _, p := range focusSubcategories {
		if !slices.Contains(out, p[0]) {
			out = append(out, p[0])
		}
	}
	return out
}

// FocusCheck is one check of the conformance suite: a DuckDB query that
// answers one row, the number of rows (or columns) that break the rule and
// an example of one.
type FocusCheck struct {
	Name  string
	Rule  string   // the statement it checks, and where the specification makes it
	Needs []string // the columns the rule is about: it applies only to a dataset that has them
	query string
}

// Applies reports whether the check applies to a dataset with the columns
// present.
func (c FocusCheck) Applies(present map[string]bool) bool {
	for _, n := range c.Needs {
		if !present[n] {
			return false
		}
	}
	return true
}

// SQL returns the check's query over the FOCUS relation focus, with the
// lake's invoices and invoice_items tables for the checks that compare with
// them. present names the columns focus has: a column the rule mentions
// only in passing ("when ListUnitPrice is null") reads as NULL when absent.
func (c FocusCheck) SQL(focus, invoices, items string, present map[string]bool) string {
	r := []string{"{focus}", focus, "{invoices}", invoices, "{invoice_items}", items}
	for _, s := range focusSpec {
		v := "CAST(NULL AS VARCHAR)"
		if s.Type == "Decimal" {
			v = "CAST(NULL AS DECIMAL(18,8))"
		}
		if present[s.Name] {
			v = "f." + s.Name
		}
		r = append(r, "{?"+s.Name+"}", v)
	}
	return strings.NewReplacer(r...).Replace(c.query)
}

// example renders an offending row of f for a check's answer.
const example = "min(left(CAST(f AS VARCHAR), 400))"

// rowCheck is a check that a row condition never holds.
func rowCheck(name, rule string, needs []string, violation string) FocusCheck {
	return FocusCheck{Name: name, Rule: rule, Needs: needs,
		query: fmt.Sprintf("SELECT count(*), %s FROM {focus} f WHERE %s", example, violation)}
}

func sqlList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = "'" + v + "'"
	}
	return strings.Join(q, ", ")
}

func sqlRows(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = "('" + v + "')"
	}
	return strings.Join(q, ", ")
}

func specNames(keep func(FocusSpecColumn) bool) []string {
	var out []string
	for _, s := range focusSpec {
		if keep(s) {
			out = append(out, s.Name)
		}
	}
	return out
}

// product multiplies two decimals exactly: DuckDB gives a product of
// DECIMAL(18,8) operands 16 fractional digits, which overflows at 100.
func product(a, b string) string {
	return fmt.Sprintf("CAST(%s AS DECIMAL(38,10)) * CAST(%s AS DECIMAL(38,10))", a, b)
}

// notCorrection holds on rows that are not corrections of a previous period.
const notCorrection = "f.ChargeClass IS DISTINCT FROM 'Correction'"

// FocusChecks returns the conformance suite.
func FocusChecks() []FocusCheck {
	mandatory := specNames(func(s FocusSpecColumn) bool { return s.Level == Mandatory })
	var types []string
	for _, s := range focusSpec {
		types = append(types, fmt.Sprintf("('%s', '%s')", s.Name, s.Type))
	}
	checks := []FocusCheck{
		{Name: "columns/mandatory-present", Rule: "Every Mandatory column \"MUST be present in a FOCUS dataset\" (specification/columns/*.md).",
			query: fmt.Sprintf("SELECT count(*), min(name) FROM (VALUES %s) AS m(name) WHERE name NOT IN (SELECT column_name FROM (DESCRIBE {focus}))", sqlRows(mandatory))},
		{Name: "columns/types", Rule: "Each column \"MUST be of type\" Decimal, String, Date/Time or JSON (columns/*.md); Date/Time values \"MUST be in UTC\" (attributes/datetime_format.md). " +
			"Decimal must be an exact DECIMAL here (the spec also admits IEEE 754 floating point; invoicelake keeps money exact); Date/Time a TIMESTAMP WITH TIME ZONE, an instant.",
			query: fmt.Sprintf("SELECT count(*), min(d.column_name || ' ' || d.column_type) FROM (DESCRIBE {focus}) d JOIN (VALUES %s) AS s(name, type) ON d.column_name = s.name "+
				"WHERE NOT CASE s.type WHEN 'Decimal' THEN d.column_type LIKE 'DECIMAL(%%' WHEN 'String' THEN d.column_type = 'VARCHAR' "+
				"WHEN 'Date/Time' THEN d.column_type = 'TIMESTAMP WITH TIME ZONE' ELSE d.column_type IN ('JSON', 'VARCHAR') END", strings.Join(types, ", "))},
		{Name: "columns/custom-prefix", Rule: "Custom columns \"MUST be prefixed with a consistent x_ prefix\" and SHOULD follow the FOCUS naming rules (Pascal case, alphanumeric) (attributes/column_handling.md).",
			query: fmt.Sprintf("SELECT count(*), min(column_name) FROM (DESCRIBE {focus}) WHERE column_name NOT IN (%s) AND NOT regexp_full_match(column_name, 'x_[A-Z][A-Za-z0-9]*')",
				sqlList(specNames(func(FocusSpecColumn) bool { return true })))},
		{Name: "columns/custom-last", Rule: "\"Custom columns SHOULD be listed after all FOCUS columns and SHOULD NOT be intermixed\" (attributes/column_handling.md).",
			query: "SELECT count(*), min(column_name) FROM information_schema.columns c WHERE table_name = '{focus}' AND NOT starts_with(column_name, 'x_') " +
				"AND ordinal_position > (SELECT min(ordinal_position) FROM information_schema.columns WHERE table_name = '{focus}' AND starts_with(column_name, 'x_'))"},
	}
	for _, n := range focusNotNull {
		checks = append(checks, rowCheck("not-null/"+n, n+" \"MUST NOT be null\" (columns/"+strings.ToLower(n)+".md).", []string{n}, "f."+n+" IS NULL"))
	}
	for _, s := range focusSpec {
		switch s.Type {
		case "String", "JSON":
			checks = append(checks, rowCheck("no-empty/"+s.Name,
				"Columns \"MUST NOT use empty strings or placeholder values such as ... 'Not Applicable' ... to represent a null\" (attributes/null_handling.md); "+
					"blank strings \"SHOULD NOT be used\" (attributes/string_handling.md).",
				[]string{s.Name}, fmt.Sprintf("TRIM(f.%s) = '' OR upper(TRIM(f.%s)) IN ('N/A', 'NOT APPLICABLE', 'NULL', 'NONE')", s.Name, s.Name)))
		case "Decimal":
			checks = append(checks, rowCheck("numeric-format/"+s.Name,
				"Numeric values are a single integer, decimal or E-notation value, with no sign for positive values, no commas and no symbols, and \"MUST be a valid decimal value\" (attributes/numeric_format.md).",
				[]string{s.Name}, fmt.Sprintf("NOT regexp_full_match(CAST(f.%s AS VARCHAR), '-?[0-9]+(\\.[0-9]+)?([Ee]-?[0-9]+)?')", s.Name)))
		case "Date/Time":
			checks = append(checks, rowCheck("datetime-format/"+s.Name,
				"Date/time values are \"represented in the extended ISO 8601 format with UTC offset ('YYYY-MM-DDTHH:mm:ssZ')\": whole seconds (attributes/datetime_format.md).",
				[]string{s.Name}, fmt.Sprintf("epoch_us(f.%s) %% 1000000 <> 0", s.Name)))
		}
	}
	allowed := func(col, file string, vs []string) FocusCheck {
		return rowCheck("allowed-values/"+col, col+" \"MUST be one of the allowed values\" ("+file+"): "+strings.Join(vs, ", ")+".",
			[]string{col}, fmt.Sprintf("f.%s IS NOT NULL AND f.%s NOT IN (%s)", col, col, sqlList(vs)))
	}
	var subcategoryRows []string
	for _, p := range focusSubcategories {
		subcategoryRows = append(subcategoryRows, fmt.Sprintf("('%s', '%s')", p[0], p[1]))
	}
	checks = append(checks,
		allowed("ChargeCategory", "columns/chargecategory.md", focusChargeCategories),
		allowed("ChargeClass", "columns/chargeclass.md", []string{"Correction"}),
		allowed("ChargeFrequency", "columns/chargefrequency.md", focusChargeFrequencies),
		allowed("ServiceCategory", "columns/servicecategory.md", focusServiceCategories()),
		allowed("PricingCategory", "columns/pricingcategory.md", focusPricingCategories),
		FocusCheck{Name: "allowed-values/ServiceSubcategory", Needs: []string{"ServiceCategory", "ServiceSubcategory"},
			Rule: "ServiceSubcategory \"MUST be one of the allowed values\" and \"MUST have one and only one parent ServiceCategory as specified in the allowed values\" (columns/servicesubcategory.md).",
			query: fmt.Sprintf("SELECT count(*), %s FROM {focus} f LEFT JOIN (VALUES %s) AS a(category, subcategory) "+
				"ON a.category = f.ServiceCategory AND a.subcategory = f.ServiceSubcategory WHERE f.ServiceSubcategory IS NOT NULL AND a.subcategory IS NULL", example, strings.Join(subcategoryRows, ", "))},
		rowCheck("currency-format/BillingCurrency", "BillingCurrency \"MUST conform to CurrencyFormat\", a three-letter ISO 4217 code, and \"MUST be expressed in national currency\" (columns/billingcurrency.md, attributes/currency_format.md).",
			[]string{"BillingCurrency"}, "NOT regexp_full_match(f.BillingCurrency, '[A-Z]{3}')"),
		rowCheck("currency-format/PricingCurrency", "PricingCurrency \"MUST conform to CurrencyFormat\" (columns/pricingcurrency.md).",
			[]string{"PricingCurrency"}, "NOT regexp_full_match(f.PricingCurrency, '[A-Z]{3}')"),
		rowCheck("period/billing-end-after-start", "BillingPeriodStart is the inclusive start bound and BillingPeriodEnd the exclusive end bound of the billing period (columns/billingperiodstart.md, billingperiodend.md): end after start.",
			[]string{"BillingPeriodStart", "BillingPeriodEnd"}, "f.BillingPeriodEnd <= f.BillingPeriodStart"),
		rowCheck("period/charge-end-after-start", "ChargePeriodStart is the inclusive start bound and ChargePeriodEnd the exclusive end bound of the charge period (columns/chargeperiodstart.md, chargeperiodend.md): end after start.",
			[]string{"ChargePeriodStart", "ChargePeriodEnd"}, "f.ChargePeriodEnd <= f.ChargePeriodStart"),
		rowCheck("period/charge-within-billing", "A charge that is not a correction of a previously invoiced period lies in the billing period it is invoiced for (BillingPeriod*: \"includes charges for\" the period; ChargeClass Correction marks the exceptions).",
			[]string{"ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd", "ChargeClass"},
			notCorrection+" AND (f.ChargePeriodStart < f.BillingPeriodStart OR f.ChargePeriodEnd > f.BillingPeriodEnd)"),
		rowCheck("relation/frequency-of-purchase", "ChargeFrequency \"MUST NOT be 'Usage-Based' when ChargeCategory is 'Purchase'\" (columns/chargefrequency.md).",
			[]string{"ChargeFrequency", "ChargeCategory"}, "f.ChargeCategory = 'Purchase' AND f.ChargeFrequency = 'Usage-Based'"),
		rowCheck("nullability/PricingQuantity", "PricingQuantity \"MUST be null when ChargeCategory is 'Tax'\" and \"MUST NOT be null when ChargeCategory is 'Usage' or 'Purchase' and ChargeClass is not 'Correction'\" (columns/pricingquantity.md).",
			[]string{"PricingQuantity", "ChargeCategory", "ChargeClass"},
			"(f.ChargeCategory = 'Tax' AND f.PricingQuantity IS NOT NULL) OR (f.ChargeCategory IN ('Usage', 'Purchase') AND "+notCorrection+" AND f.PricingQuantity IS NULL)"),
		rowCheck("nullability/PricingUnit", "PricingUnit \"MUST be null when PricingQuantity is null\" and \"MUST NOT be null when PricingQuantity is not null\" (columns/pricingunit.md).",
			[]string{"PricingUnit", "PricingQuantity"}, "(f.PricingQuantity IS NULL) <> (f.PricingUnit IS NULL)"),
		rowCheck("nullability/PricingCategory", "PricingCategory \"MUST be null when ChargeCategory is 'Tax'\" and \"MUST NOT be null when ChargeCategory is 'Usage' or 'Purchase' and ChargeClass is not 'Correction'\" (columns/pricingcategory.md).",
			[]string{"PricingCategory", "ChargeCategory", "ChargeClass"},
			"(f.ChargeCategory = 'Tax' AND f.PricingCategory IS NOT NULL) OR (f.ChargeCategory IN ('Usage', 'Purchase') AND "+notCorrection+" AND f.PricingCategory IS NULL)"),
		rowCheck("nullability/ConsumedQuantity", "ConsumedQuantity \"MUST be null when ChargeCategory is not 'Usage', or when ChargeCategory is 'Usage' and CommitmentDiscountStatus is 'Unused'\", and \"MUST NOT be null\" on other Usage rows unless ChargeClass is 'Correction' (columns/consumedquantity.md).",
			[]string{"ConsumedQuantity", "ChargeCategory", "ChargeClass"},
			"(f.ConsumedQuantity IS NOT NULL AND (f.ChargeCategory <> 'Usage' OR {?CommitmentDiscountStatus} = 'Unused')) OR "+
				"(f.ChargeCategory = 'Usage' AND {?CommitmentDiscountStatus} IS DISTINCT FROM 'Unused' AND "+notCorrection+" AND f.ConsumedQuantity IS NULL)"),
		rowCheck("nullability/ConsumedUnit", "ConsumedUnit \"MUST be null when ConsumedQuantity is null\" and \"MUST NOT be null when ConsumedQuantity is not null\" (columns/consumedunit.md).",
			[]string{"ConsumedUnit", "ConsumedQuantity"}, "(f.ConsumedQuantity IS NULL) <> (f.ConsumedUnit IS NULL)"),
		rowCheck("nullability/ResourceType", "ResourceType \"MUST be null when ResourceId is null\" and \"MUST NOT be null when ResourceId is not null\" (columns/resourcetype.md).",
			[]string{"ResourceType", "ResourceId"}, "(f.ResourceId IS NULL) <> (f.ResourceType IS NULL)"),
		rowCheck("nullability/ResourceName", "ResourceName \"MUST be null when ResourceId is null\" and \"MUST NOT duplicate ResourceId\" when the resource only has a system-generated id (columns/resourcename.md).",
			[]string{"ResourceName", "ResourceId"}, "(f.ResourceId IS NULL AND f.ResourceName IS NOT NULL) OR f.ResourceName = f.ResourceId"),
		rowCheck("nullability/RegionName", "RegionName \"MUST be null when RegionId is null\" and \"MUST NOT be null when RegionId is not null\" (columns/regionname.md).",
			[]string{"RegionName", "RegionId"}, "(f.RegionId IS NULL) <> (f.RegionName IS NULL)"),
		rowCheck("nullability/SubAccountName", "SubAccountName \"MUST be null when SubAccountId is null\" and \"MUST NOT be null when SubAccountId is not null\" (columns/subaccountname.md).",
			[]string{"SubAccountName", "SubAccountId"}, "(f.SubAccountId IS NULL) <> (f.SubAccountName IS NULL)"),
		rowCheck("nullability/SkuId", "SkuId \"MUST be null when ChargeCategory is 'Tax'\" and \"MUST NOT be null when ChargeCategory is 'Usage' or 'Purchase' and ChargeClass is not 'Correction'\" (columns/skuid.md).",
			[]string{"SkuId", "ChargeCategory", "ChargeClass"},
			"(f.ChargeCategory = 'Tax' AND f.SkuId IS NOT NULL) OR (f.ChargeCategory IN ('Usage', 'Purchase') AND "+notCorrection+" AND f.SkuId IS NULL)"),
	)
	for _, p := range [][2]string{{"ListUnitPrice", "ListCost"}, {"ContractedUnitPrice", "ContractedCost"}} {
		price, cost := p[0], p[1]
		file := "columns/" + strings.ToLower(price) + ".md"
		checks = append(checks,
			rowCheck("nullability/"+price, price+" \"MUST be null when ChargeCategory is 'Tax'\" and \"MUST NOT be null when ChargeCategory is 'Usage' or 'Purchase' and ChargeClass is not 'Correction'\"; when not null it \"MUST be a non-negative decimal value\" ("+file+").",
				[]string{price, "ChargeCategory", "ChargeClass"},
				fmt.Sprintf("(f.ChargeCategory = 'Tax' AND f.%[1]s IS NOT NULL) OR (f.ChargeCategory IN ('Usage', 'Purchase') AND %[2]s AND f.%[1]s IS NULL) OR f.%[1]s < 0", price, notCorrection)),
			rowCheck("relation/"+price+"-times-quantity", "\"The product of "+price+" and PricingQuantity MUST match the "+cost+" when "+price+" is not null, PricingQuantity is not null, and ChargeClass is not 'Correction'\" (columns/"+strings.ToLower(cost)+".md).",
				[]string{price, cost, "PricingQuantity", "ChargeClass"},
				fmt.Sprintf("f.%s IS NOT NULL AND f.PricingQuantity IS NOT NULL AND %s AND %s <> f.%s", price, notCorrection, product("f."+price, "f.PricingQuantity"), cost)),
			rowCheck("relation/"+cost+"-of-credit", cost+" of a charge unrelated to other charges (ChargeCategory 'Credit') \"MUST match the BilledCost\" when "+price+" is null (columns/"+strings.ToLower(cost)+".md).",
				[]string{cost, "BilledCost", "ChargeCategory"},
				fmt.Sprintf("f.ChargeCategory = 'Credit' AND {?%s} IS NULL AND f.%s <> f.BilledCost", price, cost)),
		)
	}
	checks = append(checks,
		rowCheck("relation/EffectiveCost-of-credit", "EffectiveCost of a charge unrelated to other charges (ChargeCategory 'Credit') \"MUST match the BilledCost\" (columns/effectivecost.md).",
			[]string{"EffectiveCost", "BilledCost", "ChargeCategory"}, "f.ChargeCategory = 'Credit' AND f.EffectiveCost <> f.BilledCost"),
		FocusCheck{Name: "relation/service-has-one-category", Needs: []string{"ServiceName", "ServiceCategory"},
			Rule:  "\"ServiceName MUST have one and only one ServiceCategory\" (columns/servicename.md).",
			query: "SELECT count(*), min(ServiceName) FROM (SELECT ServiceName FROM {focus} GROUP BY ServiceName HAVING count(DISTINCT ServiceCategory) > 1)"},
		FocusCheck{Name: "relation/service-has-one-subcategory", Needs: []string{"ServiceName", "ServiceSubcategory"},
			Rule:  "\"ServiceName SHOULD have one and only one ServiceSubcategory\" (columns/servicename.md).",
			query: "SELECT count(*), min(ServiceName) FROM (SELECT ServiceName FROM {focus} GROUP BY ServiceName HAVING count(DISTINCT ServiceSubcategory) > 1)"},
		rowCheck("unit-format/PricingUnit", "Units listed in the Unit Format attribute keep its capitalization and \"a new count-based unit value MUST be capitalized\"; composite units use \"/\" and \" \" (attributes/unit_format.md).",
			[]string{"PricingUnit"}, "NOT regexp_full_match(f.PricingUnit, '(([A-Z0-9][A-Za-z0-9]*|b)([ /-]|$))+')"),
		rowCheck("unit-format/ConsumedUnit", "As unit-format/PricingUnit, for ConsumedUnit (columns/consumedunit.md).",
			[]string{"ConsumedUnit"}, "NOT regexp_full_match(f.ConsumedUnit, '(([A-Z0-9][A-Za-z0-9]*|b)([ /-]|$))+')"),
		rowCheck("key-value-format/Tags", "Tags \"MUST contain a serialized JSON string\" of an object whose values are not objects or arrays (attributes/key_value_format.md).",
			[]string{"Tags"}, "f.Tags IS NOT NULL AND (NOT json_valid(f.Tags) OR json_type(f.Tags) <> 'OBJECT' OR EXISTS (SELECT 1 FROM json_each(f.Tags) j WHERE j.type IN ('OBJECT', 'ARRAY')))"),
		FocusCheck{Name: "invoice/billed-cost-is-invoice-total", Needs: []string{"BilledCost", "InvoiceId"},
			Rule: "\"The sum of the BilledCost for a given InvoiceId MUST match the sum of the payable amount provided in the corresponding invoice\" (columns/billedcost.md): " +
				"exactly invoiceTotalAmount, on every invoice of the lake (an invoice without items has none), and no row on an invoice the lake does not hold.",
			query: "SELECT count(*), min(coalesce(CAST(v.invoice_id AS VARCHAR), b.InvoiceId) || ': BilledCost ' || coalesce(CAST(b.billed AS VARCHAR), 'none') || ' invoice ' || coalesce(CAST(v.invoice_total_amount AS VARCHAR), 'none')) " +
				"FROM (SELECT InvoiceId, sum(BilledCost) AS billed FROM {focus} GROUP BY InvoiceId) b " +
				"FULL JOIN {invoices} v ON b.InvoiceId = CAST(v.invoice_id AS VARCHAR) " +
				"WHERE v.invoice_id IS NULL OR (v.invoice_total_amount IS NOT NULL AND coalesce(b.billed, 0) <> v.invoice_total_amount)"},
		rowCheck("invoice/hours-times-rate", "invoicelake: on Usage rows PricingQuantity and ConsumedQuantity are the hours billed at the hourly rate, so PricingQuantity × x_HourlyRecurringFee = BilledCost exactly "+
			"(the relation columns/pricingquantity.md requires between a quantity and its unit price).",
			[]string{"PricingQuantity", "ConsumedQuantity", "x_HourlyRecurringFee", "BilledCost", "ChargeCategory", "ChargeClass"},
			"f.ChargeCategory = 'Usage' AND "+notCorrection+" AND (f.ConsumedQuantity IS DISTINCT FROM f.PricingQuantity OR "+
				product("f.x_HourlyRecurringFee", "f.PricingQuantity")+" IS DISTINCT FROM f.BilledCost)"),
		FocusCheck{Name: "invoice/every-item", Needs: []string{"BilledCost", "x_InvoiceItemId"},
			Rule: "invoicelake: every invoice item of the lake is in the dataset, and its rows' BilledCost add up to its total_amount exactly (nothing dropped, nothing counted twice).",
			query: "SELECT count(*), min(coalesce(CAST(i.item_id AS VARCHAR), CAST(b.x_InvoiceItemId AS VARCHAR)) || ': BilledCost ' || coalesce(CAST(b.billed AS VARCHAR), 'none') || ' total_amount ' || coalesce(CAST(i.total_amount AS VARCHAR), 'none')) " +
				"FROM (SELECT x_InvoiceItemId, sum(BilledCost) AS billed FROM {focus} GROUP BY x_InvoiceItemId) b " +
				"FULL JOIN {invoice_items} i ON b.x_InvoiceItemId = i.item_id " +
				"WHERE i.item_id IS NULL OR b.x_InvoiceItemId IS NULL OR b.billed <> i.total_amount"},
	)
	return checks
}
