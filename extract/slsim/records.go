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
	a   *acct // the caller's account
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
	a := &r.c.a.info
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
	case "faxPhone", "creditTypeDetailId":
		return nil, true
	case "purchaseOrderNumber":
		return optStr(r.purchaseOrder()), true
	case "claimedTaxExemptTxFlag":
		return false, true
	case "documentsGeneratedFlag", "detailedPdfGeneratedFlag":
		return v.closed(), true
	case "taxStatusId", "taxTypeId":
		return int64(6), true
	case "localCurrencyExchangeRate":
		return exchangeRateRec{r.rate()}, true
	case "taxInfo":
		return taxInfoRec{r}, true
	case "taxInfoHistory":
		return []query.Record{taxInfoRec{r}}, true
	case "taxInfoHistoryCount":
		return int64(1), true
	case "taxType":
		return taxTypeRec{}, true
	case "brandAtInvoiceCreation":
		return brandRec{}, true
	case "chargebackType":
		return nil, true
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

// rate is the exchange rate of the invoice's month to the account's
// currency.
func (r invoiceRec) rate() exchangeRate {
	return r.c.a.model.rateAt(r.c.a.info.currency, r.h.create)
}

// purchaseOrder is the purchase order number of an account that uses them
// on its NEW, RECURRING and ONE-TIME-CHARGE invoices: one per calendar year.
func (r invoiceRec) purchaseOrder() string {
	if !r.c.a.info.purchaseOrders {
		return ""
	}
	switch r.h.typeCode {
	case "NEW", "RECURRING", "ONE-TIME-CHARGE":
	default:
		return ""
	}
	y := r.h.create.In(r.c.s.central).Year()
	return "PO-" + itoa(y) + "-" + itoa(1000+newRNG(r.c.a.seed, 17, int64(y)).intn(9000))
}

func (r invoiceRec) itemRecords(topOnly bool) []query.Record {
	if r.h.base.items == 0 && r.h.adj == nil {
		return []query.Record{}
	}
	d := r.c.a.data(r.h)
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
		return p.inv.c.a.info.paymentType, true
	case "invoice":
		return p.inv, true
	case "account":
		return accountRec{p.inv.c}, true
	case "exchangeRate":
		return exchangeRateRec{p.inv.rate()}, true
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
		res := r.c.a.resource(int(it.resource))
		part := int(it.billingItemID - r.c.a.model.billingItemID(res.idx, 0))
		if b := r.c.billingItem(res, 0); (part >= 0 && part < len(b.parts)) || (part == licensePart && res.licensed()) {
			b.part = part
			return b
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

// ---- SoftLayer_Account

type accountRec struct{ c *reqCtx }

func (r accountRec) Field(name string) (any, bool) {
	a := &r.c.a.info
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
		return r.c.a.model.start.Add(9 * time.Hour), true
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
		return num(r.c.a.balance(r.c.now)), true
	case "invoices":
		return r.invoices(nil), true
	case "invoiceCount":
		return int64(len(r.invoices(nil))), true
	case "openRecurringInvoices", "openRecurringInvoiceCount":
		rs := r.invoices(func(v view) bool { return v.h.typeCode == "RECURRING" && !v.closed() })
		if name == "openRecurringInvoiceCount" {
			return int64(len(rs)), true
		}
		return rs, true
	case "latestRecurringInvoice", "latestRecurringPendingInvoice":
		last, ok := r.latest(func(v view) bool { return v.h.typeCode == "RECURRING" })
		if !ok || (name == "latestRecurringPendingInvoice" && last.view().closed()) {
			return nil, true
		}
		return last, true
	case "latestBillDate":
		if last, ok := r.latest(func(v view) bool { return v.h.typeCode == "RECURRING" }); ok {
			return last.h.create, true
		}
		return nil, true
	case "pendingInvoice":
		if p, ok := r.pending(); ok {
			return p, true
		}
		return nil, true
	case "pendingInvoiceTopLevelItems", "pendingInvoiceTopLevelItemCount":
		p, ok := r.pending()
		var rs []query.Record
		if ok {
			rs = p.itemRecords(true)
		} else {
			rs = []query.Record{}
		}
		if name == "pendingInvoiceTopLevelItemCount" {
			return int64(len(rs)), true
		}
		return rs, true
	case "pendingInvoiceTotalAmount", "pendingInvoiceTotalOneTimeAmount", "pendingInvoiceTotalOneTimeTaxAmount",
		"pendingInvoiceTotalRecurringAmount", "pendingInvoiceTotalRecurringTaxAmount":
		p, ok := r.pending()
		if !ok {
			return nil, true
		}
		return p.Field("invoiceTotal" + strings.TrimPrefix(name, "pendingInvoiceTotal"))
	case "nextInvoiceTopLevelBillingItems":
		return r.c.topLevelBillingItems(false), true
	case "nextInvoiceTopLevelBillingItemCount":
		return int64(len(r.c.topLevelBillingItems(false))), true
	case "allTopLevelBillingItems":
		return r.c.topLevelBillingItems(true), true
	case "allTopLevelBillingItemCount":
		return int64(len(r.c.topLevelBillingItems(true))), true
	case "nextInvoiceTotalAmount", "nextInvoiceTotalRecurringAmount", "nextInvoiceTotalRecurringAmountBeforeAccountDiscount",
		"nextInvoiceRecurringAmountEligibleForAccountDiscount", "nextInvoiceIncubatorExemptTotal":
		// pre-tax; the simulator's next invoices carry no one-time charges
		// and no discount
		return num(r.c.nextInvoice().recurring), true
	case "nextInvoiceTotalRecurringTaxAmount":
		return num(r.c.nextInvoice().tax), true
	case "nextInvoiceTotalTaxableRecurringAmount":
		return num(r.c.nextInvoice().taxable), true
	case "nextInvoiceTotalOneTimeAmount", "nextInvoiceTotalOneTimeTaxAmount", "nextInvoicePlatformServicesTotalAmount":
		return num(0), true
	case "orders":
		return r.c.orders(), true
	case "orderCount":
		return int64(len(r.c.a.ordered(r.c.now))), true
	case "users":
		return r.c.users(), true
	case "userCount":
		return int64(len(r.c.users())), true
	case "masterUser":
		return userRec{r.c, &r.c.a.model.users[0]}, true
	case "hardwareCount", "virtualGuestCount", "networkVlanCount", "dedicatedHostCount", "networkStorageCount",
		"subnetCount", "domainCount":
		return r.c.a.inventory(r.c.now)[name], true
	case "openTicketCount":
		return int64(len(r.invoices(func(v view) bool { return v.h.typeCode == "ONE-TIME-CHARGE" && !v.closed() }))), true
	case "blockDeviceTemplateGroupCount":
		return int64(1 + newRNG(r.c.a.seed, 18).intn(6)), true
	}
	return nil, false
}

func (r accountRec) invoices(keep func(view) bool) []query.Record {
	hs := r.c.a.visible(r.c.now)
	out := make([]query.Record, 0, len(hs))
	for _, h := range hs {
		if keep == nil || keep(view{h, r.c.now}) {
			out = append(out, invoiceRec{r.c, h})
		}
	}
	return out
}

// latest returns the latest visible invoice (by createDate, then id) that
// keep accepts.
func (r accountRec) latest(keep func(view) bool) (invoiceRec, bool) {
	var last invoiceRec
	for _, h := range r.c.a.visible(r.c.now) {
		if keep(view{h, r.c.now}) && (last.h == nil || !h.create.Before(last.h.create)) {
			last = invoiceRec{r.c, h}
		}
	}
	return last, last.h != nil
}

// pending is the account's latest OPEN invoice, of any type.
func (r accountRec) pending() (invoiceRec, bool) {
	return r.latest(func(v view) bool { return !v.closed() })
}

// nextTotals is the forecast of the next invoice.
type nextTotals struct {
	recurring, tax, taxable money
}

// nextInvoice sums the next invoice's top-level billing items.
func (c *reqCtx) nextInvoice() nextTotals {
	var t nextTotals
	for _, r := range c.topLevelBillingItems(false) {
		b := r.(billingItemRec)
		amt := b.nextInvoice()
		t.recurring += amt
		t.tax += b.nextInvoiceTax()
		if taxRateOf(b.res.loc) != 0 {
			t.taxable += amt
		}
	}
	return t
}

// inventory counts the active resources as SoftLayer_Account's *Count
// properties do.
func (a *acct) inventory(now time.Time) map[string]int64 {
	out := map[string]int64{"hardwareCount": 0, "virtualGuestCount": 0, "networkVlanCount": 0, "dedicatedHostCount": 0,
		"networkStorageCount": 0, "subnetCount": 0, "domainCount": 0}
	domains := map[string]bool{}
	for _, res := range a.resources(now) {
		switch kinds[res.kind].code {
		case "server":
			out["hardwareCount"]++
		case "guest_core":
			out["virtualGuestCount"]++
		case "network_vlan":
			out["networkVlanCount"]++
		case "dedicated_virtual_hosts":
			out["dedicatedHostCount"]++
		case "storage_as_a_service", "storage_service_enterprise", "hub":
			out["networkStorageCount"]++
		case "sov_sec_ip_addresses_priv", "pri_ip_address", "global_ipv4":
			out["subnetCount"]++
		}
		if res.domain != "" {
			domains[res.domain] = true
		}
	}
	out["domainCount"] = int64(len(domains))
	return out
}
