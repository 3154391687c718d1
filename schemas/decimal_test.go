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
