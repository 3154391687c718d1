//go:build cgo

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/invoicelake/invoicelake/extract/slsim"
)

// TestPageSizesRemembered: an account's run remembers the page sizes its
// client learned under a server that refuses big pages; the next run
// starts there and fails fewer calls; a corrupt file costs only a warning
// and is replaced.
func TestPageSizesRemembered(t *testing.T) {
	srv := startSim(t, slsim.Options{Seed: 3, MaxPageBytes: 128 << 10}) // about 190 items a page
	sim := srv.Sim()
	e := simEnv(srv)
	dir := t.TempDir()
	from, to := "2026-02", "2026-06"
	export := func() (tooMuch int64, stderr string) {
		t.Helper()
		sim.ResetStats()
		code, stdout, stderr := e.run(t, t.Context(), nil, "export", "--from", from, "--to", to, "--out", dir)
		if code != 0 {
			t.Fatalf("export exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		assertLakeIsTruth(t, dir, sim.Truth(), from, to)
		return sim.Stats().Faults["too_much_data"], stderr
	}
	state := func() (pageSizesState, string) {
		t.Helper()
		files, _ := filepath.Glob(filepath.Join(dir, "_state", "account_id=*", "page_sizes.json"))
		if len(files) != 1 {
			t.Fatalf("got page size files %v, want one", files)
		}
		var st pageSizesState
		b, err := os.ReadFile(files[0])
		if err == nil {
			err = json.Unmarshal(b, &st)
		}
		if err != nil {
			t.Fatalf("page sizes: %v", err)
		}
		return st, files[0]
	}
	failed1, _ := export()
	st, file := state()
	var items *int
	for i, ps := range st.PageSizes {
		if strings.HasSuffix(ps.Method, "::getItems") {
			items = &st.PageSizes[i].Size
			if ps.Size <= 100 || ps.Ceiling <= ps.Size {
				t.Errorf("remembered getItems %+v, want a size above 100 under a ceiling", ps)
			}
		}
	}
	if items == nil || failed1 == 0 {
		t.Fatalf("first run: %d too-much-data answers, remembered %+v: want some, and getItems", failed1, st.PageSizes)
	}
	failed2, _ := export()
	if failed2 >= failed1 {
		t.Errorf("second run: got %d too-much-data answers, want fewer than the first run's %d", failed2, failed1)
	}
	t.Logf("too-much-data answers: first run %d, second %d; remembered %+v", failed1, failed2, st.PageSizes)

	for _, bad := range []string{"{not json", `{"version":1,"page_sizes":[{"method":"SoftLayer_Billing_Invoice::getItems","size":99999999}]}`} {
		if err := os.WriteFile(file, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		_, stderr := export()
		if !strings.Contains(stderr, "page sizes") {
			t.Errorf("file %q: want a warning about the page sizes, got stderr:\n%s", bad, stderr)
		}
		if st, _ := state(); st.Version != pageSizesVersion || len(st.PageSizes) == 0 {
			t.Errorf("file %q was not replaced: %+v", bad, st)
		}
	}
}
