package query

import (
	"errors"
	"testing"
)

func FuzzParseMask(f *testing.F) {
	for _, s := range []string{
		"", "mask[]", "id", "mask[invoiceTotalAmount, itemCount]", slcliInvoiceDetailMask,
		"mask.id,mask.billingItem", "filteredMask[id,children[id]]", "categoryCode;category.name",
		"mask(SoftLayer_Billing_Invoice_Item)[id,billingItem(SoftLayer_Billing_Item_Hardware)[resourceTableId]]",
		"id;recurringFee;category[name];billingItem[id;recurringFee]", "mask[id,category.name],mask.location[name]",
		"mask[id", "mask[id,]", "a..b", "mask(", "[id]", "mask[parent[parent[children[id]]]]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMask(s)
		if err != nil {
			var me *MaskError
			if !errors.As(err, &me) || me.Syntax == "" {
				t.Fatalf("ParseMask(%q): got error %T %v, want a *MaskError with Syntax", s, err, err)
			}
			if m != nil {
				t.Fatalf("ParseMask(%q): got a mask with an error", s)
			}
			return
		}
		// The canonical form parses back to itself.
		c := m.String()
		m2, err := ParseMask(c)
		if err != nil {
			t.Fatalf("ParseMask(canonical %q of %q): got error %v, want nil", c, s, err)
		}
		if got := m2.String(); got != c {
			t.Fatalf("canonical round trip of %q: got %q, want %q", s, got, c)
		}
		for _, root := range []*Type{invoiceType, itemType} {
			sel, err := m.Resolve(root)
			if err != nil {
				var me *MaskError
				if !errors.As(err, &me) {
					t.Fatalf("Resolve(%q): got error %T %v, want a *MaskError", s, err, err)
				}
				continue
			}
			walkSelection(sel, 0)
		}
	})
}

// walkSelection exercises every accessor of a resolved selection.
func walkSelection(s *Selection, depth int) {
	if s == nil || depth > 80 {
		return // a computed or count extra has no child selection
	}
	for n := range s.Type().Props {
		s.Local(n)
	}
	for _, e := range s.Extras() {
		walkSelection(s.Child(e), depth+1)
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		``, `null`, `{}`,
		`{"invoices": {"createDate": {"operation": "orderBy", "options": [{"name": "sort", "value": ["DESC"]}]}, "statusCode": {"operation": "OPEN"}}}`,
		`{"invoices":{"createDate":{"operation":"betweenDate","options":[{"name":"startDate","value":["01/01/2024 0:0:0"]},{"name":"endDate","value":["2024-03-01T00:00:00.0000-06:00"]}]}}}`,
		`{"id":{"operation":"orderBy","options":[{"name":"sort","value":["ASC"]},{"name":"sortOrder","value":["1"]}]}}`,
		`{"invoices":{"items":{"category":{"name":{"operation":"~ ^Se.*r$"}}}}}`,
		`{"invoices":{"typeCode":{"operation":"in","options":[{"name":"data","value":["NEW",1,true,null]}]}}}`,
		`{"invoices":{"id":{"operation":"and","options":[{"name":"data","value":[">= 1e3","<= 16384", "!= 0.5"]}]}}}`,
		`{"invoices":{"amount":{"operation":0}}}`,
		`{"invoices":{"createDate":{"operation":">= currentDate - 30"}}}`,
		`{"invoices":{"createDate":{"operation":"isDate","options":[{"name":"date","value":["01/01/01"]}]}}}`,
		`{"invoices":{"amount":{"operation":"> 1e400"}}}`,
		`{"invoiceTopLevelItems":{"categoryCode":{"operation":"!^=paas_"}}}`,
		`{`, `[]`,
	} {
		f.Add(s)
	}
	records := invoices()
	f.Fuzz(func(t *testing.T, raw string) {
		flt, err := ParseFilter(raw)
		if err != nil {
			var fe *FilterError
			if !errors.As(err, &fe) {
				t.Fatalf("ParseFilter(%q): got error %T %v, want a *FilterError", raw, err, err)
			}
			if flt != nil {
				t.Fatalf("ParseFilter(%q): got a filter with an error", raw)
			}
			return
		}
		for _, prop := range []string{"invoices", "items", "id"} {
			u := flt.Under(prop)
			if u == nil {
				t.Fatalf("Under(%q): got nil", prop)
			}
			for _, r := range records {
				u.Match(r, now, central)
				u.Under("items").Match(r, now, nil)
			}
			rs := append([]Record(nil), records...)
			u.Sort(rs)
			if len(rs) != len(records) {
				t.Fatalf("Sort: got %d records, want %d", len(rs), len(records))
			}
			u.OrderBy()
		}
	})
}
