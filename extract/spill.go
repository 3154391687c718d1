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

// Items yields the items in order. The yielded item, and everything it
// points to, is reused: it is valid until the next iteration (copy what
// you keep). The first error ends the sequence.
func (s *ItemSpill) Items() iter.Seq2[*schemas.InvoiceItem, error] {
	return s.read(false)
}

// Keys yields the items in order like Items, but decodes only the fields
// a hierarchy and its sums need (itemFields marked keys: the ids, the
// category code, the amounts and the create date); the other strings are
// left empty. It is the cheap first pass of a two-pass consumer
// (transform.Index).
func (s *ItemSpill) Keys() iter.Seq2[*schemas.InvoiceItem, error] {
	return s.read(true)
}

// read decodes the records into one reused slab.
func (s *ItemSpill) read(keys bool) iter.Seq2[*schemas.InvoiceItem, error] {
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
		sl := new(slab)
		for k := range s.n {
			rec, err := src.next()
			if err != nil {
				yield(nil, fmt.Errorf("extract: read spill invoice=%d item %d of %d: %w", s.invoiceID, k+1, s.n, err))
				return
			}
			*sl = slab{}
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

// The encoding of one item: a uvarint length, then a uvarint of presence
// bits (bit i: field i of itemFields is present; always set for the
// fields that are not pointers), then each present field, the fields
// marked keys first and the others after (itemFields.spillOrder), so that
// Keys stops early:
//
//	int, *int64, *Decimal (its units): varint
//	string, *string, named: uvarint length + bytes
//	time: uvarint length + time.Time.AppendBinary
func appendItem(b []byte, it *schemas.InvoiceItem) []byte {
	var body [512]byte
	r := body[:0]
	fs := itemFields.fields
	var bits uint64
	for i := range fs {
		if fs[i].present(it) {
			bits |= 1 << i
		}
	}
	r = binary.AppendUvarint(r, bits)
	for _, i := range itemFields.spillOrder {
		if bits&(1<<i) == 0 {
			continue
		}
		switch f := &fs[i]; f.kind {
		case kindInt:
			r = binary.AppendVarint(r, *f.i(it))
		case kindIntPtr:
			r = binary.AppendVarint(r, **f.ip(it))
		case kindDecimal:
			r = binary.AppendVarint(r, (**f.d(it)).Units())
		case kindString:
			r = appendString(r, *f.s(it))
		case kindStringPtr, kindNamed:
			r = appendString(r, **f.sp(it))
		case kindTime:
			r = appendTime(r, *f.t(it))
		case kindTimeValue:
			r = appendTime(r, f.tv(it))
		}
	}
	b = binary.AppendUvarint(b, uint64(len(r)))
	return append(b, r...)
}

func appendTime(b []byte, t *time.Time) []byte {
	var tb [20]byte
	enc, err := t.AppendBinary(tb[:0])
	if err != nil {
		// Only a zone offset that is not a whole minute (none in
		// RFC 3339): keep the instant, in UTC.
		enc, _ = t.UTC().AppendBinary(tb[:0])
	}
	b = binary.AppendUvarint(b, uint64(len(enc)))
	return append(b, enc...)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// slab is one decoded item and the values its pointers point to.
type slab struct {
	it schemas.InvoiceItem
	st itemStore
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

// decode fills sl, which must be zero, from rec; with keys, only the
// fields marked keys.
func (d *itemDecoder) decode(rec []byte, sl *slab, keys bool) error {
	it, st := &sl.it, &sl.st
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
	str := func(f *field[schemas.InvoiceItem]) (string, bool) {
		b, ok := bytesOf()
		if !ok {
			return "", false
		}
		if f.intern {
			return d.intern(b), true
		}
		return string(b), true
	}
	fs := itemFields.fields
	for _, i := range itemFields.spillOrder {
		f := &fs[i]
		if keys && !f.keys {
			return nil
		}
		if bits&(1<<i) == 0 {
			continue
		}
		var ok bool
		switch f.kind {
		case kindInt:
			*f.i(it), ok = varint()
		case kindIntPtr:
			if st.ints[f.slot], ok = varint(); ok {
				*f.ip(it) = &st.ints[f.slot]
			}
		case kindDecimal:
			var v int64
			if v, ok = varint(); ok {
				st.decs[f.slot] = schemas.DecimalFromUnits(v)
				*f.d(it) = &st.decs[f.slot]
			}
		case kindString:
			*f.s(it), ok = str(f)
		case kindStringPtr, kindNamed:
			if st.strs[f.slot], ok = str(f); ok {
				*f.sp(it) = &st.strs[f.slot]
			}
		case kindTime, kindTimeValue:
			var b []byte
			if b, ok = bytesOf(); ok {
				if err := st.t.UnmarshalBinary(b); err != nil {
					return fmt.Errorf("%s: %w", f.name, err)
				}
				if f.kind == kindTime {
					*f.t(it) = &st.t
				} else {
					*f.tv(it) = st.t
				}
			}
		}
		if !ok {
			return errCorrupt
		}
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
