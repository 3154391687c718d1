package slsim

import (
	"bufio"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/invoicelake/invoicelake/extract/slsim/query"
)

// encoder writes records as the API does: compact JSON, local properties in
// alphabetical order then the masked extras in mask order, amounts as
// strings, dates in US Central with their offset, '/' escaped as "\/" and
// non-ASCII as \uXXXX (PHP json_encode defaults), explicit nulls, requested
// empty arrays as [], absent relational objects omitted. It streams: nothing
// but the current record is held.
type encoder struct {
	w        *bufio.Writer
	loc      *time.Location
	now      time.Time
	filtered bool // filteredMask: the filter also restricts nested arrays
	omitNull bool // leave out null locals
}

const dateLayout = "2006-01-02T15:04:05-07:00"

func (e *encoder) record(r query.Record, t *query.Type, sel *query.Selection, f *query.Filter) {
	if st := sel.Type(); st != nil {
		t = st
	}
	e.w.WriteByte('{')
	first := true
	key := func(k string) {
		if !first {
			e.w.WriteByte(',')
		}
		first = false
		e.w.WriteByte('"')
		e.w.WriteString(k)
		e.w.WriteString(`":`)
	}
	for _, name := range localNames[t] {
		if !sel.Local(name) {
			continue
		}
		v, _ := r.Field(name)
		if v == nil && (e.omitNull || omitWhenNull[t][name]) {
			continue
		}
		key(name)
		e.value(v)
	}
	for _, name := range sel.Extras() {
		p := t.Props[name]
		v, ok := r.Field(name)
		if !ok {
			continue
		}
		if p.Kind != query.Relational {
			key(name)
			if n, ok := v.(query.Number); ok && bareNumbers[t][name] {
				writeBareNumber(e.w, n)
				continue
			}
			e.value(v)
			continue
		}
		if !p.Array {
			rec, _ := v.(query.Record)
			if rec == nil {
				continue // a missing relational object is omitted
			}
			key(name)
			e.record(rec, p.Type, sel.Child(name), f.Under(name))
			continue
		}
		rs, _ := v.([]query.Record)
		key(name)
		sub := f.Under(name)
		if e.filtered {
			rs = matchAll(rs, sub, e.now, e.loc)
			sub.Sort(rs)
		}
		e.array(rs, p.Type, sel.Child(name), sub)
	}
	e.w.WriteByte('}')
}

func (e *encoder) array(rs []query.Record, t *query.Type, sel *query.Selection, f *query.Filter) {
	e.w.WriteByte('[')
	for i, r := range rs {
		if i > 0 {
			e.w.WriteByte(',')
		}
		e.record(r, t, sel, f)
	}
	e.w.WriteByte(']')
}

func matchAll(rs []query.Record, f *query.Filter, now time.Time, loc *time.Location) []query.Record {
	if !f.Restricts() {
		return rs
	}
	out := rs[:0:0]
	for _, r := range rs {
		if f.Match(r, now, loc) {
			out = append(out, r)
		}
	}
	return out
}

func (e *encoder) value(v any) {
	switch x := v.(type) {
	case nil:
		e.w.WriteString("null")
	case bool:
		if x {
			e.w.WriteString("true")
		} else {
			e.w.WriteString("false")
		}
	case int64:
		e.w.WriteString(strconv.FormatInt(x, 10))
	case int:
		e.w.WriteString(strconv.Itoa(x))
	case query.Number:
		e.w.WriteByte('"')
		e.w.WriteString(string(x))
		e.w.WriteByte('"')
	case string:
		writeString(e.w, x)
	case time.Time:
		e.w.WriteByte('"')
		e.w.WriteString(x.In(e.loc).Format(dateLayout))
		e.w.WriteByte('"')
	default:
		e.w.WriteString("null")
	}
}

const hexDigits = "0123456789abcdef"

// writeString writes s as a JSON string the way PHP's json_encode does by
// default: "\/" for '/', \uXXXX for non-ASCII (surrogate pairs above the
// BMP), short escapes for \b \f \n \r \t.
func writeString(w *bufio.Writer, s string) {
	w.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '"':
				w.WriteString(`\"`)
			case '\\':
				w.WriteString(`\\`)
			case '/':
				w.WriteString(`\/`)
			case '\b':
				w.WriteString(`\b`)
			case '\f':
				w.WriteString(`\f`)
			case '\n':
				w.WriteString(`\n`)
			case '\r':
				w.WriteString(`\r`)
			case '\t':
				w.WriteString(`\t`)
			default:
				if c < 0x20 {
					w.WriteString(`\u00`)
					w.WriteByte(hexDigits[c>>4])
					w.WriteByte(hexDigits[c&0xf])
				} else {
					w.WriteByte(c)
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r >= 0x10000 {
			r -= 0x10000
			writeU(w, 0xd800+(r>>10))
			writeU(w, 0xdc00+(r&0x3ff))
			continue
		}
		writeU(w, r)
	}
	w.WriteByte('"')
}

func writeU(w *bufio.Writer, r rune) {
	w.WriteString(`\u`)
	w.WriteByte(hexDigits[(r>>12)&0xf])
	w.WriteByte(hexDigits[(r>>8)&0xf])
	w.WriteByte(hexDigits[(r>>4)&0xf])
	w.WriteByte(hexDigits[r&0xf])
}
