package transform

import (
	"fmt"
	"math/big"
	"math/bits"

	"github.com/invoicelake/invoicelake/schemas"
)

// maxUnits is the largest magnitude DECIMAL(18,8) holds, in 1e-8 units.
const maxUnits = 999_999_999_999_999_999

// sum128 is an exact, allocation-free accumulator of Decimals: a 128-bit
// two's-complement integer of 1e-8 units, which 2^64 values of any size
// cannot overflow.
type sum128 struct {
	lo uint64
	hi int64
}

func (s *sum128) add(d schemas.Decimal) {
	v := int64(d)
	var carry uint64
	s.lo, carry = bits.Add64(s.lo, uint64(v), 0)
	s.hi += v>>63 + int64(carry) // v>>63 is the sign extension: 0 or -1
}

func (s *sum128) addSum(t sum128) {
	var carry uint64
	s.lo, carry = bits.Add64(s.lo, t.lo, 0)
	s.hi += t.hi + int64(carry)
}

// fits reports whether s is a valid DECIMAL(18,8) and returns it.
func (s sum128) fits() (schemas.Decimal, bool) {
	if (s.hi == 0 && s.lo <= maxUnits) || (s.hi == -1 && s.lo >= uint64(1<<64-maxUnits)) {
		return schemas.DecimalFromUnits(int64(s.lo)), true
	}
	return 0, false
}

// decimal returns s, or an error wrapping schemas.ErrDecimalRange.
func (s sum128) decimal() (schemas.Decimal, error) {
	if d, ok := s.fits(); ok {
		return d, nil
	}
	return 0, fmt.Errorf("sum %s: %w", s, schemas.ErrDecimalRange)
}

// equal reports whether s equals d.
func (s sum128) equal(d schemas.Decimal) bool {
	v, ok := s.fits()
	return ok && v == d
}

// String formats s like schemas.Decimal.StringFixed(2).
func (s sum128) String() string {
	if d, ok := s.fits(); ok {
		return d.StringFixed(2)
	}
	v := new(big.Int).Lsh(big.NewInt(s.hi), 64)
	v.Add(v, new(big.Int).SetUint64(s.lo))
	r := new(big.Rat).SetFrac(v, big.NewInt(100_000_000))
	return r.FloatString(schemas.MoneyScale)
}
