//go:build cgo

package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/invoicelake/invoicelake/extract/slsim"
	"github.com/invoicelake/invoicelake/schemas"
)

// billingNow is a clock with a pending invoice: the RECURRING invoice of
// the 4th is still OPEN on the 6th.
var billingNow = time.Date(2026, 6, 6, 12, 0, 0, 0, central)

// lakeDB opens DuckDB over the lake in dir with the generated views.
func lakeDB(t *testing.T, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	ddl, err := schemas.DuckDBDDL(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ddl); err != nil {
		t.Fatalf("DuckDB DDL: %v", err)
	}
	return db
}

// lakeRows runs q and returns every row as strings ("NULL" for NULL).
func lakeRows(t *testing.T, db *sql.DB, q string, args ...any) [][]string {
	t.Helper()
	rs, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rs.Close()
	cols, _ := rs.Columns()
	var out [][]string
	for rs.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = "NULL"
			if v.Valid {
				row[i] = v.String
			}
		}
		out = append(out, row)
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func numOf(t *testing.T, s string) *big.Rat {
	t.Helper()
	r, ok := new(big.Rat).SetString(strings.TrimSpace(strings.ReplaceAll(s, ",", "")))
	if !ok {
		t.Fatalf("not a number: %q", s)
	}
	return r
}

// slcliRunner runs Debian's slcli against the simulator, as the
// simulator's own client tests do.
func slcliRunner(t *testing.T, srv *slsim.Server) func(args ...string) []byte {
	t.Helper()
	bin, err := exec.LookPath("slcli")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("slcli not installed (CI is set)")
		}
		t.Skip("slcli not installed")
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "sim.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("[softlayer]\nusername=%s\napi_key=%s\nendpoint_url=%s\ntimeout=30\n",
		slsim.DefaultUser, testAPIKey, srv.URL())), 0o600); err != nil {
		t.Fatal(err)
	}
	return func(args ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append([]string{"-C", conf, "--format", "json"}, args...)...)
		var env []string
		for _, kv := range os.Environ() {
			k, _, _ := strings.Cut(kv, "=")
			switch strings.ToLower(k) {
			case "https_proxy", "http_proxy", "all_proxy", "sl_username", "sl_api_key", "slcli_config":
				continue
			}
			env = append(env, kv)
		}
		cmd.Env = append(env, "HOME="+dir)
		out, err := cmd.Output()
		if err != nil {
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("slcli %v: %v\n%s", args, err, stderr)
		}
		return out
	}
}

// TestBillingDataAgreesWithSlcli exports the simulator's account with the
// billing data and the documents, then compares what Debian's slcli prints
// with what the lake holds: the balance, the upcoming invoice, the next
// invoice total, the live billing items (ids, costs, who ordered them),
// each order's user; and checks the documents and the API calls.
func TestBillingDataAgreesWithSlcli(t *testing.T) {
	srv := startSim(t, slsim.Options{Seed: 42, Months: 4, Now: billingNow, HeavyInvoiceItems: -1})
	slcli := slcliRunner(t, srv)
	e := simEnv(srv)
	dir := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "invoicelake.yaml")
	if err := os.WriteFile(cfg, []byte("lake:\n  location: "+dir+"\ntransform:\n  pii_columns:\n    ordered_by_username: keep\n    ordered_by_name: keep\n"+
		"documents:\n  enabled: true\n  kinds: [pdf, excel]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	per := schemas.PeriodOf(billingNow)
	from := per.AddMonths(-3).String()
	srv.Sim().ResetStats()
	code, stdout, stderr := e.run(t, t.Context(), nil, "export", "--config", cfg, "--from", from, "--to", per.String())
	if code != 0 {
		t.Fatalf("export exit %d\n%s\n%s", code, stdout, stderr)
	}
	stats := srv.Sim().Stats()
	db := lakeDB(t, dir)

	// The snapshot's calls: one getObject and one page of each listing
	// (fewer than 50 top-level items).
	for method, want := range map[string]int64{"SoftLayer_Account::getObject": 1,
		"SoftLayer_Account::getNextInvoiceTopLevelBillingItems": 2, "SoftLayer_Account::getAllTopLevelBillingItems": 2} {
		if got := stats.Requests[method]; got < 1 || got > want {
			t.Errorf("%s: %d calls, want 1 to %d", method, got, want)
		}
	}

	t.Run("balance and upcoming invoice", func(t *testing.T) {
		snap := lakeRows(t, db, `SELECT CAST(balance AS VARCHAR), CAST(next_invoice_total_amount AS VARCHAR),
			CAST(pending_invoice_starting_balance AS VARCHAR), CAST(pending_invoice_total_amount AS VARCHAR), pending_invoice_id
			FROM latest_account_snapshot`)
		if len(snap) != 1 || snap[0][4] == "NULL" {
			t.Fatalf("latest_account_snapshot: %v", snap)
		}
		var summary map[string]any
		if err := json.Unmarshal(slcli("account", "summary"), &summary); err != nil {
			t.Fatal(err)
		}
		// slcli prints the pending invoice's starting balance as Balance
		// and its total as Upcoming Invoice.
		if numOf(t, summary["Balance"].(string)).Cmp(numOf(t, snap[0][2])) != 0 ||
			numOf(t, summary["Upcoming Invoice"].(string)).Cmp(numOf(t, snap[0][3])) != 0 {
			t.Errorf("slcli summary %v, lake %v", summary, snap[0])
		}
		for method, lake := range map[string]string{"getBalance": snap[0][0], "getNextInvoiceTotalAmount": snap[0][1]} {
			var v json.Number
			if err := json.Unmarshal(slcli("call-api", "SoftLayer_Account", method), &v); err != nil {
				t.Fatal(err)
			}
			if numOf(t, v.String()).Cmp(numOf(t, lake)) != 0 {
				t.Errorf("%s: slcli %s, lake %s", method, v, lake)
			}
		}
	})

	t.Run("billing items", func(t *testing.T) {
		var items []map[string]any
		if err := json.Unmarshal(slcli("account", "billing-items"), &items); err != nil {
			t.Fatal(err)
		}
		lake := map[string][]string{}
		for _, r := range lakeRows(t, db, `SELECT billing_item_id, CAST(next_invoice_total_recurring_amount AS VARCHAR), ordered_by_name, category_code
			FROM billing_items WHERE depth = 0 AND snapshot_id = (SELECT snapshot_id FROM latest_account_snapshot)`) {
			lake[r[0]] = r[1:]
		}
		if len(items) == 0 || len(items) != len(lake) {
			t.Fatalf("slcli lists %d billing items, the lake %d", len(items), len(lake))
		}
		for _, it := range items {
			id := strconv.FormatInt(int64(it["Id"].(float64)), 10)
			l, ok := lake[id]
			if !ok {
				t.Errorf("billing item %s: in slcli, not in the lake", id)
				continue
			}
			cost := new(big.Rat).SetFloat64(it["Cost"].(float64))
			// slcli's Cost is a float: compare to the cent
			if d := new(big.Rat).Sub(cost, numOf(t, l[0])); d.Abs(d).Cmp(big.NewRat(1, 200)) > 0 || it["Ordered By"] != l[1] || it["Category Code"] != l[2] {
				t.Errorf("billing item %s: slcli %v, lake %v", id, it, l)
			}
		}
	})

	t.Run("orders' users", func(t *testing.T) {
		var orders []map[string]any
		if err := json.Unmarshal(slcli("account", "orders"), &orders); err != nil {
			t.Fatal(err)
		}
		lake := map[string]string{}
		for _, r := range lakeRows(t, db, `SELECT DISTINCT order_id, ordered_by_username FROM billing_items WHERE order_id IS NOT NULL`) {
			lake[r[0]] = r[1]
		}
		matched := 0
		for _, o := range orders {
			id := strconv.FormatInt(int64(o["Id"].(float64)), 10)
			if u, ok := lake[id]; ok {
				matched++
				if o["User"] != u {
					t.Errorf("order %s: slcli user %v, lake %s", id, o["User"], u)
				}
			}
		}
		if matched == 0 {
			t.Errorf("no order of slcli's first page is behind a live billing item of the lake")
		}
	})

	t.Run("forecast next to last month", func(t *testing.T) {
		got := lakeRows(t, db, `SELECT CAST(SUM(forecast_amount) AS VARCHAR), MAX(last_invoice_id), COUNT(*) FROM next_invoice_vs_last_recurring`)
		snap := lakeRows(t, db, `SELECT CAST(next_invoice_total_recurring_amount AS VARCHAR) FROM latest_account_snapshot`)
		if numOf(t, got[0][0]).Cmp(numOf(t, snap[0][0])) != 0 || got[0][1] == "NULL" {
			t.Errorf("forecast by service adds up to %s, the account says %s; last invoice %s", got[0][0], snap[0][0], got[0][1])
		}
	})

	t.Run("report shows the forecast and the balance", func(t *testing.T) {
		code, stdout, stderr := e.run(t, t.Context(), nil, "report", "--out", dir)
		snap := lakeRows(t, db, `SELECT CAST(balance AS VARCHAR) FROM latest_account_snapshot`)
		bal := numOf(t, snap[0][0])
		if code != 0 || !strings.Contains(stdout, "Next invoice forecast") ||
			!strings.Contains(stdout, "  balance "+fmtMoney(bal)+" (snapshot of ") || !strings.Contains(stdout, per.Next().String()+" (forecast)") {
			t.Errorf("report: exit %d, balance %s\n%s\n%s", code, fmtMoney(bal), stdout, stderr)
		}
	})

	t.Run("documents", func(t *testing.T) {
		docs := lakeRows(t, db, `SELECT invoice_id, document_key, document_sha256, document_bytes, status_code FROM invoices`)
		closed := 0
		for _, d := range docs {
			if d[4] == "OPEN" {
				if d[1] != "NULL" {
					t.Errorf("open invoice %s has a document %s", d[0], d[1])
				}
				continue
			}
			closed++
			b, err := os.ReadFile(filepath.Join(dir, d[1]))
			if err != nil {
				t.Errorf("invoice %s: %v", d[0], err)
				continue
			}
			sum := sha256.Sum256(b)
			if hex.EncodeToString(sum[:]) != d[2] || strconv.Itoa(len(b)) != d[3] || !strings.HasPrefix(string(b), "%PDF-") {
				t.Errorf("invoice %s: %s of %d bytes, lake says %s %s", d[0], d[1], len(b), d[2], d[3])
			}
			if _, err := os.Stat(filepath.Join(dir, strings.TrimSuffix(d[1], ".pdf")+".xlsx")); err != nil {
				t.Errorf("invoice %s: no workbook: %v", d[0], err)
			}
		}
		if closed == 0 || stats.Requests["SoftLayer_Billing_Invoice::getPdf"] != int64(closed) {
			t.Errorf("%d closed invoices, %d getPdf calls", closed, stats.Requests["SoftLayer_Billing_Invoice::getPdf"])
		}
		// A rerun fetches no document again and rewrites none.
		before := docFiles(t, dir)
		srv.Sim().ResetStats()
		if code, _, stderr := e.run(t, t.Context(), nil, "export", "--config", cfg, "--from", from, "--to", per.String()); code != 0 {
			t.Fatalf("rerun exit %d: %s", code, stderr)
		}
		if n := srv.Sim().Stats().Requests["SoftLayer_Billing_Invoice::getPdf"]; n != 0 {
			t.Errorf("the rerun fetched %d PDFs again", n)
		}
		if after := docFiles(t, dir); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("documents changed on a rerun")
		}
		again := lakeRows(t, lakeDB(t, dir), `SELECT count(*) FROM invoices WHERE status_code <> 'OPEN' AND document_sha256 IS NOT NULL`)
		if again[0][0] != strconv.Itoa(closed) {
			t.Errorf("after the rerun %s closed invoices reference their PDF, want %d", again[0][0], closed)
		}
	})

	t.Run("verify", func(t *testing.T) {
		code, stdout, stderr := e.run(t, t.Context(), nil, "verify", "--config", cfg)
		if code != 0 || !strings.Contains(stdout, "all 2 account snapshots read back") {
			t.Fatalf("verify: exit %d\n%s\n%s", code, stdout, stderr)
		}
		// a document gone is found
		doc := lakeRows(t, db, `SELECT document_key FROM invoices WHERE document_key IS NOT NULL LIMIT 1`)[0][0]
		if err := os.Remove(filepath.Join(dir, doc)); err != nil {
			t.Fatal(err)
		}
		code, stdout, _ = e.run(t, t.Context(), nil, "verify", "--config", cfg)
		if code != exitMismatch || !strings.Contains(stdout, "its document "+doc+" is missing") {
			t.Errorf("verify after a document was deleted: exit %d\n%s", code, stdout)
		}
	})
}

// docFiles maps each archived document to its modification time and size.
func docFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(filepath.Join(dir, "documents"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out[p] = fi.ModTime().String() + "/" + strconv.FormatInt(fi.Size(), 10)
		return nil
	})
	return out
}

// TestDocumentFailureDoesNotBlockInvoices: when getPdf fails, the invoices
// are published all the same (without document references), the snapshot
// too, and the run exits non-zero saying the documents failed.
func TestDocumentFailureDoesNotBlockInvoices(t *testing.T) {
	srv := startSim(t, slsim.Options{Seed: 3, Months: 2, Now: billingNow, HeavyInvoiceItems: -1})
	target, _ := url.Parse(srv.URL())
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host})
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/getPdf") {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error":"Unable to find object with id of '1'.","code":"SoftLayer_Exception_ObjectNotFound"}`)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	e := simEnv(srv)
	e["SL_ENDPOINT_URL"] = front.URL + target.Path
	dir := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "invoicelake.yaml")
	os.WriteFile(cfg, []byte("lake:\n  location: "+dir+"\ndocuments:\n  enabled: true\n"), 0o600)
	per := schemas.PeriodOf(billingNow)
	code, _, stderr := e.run(t, t.Context(), nil, "export", "--config", cfg, "--from", per.AddMonths(-1).String(), "--to", per.String())
	if code == 0 || !strings.Contains(stderr, "invoice documents") || !strings.Contains(stderr, "billing periods are published") {
		t.Fatalf("export with failing documents: exit %d, stderr:\n%s", code, stderr)
	}
	db := lakeDB(t, dir)
	got := lakeRows(t, db, `SELECT count(*), count(document_key) FROM invoices`)
	if got[0][0] == "0" || got[0][1] != "0" {
		t.Errorf("invoices %s, with a document %s: want some, none", got[0][0], got[0][1])
	}
	if s := lakeRows(t, db, `SELECT count(*) FROM account_snapshots`); s[0][0] != "1" {
		t.Errorf("account snapshots: %s, want 1", s[0][0])
	}
	var sum Summary
	runs, _ := filepath.Glob(filepath.Join(dir, "_runs", "account_id=*", "*.json"))
	if len(runs) != 1 {
		t.Fatalf("run summaries: %v", runs)
	}
	b, _ := os.ReadFile(runs[0])
	if err := json.Unmarshal(b, &sum); err != nil || fmt.Sprint(sum.FailedDatasets) != "[invoice documents]" || sum.OK || sum.Documents == nil || sum.Documents.Failed == 0 {
		t.Errorf("run summary: failed %v ok %t documents %+v (%v)", sum.FailedDatasets, sum.OK, sum.Documents, err)
	}
}
