package query

import (
	"slices"
	"time"
)

// Test types: a small slice of the SoftLayer billing types (softlayer-api.md
// §5), with a cycle (item.children, item.parent) and one subtype reachable
// only for cast tests.
var (
	invoiceType, itemType, categoryType, locationType, billingItemType, billingItemHardwareType = newTestTypes()
)

func newTestTypes() (inv, item, cat, loc, bi, bih *Type) {
	cat = &Type{Name: "SoftLayer_Product_Item_Category", Props: map[string]Prop{
		"id": {}, "categoryCode": {}, "name": {},
	}}
	loc = &Type{Name: "SoftLayer_Location", Props: map[string]Prop{
		"id": {}, "name": {}, "longName": {},
	}}
	bi = &Type{Name: "SoftLayer_Billing_Item", Props: map[string]Prop{
		"id": {}, "recurringFee": {}, "categoryCode": {},
		"activeFlag": {Kind: Computed},
	}}
	bih = &Type{Name: "SoftLayer_Billing_Item_Hardware", Props: map[string]Prop{
		"id": {}, "recurringFee": {}, "categoryCode": {}, "resourceTableId": {},
		"activeFlag": {Kind: Computed},
	}}
	item = &Type{Name: "SoftLayer_Billing_Invoice_Item", Props: map[string]Prop{
		"id": {}, "invoiceId": {}, "parentId": {}, "categoryCode": {}, "description": {},
		"hostName": {}, "domainName": {}, "createDate": {}, "recurringFee": {},
		"oneTimeAfterTaxAmount": {}, "recurringAfterTaxAmount": {},
		"category":             {Kind: Relational, Type: cat},
		"location":             {Kind: Relational, Type: loc},
		"billingItem":          {Kind: Relational, Type: bi},
		"hardwareBillingItem":  {Kind: Relational, Type: bih}, // test-only: makes the subtype reachable
		"totalRecurringAmount": {Kind: Computed},
		"childrenCount":        {Kind: Count},
	}}
	item.Props["children"] = Prop{Kind: Relational, Type: item, Array: true}
	item.Props["parent"] = Prop{Kind: Relational, Type: item}
	inv = &Type{Name: "SoftLayer_Billing_Invoice", Props: map[string]Prop{
		"id": {}, "accountId": {}, "createDate": {}, "closedDate": {}, "statusCode": {},
		"typeCode": {}, "endingBalance": {},
		"items":                {Kind: Relational, Type: item, Array: true},
		"invoiceTopLevelItems": {Kind: Relational, Type: item, Array: true},
		"invoiceTotalAmount":   {Kind: Computed},
		"amount":               {Kind: Computed},
		"itemCount":            {Kind: Count},
	}}
	return inv, item, cat, loc, bi, bih
}

// localNames lists the local properties of t, sorted.
func localNames(t *Type) []string {
	var out []string
	for n, p := range t.Props {
		if p.Kind == Local {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// rec is a test Record: a missing key is "no such property", a nil value is
// null.
type rec map[string]any

func (r rec) Field(name string) (any, bool) {
	v, ok := r[name]
	return v, ok
}

// ids returns the "id" of each record, in order.
func ids(rs []Record) []int64 {
	out := make([]int64, 0, len(rs))
	for _, r := range rs {
		v, _ := r.Field("id")
		id, _ := v.(int64)
		out = append(out, id)
	}
	return out
}

var central = CentralTime()

func cst(y int, m time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, m, d, h, mi, s, 0, central)
}
