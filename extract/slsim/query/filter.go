package query

import (
	"encoding/json"
	"strings"
	"time"
)

// Filter is a compiled objectFilter. A nil *Filter matches everything and
// has no ordering. A Filter is immutable after parsing and safe for
// concurrent use.
type Filter struct {
	root *fnode
	top  bool // made by ParseFilter: Under applies the root-level tolerance
}

// FilterError is an objectFilter that is not valid JSON (or not a JSON
// object).
type FilterError struct{ Msg string }

// Error implements error.
func (e *FilterError) Error() string { return "query: object filter: " + e.Msg }

// Record gives filters access to an object's properties. Field returns
// (value, true) for a property that exists on the object's type, where value
// is one of: nil (null), bool, int64, string, Number (a decimal amount, e.g.
// Number("-12.5")), time.Time, Record (relational object), []Record
// (relational array). ok=false means "no such property": the condition is
// ignored, as the real API ignores unknown paths. (int is accepted as int64.)
type Record interface {
	Field(name string) (any, bool)
}

// Number is a decimal amount as the API writes it ("12.5", "-.09"). Filters
// compare Numbers exactly, never through float64.
type Number string

// fnode is one level of the filter: property name -> condition or sub-path,
// in JSON key order.
type fnode struct {
	entries   []fentry
	filtering bool // some condition below restricts results (orderBy does not)
}

type fentry struct {
	name      string
	cond      *cond  // {"operation": ...}
	sub       *fnode // a nested path
	filtering bool
}

func (n *fnode) add(e fentry) {
	n.entries = append(n.entries, e)
	if e.filtering {
		n.filtering = true
	}
}

// ParseFilter parses the objectFilter JSON (already form-decoded). "" (or
// only whitespace, or "null") => nil filter (matches everything, no
// ordering). Malformed JSON, or JSON that is not an object, => *FilterError.
// Malformed operators are NOT errors: like the real API, a condition it
// cannot understand (unknown operation, invalid regexp, unparsable date,
// missing option) is ignored. Values, dates and regexps are compiled here,
// once.
func ParseFilter(raw string) (*Filter, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	v, err := decodeJSON(raw)
	if err != nil {
		return nil, &FilterError{Msg: err.Error()}
	}
	if v == nil {
		return nil, nil
	}
	obj, ok := v.(jsonObject)
	if !ok {
		return nil, &FilterError{Msg: "not a JSON object"}
	}
	return &Filter{root: compileNode(obj), top: true}, nil
}

func compileNode(obj jsonObject) *fnode {
	n := &fnode{}
	for _, m := range obj {
		o, ok := m.val.(jsonObject)
		if !ok {
			continue // {"id": 5}: not a condition nor a path; ignored
		}
		e := fentry{name: m.key}
		if _, has := o.get("operation"); has {
			e.cond = compileCond(o)
			e.filtering = e.cond.filtering()
		} else {
			e.sub = compileNode(o)
			e.filtering = e.sub.filtering
		}
		n.add(e)
	}
	return n
}

// Under returns the part of the filter that applies to the objects of a
// relational property: for SoftLayer_Account::getInvoices the root key is
// "invoices", for getItems "items", for getInvoiceTopLevelItems
// "invoiceTopLevelItems", for children "children". On a filter made by
// ParseFilter, the other root-level keys are also applied, as a tolerance
// (sl-py HEAD sends a top-level {"id":{"operation":"orderBy",...}}): they
// take effect where they name properties of the element type, and are
// ignored (Record.Field ok=false) where they do not. Conditions under prop
// come first, then the root-level ones. Unknown paths are ignored. Under
// never returns nil, and a nil receiver works as "match all".
func (f *Filter) Under(prop string) *Filter {
	n := &fnode{}
	if f == nil || f.root == nil {
		return &Filter{root: n}
	}
	for _, e := range f.root.entries {
		if e.name == prop && e.sub != nil {
			for _, se := range e.sub.entries {
				n.add(se)
			}
		}
	}
	if f.top {
		for _, e := range f.root.entries {
			if e.name != prop {
				n.add(e)
			}
		}
	}
	return &Filter{root: n}
}

// Restricts reports whether the filter can exclude any record (it has at
// least one condition other than orderBy that was understood).
func (f *Filter) Restricts() bool { return f != nil && f.root != nil && f.root.filtering }

// Match reports whether r satisfies every condition (conditions under one
// level are ANDed; a relational array matches when any element matches the
// whole sub-filter; a null relational object under a restricting sub-filter
// does not match). now is the simulated clock (for "> sysdate - 30" /
// ">= currentDate - 30", in days). loc is the zone for date strings without
// an offset: America/Chicago (CentralTime, used when loc is nil). Match
// parses nothing per record.
func (f *Filter) Match(r Record, now time.Time, loc *time.Location) bool {
	if f == nil || f.root == nil || !f.root.filtering {
		return true
	}
	if r == nil {
		return false // a null object satisfies no condition
	}
	if loc == nil {
		loc = CentralTime()
	}
	return f.root.match(r, now, loc)
}

func (n *fnode) match(r Record, now time.Time, loc *time.Location) bool {
	for i := range n.entries {
		e := &n.entries[i]
		if !e.filtering {
			continue
		}
		v, ok := r.Field(e.name)
		if !ok {
			continue // unknown path: ignored
		}
		if e.cond != nil {
			if m, applies := e.cond.eval(v, now, loc); applies && !m {
				return false
			}
			continue
		}
		switch x := v.(type) {
		case nil:
			return false
		case Record:
			if !e.sub.match(x, now, loc) {
				return false
			}
		case []Record:
			found := false
			for _, el := range x {
				if el != nil && e.sub.match(el, now, loc) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		default:
			// A path below a scalar: not understood, ignored.
		}
	}
	return true
}

// condKind is the kind of one {"operation": ..., "options": [...]}.
type condKind uint8

const (
	condIgnored     condKind = iota // not understood
	condLiteral                     // literal operator or plain value
	condIn                          // in: data
	condOr                          // or: data (literal operators)
	condAnd                         // and: data (literal operators)
	condIsDate                      // isDate: date
	condLessDate                    // lessThanDate: date
	condGreaterDate                 // greaterThanDate: date
	condBetween                     // betweenDate: startDate, endDate
	condOrderBy                     // orderBy: sort, sortOrder
)

var namedOps = [...]struct {
	name string
	kind condKind
}{
	{"in", condIn}, {"or", condOr}, {"and", condAnd},
	{"isDate", condIsDate}, {"lessThanDate", condLessDate},
	{"greaterThanDate", condGreaterDate}, {"betweenDate", condBetween},
	{"orderBy", condOrderBy},
}

type cond struct {
	kind         condKind
	lit          literal
	list         []literal
	d1, d2       filterDate
	desc         bool
	hasSortOrder bool
	sortOrder    number
}

func (c *cond) filtering() bool { return c.kind != condIgnored && c.kind != condOrderBy }

// options is the "options" array, looked up by name (any order; the first
// option of a name wins; names compare case-insensitively).
type options []any

func (o options) get(name string) ([]any, bool) {
	for _, el := range o {
		obj, ok := el.(jsonObject)
		if !ok {
			continue
		}
		n, _ := obj.get("name")
		if s, ok := n.(string); !ok || !strings.EqualFold(s, name) {
			continue
		}
		v, _ := obj.get("value")
		if arr, ok := v.([]any); ok {
			return arr, true
		}
		if v == nil {
			return nil, true
		}
		return []any{v}, true // a scalar value, tolerated
	}
	return nil, false
}

// firstString returns the first value of option name as a string (JSON
// numbers are taken as their text).
func (o options) firstString(name string) (string, bool) {
	vs, ok := o.get(name)
	if !ok || len(vs) == 0 {
		return "", false
	}
	switch x := vs[0].(type) {
	case string:
		return x, true
	case json.Number:
		return string(x), true
	}
	return "", false
}

func (o options) date(name string) (filterDate, bool) {
	s, ok := o.firstString(name)
	if !ok {
		return filterDate{}, false
	}
	d := parseFilterDate(s)
	return d, d.ok
}

func compileCond(obj jsonObject) *cond {
	opv, _ := obj.get("operation")
	rawOpts, hasOpts := obj.get("options")
	opts, _ := rawOpts.([]any)
	if s, ok := opv.(string); ok {
		name := strings.TrimSpace(s)
		for _, n := range namedOps {
			if strings.EqualFold(name, n.name) {
				return compileNamed(n.kind, options(opts))
			}
		}
		if hasOpts && isWord(name) {
			return &cond{} // an unknown named operation ("notIn"): ignored
		}
	}
	l := compileLiteral(opv, true)
	if l.bad {
		return &cond{}
	}
	return &cond{kind: condLiteral, lit: l}
}

func isWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isIdentByte(s[i]) {
			return false
		}
	}
	return true
}

func compileNamed(kind condKind, o options) *cond {
	ignored := &cond{}
	c := &cond{kind: kind}
	switch kind {
	case condIn, condOr, condAnd:
		vs, _ := o.get("data")
		c.list = make([]literal, 0, len(vs))
		for _, v := range vs {
			l := compileLiteral(v, kind != condIn)
			if !l.bad {
				c.list = append(c.list, l)
			}
		}
		if len(c.list) == 0 {
			return ignored
		}
	case condIsDate, condLessDate, condGreaterDate:
		d, ok := o.date("date")
		if !ok {
			return ignored
		}
		c.d1 = d
	case condBetween:
		s, ok1 := o.date("startDate")
		e, ok2 := o.date("endDate")
		if !ok1 || !ok2 {
			return ignored
		}
		c.d1, c.d2 = s, e
	case condOrderBy:
		if vs, ok := o.get("sort"); ok {
			s, _ := firstOf(vs).(string)
			switch {
			case strings.EqualFold(strings.TrimSpace(s), "ASC"):
			case strings.EqualFold(strings.TrimSpace(s), "DESC"):
				c.desc = true
			default:
				return ignored
			}
		}
		if s, ok := o.firstString("sortOrder"); ok {
			if n := parseNumber(strings.TrimSpace(s)); n.kind != numNone {
				c.hasSortOrder, c.sortOrder = true, n
			}
		}
	}
	return c
}

func firstOf(vs []any) any {
	if len(vs) == 0 {
		return nil
	}
	return vs[0]
}

// eval applies the condition to a property value; applies=false means it is
// ignored for this value.
func (c *cond) eval(v any, now time.Time, loc *time.Location) (match, applies bool) {
	switch c.kind {
	case condLiteral:
		return c.lit.eval(v, now, loc)
	case condIn, condOr:
		applied := false
		for i := range c.list {
			m, a := c.list[i].eval(v, now, loc)
			if a {
				applied = true
				if m {
					return true, true
				}
			}
		}
		return false, applied
	case condAnd:
		applied := false
		for i := range c.list {
			m, a := c.list[i].eval(v, now, loc)
			if a {
				applied = true
				if !m {
					return false, true
				}
			}
		}
		return true, applied
	case condIsDate, condLessDate, condGreaterDate, condBetween:
		if v == nil {
			return false, true
		}
		t, ok := v.(time.Time)
		if !ok {
			return false, false
		}
		t = t.Truncate(time.Second)
		switch c.kind {
		case condIsDate:
			y1, m1, d1 := t.In(loc).Date()
			y2, m2, d2 := c.d1.in(loc).In(loc).Date()
			return y1 == y2 && m1 == m2 && d1 == d2, true
		case condLessDate:
			return t.Before(c.d1.in(loc)), true
		case condGreaterDate:
			return t.After(c.d1.in(loc)), true
		default:
			return !t.Before(c.d1.in(loc)) && !t.After(c.d2.in(loc)), true
		}
	}
	return false, false
}
