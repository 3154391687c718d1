//go:build cgo

package main

import (
	"database/sql"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/invoicelake/invoicelake/extract/slsim"
)

// docQuery is one SQL example of the documentation.
type docQuery struct {
	where string // file:line
	sql   string
}

var (
	fenceRE = regexp.MustCompile("(?s)```(sql|sh)\n(.*?)```")
	// duckdb -c "..." (a query; not a dot command such as .read)
	shQueryRE = regexp.MustCompile(`(?s)-c "((?:[^"\\]|\\.)*)"`)
)

// docQueries returns the SQL examples of files: ```sql blocks, and the
// queries given to `duckdb -c` in ```sh blocks.
func docQueries(t *testing.T, files ...string) []docQuery {
	t.Helper()
	var out []docQuery
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		for _, m := range fenceRE.FindAllStringSubmatchIndex(text, -1) {
			lang, body := text[m[2]:m[3]], text[m[4]:m[5]]
			line := strings.Count(text[:m[4]], "\n") + 1
			where := fmt.Sprintf("%s:%d", filepath.Base(f), line)
			switch lang {
			case "sql":
				out = append(out, docQuery{where, body})
			case "sh":
				for _, q := range shQueryRE.FindAllStringSubmatch(body, -1) {
					if s := strings.TrimSpace(q[1]); !strings.HasPrefix(s, ".") {
						out = append(out, docQuery{where, strings.ReplaceAll(s, `\"`, `"`)})
					}
				}
			}
		}
	}
	return out
}

// TestDocQueries runs every SQL example of the README and docs/ in DuckDB
// over a lake exported from the simulator, with the views of `ddl duckdb`
// created from another folder than the one the lake was named from (the
// DDL holds the lake's absolute path). Each returns rows, and a query
// with an ORDER BY names the columns it sorts by (no position: "ORDER BY
// 1, 3 DESC" once sorted by service name, not cost) and its rows come in
// that order. Athena's examples run on the same data: their other
// tables are made in DuckDB from the lake's, and their window moved to
// the lake's periods.
func TestDocQueries(t *testing.T) {
	queries := docQueries(t, append([]string{"../../README.md"}, mustGlob(t, "../../docs/*.md")...)...)
	if len(queries) < 7 {
		t.Fatalf("found %d queries in the docs: the extraction broke", len(queries))
	}
	srv := startSim(t, slsim.Options{Seed: 42, Months: 4, InconsistentInvoices: 2})
	e := simEnv(srv)
	work := t.TempDir()
	t.Chdir(work)
	if code, _, stderr := e.run(t, t.Context(), nil, "export", "--from", "2026-03", "--to", "2026-06", "--out", "./lake", "--log-level", "error"); code != 0 {
		t.Fatalf("export: exit %d\n%s", code, stderr)
	}
	code, ddl, stderr := e.run(t, t.Context(), nil, "ddl", "duckdb", "--location", "./lake")
	if code != 0 {
		t.Fatalf("ddl duckdb: exit %d\n%s", code, stderr)
	}
	abs := filepath.Join(work, "lake")
	if !strings.HasPrefix(ddl, "-- location "+abs+" (given as ./lake)") || !strings.Contains(ddl, "read_parquet('"+abs+"/invoice_items/") {
		t.Errorf("the DDL does not name the lake's absolute path %s:\n%.400s", abs, ddl)
	}
	t.Chdir(t.TempDir()) // elsewhere: a relative path in the views would find nothing

	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var version string
	db.QueryRow("SELECT version()").Scan(&version)
	t.Logf("DuckDB %s", version)
	if _, err := db.Exec(ddl); err != nil {
		t.Fatalf("the DDL in DuckDB, from another folder: %v", err)
	}
	// Athena's side: the tables its examples name, and date_format.
	for _, s := range []string{
		"CREATE SCHEMA invoicelake",
		"CREATE VIEW invoicelake.focus_1_2 AS SELECT * FROM main.focus_1_2",
		"CREATE SCHEMA cur",
		// An AWS FOCUS export: the lake's rows under another provider.
		"CREATE TABLE cur.focus_1_2_aws AS SELECT * REPLACE ('AWS' AS ProviderName, CAST(BilledCost AS DOUBLE) AS BilledCost, CAST(EffectiveCost AS DOUBLE) AS EffectiveCost), x_BillingPeriod AS billing_period FROM main.focus_1_2",
		"CREATE MACRO date_format(t, f) AS strftime(t, f)",
	} {
		if _, err := db.Exec(s); err != nil && !strings.Contains(err.Error(), "already exists") {
			t.Fatalf("%s: %v", s, err)
		}
	}
	for _, q := range queries {
		t.Run(q.where, func(t *testing.T) {
			query := strings.TrimSuffix(strings.TrimSpace(q.sql), ";")
			query = strings.NewReplacer("'2025-01'", "'2026-03'", "'2025-12'", "'2026-06'").Replace(query)
			rows, err := db.Query(query)
			if err != nil {
				t.Fatalf("%v\n%s", err, query)
			}
			defer rows.Close()
			cols, _ := rows.Columns()
			var got [][]any
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				got = append(got, vals)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 {
				t.Fatalf("no row: the example shows nothing on a lake of four months\n%s", query)
			}
			terms, err := orderBy(query, cols)
			if err != nil {
				t.Fatal(err)
			}
			if err := unsorted(got, cols, terms); err != nil {
				t.Error(err)
			}
			t.Logf("%d rows, %d columns, sorted by %v", len(got), len(cols), terms)
		})
	}
}

func mustGlob(t *testing.T, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil || len(m) == 0 {
		t.Fatalf("glob %s: %v %v", pattern, m, err)
	}
	return m
}

// sortTerm is one term of an ORDER BY: a column of the result.
type sortTerm struct {
	col  int
	name string
	desc bool
}

func (s sortTerm) String() string {
	if s.desc {
		return s.name + " DESC"
	}
	return s.name
}

// orderBy parses the query's last top-level ORDER BY into result columns;
// a term that is a position or not a column of the result is an error.
func orderBy(query string, cols []string) ([]sortTerm, error) {
	depth, at := 0, -1
	upper := strings.ToUpper(query)
	for i := 0; i < len(query); i++ {
		switch query[i] {
		case '(':
			depth++
		case ')':
			depth--
		case '\'':
			if j := strings.IndexByte(query[i+1:], '\''); j >= 0 {
				i += j + 1
			}
		default:
			if depth == 0 && strings.HasPrefix(upper[i:], "ORDER BY") {
				at = i + len("ORDER BY")
			}
		}
	}
	if at < 0 {
		return nil, nil
	}
	clause := query[at:]
	if i := regexp.MustCompile(`(?i)\b(LIMIT|OFFSET)\b`).FindStringIndex(clause); i != nil {
		clause = clause[:i[0]]
	}
	var terms []sortTerm
	for _, raw := range strings.Split(clause, ",") {
		f := strings.Fields(raw)
		if len(f) == 0 {
			return nil, fmt.Errorf("ORDER BY %q: an empty term", clause)
		}
		t := sortTerm{name: f[0], col: -1}
		for _, w := range f[1:] {
			switch strings.ToUpper(w) {
			case "DESC":
				t.desc = true
			case "ASC":
			case "NULLS", "LAST":
			default:
				return nil, fmt.Errorf("ORDER BY %q: %q is not a column name (name the column the example sorts by)", clause, strings.TrimSpace(raw))
			}
		}
		if _, err := strconv.Atoi(t.name); err == nil {
			return nil, fmt.Errorf("ORDER BY %q sorts by position %s: name the column, so that the example says what it sorts by", strings.TrimSpace(clause), t.name)
		}
		for i, c := range cols {
			if strings.EqualFold(c, t.name) {
				t.col = i
			}
		}
		if t.col < 0 {
			return nil, fmt.Errorf("ORDER BY %s: not a column of the result %v", t.name, cols)
		}
		terms = append(terms, t)
	}
	return terms, nil
}

// unsorted returns an error when rows do not come in the order of terms
// (NULLs last, DuckDB's default).
func unsorted(rows [][]any, cols []string, terms []sortTerm) error {
	for i := 1; i < len(rows); i++ {
		for _, st := range terms {
			c := compareValues(rows[i-1][st.col], rows[i][st.col])
			if st.desc && rows[i-1][st.col] != nil && rows[i][st.col] != nil {
				c = -c
			}
			if c < 0 {
				break
			}
			if c > 0 {
				return fmt.Errorf("rows %d and %d are not sorted by %v: %s %v, then %v", i-1, i, terms, cols[st.col], rows[i-1][st.col], rows[i][st.col])
			}
		}
	}
	return nil
}

// compareValues orders two values of a column; nil is last.
func compareValues(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	switch x := a.(type) {
	case string:
		return strings.Compare(x, b.(string))
	case time.Time:
		return x.Compare(b.(time.Time))
	case duckdb.Decimal:
		return decimalRat(x).Cmp(decimalRat(b.(duckdb.Decimal)))
	case float64:
		return compareNumbers(x, b.(float64))
	case float32:
		return compareNumbers(x, b.(float32))
	case int64:
		return compareNumbers(x, b.(int64))
	case int32:
		return compareNumbers(x, b.(int32))
	case *big.Int:
		return x.Cmp(b.(*big.Int))
	}
	panic(fmt.Sprintf("compareValues: a column of %T", a))
}

func compareNumbers[T int32 | int64 | float32 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func decimalRat(d duckdb.Decimal) *big.Rat {
	return new(big.Rat).SetFrac(d.Value, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Scale)), nil))
}

// TestOrderByNamesColumns: the checker refuses the README's old example,
// which sorted by position (service name, not cost), and a sort by
// something not in the result.
func TestOrderByNamesColumns(t *testing.T) {
	cols := []string{"billing_period", "account_id", "resource_service", "invoices", "top_level_items", "item_rows", "total_amount", "tax_amount"}
	for q, want := range map[string]string{
		"SELECT * FROM cost_by_service_month ORDER BY 1, 3 DESC":                         "sorts by position 1",
		"SELECT * FROM cost_by_service_month ORDER BY billing_period, cost DESC":         "not a column of the result",
		"SELECT * FROM cost_by_service_month ORDER BY sum(total_amount) DESC":            "not a column of the result",
		"SELECT * FROM cost_by_service_month ORDER BY billing_period, total_amount DESC": "",
		"SELECT * FROM (SELECT * FROM x ORDER BY 2) ORDER BY total_amount DESC LIMIT 5":  "",
	} {
		_, err := orderBy(q, cols)
		if (err == nil) != (want == "") || err != nil && !strings.Contains(err.Error(), want) {
			t.Errorf("orderBy(%q) = %v, want %q", q, err, want)
		}
	}
	rows := [][]any{{"2026-01", int64(5)}, {"2026-01", int64(7)}}
	terms := []sortTerm{{col: 0, name: "p"}, {col: 1, name: "n", desc: true}}
	if unsorted(rows, []string{"p", "n"}, terms) == nil {
		t.Errorf("5 then 7 passed as sorted DESC")
	}
	terms[1].desc = false
	if err := unsorted(rows, []string{"p", "n"}, terms); err != nil {
		t.Errorf("5 then 7 ASC: %v", err)
	}
}
