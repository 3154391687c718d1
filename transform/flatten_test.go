package transform

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/invoicelake/invoicelake/schemas"
)

func TestFlattenOrder(t *testing.T) {
	tests := []struct {
		name  string
		items []schemas.InvoiceItem
		want  []shape
	}{
		{"empty", nil, []shape{}},
		{"one top-level", []schemas.InvoiceItem{item(1, 0, "server")}, []shape{{1, 1, 0}}},
		{
			"children listed before their parent",
			[]schemas.InvoiceItem{item(11, 10, "ram"), item(12, 10, "os"), item(10, 0, "server")},
			[]shape{{10, 10, 0}, {11, 10, 1}, {12, 10, 1}},
		},
		{
			"two trees keep input order, descendants depth first",
			[]schemas.InvoiceItem{
				item(5, 0, "guest_core"), item(1, 0, "server"),
				item(2, 1, "ram"), item(3, 2, "ram_usage"), item(6, 5, "guest_disk0"), item(4, 1, "os"),
			},
			[]shape{{5, 5, 0}, {6, 5, 1}, {1, 1, 0}, {2, 1, 1}, {3, 1, 2}, {4, 1, 1}},
		},
		{
			"deep chain",
			[]schemas.InvoiceItem{item(4, 3, "d"), item(3, 2, "c"), item(2, 1, "b"), item(1, 0, "a")},
			[]shape{{1, 1, 0}, {2, 1, 1}, {3, 1, 2}, {4, 1, 3}},
		},
		{
			"negative and zero ids are ids like any other",
			[]schemas.InvoiceItem{item(-3, 0, "a"), {ID: 0, InvoiceID: 7, ParentID: i64(-3)}},
			[]shape{{-3, -3, 0}, {0, -3, 1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := Flatten(7, tt.items)
			if err != nil {
				t.Fatalf("Flatten: %v", err)
			}
			if diff := cmp.Diff(tt.want, shapes(rows)); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFlattenErrors(t *testing.T) {
	foreign := item(2, 1, "ram")
	foreign.InvoiceID = 8
	tests := []struct {
		name     string
		items    []schemas.InvoiceItem
		sentinel error
		want     HierarchyError
	}{
		{
			"orphan", []schemas.InvoiceItem{item(1, 0, "server"), item(2, 99, "ram")},
			ErrOrphanItem, HierarchyError{Kind: Orphan, InvoiceID: 7, ItemID: 2, ParentID: 99},
		},
		{
			"duplicate id", []schemas.InvoiceItem{item(1, 0, "server"), item(2, 1, "ram"), item(2, 1, "os")},
			ErrDuplicateItem, HierarchyError{Kind: Duplicate, InvoiceID: 7, ItemID: 2},
		},
		{
			"self parent", []schemas.InvoiceItem{item(1, 0, "server"), item(2, 2, "ram")},
			ErrItemCycle, HierarchyError{Kind: Cycle, InvoiceID: 7, ItemID: 2, Cycle: []int64{2}},
		},
		{
			"cycle of three with a tail below it",
			[]schemas.InvoiceItem{item(1, 0, "server"), item(9, 4, "tail"), item(2, 4, "a"), item(3, 2, "b"), item(4, 3, "c")},
			ErrItemCycle, HierarchyError{Kind: Cycle, InvoiceID: 7, ItemID: 2, Cycle: []int64{2, 4, 3}},
		},
		{
			"item of another invoice", []schemas.InvoiceItem{item(1, 0, "server"), foreign},
			ErrForeignItem, HierarchyError{Kind: Foreign, InvoiceID: 7, ItemID: 2, Other: 8},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := Flatten(7, tt.items)
			if !errors.Is(err, tt.sentinel) {
				t.Fatalf("got rows %v, error %v; want %v", shapes(rows), err, tt.sentinel)
			}
			var he *HierarchyError
			if !errors.As(err, &he) {
				t.Fatalf("got %T, want *HierarchyError", err)
			}
			if diff := cmp.Diff(tt.want, *he); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFlattenErrorMessage(t *testing.T) {
	_, err := Flatten(7, []schemas.InvoiceItem{item(2, 4, "a"), item(3, 2, "b"), item(4, 3, "c")})
	want := "transform: invoice 7 item 2: item hierarchy has a cycle (2 -> 4 -> 3 -> 2)"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestFlattenRowFields(t *testing.T) {
	cd := mustTime("2024-03-31T23:30:00-05:00")
	top := schemas.InvoiceItem{
		ID: 10, InvoiceID: 7, CategoryCode: "server", CategoryName: str("Server"),
		Description: "Dual Xeon", HostName: str("db1"), DomainName: str("example.com"), Location: str("dal10"),
		ResourceTableID: i64(555), BillingItemID: i64(900), CreateDate: &cd,
		RecurringFee: dec("100.10"), HourlyRecurringFee: dec("0.139"), OneTimeFee: dec("1"),
		SetupFee: dec("2"), LaborFee: dec("3"), RecurringTaxAmount: dec("10.01"),
		OneTimeTaxAmount: dec("0.1"), SetupTaxAmount: dec("0.2"), LaborTaxAmount: dec("0.3"),
	}
	child := schemas.InvoiceItem{ID: 11, ParentID: i64(10), CategoryCode: "ram", ResourceTableID: i64(777),
		RecurringFee: dec("-0.00000001")}
	rows, err := Flatten(7, []schemas.InvoiceItem{child, top})
	if err != nil {
		t.Fatal(err)
	}
	utc := cd.UTC()
	want := []schemas.ItemRow{
		{
			InvoiceID: 7, ItemID: 10, TopLevelItemID: 10, Depth: 0, CategoryCode: "server", CategoryName: str("Server"),
			ResourceID: i64(555), BillingItemID: i64(900), Description: "Dual Xeon", HostName: str("db1"),
			DomainName: str("example.com"), Location: str("dal10"),
			RecurringFee: dec("100.10"), HourlyRecurringFee: dec("0.139"), OneTimeFee: dec("1"),
			SetupFee: dec("2"), LaborFee: dec("3"), RecurringTaxAmount: dec("10.01"),
			OneTimeTaxAmount: dec("0.1"), SetupTaxAmount: dec("0.2"), LaborTaxAmount: dec("0.3"),
			// 100.10+1+2+3+10.01+0.1+0.2+0.3; the hourly rate is not an amount.
			TotalAmount: schemas.MustParseDecimal("116.71"),
			CreateDate:  &utc,
			// an hourly rate: Usage; no category map: no service name
			RollupItemID: 10, ChargeCategory: str("Usage"), ChargeFrequency: str("Usage-Based"),
		},
		{
			InvoiceID: 7, ItemID: 11, ParentItemID: i64(10), TopLevelItemID: 10, Depth: 1, CategoryCode: "ram",
			ResourceID:   i64(555), // the top-level item's, not its own
			RecurringFee: dec("-0.00000001"), TotalAmount: schemas.MustParseDecimal("-0.00000001"),
			RollupItemID: 10, ChargeCategory: str("Credit"), ChargeFrequency: str("One-Time"), // negative
		},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if loc := rows[0].CreateDate.Location(); loc != time.UTC {
		t.Errorf("got create_date location %v, want UTC", loc)
	}
	if !rows[0].CreateDate.Equal(cd) {
		t.Errorf("got create_date %v, want the instant %v", rows[0].CreateDate, cd)
	}
}

func TestFlattenTotalOutOfRange(t *testing.T) {
	it := item(1, 0, "server")
	it.RecurringFee = dec("9999999999.99999999")
	it.RecurringTaxAmount = dec("0.00000001")
	_, err := Flatten(7, []schemas.InvoiceItem{it})
	if !errors.Is(err, schemas.ErrDecimalRange) {
		t.Errorf("got %v, want ErrDecimalRange", err)
	}
}

// checkRows verifies the invariants of Flatten's output against its input.
func checkRows(t *testing.T, items []schemas.InvoiceItem, rows []schemas.ItemRow) {
	t.Helper()
	if len(rows) != len(items) {
		t.Fatalf("got %d rows, want %d", len(rows), len(items))
	}
	seen := make(map[int64]schemas.ItemRow, len(rows))
	for i, r := range rows {
		if r.ParentItemID == nil {
			if r.Depth != 0 || r.TopLevelItemID != r.ItemID {
				t.Fatalf("row %d: top-level item %d got depth %d top %d, want 0 and itself", i, r.ItemID, r.Depth, r.TopLevelItemID)
			}
		} else {
			p, ok := seen[*r.ParentItemID]
			if !ok {
				t.Fatalf("row %d: item %d comes before its parent %d", i, r.ItemID, *r.ParentItemID)
			}
			if r.Depth != p.Depth+1 || r.TopLevelItemID != p.TopLevelItemID {
				t.Fatalf("row %d: item %d got depth %d top %d, want %d and %d", i, r.ItemID, r.Depth, r.TopLevelItemID, p.Depth+1, p.TopLevelItemID)
			}
		}
		if _, dup := seen[r.ItemID]; dup {
			t.Fatalf("row %d: item %d twice", i, r.ItemID)
		}
		seen[r.ItemID] = r
	}
}

// randomItems builds n items whose parents are drawn from a small id space,
// so duplicates, orphans and cycles all occur.
func randomItems(r *rand.Rand, n int) []schemas.InvoiceItem {
	items := make([]schemas.InvoiceItem, n)
	for i := range items {
		items[i] = schemas.InvoiceItem{ID: int64(r.IntN(2*n + 1)), InvoiceID: 7, CategoryCode: "c"}
		if r.IntN(4) != 0 {
			items[i].ParentID = i64(int64(r.IntN(2*n + 1)))
		}
	}
	return items
}

// validItems builds a random forest of n items in shuffled order.
func validItems(r *rand.Rand, n int) []schemas.InvoiceItem {
	items := make([]schemas.InvoiceItem, n)
	for i := range items {
		items[i] = schemas.InvoiceItem{ID: int64(1000 + i), InvoiceID: 7, CategoryCode: "c"}
		if i > 0 && r.IntN(5) != 0 {
			items[i].ParentID = i64(int64(1000 + r.IntN(i)))
		}
	}
	r.Shuffle(n, func(i, j int) { items[i], items[j] = items[j], items[i] })
	return items
}

func TestFlattenRandomForests(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		items := validItems(r, 1+r.IntN(60))
		rows, err := Flatten(7, items)
		if err != nil {
			t.Fatalf("Flatten of a valid forest: %v", err)
		}
		checkRows(t, items, rows)
	}
}

func TestFlattenRandomHierarchies(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	kinds := map[HierarchyKind]int{}
	ok := 0
	for range 2000 {
		items := randomItems(r, 1+r.IntN(12))
		rows, err := Flatten(7, items)
		var he *HierarchyError
		switch {
		case err == nil:
			ok++
			checkRows(t, items, rows)
		case errors.As(err, &he):
			kinds[he.Kind]++
		default:
			t.Fatalf("got %v, want rows or a *HierarchyError", err)
		}
	}
	// The generator must exercise every outcome, or this test proves little.
	for _, k := range []HierarchyKind{Orphan, Cycle, Duplicate} {
		if kinds[k] == 0 {
			t.Errorf("got no %v errors in 2000 random hierarchies, want some", k.sentinel())
		}
	}
	if ok == 0 {
		t.Errorf("got no valid hierarchy in 2000 random ones, want some")
	}
}

// FuzzFlatten decodes the input as (id, parent) byte pairs: parent 0 is
// top-level. Flatten must return rows satisfying the invariants or a
// *HierarchyError, never panic or hang.
func FuzzFlatten(f *testing.F) {
	f.Add([]byte{1, 0, 2, 1, 3, 2})
	f.Add([]byte{1, 0, 2, 3, 3, 2})
	f.Add([]byte{1, 0, 1, 0})
	f.Add([]byte{1, 9})
	f.Add([]byte{5, 5})
	f.Fuzz(func(t *testing.T, data []byte) {
		items := make([]schemas.InvoiceItem, 0, len(data)/2)
		for i := 0; i+1 < len(data); i += 2 {
			it := schemas.InvoiceItem{ID: int64(data[i]), InvoiceID: 7}
			if data[i+1] != 0 {
				it.ParentID = i64(int64(data[i+1]))
			}
			items = append(items, it)
		}
		rows, err := Flatten(7, items)
		if err != nil {
			var he *HierarchyError
			if !errors.As(err, &he) {
				t.Fatalf("got %v, want a *HierarchyError", err)
			}
			return
		}
		checkRows(t, items, rows)
	})
}
