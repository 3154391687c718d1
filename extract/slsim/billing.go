package slsim

import (
	"time"

	"github.com/invoicelake/invoicelake/extract/slsim/query"
)

// Billing items, orders and users as records. A resource's billing items
// are its parts (part 0 is the top-level item, the others its children) and,
// for some servers, a floating software license associated with the server.

// licensed reports whether a resource carries the floating software
// license (the RECURRING invoices bill it next to the server).
func (r *resource) licensed() bool {
	return kinds[r.kind].code == "server" && r.idx%3 == 0 && !r.hourly
}

var licensePartDef = part{"software_license", "Microsoft SQL Server Standard", dollars(45, 0), 0}

// taxRateOf is the sales tax rate of a resource's location.
func taxRateOf(loc int) money {
	if loc >= 0 && locations[loc].taxed {
		return taxRate
	}
	return 0
}

// cycle returns the billing cycle containing now: its start (the last
// anniversary at or before now) and the next anniversary.
func (m *model) cycle(now time.Time) (start, next time.Time) {
	start = m.anniversary(m.monthOf(now))
	if start.After(now) {
		start = start.AddDate(0, -1, 0)
	}
	return start, start.AddDate(0, 1, 0)
}

// hoursUsed is the number of started hours an hourly resource ran in the
// cycle containing now, up to now.
func (m *model) hoursUsed(res *resource, now time.Time) int64 {
	cs, _ := m.cycle(now)
	from, to := res.start, now
	if from.Before(cs) {
		from = cs
	}
	if !res.end.IsZero() && res.end.Before(to) {
		to = res.end
	}
	if !to.After(from) {
		return 0
	}
	return int64((to.Sub(from) + time.Hour - 1) / time.Hour)
}

// billingItemRec is the live billing item of a resource part, or (inv set)
// the billing item behind an invoice item that has no resource.
type billingItemRec struct {
	c     *reqCtx
	res   *resource
	parts []part // the resource's parts, computed once per record family
	part  int    // index in parts, or licensePart
	inv   *item
}

func (c *reqCtx) billingItem(res *resource, part int) billingItemRec {
	return billingItemRec{c: c, res: res, parts: res.parts(c.a.model.seed), part: part}
}

func (r billingItemRec) def() part {
	if r.part == licensePart {
		return licensePartDef
	}
	return r.parts[r.part]
}

func (r billingItemRec) id() int64 { return r.c.a.model.billingItemID(r.res.idx, r.part) }

func (r billingItemRec) top() bool { return r.part == 0 || r.part == licensePart }

// amount is what the next invoice bills for this part alone: the monthly
// fee, or the hours used so far times the hourly rate; 0 once cancelled.
func (r billingItemRec) amount() money {
	if !r.res.activeAt(r.c.now) {
		return 0
	}
	p := r.def()
	if r.res.hourly {
		return p.hourly * money(r.c.a.model.hoursUsed(r.res, r.c.now))
	}
	return p.monthly
}

// nextInvoice is the amount of this item and its children on the next
// invoice (the associated license is its own top-level item: the
// simulator's top-level items add up to the account's next-invoice total).
func (r billingItemRec) nextInvoice() money {
	t := r.amount()
	if r.part == 0 {
		for i := 1; i < len(r.parts); i++ {
			t += billingItemRec{c: r.c, res: r.res, parts: r.parts, part: i}.amount()
		}
	}
	return t
}

// nextInvoiceTax is the sales tax the next invoice will charge on this item
// and its children, rounded per item as on invoices.
func (r billingItemRec) nextInvoiceTax() money {
	rate := taxRateOf(r.res.loc)
	t := r.amount().taxAt(rate)
	if r.part == 0 {
		for i := 1; i < len(r.parts); i++ {
			t += billingItemRec{c: r.c, res: r.res, parts: r.parts, part: i}.amount().taxAt(rate)
		}
	}
	return t
}

func (r billingItemRec) children() []query.Record {
	if r.part != 0 {
		return []query.Record{}
	}
	out := make([]query.Record, 0, len(r.parts)-1)
	for i := 1; i < len(r.parts); i++ {
		out = append(out, billingItemRec{c: r.c, res: r.res, parts: r.parts, part: i})
	}
	return out
}

func (r billingItemRec) Field(name string) (any, bool) {
	if r.inv != nil {
		return r.fromItem(name)
	}
	res, m := r.res, r.c.a.model
	p := r.def()
	cs, next := m.cycle(r.c.now)
	switch name {
	case "id":
		return r.id(), true
	case "parentId":
		if r.top() {
			return nil, true
		}
		return m.billingItemID(res.idx, 0), true
	case "associatedBillingItemId":
		if r.part == 0 {
			return nil, true
		}
		return itoa(int(m.billingItemID(res.idx, 0))), true // a string in the real API
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
		if cs.Before(res.start) {
			return res.start, true
		}
		return cs, true
	case "nextBillDate":
		return next, true
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
	case "setupFee":
		if r.part == 0 {
			return num(res.setup), true
		}
		return num(0), true
	case "oneTimeFee", "laborFee":
		return num(0), true
	case "recurringFeeTaxRate", "oneTimeFeeTaxRate", "setupFeeTaxRate", "laborFeeTaxRate":
		return num(taxRateOf(res.loc)), true
	case "hoursUsed":
		if !res.hourly {
			return nil, true
		}
		return itoa(int(m.hoursUsed(res, r.c.now))), true // a string in the real API
	case "currentHourlyCharge":
		if !res.hourly {
			return nil, true
		}
		return string(num(p.hourly * money(m.hoursUsed(res, r.c.now)))), true
	case "orderItemId":
		return m.orderItemID(r.id()), true
	case "serviceProviderId", "recurringMonths", "allowCancellationFlag":
		return int64(1), true
	case "resourceTableId":
		if r.part == 0 {
			return m.resourceTableID(res.idx), true
		}
		return nil, true
	case "packageId":
		if kinds[res.kind].code == "server" && r.part != licensePart {
			return int64(1057), true
		}
		return nil, true
	case "hourlyFlag":
		return res.hourly, true
	case "activeFlag":
		return res.activeAt(r.c.now), true
	case "pendingCancellationFlag":
		return false, true
	case "nextInvoiceTotalRecurringAmount":
		return num(r.nextInvoice()), true
	case "nextInvoiceTotalRecurringTaxAmount", "nextInvoiceTotalOneTimeAmount", "nextInvoiceTotalOneTimeTaxAmount":
		// the recurring tax is "deprecated and will always be zero"; the
		// simulator's billing items have no one-time charges to come
		return num(0), true
	case "childrenCount":
		return int64(len(r.children())), true
	case "children":
		return r.children(), true
	case "activeChildrenCount", "nextInvoiceChildrenCount":
		if !res.activeAt(r.c.now) {
			return int64(0), true
		}
		return int64(len(r.children())), true
	case "activeChildren", "nextInvoiceChildren":
		if !res.activeAt(r.c.now) {
			return []query.Record{}, true
		}
		return r.children(), true
	case "associatedChildren", "associatedChildrenCount":
		cs := r.children()
		if r.part == 0 && res.licensed() {
			cs = append(cs, billingItemRec{c: r.c, res: res, parts: r.parts, part: licensePart})
		}
		if name == "associatedChildrenCount" {
			return int64(len(cs)), true
		}
		return cs, true
	case "parent", "associatedBillingItem":
		if r.part == 0 || (name == "parent" && r.part == licensePart) {
			return nil, true
		}
		return billingItemRec{c: r.c, res: res, parts: r.parts, part: 0}, true
	case "category":
		return categoryRec{categoryByCode[p.code]}, true
	case "location":
		if res.loc < 0 {
			return nil, true
		}
		return locationRec{&locations[res.loc]}, true
	case "orderItem":
		return orderItemRec{c: r.c, res: res, parts: r.parts, part: r.part}, true
	case "account":
		return accountRec{r.c}, true
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
	case "children", "activeChildren", "associatedChildren", "nextInvoiceChildren":
		return []query.Record{}, true
	case "childrenCount", "activeChildrenCount", "associatedChildrenCount", "nextInvoiceChildrenCount":
		return int64(0), true
	case "account":
		return accountRec{r.c}, true
	}
	_, ok := tBillingItem.Props[name]
	return nil, ok
}

// billingItemByID finds a billing item of a resource ordered by now.
func (a *acct) billingItemByID(c *reqCtx, id int64) (billingItemRec, bool) {
	a.s.mu.Lock()
	ri, part, ok := a.model.billingItemPos(id)
	var res *resource
	if ok {
		res = a.model.resources[ri]
	}
	a.s.mu.Unlock()
	if res == nil || res.start.After(c.now) {
		return billingItemRec{}, false
	}
	rec := c.billingItem(res, 0)
	if (part == licensePart && !res.licensed()) || (part != licensePart && part >= len(rec.parts)) {
		return billingItemRec{}, false
	}
	rec.part = part
	return rec, true
}

// topLevelBillingItems returns the top-level billing items of the
// resources ordered by now (every one, cancelled or not, when all; else
// the active ones, which the next invoice will bill), in id order.
func (c *reqCtx) topLevelBillingItems(all bool) []query.Record {
	var rs []*resource
	if all {
		rs = c.a.ordered(c.now)
	} else {
		rs = c.a.resources(c.now)
	}
	out := make([]query.Record, 0, len(rs))
	for _, res := range rs {
		top := c.billingItem(res, 0)
		out = append(out, top)
		if res.licensed() {
			top.part = licensePart
			out = append(out, top)
		}
	}
	return out
}

// ---- SoftLayer_Billing_Order and SoftLayer_Billing_Order_Item

// orderRec is the order of one resource.
type orderRec struct {
	c     *reqCtx
	res   *resource
	parts []part
}

func (c *reqCtx) order(res *resource) orderRec {
	return orderRec{c: c, res: res, parts: res.parts(c.a.model.seed)}
}

// totals of an order: the first month in full (monthly resources) plus the
// setup fee; hourly orders total 0 (they are billed in arrears).
func (o orderRec) totals() (recurring, recurringTax, setup, setupTax money) {
	if o.res.hourly {
		return 0, 0, 0, 0
	}
	rate := taxRateOf(o.res.loc)
	for _, p := range o.parts {
		recurring += p.monthly
		recurringTax += p.monthly.taxAt(rate)
	}
	return recurring, recurringTax, o.res.setup, o.res.setup.taxAt(rate)
}

func (o orderRec) items(topOnly bool) []query.Record {
	n := len(o.parts)
	if topOnly {
		n = 1
	}
	out := make([]query.Record, 0, n+1)
	for i := 0; i < n; i++ {
		out = append(out, orderItemRec{c: o.c, res: o.res, parts: o.parts, part: i})
	}
	if o.res.licensed() {
		out = append(out, orderItemRec{c: o.c, res: o.res, parts: o.parts, part: licensePart})
	}
	return out
}

func (o orderRec) Field(name string) (any, bool) {
	res, m := o.res, o.c.a.model
	rec, rtax, setup, stax := o.totals()
	switch name {
	case "id":
		return res.order, true
	case "accountId":
		return o.c.a.info.id, true
	case "createDate":
		return res.start, true
	case "modifyDate", "orderApprovalDate":
		return res.start.Add(2 * time.Minute), true
	case "status":
		return "COMPLETED", true
	case "userRecordId":
		return m.users[res.user].id, true
	case "orderTypeId":
		return int64(1), true
	case "impersonatingUserRecordId", "orderQuoteId", "presaleEventId":
		return nil, true
	case "privateCloudOrderFlag", "upgradeRequestFlag":
		return false, true
	case "orderTotalAmount":
		return num(rec + rtax + setup + stax), true
	case "orderTotalOneTime":
		return num(setup + stax), true
	case "orderTotalOneTimeAmount", "orderTotalSetupAmount":
		return num(setup), true
	case "orderTotalOneTimeTaxAmount":
		return num(stax), true
	case "orderTotalRecurring":
		return num(rec + rtax), true
	case "orderTotalRecurringAmount":
		return num(rec), true
	case "orderTotalRecurringTaxAmount":
		return num(rtax), true
	case "itemCount":
		return int64(len(o.items(false))), true
	case "orderTopLevelItemCount":
		return int64(len(o.items(true))), true
	case "items", "orderTopLevelItems":
		return o.items(name == "orderTopLevelItems"), true
	case "userRecord":
		return userRec{o.c, &m.users[res.user]}, true
	case "initialInvoice":
		if res.newInv == nil || res.newInv.visible.After(o.c.now) {
			return nil, true
		}
		return invoiceRec{o.c, res.newInv}, true
	case "orderType":
		return orderTypeRec{}, true
	case "account":
		return accountRec{o.c}, true
	}
	return nil, false
}

type orderTypeRec struct{}

func (orderTypeRec) Field(name string) (any, bool) {
	switch name {
	case "id":
		return int64(1), true
	case "type":
		return "NEW", true
	case "description":
		return "New Order", true
	}
	return nil, false
}

type orderItemRec struct {
	c     *reqCtx
	res   *resource
	parts []part
	part  int
}

func (o orderItemRec) bi() billingItemRec {
	return billingItemRec{c: o.c, res: o.res, parts: o.parts, part: o.part}
}

func (o orderItemRec) Field(name string) (any, bool) {
	res, m := o.res, o.c.a.model
	b := o.bi()
	p := b.def()
	switch name {
	case "id":
		return m.orderItemID(b.id()), true
	case "parentId":
		if b.top() {
			return nil, true
		}
		return m.orderItemID(m.billingItemID(res.idx, 0)), true
	case "categoryCode", "description", "hostName", "domainName", "recurringFee", "hourlyRecurringFee", "setupFee",
		"oneTimeFee", "laborFee", "recurringFeeTaxRate", "oneTimeFeeTaxRate", "setupFeeTaxRate", "laborFeeTaxRate":
		return b.Field(name)
	case "itemId":
		return 10_000 + categoryByCode[p.code].id*13, true
	case "quantity":
		return int64(1), true
	case "setupFeeDeferralMonths":
		return int64(0), true
	case "promoCodeId":
		return nil, true
	case "totalRecurringAmount":
		if res.hourly {
			return num(0), true
		}
		t := p.monthly
		if o.part == 0 {
			t = 0
			for _, q := range o.parts {
				t += q.monthly
			}
		}
		return num(t), true
	case "childrenCount":
		return int64(len(o.children())), true
	case "children":
		return o.children(), true
	case "order":
		return o.c.order(res), true
	case "billingItem":
		return b, true
	case "category":
		return categoryRec{categoryByCode[p.code]}, true
	case "location":
		return b.Field("location")
	case "parent":
		if b.top() {
			return nil, true
		}
		return orderItemRec{c: o.c, res: res, parts: o.parts, part: 0}, true
	}
	return nil, false
}

func (o orderItemRec) children() []query.Record {
	if o.part != 0 {
		return []query.Record{}
	}
	out := make([]query.Record, 0, len(o.parts)-1)
	for i := 1; i < len(o.parts); i++ {
		out = append(out, orderItemRec{c: o.c, res: o.res, parts: o.parts, part: i})
	}
	return out
}

// orders returns the account's orders placed by now, in id order.
func (c *reqCtx) orders() []query.Record {
	rs := c.a.ordered(c.now)
	out := make([]query.Record, len(rs))
	for i, res := range rs {
		out[i] = c.order(res)
	}
	sortByOrderID(out)
	return out
}

func sortByOrderID(rs []query.Record) {
	// resources are in index order; orders of one month were numbered in
	// time order, so an insertion sort is almost free
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && rs[j].(orderRec).res.order < rs[j-1].(orderRec).res.order; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}

// orderByID finds an order placed by now.
func (a *acct) orderByID(c *reqCtx, id int64) (orderRec, bool) {
	for _, res := range a.ordered(c.now) {
		if res.order == id {
			return c.order(res), true
		}
	}
	return orderRec{}, false
}

// ---- SoftLayer_User_Customer

type userRec struct {
	c *reqCtx
	u *user
}

func (r userRec) Field(name string) (any, bool) {
	u := r.u
	switch name {
	case "id":
		return u.id, true
	case "accountId":
		return r.c.a.info.id, true
	case "username":
		return u.username, true
	case "email":
		return u.email, true
	case "firstName":
		return u.first, true
	case "lastName":
		return u.last, true
	case "displayName":
		return u.displayName, true
	case "companyName":
		return r.c.a.info.companyName, true
	case "createDate":
		return u.created, true
	case "modifyDate", "statusDate":
		if u.disabled && !u.statusDate.After(r.c.now) {
			return u.statusDate, true
		}
		if name == "statusDate" {
			return nil, true
		}
		return u.created, true
	case "userStatusId":
		return userStatusRec{r.disabled()}.id(), true
	case "parentId":
		if u.master {
			return nil, true
		}
		return r.c.a.model.users[0].id, true
	case "isMasterUserFlag":
		return u.master, true
	case "iamId":
		return u.iamTag, true
	case "userStatus":
		return userStatusRec{r.disabled()}, true
	case "account":
		return accountRec{r.c}, true
	}
	return nil, false
}

func (r userRec) disabled() bool { return r.u.disabled && !r.u.statusDate.After(r.c.now) }

type userStatusRec struct{ disabled bool }

func (r userStatusRec) id() int64 {
	if r.disabled {
		return 1002
	}
	return 1001
}

func (r userStatusRec) Field(name string) (any, bool) {
	switch name {
	case "id":
		return r.id(), true
	case "keyName":
		if r.disabled {
			return "DISABLED", true
		}
		return "ACTIVE", true
	case "name":
		if r.disabled {
			return "Disabled", true
		}
		return "Active", true
	}
	return nil, false
}

// users returns the account's users created by now.
func (c *reqCtx) users() []query.Record {
	var out []query.Record
	for i := range c.a.model.users {
		if u := &c.a.model.users[i]; !u.created.After(c.now) {
			out = append(out, userRec{c, u})
		}
	}
	if out == nil {
		out = []query.Record{}
	}
	return out
}

// ---- currencies, exchange rates, taxes, brand

type currencyRec struct{ cur *currency }

func (r currencyRec) Field(name string) (any, bool) {
	switch name {
	case "id":
		return r.cur.id, true
	case "keyName":
		return r.cur.key, true
	case "name":
		return r.cur.name, true
	}
	return nil, false
}

type exchangeRateRec struct{ x exchangeRate }

func (r exchangeRateRec) Field(name string) (any, bool) {
	switch name {
	case "id":
		return r.x.id(), true
	case "effectiveDate":
		return r.x.from, true
	case "expirationDate":
		return r.x.to, true
	case "rate":
		return num(r.x.rate), true
	case "fundingCurrency":
		return currencyRec{&currencies[0]}, true
	case "localCurrency":
		return currencyRec{r.x.cur}, true
	}
	return nil, false
}

// taxInfoRec is an invoice's official tax record.
type taxInfoRec struct{ inv invoiceRec }

func (r taxInfoRec) Field(name string) (any, bool) {
	v := r.inv.view()
	a := r.inv.c.a
	switch name {
	case "id":
		return a.model.idOff + 9_000_000 + int64(r.inv.h.ord), true
	case "invoiceId":
		return r.inv.h.id, true
	case "currencyId":
		return a.info.currency.id, true
	case "createDate":
		return r.inv.h.create, true
	case "modifyDate":
		return v.modifyDate(), true
	case "reportedFlag":
		return v.closed(), true
	case "totalTaxAmountToCurrency":
		t := v.totals()
		return num(r.inv.rate().convert(t.recurringTax + t.oneTimeTax)), true
	case "itemCount":
		return v.totals().items, true
	case "currency":
		return currencyRec{a.info.currency}, true
	case "functionalCurrency":
		return currencyRec{&currencies[0]}, true
	case "invoice":
		return r.inv, true
	}
	return nil, false
}

type taxTypeRec struct{}

func (taxTypeRec) Field(name string) (any, bool) {
	switch name {
	case "id":
		return int64(6), true
	case "keyName":
		return "SALES_TAX", true
	case "name":
		return "Sales Tax", true
	}
	return nil, false
}

type brandRec struct{}

func (brandRec) Field(name string) (any, bool) {
	switch name {
	case "id":
		return int64(2), true
	case "keyName":
		return "SOFTLAYER", true
	case "longName":
		return "SoftLayer, an IBM Company", true
	case "name":
		return "SoftLayer", true
	}
	return nil, false
}
