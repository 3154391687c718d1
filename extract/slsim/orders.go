package slsim

import (
	"sort"
	"strings"
	"time"
)

// Portal users, orders and currencies of an account. They are derived from
// the seed with their own random streams, so they add to the history without
// changing any invoice or item.

// user is a portal user (SoftLayer_User_Customer).
type user struct {
	id                  int64
	username, email     string
	first, last         string
	created             time.Time
	disabled, master    bool
	statusDate          time.Time // when disabled
	displayName, iamTag string
}

var userNames = []struct{ first, last, login string }{
	{"Grace", "Hopper", "grace.hopper"}, {"Ken", "Thompson", "ken.thompson"}, {"Barbara", "Liskov", "barbara.liskov"},
	{"J\u00fcrgen", "M\u00fcller", "juergen.mueller"}, {"Radia", "Perlman", "radia.perlman"},
	{"Dennis", "Ritchie", "dennis.ritchie"}, {"Frances", "Allen", "frances.allen"}, {"Edsger", "Dijkstra", "edsger.dijkstra"},
}

// genUsers derives an account's users: the master user, created with the
// account, and 2 to 5 others created over its first 20 months; the last of
// them is disabled.
func genUsers(seed int64, info accountInfo, m *model) []user {
	r := newRNG(seed, 13)
	created := m.start.Add(9 * time.Hour)
	base := m.idOff + 7_000_000 + int64(r.intn(90_000))*10
	us := []user{{username: "SL" + itoa(int(info.id)), email: info.email, first: info.firstName,
		last: info.lastName, created: created, master: true}}
	names := append(userNames[:0:0], userNames...)
	n := 2 + r.intn(4)
	for k := 0; k < n; k++ {
		j := r.intn(len(names))
		nm := names[j]
		names = append(names[:j], names[j+1:]...)
		u := user{username: itoa(int(info.id)) + "_" + nm.login + "@example.com",
			email: nm.login + "@example.com", first: nm.first, last: nm.last,
			created: created.Add(time.Duration(1+r.intn(600)) * 24 * time.Hour).Add(time.Duration(r.intn(86400)) * time.Second)}
		us = append(us, u)
	}
	sort.SliceStable(us[1:], func(a, b int) bool { return us[1+a].created.Before(us[1+b].created) })
	last := &us[len(us)-1]
	last.disabled = true
	last.statusDate = last.created.Add(time.Duration(200+r.intn(200)) * 24 * time.Hour)
	for i := range us {
		us[i].id = base + int64(i)*37 // ids grow with createDate
		us[i].displayName = us[i].first + " " + us[i].last
		us[i].iamTag = "IBMid-" + strings.ToUpper(itoa(int(us[i].id%1_000_000)))
	}
	return us
}

// placeOrders gives the resources ordered in one month their order ids, in
// time order, and the user who ordered each: the master user 40% of the
// time, else any user that existed then.
func (m *model) placeOrders(rs []*resource) {
	sorted := append([]*resource(nil), rs...)
	sort.SliceStable(sorted, func(a, b int) bool { return sorted[a].start.Before(sorted[b].start) })
	for _, res := range sorted {
		m.orders++
		res.order = m.idOff + 31_000_000 + int64(m.orders)*11
		r := newRNG(m.seed, 12, int64(res.idx))
		var cands []int
		for i := range m.users {
			if !m.users[i].created.After(res.start) {
				cands = append(cands, i)
			}
		}
		if !r.chance(40) && len(cands) > 0 {
			res.user = cands[r.intn(len(cands))]
		}
	}
}

// currency is a billing currency; usd is the rate of 1 USD in it.
type currency struct {
	id        int64
	key, name string
	usd       money
}

var currencies = []currency{
	{1, "USD", "US Dollar", unit},
	{17, "EUR", "Euro", parseMoney(".92")},
	{26, "CHF", "Swiss Franc", parseMoney(".88")},
	{3, "CAD", "Canadian Dollar", parseMoney("1.36")},
}

// exchangeRate is the monthly rate of a currency: its base rate moved by up
// to ±2% (USD is always 1). It depends on the currency and the month only.
type exchangeRate struct {
	cur        *currency
	from, to   time.Time // effective, expiration
	rate       money
	monthIndex int64
}

func (m *model) rateAt(cur *currency, t time.Time) exchangeRate {
	i := m.monthOf(t)
	from, to := m.monthStart(i), m.monthStart(i+1).Add(-time.Second)
	rate := cur.usd
	if cur.key != "USD" {
		// ±2% in steps of 0.01%, rounded to 6 decimals
		bp := int64(newRNG(16, cur.id, int64(from.Year()*12+int(from.Month()))).intn(401)) - 200
		rate = (rate + rate*money(bp)/10_000) / 100 * 100
	}
	return exchangeRate{cur: cur, from: from, to: to, rate: rate, monthIndex: int64(from.Year()*12 + int(from.Month()))}
}

func (x exchangeRate) id() int64 { return 5_000_000 + x.cur.id*100_000 + x.monthIndex }

// convert returns m in the rate's currency, rounded to cents.
func (x exchangeRate) convert(m money) money { return m.taxAt(x.rate) }
