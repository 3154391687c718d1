package query

import (
	"slices"
	"strings"
	"time"
)

// SortKey is one orderBy key: the property path below the filter's root
// (e.g. ["id"] or ["category", "name"]) and the direction.
type SortKey struct {
	Path []string
	Desc bool
}

// OrderBy returns the sort keys in priority order: keys with a sortOrder
// first, by ascending sortOrder (lower = higher priority), then keys without
// one, in JSON key order. A path named twice keeps its first key. Empty when
// the filter has no orderBy. Call it on the filter returned by Under.
func (f *Filter) OrderBy() []SortKey {
	if f == nil || f.root == nil {
		return nil
	}
	var ents []sortEntry
	f.root.collectSort(nil, &ents)
	if len(ents) == 0 {
		return nil
	}
	slices.SortStableFunc(ents, func(a, b sortEntry) int {
		switch {
		case a.hasOrder && b.hasOrder:
			return cmpNumber(a.order, b.order)
		case a.hasOrder:
			return -1
		case b.hasOrder:
			return 1
		}
		return 0
	})
	keys := make([]SortKey, 0, len(ents))
	for _, e := range ents {
		if !slices.ContainsFunc(keys, func(k SortKey) bool { return slices.Equal(k.Path, e.path) }) {
			keys = append(keys, SortKey{Path: e.path, Desc: e.desc})
		}
	}
	return keys
}

type sortEntry struct {
	path     []string
	desc     bool
	hasOrder bool
	order    number
}

func (n *fnode) collectSort(prefix []string, out *[]sortEntry) {
	for i := range n.entries {
		e := &n.entries[i]
		path := append(slices.Clip(prefix), e.name)
		switch {
		case e.cond != nil && e.cond.kind == condOrderBy:
			*out = append(*out, sortEntry{path: path, desc: e.cond.desc, hasOrder: e.cond.hasSortOrder, order: e.cond.sortOrder})
		case e.sub != nil:
			e.sub.collectSort(path, out)
		}
	}
}

// Sort stable-sorts rs by OrderBy: nulls first on ASC, last on DESC;
// numbers (int64, Number) compare exactly, times as instants, strings
// byte-wise, false before true. A key whose path a record does not have
// (Field ok=false), or that ends in a relational array, sorts as null. No
// orderBy => no change. Each record's keys are read once.
func (f *Filter) Sort(rs []Record) {
	keys := f.OrderBy()
	if len(keys) == 0 || len(rs) < 2 {
		return
	}
	k := len(keys)
	vals := make([]sortVal, len(rs)*k)
	for i, r := range rs {
		for j, key := range keys {
			vals[i*k+j] = sortValueOf(r, key.Path)
		}
	}
	idx := make([]int, len(rs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		for j, key := range keys {
			if c := cmpSortVal(&vals[a*k+j], &vals[b*k+j]); c != 0 {
				if key.Desc {
					return -c
				}
				return c
			}
		}
		return 0
	})
	sorted := make([]Record, len(rs))
	for i, x := range idx {
		sorted[i] = rs[x]
	}
	copy(rs, sorted)
}

// sortVal is a property value reduced for ordering. rank orders values of
// different kinds: null < bool < number < time < string.
type sortVal struct {
	rank uint8
	b    bool
	n    number
	t    time.Time
	s    string
}

const (
	rankNull uint8 = iota
	rankBool
	rankNumber
	rankTime
	rankString
)

func sortValueOf(r Record, path []string) sortVal {
	for i, name := range path {
		if r == nil {
			return sortVal{}
		}
		v, ok := r.Field(name)
		if !ok {
			return sortVal{}
		}
		if i < len(path)-1 {
			r, _ = v.(Record)
			continue
		}
		switch x := v.(type) {
		case bool:
			return sortVal{rank: rankBool, b: x}
		case int64:
			return sortVal{rank: rankNumber, n: numberFromInt(x)}
		case int:
			return sortVal{rank: rankNumber, n: numberFromInt(int64(x))}
		case Number:
			if n := parseNumber(string(x)); n.kind != numNone {
				return sortVal{rank: rankNumber, n: n}
			}
			return sortVal{rank: rankString, s: string(x)}
		case time.Time:
			return sortVal{rank: rankTime, t: x}
		case string:
			return sortVal{rank: rankString, s: x}
		}
		return sortVal{}
	}
	return sortVal{}
}

func cmpSortVal(a, b *sortVal) int {
	if a.rank != b.rank {
		if a.rank < b.rank {
			return -1
		}
		return 1
	}
	switch a.rank {
	case rankBool:
		switch {
		case a.b == b.b:
			return 0
		case !a.b:
			return -1
		}
		return 1
	case rankNumber:
		return cmpNumber(a.n, b.n)
	case rankTime:
		return a.t.Compare(b.t)
	case rankString:
		return strings.Compare(a.s, b.s)
	}
	return 0
}
