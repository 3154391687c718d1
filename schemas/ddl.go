package schemas

import (
	"fmt"
	"regexp"
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

// Views returns the views generated with the tables: the questions users ask
// first.
func Views() []View { return append([]View(nil), views...) }

var views = []View{
	{
		Name: "cost_by_service_month",
		Doc: "Cost per billing period, account and resource service (NULL: no resource service, or a top-level category code not in the category map), " +
			"with its readable service_name (credits, bandwidth, labor... are named although they have no resource service; NULL only for unknown codes). " +
			"total_amount includes taxes; credits on the same invoices are netted in.",
		body: `SELECT i.billing_period,
       v.account_id,
       i.resource_service,
       COUNT(DISTINCT i.invoice_id) AS invoices,
       COUNT(DISTINCT i.top_level_item_id) AS top_level_items,
       COUNT(*) AS item_rows,
       SUM(i.total_amount) AS total_amount,
       SUM(COALESCE(i.recurring_tax_amount, 0) + COALESCE(i.one_time_tax_amount, 0)
         + COALESCE(i.setup_tax_amount, 0) + COALESCE(i.labor_tax_amount, 0)) AS tax_amount,
       i.service_name
FROM {invoice_items} i
LEFT JOIN {invoices} v ON v.billing_period = i.billing_period AND v.invoice_id = i.invoice_id
GROUP BY i.billing_period, v.account_id, i.resource_service, i.service_name`,
	},
	{
		Name: "top_level_item_cost",
		Doc: "The true cost of each top-level item (a server, a guest, a storage volume...) on each invoice: " +
			"its own amount, all its descendants, and the items associated with it (associatedInvoiceItemId: a software license attached to a server), " +
			"with its category, host and resource. Grouped by rollup_item_id, so an associated item is counted with the item it is attached to, never on its own.",
		body: `SELECT i.billing_period,
       v.account_id,
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
LEFT JOIN {invoices} v ON v.billing_period = i.billing_period AND v.invoice_id = i.invoice_id
GROUP BY i.billing_period, v.account_id, i.invoice_id, i.rollup_item_id`,
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

func (v View) sql(invoices, items string) string {
	return strings.NewReplacer("{invoices}", invoices, "{invoice_items}", items).Replace(v.body)
}

var athenaDatabase = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// AthenaDDL returns the Athena statements for a lake at location
// ("s3://bucket/prefix"): one CREATE EXTERNAL TABLE per table, partitioned
// by billing_period with partition projection (no MSCK REPAIR, no crawler),
// then the views. Statements end with ";" and a blank line; Athena runs one
// statement per query, so run them in order. database qualifies every name
// when not empty and must be lowercase letters, digits and underscores.
func AthenaDDL(location, database string) (string, error) {
	loc, err := lakeLocation(location)
	if err != nil {
		return "", fmt.Errorf("schemas: athena ddl: %w", err)
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
		for i, c := range t.Columns {
			sep := ","
			if i == len(t.Columns)-1 {
				sep = ""
			}
			fmt.Fprintf(&b, "  `%s` %s COMMENT '%s'%s\n", c.Name, c.AthenaType(), c.Doc, sep)
		}
		b.WriteString(")\n")
		fmt.Fprintf(&b, "COMMENT '%s'\n", t.Doc)
		fmt.Fprintf(&b, "PARTITIONED BY (`%s` string COMMENT '%s')\n", PartitionColumn, partitionDoc)
		b.WriteString("STORED AS PARQUET\n")
		fmt.Fprintf(&b, "LOCATION '%s'\n", dir)
		b.WriteString("TBLPROPERTIES (\n")
		props := [][2]string{
			{"projection.enabled", "true"},
			{"projection." + PartitionColumn + ".type", "date"},
			{"projection." + PartitionColumn + ".format", "yyyy-MM"},
			{"projection." + PartitionColumn + ".range", "2010-01,NOW"},
			{"projection." + PartitionColumn + ".interval", "1"},
			{"projection." + PartitionColumn + ".interval.unit", "MONTHS"},
			{"storage.location.template", dir + PartitionColumn + "=${" + PartitionColumn + "}/"},
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
// table over read_parquet(..., hive_partitioning = true) with billing_period
// typed VARCHAR, then the views. Each table needs at least one Parquet file:
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
		fmt.Fprintf(&b, "CREATE OR REPLACE VIEW %s AS\nSELECT * FROM read_parquet('%s/%s/%s=*/*.parquet', hive_partitioning = true, hive_types = {'%s': VARCHAR});\n\n",
			t.Name, loc, t.Name, PartitionColumn, PartitionColumn)
	}
	for _, v := range views {
		fmt.Fprintf(&b, "-- %s\n", v.Doc)
		fmt.Fprintf(&b, "CREATE OR REPLACE VIEW %s AS\n%s;\n\n", v.Name, v.sql(InvoicesTable, ItemsTable))
	}
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
