//go:build cgo

package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/invoicelake/invoicelake/configs"
	"github.com/invoicelake/invoicelake/schemas"
	"github.com/invoicelake/invoicelake/transform"
)

// duckItemColumns are the getItems properties (extract.ItemMask) as DuckDB
// reads them; amounts stay strings until cast, exactly as the API sends them.
const duckItemColumns = `{id: 'BIGINT', invoiceId: 'BIGINT', parentId: 'BIGINT', billingItemId: 'BIGINT',
 associatedInvoiceItemId: 'BIGINT', resourceTableId: 'BIGINT', productItemId: 'BIGINT',
 categoryCode: 'VARCHAR', category: 'STRUCT(name VARCHAR)', description: 'VARCHAR', hostName: 'VARCHAR',
 domainName: 'VARCHAR', location: 'STRUCT(name VARCHAR)', createDate: 'VARCHAR',
 recurringFee: 'VARCHAR', hourlyRecurringFee: 'VARCHAR', oneTimeFee: 'VARCHAR', setupFee: 'VARCHAR', laborFee: 'VARCHAR',
 recurringTaxAmount: 'VARCHAR', oneTimeTaxAmount: 'VARCHAR', setupTaxAmount: 'VARCHAR', laborTaxAmount: 'VARCHAR'}`

const duckInvoiceColumns = `{id: 'BIGINT', accountId: 'BIGINT', createDate: 'VARCHAR', modifyDate: 'VARCHAR',
 closedDate: 'VARCHAR', typeCode: 'VARCHAR', statusCode: 'VARCHAR', startingBalance: 'VARCHAR', endingBalance: 'VARCHAR',
 invoiceTotalAmount: 'VARCHAR', invoiceTotalPreTaxAmount: 'VARCHAR', invoiceTotalRecurringAmount: 'VARCHAR',
 invoiceTotalRecurringTaxAmount: 'VARCHAR', invoiceTotalOneTimeAmount: 'VARCHAR', invoiceTotalOneTimeTaxAmount: 'VARCHAR',
 itemCount: 'BIGINT'}`

// duckConvertSQL is DuckDB doing invoicelake's job on the same saved JSON
// pages: the same two tables, columns and types, the hierarchy flattened
// (recursive CTE), resource_service from the same category map, rows sorted
// by (invoice_id, item_id), partitioned by billing_period. Simplified where
// it costs nothing measurable: reconciliation is two comparisons with no
// text, contact columns are NULL (invoicelake's default PII policy "drop").
func duckConvertSQL(pages, out, compression string) (string, error) {
	cats, err := transform.ParseCategoryMap(configs.DefaultCategories)
	if err != nil {
		return "", err
	}
	var vals []string
	for _, code := range cats.Codes() {
		svc, _ := cats.Service(code)
		vals = append(vals, fmt.Sprintf("('%s', '%s')", code, svc))
	}
	dec := func(col string) string { return fmt.Sprintf("CAST(%s AS DECIMAL(18,8))", col) }
	fees := []string{"recurringFee", "oneTimeFee", "setupFee", "laborFee",
		"recurringTaxAmount", "oneTimeTaxAmount", "setupTaxAmount", "laborTaxAmount"}
	var total []string
	for _, f := range fees {
		total = append(total, "COALESCE("+dec("i."+f)+", 0)")
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "SET TimeZone = 'UTC';\n")
	fmt.Fprintf(&sb, "CREATE TEMP TABLE catmap(code VARCHAR, service VARCHAR);\nINSERT INTO catmap VALUES %s;\n", strings.Join(vals, ", "))
	fmt.Fprintf(&sb, "CREATE TEMP TABLE inv AS SELECT DISTINCT ON (id) * FROM read_json('%s', format = 'array', columns = %s);\n",
		filepath.Join(pages, "invoices", "*.json"), duckInvoiceColumns)
	fmt.Fprintf(&sb, "CREATE TEMP TABLE it AS SELECT DISTINCT ON (id) * FROM read_json('%s', format = 'array', columns = %s);\n",
		filepath.Join(pages, "items", "*.json"), duckItemColumns)
	fmt.Fprintf(&sb, `CREATE TEMP TABLE rows AS
WITH RECURSIVE h(id, top, depth) AS (
  SELECT id, id, 0 FROM it WHERE parentId IS NULL
  UNION ALL
  SELECT c.id, h.top, h.depth + 1 FROM it c JOIN h ON c.parentId = h.id
)
SELECT i.invoiceId AS invoice_id, i.id AS item_id, i.parentId AS parent_item_id, h.top AS top_level_item_id,
  CAST(h.depth AS INTEGER) AS depth, i.categoryCode AS category_code, NULLIF(i.category.name, '') AS category_name,
  m.service AS resource_service, t.resourceTableId AS resource_id, i.billingItemId AS billing_item_id,
  i.description AS description, i.hostName AS host_name, i.domainName AS domain_name, i.location.name AS location,
  %s AS recurring_fee, %s AS hourly_recurring_fee, %s AS one_time_fee, %s AS setup_fee, %s AS labor_fee,
  %s AS recurring_tax_amount, %s AS one_time_tax_amount, %s AS setup_tax_amount, %s AS labor_tax_amount,
  CAST(%s AS DECIMAL(18,8)) AS total_amount,
  CAST(i.createDate AS TIMESTAMPTZ) AS create_date,
  substr(v.createDate, 1, 7) AS billing_period
FROM it i JOIN h ON h.id = i.id JOIN it t ON t.id = h.top
LEFT JOIN catmap m ON m.code = t.categoryCode JOIN inv v ON v.id = i.invoiceId;
`, dec("i.recurringFee"), dec("i.hourlyRecurringFee"), dec("i.oneTimeFee"), dec("i.setupFee"), dec("i.laborFee"),
		dec("i.recurringTaxAmount"), dec("i.oneTimeTaxAmount"), dec("i.setupTaxAmount"), dec("i.laborTaxAmount"),
		strings.Join(total, " + "))
	fmt.Fprintf(&sb, "COPY (SELECT * FROM rows ORDER BY invoice_id, item_id) TO '%s' (FORMAT parquet, PARTITION_BY (billing_period), COMPRESSION %s);\n",
		filepath.Join(out, schemas.ItemsTable), compression)
	fmt.Fprintf(&sb, `COPY (
SELECT v.id AS invoice_id, v.accountId AS account_id, v.typeCode AS type_code, v.statusCode AS status_code,
  CAST(v.createDate AS TIMESTAMPTZ) AS create_date, CAST(v.modifyDate AS TIMESTAMPTZ) AS modify_date,
  CAST(v.closedDate AS TIMESTAMPTZ) AS closed_date, %s AS starting_balance, %s AS ending_balance,
  %s AS invoice_total_amount, %s AS invoice_total_pre_tax_amount, %s AS invoice_total_recurring_amount,
  %s AS invoice_total_recurring_tax_amount, %s AS invoice_total_one_time_amount, %s AS invoice_total_one_time_tax_amount,
  v.itemCount AS item_count, CAST(COALESCE(s.total, 0) AS DECIMAL(18,8)) AS items_total_amount,
  COALESCE(s.n, 0) AS item_rows,
  COALESCE(s.n, 0) = v.itemCount AND COALESCE(s.total, 0) = %s AS reconciled, NULL::VARCHAR AS reconcile_issues,
  NULL::VARCHAR AS company_name, NULL::VARCHAR AS first_name, NULL::VARCHAR AS last_name, NULL::VARCHAR AS address1,
  NULL::VARCHAR AS address2, NULL::VARCHAR AS city, NULL::VARCHAR AS state, NULL::VARCHAR AS postal_code,
  NULL::VARCHAR AS country, NULL::VARCHAR AS email, NULL::VARCHAR AS office_phone, NULL::VARCHAR AS fax_phone,
  substr(v.createDate, 1, 7) AS billing_period
FROM inv v LEFT JOIN (SELECT invoice_id, SUM(total_amount) AS total, COUNT(*) AS n FROM rows GROUP BY 1) s ON s.invoice_id = v.id
WHERE substr(v.createDate, 1, 7) BETWEEN '%s' AND '%s'
ORDER BY invoice_id) TO '%s' (FORMAT parquet, PARTITION_BY (billing_period), COMPRESSION %s);
`, dec("v.startingBalance"), dec("v.endingBalance"), dec("v.invoiceTotalAmount"), dec("v.invoiceTotalPreTaxAmount"),
		dec("v.invoiceTotalRecurringAmount"), dec("v.invoiceTotalRecurringTaxAmount"), dec("v.invoiceTotalOneTimeAmount"),
		dec("v.invoiceTotalOneTimeTaxAmount"), dec("v.invoiceTotalAmount"),
		benchFrom().String(), benchTo().String(), filepath.Join(out, schemas.InvoicesTable), compression)
	return sb.String(), nil
}

// duckConvert runs the conversion in a fresh in-process DuckDB (all cores,
// default memory limit) and returns its wall time.
func duckConvert(pages, out, compression string) (time.Duration, error) {
	q, err := duckConvertSQL(pages, out, compression)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return 0, err
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // TEMP tables live in one connection
	start := time.Now()
	if _, err := db.Exec(q); err != nil {
		return 0, fmt.Errorf("duckdb convert: %w", err)
	}
	return time.Since(start), nil
}

// lakeCheck is what DuckDB reads from a lake's invoice_items: rows, the
// money total and the biggest invoice.
type lakeCheck struct {
	Rows, Invoices, MaxItems int64
	Total                    string
}

func readLakeCheck(dir string) (lakeCheck, error) {
	var c lakeCheck
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return c, err
	}
	defer db.Close()
	items := filepath.Join(dir, schemas.ItemsTable, "**", "*.parquet") // ours has an account level, DuckDB's not
	err = db.QueryRow(fmt.Sprintf(`SELECT count(*), count(DISTINCT invoice_id), CAST(sum(total_amount) AS VARCHAR),
  (SELECT max(n) FROM (SELECT count(*) AS n FROM read_parquet('%s') GROUP BY invoice_id))
FROM read_parquet('%s')`, items, items)).Scan(&c.Rows, &c.Invoices, &c.Total, &c.MaxItems)
	return c, err
}

// queryCostByService times SELECT * FROM cost_by_service_month over the
// whole lake through the generated views: one cold run, then n timed runs.
func queryCostByService(dir string, n int) ([]time.Duration, int, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ddl, err := schemas.DuckDBDDL(dir)
	if err != nil {
		return nil, 0, err
	}
	if _, err := db.Exec(ddl); err != nil {
		return nil, 0, err
	}
	var out []time.Duration
	rowsSeen := 0
	for i := range n + 1 {
		start := time.Now()
		rows, err := db.Query(`SELECT * FROM cost_by_service_month`)
		if err != nil {
			return nil, 0, err
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for j := range vals {
			ptrs[j] = &vals[j]
		}
		k := 0
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return nil, 0, err
			}
			k++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, 0, err
		}
		if i > 0 {
			out = append(out, time.Since(start))
		}
		rowsSeen = k
	}
	return out, rowsSeen, nil
}

func duckVersion() string {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return "?"
	}
	defer db.Close()
	var v string
	if err := db.QueryRow(`SELECT version()`).Scan(&v); err != nil {
		return "?"
	}
	return v
}

func median[T int64 | float64 | time.Duration](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		var z T
		return z
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
