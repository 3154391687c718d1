package extract

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/invoicelake/invoicelake/schemas"
)

// This file is a small hand-written JSON decoder for the two shapes we
// request. It is exact (amounts go straight from their text to
// schemas.Decimal, never through float64), tolerant (numbers or strings,
// null == missing == [], a bare object where an array was expected, unknown
// keys skipped) and fast (no reflection, no map[string]any, keys compared
// without allocating).

// SyntaxError is a response body that is not well-formed JSON, typically
// because it was truncated or corrupted in transit. It is transient: the
// retry layer asks for the page again.
type SyntaxError struct {
	Offset int    // byte offset in the body
	Msg    string // what was wrong
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("extract: malformed json at byte %d: %s", e.Offset, e.Msg)
}

// Is makes a SyntaxError match ErrTransient.
func (e *SyntaxError) Is(target error) bool { return target == ErrTransient }

// msgUnexpectedEnd marks a SyntaxError caused by the body ending early.
const msgUnexpectedEnd = "unexpected end of body"

// DecodeError is a well-formed value that cannot be decoded into its field
// (an amount that is not a number, a date that is not RFC 3339, ...). It
// names the invoice, the item (0 when decoding an invoice or when the id
// was unreadable) and the field. It is permanent: asking again would return
// the same value.
type DecodeError struct {
	Invoice int64  // invoice id
	Item    int64  // item id, 0 for invoice fields
	Field   string // JSON property, e.g. "recurringFee" or "category.name"
	Value   string // the offending text, at most 64 bytes
	Err     error
}

func (e *DecodeError) Error() string {
	if e.Invoice == 0 && e.Item != 0 {
		return fmt.Sprintf("extract: decode billing item=%d field %s value %q: %v", e.Item, e.Field, e.Value, e.Err)
	}
	if e.Item != 0 {
		return fmt.Sprintf("extract: decode invoice=%d item=%d field %s value %q: %v", e.Invoice, e.Item, e.Field, e.Value, e.Err)
	}
	return fmt.Sprintf("extract: decode invoice=%d field %s value %q: %v", e.Invoice, e.Field, e.Value, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Is makes a DecodeError match ErrPermanent.
func (e *DecodeError) Is(target error) bool { return target == ErrPermanent }

// lexer walks a JSON document held in memory.
type lexer struct {
	data []byte
	pos  int
	// scratch holds unescaped string bytes; reused between strings.
	scratch []byte
	// keys remembers the field at each key position of the objects of
	// one document (fieldList.lookup).
	keys keyOrder
}

func (l *lexer) errorf(format string, args ...any) error {
	return &SyntaxError{Offset: l.pos, Msg: fmt.Sprintf(format, args...)}
}

func (l *lexer) eof() error { return &SyntaxError{Offset: l.pos, Msg: msgUnexpectedEnd} }

func (l *lexer) ws() {
	for l.pos < len(l.data) {
		switch l.data[l.pos] {
		case ' ', '\t', '\n', '\r':
			l.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte without consuming it, or 0 at the end.
func (l *lexer) peek() byte {
	l.ws()
	if l.pos >= len(l.data) {
		return 0
	}
	return l.data[l.pos]
}

func (l *lexer) expect(c byte) error {
	l.ws()
	if l.pos >= len(l.data) {
		return l.eof()
	}
	if l.data[l.pos] != c {
		return l.errorf("want %q, got %q", c, l.data[l.pos])
	}
	l.pos++
	return nil
}

// maxStringBytes caps one string (a description, a name), escapes
// unescaped: a longer one is a *LimitError, never truncated.
const maxStringBytes = 1 << 20

func (l *lexer) tooLong(start, n int) error {
	return &LimitError{What: fmt.Sprintf("string at byte %d of the answer", start), Limit: maxStringBytes, Got: int64(n)}
}

// str reads a JSON string and returns its unescaped bytes. The result
// aliases the input or the scratch buffer: copy it before the next call.
func (l *lexer) str() ([]byte, error) {
	if err := l.expect('"'); err != nil {
		return nil, err
	}
	start := l.pos
	// Find the closing quote with IndexByte (vectorized), then check the
	// span for escapes and control characters in one tight loop.
	q := bytes.IndexByte(l.data[start:], '"')
	if q < 0 {
		q = len(l.data) - start
	}
	for i, c := range l.data[start : start+q] {
		if c < 0x20 || c == '\\' {
			l.pos = start + i
			if c == '\\' {
				return l.strSlow(start)
			}
			return nil, l.errorf("control character in string")
		}
	}
	l.pos = start + q
	if l.pos >= len(l.data) {
		return nil, l.eof()
	}
	if q > maxStringBytes {
		return nil, l.tooLong(start, q)
	}
	l.pos++
	return l.data[start : start+q], nil
}

func (l *lexer) strSlow(start int) ([]byte, error) {
	b := append(l.scratch[:0], l.data[start:l.pos]...)
	for l.pos < len(l.data) {
		if len(b) > maxStringBytes {
			return nil, l.tooLong(start, len(b))
		}
		c := l.data[l.pos]
		switch {
		case c == '"':
			l.pos++
			l.scratch = b
			return b, nil
		case c < 0x20:
			return nil, l.errorf("control character in string")
		case c != '\\':
			b = append(b, c)
			l.pos++
			continue
		}
		if l.pos+1 >= len(l.data) {
			return nil, l.eof()
		}
		e := l.data[l.pos+1]
		l.pos += 2
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, err := l.hex4()
			if err != nil {
				return nil, err
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(utf8.RuneError)
				if l.pos+1 < len(l.data) && l.data[l.pos] == '\\' && l.data[l.pos+1] == 'u' {
					l.pos += 2
					lo, err := l.hex4()
					if err != nil {
						return nil, err
					}
					r2 = utf16.DecodeRune(r, lo)
				}
				r = r2
			}
			b = utf8.AppendRune(b, r)
		default:
			return nil, l.errorf("bad escape \\%c", e)
		}
	}
	return nil, l.eof()
}

func (l *lexer) hex4() (rune, error) {
	if l.pos+4 > len(l.data) {
		return 0, l.eof()
	}
	var r rune
	for _, c := range l.data[l.pos : l.pos+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, l.errorf("bad \\u escape")
		}
	}
	l.pos += 4
	return r, nil
}

// number reads a JSON number and returns its text.
func (l *lexer) number() ([]byte, error) {
	l.ws()
	start := l.pos
	for l.pos < len(l.data) {
		c := l.data[l.pos]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			l.pos++
			continue
		}
		break
	}
	if l.pos == start {
		if l.pos >= len(l.data) {
			return nil, l.eof()
		}
		return nil, l.errorf("unexpected %q", l.data[l.pos])
	}
	if l.pos >= len(l.data) {
		// A number must be followed by something in our documents (a
		// comma, a bracket or a brace); a body ending here was cut.
		return nil, l.eof()
	}
	return l.data[start:l.pos], nil
}

func (l *lexer) literal(word string) error {
	l.ws()
	if len(l.data)-l.pos < len(word) {
		if string(l.data[l.pos:]) == word[:len(l.data)-l.pos] {
			return l.eof()
		}
		return l.errorf("unexpected %q", l.data[l.pos:])
	}
	if string(l.data[l.pos:l.pos+len(word)]) != word {
		return l.errorf("unexpected %q", l.data[l.pos])
	}
	l.pos += len(word)
	return nil
}

// skip consumes one value of any kind.
func (l *lexer) skip() error {
	return l.skipDepth(0)
}

func (l *lexer) skipDepth(depth int) error {
	if depth > 64 {
		return l.errorf("nesting too deep")
	}
	switch c := l.peek(); c {
	case 0:
		return l.eof()
	case '"':
		_, err := l.str()
		return err
	case '{':
		return l.object(func(key []byte) error { return l.skipDepth(depth + 1) })
	case '[':
		return l.array(func() error { return l.skipDepth(depth + 1) })
	case 't':
		return l.literal("true")
	case 'f':
		return l.literal("false")
	case 'n':
		return l.literal("null")
	default:
		_, err := l.number()
		return err
	}
}

// object consumes an object, calling field for each key with the lexer
// positioned at the value; field must consume the value.
func (l *lexer) object(field func(key []byte) error) error {
	if err := l.expect('{'); err != nil {
		return err
	}
	if l.peek() == '}' {
		l.pos++
		return nil
	}
	for {
		key, err := l.str()
		if err != nil {
			return err
		}
		if err := l.expect(':'); err != nil {
			return err
		}
		if err := field(key); err != nil {
			return err
		}
		switch l.peek() {
		case ',':
			l.pos++
		case '}':
			l.pos++
			return nil
		case 0:
			return l.eof()
		default:
			return l.errorf("want ',' or '}', got %q", l.data[l.pos])
		}
	}
}

// array consumes an array, calling elem with the lexer at each element.
func (l *lexer) array(elem func() error) error {
	if err := l.expect('['); err != nil {
		return err
	}
	if l.peek() == ']' {
		l.pos++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		switch l.peek() {
		case ',':
			l.pos++
		case ']':
			l.pos++
			return nil
		case 0:
			return l.eof()
		default:
			return l.errorf("want ',' or ']', got %q", l.data[l.pos])
		}
	}
}

// list decodes a top-level list: an array of objects, a bare object (the
// API's one-row quirk) or null, each object decoded by one.
func (l *lexer) list(one func() error) error {
	switch l.peek() {
	case 0:
		return l.eof()
	case '{':
		if err := one(); err != nil {
			return err
		}
	case 'n':
		if err := l.literal("null"); err != nil {
			return err
		}
	default:
		if err := l.array(func() error {
			if l.peek() == 'n' { // a null element carries nothing
				return l.literal("null")
			}
			return one()
		}); err != nil {
			return err
		}
	}
	if l.peek() != 0 {
		return l.errorf("trailing data after the document")
	}
	return nil
}

// scalar reads a scalar value as text for the typed readers below. kind is
// 's' for a string, 'n' for a number, 'l' for true/false, 0 for absent
// (null, [], "" for non-string fields is decided by the caller).
func (l *lexer) scalar() (text []byte, kind byte, err error) {
	switch c := l.peek(); c {
	case 0:
		return nil, 0, l.eof()
	case '"':
		s, err := l.str()
		return s, 's', err
	case 'n':
		return nil, 0, l.literal("null")
	case 't':
		return []byte("true"), 'l', l.literal("true")
	case 'f':
		return []byte("false"), 'l', l.literal("false")
	case '[':
		// [] is "no value"; a non-empty array is kept as text so the
		// caller can report it.
		start := l.pos
		if err := l.skip(); err != nil {
			return nil, 0, err
		}
		raw := l.data[start:l.pos]
		if isEmptyArray(raw) {
			return nil, 0, nil
		}
		return raw, 'a', nil
	case '{':
		start := l.pos
		if err := l.skip(); err != nil {
			return nil, 0, err
		}
		return l.data[start:l.pos], 'o', nil
	default:
		n, err := l.number()
		return n, 'n', err
	}
}

func isEmptyArray(raw []byte) bool {
	for _, c := range raw {
		switch c {
		case '[', ']', ' ', '\t', '\n', '\r':
		default:
			return false
		}
	}
	return true
}

var (
	errNotNumber = errors.New("not a number")
	errNotString = errors.New("not a string")
	errNotDate   = errors.New("not an RFC 3339 date")
)

// fieldErr records the first value error of an object; decoding continues
// so the error can name the object's id, which may come later.
type fieldErr struct {
	field string
	value string
	err   error
}

func (f *fieldErr) set(field string, value []byte, err error) {
	if f.err != nil {
		return
	}
	if len(value) > 64 {
		value = value[:64]
	}
	f.field, f.value, f.err = field, string(value), err
}

// readInt reads an integer from a number or a numeric string; ok is false
// for an absent value.
func (l *lexer) readInt(fe *fieldErr, field string) (v int64, ok bool, err error) {
	text, kind, err := l.scalar()
	if err != nil || kind == 0 {
		return 0, false, err
	}
	if kind == 's' && len(text) == 0 {
		return 0, false, nil
	}
	if kind != 'n' && kind != 's' {
		fe.set(field, text, errNotNumber)
		return 0, false, nil
	}
	n, perr := strconv.ParseInt(string(text), 10, 64)
	if perr != nil {
		fe.set(field, text, errNotNumber)
		return 0, false, nil
	}
	return n, true, nil
}

// The read*Ptr functions store into dst when it is not nil, and allocate
// otherwise; they return nil for null and for a value in error.
func (l *lexer) readIntPtr(fe *fieldErr, field string, dst *int64) (*int64, error) {
	v, ok, err := l.readInt(fe, field)
	if !ok {
		return nil, err
	}
	if dst == nil {
		dst = new(int64)
	}
	*dst = v
	return dst, err
}

// readDecimal reads an amount from a string or a number, exactly.
func (l *lexer) readDecimal(fe *fieldErr, field string, dst *schemas.Decimal) (*schemas.Decimal, error) {
	text, kind, err := l.scalar()
	if err != nil || kind == 0 {
		return nil, err
	}
	if kind == 's' && len(text) == 0 {
		return nil, nil
	}
	if kind != 'n' && kind != 's' {
		fe.set(field, text, errNotNumber)
		return nil, nil
	}
	d, perr := schemas.ParseDecimal(string(text))
	if perr != nil {
		fe.set(field, text, perr)
		return nil, nil
	}
	if dst == nil {
		dst = new(schemas.Decimal)
	}
	*dst = d
	return dst, nil
}

// readString reads a string; null and [] give ok=false. Numbers and
// booleans are kept as their text (the API sometimes sends "14" for 14 and
// the other way round).
func (l *lexer) readString(fe *fieldErr, field string) (s string, ok bool, err error) {
	text, kind, err := l.scalar()
	if err != nil || kind == 0 {
		return "", false, err
	}
	if kind == 'a' || kind == 'o' {
		fe.set(field, text, errNotString)
		return "", false, nil
	}
	return string(text), true, nil
}

func (l *lexer) readStringPtr(fe *fieldErr, field string, dst *string) (*string, error) {
	s, ok, err := l.readString(fe, field)
	if !ok {
		return nil, err
	}
	if dst == nil {
		dst = new(string)
	}
	*dst = s
	return dst, nil
}

// readTime reads an RFC 3339 date with any offset and optional fractional
// seconds; the offset is kept.
func (l *lexer) readTime(fe *fieldErr, field string, dst *time.Time) (*time.Time, error) {
	text, kind, err := l.scalar()
	if err != nil || kind == 0 {
		return nil, err
	}
	if kind == 's' && len(text) == 0 {
		return nil, nil
	}
	if kind != 's' {
		fe.set(field, text, errNotDate)
		return nil, nil
	}
	t, perr := parseTime(string(text))
	if perr != nil {
		fe.set(field, text, errNotDate)
		return nil, nil
	}
	if dst == nil {
		dst = new(time.Time)
	}
	*dst = t
	return dst, nil
}

func parseTime(s string) (time.Time, error) {
	// time.RFC3339 accepts fractional seconds when parsing, and any
	// numeric offset or Z.
	t, err := time.Parse(time.RFC3339, s)
	if err == nil {
		return t, nil
	}
	// An offset without a colon (-0600) is seen from some services.
	if t2, err2 := time.Parse("2006-01-02T15:04:05Z0700", s); err2 == nil {
		return t2, nil
	}
	return time.Time{}, err
}

// readNamed reads a relational object such as category or location and
// returns its "name" (and "categoryCode" when asked). A missing object, null,
// [] and an object without name give nil. A one-element array holding the
// object is accepted.
func (l *lexer) readNamed(fe *fieldErr, field string, code *string, dst *string) (*string, error) {
	switch l.peek() {
	case '{':
		var name *string
		err := l.object(func(key []byte) error {
			var err error
			switch string(key) {
			case "name":
				name, err = l.readStringPtr(fe, field, dst)
			case "categoryCode":
				if code != nil {
					var s string
					s, _, err = l.readString(fe, strings.TrimSuffix(field, ".name")+".categoryCode")
					if s != "" {
						*code = s
					}
					return err
				}
				err = l.skip()
			default:
				err = l.skip()
			}
			return err
		})
		return name, err
	case '[':
		var name *string
		err := l.array(func() error {
			if l.peek() == '{' && name == nil {
				var err error
				name, err = l.readNamed(fe, field, code, dst)
				return err
			}
			return l.skip()
		})
		return name, err
	case 'n':
		return nil, l.literal("null")
	case 0:
		return nil, l.eof()
	default:
		start := l.pos
		if err := l.skip(); err != nil {
			return nil, err
		}
		fe.set(strings.TrimSuffix(field, ".name"), l.data[start:l.pos], errors.New("not an object"))
		return nil, nil
	}
}

// decodeInvoices appends the invoices in body to dst.
func decodeInvoices(body []byte, dst []schemas.Invoice) ([]schemas.Invoice, error) {
	l := lexer{data: body}
	err := l.list(func() error {
		// Decoded in place: the slot is already on the heap.
		dst = append(dst, schemas.Invoice{})
		if err := l.invoice(&dst[len(dst)-1]); err != nil {
			dst = dst[:len(dst)-1]
			return err
		}
		return nil
	})
	return dst, err
}

func (l *lexer) invoice(inv *schemas.Invoice) error {
	var fe fieldErr
	seen, err := decodeObject(l, invoiceFields, inv, valueStore{}, &fe)
	if err != nil {
		return err
	}
	if fe.err != nil {
		return &DecodeError{Invoice: inv.ID, Field: fe.field, Value: fe.value, Err: fe.err}
	}
	if inv.ID == 0 {
		return &DecodeError{Field: "id", Err: errors.New("invoice without an id")}
	}
	if inv.CreateDate.IsZero() {
		msg := "missing"
		if seen&(1<<invoiceCreateDate) != 0 {
			msg = "null"
		}
		return &DecodeError{Invoice: inv.ID, Field: "createDate", Value: msg, Err: errors.New("invoice without a create date")}
	}
	return nil
}

// invoiceCreateDate is createDate's position in invoiceFields.
var invoiceCreateDate = invoiceFields.byName["createDate"]

// valueStore is where decodeObject keeps the values of pointer fields, by
// slot; a nil slice (or t) means one allocation per value.
type valueStore struct {
	ints []int64
	decs []schemas.Decimal
	strs []string
	t    *time.Time
}

// decodeObject decodes one object's properties listed in fl into v and
// skips the others. It returns a bit per field of fl that the object
// carried (null included). Value errors go to fe (the first one); the
// error returned is a syntax error.
func decodeObject[T any](l *lexer, fl *fieldList[T], v *T, st valueStore, fe *fieldErr) (seen uint64, err error) {
	return decodeObjectWith(l, fl, v, st, fe, &l.keys)
}

// decodeObjectWith is decodeObject learning the key order in ko: each
// nested level has its own.
func decodeObjectWith[T any](l *lexer, fl *fieldList[T], v *T, st valueStore, fe *fieldErr, ko *keyOrder) (seen uint64, err error) {
	pos := 0
	var code string      // a named field's categoryCode
	var codeOf *field[T] // the field that wants it
	err = l.object(func(key []byte) error {
		i, ok := fl.lookup(key, pos, ko)
		pos++
		if !ok {
			return l.skip()
		}
		seen |= 1 << i
		f := &fl.fields[i]
		var err error
		switch f.kind {
		case kindInt:
			*f.i(v), _, err = l.readInt(fe, f.errName())
		case kindIntPtr:
			*f.ip(v), err = l.readIntPtr(fe, f.errName(), slot(st.ints, f.slot))
		case kindDecimal:
			if f.float {
				*f.d(v), err = l.readFloatDecimal(fe, f.errName())
				break
			}
			*f.d(v), err = l.readDecimal(fe, f.errName(), slot(st.decs, f.slot))
		case kindString:
			*f.s(v), _, err = l.readString(fe, f.errName())
		case kindStringPtr:
			*f.sp(v), err = l.readStringPtr(fe, f.errName(), slot(st.strs, f.slot))
		case kindNamed:
			var c *string
			if f.code != nil {
				c, codeOf = &code, f
			}
			*f.sp(v), err = l.readNamed(fe, f.errName(), c, slot(st.strs, f.slot))
		case kindTime:
			*f.t(v), err = l.readTime(fe, f.errName(), st.t)
		case kindTimeValue:
			var t *time.Time
			if t, err = l.readTime(fe, f.errName(), f.tv(v)); t == nil {
				*f.tv(v) = time.Time{}
			}
		case kindBool:
			*f.b(v), err = l.readBool(fe, f.errName())
		case kindObject:
			err = l.nested(fe, f.errName(), func() error {
				var ko keyOrder
				_, err := decodeObjectWith(l, f.sub, v, valueStore{}, fe, &ko)
				return err
			})
		case kindList:
			err = f.list(l, fe, v)
		}
		return err
	})
	if codeOf != nil && code != "" {
		if dst := codeOf.code(v); *dst == "" {
			*dst = code
		}
	}
	return seen, err
}

// readFloatDecimal reads a float-typed amount: a string exactly, a JSON
// number exactly when it has at most 8 decimals and rounded half to even
// to 8 decimals otherwise (a binary float's digits beyond are noise). A
// value out of DECIMAL(18,8)'s range is an error, as readDecimal's.
func (l *lexer) readFloatDecimal(fe *fieldErr, field string) (*schemas.Decimal, error) {
	start := l.pos
	if l.peek() != '-' && (l.peek() < '0' || l.peek() > '9') {
		return l.readDecimal(fe, field, nil)
	}
	text, err := l.number()
	if err != nil {
		return nil, err
	}
	if d, perr := schemas.ParseDecimal(string(text)); perr == nil {
		return &d, nil
	}
	if len(text) > 64 {
		fe.set(field, text, errNotNumber)
		return nil, nil
	}
	r, ok := new(big.Rat).SetString(string(text))
	if !ok {
		fe.set(field, l.data[start:l.pos], errNotNumber)
		return nil, nil
	}
	units := new(big.Rat).Mul(r, big.NewRat(100_000_000, 1))
	q := roundHalfEven(units)
	if !q.IsInt64() {
		fe.set(field, text, schemas.ErrDecimalRange)
		return nil, nil
	}
	d := schemas.DecimalFromUnits(q.Int64())
	if _, perr := schemas.ParseDecimal(d.String()); perr != nil {
		fe.set(field, text, perr)
		return nil, nil
	}
	return &d, nil
}

// roundHalfEven rounds r to an integer, ties to even.
func roundHalfEven(r *big.Rat) *big.Int {
	n, d := r.Num(), r.Denom()
	q, m := new(big.Int).QuoRem(n, d, new(big.Int)) // truncated
	twice := new(big.Int).Abs(m)
	twice.Lsh(twice, 1)
	switch c := twice.Cmp(d); {
	case c > 0 || (c == 0 && q.Bit(0) == 1):
		if n.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

// readBool reads a flag: true/false, 1/0, or their strings.
func (l *lexer) readBool(fe *fieldErr, field string) (*bool, error) {
	text, kind, err := l.scalar()
	if err != nil || kind == 0 {
		return nil, err
	}
	var b bool
	switch string(text) {
	case "true", "1":
		b = true
	case "false", "0":
	case "":
		if kind == 's' {
			return nil, nil
		}
		fallthrough
	default:
		fe.set(field, text, errors.New("not a boolean"))
		return nil, nil
	}
	return &b, nil
}

// nested reads a relational object with one, which must consume it: an
// object, or a one-element array holding it; null and [] are no object.
func (l *lexer) nested(fe *fieldErr, field string, one func() error) error {
	switch l.peek() {
	case '{':
		return one()
	case '[':
		done := false
		return l.array(func() error {
			if l.peek() == '{' && !done {
				done = true
				return one()
			}
			return l.skip()
		})
	case 'n':
		return l.literal("null")
	case 0:
		return l.eof()
	default:
		start := l.pos
		if err := l.skip(); err != nil {
			return err
		}
		fe.set(field, l.data[start:l.pos], errors.New("not an object"))
		return nil
	}
}

// objects reads a relational array of objects, calling one at each object;
// null is no element, a bare object one, and null elements are skipped.
// Any other value is a value error of field.
func (l *lexer) objects(fe *fieldErr, field string, one func() error) error {
	bad := func() error {
		start := l.pos
		if err := l.skip(); err != nil {
			return err
		}
		fe.set(field, l.data[start:l.pos], errors.New("not an array of objects"))
		return nil
	}
	switch l.peek() {
	case '{':
		return one()
	case 'n':
		return l.literal("null")
	case 0:
		return l.eof()
	case '[':
		return l.array(func() error {
			switch l.peek() {
			case 'n':
				return l.literal("null")
			case '{':
				return one()
			}
			return bad()
		})
	}
	return bad()
}

// slot is &s[i], or nil when s is nil.
func slot[E any](s []E, i int) *E {
	if s == nil {
		return nil
	}
	return &s[i]
}

// decodeItems appends the items in body to dst. invoiceID names the invoice
// in errors and fills InvoiceID when the API left it out.
func decodeItems(body []byte, invoiceID int64, dst []schemas.InvoiceItem) ([]schemas.InvoiceItem, error) {
	l := lexer{data: body}
	err := l.list(func() error {
		// Decoded in place: the slot is already on the heap.
		dst = append(dst, schemas.InvoiceItem{})
		if err := l.item(&dst[len(dst)-1], invoiceID); err != nil {
			dst = dst[:len(dst)-1]
			return err
		}
		return nil
	})
	return dst, err
}

func (l *lexer) item(it *schemas.InvoiceItem, invoiceID int64) error {
	var fe fieldErr
	st := new(itemStore)
	if _, err := decodeObject(l, itemFields, it, st.values(), &fe); err != nil {
		return err
	}
	if it.InvoiceID == 0 {
		it.InvoiceID = invoiceID
	}
	if fe.err != nil {
		return &DecodeError{Invoice: invoiceID, Item: it.ID, Field: fe.field, Value: fe.value, Err: fe.err}
	}
	if it.ID == 0 {
		return &DecodeError{Invoice: invoiceID, Field: "id", Err: errors.New("item without an id")}
	}
	if it.InvoiceID != invoiceID {
		return &DecodeError{Invoice: invoiceID, Item: it.ID, Field: "invoiceId", Value: strconv.FormatInt(it.InvoiceID, 10),
			Err: errors.New("item belongs to another invoice")}
	}
	return nil
}

// decodeAPIError reports whether body is a SoftLayer error object
// ({"error": ..., "code": ...} and nothing else) and returns its fields.
func decodeAPIError(body []byte) (code, message string, ok bool) {
	l := lexer{data: body}
	if l.peek() != '{' {
		return "", "", false
	}
	sawError := false
	other := false
	err := l.object(func(key []byte) error {
		switch string(key) {
		case "error":
			s, _, err := l.readString(&fieldErr{}, "error")
			message, sawError = s, true
			return err
		case "code":
			s, _, err := l.readString(&fieldErr{}, "code")
			code = s
			return err
		default:
			other = true
			return l.skip()
		}
	})
	if err != nil || !sawError || other {
		return "", "", false
	}
	return code, message, true
}
