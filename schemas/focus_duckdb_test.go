//go:build cgo

package schemas_test

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/invoicelake/invoicelake/schemas"
)

// focusResult is the answer of the conformance suite over one relation.
type focusResult struct {
	violations    map[string]int64  // check name -> rows (or columns) breaking it
	examples      map[string]string // check name -> an example of one
	notApplicable []string          // checks whose columns the relation lacks
}

// runFocusChecks runs every check of schemas.FocusChecks that applies to
// relation (only those named, if any), over the lake's tables invoices and
// invoice_items.
func runFocusChecks(t *testing.T, db *sql.DB, relation string, only ...string) focusResult {
	t.Helper()
	present := map[string]bool{}
	for _, r := range query(t, db, "SELECT column_name FROM (DESCRIBE "+relation+")") {
		present[r[0]] = true
	}
	res := focusResult{violations: map[string]int64{}, examples: map[string]string{}}
	for _, c := range schemas.FocusChecks() {
		if len(only) > 0 && !slices.Contains(only, c.Name) {
			continue
		}
		if !c.Applies(present) {
			res.notApplicable = append(res.notApplicable, c.Name)
			continue
		}
		var n int64
		var ex sql.NullString
		q := c.SQL(relation, schemas.InvoicesTable, schemas.ItemsTable, present)
		if err := db.QueryRow(q).Scan(&n, &ex); err != nil {
			t.Fatalf("check %s: %v\n%s", c.Name, err, q)
		}
		res.violations[c.Name] = n
		res.examples[c.Name] = ex.String
	}
	return res
}

// assertConformant fails the test for every check relation breaks.
func assertConformant(t *testing.T, res focusResult) {
	t.Helper()
	for name, n := range res.violations {
		if n != 0 {
			t.Errorf("%s: %d violations, e.g. %s", name, n, res.examples[name])
		}
	}
}

// writeFocusLake writes a lake whose items cover every mapping rule of the
// FOCUS view: a monthly server with taxed fees and children (one free), an
// hourly guest with a free child, an unknown top-level code with an empty
// category name and a child, a bandwidth overage without location, a late
// adjustment added after its invoice closed, labor with tax, a credit, a
// late credit (closed two months after its period), a NEW invoice with a
// prorated recurring fee and a setup fee, a resource service the service
// table does not know, a refund and a manual payment credit without items.
// Every invoice total is the sum of its items.
func writeFocusLake(t *testing.T, lake string) {
	closed := func(s string) *time.Time { v := tm(t, s); return &v }
	writeTable(t, lake, schemas.InvoicesTable, 42, "2024-03", "part-0.parquet", []schemas.InvoiceRow{
		{InvoiceID: 1, AccountID: 42, TypeCode: "RECURRING", StatusCode: "CLOSED", CreateDate: tm(t, "2024-03-04T00:17:00-06:00"),
			ClosedDate: closed("2024-03-14T09:00:00-05:00"), InvoiceTotalAmount: dp("312.4071"), CompanyName: sp("Example Corp")},
		{InvoiceID: 2, AccountID: 42, TypeCode: "CREDIT", StatusCode: "CLOSED", CreateDate: tm(t, "2024-03-15T12:00:00-05:00"),
			ClosedDate: closed("2024-03-15T12:00:05-05:00"), InvoiceTotalAmount: dp("-5.68"), CompanyName: sp("Example Corp")},
		{InvoiceID: 3, AccountID: 42, TypeCode: "CREDIT", StatusCode: "CLOSED", CreateDate: tm(t, "2024-03-31T23:30:00-05:00"),
			ClosedDate: closed("2024-05-06T10:00:05-05:00"), InvoiceTotalAmount: dp("-10"), CompanyName: sp("Example Corp")},
	})
	writeTable(t, lake, schemas.ItemsTable, 42, "2024-03", "part-0.parquet", []schemas.ItemRow{
		{InvoiceID: 1, ItemID: 10, TopLevelItemID: 10, CategoryCode: "server", CategoryName: sp("Server"),
			ResourceService: sp("SoftLayer_Hardware_Server"), ResourceID: ip(555), Description: "Dual Xeon", HostName: sp("db1"), DomainName: sp("example.com"),
			Location: sp("dal10"), RecurringFee: dp("100"), OneTimeFee: dp("0"), SetupFee: dp("0"), LaborFee: dp("0"),
			RecurringTaxAmount: dp("8.25"), OneTimeTaxAmount: dp("0"), TotalAmount: schemas.MustParseDecimal("108.25"),
			CreateDate: ptrTime(tm(t, "2024-03-04T00:17:00-06:00"))},
		{InvoiceID: 1, ItemID: 11, ParentItemID: ip(10), TopLevelItemID: 10, Depth: 1, CategoryCode: "ram", CategoryName: sp("RAM"),
			ResourceService: sp("SoftLayer_Hardware_Server"), ResourceID: ip(555), Description: "64 GB RAM", Location: sp("dal10"),
			RecurringFee: dp("60.25"), TotalAmount: schemas.MustParseDecimal("60.25")},
		{InvoiceID: 1, ItemID: 12, ParentItemID: ip(10), TopLevelItemID: 10, Depth: 1, CategoryCode: "bandwidth", CategoryName: sp("Public Bandwidth"),
			ResourceService: sp("SoftLayer_Hardware_Server"), ResourceID: ip(555), Description: "20000 GB Bandwidth Allotment", Location: sp("dal10"),
			RecurringFee: dp("0"), OneTimeFee: dp("0"), TotalAmount: schemas.MustParseDecimal("0")},
		{InvoiceID: 1, ItemID: 20, TopLevelItemID: 20, CategoryCode: "guest_core", CategoryName: sp("Computing Instance"),
			ResourceService: sp("SoftLayer_Virtual_Guest"), ResourceID: ip(666), Description: "2 x 2.0 GHz or higher Cores", HostName: sp("web1"),
			Location: sp("wdc07"), HourlyRecurringFee: dp(".025"), RecurringFee: dp("7.2"), RecurringTaxAmount: dp(".594"),
			TotalAmount: schemas.MustParseDecimal("7.794")},
		{InvoiceID: 1, ItemID: 21, ParentItemID: ip(20), TopLevelItemID: 20, Depth: 1, CategoryCode: "guest_disk0", CategoryName: sp("First Disk"),
			ResourceService: sp("SoftLayer_Virtual_Guest"), ResourceID: ip(666), Description: "25 GB (SAN)", Location: sp("wdc07"),
			HourlyRecurringFee: dp("0"), RecurringFee: dp("0"), TotalAmount: schemas.MustParseDecimal("0")},
		{InvoiceID: 1, ItemID: 30, TopLevelItemID: 30, CategoryCode: "quantum_widget", CategoryName: sp(""),
			ResourceID: ip(888), Description: "Quantum Widget (experimental)", Location: sp("xyz9"),
			OneTimeFee: dp("12.3456"), SetupFee: dp("1"), TotalAmount: schemas.MustParseDecimal("13.3456")},
		{InvoiceID: 1, ItemID: 31, ParentItemID: ip(30), TopLevelItemID: 30, Depth: 1, CategoryCode: "ram", CategoryName: sp("RAM"),
			ResourceID: ip(888), Description: "  ", RecurringFee: dp("5"), TotalAmount: schemas.MustParseDecimal("5")},
		{InvoiceID: 1, ItemID: 40, TopLevelItemID: 40, CategoryCode: "bandwidth", CategoryName: sp("Public Bandwidth"),
			Description: "Bandwidth overage: 100 GB * .09", OneTimeFee: dp("9"), TotalAmount: schemas.MustParseDecimal("9")},
		{InvoiceID: 1, ItemID: 50, TopLevelItemID: 50, CategoryCode: "one_time_charge", CategoryName: sp("One-Time Charge"),
			Description: "Billing adjustment", OneTimeFee: dp("-17.42"), TotalAmount: schemas.MustParseDecimal("-17.42"),
			CreateDate: ptrTime(tm(t, "2024-05-07T11:00:00-05:00"))},
		{InvoiceID: 1, ItemID: 60, TopLevelItemID: 60, CategoryCode: "labor_fee", CategoryName: sp("Labor"),
			Description: "Datacenter remote hands (1 hour)", Location: sp("ams01"), LaborFee: dp("75"), LaborTaxAmount: dp("6.1875"),
			TotalAmount: schemas.MustParseDecimal("81.1875")},
		{InvoiceID: 1, ItemID: 61, TopLevelItemID: 61, CategoryCode: "software_license", CategoryName: sp("Software License"),
			Description: "Microsoft SQL Server Standard", Location: sp("dal10"), RecurringFee: dp("45"), TotalAmount: schemas.MustParseDecimal("45")},
		{InvoiceID: 2, ItemID: 70, TopLevelItemID: 70, CategoryCode: "credit", CategoryName: sp("Service Credit"),
			Description: "Service credit", Location: sp("dal13"), OneTimeFee: dp("-5.25"), OneTimeTaxAmount: dp("-.43"),
			TotalAmount: schemas.MustParseDecimal("-5.68")},
		{InvoiceID: 3, ItemID: 80, TopLevelItemID: 80, CategoryCode: "credit", CategoryName: sp("Service Credit"),
			Description: "Service credit", Location: sp("fra02"), OneTimeFee: dp("-10"), TotalAmount: schemas.MustParseDecimal("-10")},
	})
	writeTable(t, lake, schemas.InvoicesTable, 42, "2024-04", "part-0.parquet", []schemas.InvoiceRow{
		{InvoiceID: 4, AccountID: 42, TypeCode: "NEW", StatusCode: "OPEN", CreateDate: tm(t, "2024-04-10T09:00:45-05:00"),
			InvoiceTotalAmount: dp("82.34"), CompanyName: sp("Example Corp")},
		{InvoiceID: 5, AccountID: 42, TypeCode: "MANUAL_PAYMENT_CREDIT", StatusCode: "CLOSED", CreateDate: tm(t, "2024-04-11T09:00:00-05:00"),
			ClosedDate: closed("2024-04-11T09:00:05-05:00"), InvoiceTotalAmount: dp("0"), CompanyName: sp("Example Corp")},
		{InvoiceID: 6, AccountID: 42, TypeCode: "REFUND", StatusCode: "CLOSED", CreateDate: tm(t, "2024-04-20T09:00:00-05:00"),
			ClosedDate: closed("2024-04-20T09:00:05-05:00"), InvoiceTotalAmount: dp("-3"), CompanyName: sp("Example Corp")},
	})
	writeTable(t, lake, schemas.ItemsTable, 42, "2024-04", "part-0.parquet", []schemas.ItemRow{
		{InvoiceID: 4, ItemID: 90, TopLevelItemID: 90, CategoryCode: "storage_as_a_service", CategoryName: sp("Storage As A Service"),
			ResourceService: sp("SoftLayer_Network_Storage"), ResourceID: ip(777), Description: "Storage as a Service", Location: sp("sng01"),
			RecurringFee: dp("12.34"), SetupFee: dp("50"), TotalAmount: schemas.MustParseDecimal("62.34"),
			CreateDate: ptrTime(tm(t, "2024-04-10T09:00:00-05:00"))},
		{InvoiceID: 4, ItemID: 91, TopLevelItemID: 91, CategoryCode: "gateway", CategoryName: sp("Gateway Appliance"),
			ResourceService: sp("SoftLayer_Network_Gateway"), ResourceID: ip(999), Description: "Gateway", Location: sp("dal13"),
			RecurringFee: dp("20"), TotalAmount: schemas.MustParseDecimal("20")},
		{InvoiceID: 6, ItemID: 95, TopLevelItemID: 95, CategoryCode: "credit", CategoryName: sp("Service Credit"),
			Description: "Refund: service credit for outage", OneTimeFee: dp("-3"), TotalAmount: schemas.MustParseDecimal("-3")},
	})
	// The other tables, empty, as the loader leaves them: DuckDB's views
	// need a file to know a table.
	writeTable(t, lake, schemas.PaymentsTable, 42, "2024-03", "part-0.parquet", []schemas.PaymentRow{})
	writeSnapshot(t, lake, schemas.SnapshotsTable, "2024-04-20", []schemas.AccountSnapshotRow{})
	writeSnapshot(t, lake, schemas.NextInvoiceItemsTable, "2024-04-20", []schemas.BillingItemRow{})
	writeSnapshot(t, lake, schemas.BillingItemsTable, "2024-04-20", []schemas.BillingItemRow{})
}

// focusDB opens DuckDB (session time zone America/Chicago) on a lake
// written by write, with invoicelake's views.
func focusDB(t *testing.T, write func(*testing.T, string)) *sql.DB {
	t.Helper()
	lake := t.TempDir()
	write(t, lake)
	ddl, err := schemas.DuckDBDDL(lake)
	if err != nil {
		t.Fatal(err)
	}
	db := openDuckDB(t)
	if _, err := db.Exec(ddl); err != nil {
		t.Fatalf("running the generated DuckDB SQL: %v", err)
	}
	return db
}

func TestFocusRows(t *testing.T) {
	db := focusDB(t, writeFocusLake)
	got := query(t, db, `SELECT x_InvoiceItemId, x_AmountProperty, CAST(BilledCost AS VARCHAR), ChargeCategory, ChargeClass, ChargeFrequency,
		CAST(PricingQuantity AS VARCHAR), PricingUnit, CAST(ConsumedQuantity AS VARCHAR), ConsumedUnit, PricingCategory, ChargeDescription
		FROM focus_1_2 ORDER BY x_InvoiceItemId, x_AmountProperty`)
	want := [][]string{
		{"10", "recurringFee", "100.00000000", "Purchase", "NULL", "Recurring", "1.00000000", "Billing Cycles", "NULL", "NULL", "Standard", "Dual Xeon"},
		{"10", "recurringTaxAmount", "8.25000000", "Tax", "NULL", "Recurring", "NULL", "NULL", "NULL", "NULL", "NULL", "Tax on recurring fee: Dual Xeon"},
		{"11", "recurringFee", "60.25000000", "Purchase", "NULL", "Recurring", "1.00000000", "Billing Cycles", "NULL", "NULL", "Standard", "64 GB RAM"},
		{"12", "recurringFee", "0.00000000", "Purchase", "NULL", "Recurring", "1.00000000", "Billing Cycles", "NULL", "NULL", "Standard", "20000 GB Bandwidth Allotment"},
		{"20", "recurringFee", "7.20000000", "Usage", "NULL", "Usage-Based", "288.00000000", "Hours", "288.00000000", "Hours", "Standard", "2 x 2.0 GHz or higher Cores"},
		{"20", "recurringTaxAmount", "0.59400000", "Tax", "NULL", "Usage-Based", "NULL", "NULL", "NULL", "NULL", "NULL", "Tax on recurring fee: 2 x 2.0 GHz or higher Cores"},
		{"21", "recurringFee", "0.00000000", "Purchase", "NULL", "Recurring", "1.00000000", "Billing Cycles", "NULL", "NULL", "Standard", "25 GB (SAN)"},
		{"30", "oneTimeFee", "12.34560000", "Purchase", "NULL", "One-Time", "1.00000000", "Units", "NULL", "NULL", "Standard", "Quantum Widget (experimental)"},
		{"30", "setupFee", "1.00000000", "Purchase", "NULL", "One-Time", "1.00000000", "Units", "NULL", "NULL", "Standard", "Quantum Widget (experimental)"},
		{"31", "recurringFee", "5.00000000", "Purchase", "NULL", "Recurring", "1.00000000", "Billing Cycles", "NULL", "NULL", "Standard", "NULL"},
		{"40", "oneTimeFee", "9.00000000", "Purchase", "NULL", "One-Time", "1.00000000", "Units", "NULL", "NULL", "Standard", "Bandwidth overage: 100 GB * .09"},
		{"50", "oneTimeFee", "-17.42000000", "Adjustment", "Correction", "One-Time", "NULL", "NULL", "NULL", "NULL", "NULL", "Billing adjustment"},
		{"60", "laborFee", "75.00000000", "Purchase", "NULL", "One-Time", "1.00000000", "Units", "NULL", "NULL", "Standard", "Datacenter remote hands (1 hour)"},
		{"60", "laborTaxAmount", "6.18750000", "Tax", "NULL", "One-Time", "NULL", "NULL", "NULL", "NULL", "NULL", "Tax on labor fee: Datacenter remote hands (1 hour)"},
		{"61", "recurringFee", "45.00000000", "Purchase", "NULL", "Recurring", "1.00000000", "Billing Cycles", "NULL", "NULL", "Standard", "Microsoft SQL Server Standard"},
		{"70", "oneTimeFee", "-5.25000000", "Credit", "NULL", "One-Time", "NULL", "NULL", "NULL", "NULL", "NULL", "Service credit"},
		{"70", "oneTimeTaxAmount", "-0.43000000", "Tax", "NULL", "One-Time", "NULL", "NULL", "NULL", "NULL", "NULL", "Tax on one-time fee: Service credit"},
		{"80", "oneTimeFee", "-10.00000000", "Credit", "Correction", "One-Time", "NULL", "NULL", "NULL", "NULL", "NULL", "Service credit"},
		{"90", "recurringFee", "12.34000000", "Purchase", "NULL", "Recurring", "1.00000000", "Billing Cycles", "NULL", "NULL", "Standard", "Storage as a Service"},
		{"90", "setupFee", "50.00000000", "Purchase", "NULL", "One-Time", "1.00000000", "Units", "NULL", "NULL", "Standard", "Storage as a Service"},
		{"91", "recurringFee", "20.00000000", "Purchase", "NULL", "Recurring", "1.00000000", "Billing Cycles", "NULL", "NULL", "Standard", "Gateway"},
		{"95", "oneTimeFee", "-3.00000000", "Credit", "NULL", "One-Time", "NULL", "NULL", "NULL", "NULL", "NULL", "Refund: service credit for outage"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("charges (-want +got):\n%s", diff)
	}

	got = query(t, db, `SELECT x_InvoiceItemId, ServiceName, ServiceCategory, ServiceSubcategory, ResourceId, ResourceName, ResourceType,
		RegionId, RegionName, x_TopLevelCategoryCode, x_CategoryName
		FROM focus_1_2 WHERE x_AmountProperty NOT LIKE '%Tax%' ORDER BY x_InvoiceItemId, x_AmountProperty`)
	want = [][]string{
		{"10", "Bare Metal Servers", "Compute", "Virtual Machines", "SoftLayer_Hardware_Server/555", "db1.example.com", "Bare Metal Server", "dal10", "Dallas 10", "server", "Server"},
		{"11", "Bare Metal Servers", "Compute", "Virtual Machines", "SoftLayer_Hardware_Server/555", "db1.example.com", "Bare Metal Server", "dal10", "Dallas 10", "server", "RAM"},
		{"12", "Bare Metal Servers", "Compute", "Virtual Machines", "SoftLayer_Hardware_Server/555", "db1.example.com", "Bare Metal Server", "dal10", "Dallas 10", "server", "Public Bandwidth"},
		{"20", "Virtual Servers", "Compute", "Virtual Machines", "SoftLayer_Virtual_Guest/666", "web1", "Virtual Server", "wdc07", "Washington 7", "guest_core", "Computing Instance"},
		{"21", "Virtual Servers", "Compute", "Virtual Machines", "SoftLayer_Virtual_Guest/666", "web1", "Virtual Server", "wdc07", "Washington 7", "guest_core", "First Disk"},
		{"30", "quantum_widget", "Other", "Other (Other)", "NULL", "NULL", "NULL", "xyz9", "xyz9", "quantum_widget", "NULL"},
		{"30", "quantum_widget", "Other", "Other (Other)", "NULL", "NULL", "NULL", "xyz9", "xyz9", "quantum_widget", "NULL"},
		{"31", "quantum_widget", "Other", "Other (Other)", "NULL", "NULL", "NULL", "NULL", "NULL", "quantum_widget", "RAM"},
		{"40", "Bandwidth", "Networking", "Network Connectivity", "NULL", "NULL", "NULL", "NULL", "NULL", "bandwidth", "Public Bandwidth"},
		{"50", "One-Time Charges", "Other", "Other (Other)", "NULL", "NULL", "NULL", "NULL", "NULL", "one_time_charge", "One-Time Charge"},
		{"60", "Labor", "Management and Governance", "Support", "NULL", "NULL", "NULL", "ams01", "Amsterdam 1", "labor_fee", "Labor"},
		{"61", "Software Licenses", "Other", "Other (Other)", "NULL", "NULL", "NULL", "dal10", "Dallas 10", "software_license", "Software License"},
		{"70", "Service Credits", "Other", "Other (Other)", "NULL", "NULL", "NULL", "dal13", "Dallas 13", "credit", "Service Credit"},
		{"80", "Service Credits", "Other", "Other (Other)", "NULL", "NULL", "NULL", "fra02", "Frankfurt 2", "credit", "Service Credit"},
		{"90", "Block and File Storage", "Storage", "Storage Platforms", "SoftLayer_Network_Storage/777", "NULL", "Storage Volume", "sng01", "Singapore 1", "storage_as_a_service", "Storage As A Service"},
		{"90", "Block and File Storage", "Storage", "Storage Platforms", "SoftLayer_Network_Storage/777", "NULL", "Storage Volume", "sng01", "Singapore 1", "storage_as_a_service", "Storage As A Service"},
		{"91", "SoftLayer_Network_Gateway", "Other", "Other (Other)", "SoftLayer_Network_Gateway/999", "NULL", "SoftLayer_Network_Gateway", "dal13", "Dallas 13", "gateway", "Gateway Appliance"},
		{"95", "Service Credits", "Other", "Other (Other)", "NULL", "NULL", "NULL", "NULL", "NULL", "credit", "Service Credit"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("services, resources and regions (-want +got):\n%s", diff)
	}

	// Periods are UTC months of the partition, whatever the session's time
	// zone (America/Chicago here); the account and invoice as strings.
	got = query(t, db, `SELECT DISTINCT x_BillingPeriod, strftime(BillingPeriodStart AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ'),
		strftime(BillingPeriodEnd AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ'), ChargePeriodStart = BillingPeriodStart, ChargePeriodEnd = BillingPeriodEnd,
		BillingAccountId, BillingAccountName, BillingCurrency, ProviderName, PublisherName, InvoiceIssuerName
		FROM focus_1_2 ORDER BY 1`)
	want = [][]string{
		{"2024-03", "2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z", "true", "true", "42", "Example Corp", "USD", "IBM", "IBM", "IBM"},
		{"2024-04", "2024-04-01T00:00:00Z", "2024-05-01T00:00:00Z", "true", "true", "42", "Example Corp", "USD", "IBM", "IBM", "IBM"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("periods and accounts (-want +got):\n%s", diff)
	}
}

func TestFocusTypes(t *testing.T) {
	db := focusDB(t, writeFocusLake)
	var want [][]string
	for _, c := range schemas.FocusColumns() {
		want = append(want, []string{c.Name, c.DuckDBType()})
	}
	got := query(t, db, "SELECT column_name, column_type FROM (DESCRIBE focus_1_2)")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DESCRIBE focus_1_2 (-want +got):\n%s", diff)
	}
}

// omittedColumns are the FOCUS columns the view leaves out.
func omittedColumns(t *testing.T) map[string]bool {
	t.Helper()
	have := map[string]bool{}
	for _, c := range schemas.FocusColumns() {
		have[c.Name] = true
	}
	out := map[string]bool{}
	for _, s := range schemas.FocusSpecColumns() {
		if !have[s.Name] {
			out[s.Name] = true
		}
	}
	return out
}

// checkApplicable checks that the suite skipped exactly the checks about
// columns the view omits.
func checkApplicable(t *testing.T, res focusResult) {
	t.Helper()
	omitted := omittedColumns(t)
	var want []string
	for _, c := range schemas.FocusChecks() {
		if slices.ContainsFunc(c.Needs, func(n string) bool { return omitted[n] }) {
			want = append(want, c.Name)
		}
	}
	if diff := cmp.Diff(want, res.notApplicable); diff != "" {
		t.Errorf("checks not applicable (-want +got):\n%s", diff)
	}
	if len(res.violations) < 60 {
		t.Errorf("only %d checks applied", len(res.violations))
	}
}

func TestFocusConformance(t *testing.T) {
	db := focusDB(t, writeFocusLake)
	res := runFocusChecks(t, db, schemas.FocusView)
	assertConformant(t, res)
	checkApplicable(t, res)
}

// focusBreakers returns, for every check of the suite, a relation derived
// from focus_copy (focus_1_2 as a table) that breaks it: the proof that the check can fail. Item 10
// is a monthly server (Purchase with a Tax row), 20 an hourly guest (Usage),
// 70 a credit.
func focusBreakers(t *testing.T) map[string]string {
	t.Helper()
	have := map[string]schemas.FocusColumn{}
	for _, c := range schemas.FocusColumns() {
		have[c.Name] = c
	}
	replace := func(col, expr string) string {
		return fmt.Sprintf("SELECT * REPLACE (%s AS %s) FROM focus_copy", expr, col)
	}
	add := func(col, expr string) string { return fmt.Sprintf("SELECT *, %s AS %s FROM focus_copy", expr, col) }
	// set puts v in col on item 10's rows: replaced when the view has the
	// column, added (NULL elsewhere) when it does not.
	set := func(col, v, typ string) string {
		if _, ok := have[col]; ok {
			return replace(col, fmt.Sprintf("CASE WHEN x_InvoiceItemId = 10 THEN %s ELSE %s END", v, col))
		}
		return add(col, fmt.Sprintf("CAST(CASE WHEN x_InvoiceItemId = 10 THEN %s END AS %s)", v, typ))
	}
	b := map[string]string{
		"columns/mandatory-present": "SELECT * EXCLUDE (BillingCurrency) FROM focus_copy",
		"columns/types":             replace("BilledCost", "CAST(BilledCost AS DOUBLE)"),
		"columns/custom-prefix":     add("SoftLayerCategory", "x_CategoryCode"),
		"columns/custom-last":       "SELECT x_CategoryCode, * EXCLUDE (x_CategoryCode) FROM focus_copy",

		"allowed-values/ChargeCategory":     set("ChargeCategory", "'usage'", "VARCHAR"),
		"allowed-values/ChargeClass":        set("ChargeClass", "'Refund'", "VARCHAR"),
		"allowed-values/ChargeFrequency":    set("ChargeFrequency", "'Monthly'", "VARCHAR"),
		"allowed-values/ServiceCategory":    set("ServiceCategory", "'Infrastructure'", "VARCHAR"),
		"allowed-values/PricingCategory":    set("PricingCategory", "'On-Demand'", "VARCHAR"),
		"allowed-values/ServiceSubcategory": set("ServiceSubcategory", "'Object Storage'", "VARCHAR"),
		"currency-format/BillingCurrency":   set("BillingCurrency", "'US$'", "VARCHAR"),
		"currency-format/PricingCurrency":   set("PricingCurrency", "'usd'", "VARCHAR"),

		"period/billing-end-after-start": replace("BillingPeriodEnd", "BillingPeriodStart"),
		"period/charge-end-after-start":  replace("ChargePeriodEnd", "ChargePeriodStart"),
		"period/charge-within-billing":   replace("ChargePeriodEnd", "ChargePeriodEnd + INTERVAL '1' HOUR"),
		"relation/frequency-of-purchase": set("ChargeFrequency", "'Usage-Based'", "VARCHAR"),

		"nullability/PricingQuantity":  replace("PricingQuantity", "CASE WHEN ChargeCategory = 'Tax' THEN 1 ELSE PricingQuantity END"),
		"nullability/PricingUnit":      replace("PricingUnit", "CASE WHEN ChargeCategory = 'Usage' THEN NULL ELSE PricingUnit END"),
		"nullability/PricingCategory":  replace("PricingCategory", "CASE WHEN ChargeCategory = 'Usage' THEN NULL ELSE PricingCategory END"),
		"nullability/ConsumedQuantity": replace("ConsumedQuantity", "CASE WHEN ChargeCategory = 'Purchase' THEN PricingQuantity ELSE ConsumedQuantity END"),
		"nullability/ConsumedUnit":     replace("ConsumedUnit", "CASE WHEN ChargeCategory = 'Usage' THEN NULL ELSE ConsumedUnit END"),
		"nullability/ResourceType":     replace("ResourceType", "CASE WHEN x_InvoiceItemId = 10 THEN NULL ELSE ResourceType END"),
		"nullability/ResourceName":     replace("ResourceName", "CASE WHEN x_InvoiceItemId = 10 THEN ResourceId ELSE ResourceName END"),
		"nullability/RegionName":       replace("RegionName", "CASE WHEN x_InvoiceItemId = 10 THEN NULL ELSE RegionName END"),
		"nullability/SubAccountName":   "SELECT *, CAST('sub-1' AS VARCHAR) AS SubAccountId, CAST(NULL AS VARCHAR) AS SubAccountName FROM focus_copy",
		"nullability/SkuId":            add("SkuId", "CAST(NULL AS VARCHAR)"),
		"nullability/ListUnitPrice":    add("ListUnitPrice", "CAST(NULL AS DECIMAL(18,8))"),
		"nullability/ContractedUnitPrice": add("ContractedUnitPrice",
			"CAST(CASE WHEN ChargeCategory = 'Tax' THEN 1 END AS DECIMAL(18,8))"),
		"relation/ListUnitPrice-times-quantity":       add("ListUnitPrice", "CAST(CASE WHEN ChargeCategory = 'Purchase' THEN BilledCost + 1 END AS DECIMAL(18,8))"),
		"relation/ContractedUnitPrice-times-quantity": add("ContractedUnitPrice", "CAST(CASE WHEN ChargeCategory = 'Purchase' THEN BilledCost + 1 END AS DECIMAL(18,8))"),
		"relation/ListCost-of-credit":                 replace("ListCost", "CASE WHEN ChargeCategory = 'Credit' THEN 0 ELSE ListCost END"),
		"relation/ContractedCost-of-credit":           replace("ContractedCost", "CASE WHEN ChargeCategory = 'Credit' THEN 0 ELSE ContractedCost END"),
		"relation/EffectiveCost-of-credit":            replace("EffectiveCost", "CASE WHEN ChargeCategory = 'Credit' THEN 0 ELSE EffectiveCost END"),
		"relation/service-has-one-category":           set("ServiceCategory", "'Storage'", "VARCHAR"),
		"relation/service-has-one-subcategory":        set("ServiceSubcategory", "'Other (Compute)'", "VARCHAR"),
		"unit-format/PricingUnit":                     replace("PricingUnit", "lower(PricingUnit)"),
		"unit-format/ConsumedUnit":                    replace("ConsumedUnit", "lower(ConsumedUnit)"),
		"key-value-format/Tags":                       add("Tags", `CAST('{"team": {"name": "ops"}}' AS VARCHAR)`),
		"invoice/billed-cost-is-invoice-total":        replace("BilledCost", "CASE WHEN x_InvoiceItemId = 10 AND ChargeCategory = 'Tax' THEN BilledCost + 0.00000001 ELSE BilledCost END"),
		"invoice/hours-times-rate":                    replace("PricingQuantity", "CASE WHEN ChargeCategory = 'Usage' THEN PricingQuantity + 1 ELSE PricingQuantity END"),
		"invoice/every-item":                          "SELECT * FROM focus_copy WHERE x_InvoiceItemId <> 12",
	}
	for _, s := range schemas.FocusSpecColumns() {
		switch s.Type {
		case "String", "JSON":
			b["no-empty/"+s.Name] = set(s.Name, "'N/A'", "VARCHAR")
		case "Decimal":
			if _, ok := have[s.Name]; ok {
				b["numeric-format/"+s.Name] = replace(s.Name, fmt.Sprintf("CASE WHEN x_InvoiceItemId = 10 THEN CAST('inf' AS DOUBLE) ELSE CAST(%s AS DOUBLE) END", s.Name))
			} else {
				b["numeric-format/"+s.Name] = add(s.Name, "CAST('nan' AS DOUBLE)")
			}
		case "Date/Time":
			b["datetime-format/"+s.Name] = replace(s.Name, s.Name+" + INTERVAL '500' MILLISECOND")
		}
	}
	for _, n := range []string{"BilledCost", "BillingAccountId", "BillingAccountType", "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart",
		"ChargeCategory", "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart", "ContractedCost", "EffectiveCost",
		"InvoiceIssuerName", "ListCost", "PricingCurrency", "PricingCurrencyEffectiveCost", "ProviderName", "PublisherName",
		"ServiceCategory", "ServiceName", "ServiceSubcategory"} {
		typ := "VARCHAR"
		if strings.HasSuffix(n, "Cost") {
			typ = "DECIMAL(18,8)"
		}
		b["not-null/"+n] = set(n, "NULL", typ)
	}
	return b
}

// TestFocusChecksCanFail breaks the view once per check and runs the check
// on it: every check must report the break it is about. The broken views
// derive from a table copy of focus_1_2, so the view is computed once.
func TestFocusChecksCanFail(t *testing.T) {
	db := focusDB(t, writeFocusLake)
	if _, err := db.Exec("CREATE TABLE focus_copy AS SELECT * FROM focus_1_2"); err != nil {
		t.Fatal(err)
	}
	breakers := focusBreakers(t)
	for _, c := range schemas.FocusChecks() {
		t.Run(c.Name, func(t *testing.T) {
			b, ok := breakers[c.Name]
			if !ok {
				t.Fatalf("no broken view shows that %s can fail", c.Name)
			}
			if _, err := db.Exec("CREATE OR REPLACE VIEW broken AS " + b); err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			res := runFocusChecks(t, db, "broken", c.Name)
			if n, ok := res.violations[c.Name]; !ok || n == 0 {
				t.Errorf("the check does not see the break (applies: %t): %s", ok, b)
			}
		})
	}
	if len(breakers) != len(schemas.FocusChecks()) {
		t.Errorf("%d broken views for %d checks", len(breakers), len(schemas.FocusChecks()))
	}
}
