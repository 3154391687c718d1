package extract

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/invoicelake/invoicelake/schemas"
)

// leafFields lists the paths of the leaf fields of struct type rt
// (nested structs such as Invoice.Contact are walked into; time.Time is a
// leaf).
func leafFields(rt reflect.Type, prefix string) []string {
	var out []string
	for i := range rt.NumField() {
		f := rt.Field(i)
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(time.Time{}) {
			out = append(out, leafFields(f.Type, prefix+f.Name+".")...)
			continue
		}
		out = append(out, prefix+f.Name)
	}
	return out
}

// changed lists the leaf fields of a that differ from b.
func changed(a, b reflect.Value, prefix string) []string {
	var out []string
	for i := range a.NumField() {
		f := a.Type().Field(i)
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(time.Time{}) {
			out = append(out, changed(a.Field(i), b.Field(i), prefix+f.Name+".")...)
			continue
		}
		if !reflect.DeepEqual(a.Field(i).Interface(), b.Field(i).Interface()) {
			out = append(out, prefix+f.Name)
		}
	}
	return out
}

// setOne sets field f of v to a non-zero value through its accessor.
func setOne[T any](f *field[T], v *T) {
	one := int64(7)
	d := schemas.DecimalFromUnits(7)
	s := "x"
	tm := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	switch f.kind {
	case kindInt:
		*f.i(v) = one
	case kindIntPtr:
		*f.ip(v) = &one
	case kindDecimal:
		*f.d(v) = &d
	case kindString:
		*f.s(v) = s
	case kindStringPtr, kindNamed:
		*f.sp(v) = &s
	case kindTime:
		*f.t(v) = &tm
	case kindTimeValue:
		*f.tv(v) = tm
	case kindBool:
		b := true
		*f.b(v) = &b
	case kindList:
		l := lexer{data: []byte("[{}]")}
		if err := f.list(&l, &fieldErr{}, v); err != nil {
			panic(err)
		}
	}
}

// leaves flattens a list: an object's properties stand for it.
func leaves[T any](fl *fieldList[T]) []*field[T] {
	var out []*field[T]
	for i := range fl.fields {
		if f := &fl.fields[i]; f.kind == kindObject {
			out = append(out, leaves(f.sub)...)
		} else {
			out = append(out, f)
		}
	}
	return out
}

// checkCovers fails unless each field of fl sets exactly one leaf field of
// T and together they set every leaf field once.
func checkCovers[T any](t *testing.T, fl *fieldList[T]) {
	t.Helper()
	var zero T
	owner := map[string]string{}
	for _, f := range leaves(fl) {
		var v T
		setOne(f, &v)
		got := changed(reflect.ValueOf(v), reflect.ValueOf(zero), "")
		if len(got) != 1 {
			t.Errorf("%T property %s sets fields %v, want exactly one", zero, f.label, got)
			continue
		}
		if prev, dup := owner[got[0]]; dup {
			t.Errorf("%T field %s is set by both %s and %s", zero, got[0], prev, f.label)
		}
		owner[got[0]] = f.label
	}
	for _, leaf := range leafFields(reflect.TypeOf(zero), "") {
		if _, ok := owner[leaf]; !ok {
			t.Errorf("%T field %s is in no property list: the mask, decoder and spill would miss it", zero, leaf)
		}
	}
}

func TestFieldListsCoverStructs(t *testing.T) {
	checkCovers(t, itemFields)
	checkCovers(t, invoiceFields)
	checkCovers(t, paymentFields)
	for _, tc := range []struct {
		mask  string
		names []string
	}{
		{ItemMask, maskNames(itemFields)},
		{InvoiceMask, maskNames(invoiceFields)},
	} {
		if diff := cmp.Diff("mask["+strings.Join(tc.names, ",")+"]", tc.mask); diff != "" {
			t.Errorf("mask (-fields +mask):\n%s", diff)
		}
	}
	// Nested levels name their properties in brackets.
	for _, want := range []string{"localCurrencyExchangeRate[rate,localCurrency[keyName]]", "taxType[keyName]",
		"taxInfo[totalTaxAmountToCurrency,reportedFlag]", "payments[amount,createDate,typeCode]"} {
		if !strings.Contains(InvoiceMask, ","+want) {
			t.Errorf("InvoiceMask %s lacks %s", InvoiceMask, want)
		}
	}
}

func maskNames[T any](fl *fieldList[T]) []string {
	var out []string
	for i := range fl.fields {
		out = append(out, fl.fields[i].maskName())
	}
	return out
}

// fullItem sets every field of an item, found by reflection, so that a
// field added to schemas.InvoiceItem is exercised without editing the test.
func fullItem() schemas.InvoiceItem {
	var it schemas.InvoiceItem
	v := reflect.ValueOf(&it).Elem()
	n := int64(11)
	for i := range v.NumField() {
		f := v.Field(i)
		n++
		switch p := f.Addr().Interface().(type) {
		case *int64:
			*p = n
		case **int64:
			x := n
			*p = &x
		case *string:
			*p = "s" + v.Type().Field(i).Name
		case **string:
			x := "p" + v.Type().Field(i).Name
			*p = &x
		case **schemas.Decimal:
			x := schemas.DecimalFromUnits(n * 1000003)
			*p = &x
		case **time.Time:
			x := time.Date(2024, 3, 1, 2, 3, int(n), 0, time.FixedZone("", -6*3600))
			*p = &x
		default:
			panic("fullItem: add a case for " + f.Type().String())
		}
	}
	return it
}

// Every field survives the spill; Keys keeps exactly the keys fields.
func TestSpillEveryField(t *testing.T) {
	it := fullItem()
	it.InvoiceID = 7
	w := newSpillWriter(7, t.TempDir())
	if err := w.add(&it); err != nil {
		t.Fatal(err)
	}
	s, err := w.finish()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for got, err := range s.Items() {
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(it, *got, sameInstant); diff != "" {
			t.Errorf("spill round trip (-want +got):\n%s", diff)
		}
	}
	want := it
	for i := range itemFields.fields {
		if f := &itemFields.fields[i]; !f.keys {
			var zero schemas.InvoiceItem
			switch f.kind {
			case kindString:
				*f.s(&want) = *f.s(&zero)
			case kindStringPtr, kindNamed:
				*f.sp(&want) = nil
			default:
				t.Fatalf("property %s of kind %d is not in the keys pass; Keys would drop it", f.name, f.kind)
			}
		}
	}
	for got, err := range s.Keys() {
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, *got, sameInstant); diff != "" {
			t.Errorf("Keys (-want +got):\n%s", diff)
		}
	}
}
