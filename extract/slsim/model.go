package slsim

import (
	"sort"
	"time"
)

// The account model. Resources (servers, guests, VLANs...) are ordered and
// cancelled over time; invoices are derived from them month by month. Only
// resources and invoice headers live in memory; items are derived on demand
// from (seed, invoice) and a few invoices' items are cached.

const anniversaryDay = 4 // recurring invoices are created on the 4th

type resource struct {
	idx    int
	kind   int
	hourly bool
	start  time.Time // order instant
	end    time.Time // cancellation instant; zero = active
	loc    int       // index in locations, -1 = none
	host   string
	domain string
	seed   int64

	// Set when the resource's month is generated; they add to the history
	// without changing any invoice.
	order  int64   // SoftLayer_Billing_Order id
	user   int     // index in model.users of who ordered it
	setup  money   // setup fee charged on its NEW invoice (part 0)
	newInv *header // the NEW invoice that first billed it; nil for hourly resources
}

func (r *resource) parts(seed int64) []part {
	return kinds[r.kind].parts(newRNG(seed, 11, int64(r.idx)))
}

func (r *resource) activeAt(t time.Time) bool {
	return !r.start.After(t) && (r.end.IsZero() || r.end.After(t))
}

// Ids. Every account of a simulator has its own id ranges (the offsets of
// the first account are 0), so an id names one object of one account, as
// ids do in the real API.

// licensePart is the part number of the floating software license billed
// with some servers (not one of the resource's parts).
const licensePart = 31

// billingItemID: one per resource part, stable over invoices.
func (m *model) billingItemID(res, part int) int64 {
	return m.idOff + 400_000_000 + int64(res)*32 + int64(part)
}

// billingItemPos is the inverse of billingItemID; ok is false outside the
// account's range.
func (m *model) billingItemPos(id int64) (res, part int, ok bool) {
	v := id - m.idOff - 400_000_000
	if v < 0 || v >= int64(len(m.resources))*32 {
		return 0, 0, false
	}
	return int(v / 32), int(v % 32), true
}

func (m *model) resourceTableID(res int) int64 { return m.idOff + 1_900_000 + int64(res)*7 }

func (m *model) orderItemID(billingItem int64) int64 { return 600_000_000 + billingItem }

// itemID derives an item id from its invoice ordinal and position, so an
// item id alone finds its invoice. Unique across the simulator.
func (m *model) itemID(ord, seq int) int64 { return m.itemOff + int64(100+ord)*10_000_000 + int64(seq) }

// itemPos is the inverse of itemID; ord is negative outside the account's
// range.
func (m *model) itemPos(id int64) (ord, seq int) {
	id -= m.itemOff
	if id < 0 {
		return -1, 0
	}
	return int(id/10_000_000) - 100, int(id % 10_000_000)
}

// recipe tells how an invoice's items are derived.
type recipeKind int

const (
	rcRecurring recipeKind = iota
	rcNew
	rcOneTime
	rcCredit
	rcRefund
	rcManualPayment
)

type adjustment struct {
	id      int64 // the adjustment item's id
	visible time.Time
	fee     money // one-time fee of the adjustment item (may be negative)
	seq     int   // position of the adjustment item (after the base items)
}

type header struct {
	ord       int
	id        int64
	typeCode  string
	recipe    recipeKind
	month     int
	create    time.Time
	visible   time.Time
	closeAt   time.Time
	failed    bool  // closes as CLOSED_FAILED
	resources []int // rcNew: resources ordered in this order
	burst     int   // rcRecurring: hourly burst guests billed on this invoice
	adj       *adjustment

	inconsistent bool

	// computed when the month is generated
	base             totals
	starting, ending money
}

// totals of a set of items.
type totals struct {
	items                   int64
	topLevel                int64
	assoc                   int64 // items with an associatedInvoiceItemId
	recurring, recurringTax money
	oneTime, oneTimeTax     money // one-time + setup + labor
	itemsAmount             money // Σ own fees + taxes
}

func (t totals) preTax() money { return t.recurring + t.oneTime }
func (t totals) total() money  { return t.preTax() + t.recurringTax + t.oneTimeTax }

// view is a header seen at one instant of the simulated clock.
type view struct {
	h   *header
	now time.Time
}

func (v view) adjVisible() bool { return v.h.adj != nil && !v.now.Before(v.h.adj.visible) }

func (v view) closed() bool { return !v.now.Before(v.h.closeAt) }

func (v view) status() string {
	switch {
	case !v.closed():
		return "OPEN"
	case v.h.failed:
		return "CLOSED_FAILED"
	}
	return "CLOSED"
}

func (v view) modifyDate() time.Time {
	m := v.h.visible.Add(3 * time.Second)
	if v.closed() && v.h.closeAt.After(m) {
		m = v.h.closeAt.Add(4 * time.Second)
	}
	if v.adjVisible() && v.h.adj.visible.After(m) {
		m = v.h.adj.visible
	}
	return m
}

func (v view) totals() totals {
	t := v.h.base
	if v.adjVisible() {
		a := adjustmentItem(v.h)
		t.add(&a)
	}
	return t
}

// invoiceTotalAmount is what the API reports, including the deliberate
// 0.01 error of inconsistent invoices.
func (v view) invoiceTotalAmount() money {
	t := v.totals().total()
	if v.h.inconsistent {
		t += cent
	}
	return t
}

func (v view) paid() bool { return v.closed() && !v.h.failed && v.h.base.total() > 0 }

// model holds the generated account.
type model struct {
	seed      int64
	scale     float64
	heavy     int // items wanted on the heaviest invoice; 0 = none
	start     time.Time
	heavyMon  int
	loc       *time.Location
	resources []*resource
	headers   []*header // in ord (visibility) order
	byID      map[int64]*header
	months    int // months generated so far
	orders    int // orders placed so far
	users     []user

	invOff  int64 // added to invoice ids (0 for the first account)
	itemOff int64 // added to invoice item ids
	idOff   int64 // added to billing item, order, user and resource ids
}

func newModel(seed int64, scale float64, heavy int, start time.Time, heavyMonth int, loc *time.Location) *model {
	return &model{seed: seed, scale: scale, heavy: heavy, start: start, heavyMon: heavyMonth, loc: loc,
		byID: map[int64]*header{}}
}

func (m *model) monthStart(i int) time.Time {
	return time.Date(m.start.Year(), m.start.Month()+time.Month(i), 1, 0, 0, 0, 0, m.loc)
}

func (m *model) monthOf(t time.Time) int {
	t = t.In(m.loc)
	return (t.Year()-m.start.Year())*12 + int(t.Month()-m.start.Month())
}

func (m *model) anniversary(i int) time.Time {
	return time.Date(m.start.Year(), m.start.Month()+time.Month(i), anniversaryDay, 0, 0, 0, 0, m.loc)
}

// ensure generates every month whose invoices can be visible at t, plus
// one month ahead: generating a month only writes header fields that no
// reader at or before t looks at (balances of later events), so requests in
// flight never race with a clock move.
func (m *model) ensure(t time.Time) {
	for m.months <= m.monthOf(t)+1 {
		m.genMonth(m.months)
		m.months++
	}
}

func (m *model) scaled(n float64) int {
	v := n * m.scale
	k := int(v)
	if frac := v - float64(k); frac > 0 && newRNG(m.seed, 99, int64(v*1000)).float() < frac {
		k++
	}
	return k
}

func (m *model) newResource(r *rng, at time.Time) *resource {
	res := &resource{idx: len(m.resources), kind: pickKind(r), start: at, seed: int64(r.next() >> 1)}
	k := kinds[res.kind]
	res.hourly = k.hourlyOK && r.chance(40)
	if r.chance(k.located) {
		res.loc = r.intn(len(locations))
	} else {
		res.loc = -1
	}
	if k.named {
		res.host = pick(r, hostWords) + itoa(1+r.intn(40))
		res.domain = pick(r, domains)
	}
	switch {
	case res.hourly && r.chance(70):
		res.end = at.Add(time.Duration(2+r.intn(24*60)) * time.Hour)
	case !res.hourly && r.chance(25):
		res.end = at.Add(time.Duration(30+r.intn(500)) * 24 * time.Hour)
	}
	m.resources = append(m.resources, res)
	return res
}

// orderTime returns a random instant in month i; sometimes 23:30 on its last
// day (Central), which is already the next month in UTC.
func (m *model) orderTime(r *rng, i int) time.Time {
	ms := m.monthStart(i)
	next := m.monthStart(i + 1)
	if r.chance(15) {
		last := next.AddDate(0, 0, -1)
		return time.Date(last.Year(), last.Month(), last.Day(), 23, 30, r.intn(60), 0, m.loc)
	}
	d := next.Sub(ms)
	return ms.Add(time.Duration(r.next() % uint64(d))).Truncate(time.Second)
}

func (m *model) genMonth(i int) {
	r := newRNG(m.seed, 1, int64(i))
	ms, next := m.monthStart(i), m.monthStart(i+1)
	var hs []*header

	// Orders.
	n := m.scaled(3 + float64(r.intn(3)))
	if i == 0 {
		n = m.scaled(60)
	}
	var ordered []*resource
	for k := 0; k < n; k++ {
		at := m.orderTime(r, i)
		if i == 0 {
			at = time.Date(ms.Year(), ms.Month(), 1+r.intn(3), 9+r.intn(8), r.intn(60), r.intn(60), 0, m.loc)
		}
		ordered = append(ordered, m.newResource(r, at))
	}

	// RECURRING on the anniversary.
	ann := m.anniversary(i)
	create := ann.Add(17*time.Minute + time.Duration(r.intn(60))*time.Second)
	rec := &header{typeCode: "RECURRING", recipe: rcRecurring, month: i, create: create, visible: create,
		closeAt: create.Add(10*24*time.Hour + time.Duration(r.intn(6*3600))*time.Second), failed: r.chance(3)}
	if i == m.heavyMon && m.heavy > 0 {
		rec.burst = (m.heavy + 6) / 7
	}
	hs = append(hs, rec)

	// NEW: one invoice per Central day with monthly orders.
	byDay := map[string][]int{}
	var days []string
	for _, res := range ordered {
		if res.hourly {
			continue
		}
		d := res.start.In(m.loc).Format("2006-01-02")
		if _, ok := byDay[d]; !ok {
			days = append(days, d)
		}
		byDay[d] = append(byDay[d], res.idx)
	}
	sort.Strings(days)
	for _, d := range days {
		ids := byDay[d]
		first := m.resources[ids[0]].start
		for _, id := range ids {
			if s := m.resources[id].start; s.Before(first) {
				first = s
			}
		}
		c := first.Add(time.Duration(5+r.intn(40)) * time.Second)
		hs = append(hs, &header{typeCode: "NEW", recipe: rcNew, month: i, create: c, visible: c, resources: ids,
			closeAt: c.Add(time.Duration(1+r.intn(9*24)) * time.Hour), failed: r.chance(2)})
	}

	occasional := func(typeCode string, rk recipeKind, pct int) {
		if !r.chance(pct) {
			return
		}
		c := ms.Add(time.Duration(r.next() % uint64(next.Sub(ms)))).Truncate(time.Second)
		h := &header{typeCode: typeCode, recipe: rk, month: i, create: c, visible: c}
		if rk == rcOneTime {
			h.closeAt = c.Add(time.Duration(1+r.intn(9*24)) * time.Hour)
		} else {
			h.closeAt = c.Add(5 * time.Second)
		}
		hs = append(hs, h)
	}
	occasional("ONE-TIME-CHARGE", rcOneTime, 35)
	occasional("CREDIT", rcCredit, 30)
	occasional("REFUND", rcRefund, 15)
	occasional("MANUAL_PAYMENT_CREDIT", rcManualPayment, 20)

	// A late CREDIT: created in month i-2, visible only on the 6th of month i.
	if i >= 2 {
		old := m.monthStart(i - 2)
		var c time.Time
		if r.chance(50) {
			last := m.monthStart(i-1).AddDate(0, 0, -1)
			c = time.Date(last.Year(), last.Month(), last.Day(), 23, 30, r.intn(60), 0, m.loc)
		} else {
			c = time.Date(old.Year(), old.Month(), 1+r.intn(27), r.intn(24), r.intn(60), r.intn(60), 0, m.loc)
		}
		vis := time.Date(ms.Year(), ms.Month(), 6, 10+r.intn(6), r.intn(60), r.intn(60), 0, m.loc)
		hs = append(hs, &header{typeCode: "CREDIT", recipe: rcCredit, month: i - 2, create: c, visible: vis, closeAt: vis.Add(5 * time.Second)})
	}

	sort.SliceStable(hs, func(a, b int) bool { return hs[a].visible.Before(hs[b].visible) })
	for _, h := range hs {
		h.ord = len(m.headers)
		h.id = m.invOff + 70_000_000 + int64(h.ord)*1000 + int64(r.intn(1000))
		m.headers = append(m.headers, h)
		m.byID[h.id] = h
		items := m.items(h)
		h.base = sumItems(items)
		if h.recipe == rcNew {
			for k := range items {
				if it := &items[k]; it.parent < 0 && it.resource >= 0 {
					res := m.resources[it.resource]
					res.setup, res.newInv = it.setup, h
				}
			}
		}
	}
	m.placeOrders(ordered)

	// A late adjustment on this recurring invoice, visible on the 7th two
	// months later. Decided now so that headers never change once published.
	if rec.base.items > 0 {
		fee := dollars(int64(1+r.intn(80)), int64(r.intn(100)))
		if r.chance(50) {
			fee = -fee
		}
		at := m.monthStart(i + 2)
		vis := time.Date(at.Year(), at.Month(), 7, 10+r.intn(6), r.intn(60), r.intn(60), 0, m.loc)
		rec.adj = &adjustment{id: m.itemID(rec.ord, int(rec.base.items)), visible: vis, fee: fee, seq: int(rec.base.items)}
	}
	m.balances()
}

// balances recomputes the running balance over every generated invoice:
// events are invoices becoming visible (+total) and payments at close
// (-total). Late adjustments change the balance when they happen, not the
// history of earlier snapshots.
func (m *model) balances() {
	type ev struct {
		at  time.Time
		h   *header
		pay bool
	}
	evs := make([]ev, 0, 2*len(m.headers))
	for _, h := range m.headers {
		evs = append(evs, ev{h.visible, h, false})
		if !h.failed && h.base.total() > 0 {
			evs = append(evs, ev{h.closeAt, h, true})
		}
	}
	sort.SliceStable(evs, func(a, b int) bool { return evs[a].at.Before(evs[b].at) })
	var bal money
	for _, e := range evs {
		if e.pay {
			bal -= e.h.base.total()
			setIfChanged(&e.h.ending, bal)
			continue
		}
		setIfChanged(&e.h.starting, bal)
		bal += e.h.base.total()
		if e.h.failed || e.h.base.total() <= 0 {
			setIfChanged(&e.h.ending, bal)
		}
	}
}

func setIfChanged(p *money, v money) {
	if *p != v {
		*p = v
	}
}
