package schemas

import (
	"errors"
	"testing"
)

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"0", "0"},
		{".09", "0.09"},
		{"-12.5", "-12.5"},
		{"-.5", "-0.5"},
		{"+3", "3"},
		{"250.26", "250.26"},
		{"264111.3", "264111.3"},
		{"5.2367", "5.2367"},
		{"0.00000001", "0.00000001"},
		{"1.5e-3", "0.0015"},
		{"1.50000000000", "1.5"},
		{"1E2", "100"},
		{"9999999999.99999999", "9999999999.99999999"},
		{"-9999999999.99999999", "-9999999999.99999999"},
		{"000012.3400", "12.34"},
	}
	for _, tt := range tests {
		d, err := ParseDecimal(tt.in)
		if err != nil {
			t.Errorf("ParseDecimal(%q): %v", tt.in, err)
			continue
		}
		if got := d.String(); got != tt.want {
			t.Errorf("ParseDecimal(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestParseDecimalErrors(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"", ErrDecimalSyntax},
		{".", ErrDecimalSyntax},
		{"-", ErrDecimalSyntax},
		{"1.2.3", ErrDecimalSyntax},
		{"abc", ErrDecimalSyntax},
		{"1,5", ErrDecimalSyntax},
		{"0.000000001", ErrDecimalRange},
		{"10000000000", ErrDecimalRange},
		{"1e10", ErrDecimalRange},
		{"12345678901234567890123", ErrDecimalRange},
	}
	for _, tt := range tests {
		_, err := ParseDecimal(tt.in)
		if !errors.Is(err, tt.want) {
			t.Errorf("ParseDecimal(%q) error = %v, want %v", tt.in, err, tt.want)
		}
	}
}

func TestDecimalAddAndSum(t *testing.T) {
	a, b := MustParseDecimal("0.1"), MustParseDecimal("0.2")
	got, err := a.Add(b)
	if err != nil || got.String() != "0.3" {
		t.Fatalf("0.1+0.2 = %s, %v; want 0.3", got, err)
	}
	max := MustParseDecimal("9999999999.99999999")
	if _, err := max.Add(MustParseDecimal("0.00000001")); !errors.Is(err, ErrDecimalRange) {
		t.Errorf("max+1 unit: error = %v, want ErrDecimalRange", err)
	}
	var s Sum
	for range 3 {
		s.Add(max)
	}
	s.Add(MustParseDecimal("-.5"))
	if got, want := s.String(), "29999999999.49999997"; got != want {
		t.Errorf("Sum = %s, want %s", got, want)
	}
	if _, err := s.Decimal(); !errors.Is(err, ErrDecimalRange) {
		t.Errorf("Sum.Decimal() error = %v, want ErrDecimalRange", err)
	}
}

func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"0", ".09", "-12.5", "1e3", "9999999999.99999999", "abc", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDecimal(s)
		if err != nil {
			return
		}
		// Round trip: the canonical form parses back to the same value.
		back, err := ParseDecimal(d.String())
		if err != nil || back != d {
			t.Fatalf("round trip %q -> %s -> %v, %v", s, d, back, err)
		}
	})
}

func TestSumCarriesPastInt64(t *testing.T) {
	// 2^63-1 units is about 9.2e10 dollars: add the largest DECIMAL(18,8)
	// value 20 times (2e11 dollars) and subtract it back, both ways round.
	max := MustParseDecimal("9999999999.99999999")
	var up, mixed, other Sum
	for range 20 {
		up.Add(max)
		mixed.Add(max)
		mixed.Add(MustParseDecimal("-0.00000001"))
	}
	if got, want := up.String(), "199999999999.9999998"; got != want {
		t.Errorf("20 x max = %s, want %s", got, want)
	}
	if got, want := mixed.String(), "199999999999.9999996"; got != want {
		t.Errorf("mixed = %s, want %s", got, want)
	}
	for range 20 {
		up.Add(max.Neg())
	}
	if got := up.String(); got != "0" {
		t.Errorf("back down = %s, want 0", got)
	}
	if up.Cmp(&other) != 0 {
		t.Errorf("Cmp(0 with carry, 0) != 0")
	}
	other.Add(MustParseDecimal("1"))
	other.AddSum(&mixed)
	if got, want := other.String(), "200000000000.9999996"; got != want {
		t.Errorf("AddSum = %s, want %s", got, want)
	}
	if other.Cmp(&mixed) != 1 || mixed.Cmp(&other) != -1 {
		t.Errorf("Cmp across the carry is wrong")
	}
	if d, err := up.Decimal(); err != nil || d != 0 {
		t.Errorf("Decimal() = %v, %v", d, err)
	}
}

func BenchmarkSumAdd(b *testing.B) {
	d := MustParseDecimal("12.34")
	var s Sum
	b.ReportAllocs()
	for b.Loop() {
		s.Add(d)
	}
}
