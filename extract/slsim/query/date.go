package query

import (
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // America/Chicago must load on machines without zoneinfo
)

// centralTime is America/Chicago, the zone the API reads date strings in.
var centralTime = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		// time/tzdata is linked in, so this cannot happen; keep a fixed CST
		// rather than panic.
		return time.FixedZone("CST", -6*3600)
	}
	return loc
})

// CentralTime returns America/Chicago, the zone in which the API interprets
// filter dates written without an offset. Match uses it when loc is nil.
func CentralTime() *time.Location { return centralTime() }

// filterDate is a date from a filter, parsed once. A date with an offset is
// an instant; one without is a wall-clock time placed in the caller's zone at
// match time (time.Date, no parsing).
type filterDate struct {
	ok       bool
	hasZone  bool
	abs      time.Time // when hasZone
	y        int
	mo       time.Month
	d        int
	h, mi, s int
	dateOnly bool // no time of day was written
}

// in returns the instant the date denotes when wall-clock dates are in loc.
func (fd *filterDate) in(loc *time.Location) time.Time {
	if fd.hasZone {
		return fd.abs
	}
	return time.Date(fd.y, fd.mo, fd.d, fd.h, fd.mi, fd.s, 0, loc)
}

// parseFilterDate accepts M/D/YYYY, MM/DD/YYYY, MM/DD/YY and MM-DD-YYYY,
// each optionally followed by " H:M[:S]" (unpadded), and ISO/RFC 3339
// YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|±HH[:MM]]. Fractions of a second are
// accepted and dropped (filters compare to the second).
func parseFilterDate(s string) filterDate {
	s = strings.TrimSpace(s)
	var fd filterDate
	i := 0
	a, na := digits(s, &i)
	if na == 0 || i >= len(s) {
		return filterDate{}
	}
	sep := s[i]
	if sep != '/' && sep != '-' {
		return filterDate{}
	}
	i++
	b, nb := digits(s, &i)
	if nb == 0 || nb > 2 || i >= len(s) || s[i] != sep {
		return filterDate{}
	}
	i++
	c, nc := digits(s, &i)
	switch {
	case sep == '-' && na == 4 && nc >= 1 && nc <= 2: // ISO YYYY-MM-DD
		fd.y, fd.mo, fd.d = a, time.Month(b), c
	case na <= 2 && (nc == 4 || (sep == '/' && nc == 2)): // M/D/Y or MM-DD-YYYY
		fd.y, fd.mo, fd.d = c, time.Month(a), b
		if nc == 2 {
			// Two-digit years follow Go's (and POSIX strptime's) pivot.
			if c >= 69 {
				fd.y = 1900 + c
			} else {
				fd.y = 2000 + c
			}
		}
	default:
		return filterDate{}
	}
	if fd.mo < 1 || fd.mo > 12 || fd.d < 1 || fd.d > daysIn(fd.mo, fd.y) {
		return filterDate{}
	}
	if i == len(s) {
		fd.dateOnly = true
		fd.ok = true
		return fd
	}
	if s[i] != ' ' && s[i] != 'T' {
		return filterDate{}
	}
	for i < len(s) && (s[i] == ' ' || s[i] == 'T') {
		i++
	}
	var n int
	if fd.h, n = digits(s, &i); n == 0 || n > 2 || fd.h > 23 {
		return filterDate{}
	}
	if i >= len(s) || s[i] != ':' {
		return filterDate{}
	}
	i++
	if fd.mi, n = digits(s, &i); n == 0 || n > 2 || fd.mi > 59 {
		return filterDate{}
	}
	if i < len(s) && s[i] == ':' {
		i++
		if fd.s, n = digits(s, &i); n == 0 || n > 2 || fd.s > 59 {
			return filterDate{}
		}
		if i < len(s) && (s[i] == '.' || s[i] == ',') {
			i++
			start := i
			for i < len(s) && '0' <= s[i] && s[i] <= '9' {
				i++
			}
			if i == start {
				return filterDate{}
			}
		}
	}
	for i < len(s) && s[i] == ' ' {
		i++
	}
	if i < len(s) {
		off, ok := parseZone(s[i:])
		if !ok {
			return filterDate{}
		}
		fd.hasZone = true
		fd.abs = time.Date(fd.y, fd.mo, fd.d, fd.h, fd.mi, fd.s, 0, time.UTC).Add(-time.Duration(off) * time.Second)
	}
	fd.ok = true
	return fd
}

// parseZone parses "Z", "UTC", "±HH", "±HHMM" or "±HH:MM" into seconds east
// of UTC.
func parseZone(z string) (int, bool) {
	if z == "Z" || z == "z" || z == "UTC" {
		return 0, true
	}
	if len(z) < 3 || (z[0] != '+' && z[0] != '-') {
		return 0, false
	}
	sign := 1
	if z[0] == '-' {
		sign = -1
	}
	i := 1
	h, n := digits(z, &i)
	m := 0
	switch {
	case n == 2 && i == len(z):
	case n == 2 && i < len(z) && z[i] == ':':
		i++
		var nm int
		if m, nm = digits(z, &i); nm != 2 || i != len(z) {
			return 0, false
		}
	case n == 4 && i == len(z):
		h, m = h/100, h%100
	default:
		return 0, false
	}
	if h > 18 || m > 59 {
		return 0, false
	}
	return sign * (h*3600 + m*60), true
}

// digits reads up to 9 decimal digits at s[*i:], advancing *i; it returns
// the value and the number of digits read. Longer runs read no more than 9,
// so the caller sees a non-digit where it expects a separator and rejects.
func digits(s string, i *int) (v, n int) {
	for *i < len(s) && n < 9 && '0' <= s[*i] && s[*i] <= '9' {
		v = v*10 + int(s[*i]-'0')
		*i++
		n++
	}
	return v, n
}

func daysIn(m time.Month, y int) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
