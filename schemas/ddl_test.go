package schemas_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/invoicelake/invoicelake/schemas"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ and docs/DATA.md")

// golden compares got with the file at path, or rewrites it under -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./schemas -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s is stale (-file +generated); review, then run go test ./schemas -update:\n%s", path, diff)
	}
}

func parquetSchemas() string {
	return fmt.Sprintf("%s\n%s\n",
		parquet.SchemaOf(schemas.InvoiceRow{}), parquet.SchemaOf(schemas.ItemRow{}))
}

func TestGoldenParquetSchema(t *testing.T) {
	golden(t, "testdata/parquet_schema.golden", parquetSchemas())
}

func athena(t *testing.T) string {
	t.Helper()
	s, err := schemas.AthenaDDL("s3://example-bucket/lake/", "invoicelake", []int64{278444, 300123})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestGoldenAthenaDDL(t *testing.T) {
	golden(t, "testdata/athena.sql.golden", athena(t)+"\n")
}

func TestGoldenDuckDBDDL(t *testing.T) {
	s, err := schemas.DuckDBDDL("/var/lib/invoicelake/lake")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/duckdb.sql.golden", s+"\n")
}

func TestDataDictionaryIsCurrent(t *testing.T) {
	golden(t, "../docs/DATA.md", schemas.DataDictionary()+"\n")
}

// TestAthenaMatchesParquet parses the column lists of the generated CREATE
// TABLE statements and compares them one for one, in order, with the Parquet
// schema parquet-go derives from the row types.
func TestAthenaMatchesParquet(t *testing.T) {
	ddl := athena(t)
	create := regexp.MustCompile("(?s)CREATE EXTERNAL TABLE IF NOT EXISTS `invoicelake`.`(\\w+)` \\(\n(.*?)\n\\)\n")
	column := regexp.MustCompile("^  `(\\w+)` (\\S+) COMMENT '[^']*',?$")
	got := map[string][][2]string{}
	for _, m := range create.FindAllStringSubmatch(ddl, -1) {
		for _, line := range strings.Split(m[2], "\n") {
			c := column.FindStringSubmatch(line)
			if c == nil {
				t.Fatalf("table %s: cannot parse column line %q", m[1], line)
			}
			got[m[1]] = append(got[m[1]], [2]string{c[1], c[2]})
		}
	}
	want := map[string][][2]string{
		// account_id is a partition key in Athena, not a column as well.
		schemas.InvoicesTable:         noAccount(athenaColumns(t, parquet.SchemaOf(schemas.InvoiceRow{}))),
		schemas.ItemsTable:            noAccount(athenaColumns(t, parquet.SchemaOf(schemas.ItemRow{}))),
		schemas.PaymentsTable:         noAccount(athenaColumns(t, parquet.SchemaOf(schemas.PaymentRow{}))),
		schemas.SnapshotsTable:        noAccount(athenaColumns(t, parquet.SchemaOf(schemas.AccountSnapshotRow{}))),
		schemas.NextInvoiceItemsTable: noAccount(athenaColumns(t, parquet.SchemaOf(schemas.BillingItemRow{}))),
		schemas.BillingItemsTable:     noAccount(athenaColumns(t, parquet.SchemaOf(schemas.BillingItemRow{}))),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Athena columns (-parquet +ddl):\n%s", diff)
	}
	if n := strings.Count(ddl, "PARTITIONED BY (`account_id` bigint COMMENT '"); n != 6 {
		t.Errorf("got %d tables partitioned by account_id bigint first, want 6", n)
	}
	if n := strings.Count(ddl, ", `snapshot_date` string COMMENT '"); n != 3 {
		t.Errorf("got %d tables partitioned by snapshot_date string, want 3", n)
	}
	if n := strings.Count(ddl, ", `billing_period` string COMMENT '"); n != 3 {
		t.Errorf("got %d tables partitioned by billing_period string, want 3", n)
	}
}

// athenaColumns maps a Parquet schema to Athena types independently of the
// generator: physical type plus logical type, nothing else.
func athenaColumns(t *testing.T, s *parquet.Schema) [][2]string {
	t.Helper()
	var out [][2]string
	for _, f := range s.Fields() {
		if !f.Leaf() || f.Repeated() {
			t.Fatalf("column %s: nested or repeated, want a flat schema", f.Name())
		}
		var lv format.LogicalTypeValue
		if lt := f.Type().LogicalType(); lt != nil {
			lv = lt.Value
		}
		var typ string
		switch k := f.Type().Kind(); v := lv.(type) {
		case nil:
			switch k {
			case parquet.Int64:
				typ = "bigint"
			case parquet.Int32:
				typ = "int"
			case parquet.Boolean:
				typ = "boolean"
			}
		case *format.IntType:
			switch {
			case k == parquet.Int64 && v.BitWidth == 64 && v.IsSigned:
				typ = "bigint"
			case k == parquet.Int32 && v.BitWidth == 32 && v.IsSigned:
				typ = "int"
			}
		case *format.StringType:
			if k == parquet.ByteArray {
				typ = "string"
			}
		case *format.TimestampType:
			if _, micros := v.Unit.Value.(*format.MicroSeconds); k == parquet.Int64 && micros && v.IsAdjustedToUTC {
				typ = "timestamp"
			}
		case *format.DecimalType:
			if k == parquet.Int64 {
				typ = fmt.Sprintf("decimal(%d,%d)", v.Precision, v.Scale)
			}
		}
		if typ == "" {
			t.Fatalf("column %s: Parquet type %v has no Athena mapping here", f.Name(), f.Type())
		}
		out = append(out, [2]string{f.Name(), typ})
	}
	return out
}

// TestColumnsMatchParquet checks the reflected columns' names, order and
// nullability against parquet-go's own reading of the same tags.
func TestColumnsMatchParquet(t *testing.T) {
	rows := map[string]*parquet.Schema{
		schemas.InvoicesTable:         parquet.SchemaOf(schemas.InvoiceRow{}),
		schemas.ItemsTable:            parquet.SchemaOf(schemas.ItemRow{}),
		schemas.PaymentsTable:         parquet.SchemaOf(schemas.PaymentRow{}),
		schemas.SnapshotsTable:        parquet.SchemaOf(schemas.AccountSnapshotRow{}),
		schemas.NextInvoiceItemsTable: parquet.SchemaOf(schemas.BillingItemRow{}),
		schemas.BillingItemsTable:     parquet.SchemaOf(schemas.BillingItemRow{}),
	}
	tables := schemas.Tables()
	if len(tables) != len(rows) {
		t.Fatalf("got %d tables, want %d", len(tables), len(rows))
	}
	for _, tb := range tables {
		fields := rows[tb.Name].Fields()
		if len(fields) != len(tb.Columns) {
			t.Fatalf("table %s: got %d columns, want %d", tb.Name, len(tb.Columns), len(fields))
		}
		for i, c := range tb.Columns {
			if c.Name != fields[i].Name() || c.Nullable != fields[i].Optional() {
				t.Errorf("table %s column %d: got %s nullable=%t, want %s nullable=%t",
					tb.Name, i, c.Name, c.Nullable, fields[i].Name(), fields[i].Optional())
			}
			if c.Name == schemas.PartitionColumn {
				t.Errorf("table %s: the partition column must not be in the files", tb.Name)
			}
			if !regexp.MustCompile(`^[a-z][a-z0-9_]*$`).MatchString(c.Name) {
				t.Errorf("table %s: column %q is not snake_case", tb.Name, c.Name)
			}
		}
	}
}

func TestAthenaDDLProjection(t *testing.T) {
	ddl := athena(t)
	for _, want := range []string{
		"LOCATION 's3://example-bucket/lake/invoices/'",
		"LOCATION 's3://example-bucket/lake/invoice_items/'",
		"'storage.location.template' = 's3://example-bucket/lake/invoice_items/account_id=${account_id}/billing_period=${billing_period}/'",
		"'projection.account_id.type' = 'enum'",
		"'projection.account_id.values' = '278444,300123'",
		"'projection.billing_period.type' = 'date'",
		"'projection.billing_period.format' = 'yyyy-MM'",
		"'projection.billing_period.range' = '2010-01,NOW'",
		"'projection.billing_period.interval.unit' = 'MONTHS'",
		"CREATE OR REPLACE VIEW invoicelake.cost_by_service_month AS",
		"FROM invoicelake.invoice_items i",
	} {
		if !strings.Contains(ddl, want) {
			t.Errorf("Athena DDL lacks %q", want)
		}
	}
	for _, bad := range []string{"MSCK", "` double", "` float", "` real"} {
		if strings.Contains(ddl, bad) {
			t.Errorf("Athena DDL contains %q", bad)
		}
	}
}

func TestDDLRejects(t *testing.T) {
	tests := []struct {
		name     string
		run      func() (string, error)
		wantText string
	}{
		{"athena not s3", func() (string, error) { return schemas.AthenaDDL("/data/lake", "", []int64{278444, 300123}) }, "want s3://bucket/prefix"},
		{"athena bad database", func() (string, error) { return schemas.AthenaDDL("s3://b/p", "Bad-DB", []int64{278444, 300123}) }, "database"},
		{"athena quote", func() (string, error) { return schemas.AthenaDDL("s3://b/it's", "", []int64{278444, 300123}) }, "quotes"},
		{"athena no account", func() (string, error) { return schemas.AthenaDDL("s3://b/p", "", nil) }, "no account"},
		{"duckdb empty", func() (string, error) { return schemas.DuckDBDDL("") }, "non-empty"},
		{"duckdb glob", func() (string, error) { return schemas.DuckDBDDL("/data/*") }, "glob"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.run()
			if err == nil || !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("got %v, want an error containing %q", err, tt.wantText)
			}
		})
	}
	if s, err := schemas.AthenaDDL("s3://b/p", "", []int64{278444, 300123}); err != nil || strings.Contains(s, "`.`") || !strings.Contains(s, "CREATE EXTERNAL TABLE IF NOT EXISTS `invoices`") {
		t.Errorf("without a database: got error %v, want unqualified names", err)
	}
}

// noAccount drops account_id: a partition key in Athena, never a column too.
func noAccount(cols [][2]string) [][2]string {
	return slices.DeleteFunc(cols, func(c [2]string) bool { return c[0] == schemas.AccountColumn })
}
