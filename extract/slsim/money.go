package slsim

import (
	"math/bits"
	"strconv"
	"strings"
)

// money is an exact amount in units of 1e-8 USD. The simulator keeps its own
// fixed point on purpose: the ground truth must not share code with the
// pipeline it checks.
type money int64

const (
	unit  money = 100_000_000 // 1 USD
	cent  money = 1_000_000
	scale       = 8
)

// dollars returns d USD plus c cents as money.
func dollars(d int64, c int64) money { return money(d)*unit + money(c)*cent }

// parseMoney parses "12.34" or "-.5"; it is for literals in the simulator's
// own tables and tests, and panics on bad input.
func parseMoney(s string) money {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	if len(frac) > scale {
		panic("slsim: too many decimals in " + s)
	}
	var v int64
	if intPart != "" {
		n, err := strconv.ParseInt(intPart, 10, 64)
		if err != nil {
			panic("slsim: bad amount " + s)
		}
		v = n * int64(unit)
	}
	if frac != "" {
		f, err := strconv.ParseInt(frac+strings.Repeat("0", scale-len(frac)), 10, 64)
		if err != nil {
			panic("slsim: bad amount " + s)
		}
		v += f
	}
	if neg {
		v = -v
	}
	return money(v)
}

// roundCents rounds half away from zero to whole cents.
func (m money) roundCents() money {
	if m < 0 {
		return -(-m).roundCents()
	}
	return (m + cent/2) / cent * cent
}

// taxAt returns m*rate rounded half away from zero to whole cents, where
// rate is itself money-scaled (8.25% is parseMoney(".0825")). Exact: the
// product is formed in 128 bits.
func (m money) taxAt(rate money) money {
	if rate == 0 || m == 0 {
		return 0
	}
	neg := (m < 0) != (rate < 0)
	hi, lo := bits.Mul64(uint64(abs(m)), uint64(abs(rate)))
	q, r := bits.Div64(hi, lo, uint64(unit)) // q in 1e-8 units
	v := money(q)
	if r*2 >= uint64(unit) {
		v++
	}
	v = v.roundCents()
	if neg {
		return -v
	}
	return v
}

func abs(m money) money {
	if m < 0 {
		return -m
	}
	return m
}

// apiString formats m the way the SoftLayer API does: no leading zero before
// the point (".09", "-.5"), no trailing zeros ("12.5"), "0" for zero.
func (m money) apiString() string {
	s := m.plain()
	if strings.HasPrefix(s, "0.") {
		return s[1:]
	}
	if strings.HasPrefix(s, "-0.") {
		return "-" + s[2:]
	}
	return s
}

// plain formats m as a canonical decimal: "0.09", "-12.5", "0".
func (m money) plain() string {
	neg := m < 0
	u := uint64(m)
	if neg {
		u = uint64(-m)
	}
	ip := u / uint64(unit)
	fp := u % uint64(unit)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	b.WriteString(strconv.FormatUint(ip, 10))
	if fp != 0 {
		f := strconv.FormatUint(fp, 10)
		f = strings.Repeat("0", scale-len(f)) + f
		b.WriteByte('.')
		b.WriteString(strings.TrimRight(f, "0"))
	}
	return b.String()
}
