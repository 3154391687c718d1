package slsim

import (
	"time"
)

// item is one SoftLayer_Billing_Invoice_Item of the model.
type item struct {
	id            int64
	invoiceID     int64
	parent        int32 // index in the invoice's items; -1 = top level
	assoc         int32 // associatedInvoiceItemId as an index; -1 = none
	billingItemID int64
	resource      int32 // resource index; -1 = none
	cat           *category
	desc          string
	host, domain  string
	notes         string
	create        time.Time
	loc           int16 // -1 = none
	hourly        bool

	recurring, oneTime, setup, labor         money
	hourlyRate                               money
	hasHourly                                bool
	taxRate                                  money
	recurringTax, oneTimeTax, setupTax, lTax money
	resourceTableID                          int64
	productItemID                            int64
}

func (it *item) ownTotal() money {
	return it.recurring + it.oneTime + it.setup + it.labor + it.recurringTax + it.oneTimeTax + it.setupTax + it.lTax
}

func (t *totals) add(it *item) {
	t.items++
	if it.parent < 0 {
		t.topLevel++
	}
	if it.assoc >= 0 {
		t.assoc++
	}
	t.recurring += it.recurring
	t.recurringTax += it.recurringTax
	t.oneTime += it.oneTime + it.setup + it.labor
	t.oneTimeTax += it.oneTimeTax + it.setupTax + it.lTax
	t.itemsAmount += it.ownTotal()
}

func sumItems(items []item) totals {
	var t totals
	for i := range items {
		t.add(&items[i])
	}
	return t
}

func (it *item) tax() {
	it.recurringTax = it.recurring.taxAt(it.taxRate)
	it.oneTimeTax = it.oneTime.taxAt(it.taxRate)
	it.setupTax = it.setup.taxAt(it.taxRate)
	it.lTax = it.labor.taxAt(it.taxRate)
}

type itemBuilder struct {
	m     *model
	h     *header
	items []item
}

func (b *itemBuilder) add(it item) int32 {
	it.id = b.m.itemID(b.h.ord, len(b.items))
	it.invoiceID = b.h.id
	if it.cat == nil {
		panic("slsim: item without category")
	}
	it.productItemID = 10_000 + it.cat.id*13
	it.tax()
	b.items = append(b.items, it)
	return int32(len(b.items) - 1)
}

// addResource adds a resource's parts: the first as the top-level item, the
// others as its children. fee maps a part to its fees.
func (b *itemBuilder) addResource(res *resource, parts []part, create time.Time, fee func(p part, it *item)) int32 {
	top := int32(-1)
	var rate money
	if res.loc >= 0 && locations[res.loc].taxed {
		rate = taxRate
	}
	for pi, p := range parts {
		it := item{parent: top, assoc: -1, resource: int32(res.idx), cat: categoryByCode[p.code], desc: p.description,
			create: create, loc: int16(res.loc), hourly: res.hourly, billingItemID: b.m.billingItemID(res.idx, pi), taxRate: rate}
		if pi == 0 {
			it.host, it.domain = res.host, res.domain
			it.resourceTableID = b.m.resourceTableID(res.idx)
		}
		fee(p, &it)
		idx := b.add(it)
		if pi == 0 {
			top = idx
		}
	}
	return top
}

// items derives the base items of an invoice (without a late adjustment).
func (m *model) items(h *header) []item {
	b := &itemBuilder{m: m, h: h}
	r := newRNG(m.seed, 2, int64(h.ord))
	switch h.recipe {
	case rcRecurring:
		m.recurringItems(b, r)
	case rcNew:
		for _, ri := range h.resources {
			res := m.resources[ri]
			next := m.anniversary(m.monthOf(res.start.In(m.loc)) + 1)
			if res.start.In(m.loc).Day() < anniversaryDay {
				next = m.anniversary(m.monthOf(res.start))
			}
			prev := next.AddDate(0, -1, 0)
			num := int64(next.Sub(res.start) / time.Hour)
			den := int64(next.Sub(prev) / time.Hour)
			b.addResource(res, res.parts(m.seed), res.start, func(p part, it *item) {
				it.recurring = (p.monthly * money(num) / money(den)).roundCents()
				if p.code == kinds[res.kind].code && r.chance(30) {
					it.setup = dollars(int64(r.intn(100)), 0)
				}
			})
		}
	case rcOneTime:
		n := 1 + r.intn(3)
		for k := 0; k < n; k++ {
			loc := int16(r.intn(len(locations)))
			it := item{parent: -1, assoc: -1, resource: -1, loc: loc, create: h.create}
			if locations[loc].taxed {
				it.taxRate = taxRate
			}
			switch r.intn(3) {
			case 0:
				it.cat, it.desc, it.labor = categoryByCode["labor_fee"], "Datacenter remote hands (1 hour)", dollars(int64(75+r.intn(100)), 0)
			case 1:
				it.cat, it.desc, it.oneTime = categoryByCode["one_time_charge"], "Hardware upgrade: additional drive", dollars(int64(20+r.intn(300)), int64(r.intn(100)))
			default:
				it.cat, it.desc, it.setup, it.oneTime = categoryByCode["one_time_charge"], "Custom setup", dollars(int64(50+r.intn(100)), 0), parseMoney("12.3456")
			}
			it.notes = "ticket " + itoa(100000+r.intn(900000))
			b.add(it)
		}
	case rcCredit, rcRefund:
		n := 1 + r.intn(2)
		for k := 0; k < n; k++ {
			loc := int16(r.intn(len(locations)))
			it := item{parent: -1, assoc: -1, resource: -1, loc: loc, create: h.create, cat: categoryByCode["credit"]}
			if locations[loc].taxed {
				it.taxRate = taxRate
			}
			it.oneTime = -dollars(int64(1+r.intn(250)), int64(r.intn(100)))
			if h.recipe == rcRefund {
				it.desc = "Refund: service credit for outage"
			} else {
				it.desc = "Service credit"
				it.notes = "SLA credit"
			}
			b.add(it)
		}
	case rcManualPayment:
		// no items: a manual payment credit carries no charges
	}
	return b.items
}

func (m *model) recurringItems(b *itemBuilder, r *rng) {
	h := b.h
	prev := m.anniversary(h.month - 1)
	cycle := m.anniversary(h.month)
	for _, res := range m.resources {
		if !res.start.Before(h.create) {
			continue
		}
		parts := res.parts(m.seed)
		if !res.hourly {
			if !res.activeAt(h.create) {
				continue
			}
			top := b.addResource(res, parts, h.create, func(p part, it *item) { it.recurring = p.monthly })
			if kinds[res.kind].code == "server" && res.idx%3 == 0 {
				// a floating item associated with the server, not a child
				lic := item{parent: -1, assoc: top, resource: int32(res.idx), cat: categoryByCode["software_license"],
					desc: "Microsoft SQL Server Standard", create: h.create, loc: int16(res.loc), billingItemID: m.billingItemID(res.idx, licensePart),
					recurring: dollars(45, 0), taxRate: b.items[top].taxRate}
				b.add(lic)
			}
			continue
		}
		// hourly: usage of the previous cycle, billed in arrears
		from, to := res.start, res.end
		if from.Before(prev) {
			from = prev
		}
		if to.IsZero() || to.After(cycle) {
			to = cycle
		}
		if !to.After(from) {
			continue
		}
		hours := int64((to.Sub(from) + time.Hour - 1) / time.Hour)
		b.addResource(res, parts, h.create, func(p part, it *item) {
			it.hasHourly = true
			it.hourlyRate = p.hourly
			it.recurring = p.hourly * money(hours)
			if p.code == "guest_core" {
				it.notes = itoa(int(hours)) + " hours"
			}
		})
	}
	// bandwidth overages: one-time items on a recurring invoice
	for k, n := 0, r.intn(3); k < n; k++ {
		gb := 1 + r.intn(4000)
		loc := int16(r.intn(len(locations)))
		it := item{parent: -1, assoc: -1, resource: -1, loc: loc, create: h.create, cat: categoryByCode["bandwidth"],
			desc: "Bandwidth overage: " + itoa(gb) + " GB * .09", oneTime: money(gb) * parseMoney(".09")}
		if locations[loc].taxed {
			it.taxRate = taxRate
		}
		b.add(it)
	}
	// a usage line with an unnamed category
	if r.chance(50) {
		b.add(item{parent: -1, assoc: -1, resource: -1, loc: -1, create: h.create, cat: categoryByCode["ram_usage"],
			desc: "RAM usage (" + itoa(r.intn(9000)) + " GB-hours * .0004)", recurring: money(r.intn(9000)) * parseMoney(".0004")})
	}
	// the heavy month: a burst of short-lived hourly guests
	for g := 0; g < h.burst; g++ {
		gr := newRNG(m.seed, 3, int64(g))
		hours := int64(1 + gr.intn(300))
		res := &resource{idx: -1, kind: 1, hourly: true, loc: gr.intn(len(locations)),
			host: "burst" + itoa(g), domain: "batch.example.com"}
		parts := guestParts(gr)[:7]
		top := int32(-1)
		for pi, p := range parts {
			it := item{parent: top, assoc: -1, resource: -1, cat: categoryByCode[p.code], desc: p.description, create: h.create,
				loc: int16(res.loc), hourly: true, billingItemID: m.idOff + 900_000_000 + int64(g)*8 + int64(pi), hasHourly: true,
				hourlyRate: p.hourly, recurring: p.hourly * money(hours)}
			if locations[res.loc].taxed {
				it.taxRate = taxRate
			}
			if pi == 0 {
				it.host, it.domain = res.host, res.domain
				it.resourceTableID = m.idOff + 5_000_000 + int64(g)
			}
			idx := b.add(it)
			if pi == 0 {
				top = idx
			}
		}
	}
}

// adjustmentItem is the late adjustment item of h (h.adj must be set).
func adjustmentItem(h *header) item {
	it := item{id: h.adj.id, invoiceID: h.id, parent: -1, assoc: -1, resource: -1, loc: -1,
		create: h.adj.visible, cat: categoryByCode["one_time_charge"], desc: "Billing adjustment", oneTime: h.adj.fee,
		notes: "late adjustment"}
	it.productItemID = 10_000 + it.cat.id*13
	return it
}
