package query

import "fmt"

// Selection is the resolved mask for one level: which local properties of
// its type to emit, which non-local properties were requested, and the
// selections of the requested relational properties. A nil *Selection means
// "not requested": Local reports false, Extras is empty, Child is nil.
type Selection struct {
	typ       *Type
	allLocals bool
	locals    map[string]struct{} // when !allLocals: the named locals
	extras    []string
	children  map[string]*Selection
	cast      string
}

// ResolveOptions tunes Resolve.
type ResolveOptions struct {
	// DropLocalsOnRelationalOnly emulates the REST inconsistency of §1.5
	// (sl-go issue #44): a level that names only relational, computed or
	// count properties returns those and no local properties at all.
	DropLocalsOnRelationalOnly bool
}

// Resolve checks the mask against the root type (the return type of the
// method) and returns what to emit. An unknown property returns
// *MaskError{Property: "x", Type: "SoftLayer_..."} whose Error() is exactly
// the API text "Property 'x' not valid for 'SoftLayer_...'.". A nil or empty
// *Mask resolves to the local properties only.
func (m *Mask) Resolve(root *Type) (*Selection, error) {
	return m.ResolveWith(root, ResolveOptions{})
}

// ResolveWith is Resolve with options.
//
// A sub-mask on a local, computed or count property (mask[id[x]]) is a
// *MaskError naming the first sub-property and the parent property. A type
// cast (mask(SoftLayer_X)[...], prop(SoftLayer_X)[...]) selects the type of
// that name when it is reachable from root; a cast to a type the simulator
// does not declare is accepted and the declared type is used.
func (m *Mask) ResolveWith(root *Type, o ResolveOptions) (*Selection, error) {
	if root == nil {
		return nil, &MaskError{Syntax: "resolve: nil root type"}
	}
	r := resolver{opts: o, root: root}
	var n *maskNode
	t := root
	cast := ""
	if m != nil {
		n = &m.root
		cast = m.cast
		t = r.castTo(t, cast)
	}
	s, err := r.resolve(n, t)
	if err != nil {
		return nil, err
	}
	s.cast = cast
	return s, nil
}

type resolver struct {
	opts   ResolveOptions
	root   *Type
	byName map[string]*Type // types reachable from root, built on first cast
}

// castTo returns the type named cast when one is reachable from the root
// type, else t.
func (r *resolver) castTo(t *Type, cast string) *Type {
	if cast == "" || cast == t.Name {
		return t
	}
	if r.byName == nil {
		r.byName = map[string]*Type{}
		var walk func(*Type)
		walk = func(t *Type) {
			if t == nil {
				return
			}
			if _, seen := r.byName[t.Name]; seen {
				return
			}
			r.byName[t.Name] = t
			for _, p := range t.Props {
				walk(p.Type)
			}
		}
		walk(r.root)
	}
	if c, ok := r.byName[cast]; ok {
		return c
	}
	return t
}

func (r *resolver) resolve(n *maskNode, t *Type) (*Selection, error) {
	s := &Selection{typ: t}
	if n == nil || len(n.props) == 0 {
		s.allLocals = true
		return s, nil
	}
	namedLocal := false
	for _, mp := range n.props {
		p, ok := t.Props[mp.name]
		if !ok {
			return nil, &MaskError{Property: mp.name, Type: t.Name}
		}
		if p.Kind != Relational {
			if mp.sub != nil && len(mp.sub.props) > 0 {
				return nil, &MaskError{Property: mp.sub.props[0].name, Type: t.Name + "::" + mp.name}
			}
			if p.Kind == Local {
				if s.locals == nil {
					s.locals = make(map[string]struct{}, len(n.props))
				}
				s.locals[mp.name] = struct{}{}
				namedLocal = true
				continue
			}
			s.extras = append(s.extras, mp.name)
			continue
		}
		ct := p.Type
		if ct == nil {
			return nil, &MaskError{Syntax: fmt.Sprintf("resolve: relational property %s of %s has no element type", mp.name, t.Name)}
		}
		ct = r.castTo(ct, mp.cast)
		child, err := r.resolve(mp.sub, ct)
		if err != nil {
			return nil, err
		}
		child.cast = mp.cast
		if s.children == nil {
			s.children = make(map[string]*Selection)
		}
		s.children[mp.name] = child
		s.extras = append(s.extras, mp.name)
	}
	if !namedLocal && !r.opts.DropLocalsOnRelationalOnly {
		s.allLocals = true
	}
	return s, nil
}

// Local reports whether the local property name is emitted at this level.
// Rules: no mask => all locals; a level that names at least one local =>
// only the named locals; a level that names only relational/computed/count
// properties => all locals plus those (unless
// ResolveOptions.DropLocalsOnRelationalOnly, which emulates the REST
// inconsistency of §1.5). A name that is not a local property of the type
// reports false.
func (s *Selection) Local(name string) bool {
	if s == nil {
		return false
	}
	if p, ok := s.typ.Props[name]; !ok || p.Kind != Local {
		return false
	}
	if s.allLocals {
		return true
	}
	_, ok := s.locals[name]
	return ok
}

// AllLocals reports whether every local property is emitted at this level.
func (s *Selection) AllLocals() bool { return s != nil && s.allLocals }

// Extras lists the non-local (relational, computed, count) properties
// requested at this level, in the order they first appear in the mask.
// The slice must not be modified.
func (s *Selection) Extras() []string {
	if s == nil {
		return nil
	}
	return s.extras
}

// Child returns the selection for relational property name (all locals of
// its type when the mask gives no sub-mask, e.g. "category" alone), or nil
// when not requested.
func (s *Selection) Child(name string) *Selection {
	if s == nil {
		return nil
	}
	return s.children[name]
}

// Type returns the type this level was resolved against (the cast type when
// a cast named a declared type).
func (s *Selection) Type() *Type {
	if s == nil {
		return nil
	}
	return s.typ
}

// Cast returns the type cast written in the mask for this level, or "".
func (s *Selection) Cast() string {
	if s == nil {
		return ""
	}
	return s.cast
}
