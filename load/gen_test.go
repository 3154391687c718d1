package load

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/invoicelake/invoicelake/schemas"
)

// synthetic invoices shaped like real SoftLayer data: a few top-level
// items per invoice (servers, storage), each with children (cpu, ram,
// disks, os, bandwidth), a handful of category codes, data centers and fee
// columns with 2-4 decimals.
type invoiceSet struct {
	invoices []schemas.InvoiceRow
	items    [][]schemas.ItemRow
	// Expected totals, computed independently of the writer.
	invoiceTotal schemas.Sum
	itemsTotal   schemas.Sum
	nItems       int64
}

var (
	categories = []string{"server", "guest_core", "ram", "guest_disk0", "os", "bandwidth", "storage_as_a_service", "port_speed", "pri_ip_addresses", "remote_management"}
	catNames   = []string{"Server", "Computing Instance", "RAM", "First Disk", "Operating System", "Public Bandwidth", "Storage As A Service", "Public Port Speed", "Primary IP Addresses", "Remote Management"}
	locations  = []string{"dal10", "dal13", "wdc07", "fra02", "lon06", "tok02", "syd05"}
)

func str(s string) *string { return &s }
func i64(v int64) *int64   { return &v }
func dec(units int64) *schemas.Decimal {
	d := schemas.DecimalFromUnits(units)
	return &d
}

// genInvoices makes n invoices of period p starting at invoice id first,
// with about itemsPer items each. seed changes amounts (a "new version").
func genInvoices(p schemas.Period, first int64, n, itemsPer int, seed uint64) *invoiceSet {
	r := rand.New(rand.NewPCG(seed, uint64(first)))
	s := &invoiceSet{}
	created := p.Start(time.UTC).Add(3 * time.Hour)
	itemID := first * 1000
	for i := range n {
		id := first + int64(i)
		var items []schemas.ItemRow
		var total schemas.Sum
		top := int64(0)
		for j := range itemsPer {
			itemID += 1 + int64(r.IntN(3))
			c := r.IntN(len(categories))
			fee := int64(r.IntN(50000)) * 1_000_000 // 2 decimals
			tax := fee / 20
			it := schemas.ItemRow{
				InvoiceID:          id,
				ItemID:             itemID,
				TopLevelItemID:     itemID,
				CategoryCode:       categories[c],
				CategoryName:       str(catNames[c]),
				Description:        fmt.Sprintf("%s for host%04d.example.com", catNames[c], r.IntN(500)),
				Location:           str(locations[r.IntN(len(locations))]),
				RecurringFee:       dec(fee),
				RecurringTaxAmount: dec(tax),
				CreateDate:         &created,
			}
			if j%5 == 0 {
				top = itemID
				it.ResourceService = str("classic_infrastructure")
				it.ResourceID = i64(7_000_000 + itemID)
				it.BillingItemID = i64(9_000_000 + itemID)
				it.HostName = str(fmt.Sprintf("host%04d", r.IntN(500)))
				it.DomainName = str("example.com")
			} else {
				it.ParentItemID = i64(top)
				it.TopLevelItemID = top
				it.Depth = 1
			}
			it.TotalAmount = schemas.DecimalFromUnits(fee + tax)
			total.Add(it.TotalAmount)
			s.itemsTotal.Add(it.TotalAmount)
			items = append(items, it)
		}
		// Shuffle: Add must sort items by id.
		r.Shuffle(len(items), func(a, b int) { items[a], items[b] = items[b], items[a] })
		tot, _ := total.Decimal()
		inv := schemas.InvoiceRow{
			InvoiceID:          id,
			AccountID:          278444,
			TypeCode:           "RECURRING",
			StatusCode:         "CLOSED",
			CreateDate:         created.Add(time.Duration(i) * time.Second),
			InvoiceTotalAmount: &tot,
			ItemsTotalAmount:   tot,
			ItemRows:           int64(len(items)),
			Reconciled:         true,
			CompanyName:        str("Example Corp"),
		}
		if i%7 == 3 {
			inv.InvoiceTotalAmount = nil // NULL totals are skipped in sums
		} else {
			s.invoiceTotal.Add(tot)
		}
		s.invoices = append(s.invoices, inv)
		s.items = append(s.items, items)
		s.nItems += int64(len(items))
	}
	return s
}
