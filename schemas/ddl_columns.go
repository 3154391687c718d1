package schemas

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"
)

// PartitionColumn is the Hive partition key of both tables: the billing
// period "YYYY-MM" (see PeriodOf). It lives in the folder name
// (billing_period=YYYY-MM) only, never in the Parquet files.
const PartitionColumn = "billing_period"

// AccountColumn is the other Hive partition key of every table, and the
// first: the SoftLayer account (folders account_id=N/billing_period=P/).
// The invoices files also hold it as a column (the same value); the items
// files do not.
const AccountColumn = "account_id"

// accountDoc describes AccountColumn in every generated artefact.
const accountDoc = "SoftLayer account id, as the API reports it for the credential that exported the row. Partition key, from the folder name."

// partitionDoc describes PartitionColumn in every generated artefact.
const partitionDoc = "Billing period YYYY-MM: the calendar month of the invoice create_date in the UTC offset the API reported (2024-03-31T23:30:00-05:00 belongs to 2024-03). Partition key, from the folder name."

// ColumnKind is the logical type of a column.
type ColumnKind int

// The column kinds the row types use.
const (
	KindBigInt    ColumnKind = iota + 1 // Parquet INT64
	KindInt                             // Parquet INT32
	KindString                          // Parquet BYTE_ARRAY (STRING)
	KindBoolean                         // Parquet BOOLEAN
	KindTimestamp                       // Parquet INT64 TIMESTAMP(MICROS, isAdjustedToUTC)
	KindDecimal                         // Parquet INT64 DECIMAL(MoneyPrecision, MoneyScale)
)

// Column is one column of a table, derived from a row type's struct tags.
type Column struct {
	Name     string
	Kind     ColumnKind
	Nullable bool
	Doc      string
}

// AthenaType is the column's type in Athena (Hive DDL) syntax.
func (c Column) AthenaType() string {
	switch c.Kind {
	case KindBigInt:
		return "bigint"
	case KindInt:
		return "int"
	case KindString:
		return "string"
	case KindBoolean:
		return "boolean"
	case KindTimestamp:
		return "timestamp"
	case KindDecimal:
		return fmt.Sprintf("decimal(%d,%d)", MoneyPrecision, MoneyScale)
	}
	panic(fmt.Sprintf("schemas: column %s: unknown kind %d", c.Name, c.Kind))
}

// DuckDBType is the type DuckDB gives the column when reading our files.
func (c Column) DuckDBType() string {
	switch c.Kind {
	case KindBigInt:
		return "BIGINT"
	case KindInt:
		return "INTEGER"
	case KindString:
		return "VARCHAR"
	case KindBoolean:
		return "BOOLEAN"
	case KindTimestamp:
		return "TIMESTAMP WITH TIME ZONE"
	case KindDecimal:
		return fmt.Sprintf("DECIMAL(%d,%d)", MoneyPrecision, MoneyScale)
	}
	panic(fmt.Sprintf("schemas: column %s: unknown kind %d", c.Name, c.Kind))
}

// ParquetType is the column's Parquet physical and logical type.
func (c Column) ParquetType() string {
	switch c.Kind {
	case KindBigInt:
		return "INT64"
	case KindInt:
		return "INT32"
	case KindString:
		return "BYTE_ARRAY STRING"
	case KindBoolean:
		return "BOOLEAN"
	case KindTimestamp:
		return "INT64 TIMESTAMP(MICROS, UTC)"
	case KindDecimal:
		return fmt.Sprintf("INT64 DECIMAL(%d,%d)", MoneyPrecision, MoneyScale)
	}
	panic(fmt.Sprintf("schemas: column %s: unknown kind %d", c.Name, c.Kind))
}

// Table is one table of the lake: its folder name, description and the
// columns of its files, in file order. The partition column is not among
// them (see PartitionColumn).
type Table struct {
	Name    string
	Doc     string
	Columns []Column
	// Partition is the table's partition column: PartitionColumn for the
	// tables of a billing period, SnapshotPartitionColumn for snapshots.
	Partition string
	// Example is a query over the table that DuckDB and Athena both run
	// (docs/DATA.md shows it; the tests run it).
	Example string
}

// tableExamples are the tables' example queries.
var tableExamples = map[string]string{
	InvoicesTable: `-- invoices, totals and payments per month and type
SELECT billing_period, type_code, COUNT(*) AS invoices, SUM(invoice_total_amount) AS invoiced,
       SUM(payment_amount) AS paid, COUNT(document_key) AS pdfs
FROM invoices GROUP BY billing_period, type_code ORDER BY billing_period, type_code`,
	ItemsTable: `-- cost per month by readable service and FOCUS charge category
SELECT billing_period, service_name, charge_category, charge_frequency, SUM(total_amount) AS cost
FROM invoice_items GROUP BY billing_period, service_name, charge_category, charge_frequency
ORDER BY billing_period, cost DESC`,
	PaymentsTable: `-- invoices with an amount still due: open, failed, or closed and not (fully) paid
SELECT v.billing_period, v.invoice_id, v.type_code, v.status_code, v.invoice_total_amount,
       coalesce(sum(p.amount), 0) AS paid,
       v.invoice_total_amount - coalesce(sum(p.amount), 0) AS due
FROM invoices v LEFT JOIN invoice_payments p ON p.billing_period = v.billing_period AND p.invoice_id = v.invoice_id
WHERE v.invoice_total_amount > 0
GROUP BY v.billing_period, v.invoice_id, v.type_code, v.status_code, v.invoice_total_amount
HAVING v.invoice_total_amount - coalesce(sum(p.amount), 0) <> 0
ORDER BY due DESC`,
	SnapshotsTable: `-- the balance and the next invoice over time
SELECT account_id, snapshot_time, balance, next_invoice_total_amount, next_invoice_total_recurring_tax_amount, pending_invoice_total_amount
FROM account_snapshots ORDER BY account_id, snapshot_time`,
	NextInvoiceItemsTable: `-- the next invoice by service, in the latest snapshot (top-level rows: their amount includes their children)
SELECT n.account_id, n.service_name, COUNT(*) AS items, SUM(n.next_invoice_total_recurring_amount) AS forecast
FROM next_invoice_items n
JOIN latest_account_snapshot s ON s.account_id = n.account_id AND s.snapshot_id = n.snapshot_id
WHERE n.depth = 0 GROUP BY n.account_id, n.service_name ORDER BY forecast DESC`,
	BillingItemsTable: `-- who ordered each live resource, when, and what it cost on the invoices
SELECT b.billing_item_id, b.category_code, b.host_name, b.order_id, b.ordered_by_user_id, b.ordered_by_username, b.order_create_date,
       SUM(i.total_amount) AS invoiced
FROM billing_items b
JOIN latest_account_snapshot s ON s.account_id = b.account_id AND s.snapshot_id = b.snapshot_id
LEFT JOIN invoice_items i ON i.billing_item_id = b.billing_item_id
WHERE b.depth = 0
GROUP BY b.billing_item_id, b.category_code, b.host_name, b.order_id, b.ordered_by_user_id, b.ordered_by_username, b.order_create_date
ORDER BY invoiced DESC`,
}

// partitionDocOf describes a partition column.
func partitionDocOf(col string) string {
	if col == SnapshotPartitionColumn {
		return snapshotPartitionDoc
	}
	return partitionDoc
}

// Tables returns the lake's tables, derived from InvoiceRow and ItemRow by
// reflection on their parquet and doc tags, so the Parquet schema, the DDL
// and the data dictionary cannot drift apart.
func Tables() []Table {
	t := tables()
	out := make([]Table, len(t))
	for i := range t {
		out[i] = t[i]
		out[i].Columns = append([]Column(nil), t[i].Columns...)
	}
	return out
}

var tables = sync.OnceValue(func() []Table {
	ts := []Table{
		{
			Name:    InvoicesTable,
			Doc:     "One row per invoice: its totals as the API reports them, the reconciliation of its items against them, and the contact columns under the PII policy.",
			Columns: columnsOf(reflect.TypeFor[InvoiceRow]()),
		},
		{
			Name:    ItemsTable,
			Doc:     "One row per invoice item at every level of the hierarchy, parents before children. total_amount excludes children, so SUM(total_amount) never double counts; resource_service and resource_id come from the top-level item.",
			Columns: columnsOf(reflect.TypeFor[ItemRow]()),
		},
		{
			Name:    PaymentsTable,
			Doc:     "One row per payment of an invoice (getPayments: amount, type, date), in the billing period of the invoice and replaced with it. Payments have no id of their own: payment_index numbers those of an invoice.",
			Columns: columnsOf(reflect.TypeFor[PaymentRow]()),
		},
		{
			Name: SnapshotsTable,
			Doc: "One row per account per run: the balance, the next invoice totals, the pending and the latest recurring invoices, as SoftLayer_Account says at snapshot_time. " +
				"An append-only history (a new snapshot never replaces one), partitioned by snapshot_date.",
			Columns:   columnsOf(reflect.TypeFor[AccountSnapshotRow]()),
			Partition: SnapshotPartitionColumn,
		},
		{
			Name: NextInvoiceItemsTable,
			Doc: "The forecast of the next invoice, per snapshot: getNextInvoiceTopLevelBillingItems with their children and nextInvoiceTotal amounts. " +
				"Sum next_invoice_total_recurring_amount over depth = 0 rows (it includes the children).",
			Columns:   columnsOf(reflect.TypeFor[BillingItemRow]()),
			Partition: SnapshotPartitionColumn,
		},
		{
			Name: BillingItemsTable,
			Doc: "The live billing items, per snapshot, as slcli account billing-items lists them (top-level items not cancelled, with their children): fees, dates, location, resource, " +
				"and the order behind each (order id, who ordered it, when). billing_item_id joins invoice_items.billing_item_id.",
			Columns:   columnsOf(reflect.TypeFor[BillingItemRow]()),
			Partition: SnapshotPartitionColumn,
		},
	}
	for i := range ts {
		if ts[i].Partition == "" {
			ts[i].Partition = PartitionColumn
		}
		ts[i].Example = tableExamples[ts[i].Name]
	}
	return ts
})

var (
	decimalType = reflect.TypeFor[Decimal]()
	timeType    = reflect.TypeFor[time.Time]()
)

// columnsOf derives the columns of a row struct. It panics on a field it
// cannot describe exactly: the row types are fixed at compile time, and the
// tests call it.
func columnsOf(rt reflect.Type) []Column {
	var cols []Column
	for f := range rt.Fields() {
		tag, ok := f.Tag.Lookup("parquet")
		if !ok || tag == "-" {
			panic(fmt.Sprintf("schemas: %s.%s: no parquet tag", rt.Name(), f.Name))
		}
		name, opts, _ := strings.Cut(tag, ",")
		c := Column{Name: name, Doc: f.Tag.Get("doc")}
		if c.Doc == "" || strings.ContainsAny(c.Doc, "'\"`\\\n") {
			panic(fmt.Sprintf("schemas: %s.%s: want a doc tag without quotes, backslashes or newlines", rt.Name(), f.Name))
		}
		optional, timestamp, decimal := false, false, false
		for o := range strings.SplitSeq(opts, ",") {
			switch o {
			case "":
			case "optional":
				optional = true
			case "dict":
			case "timestamp(microsecond)":
				timestamp = true
			case fmt.Sprintf("decimal(%d:%d)", MoneyScale, MoneyPrecision):
				decimal = true
			default:
				panic(fmt.Sprintf("schemas: %s.%s: parquet tag option %q not supported here", rt.Name(), f.Name, o))
			}
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
			c.Nullable = true
		}
		if c.Nullable != optional {
			panic(fmt.Sprintf("schemas: %s.%s: a pointer field must be optional and only a pointer field may be", rt.Name(), f.Name))
		}
		switch {
		case ft == decimalType && decimal:
			c.Kind = KindDecimal
		case ft == timeType && timestamp:
			c.Kind = KindTimestamp
		case decimal || timestamp:
			panic(fmt.Sprintf("schemas: %s.%s: decimal and timestamp tags need Decimal and time.Time fields", rt.Name(), f.Name))
		case ft.Kind() == reflect.Int64 && ft != decimalType:
			c.Kind = KindBigInt
		case ft.Kind() == reflect.Int32:
			c.Kind = KindInt
		case ft.Kind() == reflect.String:
			c.Kind = KindString
		case ft.Kind() == reflect.Bool:
			c.Kind = KindBoolean
		default:
			panic(fmt.Sprintf("schemas: %s.%s: type %s not supported here", rt.Name(), f.Name, f.Type))
		}
		cols = append(cols, c)
	}
	return cols
}
