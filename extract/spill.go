package extract

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"sync/atomic"
	"time"

	"github.com/invoicelake/invoicelake/schemas"
)

// ItemSpill holds one invoice's items, in the order the API returned them
// (by id), in a compact binary encoding outside the Go heap's item
// structs: in memory while it is small (up to spillMemBytes), otherwise in
// a temporary file that is unlinked as soon as it is created (where the OS
// allows), so that it disappears with the process whatever happens. Close
// releases it. An ItemSpill may be read any number of times, but not
// concurrently.
type ItemSpill struct {
	invoiceID int64
	n         int
	mem       []byte   // the encoding, when it stayed in memory
	f         *os.File // otherwise the file, size bytes
	size      int64
	path      string // the file's name while it still has one
	closed    bool
}

// spillMemBytes is the encoding size up to which an invoice's items stay
// in memory; spillChunk is what is buffered before each file write.
const (
	spillMemBytes = 256 << 10
	spillChunk    = 64 << 10
)

// openSpills counts spills not yet closed (tests check none is left).
var openSpills atomic.Int64

// Len returns the number of items.
func (s *ItemSpill) Len() int {
	if s == nil {
		return 0
	}
	return s.n
}

// Close releases the spill: its file and buffer. It is safe to call twice
// and on nil.
func (s *ItemSpill) Close() error {
	if s == nil || s.closed {
		return nil
	}
	s.closed = true
	openSpills.Add(-1)
	s.mem = nil
	var err error
	if s.f != nil {
		err = s.f.Close()
		s.f = nil
	}
	if s.path != "" {
		if rerr := os.Remove(s.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
			err = rerr
		}
		s.path = ""
	}
	if err != nil {
		return fmt.Errorf("extract: close spill invoice=%d: %w", s.invoiceID, err)
	}
	return nil
}

// Items yields the items in order, each newly allocated (a yielded item
// may be kept). The first error ends the sequence.
func (s *ItemSpill) Items() iter.Seq2[*schemas.InvoiceItem, error] {
	return s.read(false, 0)
}

// ItemsRing yields the items in order like Items, but decodes them into a
// ring of n reused items: a yielded item, and everything it points to,
// stays valid only until n more items have been yielded. It suits a
// consumer that holds at most n items at a time (load.PeriodWriter.AddRows
// holds load.HeldRows) and spares the allocation of every item.
func (s *ItemSpill) ItemsRing(n int) iter.Seq2[*schemas.InvoiceItem, error] {
	return s.read(false, max(n, 1))
}

// Keys yields the items in order with only ID, InvoiceID, ParentID,
// BillingItemID, AssociatedInvoiceItemID, ResourceTableID, ProductItemID,
// CategoryCode, CreateDate and the fees and taxes set: every field but the
// other strings. It allocates nothing per item: the *InvoiceItem and what
// it points to are reused, valid until the next iteration. It is the cheap
// first pass of a two-pass consumer (transform.Index).
func (s *ItemSpill) Keys() iter.Seq2[*schemas.InvoiceItem, error] {
	return s.read(true, 1)
}

// read decodes the records; ring > 0 reuses that many slabs in turn,
// ring == 0 allocates one per item.
func (s *ItemSpill) read(keys bool, ring int) iter.Seq2[*schemas.InvoiceItem, error] {
	return func(yield func(*schemas.InvoiceItem, error) bool) {
		if s == nil || s.n == 0 {
			return
		}
		if s.closed {
			yield(nil, fmt.Errorf("extract: read spill invoice=%d: closed", s.invoiceID))
			return
		}
		var src recordSource
		if s.f != nil {
			src.r = bufio.NewReaderSize(io.NewSectionReader(s.f, 0, s.size), spillChunk)
		} else {
			src.mem = s.mem
		}
		var d itemDecoder
		var slabs []slab
		if ring > 0 {
			slabs = make([]slab, min(ring, s.n))
		}
		for k := range s.n {
			rec, err := src.next()
			if err != nil {
				yield(nil, fmt.Errorf("extract: read spill invoice=%d item %d of %d: %w", s.invoiceID, k+1, s.n, err))
				return
			}
			var sl *slab
			if slabs == nil {
				sl = new(slab)
			} else {
				sl = &slabs[k%len(slabs)]
				*sl = slab{}
			}
			if err := d.decode(rec, sl, keys); err != nil {
				yield(nil, fmt.Errorf("extract: read spill invoice=%d item %d of %d: %w", s.invoiceID, k+1, s.n, err))
				return
			}
			if !yield(&sl.it, nil) {
				return
			}
		}
	}
}

// recordSource returns the length-prefixed records of a spill.
type recordSource struct {
	mem     []byte
	r       *bufio.Reader
	scratch []byte
}

func (src *recordSource) next() ([]byte, error) {
	if src.r == nil {
		n, k := binary.Uvarint(src.mem)
		if k <= 0 || uint64(len(src.mem)-k) < n {
			return nil, io.ErrUnexpectedEOF
		}
		rec := src.mem[k : k+int(n)]
		src.mem = src.mem[k+int(n):]
		return rec, nil
	}
	n, err := binary.ReadUvarint(src.r)
	if err != nil {
		return nil, noEOF(err)
	}
	if n <= spillChunk {
		rec, err := src.r.Peek(int(n))
		if err != nil {
			return nil, noEOF(err)
		}
		src.r.Discard(int(n))
		return rec, nil
	}
	if n > 1<<31 {
		return nil, fmt.Errorf("record of %d bytes", n)
	}
	if uint64(cap(src.scratch)) < n {
		src.scratch = make([]byte, n)
	}
	src.scratch = src.scratch[:n]
	if _, err := io.ReadFull(src.r, src.scratch); err != nil {
		return nil, noEOF(err)
	}
	return src.scratch, nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// The encoding of one item: a uvarint length, then
//
//	uvarint presence bits (bit i: field i of the lists below is not nil)
//	varint ID, varint InvoiceID
//	varint each present *int64 (spillInts order)
//	varint each present *Decimal's units (spillDecimals order)
//	if CreateDate: uvarint length + time.Time.AppendBinary
//	strings, each a uvarint length + bytes: CategoryCode, Description,
//	then each present *string (spillStrings order)
//
// Strings come last so that Keys stops after CategoryCode.
const (
	nInts     = 5
	nDecimals = 13
	nStrings  = 4
	bitTime   = nInts + nDecimals + nStrings
)

func spillInts(it *schemas.InvoiceItem) [nInts]**int64 {
	return [nInts]**int64{&it.ParentID, &it.BillingItemID, &it.AssociatedInvoiceItemID, &it.ResourceTableID, &it.ProductItemID}
}

func spillDecimals(it *schemas.InvoiceItem) [nDecimals]**schemas.Decimal {
	return [nDecimals]**schemas.Decimal{
		&it.RecurringFee, &it.HourlyRecurringFee, &it.OneTimeFee, &it.SetupFee, &it.LaborFee,
		&it.RecurringTaxAmount, &it.OneTimeTaxAmount, &it.SetupTaxAmount, &it.LaborTaxAmount,
		&it.RecurringAfterTaxAmount, &it.OneTimeAfterTaxAmount, &it.SetupAfterTaxAmount, &it.LaborAfterTaxAmount,
	}
}

func spillStrings(it *schemas.InvoiceItem) [nStrings]**string {
	return [nStrings]**string{&it.CategoryName, &it.HostName, &it.DomainName, &it.Location}
}

// appendItem appends it's record to b.
func appendItem(b []byte, it *schemas.InvoiceItem) []byte {
	var body [512]byte
	r := body[:0]
	var bits uint64
	ints := spillInts(it)
	for i, p := range ints {
		if *p != nil {
			bits |= 1 << i
		}
	}
	decs := spillDecimals(it)
	for i, p := range decs {
		if *p != nil {
			bits |= 1 << (nInts + i)
		}
	}
	strs := spillStrings(it)
	for i, p := range strs {
		if *p != nil {
			bits |= 1 << (nInts + nDecimals + i)
		}
	}
	if it.CreateDate != nil {
		bits |= 1 << bitTime
	}
	r = binary.AppendUvarint(r, bits)
	r = binary.AppendVarint(r, it.ID)
	r = binary.AppendVarint(r, it.InvoiceID)
	for _, p := range ints {
		if *p != nil {
			r = binary.AppendVarint(r, **p)
		}
	}
	for _, p := range decs {
		if *p != nil {
			r = binary.AppendVarint(r, (**p).Units())
		}
	}
	if it.CreateDate != nil {
		var tb [20]byte
		enc, err := it.CreateDate.AppendBinary(tb[:0])
		if err != nil {
			// Only a zone offset that is not a whole minute (none in
			// RFC 3339): keep the instant, in UTC.
			enc, _ = it.CreateDate.UTC().AppendBinary(tb[:0])
		}
		r = binary.AppendUvarint(r, uint64(len(enc)))
		r = append(r, enc...)
	}
	r = appendString(r, it.CategoryCode)
	r = appendString(r, it.Description)
	for _, p := range strs {
		if *p != nil {
			r = appendString(r, **p)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(r)))
	return append(b, r...)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// slab is one decoded item and the values its pointers point to: one
// allocation per item.
type slab struct {
	it   schemas.InvoiceItem
	ints [nInts]int64
	decs [nDecimals]schemas.Decimal
	strs [nStrings]string
	t    time.Time
}

// itemDecoder decodes records; it interns the strings that repeat across
// items (codes, category and location names).
type itemDecoder struct {
	interned map[string]string
}

func (d *itemDecoder) intern(b []byte) string {
	if s, ok := d.interned[string(b)]; ok {
		return s
	}
	if d.interned == nil {
		d.interned = make(map[string]string)
	}
	s := string(b)
	if len(d.interned) < 4096 {
		d.interned[s] = s
	}
	return s
}

var errCorrupt = errors.New("corrupt record")

func (d *itemDecoder) decode(rec []byte, sl *slab, keys bool) error {
	it := &sl.it
	bits, k := binary.Uvarint(rec)
	if k <= 0 {
		return errCorrupt
	}
	rec = rec[k:]
	varint := func() (int64, bool) {
		v, k := binary.Varint(rec)
		if k <= 0 {
			return 0, false
		}
		rec = rec[k:]
		return v, true
	}
	bytesOf := func() ([]byte, bool) {
		n, k := binary.Uvarint(rec)
		if k <= 0 || uint64(len(rec)-k) < n {
			return nil, false
		}
		b := rec[k : k+int(n)]
		rec = rec[k+int(n):]
		return b, true
	}
	var ok bool
	if it.ID, ok = varint(); !ok {
		return errCorrupt
	}
	if it.InvoiceID, ok = varint(); !ok {
		return errCorrupt
	}
	for i, p := range spillInts(it) {
		if bits&(1<<i) != 0 {
			if sl.ints[i], ok = varint(); !ok {
				return errCorrupt
			}
			*p = &sl.ints[i]
		}
	}
	for i, p := range spillDecimals(it) {
		if bits&(1<<(nInts+i)) != 0 {
			v, ok := varint()
			if !ok {
				return errCorrupt
			}
			sl.decs[i] = schemas.DecimalFromUnits(v)
			*p = &sl.decs[i]
		}
	}
	if bits&(1<<bitTime) != 0 {
		b, ok := bytesOf()
		if !ok {
			return errCorrupt
		}
		if err := sl.t.UnmarshalBinary(b); err != nil {
			return fmt.Errorf("create date: %w", err)
		}
		it.CreateDate = &sl.t
	}
	b, ok := bytesOf()
	if !ok {
		return errCorrupt
	}
	it.CategoryCode = d.intern(b)
	if keys {
		return nil
	}
	if b, ok = bytesOf(); !ok {
		return errCorrupt
	}
	it.Description = string(b)
	for i, p := range spillStrings(it) {
		if bits&(1<<(nInts+nDecimals+i)) == 0 {
			continue
		}
		if b, ok = bytesOf(); !ok {
			return errCorrupt
		}
		if i == 0 || i == 3 { // CategoryName, Location repeat
			sl.strs[i] = d.intern(b)
		} else {
			sl.strs[i] = string(b)
		}
		*p = &sl.strs[i]
	}
	if len(rec) != 0 {
		return errCorrupt
	}
	return nil
}

// spillWriter fills an ItemSpill, in the goroutine that fetches the items.
type spillWriter struct {
	s   *ItemSpill
	dir string
	buf []byte
	err error // sticky
}

func newSpillWriter(invoiceID int64, dir string) *spillWriter {
	openSpills.Add(1)
	return &spillWriter{s: &ItemSpill{invoiceID: invoiceID}, dir: dir}
}

func (w *spillWriter) add(it *schemas.InvoiceItem) error {
	if w.err != nil {
		return w.err
	}
	w.buf = appendItem(w.buf, it)
	w.s.n++
	if w.s.f == nil && len(w.buf) > spillMemBytes {
		f, err := os.CreateTemp(w.dir, "invoicelake-items-*")
		if err != nil {
			w.err = fmt.Errorf("extract: spill invoice=%d: %w", w.s.invoiceID, err)
			return w.err
		}
		w.s.f = f
		w.s.path = f.Name()
		// Unlinked now, the file goes with the process, however it ends.
		// Where the OS refuses (open files on Windows), Close removes it.
		if os.Remove(w.s.path) == nil {
			w.s.path = ""
		}
	}
	if w.s.f != nil && len(w.buf) >= spillChunk {
		return w.flush()
	}
	return nil
}

func (w *spillWriter) flush() error {
	n, err := w.s.f.Write(w.buf)
	w.s.size += int64(n)
	w.buf = w.buf[:0]
	if err != nil {
		w.err = fmt.Errorf("extract: spill invoice=%d: %w", w.s.invoiceID, err)
	}
	return w.err
}

// finish returns the filled spill; abort releases it.
func (w *spillWriter) finish() (*ItemSpill, error) {
	if w.err == nil && w.s.f != nil && len(w.buf) > 0 {
		w.flush()
	}
	if w.err != nil {
		w.abort()
		return nil, w.err
	}
	if w.s.f == nil {
		w.s.mem = append([]byte(nil), w.buf...) // exact size: it may wait in the lookahead
	}
	w.buf = nil
	return w.s, nil
}

func (w *spillWriter) abort() {
	w.buf = nil
	w.s.Close()
}
