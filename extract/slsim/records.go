package slsim

import (
	"strings"
	"time"

	"github.com/invoicelake/invoicelake/extract/slsim/query"
)

// Records expose the model to the query engine and the encoder. Field
// returns nil | bool | int64 | string | query.Number | time.Time |
// query.Record | []query.Record; ok=false for a property the type lacks.

// reqCtx is what every record of one request shares: the clock is read once
// per request so a response is consistent.
type reqCtx struct {
	s   *Sim
	now time.Time
}

func num(m money) query.Number { return query.Number(m.apiString()) }

func optInt(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

func optStr(v string) any {
	if v == "" {
		return nil
	}
	return v
}

// ---- SoftLayer_Billing_Invoice

type invoiceRec struct {
	c *reqCtx
	h *header
}

func (r invoiceRec) view() view { return view{r.h, r.c.now} }

func (r invoiceRec) Field(name string) (any, bool) {
	v := r.view()
	a := &r.c.s.account
	switch name {
	case "id":
		return r.h.id, true
	case "accountId":
		return a.id, true
	case "createDate":
		return r.h.create, true
	case "modifyDate":
		return v.modifyDate(), true
	case "closedDate":
		if v.closed() {
			return r.h.closeAt, true
		}
		return nil, true
	case "typeCode":
		return r.h.typeCode, true
	case "statusCode":
		return v.status(), true
	case "startingBalance":
		return num(r.h.starting), true
	case "endingBalance":
		if v.closed() {
			return num(r.h.ending), true
		}
		return nil, true
	case "companyName":
		return a.companyName, true
	case "firstName":
		return a.firstName, true
	case "lastName":
		return a.lastName, true
	case "address1":
		return a.address1, true
	case "address2":
		return optStr(a.address2), true
	case "city":
		return a.city, true
	case "state":
		return a.state, true
	case "postalCode":
		return a.postalCode, true
	case "country":
		return a.country, true
	case "email":
		return a.email, true
	case "officePhone":
		return a.officePhone, true
	case "faxPhone", "purchaseOrderNumber", "creditTypeDetailId":
		return nil, true
	case "claimedTaxExemptTxFlag":
		return false, true
	case "documentsGeneratedFlag", "detailedPdfGeneratedFlag":
		return v.closed(), true
	case "taxStatusId", "taxTypeId":
		return int64(6), true
	case "amount":
		return num(v.totals().total()), true
	case "invoiceTotalAmount":
		return num(v.invoiceTotalAmount()), true
	case "invoiceTotalPreTaxAmount":
		return num(v.totals().preTax()), true
	case "invoiceTotalRecurringAmount":
		return num(v.totals().recurring), true
	case "invoiceTotalRecurringTaxAmount":
		return num(v.totals().recurringTax), true
	case "invoiceTotalOneTimeAmount":
		return num(v.totals().oneTime), true
	case "invoiceTotalOneTimeTaxAmount":
		return num(v.totals().oneTimeTax), true
	case "payment":
		if v.paid() {
			return num(r.h.base.total()), true
		}
		return num(0), true
	case "sellerRegistration":
		return "US-TX-32-0000000", true
	case "taxMessage":
		return "Sales tax is charged on services delivered in Texas, Virginia and other US states.", true
	case "itemCount":
		return v.totals().items, true
	case "invoiceTopLevelItemCount":
		return v.totals().topLevel, true
	case "paymentCount":
		if v.paid() {
			return int64(1), true
		}
		return int64(0), true
	case "items", "invoiceTopLevelItems":
		return r.itemRecords(name == "invoiceTopLevelItems"), true
	case "payments":
		if v.paid() {
			return []query.Record{paymentRec{r}}, true
		}
		return []query.Record{}, true
	case "account":
		return accountRec{r.c}, true
	}
	return nil, false
}

func (r invoiceRec) itemRecords(topOnly bool) []query.Record {
	if r.h.base.items == 0 && r.h.adj == nil {
		return []query.Record{}
	}
	d := r.c.s.data(r.h)
	n := d.visibleItems(r.c.now)
	out := make([]query.Record, 0, n)
	for i := 0; i < n; i++ {
		if topOnly && d.items[i].parent >= 0 {
			continue
		}
		out = append(out, itemRec{r.c, d, int32(i)})
	}
	return out
}

// ---- SoftLayer_Billing_Invoice_Receivable_Payment

type paymentRec struct{ inv invoiceRec }

func (p paymentRec) Field(name string) (any, bool) {
	switch name {
	case "amount":
		return num(p.inv.h.base.total()), true
	case "createDate":
		return p.inv.h.closeAt, true
	case "invoiceId":
		return p.inv.h.id, true
	case "typeCode":
		return "CREDIT_CARD", true
	case "invoice":
		return p.inv, true
	}
	return nil, false
}

// ---- SoftLayer_Billing_Invoice_Item

type itemRec struct {
	c *reqCtx
	d *invoiceData
	i int32
}

func (r itemRec) it() *item { return &r.d.items[r.i] }

func (r itemRec) rec(i int32) itemRec { return itemRec{r.c, r.d, i} }

func (r itemRec) recs(ix []int32) []query.Record {
	out := make([]query.Record, len(ix))
	for k, i := range ix {
		out[k] = r.rec(i)
	}
	return out
}

// zeroExempt are $0 categories that filteredAssociatedChildren keeps
// (they describe the configuration); every other $0 item is left out.
var zeroExempt = map[string]bool{"ram": true, "os": true, "disk0": true, "guest_core": true, "port_speed": true}

func (r itemRec) associated() []int32 {
	return append(append([]int32{}, r.d.children[r.i]...), r.d.assoc[r.i]...)
}

func (r itemRec) filterAssoc(keep func(*item) bool) []int32 {
	var out []int32
	for _, i := range r.associated() {
		if keep(&r.d.items[i]) {
			out = append(out, i)
		}
	}
	return out
}

func nonZero(it *item) bool  { return it.ownTotal() != 0 }
func filtered(it *item) bool { return it.ownTotal() != 0 || zeroExempt[it.cat.code] }

func (r itemRec) sumWithChildren(f func(*item) money) money {
	t := f(r.it())
	for _, c := range r.d.children[r.i] {
		t += f(&r.d.items[c])
	}
	return t
}

func (r itemRec) Field(name string) (any, bool) {
	it := r.it()
	switch name {
	case "id":
		return it.id, true
	case "invoiceId":
		return it.invoiceID, true
	case "parentId":
		if it.parent < 0 {
			return nil, true
		}
		return r.d.items[it.parent].id, true
	case "billingItemId":
		return optInt(it.billingItemID), true
	case "associatedInvoiceItemId":
		if it.assoc < 0 {
			return nil, true
		}
		return r.d.items[it.assoc].id, true
	case "categoryCode":
		return it.cat.code, true
	case "description":
		return it.desc, true
	case "hostName":
		return optStr(it.host), true
	case "domainName":
		return optStr(it.domain), true
	case "notes":
		return optStr(it.notes), true
	case "createDate":
		return it.create, true
	case "endDate":
		return nil, true
	case "recurringFee":
		return num(it.recurring), true
	case "hourlyRecurringFee":
		if !it.hasHourly {
			return nil, true
		}
		return num(it.hourlyRate), true
	case "oneTimeFee":
		return num(it.oneTime), true
	case "setupFee":
		return num(it.setup), true
	case "laborFee":
		return num(it.labor), true
	case "recurringFeeTaxRate", "oneTimeFeeTaxRate", "setupFeeTaxRate", "laborFeeTaxRate":
		return num(it.taxRate), true
	case "recurringTaxAmount":
		return num(it.recurringTax), true
	case "oneTimeTaxAmount":
		return num(it.oneTimeTax), true
	case "setupTaxAmount":
		return num(it.setupTax), true
	case "laborTaxAmount":
		return num(it.lTax), true
	case "recurringAfterTaxAmount":
		return num(it.recurring + it.recurringTax), true
	case "oneTimeAfterTaxAmount":
		return num(it.oneTime + it.oneTimeTax), true
	case "setupAfterTaxAmount":
		return num(it.setup + it.setupTax), true
	case "laborAfterTaxAmount":
		return num(it.labor + it.lTax), true
	case "setupFeeDeferralMonths":
		return int64(0), true
	case "productItemId":
		return it.productItemID, true
	case "resourceTableId":
		return optInt(it.resourceTableID), true
	case "serviceProviderId":
		return int64(1), true
	case "packageId":
		switch it.cat.code {
		case "server":
			return int64(1057), true
		case "guest_core":
			return int64(46), true
		}
		return nil, true
	case "totalRecurringAmount":
		return num(r.sumWithChildren(func(i *item) money { return i.recurring })), true
	case "totalOneTimeAmount":
		return num(r.sumWithChildren(func(i *item) money { return i.oneTime + i.setup + i.labor })), true
	case "totalRecurringTaxAmount":
		return num(r.sumWithChildren(func(i *item) money { return i.recurringTax })), true
	case "totalOneTimeTaxAmount":
		return num(r.sumWithChildren(func(i *item) money { return i.oneTimeTax + i.setupTax + i.lTax })), true
	case "hourlyFlag":
		return it.hourly, true
	case "usageChargeFlag":
		return it.cat.code == "ram_usage" || it.cat.code == "load_balancer_data_processed" || it.cat.code == "hub", true
	case "topLevelProductGroupName":
		top := it
		if it.parent >= 0 {
			top = &r.d.items[it.parent]
		}
		return productGroup(top.cat.code), true
	case "childrenCount":
		return int64(len(r.d.children[r.i])), true
	case "associatedChildrenCount":
		return int64(len(r.associated())), true
	case "filteredAssociatedChildrenCount":
		return int64(len(r.filterAssoc(filtered))), true
	case "nonZeroAssociatedChildrenCount":
		return int64(len(r.filterAssoc(nonZero))), true
	case "category":
		return categoryRec{it.cat}, true
	case "location":
		if it.loc < 0 {
			return nil, true
		}
		return locationRec{&locations[it.loc]}, true
	case "parent":
		if it.parent < 0 {
			return nil, true
		}
		return r.rec(it.parent), true
	case "associatedInvoiceItem":
		if it.assoc < 0 {
			return nil, true
		}
		return r.rec(it.assoc), true
	case "children":
		return r.recs(r.d.children[r.i]), true
	case "associatedChildren":
		return r.recs(r.associated()), true
	case "filteredAssociatedChildren":
		return r.recs(r.filterAssoc(filtered)), true
	case "nonZeroAssociatedChildren":
		return r.recs(r.filterAssoc(nonZero)), true
	case "invoice":
		return invoiceRec{r.c, r.d.h}, true
	case "billingItem":
		return r.billingItem(), true
	case "product":
		return productRec{it}, true
	}
	return nil, false
}

func productGroup(code string) string {
	switch code {
	case "server":
		return "Bare Metal Server"
	case "guest_core":
		return "Virtual Server"
	case "storage_as_a_service", "storage_service_enterprise":
		return "Storage"
	}
	return "Other"
}

func (r itemRec) billingItem() any {
	it := r.it()
	if it.billingItemID == 0 {
		return nil
	}
	if it.resource >= 0 {
		res := r.c.s.resource(int(it.resource))
		part := int(it.billingItemID - billingItemID(res.idx, 0))
		if part >= 0 && part < 31 {
			return billingItemRec{c: r.c, res: res, part: part}
		}
	}
	return billingItemRec{c: r.c, inv: it}
}

// ---- small types

type categoryRec struct{ c *category }

func (r categoryRec) Field(name string) (any, bool) {
	switch name {
	case "id":
		return r.c.id, true
	case "categoryCode":
		return r.c.code, true
	case "name":
		return r.c.name, true
	case "quantityLimit":
		return int64(0), true
	case "sortOrder":
		return r.c.id, true
	}
	return nil, false
}

type locationRec struct{ l *location }

func (r locationRec) Field(name string) (any, bool) {
	switch name {
	case "id":
		return r.l.id, true
	case "name":
		return r.l.name, true
	case "longName":
		return r.l.longName, true
	case "statusId":
		return int64(2), true
	}
	return nil, false
}

type productRec struct{ it *item }

func (r productRec) Field(name string) (any, bool) {
	switch name {
	case "id":
		return r.it.productItemID, true
	case "description":
		return r.it.desc, true
	case "keyName":
		return strings.ToUpper(r.it.cat.code), true
	}
	return nil, false
}

// ---- SoftLayer_Billing_Item

// billingItemRec is the live billing item of a resource part, or (inv set)
// the billing item behind an invoice item that has no resource.
type billingItemRec struct {
	c    *reqCtx
	res  *resource
	part int
	inv  *item
}

func (r billingItemRec) Field(name string) (any, bool) {
	if r.inv != nil {
		return r.fromItem(name)
	}
	res := r.res
	parts := res.parts(r.c.s.model.seed)
	if r.part >= len(parts) {
		// the floating software license of a server
		parts = append(parts, part{"software_license", "Microsoft SQL Server Standard", dollars(45, 0), 0})
		r.part = len(parts) - 1
	}
	p := parts[r.part]
	cat := categoryByCode[p.code]
	var rate money
	if res.loc >= 0 && locations[res.loc].taxed {
		rate = taxRate
	}
	cycle := r.c.s.model.anniversary(r.c.s.model.monthOf(r.c.now))
	if cycle.After(r.c.now) {
		cycle = cycle.AddDate(0, -1, 0)
	}
	switch name {
	case "id":
		return billingItemID(res.idx, r.part), true
	case "parentId":
		if r.part == 0 || p.code == "software_license" {
			return nil, true
		}
		return billingItemID(res.idx, 0), true
	case "associatedBillingItemId":
		if r.part == 0 {
			return nil, true
		}
		return itoa(int(billingItemID(res.idx, 0))), true // a string in the real API
	case "categoryCode":
		return p.code, true
	case "description":
		return p.description, true
	case "hostName":
		if r.part == 0 {
			return optStr(res.host), true
		}
		return nil, true
	case "domainName":
		if r.part == 0 {
			return optStr(res.domain), true
		}
		return nil, true
	case "notes":
		return nil, true
	case "createDate":
		return res.start, true
	case "modifyDate", "cycleStartDate", "lastBillDate":
		if cycle.Before(res.start) {
			return res.start, true
		}
		return cycle, true
	case "nextBillDate":
		return cycle.AddDate(0, 1, 0), true
	case "cancellationDate":
		if res.end.IsZero() || res.end.After(r.c.now) {
			return nil, true
		}
		return res.end, true
	case "recurringFee":
		if res.hourly {
			return num(0), true
		}
		return num(p.monthly), true
	case "hourlyRecurringFee":
		if !res.hourly {
			return nil, true
		}
		return num(p.hourly), true
	case "oneTimeFee", "setupFee", "laborFee":
		return num(0), true
	case "recurringFeeTaxRate", "oneTimeFeeTaxRate", "setupFeeTaxRate", "laborFeeTaxRate":
		return num(rate), true
	case "orderItemId":
		return 600_000_000 + billingItemID(res.idx, r.part), true
	case "serviceProviderId", "recurringMonths", "allowCancellationFlag":
		return int64(1), true
	case "resourceTableId":
		if r.part == 0 {
			return resourceTableID(res.idx), true
		}
		return nil, true
	case "packageId":
		return nil, true
	case "hourlyFlag":
		return res.hourly, true
	case "activeFlag":
		return res.activeAt(r.c.now), true
	case "nextInvoiceTotalRecurringAmount":
		if r.part != 0 {
			return num(p.monthly), true
		}
		var t money
		for _, q := range parts {
			if res.hourly {
				continue
			}
			t += q.monthly
		}
		return num(t), true
	case "childrenCount":
		if r.part != 0 {
			return int64(0), true
		}
		return int64(len(parts) - 1), true
	case "children":
		if r.part != 0 {
			return []query.Record{}, true
		}
		out := make([]query.Record, 0, len(parts)-1)
		for i := 1; i < len(parts); i++ {
			out = append(out, billingItemRec{c: r.c, res: res, part: i})
		}
		return out, true
	case "category":
		return categoryRec{cat}, true
	case "location":
		if res.loc < 0 {
			return nil, true
		}
		return locationRec{&locations[res.loc]}, true
	}
	return nil, false
}

func (r billingItemRec) fromItem(name string) (any, bool) {
	it := r.inv
	switch name {
	case "id":
		return it.billingItemID, true
	case "categoryCode":
		return it.cat.code, true
	case "description":
		return it.desc, true
	case "createDate":
		return it.create, true
	case "hourlyFlag":
		return it.hourly, true
	case "category":
		return categoryRec{it.cat}, true
	case "location":
		if it.loc < 0 {
			return nil, true
		}
		return locationRec{&locations[it.loc]}, true
	case "children":
		return []query.Record{}, true
	case "childrenCount":
		return int64(0), true
	}
	_, ok := tBillingItem.Props[name]
	return nil, ok
}

// ---- SoftLayer_Account

type accountRec struct{ c *reqCtx }

func (r accountRec) Field(name string) (any, bool) {
	a := &r.c.s.account
	switch name {
	case "id":
		return a.id, true
	case "accountStatusId":
		return int64(1001), true
	case "address1":
		return a.address1, true
	case "brandId":
		return int64(2), true
	case "city":
		return a.city, true
	case "companyName":
		return a.companyName, true
	case "country":
		return a.country, true
	case "createDate":
		return r.c.s.model.start.Add(9 * time.Hour), true
	case "email":
		return a.email, true
	case "firstName":
		return a.firstName, true
	case "lastName":
		return a.lastName, true
	case "officePhone":
		return a.officePhone, true
	case "postalCode":
		return a.postalCode, true
	case "state":
		return a.state, true
	case "balance":
		return num(r.c.s.balance(r.c.now)), true
	case "invoices":
		return r.invoices(nil), true
	case "invoiceCount":
		return int64(len(r.invoices(nil))), true
	case "openRecurringInvoices":
		return r.invoices(func(v view) bool { return v.h.typeCode == "RECURRING" && !v.closed() }), true
	case "latestRecurringInvoice", "latestRecurringPendingInvoice":
		rs := r.invoices(func(v view) bool { return v.h.typeCode == "RECURRING" })
		if len(rs) == 0 {
			return nil, true
		}
		var last invoiceRec
		for _, x := range rs {
			if ir := x.(invoiceRec); last.h == nil || !ir.h.create.Before(last.h.create) {
				last = ir
			}
		}
		if name == "latestRecurringPendingInvoice" && last.view().closed() {
			return nil, true
		}
		return last, true
	case "nextInvoiceTopLevelBillingItems":
		return r.nextBillingItems(), true
	case "nextInvoiceTopLevelBillingItemCount":
		return int64(len(r.nextBillingItems())), true
	}
	return nil, false
}

func (r accountRec) invoices(keep func(view) bool) []query.Record {
	hs := r.c.s.visible(r.c.now)
	out := make([]query.Record, 0, len(hs))
	for _, h := range hs {
		if keep == nil || keep(view{h, r.c.now}) {
			out = append(out, invoiceRec{r.c, h})
		}
	}
	return out
}

func (r accountRec) nextBillingItems() []query.Record {
	var out []query.Record
	for _, res := range r.c.s.resources(r.c.now) {
		out = append(out, billingItemRec{c: r.c, res: res})
	}
	if out == nil {
		out = []query.Record{}
	}
	return out
}
