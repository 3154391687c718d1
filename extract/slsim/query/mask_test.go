package query

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// slcliInvoiceDetailMask is the objectMask slcli 6.1.4 sends for
// "account invoice-detail 1003 --details" (client-requests-observed.json).
const slcliInvoiceDetailMask = "mask[\n            id, description, hostName, domainName, oneTimeAfterTaxAmount, recurringAfterTaxAmount, createDate,\n            categoryCode,\n            category[name],\n            location[name],\n            children[id, category[name], description, oneTimeAfterTaxAmount, recurringAfterTaxAmount]\n        ]"

func TestParseMask(t *testing.T) {
	tests := []struct {
		name     string
		mask     string
		want     string // canonical String()
		filtered bool
	}{
		{"empty", "", "mask[]", false},
		{"blank", " \n\t", "mask[]", false},
		{"mask[] is no mask", "mask[]", "mask[]", false},
		{"slcli account invoices", "mask[invoiceTotalAmount, itemCount]", "mask[invoiceTotalAmount,itemCount]", false},
		{"slcli call-api", "mask[id,createDate]", "mask[id,createDate]", false},
		{"sl-go getInvoices", "mask[id,createDate,invoiceTotalAmount]", "mask[id,createDate,invoiceTotalAmount]", false},
		{"slcli invoice-detail multi-line", slcliInvoiceDetailMask,
			"mask[id,description,hostName,domainName,oneTimeAfterTaxAmount,recurringAfterTaxAmount,createDate,categoryCode,category[name],location[name],children[id,category[name],description,oneTimeAfterTaxAmount,recurringAfterTaxAmount]]", false},
		{"sl-go bare id", "id", "mask[id]", false},
		{"bare resourceTableId", "resourceTableId", "mask[resourceTableId]", false},
		{"dotted several", "mask.id,mask.billingItem", "mask[id,billingItem]", false},
		{"dotted deep", "mask.children.category.name", "mask[children[category[name]]]", false},
		{"dotted merged", "mask.id,mask.category.name,mask.category.id", "mask[id,category[name,id]]", false},
		{"filteredMask", "filteredMask[id,children[id,description]]", "filteredMask[id,children[id,description]]", true},
		{"filteredMask dotted", "filteredMask.children[id]", "filteredMask[children[id]]", true},
		{"root cast", "mask(SoftLayer_Billing_Invoice_Item)[id,categoryCode]", "mask(SoftLayer_Billing_Invoice_Item)[id,categoryCode]", false},
		{"nested cast", "mask[id,hardwareBillingItem(SoftLayer_Billing_Item_Hardware)[resourceTableId]]", "mask[id,hardwareBillingItem(SoftLayer_Billing_Item_Hardware)[resourceTableId]]", false},
		{"cast with spaces", "mask ( SoftLayer_X ) [ id ]", "mask(SoftLayer_X)[id]", false},
		{"cast alone", "mask(SoftLayer_X)", "mask(SoftLayer_X)[]", false},
		{"legacy semicolons", "categoryCode;category.name", "mask[categoryCode,category[name]]", false},
		{"semicolons inside brackets", "id;recurringFee;category[name];billingItem[id;recurringFee;categoryCode]",
			"mask[id,recurringFee,category[name],billingItem[id,recurringFee,categoryCode]]", false},
		{"mixed separators", "mask[id;description,category[name;id]]", "mask[id,description,category[name,id]]", false},
		{"duplicates merged", "mask[id,category[name],category[categoryCode],id,category]", "mask[id,category[name,categoryCode]]", false},
		{"mixture brackets and dots", "mask[id,category.name],mask.location[name]", "mask[id,category[name],location[name]]", false},
		{"dots inside brackets", "mask[children.category[name,id],id]", "mask[children[category[name,id]],id]", false},
		{"whitespace between every token", " mask . id , mask . category [ name ] ", "mask[id,category[name]]", false},
		{"CRLF and tabs", "mask[\r\n\tid,\r\n\tdescription\r\n]", "mask[id,description]", false},
		{"bare brackets", "[id,description]", "mask[id,description]", false},
		{"empty nested brackets", "mask[children[]]", "mask[children[]]", false},
		{"property called mask", "mask", "mask[mask]", false},
		{"underscore and digits", "mask[a_1,_b2]", "mask[a_1,_b2]", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMask(tt.mask)
			if err != nil {
				t.Fatalf("ParseMask(%q): got error %v, want nil", tt.mask, err)
			}
			if got := m.String(); got != tt.want {
				t.Errorf("ParseMask(%q).String(): got %q, want %q", tt.mask, got, tt.want)
			}
			if got := m.Filtered(); got != tt.filtered {
				t.Errorf("ParseMask(%q).Filtered(): got %v, want %v", tt.mask, got, tt.filtered)
			}
			// The canonical form parses to itself.
			m2, err := ParseMask(m.String())
			if err != nil {
				t.Fatalf("ParseMask(%q) (canonical): got error %v, want nil", m.String(), err)
			}
			if got := m2.String(); got != tt.want {
				t.Errorf("canonical round trip: got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseMaskSyntaxErrors(t *testing.T) {
	tests := []struct {
		mask   string
		offset int
	}{
		{"mask[id", 7},
		{"mask[id,]", 8},
		{"mask[,id]", 5},
		{"mask[id]]", 8},
		{"mask[id category]", 8},
		{"mask(", 5},
		{"mask(X[id]", 6},
		{"mask()[id]", 5},
		{"mask[1d]", 5},
		{"mask.", 5},
		{"id,", 3},
		{",id", 0},
		{"mask[id;;x]", 8},
		{"a..b", 2},
		{"mask[a[b]", 9},
		{"mask[id]x", 8},
		{"mask[id-x]", 7},
		{"mask{id}", 4},
		{"id name", 3},
		{strings.Repeat("a[", 100) + strings.Repeat("]", 100), 0},
		{strings.Repeat("a.", 100) + "a", 0},
	}
	for _, tt := range tests {
		m, err := ParseMask(tt.mask)
		var me *MaskError
		if !errors.As(err, &me) {
			t.Errorf("ParseMask(%q): got (%v, %v), want a *MaskError", tt.mask, m, err)
			continue
		}
		if m != nil {
			t.Errorf("ParseMask(%q): got mask %v with error, want nil", tt.mask, m)
		}
		if me.Syntax == "" || me.Property != "" {
			t.Errorf("ParseMask(%q): got %+v, want a syntax error", tt.mask, me)
		}
		if tt.offset > 0 && me.Offset != tt.offset {
			t.Errorf("ParseMask(%q): got offset %d (%v), want %d", tt.mask, me.Offset, me, tt.offset)
		}
		if !strings.HasPrefix(me.Error(), "query: object mask: offset ") {
			t.Errorf("ParseMask(%q).Error(): got %q, want prefix %q", tt.mask, me.Error(), "query: object mask: offset ")
		}
	}
}

// summary is a Selection flattened for comparison.
type summary struct {
	Locals   []string
	Extras   []string
	Children map[string]summary
}

func summarize(s *Selection) summary {
	var out summary
	for _, n := range localNames(s.Type()) {
		if s.Local(n) {
			out.Locals = append(out.Locals, n)
		}
	}
	out.Extras = s.Extras()
	for _, e := range s.Extras() {
		if c := s.Child(e); c != nil {
			if out.Children == nil {
				out.Children = map[string]summary{}
			}
			out.Children[e] = summarize(c)
		}
	}
	return out
}

func TestResolve(t *testing.T) {
	allInv := localNames(invoiceType)
	allItem := localNames(itemType)
	allCat := localNames(categoryType)
	tests := []struct {
		name string
		root *Type
		mask string
		opts ResolveOptions
		want summary
	}{
		{name: "no mask: locals only", root: invoiceType, mask: "",
			want: summary{Locals: allInv}},
		{name: "mask[]: locals only", root: invoiceType, mask: "mask[]",
			want: summary{Locals: allInv}},
		{name: "named locals only", root: invoiceType, mask: "mask[id,createDate]",
			want: summary{Locals: []string{"createDate", "id"}}},
		{name: "bare id", root: itemType, mask: "id",
			want: summary{Locals: []string{"id"}}},
		{name: "relational only keeps all locals (slcli invoices)", root: invoiceType, mask: "mask[invoiceTotalAmount, itemCount]",
			want: summary{Locals: allInv, Extras: []string{"invoiceTotalAmount", "itemCount"}}},
		{name: "relational only, REST inconsistency", root: invoiceType, mask: "mask[invoiceTotalAmount, itemCount]",
			opts: ResolveOptions{DropLocalsOnRelationalOnly: true},
			want: summary{Extras: []string{"invoiceTotalAmount", "itemCount"}}},
		{name: "local plus computed", root: invoiceType, mask: "mask[id,createDate,invoiceTotalAmount]",
			want: summary{Locals: []string{"createDate", "id"}, Extras: []string{"invoiceTotalAmount"}}},
		{name: "relational without sub-mask: all locals of the child", root: invoiceType, mask: "mask[id,items]",
			want: summary{Locals: []string{"id"}, Extras: []string{"items"}, Children: map[string]summary{"items": {Locals: allItem}}}},
		{name: "category alone", root: itemType, mask: "category",
			want: summary{Locals: allItem, Extras: []string{"category"}, Children: map[string]summary{"category": {Locals: allCat}}}},
		{name: "slcli invoice-detail", root: itemType, mask: slcliInvoiceDetailMask,
			want: summary{
				Locals: []string{"categoryCode", "createDate", "description", "domainName", "hostName", "id", "oneTimeAfterTaxAmount", "recurringAfterTaxAmount"},
				Extras: []string{"category", "location", "children"},
				Children: map[string]summary{
					"category": {Locals: []string{"name"}},
					"location": {Locals: []string{"name"}},
					"children": {
						Locals:   []string{"description", "id", "oneTimeAfterTaxAmount", "recurringAfterTaxAmount"},
						Extras:   []string{"category"},
						Children: map[string]summary{"category": {Locals: []string{"name"}}},
					},
				},
			}},
		{name: "dotted", root: itemType, mask: "mask.id,mask.billingItem",
			want: summary{Locals: []string{"id"}, Extras: []string{"billingItem"}, Children: map[string]summary{"billingItem": {Locals: localNames(billingItemType)}}}},
		{name: "relational-only nested level, options propagate", root: itemType, mask: "mask[id,children[category[name]]]",
			opts: ResolveOptions{DropLocalsOnRelationalOnly: true},
			want: summary{Locals: []string{"id"}, Extras: []string{"children"}, Children: map[string]summary{
				"children": {Extras: []string{"category"}, Children: map[string]summary{"category": {Locals: []string{"name"}}}},
			}}},
		{name: "extras in mask order", root: itemType, mask: "mask[location,childrenCount,category,totalRecurringAmount]",
			want: summary{Locals: allItem, Extras: []string{"location", "childrenCount", "category", "totalRecurringAmount"},
				Children: map[string]summary{"location": {Locals: localNames(locationType)}, "category": {Locals: allCat}}}},
		{name: "cast to a reachable subtype", root: itemType, mask: "mask[billingItem(SoftLayer_Billing_Item_Hardware)[resourceTableId]]",
			want: summary{Locals: allItem, Extras: []string{"billingItem"}, Children: map[string]summary{"billingItem": {Locals: []string{"resourceTableId"}}}}},
		{name: "cast to the declared root type", root: itemType, mask: "mask(SoftLayer_Billing_Invoice_Item)[id]",
			want: summary{Locals: []string{"id"}}},
		{name: "cast to an undeclared type uses the declared type", root: itemType, mask: "mask(SoftLayer_Billing_Invoice_Item_Hardware)[id]",
			want: summary{Locals: []string{"id"}}},
		{name: "recursive type", root: itemType, mask: "mask[parent[parent[id]]]",
			want: summary{Locals: allItem, Extras: []string{"parent"}, Children: map[string]summary{
				"parent": {Locals: allItem, Extras: []string{"parent"}, Children: map[string]summary{"parent": {Locals: []string{"id"}}}},
			}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMask(tt.mask)
			if err != nil {
				t.Fatalf("ParseMask(%q): %v", tt.mask, err)
			}
			s, err := m.ResolveWith(tt.root, tt.opts)
			if err != nil {
				t.Fatalf("Resolve(%q): got error %v, want nil", tt.mask, err)
			}
			if diff := cmp.Diff(tt.want, summarize(s)); diff != "" {
				t.Errorf("Resolve(%q) (-want +got):\n%s", tt.mask, diff)
			}
		})
	}
}

func TestResolveCastType(t *testing.T) {
	m, err := ParseMask("mask[billingItem(SoftLayer_Billing_Item_Hardware)[resourceTableId]]")
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.Resolve(itemType)
	if err != nil {
		t.Fatal(err)
	}
	c := s.Child("billingItem")
	if got, want := c.Type(), billingItemHardwareType; got != want {
		t.Errorf("Child(billingItem).Type(): got %v, want %v", got.Name, want.Name)
	}
	if got, want := c.Cast(), "SoftLayer_Billing_Item_Hardware"; got != want {
		t.Errorf("Child(billingItem).Cast(): got %q, want %q", got, want)
	}
	if got := s.Type(); got != itemType {
		t.Errorf("Type(): got %v, want %v", got.Name, itemType.Name)
	}
}

func TestResolveErrors(t *testing.T) {
	tests := []struct {
		root *Type
		mask string
		want string
	}{
		{invoiceType, "mask[id,networkVlan]", "Property 'networkVlan' not valid for 'SoftLayer_Billing_Invoice'."},
		{invoiceType, "foo", "Property 'foo' not valid for 'SoftLayer_Billing_Invoice'."},
		{invoiceType, "mask[items[id,bogus]]", "Property 'bogus' not valid for 'SoftLayer_Billing_Invoice_Item'."},
		{invoiceType, "mask.items.category.bogus", "Property 'bogus' not valid for 'SoftLayer_Product_Item_Category'."},
		{itemType, "mask[billingItem[resourceTableId]]", "Property 'resourceTableId' not valid for 'SoftLayer_Billing_Item'."},
		{itemType, "mask[id[foo]]", "Property 'foo' not valid for 'SoftLayer_Billing_Invoice_Item::id'."},
		{invoiceType, "mask[itemCount[x]]", "Property 'x' not valid for 'SoftLayer_Billing_Invoice::itemCount'."},
		{invoiceType, "mask[Id]", "Property 'Id' not valid for 'SoftLayer_Billing_Invoice'."},
		// sl-go's Mask() wraps these forms again (softlayer-api.md §1.5 pitfall).
		{invoiceType, "mask[mask.id,mask.createDate]", "Property 'mask' not valid for 'SoftLayer_Billing_Invoice'."},
		{invoiceType, "mask[filteredMask[id]]", "Property 'filteredMask' not valid for 'SoftLayer_Billing_Invoice'."},
	}
	for _, tt := range tests {
		m, err := ParseMask(tt.mask)
		if err != nil {
			t.Fatalf("ParseMask(%q): %v", tt.mask, err)
		}
		s, err := m.Resolve(tt.root)
		var me *MaskError
		if !errors.As(err, &me) {
			t.Errorf("Resolve(%q): got (%v, %v), want a *MaskError", tt.mask, s, err)
			continue
		}
		if got := me.Error(); got != tt.want {
			t.Errorf("Resolve(%q).Error(): got %q, want %q", tt.mask, got, tt.want)
		}
	}
	if _, err := (&Mask{}).Resolve(nil); err == nil {
		t.Errorf("Resolve(nil type): got nil error, want one")
	}
}

func TestMaskErrorText(t *testing.T) {
	e := &MaskError{Property: "networkVlan", Type: "SoftLayer_Network_Vlan"}
	if got, want := e.Error(), "Property 'networkVlan' not valid for 'SoftLayer_Network_Vlan'."; got != want {
		t.Errorf("Error(): got %q, want %q", got, want)
	}
}

func TestNilMaskAndSelection(t *testing.T) {
	var m *Mask
	if m.Filtered() || !m.Empty() || m.String() != "" || m.Cast() != "" {
		t.Errorf("nil Mask: got Filtered=%v Empty=%v String=%q Cast=%q, want false true \"\" \"\"", m.Filtered(), m.Empty(), m.String(), m.Cast())
	}
	s, err := m.Resolve(invoiceType)
	if err != nil {
		t.Fatalf("nil Mask Resolve: %v", err)
	}
	if diff := cmp.Diff(summary{Locals: localNames(invoiceType)}, summarize(s)); diff != "" {
		t.Errorf("nil Mask Resolve (-want +got):\n%s", diff)
	}
	if s.Local("items") || s.Local("nope") || s.Local("invoiceTotalAmount") {
		t.Errorf("Local of non-local names: got true, want false")
	}
	var ns *Selection
	if ns.Local("id") || ns.Extras() != nil || ns.Child("items") != nil || ns.Type() != nil || ns.AllLocals() {
		t.Errorf("nil Selection: got a non-zero answer, want all zero")
	}
	if s.Child("items") != nil {
		t.Errorf("Child(items) without mask: got non-nil, want nil")
	}
	if !s.AllLocals() {
		t.Errorf("AllLocals without mask: got false, want true")
	}
}
