package transform

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"slices"
)

// Scratch is storage an Index keeps an invoice's items in when there are
// more of them than it holds in memory (Index.SetScratch): a temporary
// file, typically, that the caller creates, owns and removes. The Index
// writes and reads only through it, at offsets it chooses, and keeps no
// buffer it passes; the implementation must not keep one either (the
// io.ReaderAt and io.WriterAt contracts). Nothing of it is read before it
// was written.
type Scratch interface {
	io.ReaderAt
	io.WriterAt
}

// extSizes bound what an Index holds in memory: up to mem items as plain
// nodes (the fast path); beyond, with a Scratch, blocks of block items of
// each array it streams and keys ids of the lookup table resolving parent
// ids. Tests make them small.
type extSizes struct {
	mem, block, keys int
}

// defaultExt: 64k nodes in memory (2 MiB, 3.3 MiB with resolve's
// scratch); beyond, 32k-item blocks (768 KiB of nodes) and 128k-id lookup
// tables (2 MiB): under 5 MiB whatever the invoice. On a million items in
// the API's order the scratch path costs 1.3 times the in-memory one
// (BenchmarkStreamScratch), a fraction of a second against minutes of API
// calls.
var defaultExt = extSizes{mem: 1 << 16, block: 1 << 15, keys: 1 << 17}

// SetScratch lets x keep its items in s once it has more than it holds in
// memory (65,536), so that the memory an Index needs stays
// the same however big the invoice: the hierarchy is then resolved by
// block passes over s. It must be called before the first Add. An error of
// s is returned by Transformer.Stream (or Stream.Row) and ends the
// invoice; the rows are the same either way.
func (x *Index) SetScratch(s Scratch) {
	if len(x.nodes) > 0 || x.ext != nil {
		panic("transform: Index.SetScratch after Add")
	}
	x.scratch = s
	if x.hint > x.sizes.mem {
		x.spill() // no need to fill memory first
	}
}

// The layout of an item on scratch.
const nodeBytes = 24 // id, ref, code, flags, padding

func putNode(b []byte, n *node) {
	binary.LittleEndian.PutUint64(b[0:], uint64(n.id))
	binary.LittleEndian.PutUint64(b[8:], uint64(n.ref))
	binary.LittleEndian.PutUint32(b[16:], n.code)
	b[20], b[21], b[22], b[23] = n.flags, 0, 0, 0
}

func getNode(b []byte) node {
	return node{id: int64(binary.LittleEndian.Uint64(b[0:])), ref: int64(binary.LittleEndian.Uint64(b[8:])),
		code: binary.LittleEndian.Uint32(b[16:]), flags: b[20], depth: -1}
}

// external is the part of an Index that lives on scratch: n nodes from
// offset 0, then (resolve) par, each item's parent position, and two
// arrays of st, the pointer-jumping state; res is the final one.
type external struct {
	s   Scratch
	n   int    // items added
	buf []byte // encoded nodes not yet written (fewer than a block's)
	end int64  // the scratch's allocated end

	par, stA, stB, res int64

	// rollupIDs maps a top-level item's position to the id of the item its
	// rows roll into (resolve).
	rollupIDs map[int32]int64
	cur       cursor // the rows' sequential reader
}

// st is an item's pointer-jumping state: anc, an ancestor (the item
// itself for a top-level item), dist its distance; done once anc is the
// top-level item.
type st struct {
	anc, dist int32
	done      bool
}

const stBytes = 8

func putSt(b []byte, s st) {
	d := uint32(s.dist) << 1
	if s.done {
		d |= 1
	}
	binary.LittleEndian.PutUint32(b[0:], uint32(s.anc))
	binary.LittleEndian.PutUint32(b[4:], d)
}

func getSt(b []byte) st {
	d := binary.LittleEndian.Uint32(b[4:])
	return st{anc: int32(binary.LittleEndian.Uint32(b[0:])), dist: int32(d >> 1), done: d&1 != 0}
}

func (e *external) alloc(size int64) int64 {
	off := e.end
	e.end += size
	return off
}

func (e *external) writeAt(p []byte, off int64) error {
	if _, err := e.s.WriteAt(p, off); err != nil {
		return fmt.Errorf("transform: write scratch: %w", err)
	}
	return nil
}

func (e *external) readAt(p []byte, off int64) error {
	n, err := e.s.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("transform: read scratch: %w", err)
}

// spill moves x's nodes to scratch: from now on Add appends there.
func (x *Index) spill() {
	e := &external{s: x.scratch, buf: make([]byte, 0, x.sizes.block*nodeBytes)}
	x.ext = e
	for i := range x.nodes {
		x.addExt(&x.nodes[i])
	}
	x.nodes = nil
}

// addExt appends nd to the scratch's nodes.
func (x *Index) addExt(nd *node) {
	e := x.ext
	k := len(e.buf)
	e.buf = e.buf[:k+nodeBytes]
	putNode(e.buf[k:], nd)
	e.n++
	if len(e.buf) == cap(e.buf) {
		x.flush()
	}
}

func (x *Index) flush() {
	e := x.ext
	if len(e.buf) == 0 {
		return
	}
	if x.err == nil {
		x.err = e.writeAt(e.buf, int64(e.n)*nodeBytes-int64(len(e.buf)))
	}
	e.buf = e.buf[:0]
}

// blocks reads an array of n records of size bytes at off, block by
// block, and calls fn with each block's first position and its bytes
// (valid during the call).
func (e *external) blocks(off int64, size, block int, buf []byte, fn func(start int, b []byte) error) error {
	for start := 0; start < e.n; start += block {
		k := min(block, e.n-start)
		b := buf[:k*size]
		if err := e.readAt(b, off+int64(start)*int64(size)); err != nil {
			return err
		}
		if err := fn(start, b); err != nil {
			return err
		}
	}
	return nil
}

// idPos is an item's id and position.
type idPos struct {
	id  int64
	pos int32
}

// resolveExt is resolve for an Index on scratch, with the same results
// and errors, in memory bounded by x.sizes whatever the number of items:
//
//  1. Parents: for each run of x.sizes.keys items, a table of their ids
//     sorted, then one pass over every item looks up its parent id and
//     its own id (a duplicate) in it. Then a pass reports the first
//     orphan.
//  2. Top-level items and depths by pointer jumping: each item points at
//     an ancestor, and each round replaces it with that ancestor's, adding
//     distances, until every item points at its top-level item (about
//     log2(depth) rounds, each a pass over the items per block of
//     ancestors they point into). Items that never get there lie on or
//     below a cycle.
//  3. The rare cases (an item total out of range, a cycle, rollups) walk
//     parents one by one.
func (x *Index) resolveExt() error {
	x.resolved = true
	e := x.ext
	x.flush()
	if x.err != nil {
		return x.err
	}
	if x.foreign != nil {
		return x.foreign
	}
	n, bl := e.n, x.sizes.block
	e.end = int64(n) * nodeBytes
	e.par = e.alloc(4 * int64(n))
	e.stA, e.stB = e.alloc(stBytes*int64(n)), e.alloc(stBytes*int64(n))
	if err := x.parentsExt(); err != nil {
		return err
	}
	// Initial state, and the first orphan in input order.
	parBuf := make([]byte, bl*4)
	stBuf := make([]byte, bl*stBytes)
	err := e.blocks(e.par, 4, bl, parBuf, func(start int, pb []byte) error {
		for i := range len(pb) / 4 {
			p := int32(binary.LittleEndian.Uint32(pb[4*i:]))
			s := st{anc: int32(start + i), done: true}
			switch {
			case p == -2:
				var b [nodeBytes]byte
				if err := e.readAt(b[:], int64(start+i)*nodeBytes); err != nil {
					return err
				}
				nd := getNode(b[:])
				return &HierarchyError{Kind: Orphan, InvoiceID: x.invoiceID, ItemID: nd.id, ParentID: nd.ref}
			case p >= 0:
				s = st{anc: p, dist: 1}
			}
			putSt(stBuf[stBytes*i:], s)
		}
		return e.writeAt(stBuf[:len(pb)/4*stBytes], e.stA+int64(start)*stBytes)
	})
	if err != nil {
		return err
	}
	src, dst := e.stA, e.stB
	for range bits.Len(uint(n)) + 2 {
		changed, err := x.jump(src, dst)
		if err != nil {
			return err
		}
		src, dst = dst, src
		if !changed {
			break
		}
	}
	e.res = src
	// Items not done lie on or below a cycle; an item total out of range
	// is reported first if the depth-first walk reaches one.
	var lost int32 = -1
	err = e.blocks(e.res, stBytes, bl, stBuf, func(start int, b []byte) error {
		for i := range len(b) / stBytes {
			if !getSt(b[stBytes*i:]).done {
				lost = int32(start + i)
				return errStop
			}
		}
		return nil
	})
	if err != nil && err != errStop {
		return err
	}
	if err := x.overflowExt(); err != nil {
		return err
	}
	if lost >= 0 {
		return x.cycleExt(lost)
	}
	return x.rollupsExt()
}

var errStop = errors.New("stop")

// parentsExt fills par: each item's parent position, -1 for a top-level
// item, -2 for an orphan; or returns the duplicate id Flatten reports (the
// smallest).
func (x *Index) parentsExt() error {
	e := x.ext
	n, bl := e.n, x.sizes.block
	nodeBuf, parBuf := make([]byte, bl*nodeBytes), make([]byte, bl*4)
	keys := make([]idPos, 0, min(x.sizes.keys, n))
	var dup int64
	hasDup := false
	byID := func(a, b idPos) int { return cmp.Compare(a.id, b.id) }
	for kb := 0; kb < n; kb += x.sizes.keys {
		kn := min(x.sizes.keys, n-kb)
		keys = keys[:0]
		for start := kb; start < kb+kn; start += bl {
			k := min(bl, kb+kn-start)
			b := nodeBuf[:k*nodeBytes]
			if err := e.readAt(b, int64(start)*nodeBytes); err != nil {
				return err
			}
			for i := range k {
				keys = append(keys, idPos{id: int64(binary.LittleEndian.Uint64(b[i*nodeBytes:])), pos: int32(start + i)})
			}
		}
		if !slices.IsSortedFunc(keys, byID) {
			slices.SortFunc(keys, byID)
		}
		for k := 1; k < len(keys); k++ {
			if keys[k].id == keys[k-1].id && (!hasDup || keys[k].id < dup) {
				dup, hasDup = keys[k].id, true
			}
		}
		lo, hi := keys[0].id, keys[len(keys)-1].id
		find := func(id int64) int32 {
			if id < lo || id > hi {
				return -1
			}
			k, ok := slices.BinarySearchFunc(keys, id, func(a idPos, id int64) int { return cmp.Compare(a.id, id) })
			if !ok {
				return -1
			}
			return keys[k].pos
		}
		for start := 0; start < n; start += bl {
			k := min(bl, n-start)
			nb, pb := nodeBuf[:k*nodeBytes], parBuf[:4*k]
			if err := e.readAt(nb, int64(start)*nodeBytes); err != nil {
				return err
			}
			if kb > 0 {
				if err := e.readAt(pb, e.par+4*int64(start)); err != nil {
					return err
				}
			}
			for i := range k {
				p := start + i
				nd := getNode(nb[i*nodeBytes:])
				if (p < kb || p >= kb+kn) && find(nd.id) >= 0 && (!hasDup || nd.id < dup) {
					dup, hasDup = nd.id, true
				}
				par := int32(-1)
				if kb > 0 {
					par = int32(binary.LittleEndian.Uint32(pb[4*i:]))
				} else if nd.flags&hasParent != 0 {
					par = -2
				}
				if par == -2 {
					if q := find(nd.ref); q >= 0 {
						par = q
					}
				}
				binary.LittleEndian.PutUint32(pb[4*i:], uint32(par))
			}
			if err := e.writeAt(pb, e.par+4*int64(start)); err != nil {
				return err
			}
		}
	}
	if hasDup {
		return &HierarchyError{Kind: Duplicate, InvoiceID: x.invoiceID, ItemID: dup}
	}
	return nil
}

// jump is one round of pointer jumping from the state array at src to
// the one at dst: each item not done takes its ancestor's ancestor. It
// reports whether any item changed.
func (x *Index) jump(src, dst int64) (bool, error) {
	e := x.ext
	n, bl := e.n, x.sizes.block
	nblocks := (n + bl - 1) / bl
	cur, out, tab := make([]byte, bl*stBytes), make([]byte, bl*stBytes), make([]byte, bl*stBytes)
	// order lists the items of the block not done, grouped by the block
	// their ancestor is in (a counting sort: first[t]..first[t+1]).
	order := make([]int32, bl)
	first, fill := make([]int32, nblocks+1), make([]int32, nblocks)
	changed := false
	for start := 0; start < n; start += bl {
		k := min(bl, n-start)
		cb := cur[:k*stBytes]
		if err := e.readAt(cb, src+int64(start)*stBytes); err != nil {
			return false, err
		}
		copy(out, cb)
		clear(first)
		for i := range k {
			if s := getSt(cb[stBytes*i:]); !s.done {
				first[int(s.anc)/bl+1]++
			}
		}
		for t := range nblocks {
			first[t+1] += first[t]
		}
		copy(fill, first[:nblocks])
		for i := range k {
			if s := getSt(cb[stBytes*i:]); !s.done {
				t := int(s.anc) / bl
				order[fill[t]] = int32(i)
				fill[t]++
			}
		}
		for t := range nblocks {
			if first[t] == first[t+1] {
				continue
			}
			tb := cb
			if ts := t * bl; ts != start {
				tb = tab[:min(bl, n-ts)*stBytes]
				if err := e.readAt(tb, src+int64(ts)*stBytes); err != nil {
					return false, err
				}
			}
			for _, i := range order[first[t]:first[t+1]] {
				s := getSt(cb[stBytes*i:])
				a := getSt(tb[stBytes*(int(s.anc)-t*bl):])
				// Distances saturate at n: only a done item's is used,
				// and it is below n; on a cycle they would double.
				s = st{anc: a.anc, dist: int32(min(int64(s.dist)+int64(a.dist), int64(n))), done: a.done}
				putSt(out[stBytes*i:], s)
				changed = true
			}
		}
		if err := e.writeAt(out[:k*stBytes], dst+int64(start)*stBytes); err != nil {
			return false, err
		}
	}
	return changed, nil
}

// nodeAt reads the node at pos.
func (e *external) nodeAt(pos int32) (node, error) {
	var b [nodeBytes]byte
	if err := e.readAt(b[:], int64(pos)*nodeBytes); err != nil {
		return node{}, err
	}
	return getNode(b[:]), nil
}

// parAt reads the parent position of pos (-1: top-level).
func (e *external) parAt(pos int32) (int32, error) {
	var b [4]byte
	if err := e.readAt(b[:], e.par+4*int64(pos)); err != nil {
		return 0, err
	}
	return int32(binary.LittleEndian.Uint32(b[:])), nil
}

// stAt reads the final state of pos.
func (e *external) stAt(pos int32) (st, error) {
	var b [stBytes]byte
	if err := e.readAt(b[:], e.res+stBytes*int64(pos)); err != nil {
		return st{}, err
	}
	return getSt(b[:]), nil
}

// path returns the positions from pos's top-level item down to pos.
func (e *external) path(pos int32) ([]int32, error) {
	var p []int32
	for v := pos; v >= 0; {
		p = append(p, v)
		var err error
		if v, err = e.parAt(v); err != nil {
			return nil, err
		}
	}
	slices.Reverse(p)
	return p, nil
}

// overflowExt returns the error of the item total out of range that the
// depth-first walk meets first, if it meets one: the smallest path in
// preorder (top-level items and siblings in input order).
func (x *Index) overflowExt() error {
	e := x.ext
	var best []int32
	for _, o := range x.over {
		s, err := e.stAt(o.pos)
		if err != nil {
			return err
		}
		if !s.done {
			continue
		}
		p, err := e.path(o.pos)
		if err != nil {
			return err
		}
		if best == nil || slices.Compare(p, best) < 0 {
			best = p
		}
	}
	if best == nil {
		return nil
	}
	pos := best[len(best)-1]
	nd, err := e.nodeAt(pos)
	if err != nil {
		return err
	}
	return fmt.Errorf("transform: invoice %d item %d: total_amount: %w", x.invoiceID, nd.id, x.overflowErr(pos))
}

// cycleExt reports the cycle above lost, the first item (in input order)
// no top-level item reaches, as resolve does: from the cycle's item that
// comes first in the input. After the rounds of jump, lost's ancestor is
// at least n parent steps above it: on the cycle.
func (x *Index) cycleExt(lost int32) error {
	e := x.ext
	s, err := e.stAt(lost)
	if err != nil {
		return err
	}
	u := s.anc
	if s.dist < int32(e.n) { // not enough rounds to be sure: walk on
		for range e.n {
			if u, err = e.parAt(u); err != nil {
				return err
			}
		}
	}
	first := u
	for v := u; ; {
		if v, err = e.parAt(v); err != nil {
			return err
		}
		if v == u {
			break
		}
		first = min(first, v)
	}
	nd, err := e.nodeAt(first)
	if err != nil {
		return err
	}
	cycle := []int64{nd.id}
	for v := first; ; {
		if v, err = e.parAt(v); err != nil {
			return err
		}
		if v == first {
			break
		}
		c, err := e.nodeAt(v)
		if err != nil {
			return err
		}
		cycle = append(cycle, c.id)
	}
	return &HierarchyError{Kind: Cycle, InvoiceID: x.invoiceID, ItemID: nd.id, Cycle: cycle}
}

// rollupsExt is rollups on scratch: one pass finds the associated items,
// then their top-level items are read one by one.
func (x *Index) rollupsExt() error {
	if len(x.assoc) == 0 {
		return nil
	}
	e := x.ext
	want := make(map[int64]int32, len(x.assoc))
	for _, a := range x.assoc {
		want[a.id] = -1
	}
	buf := make([]byte, x.sizes.block*nodeBytes)
	err := e.blocks(0, nodeBytes, x.sizes.block, buf, func(start int, b []byte) error {
		for i := range len(b) / nodeBytes {
			id := int64(binary.LittleEndian.Uint64(b[i*nodeBytes:]))
			if _, ok := want[id]; ok {
				want[id] = int32(start + i)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, a := range x.assoc {
		t := want[a.id]
		if t < 0 {
			continue
		}
		s, err := e.stAt(t)
		if err != nil {
			return err
		}
		if top := s.anc; top != a.pos {
			nd, err := e.nodeAt(top)
			if err != nil {
				return err
			}
			if e.rollupIDs == nil {
				e.rollupIDs = make(map[int32]int64, len(x.assoc))
			}
			e.rollupIDs[a.pos] = nd.id
		}
	}
	return nil
}

// cursor reads an Index on scratch in input order: each item's node, its
// depth and its top-level item's node, a block at a time.
type cursor struct {
	e          *external
	block      int
	start, k   int // the buffered block: positions start..start+k
	nodes, sts []byte
	top        node // the last top-level item read
	topPos     int32
}

func (c *cursor) init(e *external, block int) {
	*c = cursor{e: e, block: block, nodes: make([]byte, block*nodeBytes), sts: make([]byte, block*stBytes), topPos: -1}
}

// at returns the node of pos, with depth set, its top-level item's
// position and node. Positions must grow, mostly by one.
func (c *cursor) at(pos int32) (nd node, top int32, topNode node, err error) {
	p := int(pos)
	if p < c.start || p >= c.start+c.k {
		c.start = p - p%c.block
		c.k = min(c.block, c.e.n-c.start)
		if err := c.e.readAt(c.nodes[:c.k*nodeBytes], int64(c.start)*nodeBytes); err != nil {
			return node{}, 0, node{}, err
		}
		if err := c.e.readAt(c.sts[:c.k*stBytes], c.e.res+int64(c.start)*stBytes); err != nil {
			return node{}, 0, node{}, err
		}
	}
	i := p - c.start
	nd = getNode(c.nodes[i*nodeBytes:])
	s := getSt(c.sts[i*stBytes:])
	nd.depth, nd.top = s.dist, s.anc
	switch t := int(s.anc); {
	case t == p:
		topNode = nd
	case t >= c.start && t < c.start+c.k:
		topNode = getNode(c.nodes[(t-c.start)*nodeBytes:])
	case s.anc == c.topPos:
		topNode = c.top
	default:
		if topNode, err = c.e.nodeAt(s.anc); err != nil {
			return node{}, 0, node{}, err
		}
		c.top, c.topPos = topNode, s.anc
	}
	return nd, s.anc, topNode, nil
}

// each calls fn with every node of x in input order (on scratch, a copy
// valid during the call).
func (x *Index) each(fn func(*node)) error {
	if x.ext == nil {
		for i := range x.nodes {
			fn(&x.nodes[i])
		}
		return nil
	}
	buf := make([]byte, x.sizes.block*nodeBytes)
	return x.ext.blocks(0, nodeBytes, x.sizes.block, buf, func(_ int, b []byte) error {
		for i := range len(b) / nodeBytes {
			nd := getNode(b[i*nodeBytes:])
			fn(&nd)
		}
		return nil
	})
}
