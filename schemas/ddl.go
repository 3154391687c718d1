package schemas

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// View is a query over the two tables, generated for Athena and DuckDB from
// one body. The body is SQL both engines accept; {invoices} and
// {invoice_items} stand for the table references.
type View struct {
	Name string
	Doc  string
	body string
}

// views are generated with the tables, the period views then the
// snapshot views: the questions users ask first.
var views = append(periodViews[:len(periodViews):len(periodViews)], snapshotViews...)

var periodViews = []View{
	{
		Name: "cost_by_service_month",
		Doc: "Cost per billing period, account and resource service (NULL: no resource service, or a top-level category code not in the category map), " +
			"with its readable service_name (credits, bandwidth, labor... are named although they have no resource service; NULL only for unknown codes). " +
			"total_amount includes taxes; credits on the same invoices are netted in.",
		body: `SELECT i.billing_period,
       i.account_id,
       i.resource_service,
       COUNT(DISTINCT i.invoice_id) AS invoices,
       COUNT(DISTINCT i.top_level_item_id) AS top_level_items,
       COUNT(*) AS item_rows,
       SUM(i.total_amount) AS total_amount,
       SUM(COALESCE(i.recurring_tax_amount, 0) + COALESCE(i.one_time_tax_amount, 0)
         + COALESCE(i.setup_tax_amount, 0) + COALESCE(i.labor_tax_amount, 0)) AS tax_amount,
       i.service_name
FROM {invoice_items} i
GROUP BY i.billing_period, i.account_id, i.resource_service, i.service_name`,
	},
	{
		Name: "top_level_item_cost",
		Doc: "The true cost of each top-level item (a server, a guest, a storage volume...) on each invoice: " +
			"its own amount, all its descendants, and the items associated with it (associatedInvoiceItemId: a software license attached to a server), " +
			"with its category, host and resource. Grouped by rollup_item_id, so an associated item is counted with the item it is attached to, never on its own.",
		body: `SELECT i.billing_period,
       i.account_id,
       i.invoice_id,
       i.rollup_item_id AS top_level_item_id,
       MAX(CASE WHEN i.item_id = i.rollup_item_id THEN i.category_code END) AS category_code,
       MAX(CASE WHEN i.item_id = i.rollup_item_id THEN i.category_name END) AS category_name,
       MAX(CASE WHEN i.item_id = i.rollup_item_id THEN i.description END) AS description,
       MAX(CASE WHEN i.item_id = i.rollup_item_id THEN i.host_name END) AS host_name,
       MAX(CASE WHEN i.item_id = i.rollup_item_id THEN i.domain_name END) AS domain_name,
       MAX(CASE WHEN i.item_id = i.rollup_item_id THEN i.location END) AS location,
       MAX(CASE WHEN i.item_id = i.rollup_item_id THEN i.resource_service END) AS resource_service,
       MAX(CASE WHEN i.item_id = i.rollup_item_id THEN i.resource_id END) AS resource_id,
       COUNT(CASE WHEN i.top_level_item_id = i.rollup_item_id AND i.depth > 0 THEN 1 END) AS descendant_rows,
       SUM(CASE WHEN i.item_id = i.rollup_item_id THEN i.total_amount ELSE 0 END) AS own_amount,
       SUM(CASE WHEN i.top_level_item_id = i.rollup_item_id AND i.depth > 0 THEN i.total_amount ELSE 0 END) AS descendants_amount,
       SUM(i.total_amount) AS total_amount,
       COUNT(CASE WHEN i.top_level_item_id <> i.rollup_item_id THEN 1 END) AS associated_rows,
       SUM(CASE WHEN i.top_level_item_id <> i.rollup_item_id THEN i.total_amount ELSE 0 END) AS associated_amount,
       MAX(CASE WHEN i.item_id = i.rollup_item_id THEN i.service_name END) AS service_name
FROM {invoice_items} i
GROUP BY i.billing_period, i.account_id, i.invoice_id, i.rollup_item_id`,
	},
	{
		Name: "credits_refunds_month",
		Doc: "CREDIT and REFUND invoices per billing period and account, with their totals " +
			"as the API reports them and as their items add up.",
		body: `SELECT billing_period,
       account_id,
       type_code,
       COUNT(*) AS invoices,
       SUM(invoice_total_amount) AS invoice_total_amount,
       SUM(items_total_amount) AS items_total_amount
FROM {invoices}
WHERE type_code IN ('CREDIT', 'REFUND')
GROUP BY billing_period, account_id, type_code`,
	},
	{
		Name: "unreconciled_invoices",
		Doc:  "Invoices whose items did not match their totals or item count, with what did not match.",
		body: `SELECT billing_period,
       account_id,
       invoice_id,
       type_code,
       invoice_total_amount,
       items_total_amount,
       item_count,
       item_rows,
       reconcile_issues
FROM {invoices}
WHERE NOT reconciled`,
	},
}

// snapshotViews are the views over the snapshot tables, appended to views.
var snapshotViews = []View{
	{
		Name: "latest_account_snapshot",
		Doc:  "The latest snapshot of each account: balance, next invoice totals, pending and latest recurring invoices.",
		body: `SELECT s.*
FROM {account_snapshots} s
JOIN (SELECT account_id, MAX(snapshot_time) AS snapshot_time FROM {account_snapshots} GROUP BY account_id) m
  ON m.account_id = s.account_id AND m.snapshot_time = s.snapshot_time`,
	},
	{
		Name: "next_invoice_vs_last_recurring",
		Doc: "The forecast of the next invoice (the latest snapshot of next_invoice_items, top-level rows, before tax) next to the last CLOSED RECURRING invoice, " +
			"by service_name (unmapped codes as (unmapped)): forecast_amount against the recurring fees of that invoice (last_recurring_amount, before tax) " +
			"and its total with taxes and one-time charges (last_total_amount).",
		body: `WITH snap AS (
  SELECT account_id, MAX(snapshot_time) AS snapshot_time FROM {account_snapshots} GROUP BY account_id
), forecast AS (
  SELECT n.account_id, n.snapshot_time, COALESCE(n.service_name, '(unmapped)') AS service_name,
         COUNT(*) AS forecast_items, SUM(n.next_invoice_total_recurring_amount) AS forecast_amount
  FROM {next_invoice_items} n
  JOIN snap ON snap.account_id = n.account_id AND snap.snapshot_time = n.snapshot_time
  WHERE n.depth = 0
  GROUP BY n.account_id, n.snapshot_time, COALESCE(n.service_name, '(unmapped)')
), last_invoice AS (
  SELECT v.account_id, v.invoice_id, v.billing_period
  FROM {invoices} v
  JOIN (SELECT account_id, MAX(create_date) AS create_date FROM {invoices}
        WHERE type_code = 'RECURRING' AND status_code = 'CLOSED' GROUP BY account_id) m
    ON m.account_id = v.account_id AND m.create_date = v.create_date
  WHERE v.type_code = 'RECURRING' AND v.status_code = 'CLOSED'
), last_items AS (
  SELECT l.account_id, l.invoice_id, l.billing_period, COALESCE(i.service_name, '(unmapped)') AS service_name,
         SUM(COALESCE(i.recurring_fee, 0)) AS last_recurring_amount, SUM(i.total_amount) AS last_total_amount
  FROM {invoice_items} i
  JOIN last_invoice l ON l.billing_period = i.billing_period AND l.invoice_id = i.invoice_id
  GROUP BY l.account_id, l.invoice_id, l.billing_period, COALESCE(i.service_name, '(unmapped)')
)
SELECT COALESCE(f.account_id, li.account_id) AS account_id,
       COALESCE(f.service_name, li.service_name) AS service_name,
       f.snapshot_time,
       COALESCE(f.forecast_items, 0) AS forecast_items,
       COALESCE(f.forecast_amount, 0) AS forecast_amount,
       li.invoice_id AS last_invoice_id,
       li.billing_period AS last_billing_period,
       COALESCE(li.last_recurring_amount, 0) AS last_recurring_amount,
       COALESCE(li.last_total_amount, 0) AS last_total_amount,
       COALESCE(f.forecast_amount, 0) - COALESCE(li.last_recurring_amount, 0) AS change_amount
FROM forecast f
FULL OUTER JOIN last_items li ON li.account_id = f.account_id AND li.service_name = f.service_name`,
	},
}

func (v View) sql(invoices, items string) string {
	// the other tables take the prefix (an Athena database) of invoices
	prefix := strings.TrimSuffix(invoices, InvoicesTable)
	return strings.NewReplacer("{invoices}", invoices, "{invoice_items}", items,
		"{invoice_payments}", prefix+PaymentsTable, "{account_snapshots}", prefix+SnapshotsTable,
		"{next_invoice_items}", prefix+NextInvoiceItemsTable, "{billing_items}", prefix+BillingItemsTable).Replace(v.body)
}

var athenaDatabase = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// AthenaDDL returns the Athena statements for a lake at location
// ("s3://bucket/prefix") holding accounts: one CREATE EXTERNAL TABLE per
// table, partitioned by account_id and billing_period with partition
// projection (no MSCK REPAIR, no crawler): account_id an enum of accounts
// (so that a query over every account needs no filter; a new account needs
// the DDL again, or ALTER TABLE ... SET TBLPROPERTIES), billing_period a
// date range,
// then the views, the FOCUS view (focus_1_2) last. Statements end with ";" and a blank line; Athena runs one
// statement per query, so run them in order. database qualifies every name
// when not empty and must be lowercase letters, digits and underscores.
func AthenaDDL(location, database string, accounts []int64) (string, error) {
	loc, err := lakeLocation(location)
	if err != nil {
		return "", fmt.Errorf("schemas: athena ddl: %w", err)
	}
	if len(accounts) == 0 {
		return "", fmt.Errorf("schemas: athena ddl: no account: partition projection needs the account ids (the lake's, or given)")
	}
	ids := make([]string, len(accounts))
	for i, a := range accounts {
		if a <= 0 {
			return "", fmt.Errorf("schemas: athena ddl: account id %d: want a positive id", a)
		}
		ids[i] = strconv.FormatInt(a, 10)
	}
	if !strings.HasPrefix(loc, "s3://") {
		return "", fmt.Errorf("schemas: athena ddl: location %q: want s3://bucket/prefix", location)
	}
	prefix := ""
	if database != "" {
		if !athenaDatabase.MatchString(database) {
			return "", fmt.Errorf("schemas: athena ddl: database %q: want lowercase letters, digits and underscores", database)
		}
		prefix = database + "."
	}
	var b strings.Builder
	fmt.Fprintf(&b, "-- invoicelake schema version %s: Athena tables over %s/\n", SchemaVersion, loc)
	b.WriteString("-- Generated by invoicelake ddl athena; run one statement at a time.\n\n")
	if database != "" {
		fmt.Fprintf(&b, "CREATE DATABASE IF NOT EXISTS `%s`;\n\n", database)
	}
	for _, t := range tables() {
		dir := loc + "/" + t.Name + "/"
		fmt.Fprintf(&b, "CREATE EXTERNAL TABLE IF NOT EXISTS %s`%s` (\n", backtick(database), t.Name)
		// A partition key is not a column too (Athena refuses the name
		// twice): the invoices files' own account_id is not declared.
		cols := slices.DeleteFunc(slices.Clone(t.Columns), func(c Column) bool { return c.Name == AccountColumn })
		for i, c := range cols {
			sep := ","
			if i == len(cols)-1 {
				sep = ""
			}
			fmt.Fprintf(&b, "  `%s` %s COMMENT '%s'%s\n", c.Name, c.AthenaType(), c.Doc, sep)
		}
		b.WriteString(")\n")
		fmt.Fprintf(&b, "COMMENT '%s'\n", t.Doc)
		pc := t.Partition
		fmt.Fprintf(&b, "PARTITIONED BY (`%s` bigint COMMENT '%s', `%s` string COMMENT '%s')\n", AccountColumn, accountDoc, pc, partitionDocOf(pc))
		b.WriteString("STORED AS PARQUET\n")
		fmt.Fprintf(&b, "LOCATION '%s'\n", dir)
		b.WriteString("TBLPROPERTIES (\n")
		format, rng, unit := "yyyy-MM", "2010-01,NOW", "MONTHS"
		if pc == SnapshotPartitionColumn {
			format, rng, unit = "yyyy-MM-dd", "2020-01-01,NOW", "DAYS"
		}
		props := [][2]string{
			{"projection.enabled", "true"},
			{"projection." + AccountColumn + ".type", "enum"},
			{"projection." + AccountColumn + ".values", strings.Join(ids, ",")},
			{"projection." + pc + ".type", "date"},
			{"projection." + pc + ".format", format},
			{"projection." + pc + ".range", rng},
			{"projection." + pc + ".interval", "1"},
			{"projection." + pc + ".interval.unit", unit},
			{"storage.location.template", dir + AccountColumn + "=${" + AccountColumn + "}/" + pc + "=${" + pc + "}/"},
			{"invoicelake.schema_version", SchemaVersion},
		}
		for i, p := range props {
			sep := ","
			if i == len(props)-1 {
				sep = ""
			}
			fmt.Fprintf(&b, "  '%s' = '%s'%s\n", p[0], p[1], sep)
		}
		b.WriteString(");\n\n")
	}
	for _, v := range views {
		fmt.Fprintf(&b, "-- %s\n", v.Doc)
		fmt.Fprintf(&b, "CREATE OR REPLACE VIEW %s%s AS\n%s;\n\n", prefix, v.Name,
			v.sql(prefix+InvoicesTable, prefix+ItemsTable))
	}
	fmt.Fprintf(&b, "-- %s\n", focusDoc)
	fmt.Fprintf(&b, "CREATE OR REPLACE VIEW %s%s AS\n%s;\n\n", prefix, FocusView,
		focusSQL(athenaSQL, prefix+InvoicesTable, prefix+ItemsTable))
	return strings.TrimSuffix(b.String(), "\n"), nil
}

func backtick(database string) string {
	if database == "" {
		return ""
	}
	return "`" + database + "`."
}

// DuckDBDDL returns DuckDB statements for a lake at location (a directory,
// or any URL DuckDB reads, e.g. s3://bucket/prefix with httpfs): a view per
// table over read_parquet(..., hive_partitioning = true) reading every
// account (account_id BIGINT and billing_period VARCHAR from the folders), then the views, the FOCUS view (focus_1_2) last. Each table needs at least one Parquet file:
// DuckDB fails "No files found" on a table with none (an empty lake).
func DuckDBDDL(location string) (string, error) {
	loc, err := lakeLocation(location)
	if err != nil {
		return "", fmt.Errorf("schemas: duckdb ddl: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "-- invoicelake schema version %s: DuckDB views over %s/\n", SchemaVersion, loc)
	b.WriteString("-- Generated by invoicelake ddl duckdb.\n\n")
	for _, t := range tables() {
		fmt.Fprintf(&b, "-- %s\n", t.Doc)
		fmt.Fprintf(&b, "CREATE OR REPLACE VIEW %s AS\nSELECT * FROM read_parquet('%s/%s/%s=*/%s=*/*.parquet', hive_partitioning = true, hive_types = {'%s': BIGINT, '%s': VARCHAR});\n\n",
			t.Name, loc, t.Name, AccountColumn, t.Partition, AccountColumn, t.Partition)
	}
	for _, v := range views {
		fmt.Fprintf(&b, "-- %s\n", v.Doc)
		fmt.Fprintf(&b, "CREATE OR REPLACE VIEW %s AS\n%s;\n\n", v.Name, v.sql(InvoicesTable, ItemsTable))
	}
	fmt.Fprintf(&b, "-- %s\n", focusDoc)
	fmt.Fprintf(&b, "CREATE OR REPLACE VIEW %s AS\n%s;\n\n", FocusView, focusSQL(duckDB, InvoicesTable, ItemsTable))
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// lakeLocation validates a lake location and trims its trailing slashes.
func lakeLocation(location string) (string, error) {
	loc := strings.TrimRight(location, "/")
	if loc == "" {
		return "", fmt.Errorf("location %q: want a non-empty path or URL", location)
	}
	if strings.ContainsAny(loc, "'`\\*?[]{}\n\r") {
		return "", fmt.Errorf("location %q: quotes, backslashes, newlines and glob characters are not supported", location)
	}
	return loc, nil
}
