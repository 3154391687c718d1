package extract

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/invoicelake/invoicelake/schemas"
)

// The baseline for the hand-written decoder (docs/BENCHMARKS.md): the same
// pages through encoding/json into a mirror of schemas.InvoiceItem, with
// amounts decoded exactly from their strings (never float64), as ours.

// jsonDecimal is an amount from a JSON string or number, exact.
type jsonDecimal struct{ d *schemas.Decimal }

func (j *jsonDecimal) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	d, err := schemas.ParseDecimal(string(bytes.Trim(b, `"`)))
	if err != nil {
		return err
	}
	j.d = &d
	return nil
}

type jsonNamed struct {
	Name *string `json:"name"`
}

// jsonItem mirrors the item properties we request.
type jsonItem struct {
	ID                      int64       `json:"id"`
	InvoiceID               int64       `json:"invoiceId"`
	ParentID                *int64      `json:"parentId"`
	BillingItemID           *int64      `json:"billingItemId"`
	AssociatedInvoiceItemID *int64      `json:"associatedInvoiceItemId"`
	ResourceTableID         *int64      `json:"resourceTableId"`
	ProductItemID           *int64      `json:"productItemId"`
	CategoryCode            string      `json:"categoryCode"`
	Category                *jsonNamed  `json:"category"`
	Description             string      `json:"description"`
	HostName                *string     `json:"hostName"`
	DomainName              *string     `json:"domainName"`
	Location                *jsonNamed  `json:"location"`
	CreateDate              *time.Time  `json:"createDate"`
	RecurringFee            jsonDecimal `json:"recurringFee"`
	HourlyRecurringFee      jsonDecimal `json:"hourlyRecurringFee"`
	OneTimeFee              jsonDecimal `json:"oneTimeFee"`
	SetupFee                jsonDecimal `json:"setupFee"`
	LaborFee                jsonDecimal `json:"laborFee"`
	RecurringTaxAmount      jsonDecimal `json:"recurringTaxAmount"`
	OneTimeTaxAmount        jsonDecimal `json:"oneTimeTaxAmount"`
	SetupTaxAmount          jsonDecimal `json:"setupTaxAmount"`
	LaborTaxAmount          jsonDecimal `json:"laborTaxAmount"`
	RecurringAfterTaxAmount jsonDecimal `json:"recurringAfterTaxAmount"`
	OneTimeAfterTaxAmount   jsonDecimal `json:"oneTimeAfterTaxAmount"`
	SetupAfterTaxAmount     jsonDecimal `json:"setupAfterTaxAmount"`
	LaborAfterTaxAmount     jsonDecimal `json:"laborAfterTaxAmount"`
}

func (j *jsonItem) item() schemas.InvoiceItem {
	it := schemas.InvoiceItem{ID: j.ID, InvoiceID: j.InvoiceID, ParentID: j.ParentID, BillingItemID: j.BillingItemID,
		AssociatedInvoiceItemID: j.AssociatedInvoiceItemID, ResourceTableID: j.ResourceTableID, ProductItemID: j.ProductItemID,
		CategoryCode: j.CategoryCode, Description: j.Description, HostName: j.HostName, DomainName: j.DomainName,
		CreateDate: j.CreateDate, RecurringFee: j.RecurringFee.d, HourlyRecurringFee: j.HourlyRecurringFee.d,
		OneTimeFee: j.OneTimeFee.d, SetupFee: j.SetupFee.d, LaborFee: j.LaborFee.d,
		RecurringTaxAmount: j.RecurringTaxAmount.d, OneTimeTaxAmount: j.OneTimeTaxAmount.d,
		SetupTaxAmount: j.SetupTaxAmount.d, LaborTaxAmount: j.LaborTaxAmount.d,
		RecurringAfterTaxAmount: j.RecurringAfterTaxAmount.d, OneTimeAfterTaxAmount: j.OneTimeAfterTaxAmount.d,
		SetupAfterTaxAmount: j.SetupAfterTaxAmount.d, LaborAfterTaxAmount: j.LaborAfterTaxAmount.d}
	if j.Category != nil {
		it.CategoryName = j.Category.Name
	}
	if j.Location != nil {
		it.Location = j.Location.Name
	}
	return it
}

// benchItemsPage is one page of 100 realistic items.
func benchItemsPage() []byte {
	one := `{"id":123456789,"invoiceId":987654,"parentId":123456700,"billingItemId":55555555,"associatedInvoiceItemId":null,` +
		`"resourceTableId":4444444,"productItemId":1234,"categoryCode":"guest_core","category":{"name":"Computing Instance"},` +
		`"description":"2 x 2.0 GHz or higher Cores","hostName":"web-01","domainName":"example.com","location":{"name":"dal10"},` +
		`"createDate":"2024-03-01T00:12:34-06:00","recurringFee":"54.25","hourlyRecurringFee":".075","oneTimeFee":"0","setupFee":"0",` +
		`"laborFee":"0","recurringTaxAmount":"4.34","oneTimeTaxAmount":"0","setupTaxAmount":"0","laborTaxAmount":"0",` +
		`"recurringAfterTaxAmount":"58.59","oneTimeAfterTaxAmount":"0","setupAfterTaxAmount":"0","laborAfterTaxAmount":"0"}`
	return []byte("[" + strings.TrimSuffix(strings.Repeat(one+",", 100), ",") + "]")
}

// The baseline decodes what ours decodes.
func TestStdlibBaselineSameItems(t *testing.T) {
	body := benchItemsPage()
	ours, err := decodeItems(body, 987654, nil)
	if err != nil {
		t.Fatal(err)
	}
	var js []jsonItem
	if err := json.Unmarshal(body, &js); err != nil {
		t.Fatal(err)
	}
	if len(js) != len(ours) {
		t.Fatalf("got %d items, want %d", len(js), len(ours))
	}
	for i := range js {
		if got, want := js[i].item(), ours[i]; !itemsEqual(&got, &want) {
			t.Fatalf("item %d: encoding/json %+v, ours %+v", i, got, want)
		}
	}
}

func itemsEqual(a, b *schemas.InvoiceItem) bool {
	ca, cb := cloneItem(a), cloneItem(b)
	ca.CreateDate, cb.CreateDate = nil, nil
	same := a.CreateDate.Equal(*b.CreateDate)
	return same && reflect.DeepEqual(ca, cb)
}

func BenchmarkDecodeItemsStdlib(b *testing.B) {
	body := benchItemsPage()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var dst []schemas.InvoiceItem
	for b.Loop() {
		var js []jsonItem
		if err := json.Unmarshal(body, &js); err != nil || len(js) != 100 {
			b.Fatalf("got %d, %v", len(js), err)
		}
		dst = dst[:0]
		for i := range js {
			dst = append(dst, js[i].item())
		}
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "items/s")
}
