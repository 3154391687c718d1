package query

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// litOp is a literal operator of §1.6 ("operation": "<op> <value>").
type litOp uint8

const (
	opEq          litOp = iota // value
	opNe                       // != value
	opGt                       // > value
	opGe                       // >= value
	opLt                       // < value
	opLe                       // <= value
	opPrefix                   // ^= value
	opNotPrefix                // !^= value
	opSuffix                   // $= value
	opNotSuffix                // !$= value
	opContains                 // *= value
	opNotContains              // !*= value
	opFold                     // _= value (case-insensitive equality)
	opRegex                    // ~ value
	opNotRegex                 // !~ value
	opNotNull                  // not null
	opIsNull                   // is null
	opRelDate                  // > sysdate - 30, >= currentDate - 30
)

// literalOps is searched in order, so longer operators come before their
// prefixes.
var literalOps = [...]struct {
	text string
	op   litOp
}{
	{"!^=", opNotPrefix}, {"!$=", opNotSuffix}, {"!*=", opNotContains},
	{"!~", opNotRegex}, {"!=", opNe},
	{"^=", opPrefix}, {"$=", opSuffix}, {"*=", opContains}, {"_=", opFold},
	{">=", opGe}, {"<=", opLe}, {">", opGt}, {"<", opLt}, {"~", opRegex},
}

// isStringOp reports whether op works on the text of a value.
func (op litOp) isStringOp() bool {
	switch op {
	case opPrefix, opNotPrefix, opSuffix, opNotSuffix, opContains, opNotContains, opFold, opRegex, opNotRegex:
		return true
	}
	return false
}

// literal is one compiled literal condition. Every interpretation of the
// operand the value types may need (number, date, boolean, regexp) is
// computed once, at parse time.
type literal struct {
	op      litOp
	bad     bool // not understood (e.g. an invalid regexp): the condition is ignored
	s       string
	num     number
	date    filterDate
	boolOK  bool
	boolVal bool
	re      *regexp.Regexp
	relOp   litOp // for opRelDate: opEq..opLe
	relDays int   // signed: "sysdate - 30" is -30
}

var relDateRE = regexp.MustCompile(`(?i)^(>=|<=|!=|>|<|=)?\s*(?:sysdate|currentdate)\s*(?:([-+])\s*(\d{1,7}))?$`)

// matchRelDate runs relDateRE only on strings that can match it, keeping
// the common operations ("OPEN", "^= dal") free of regexp work.
func matchRelDate(t string) []string {
	for i := 0; i+4 <= len(t); i++ {
		if strings.EqualFold(t[i:i+4], "date") {
			return relDateRE.FindStringSubmatch(t)
		}
	}
	return nil
}

// compileLiteral compiles an "operation" value or an in/or/and data value.
// withOps says whether a string may start with a literal operator (false for
// the values of "in", which are plain values).
func compileLiteral(v any, withOps bool) literal {
	switch x := v.(type) {
	case json.Number:
		return operand(opEq, string(x))
	case bool:
		l := operand(opEq, strconv.FormatBool(x))
		if x {
			l.num = numberFromInt(1)
		} else {
			l.num = numberFromInt(0)
		}
		return l
	case string:
		if !withOps {
			return operand(opEq, x)
		}
		return compileOperation(x)
	}
	return literal{bad: true}
}

func compileOperation(raw string) literal {
	t := strings.TrimSpace(raw)
	switch strings.ToLower(strings.Join(strings.Fields(t), " ")) {
	case "not null", "is not null":
		return literal{op: opNotNull}
	case "is null":
		return literal{op: opIsNull}
	}
	if m := matchRelDate(t); m != nil {
		l := literal{op: opRelDate, relOp: opEq}
		switch m[1] {
		case ">=":
			l.relOp = opGe
		case "<=":
			l.relOp = opLe
		case "!=":
			l.relOp = opNe
		case ">":
			l.relOp = opGt
		case "<":
			l.relOp = opLt
		}
		if m[3] != "" {
			n, err := strconv.Atoi(m[3])
			if err != nil {
				return literal{bad: true}
			}
			if m[2] == "-" {
				n = -n
			}
			l.relDays = n
		}
		return l
	}
	for _, o := range literalOps {
		if strings.HasPrefix(t, o.text) {
			return operand(o.op, strings.TrimSpace(t[len(o.text):]))
		}
	}
	return operand(opEq, raw) // plain value: equality, kept verbatim
}

// operand pre-computes every reading of s the comparison may need.
func operand(op litOp, s string) literal {
	l := literal{op: op, s: s}
	switch op {
	case opRegex, opNotRegex:
		re, err := regexp.Compile(s)
		if err != nil {
			return literal{bad: true}
		}
		l.re = re
		return l
	case opEq, opNe, opGt, opGe, opLt, opLe:
		l.num = parseNumber(s)
		l.date = parseFilterDate(s)
		switch s {
		case "1", "t", "T", "true", "TRUE", "True":
			l.boolOK, l.boolVal = true, true
		case "0", "f", "F", "false", "FALSE", "False":
			l.boolOK, l.boolVal = true, false
		}
	}
	return l
}

// isNull reports whether v is null for "is null" / "not null": nil, or an
// empty relational array.
func isNull(v any) bool {
	if v == nil {
		return true
	}
	if rs, ok := v.([]Record); ok {
		return len(rs) == 0
	}
	return false
}

// eval applies the literal to a property value. applies=false means the
// condition does not apply to this value type and is ignored.
func (l *literal) eval(v any, now time.Time, loc *time.Location) (match, applies bool) {
	if l.bad {
		return false, false
	}
	switch l.op {
	case opIsNull:
		return isNull(v), true
	case opNotNull:
		return !isNull(v), true
	}
	if v == nil {
		return false, true // SQL: every comparison with NULL is false
	}
	switch x := v.(type) {
	case string:
		if l.op == opRelDate {
			return false, false
		}
		return l.evalString(x), true
	case int64:
		if l.op.isStringOp() {
			return l.evalString(strconv.FormatInt(x, 10)), true
		}
		return l.evalNumber(numberFromInt(x))
	case int:
		if l.op.isStringOp() {
			return l.evalString(strconv.Itoa(x)), true
		}
		return l.evalNumber(numberFromInt(int64(x)))
	case Number:
		if l.op.isStringOp() {
			return l.evalString(string(x)), true
		}
		n := parseNumber(string(x))
		if n.kind == numNone {
			if l.op == opRelDate {
				return false, false
			}
			return l.evalString(string(x)), true
		}
		return l.evalNumber(n)
	case time.Time:
		return l.evalTime(x, now, loc)
	case bool:
		if (l.op != opEq && l.op != opNe) || !l.boolOK {
			return false, false
		}
		return (x == l.boolVal) == (l.op == opEq), true
	}
	return false, false
}

func (l *literal) evalString(x string) bool {
	switch l.op {
	case opEq:
		return x == l.s
	case opNe:
		return x != l.s
	case opGt, opGe, opLt, opLe:
		return cmpHolds(l.op, strings.Compare(x, l.s))
	case opPrefix:
		return strings.HasPrefix(x, l.s)
	case opNotPrefix:
		return !strings.HasPrefix(x, l.s)
	case opSuffix:
		return strings.HasSuffix(x, l.s)
	case opNotSuffix:
		return !strings.HasSuffix(x, l.s)
	case opContains:
		return strings.Contains(x, l.s)
	case opNotContains:
		return !strings.Contains(x, l.s)
	case opFold:
		return strings.EqualFold(x, l.s)
	case opRegex:
		return l.re.MatchString(x)
	case opNotRegex:
		return !l.re.MatchString(x)
	}
	return false
}

func (l *literal) evalNumber(n number) (bool, bool) {
	if l.num.kind == numNone || l.op > opLe {
		return false, false // "id = abc", "id > sysdate": not understood
	}
	return cmpHolds(l.op, cmpNumber(n, l.num)), true
}

func (l *literal) evalTime(t time.Time, now time.Time, loc *time.Location) (bool, bool) {
	t = t.Truncate(time.Second)
	if l.op == opRelDate {
		ref := now.In(loc).AddDate(0, 0, l.relDays).Truncate(time.Second)
		return cmpHolds(l.relOp, t.Compare(ref)), true
	}
	if l.op > opLe || !l.date.ok {
		return false, false
	}
	return cmpHolds(l.op, t.Compare(l.date.in(loc))), true
}

// cmpHolds reports whether comparison result c (-1, 0, 1) satisfies op.
func cmpHolds(op litOp, c int) bool {
	switch op {
	case opEq:
		return c == 0
	case opNe:
		return c != 0
	case opGt:
		return c > 0
	case opGe:
		return c >= 0
	case opLt:
		return c < 0
	case opLe:
		return c <= 0
	}
	return false
}
