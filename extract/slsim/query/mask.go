package query

import (
	"fmt"
	"strings"
)

// maxMaskDepth bounds the nesting of a mask so that hostile input cannot
// exhaust the stack; real masks are a handful of levels deep.
const maxMaskDepth = 64

// Mask is a parsed objectMask: an untyped tree of property names. Resolve it
// against the method's return type to check it and learn what to emit.
// A Mask is immutable after parsing and safe for concurrent use.
type Mask struct {
	root     maskNode
	cast     string // mask(SoftLayer_X)[...]
	filtered bool   // filteredMask[...]
}

type maskNode struct {
	props []*maskProp // in order of first appearance; names are unique
}

type maskProp struct {
	name string
	cast string    // prop(SoftLayer_X)[...]
	sub  *maskNode // nil when the mask gives no sub-mask ("category" alone)
}

// add returns the property called name at this level, creating it at the end
// when absent: a duplicated property is merged into its first occurrence.
func (n *maskNode) add(name, cast string) *maskProp {
	for _, p := range n.props {
		if p.name == name {
			if p.cast == "" {
				p.cast = cast
			}
			return p
		}
	}
	p := &maskProp{name: name, cast: cast}
	n.props = append(n.props, p)
	return p
}

// Filtered reports whether the mask was written filteredMask[...]: the
// objectFilter then also restricts nested collections, not just the root rows.
func (m *Mask) Filtered() bool { return m != nil && m.filtered }

// Cast returns the root type cast of mask(SoftLayer_X)[...], or "".
func (m *Mask) Cast() string {
	if m == nil {
		return ""
	}
	return m.cast
}

// Empty reports whether the mask names no property ("", "mask[]", nil): it
// then resolves to the local properties only.
func (m *Mask) Empty() bool { return m == nil || len(m.root.props) == 0 }

// String returns the mask in canonical form, mask[a,b[c]], or "" when empty.
func (m *Mask) String() string {
	if m == nil {
		return ""
	}
	var b strings.Builder
	if m.filtered {
		b.WriteString("filteredMask")
	} else {
		b.WriteString("mask")
	}
	if m.cast != "" {
		b.WriteString("(" + m.cast + ")")
	}
	writeMaskNode(&b, &m.root)
	return b.String()
}

func writeMaskNode(b *strings.Builder, n *maskNode) {
	b.WriteByte('[')
	for i, p := range n.props {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(p.name)
		if p.cast != "" {
			b.WriteString("(" + p.cast + ")")
		}
		if p.sub != nil {
			writeMaskNode(b, p.sub)
		}
	}
	b.WriteByte(']')
}

// MaskError is an invalid objectMask. Either Property and Type are set (an
// unknown property, reported by Resolve) or Syntax is (a parse error, with
// Offset the byte offset in the mask where it was found).
type MaskError struct {
	Property, Type, Syntax string
	Offset                 int // byte offset of a syntax error; 0 otherwise
}

// Error returns, for an unknown property, exactly the API's text:
// "Property 'x' not valid for 'SoftLayer_...'.".
func (e *MaskError) Error() string {
	if e.Property != "" {
		return "Property '" + e.Property + "' not valid for '" + e.Type + "'."
	}
	return "query: object mask: " + e.Syntax
}

// ParseMask parses every objectMask syntax of softlayer-api.md §1.5:
//   - "" and "mask[]": no mask (locals only);
//   - mask[a,b[c,d]]: nested property sets;
//   - mask.a.b, dotted, also several comma-separated ("mask.id,mask.billingItem");
//   - mixtures (mask[id,items.category[name]], mask[id],mask.items);
//   - filteredMask[...] (see Mask.Filtered);
//   - bare "a;b.c", bare "id" and a bare "[a,b]" (as sl-py may send it);
//   - ';' or ',' separators, also inside brackets;
//   - whitespace and newlines between any two tokens;
//   - type casts mask(SoftLayer_X)[...] on the root and prop(SoftLayer_X)[...]
//     on nested properties;
//   - duplicated properties, which are merged (mask[category[name],category[id]]
//     is mask[category[name,id]]).
//
// Inside brackets "mask" and "filteredMask" are ordinary property names, so
// the forms sl-go's Mask() produces by wrapping a mask twice
// (mask[mask.id,...], mask[filteredMask[...]]) parse, and Resolve rejects
// them as unknown properties.
//
// Syntax errors (unbalanced brackets, empty elements, stray characters)
// return a *MaskError with Syntax and Offset set. Property names are checked
// later, by Resolve.
func ParseMask(s string) (*Mask, error) {
	m := &Mask{}
	p := maskParser{s: s}
	p.skipSpace()
	if p.eof() {
		return m, nil
	}
	for {
		if err := p.topItem(m); err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.eof() {
			return m, nil
		}
		switch c := p.s[p.pos]; c {
		case ',', ';':
			p.pos++
			p.skipSpace()
			if p.eof() {
				return nil, p.errorf("expected a property after %q", c)
			}
		default:
			return nil, p.errorf("unexpected %q", c)
		}
	}
}

type maskParser struct {
	s     string
	pos   int
	depth int
}

func (p *maskParser) eof() bool { return p.pos >= len(p.s) }

func (p *maskParser) peek() byte {
	if p.pos >= len(p.s) {
		return 0
	}
	return p.s[p.pos]
}

func (p *maskParser) skipSpace() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r', '\f', '\v':
			p.pos++
		default:
			return
		}
	}
}

func (p *maskParser) errorf(format string, args ...any) *MaskError {
	return &MaskError{
		Syntax: fmt.Sprintf("offset %d: ", p.pos) + fmt.Sprintf(format, args...),
		Offset: p.pos,
	}
}

func isIdentStart(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func isIdentByte(c byte) bool { return isIdentStart(c) || ('0' <= c && c <= '9') }

// ident reads a property or type name; it does not skip leading space.
func (p *maskParser) ident() (string, error) {
	start := p.pos
	if p.eof() {
		return "", p.errorf("expected a property name, got end of mask")
	}
	if !isIdentStart(p.s[p.pos]) {
		return "", p.errorf("expected a property name, got %q", p.s[p.pos])
	}
	for p.pos < len(p.s) && isIdentByte(p.s[p.pos]) {
		p.pos++
	}
	return p.s[start:p.pos], nil
}

// cast reads "(TypeName)"; p is at '('.
func (p *maskParser) cast() (string, error) {
	p.pos++ // '('
	p.skipSpace()
	name, err := p.ident()
	if err != nil {
		return "", err
	}
	p.skipSpace()
	if p.peek() != ')' {
		if p.eof() {
			return "", p.errorf("unclosed type cast")
		}
		return "", p.errorf("expected ')' after type %s, got %q", name, p.s[p.pos])
	}
	p.pos++
	return name, nil
}

// topItem reads one top-level element: mask[...], mask.a.b,
// filteredMask[...], mask(T)[...], [a,b] or a bare property path.
func (p *maskParser) topItem(m *Mask) error {
	if p.peek() == '[' {
		p.pos++
		return p.list(&m.root)
	}
	name, err := p.ident()
	if err != nil {
		return err
	}
	if name == "mask" || name == "filteredMask" {
		save := p.pos
		p.skipSpace()
		c := p.peek()
		if c == '(' || c == '[' || c == '.' {
			if name == "filteredMask" {
				m.filtered = true
			}
			if c == '(' {
				cast, err := p.cast()
				if err != nil {
					return err
				}
				if m.cast == "" {
					m.cast = cast
				}
				p.skipSpace()
				c = p.peek()
			}
			switch c {
			case '[':
				p.pos++
				return p.list(&m.root)
			case '.':
				p.pos++
				p.skipSpace()
				return p.path(&m.root)
			}
			return nil // mask(SoftLayer_X) alone
		}
		p.pos = save // a property that happens to be called "mask"
	}
	return p.pathAfter(&m.root, name)
}

// list reads "a, b.c, d[e]]" up to and including the closing bracket; p is
// just after '['. An empty list "[]" is allowed.
func (p *maskParser) list(n *maskNode) error {
	open := p.pos - 1
	p.depth++
	if p.depth > maxMaskDepth {
		return p.errorf("mask nested deeper than %d levels", maxMaskDepth)
	}
	defer func() { p.depth-- }()
	p.skipSpace()
	if p.peek() == ']' {
		p.pos++
		return nil
	}
	for {
		if err := p.path(n); err != nil {
			return err
		}
		p.skipSpace()
		if p.eof() {
			return p.errorf("unclosed '[' at offset %d", open)
		}
		switch c := p.s[p.pos]; c {
		case ',', ';':
			p.pos++
			p.skipSpace()
			if p.peek() == ']' || p.peek() == ',' || p.peek() == ';' {
				return p.errorf("empty property after %q", c)
			}
		case ']':
			p.pos++
			return nil
		default:
			return p.errorf("unexpected %q", c)
		}
	}
}

// path reads "a", "a.b.c", "a(T)[...]" or "a.b[...]" into n.
func (p *maskParser) path(n *maskNode) error {
	name, err := p.ident()
	if err != nil {
		return err
	}
	return p.pathAfter(n, name)
}

func (p *maskParser) pathAfter(n *maskNode, name string) error {
	p.depth++
	if p.depth > maxMaskDepth {
		return p.errorf("mask nested deeper than %d levels", maxMaskDepth)
	}
	defer func() { p.depth-- }()
	save := p.pos
	p.skipSpace()
	cast := ""
	if p.peek() == '(' {
		c, err := p.cast()
		if err != nil {
			return err
		}
		cast = c
		save = p.pos
		p.skipSpace()
	}
	prop := n.add(name, cast)
	switch p.peek() {
	case '.':
		p.pos++
		p.skipSpace()
		if prop.sub == nil {
			prop.sub = &maskNode{}
		}
		return p.path(prop.sub)
	case '[':
		p.pos++
		if prop.sub == nil {
			prop.sub = &maskNode{}
		}
		return p.list(prop.sub)
	}
	p.pos = save
	return nil
}
