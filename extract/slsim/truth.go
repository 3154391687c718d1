package slsim

import (
	"sort"
	"time"

	"github.com/invoicelake/invoicelake/extract/slsim/query"
)

// Truth is the ground truth at the current clock, computed from the model
// (not from the API's answers). Its top-level account fields describe the
// first account; Accounts lists every account, the first included.
// Amounts are exact decimal strings ("-12.5", "0.09", "0"), times UTC.
type Truth struct {
	Now time.Time `json:"now"`
	AccountTruth
	Accounts []AccountTruth `json:"accounts"`
}

// Account returns the truth of the account with id, if there is one.
func (t Truth) Account(id int64) (AccountTruth, bool) {
	for _, a := range t.Accounts {
		if a.AccountID == id {
			return a, true
		}
	}
	return AccountTruth{}, false
}

// AccountTruth is the ground truth of one account.
type AccountTruth struct {
	AccountID    int64         `json:"accountId"`
	Credentials  Credentials   `json:"credentials"`
	Periods      []PeriodTruth `json:"periods"`
	Unreconciled []int64       `json:"unreconciled"` // invoice ids whose invoiceTotalAmount != Σ items
	// Snapshot is what SoftLayer_Account says about now: the balance, the
	// next invoice's totals, the pending and latest recurring invoices.
	Snapshot SnapshotTruth `json:"snapshot"`
	// BillingItems are getAllTopLevelBillingItems: every top-level billing
	// item ordered by now, cancelled ones with a cancellationDate, in id
	// order. Those without a cancellationDate are the active ones:
	// getNextInvoiceTopLevelBillingItems, and what slcli's account
	// billing-items lists.
	BillingItems []BillingItemTruth `json:"billingItems"`
	// Orders are SoftLayer_Billing_Order::getAllObjects, in id order.
	Orders []OrderTruth `json:"orders"`
}

// PeriodTruth sums one billing period (YYYY-MM of createDate in US Central).
type PeriodTruth struct {
	Period             string `json:"period"`
	Invoices           int64  `json:"invoices"`
	Items              int64  `json:"items"`
	InvoiceTotalAmount string `json:"invoiceTotalAmount"` // Σ invoiceTotalAmount as reported by the API
	ItemsAmount        string `json:"itemsAmount"`        // Σ over items of fees + taxes
	// AssociatedItems counts items with an associatedInvoiceItemId (a
	// software license attached to a server).
	AssociatedItems int64 `json:"associatedItems"`
	// ClosedInvoices counts the CLOSED and CLOSED_FAILED invoices (those
	// whose documents are generated).
	ClosedInvoices int64 `json:"closedInvoices"`
	// Payments and PaymentsAmount: the invoices' payments (getPayments).
	Payments       int64  `json:"payments"`
	PaymentsAmount string `json:"paymentsAmount"`
}

// SnapshotTruth is the account's state at the clock.
type SnapshotTruth struct {
	Balance                                string `json:"balance"` // getBalance
	NextInvoiceTotalAmount                 string `json:"nextInvoiceTotalAmount"`
	NextInvoiceTotalRecurringAmount        string `json:"nextInvoiceTotalRecurringAmount"`
	NextInvoiceTotalRecurringTaxAmount     string `json:"nextInvoiceTotalRecurringTaxAmount"`
	NextInvoiceTotalTaxableRecurringAmount string `json:"nextInvoiceTotalTaxableRecurringAmount"`
	NextInvoiceTotalOneTimeAmount          string `json:"nextInvoiceTotalOneTimeAmount"`
	NextInvoiceTotalOneTimeTaxAmount       string `json:"nextInvoiceTotalOneTimeTaxAmount"`
	NextInvoiceTopLevelBillingItemCount    int64  `json:"nextInvoiceTopLevelBillingItemCount"`
	// PendingInvoice is the latest OPEN invoice (slcli's account summary
	// prints its startingBalance as "Balance" and its invoiceTotalAmount as
	// "Upcoming Invoice"); nil when every invoice is closed.
	PendingInvoice         *InvoiceRefTruth `json:"pendingInvoice"`
	LatestRecurringInvoice *InvoiceRefTruth `json:"latestRecurringInvoice"`
}

// InvoiceRefTruth names an invoice and the amounts a snapshot shows.
type InvoiceRefTruth struct {
	ID                 int64     `json:"id"`
	TypeCode           string    `json:"typeCode"`
	StatusCode         string    `json:"statusCode"`
	CreateDate         time.Time `json:"createDate"`
	StartingBalance    string    `json:"startingBalance"`
	InvoiceTotalAmount string    `json:"invoiceTotalAmount"`
}

// BillingItemTruth is a top-level billing item.
type BillingItemTruth struct {
	ID                      int64      `json:"id"`
	CategoryCode            string     `json:"categoryCode"`
	Description             string     `json:"description"`
	HostName                string     `json:"hostName,omitempty"`
	DomainName              string     `json:"domainName,omitempty"`
	CreateDate              time.Time  `json:"createDate"`
	CancellationDate        *time.Time `json:"cancellationDate"`
	HourlyFlag              bool       `json:"hourlyFlag"`
	RecurringFee            string     `json:"recurringFee"`
	HourlyRecurringFee      string     `json:"hourlyRecurringFee,omitempty"`
	SetupFee                string     `json:"setupFee"`
	HoursUsed               int64      `json:"hoursUsed,omitempty"`
	Location                string     `json:"location,omitempty"` // name, e.g. "dal10"
	ResourceTableID         int64      `json:"resourceTableId,omitempty"`
	AssociatedBillingItemID int64      `json:"associatedBillingItemId,omitempty"`
	Children                []int64    `json:"children"` // child billing item ids
	// NextInvoiceTotalRecurringAmount includes the children (not the
	// associated license, a top-level item of its own); 0 once cancelled.
	NextInvoiceTotalRecurringAmount string `json:"nextInvoiceTotalRecurringAmount"`
	// NextInvoiceTax is the tax the next invoice will charge on the item
	// and its children (the API's item-level tax is always 0; the account's
	// nextInvoiceTotalRecurringTaxAmount is the sum of these).
	NextInvoiceTax string    `json:"nextInvoiceTax"`
	OrderID        int64     `json:"orderId"`
	OrderItemID    int64     `json:"orderItemId"`
	OrderedBy      UserTruth `json:"orderedBy"`
}

// UserTruth is a portal user.
type UserTruth struct {
	ID          int64  `json:"id"`
	Username    string `json:"username"`
	DisplayName string `json:"displayName"`
	Email       string `json:"email"`
	Status      string `json:"status"` // userStatus.keyName at the clock: ACTIVE or DISABLED
}

// OrderTruth is an order.
type OrderTruth struct {
	ID                    int64     `json:"id"`
	CreateDate            time.Time `json:"createDate"`
	Status                string    `json:"status"`
	User                  UserTruth `json:"user"`
	OrderTotalAmount      string    `json:"orderTotalAmount"`
	InitialInvoiceID      int64     `json:"initialInvoiceId,omitempty"` // the NEW invoice; 0 for hourly orders
	TopLevelBillingItemID int64     `json:"topLevelBillingItemId"`
	Items                 int64     `json:"items"` // order items (parts and license)
}

// Truth computes the ground truth at the current clock.
func (s *Sim) Truth() Truth {
	now := s.Now()
	t := Truth{Now: now.UTC()}
	for _, a := range s.accts {
		t.Accounts = append(t.Accounts, a.truth(now))
	}
	t.AccountTruth = t.Accounts[0]
	return t
}

func (a *acct) truth(now time.Time) AccountTruth {
	type acc struct {
		inv, items, assoc, closed, pays int64
		total, amt, paid                money
	}
	by := map[string]*acc{}
	var keys []string
	t := AccountTruth{AccountID: a.info.id, Credentials: a.creds, Unreconciled: []int64{}}
	hs := a.visible(now)
	for _, h := range hs {
		v := view{h, now}
		p := h.create.In(a.s.central).Format("2006-01")
		x := by[p]
		if x == nil {
			x = &acc{}
			by[p] = x
			keys = append(keys, p)
		}
		tt := v.totals()
		x.inv++
		x.items += tt.items
		x.assoc += tt.assoc
		x.total += v.invoiceTotalAmount()
		x.amt += tt.itemsAmount
		if v.closed() {
			x.closed++
		}
		if v.paid() {
			x.pays++
			x.paid += h.base.total()
		}
		if h.inconsistent {
			t.Unreconciled = append(t.Unreconciled, h.id)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		x := by[k]
		t.Periods = append(t.Periods, PeriodTruth{Period: k, Invoices: x.inv, Items: x.items,
			InvoiceTotalAmount: x.total.plain(), ItemsAmount: x.amt.plain(), AssociatedItems: x.assoc,
			ClosedInvoices: x.closed, Payments: x.pays, PaymentsAmount: x.paid.plain()})
	}
	sort.Slice(t.Unreconciled, func(i, j int) bool { return t.Unreconciled[i] < t.Unreconciled[j] })

	c := &reqCtx{s: a.s, a: a, now: now}
	ar := accountRec{c}
	next := c.nextInvoice()
	t.Snapshot = SnapshotTruth{Balance: a.balance(now).plain(),
		NextInvoiceTotalAmount:                 next.recurring.plain(),
		NextInvoiceTotalRecurringAmount:        next.recurring.plain(),
		NextInvoiceTotalRecurringTaxAmount:     next.tax.plain(),
		NextInvoiceTotalTaxableRecurringAmount: next.taxable.plain(),
		NextInvoiceTotalOneTimeAmount:          "0",
		NextInvoiceTotalOneTimeTaxAmount:       "0",
	}
	ref := func(r invoiceRec) *InvoiceRefTruth {
		v := r.view()
		return &InvoiceRefTruth{ID: r.h.id, TypeCode: r.h.typeCode, StatusCode: v.status(), CreateDate: r.h.create.UTC(),
			StartingBalance: r.h.starting.plain(), InvoiceTotalAmount: v.invoiceTotalAmount().plain()}
	}
	if p, ok := ar.pending(); ok {
		t.Snapshot.PendingInvoice = ref(p)
	}
	if l, ok := ar.latest(func(v view) bool { return v.h.typeCode == "RECURRING" }); ok {
		t.Snapshot.LatestRecurringInvoice = ref(l)
	}
	t.BillingItems = billingItemsTruth(c.topLevelBillingItems(true), now)
	t.Snapshot.NextInvoiceTopLevelBillingItemCount = int64(len(c.topLevelBillingItems(false)))
	for _, r := range c.orders() {
		o := r.(orderRec)
		rec, rtax, setup, stax := o.totals()
		ot := OrderTruth{ID: o.res.order, CreateDate: o.res.start.UTC(), Status: "COMPLETED",
			User: userTruth(c, &a.model.users[o.res.user]), OrderTotalAmount: (rec + rtax + setup + stax).plain(),
			TopLevelBillingItemID: a.model.billingItemID(o.res.idx, 0), Items: int64(len(o.items(false)))}
		if h := o.res.newInv; h != nil && !h.visible.After(now) {
			ot.InitialInvoiceID = h.id
		}
		t.Orders = append(t.Orders, ot)
	}
	return t
}

func userTruth(c *reqCtx, u *user) UserTruth {
	st := "ACTIVE"
	if (userRec{c, u}).disabled() {
		st = "DISABLED"
	}
	return UserTruth{ID: u.id, Username: u.username, DisplayName: u.displayName, Email: u.email, Status: st}
}

func billingItemsTruth(rs []query.Record, now time.Time) []BillingItemTruth {
	out := make([]BillingItemTruth, 0, len(rs))
	for _, x := range rs {
		b := x.(billingItemRec)
		res, m := b.res, b.c.a.model
		p := b.def()
		bt := BillingItemTruth{ID: b.id(), CategoryCode: p.code, Description: p.description, CreateDate: res.start.UTC(),
			HourlyFlag: res.hourly, RecurringFee: p.monthly.plain(), SetupFee: "0", Children: []int64{},
			NextInvoiceTotalRecurringAmount: b.nextInvoice().plain(), NextInvoiceTax: b.nextInvoiceTax().plain(),
			OrderID: res.order, OrderItemID: m.orderItemID(b.id()), OrderedBy: userTruth(b.c, &m.users[res.user])}
		if res.hourly {
			bt.RecurringFee = "0"
			bt.HourlyRecurringFee = p.hourly.plain()
			bt.HoursUsed = m.hoursUsed(res, now)
		}
		if !res.end.IsZero() && !res.end.After(now) {
			end := res.end.UTC()
			bt.CancellationDate = &end
		}
		if res.loc >= 0 {
			bt.Location = locations[res.loc].name
		}
		if b.part == 0 {
			bt.HostName, bt.DomainName = res.host, res.domain
			bt.SetupFee = res.setup.plain()
			bt.ResourceTableID = m.resourceTableID(res.idx)
			for i := 1; i < len(b.parts); i++ {
				bt.Children = append(bt.Children, m.billingItemID(res.idx, i))
			}
		} else {
			bt.AssociatedBillingItemID = m.billingItemID(res.idx, 0)
		}
		out = append(out, bt)
	}
	return out
}
