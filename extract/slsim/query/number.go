package query

import (
	"math/big"
	"strconv"

	"github.com/invoicelake/invoicelake/schemas"
)

// number is an exact decimal: a schemas.Decimal when the value fits
// DECIMAL(18,8) exactly (the fast, allocation-free case), else a big.Rat.
// Never float64.
type number struct {
	kind numKind
	dec  schemas.Decimal
	rat  *big.Rat
}

type numKind uint8

const (
	numNone numKind = iota // not a number
	numDec
	numRat
)

// maxExp bounds the exponent of a number so that "1e999999999" cannot make
// big.Rat allocate gigabytes.
const maxExp = 400

// maxNumberLen bounds the text of a number, so a megabyte of digits in a
// filter costs no quadratic big.Rat parse; longer text compares as a string.
const maxNumberLen = 1000

// intDecLimit is the largest |i| whose value in 1e-8 units fits an int64.
const intDecLimit = 92_233_720_368

func numberFromInt(i int64) number {
	if i >= -intDecLimit && i <= intDecLimit {
		return number{kind: numDec, dec: schemas.DecimalFromUnits(i * 100_000_000)}
	}
	return number{kind: numRat, rat: new(big.Rat).SetInt64(i)}
}

// parseNumber parses a decimal literal: [+-]digits[.digits][e[+-]digits],
// also ".5" and "5.". Anything else (hex, fractions "1/3", "Inf", spaces) is
// not a number.
func parseNumber(s string) number {
	if !isDecimalLiteral(s) {
		return number{}
	}
	if d, err := schemas.ParseDecimal(s); err == nil {
		return number{kind: numDec, dec: d}
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return number{}
	}
	return number{kind: numRat, rat: r}
}

func isDecimalLiteral(s string) bool {
	if len(s) > maxNumberLen {
		return false
	}
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	mant := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
		mant++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
			mant++
		}
	}
	if mant == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > maxExp || e < -maxExp {
			return false
		}
		return true
	}
	return i == len(s)
}

func (n number) toRat() *big.Rat {
	if n.kind == numRat {
		return n.rat
	}
	return new(big.Rat).SetFrac64(n.dec.Units(), 100_000_000)
}

// cmpNumber compares two numbers (both kind != numNone) exactly.
func cmpNumber(a, b number) int {
	if a.kind == numDec && b.kind == numDec {
		switch {
		case a.dec < b.dec:
			return -1
		case a.dec > b.dec:
			return 1
		}
		return 0
	}
	return a.toRat().Cmp(b.toRat())
}
