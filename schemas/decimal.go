package schemas

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
)

// Money columns are DECIMAL(MoneyPrecision, MoneyScale) for the life of the
// tables: 8 fractional digits and up to 10 integer digits, stored as INT64.
// A value with more fractional digits or a larger magnitude is an error,
// never rounded.
const (
	MoneyScale     = 8
	MoneyPrecision = 18
)

// scaleFactor is 10^MoneyScale.
const scaleFactor = 100_000_000

// maxUnits is the largest magnitude DECIMAL(18,8) can hold, in units.
const maxUnits = 999_999_999_999_999_999

// Decimal is an exact amount with MoneyScale fractional digits, held as an
// integer count of 10^-MoneyScale units. The zero value is 0.
type Decimal int64

// ErrDecimalSyntax and ErrDecimalRange classify ParseDecimal failures.
var (
	ErrDecimalSyntax = errors.New("not a decimal number")
	ErrDecimalRange  = fmt.Errorf("does not fit DECIMAL(%d,%d) exactly", MoneyPrecision, MoneyScale)
)

// DecimalFromUnits returns the Decimal holding u units of 10^-MoneyScale.
func DecimalFromUnits(u int64) Decimal { return Decimal(u) }

// Units returns d as a count of 10^-MoneyScale units.
func (d Decimal) Units() int64 { return int64(d) }

// ParseDecimal parses the forms the SoftLayer API uses for amounts: "12",
// "-12.5", ".09", "-.5", "+3", and JSON numbers with exponents ("1.5e-3").
// It never rounds: a value with more than MoneyScale significant fractional
// digits, or too large for DECIMAL(18,8), is an error wrapping ErrDecimalRange.
func ParseDecimal(s string) (Decimal, error) {
	d, err := parseDecimal(s)
	if err != nil {
		return 0, fmt.Errorf("parse decimal %q: %w", s, err)
	}
	return d, nil
}

func parseDecimal(s string) (Decimal, error) {
	if s == "" {
		return 0, ErrDecimalSyntax
	}
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	exp := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > 40 || e < -40 {
			return 0, ErrDecimalSyntax
		}
		exp, s = e, s[:i]
	}
	intPart, frac := s, ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		intPart, frac = s[:i], s[i+1:]
	}
	if intPart == "" && frac == "" {
		return 0, ErrDecimalSyntax
	}
	// digits holds every significant digit; the value is digits * 10^(exp-len(frac)).
	var units uint64
	digits := 0 // significant digits accumulated (leading zeros skipped)
	shift := MoneyScale + exp - len(frac)
	acc := func(c byte) error {
		if c < '0' || c > '9' {
			return ErrDecimalSyntax
		}
		if units == 0 && c == '0' {
			return nil
		}
		digits++
		if digits > 19 {
			return ErrDecimalRange
		}
		units = units*10 + uint64(c-'0')
		return nil
	}
	for i := 0; i < len(intPart); i++ {
		if err := acc(intPart[i]); err != nil {
			return 0, err
		}
	}
	for i := 0; i < len(frac); i++ {
		if err := acc(frac[i]); err != nil {
			return 0, err
		}
	}
	for ; shift < 0; shift++ {
		if units%10 != 0 {
			return 0, ErrDecimalRange
		}
		units /= 10
	}
	for ; shift > 0; shift-- {
		if units > maxUnits/10 {
			return 0, ErrDecimalRange
		}
		units *= 10
	}
	if units > maxUnits {
		return 0, ErrDecimalRange
	}
	if neg {
		return Decimal(-int64(units)), nil
	}
	return Decimal(units), nil
}

// MustParseDecimal is ParseDecimal for constants in tests and tables; it
// panics on error.
func MustParseDecimal(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

// Add returns d+e, or an error wrapping ErrDecimalRange when the sum does
// not fit DECIMAL(18,8).
func (d Decimal) Add(e Decimal) (Decimal, error) {
	s := int64(d) + int64(e)
	if (s > 0 && s > maxUnits) || (s < 0 && s < -maxUnits) ||
		(d > 0 && e > 0 && s < 0) || (d < 0 && e < 0 && s > 0) {
		return 0, fmt.Errorf("add %s + %s: %w", d, e, ErrDecimalRange)
	}
	return Decimal(s), nil
}

// Neg returns -d.
func (d Decimal) Neg() Decimal { return -d }

// Sign returns -1, 0 or 1.
func (d Decimal) Sign() int {
	switch {
	case d < 0:
		return -1
	case d > 0:
		return 1
	}
	return 0
}

// String formats d in plain notation with no trailing fractional zeros:
// "0", "12.5", "-0.09".
func (d Decimal) String() string {
	var buf [32]byte
	return string(d.AppendText(buf[:0]))
}

// AppendText appends String's form of d to b.
func (d Decimal) AppendText(b []byte) []byte {
	u := uint64(d)
	if d < 0 {
		b = append(b, '-')
		u = uint64(-int64(d))
		if d == math.MinInt64 {
			u = 1 << 63
		}
	}
	b = strconv.AppendUint(b, u/scaleFactor, 10)
	f := u % scaleFactor
	if f == 0 {
		return b
	}
	var fr [MoneyScale]byte
	for i := MoneyScale - 1; i >= 0; i-- {
		fr[i] = byte('0' + f%10)
		f /= 10
	}
	n := MoneyScale
	for n > 0 && fr[n-1] == '0' {
		n--
	}
	b = append(b, '.')
	return append(b, fr[:n]...)
}

// StringFixed formats d with exactly places fractional digits (places <=
// MoneyScale), truncating nothing: it is for display of values already known
// to have at most that many digits, and falls back to String otherwise.
func (d Decimal) StringFixed(places int) string {
	s := d.String()
	i := strings.IndexByte(s, '.')
	have := 0
	if i >= 0 {
		have = len(s) - i - 1
	}
	if have > places {
		return s
	}
	if i < 0 && places > 0 {
		s += "."
	}
	return s + strings.Repeat("0", places-have)
}

// BigRat returns d as an exact rational, for sums that may exceed int64.
func (d Decimal) BigRat() *big.Rat { return big.NewRat(int64(d), scaleFactor) }

// Sum is an exact, allocation-free accumulator of Decimals: a 128-bit
// two's-complement count of 10^-MoneyScale units, which 2^64 values of any
// size cannot overflow. Use it for every total (an invoice's items, a file,
// a period, an account). The zero value is 0.
type Sum struct {
	lo uint64
	hi int64
}

// Add adds d to s.
func (s *Sum) Add(d Decimal) {
	v := int64(d)
	var carry uint64
	s.lo, carry = bits.Add64(s.lo, uint64(v), 0)
	s.hi += v>>63 + int64(carry) // v>>63 is the sign extension: 0 or -1
}

// AddSum adds t to s.
func (s *Sum) AddSum(t *Sum) {
	var carry uint64
	s.lo, carry = bits.Add64(s.lo, t.lo, 0)
	s.hi += t.hi + int64(carry)
}

// Cmp compares s and t like big.Int.Cmp.
func (s *Sum) Cmp(t *Sum) int {
	switch {
	case s.hi < t.hi:
		return -1
	case s.hi > t.hi:
		return 1
	case s.lo < t.lo:
		return -1
	case s.lo > t.lo:
		return 1
	}
	return 0
}

// Fits reports whether s is a valid DECIMAL(18,8) and returns it.
func (s *Sum) Fits() (Decimal, bool) {
	if (s.hi == 0 && s.lo <= maxUnits) || (s.hi == -1 && s.lo >= uint64(1<<64-maxUnits)) {
		return Decimal(int64(s.lo)), true
	}
	return 0, false
}

// Equal reports whether s equals d.
func (s *Sum) Equal(d Decimal) bool {
	v, ok := s.Fits()
	return ok && v == d
}

// Decimal returns the sum as a Decimal, or an error wrapping ErrDecimalRange.
func (s *Sum) Decimal() (Decimal, error) {
	if d, ok := s.Fits(); ok {
		return d, nil
	}
	return 0, fmt.Errorf("sum %s: %w", s.String(), ErrDecimalRange)
}

// value returns the exact sum as a new big.Int.
func (s *Sum) value() *big.Int {
	v := new(big.Int).Lsh(big.NewInt(s.hi), 64)
	return v.Add(v, new(big.Int).SetUint64(s.lo))
}

// String formats the sum in plain notation like Decimal.String.
func (s *Sum) String() string {
	if d, ok := s.Fits(); ok {
		return d.String()
	}
	v := s.value()
	var q, r big.Int
	abs := new(big.Int).Abs(v)
	q.QuoRem(abs, big.NewInt(scaleFactor), &r)
	out := q.String()
	if r.Sign() != 0 {
		f := fmt.Sprintf("%0*d", MoneyScale, r.Int64())
		out += "." + strings.TrimRight(f, "0")
	}
	if v.Sign() < 0 {
		out = "-" + out
	}
	return out
}

// StringFixed formats s like Decimal.StringFixed when it fits a Decimal,
// and like String otherwise.
func (s *Sum) StringFixed(places int) string {
	if d, ok := s.Fits(); ok {
		return d.StringFixed(places)
	}
	return s.String()
}
