package main

import (
	"encoding/json"
	"testing"

	"github.com/invoicelake/invoicelake/extract"
)

// FuzzPageSizesFile: whatever the lake's page size file holds, the hints
// kept are within the bounds every configuration accepts, one per method.
func FuzzPageSizesFile(f *testing.F) {
	f.Add([]byte(`{"version":1,"page_sizes":[{"method":"SoftLayer_Billing_Invoice::getItems","size":1500,"ceiling":1565}]}`))
	f.Add([]byte(`{"version":1,"page_sizes":[{"method":"SoftLayer_Account::getInvoices","size":-1,"ceiling":1e9}]}`))
	f.Add([]byte(`{"version":2,"page_sizes":[]}`))
	f.Add([]byte(`{not json`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var st pageSizesState
		if json.Unmarshal(data, &st) != nil {
			return // a corrupt file: ReadJSON's CorruptError, warned about
		}
		keep, _ := validPageSizes(st)
		if len(keep) > maxPageSizeHints {
			t.Fatalf("kept %d hints, want at most %d", len(keep), maxPageSizeHints)
		}
		seen := map[string]bool{}
		for _, ps := range keep {
			if seen[ps.Method] || !listMethodRE.MatchString(ps.Method) {
				t.Fatalf("kept %+v: a method twice or not a list method", ps)
			}
			seen[ps.Method] = true
			if ps.Size < extract.MinPageSizeLimit || ps.Size > extract.MaxPageSizeLimit ||
				ps.Ceiling != 0 && (ps.Ceiling <= ps.Size || ps.Ceiling > extract.MaxPageSizeLimit) {
				t.Fatalf("kept %+v: out of bounds", ps)
			}
		}
	})
}
