package slsim

import (
	"container/list"
	"fmt"
	"time"
)

// Credentials are what a client presents to one simulated account: classic
// HTTP Basic User:APIKey, HTTP Basic apikey:IAMKey (an IBM Cloud API key) or
// Authorization: Bearer BearerToken.
type Credentials struct {
	User        string `json:"user"`
	APIKey      string `json:"apiKey"`
	IAMKey      string `json:"iamKey"`
	BearerToken string `json:"bearerToken"`
}

// Account describes one simulated account: its id and the credentials that
// see it (and only it).
type Account struct {
	Index       int         `json:"index"` // 0 is the first account (Options' credentials)
	ID          int64       `json:"accountId"`
	Credentials Credentials `json:"credentials"`
}

// MaxAccounts bounds Options.Accounts.
const MaxAccounts = 100

// accountCredentials returns the credentials of account i: Options' own for
// the first, the same with a "-N" suffix (N = i+1) for the others.
func accountCredentials(o *Options, i int) Credentials {
	c := Credentials{User: o.User, APIKey: o.APIKey, IAMKey: o.IAMKey, BearerToken: o.BearerToken}
	if i == 0 {
		return c
	}
	sfx := fmt.Sprintf("-%d", i+1)
	return Credentials{User: c.User + sfx, APIKey: c.APIKey + sfx, IAMKey: c.IAMKey + sfx, BearerToken: c.BearerToken + sfx}
}

// accountSeed derives account i's seed: the first account uses the seed
// itself, so its history is the one a single-account simulator serves.
func accountSeed(seed int64, i int) int64 {
	if i == 0 {
		return seed
	}
	return int64(newRNG(seed, 8, int64(i)).next() >> 1)
}

// acct is one simulated account: its model, the cache of derived invoices
// and its contact details. Sim.mu guards model and cache.
type acct struct {
	s     *Sim
	index int
	seed  int64
	creds Credentials
	info  accountInfo
	model *model
	cache map[int]*list.Element
	lru   *list.List
}

type accountInfo struct {
	id                                                   int64
	companyName, firstName, lastName, address1, address2 string
	city, state, postalCode, country, email, officePhone string
	currency                                             *currency
	purchaseOrders                                       bool   // invoices carry a purchase order number
	paymentType                                          string // typeCode of its payments
}

// profile is the address and billing style of an account after the first.
type profile struct {
	city, state, postalCode, country string
	currency                         *currency
	paymentType                      string
}

var profiles = []profile{
	{"Dallas", "TX", "75244-4608", "US", &currencies[0], "CREDIT_CARD"},
	{"Frankfurt am Main", "other", "60311", "DE", &currencies[1], "WIRE"},
	{"Z\u00fcrich", "other", "8005", "CH", &currencies[2], "ACH"},
	{"Toronto", "ON", "M5V 2T6", "CA", &currencies[3], "PAYPAL"},
}

func newAcct(s *Sim, i int, start time.Time) *acct {
	o := &s.opts
	a := &acct{s: s, index: i, seed: accountSeed(o.Seed, i), creds: accountCredentials(o, i),
		cache: map[int]*list.Element{}, lru: list.New()}
	r := newRNG(a.seed, 5)
	a.info = accountInfo{
		id:          int64(300_000 + r.intn(700_000)),
		companyName: pick(r, []string{"Example Widgets Inc.", "Z\u00fcrich Data AG", "Acme Cloud / Ops"}),
		firstName:   pick(r, []string{"Ada", "Grace", "Linus"}),
		lastName:    pick(r, []string{"Lovelace", "Hopper", "M\u00fcller"}),
		address1:    itoa(100+r.intn(9000)) + " Alpha Rd",
		city:        "Dallas", state: "TX", postalCode: "75244-4608", country: "US",
		email: "billing@example.com", officePhone: "2815550100",
		currency: &currencies[0], paymentType: "CREDIT_CARD",
	}
	if i > 0 {
		// later accounts draw more of their profile (the first keeps the
		// contact details it always had)
		pr := profiles[newRNG(a.seed, 14).intn(len(profiles))]
		a.info.city, a.info.state, a.info.postalCode, a.info.country = pr.city, pr.state, pr.postalCode, pr.country
		a.info.currency, a.info.paymentType = pr.currency, pr.paymentType
	}
	a.info.purchaseOrders = newRNG(a.seed, 15).chance(50)
	heavyMonth := -1
	if o.HeavyInvoiceItems > 0 {
		heavyMonth = o.Months / 2
	}
	heavy := max(o.HeavyInvoiceItems, 0)
	m := newModel(a.seed, o.Scale, heavy, start, heavyMonth, s.central)
	m.invOff = int64(i) * 1_000_000_000
	m.itemOff = int64(i) * 1_000_000_000_000
	m.idOff = int64(i) * 1_000_000_000
	m.users = genUsers(a.seed, a.info, m)
	a.model = m
	return a
}

// public returns the account's id and credentials.
func (a *acct) public() Account { return Account{Index: a.index, ID: a.info.id, Credentials: a.creds} }

// markInconsistent picks n closed invoices with items, visible at now.
func (a *acct) markInconsistent(n int, now time.Time) {
	var cands []*header
	for _, h := range a.model.headers {
		v := view{h, now}
		if !h.visible.After(now) && v.closed() && h.base.items > 0 {
			cands = append(cands, h)
		}
	}
	r := newRNG(a.seed, 7)
	for k := 0; k < n && len(cands) > 0; k++ {
		i := r.intn(len(cands))
		cands[i].inconsistent = true
		cands = append(cands[:i], cands[i+1:]...)
	}
}

// visible returns the headers visible at t, in ord (= id) order.
func (a *acct) visible(t time.Time) []*header {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	hs := a.model.headers
	out := make([]*header, 0, len(hs))
	for _, h := range hs {
		if !h.visible.After(t) {
			out = append(out, h)
		}
	}
	return out
}

// resource returns resource i.
func (a *acct) resource(i int) *resource {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	return a.model.resources[i]
}

// ordered returns the resources ordered by t, in index order.
func (a *acct) ordered(t time.Time) []*resource {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	var out []*resource
	for _, r := range a.model.resources {
		if !r.start.After(t) {
			out = append(out, r)
		}
	}
	return out
}

// resources returns the resources active at t, in index order.
func (a *acct) resources(t time.Time) []*resource {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	var out []*resource
	for _, r := range a.model.resources {
		if r.activeAt(t) {
			out = append(out, r)
		}
	}
	return out
}

// balance is the account balance at t: visible invoice totals minus the
// payments made by t.
func (a *acct) balance(t time.Time) money {
	var b money
	for _, h := range a.visible(t) {
		v := view{h, t}
		b += v.totals().total()
		if v.paid() {
			b -= h.base.total()
		}
	}
	return b
}

// header returns the invoice id visible at now, or nil.
func (a *acct) header(id int64, now time.Time) *header {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	h := a.model.byID[id]
	if h == nil || h.visible.After(now) {
		return nil
	}
	return h
}

// data returns the derived items of h, from the LRU cache when possible.
func (a *acct) data(h *header) *invoiceData {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	if e, ok := a.cache[h.ord]; ok {
		a.lru.MoveToFront(e)
		return e.Value.(*invoiceData)
	}
	d := &invoiceData{h: h, items: a.model.items(h)}
	if h.adj != nil {
		d.items = append(d.items, adjustmentItem(h))
	}
	d.children = make([][]int32, len(d.items))
	d.assoc = make([][]int32, len(d.items))
	for i := range d.items {
		if p := d.items[i].parent; p >= 0 {
			d.children[p] = append(d.children[p], int32(i))
		}
		if as := d.items[i].assoc; as >= 0 {
			d.assoc[as] = append(d.assoc[as], int32(i))
		}
	}
	a.cache[h.ord] = a.lru.PushFront(d)
	for a.lru.Len() > cacheInvoices {
		e := a.lru.Back()
		a.lru.Remove(e)
		delete(a.cache, e.Value.(*invoiceData).h.ord)
	}
	return d
}

// itemByID finds a visible invoice item by id.
func (a *acct) itemByID(c *reqCtx, id int64) (itemRec, bool) {
	a.s.mu.Lock()
	ord, seq := a.model.itemPos(id)
	var h *header
	if ord >= 0 && ord < len(a.model.headers) {
		h = a.model.headers[ord]
	}
	a.s.mu.Unlock()
	if h == nil || h.visible.After(c.now) {
		return itemRec{}, false
	}
	d := a.data(h)
	if seq < 0 || seq >= d.visibleItems(c.now) {
		return itemRec{}, false
	}
	return itemRec{c, d, int32(seq)}, true
}
