package transform

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/invoicelake/invoicelake/schemas"
)

// Index is what the hierarchy, the categories and the reconciliation of
// one invoice need of its items: 32 bytes an item instead of the item
// itself. It is filled by a first pass over the items (Add, in any order)
// so that Transformer.Stream can then make the rows one at a time from a
// second pass over the same items in the same order, without holding the
// invoice in memory.
type Index struct {
	invoiceID int64
	nodes     []node
	codes     []string          // the distinct category codes, node.code indexes it
	codeIdx   map[string]uint32 // codes' positions
	cats      []codeCat         // per code: its category (Transformer.categorize)
	foreign   *HierarchyError   // the first item, in input order, of another invoice
	over      []overflow        // items whose own total does not fit DECIMAL(18,8)
	sums      itemSums
	resolved  bool
	// assoc lists the top-level items associated with another item
	// (associatedInvoiceItemId), rare: a side list keeps a node at 32
	// bytes. rollup maps such an item's position to the position of the
	// top-level item it rolls into (resolve).
	assoc  []assocRef
	rollup map[int32]int32
	// inv is what classifying a row needs of the invoice (Stream sets it).
	inv invoiceInfo
	// With a scratch (SetScratch), an Index of more than sizes.mem items
	// keeps them there (ext, external.go); nodes is then nil. err is the
	// scratch's first error, sticky.
	scratch Scratch
	ext     *external
	err     error
	sizes   extSizes
	hint    int // NewIndex's sizeHint
}

// assocRef is a top-level item at pos associated with item id.
type assocRef struct {
	pos int32
	id  int64
}

// invoiceInfo is what a row's classification needs of its invoice.
type invoiceInfo struct {
	typeCode string
	closed   *time.Time
}

// codeCat is what the category map says of a code.
type codeCat struct {
	svc   *string // nil: no service, or unknown
	name  *string // readable name; nil when unknown
	known bool
}

// node is one item of an Index.
type node struct {
	id    int64
	ref   int64  // parentId if hasParent, else resourceTableId if hasRes
	top   int32  // position of the item's top-level item (resolve)
	depth int32  // -1 until resolve reaches the item
	code  uint32 // categoryCode, in Index.codes
	flags uint8
}

const (
	hasParent uint8 = 1 << iota
	hasRes
	overflows
)

type overflow struct {
	pos int32
	sum schemas.Sum
}

// itemSums are the reconciliation sums over an invoice's items.
type itemSums struct {
	total, recurring, recurringTax, oneTime, oneTimeTax schemas.Sum
}

// NewIndex returns an empty Index for invoice invoiceID; sizeHint is the
// expected number of items (0 if unknown).
func NewIndex(invoiceID int64, sizeHint int) *Index {
	return &Index{invoiceID: invoiceID, nodes: make([]node, 0, min(max(sizeHint, 0), defaultExt.mem+1)), sizes: defaultExt, hint: sizeHint}
}

// size is the number of items added.
func (x *Index) size() int {
	if x.ext != nil {
		return x.ext.n
	}
	return len(x.nodes)
}

// Add records it, the next item of the invoice. It reads ID, InvoiceID,
// ParentID, ResourceTableID, CategoryCode and the fees and taxes, and keeps
// no pointer into it but CategoryCode's bytes.
func (x *Index) Add(it *schemas.InvoiceItem) {
	if x.resolved {
		panic("transform: Index.Add after Stream")
	}
	pos := int32(x.size())
	n := node{id: it.ID, code: x.code(it.CategoryCode), depth: -1}
	if it.ParentID != nil {
		// A child's own resourceTableId is not needed: rows carry their
		// top-level item's.
		n.ref, n.flags = *it.ParentID, n.flags|hasParent
	} else if it.ResourceTableID != nil {
		n.ref, n.flags = *it.ResourceTableID, n.flags|hasRes
	}
	if it.ParentID == nil && it.AssociatedInvoiceItemID != nil {
		x.assoc = append(x.assoc, assocRef{pos: pos, id: *it.AssociatedInvoiceItemID})
	}
	if id := it.InvoiceID; id != 0 && id != x.invoiceID && x.foreign == nil {
		x.foreign = &HierarchyError{Kind: Foreign, InvoiceID: x.invoiceID, ItemID: it.ID, Other: id}
	}
	s := itemSum(it)
	if d, ok := s.Fits(); ok {
		x.sums.total.Add(d)
	} else {
		n.flags |= overflows
		x.over = append(x.over, overflow{pos: pos, sum: s})
	}
	addPtr(&x.sums.recurring, it.RecurringFee)
	addPtr(&x.sums.recurringTax, it.RecurringTaxAmount)
	addPtr(&x.sums.oneTime, it.OneTimeFee)
	addPtr(&x.sums.oneTime, it.SetupFee)
	addPtr(&x.sums.oneTime, it.LaborFee)
	addPtr(&x.sums.oneTimeTax, it.OneTimeTaxAmount)
	addPtr(&x.sums.oneTimeTax, it.SetupTaxAmount)
	addPtr(&x.sums.oneTimeTax, it.LaborTaxAmount)
	if x.ext != nil {
		x.addExt(&n)
		return
	}
	x.nodes = append(x.nodes, n)
	if x.scratch != nil && len(x.nodes) > x.sizes.mem {
		x.spill()
	}
}

// code returns the position of c in x.codes, adding it if new.
func (x *Index) code(c string) uint32 {
	if k, ok := x.codeIdx[c]; ok {
		return k
	}
	if x.codeIdx == nil {
		x.codeIdx = make(map[string]uint32)
		x.codes = make([]string, 0, 16)
	}
	k := uint32(len(x.codes))
	x.codes = append(x.codes, c)
	x.codeIdx[c] = k
	return k
}

// svc is the service of code k: nil until categorized, or unknown.
func (x *Index) svc(k uint32) *string {
	if int(k) < len(x.cats) {
		return x.cats[k].svc
	}
	return nil
}

// topRes is the resourceTableId of the top-level item nd, nil if none.
func topRes(nd *node) *int64 {
	if nd.flags&hasRes != 0 {
		res := nd.ref
		return &res
	}
	return nil
}

// resolve finds every item's top-level item and depth. It calls visit (if
// not nil) for each item in Flatten's order: each top-level item in input
// order followed by its descendants, depth first, siblings in input order.
// Errors, as Flatten reports them: an item of another invoice, a duplicate
// id, an orphan, an item total out of range (in visiting order), a cycle.
func (x *Index) resolve(visit func(pos int32)) error {
	if x.ext != nil {
		if visit != nil {
			panic("transform: resolve with visit on scratch")
		}
		return x.resolveExt()
	}
	x.resolved = true
	invoiceID := x.invoiceID
	nodes := x.nodes
	n := len(nodes)
	if x.foreign != nil {
		return x.foreign
	}
	if n == 0 {
		return nil
	}
	// One scratch allocation, sliced up: byID (positions sorted by id),
	// parent position (-1 for top-level), children in CSR form
	// (childStart[p]..childStart[p+1] index into childList) and the DFS
	// stack.
	scratch := make([]int32, 5*n+1)
	byID := scratch[0:n]
	parent := scratch[n : 2*n]
	childList := scratch[2*n : 3*n]
	stack := scratch[3*n : 4*n]
	childStart := scratch[4*n : 5*n+1]

	for i := range byID {
		byID[i] = int32(i)
	}
	// Items usually come sorted by id (the API's order): check before sorting.
	if !slices.IsSortedFunc(byID, func(a, b int32) int { return cmp.Compare(nodes[a].id, nodes[b].id) }) {
		slices.SortFunc(byID, func(a, b int32) int {
			if c := cmp.Compare(nodes[a].id, nodes[b].id); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
	}
	for k := 1; k < n; k++ {
		if nodes[byID[k]].id == nodes[byID[k-1]].id {
			return &HierarchyError{Kind: Duplicate, InvoiceID: invoiceID, ItemID: nodes[byID[k]].id}
		}
	}
	find := func(id int64) int32 {
		k, ok := slices.BinarySearchFunc(byID, id, func(p int32, id int64) int { return cmp.Compare(nodes[p].id, id) })
		if !ok {
			return -1
		}
		return byID[k]
	}

	// Parents and child counts (childStart[p+1] counts p's children).
	for i := range nodes {
		nodes[i].depth = -1
		if nodes[i].flags&hasParent == 0 {
			parent[i] = -1
			continue
		}
		p := find(nodes[i].ref)
		if p < 0 {
			return &HierarchyError{Kind: Orphan, InvoiceID: invoiceID, ItemID: nodes[i].id, ParentID: nodes[i].ref}
		}
		parent[i] = p
		childStart[p+1]++
	}
	for p := 0; p < n; p++ {
		childStart[p+1] += childStart[p]
	}
	// Fill children in input order; stack[p] counts those placed so far.
	for i := range nodes {
		if p := parent[i]; p >= 0 {
			childList[childStart[p]+stack[p]] = int32(i)
			stack[p]++
		}
	}

	out := 0
	for r := range nodes {
		if parent[r] >= 0 {
			continue
		}
		nodes[r].depth = 0
		sp := 0
		stack[sp] = int32(r)
		sp++
		for sp > 0 {
			sp--
			v := stack[sp]
			nd := &nodes[v]
			nd.top = int32(r)
			if nd.flags&overflows != 0 {
				return fmt.Errorf("transform: invoice %d item %d: total_amount: %w", invoiceID, nd.id, x.overflowErr(v))
			}
			if visit != nil {
				visit(v)
			}
			out++
			// Push children in reverse so the first is visited first.
			for k := childStart[v+1] - 1; k >= childStart[v]; k-- {
				c := childList[k]
				nodes[c].depth = nd.depth + 1
				stack[sp] = c
				sp++
			}
		}
	}
	if out == n {
		x.rollups(find)
		return nil
	}
	// Items never reached all have parents that were never reached: they
	// lie on, or hang below, a cycle. Walk n parent steps from one of them
	// to land on the cycle, then collect it.
	u := int32(0)
	for nodes[u].depth >= 0 {
		u++
	}
	for range n {
		u = parent[u]
	}
	// Report the cycle from its item that comes first in the input.
	first := u
	for v := parent[u]; v != u; v = parent[v] {
		first = min(first, v)
	}
	cycle := []int64{nodes[first].id}
	for v := parent[first]; v != first; v = parent[v] {
		cycle = append(cycle, nodes[v].id)
	}
	return &HierarchyError{Kind: Cycle, InvoiceID: invoiceID, ItemID: nodes[first].id, Cycle: cycle}
}

// rollups resolves the associated top-level items: each rolls into the
// top-level item of the item it is associated with, one level (an item
// associated with an associated item rolls into that item's top-level
// item, not further). An association with an item not on the invoice, or
// with the item's own hierarchy, rolls into nothing.
func (x *Index) rollups(find func(int64) int32) {
	for _, a := range x.assoc {
		t := find(a.id)
		if t < 0 {
			continue
		}
		if top := x.nodes[t].top; top != a.pos {
			if x.rollup == nil {
				x.rollup = make(map[int32]int32, len(x.assoc))
			}
			x.rollup[a.pos] = top
		}
	}
}

// rollupID returns the id of the top-level item that the rows under the
// top-level item at top, of id topID, roll into.
func (x *Index) rollupID(top int32, topID int64) int64 {
	if x.ext != nil {
		if id, ok := x.ext.rollupIDs[top]; ok {
			return id
		}
		return topID
	}
	if r, ok := x.rollup[top]; ok {
		return x.nodes[r].id
	}
	return topID
}

func (x *Index) overflowErr(pos int32) error {
	for _, o := range x.over {
		if o.pos == pos {
			_, err := o.sum.Decimal()
			return err
		}
	}
	return fmt.Errorf("sum: %w", schemas.ErrDecimalRange)
}

// row fills dst, the row of it, the item nd of a resolved Index whose
// top-level item is top. topRes is the top-level item's resourceTableId
// (nil when it has none). utc, if not nil, receives a UTC copy of a
// CreateDate that is not in UTC; otherwise one is allocated.
func (x *Index) row(dst *schemas.ItemRow, it *schemas.InvoiceItem, nd, top *node, topRes *int64, utc *time.Time) error {
	s := itemSum(it)
	total, err := s.Decimal()
	if err != nil {
		return fmt.Errorf("transform: invoice %d item %d: total_amount: %w", x.invoiceID, it.ID, err)
	}
	*dst = schemas.ItemRow{
		InvoiceID:          x.invoiceID,
		ItemID:             it.ID,
		ParentItemID:       it.ParentID,
		TopLevelItemID:     top.id,
		Depth:              nd.depth,
		CategoryCode:       it.CategoryCode,
		CategoryName:       it.CategoryName,
		ResourceService:    x.svc(top.code),
		ResourceID:         topRes,
		BillingItemID:      it.BillingItemID,
		Description:        it.Description,
		HostName:           it.HostName,
		DomainName:         it.DomainName,
		Location:           it.Location,
		RecurringFee:       it.RecurringFee,
		HourlyRecurringFee: it.HourlyRecurringFee,
		OneTimeFee:         it.OneTimeFee,
		SetupFee:           it.SetupFee,
		LaborFee:           it.LaborFee,
		RecurringTaxAmount: it.RecurringTaxAmount,
		OneTimeTaxAmount:   it.OneTimeTaxAmount,
		SetupTaxAmount:     it.SetupTaxAmount,
		LaborTaxAmount:     it.LaborTaxAmount,
		TotalAmount:        total,
		AssociatedItemID:   it.AssociatedInvoiceItemID,
		ServiceName:        x.name(top.code),
	}
	if t := it.CreateDate; t != nil {
		if t.Location() == time.UTC {
			dst.CreateDate = t
		} else {
			if utc == nil {
				utc = new(time.Time)
			}
			*utc = t.UTC()
			dst.CreateDate = utc
		}
	}
	dst.RollupItemID = x.rollupID(nd.top, top.id)
	dst.ChargeCategory, dst.ChargeFrequency = classify(it, &x.inv, total)
	return nil
}

// name is the readable service name of code k: nil until categorized, or
// unknown.
func (x *Index) name(k uint32) *string {
	if int(k) < len(x.cats) {
		return x.cats[k].name
	}
	return nil
}

// itemSum is the item's own fees plus taxes (nil = 0). HourlyRecurringFee
// is a rate, not an amount billed, and is excluded.
func itemSum(it *schemas.InvoiceItem) schemas.Sum {
	var s schemas.Sum
	for _, p := range [...]*schemas.Decimal{
		it.RecurringFee, it.OneTimeFee, it.SetupFee, it.LaborFee,
		it.RecurringTaxAmount, it.OneTimeTaxAmount, it.SetupTaxAmount, it.LaborTaxAmount,
	} {
		if p != nil {
			s.Add(*p)
		}
	}
	return s
}
