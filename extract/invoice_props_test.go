package extract

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/invoicelake/invoicelake/extract/slsim"
	"github.com/invoicelake/invoicelake/schemas"
)

func bp(b bool) *bool { return &b }

// TestDecodeInvoiceProperties decodes the datatype's remaining properties
// as the simulator writes them (nested objects, a relational array).
func TestDecodeInvoiceProperties(t *testing.T) {
	body := `[{"id":5,"createDate":"2025-03-04T00:17:07-06:00","claimedTaxExemptTxFlag":false,
	"documentsGeneratedFlag":true,"purchaseOrderNumber":"PO-2025-1234","taxStatusId":6,"taxTypeId":6,
	"amount":"24043.3147","payment":"24043.3147","paymentCount":1,"detailedPdfGeneratedFlag":true,
	"sellerRegistration":"US-TX-32-0000000","taxMessage":"Sales tax \/ VAT","taxType":{"id":6,"keyName":"SALES_TAX","name":"Sales Tax"},
	"localCurrencyExchangeRate":{"id":1,"rate":"1.0123","localCurrency":{"id":17,"keyName":"EUR","name":"Euro"},"fundingCurrency":{"keyName":"USD"}},
	"taxInfo":{"id":9,"totalTaxAmountToCurrency":"623.34","reportedFlag":true,"currency":{"keyName":"EUR"}},
	"payments":[{"amount":"24043.3147","createDate":"2025-03-14T10:00:00-05:00","invoiceId":5,"typeCode":"CREDIT_CARD"},null]}]`
	got, err := decodeInvoices([]byte(body), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := schemas.Invoice{ID: 5, CreateDate: *tm("2025-03-04T00:17:07-06:00"),
		ClaimedTaxExemptTxFlag: bp(false), DocumentsGeneratedFlag: bp(true), DetailedPdfGeneratedFlag: bp(true),
		PurchaseOrderNumber: str("PO-2025-1234"), TaxStatusID: i64(6), TaxTypeID: i64(6),
		Amount: dec("24043.3147"), Payment: dec("24043.3147"), PaymentCount: i64(1),
		SellerRegistration: str("US-TX-32-0000000"), TaxMessage: str("Sales tax / VAT"), TaxType: str("SALES_TAX"),
		ExchangeRate: dec("1.0123"), LocalCurrency: str("EUR"), TaxInfoTaxAmount: dec("623.34"), TaxInfoReported: bp(true),
		Payments: []schemas.Payment{{Amount: dec("24043.3147"), CreateDate: tm("2025-03-14T10:00:00-05:00"), TypeCode: "CREDIT_CARD"}},
	}
	if diff := cmp.Diff([]schemas.Invoice{want}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestDecodeInvoicePropertiesTolerant: missing, null and [] mean nothing; a
// bare object stands for a one-element array and a one-element array for
// an object; flags may be 1/0.
func TestDecodeInvoicePropertiesTolerant(t *testing.T) {
	for _, tc := range []struct {
		name, props string
		check       func(*schemas.Invoice) bool
	}{
		{"null objects", `"taxType":null,"localCurrencyExchangeRate":null,"payments":null`, func(v *schemas.Invoice) bool {
			return v.TaxType == nil && v.ExchangeRate == nil && v.Payments == nil
		}},
		{"empty arrays", `"taxType":[],"taxInfo":[],"payments":[]`, func(v *schemas.Invoice) bool {
			return v.TaxType == nil && v.TaxInfoTaxAmount == nil && len(v.Payments) == 0
		}},
		{"bare payment object", `"payments":{"amount":"1","typeCode":"WIRE"}`, func(v *schemas.Invoice) bool {
			return len(v.Payments) == 1 && v.Payments[0].TypeCode == "WIRE"
		}},
		{"object in an array", `"taxType":[{"keyName":"VAT"}]`, func(v *schemas.Invoice) bool { return *v.TaxType == "VAT" }},
		{"flags as numbers", `"documentsGeneratedFlag":1,"claimedTaxExemptTxFlag":"0"`, func(v *schemas.Invoice) bool {
			return *v.DocumentsGeneratedFlag && !*v.ClaimedTaxExemptTxFlag
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeInvoices([]byte(`{"id":5,"createDate":"2025-03-04T00:17:07-06:00",`+tc.props+`}`), nil)
			if err != nil || len(got) != 1 || !tc.check(&got[0]) {
				t.Errorf("got %+v, %v", got, err)
			}
		})
	}
}

// TestDecodeInvoicePropertyErrors: a nested value that cannot be decoded is
// a permanent DecodeError naming the invoice and the path of the property.
func TestDecodeInvoicePropertyErrors(t *testing.T) {
	for _, tc := range []struct{ props, field string }{
		{`"localCurrencyExchangeRate":{"rate":"abc"}`, "localCurrencyExchangeRate.rate"},
		{`"localCurrencyExchangeRate":{"localCurrency":"EUR"}`, "localCurrencyExchangeRate.localCurrency"},
		{`"taxInfo":{"reportedFlag":"maybe"}`, "taxInfo.reportedFlag"},
		{`"payments":[{"amount":"x"}]`, "amount"},
		{`"payments":["a payment"]`, "payments"},
		{`"payments":"none"`, "payments"},
		{`"documentsGeneratedFlag":"yes"`, "documentsGeneratedFlag"},
	} {
		_, err := decodeInvoices([]byte(`[{"id":5,"createDate":"2025-03-04T00:17:07-06:00",`+tc.props+`}]`), nil)
		var de *DecodeError
		if !errors.As(err, &de) || de.Invoice != 5 || de.Field != tc.field || !errors.Is(err, ErrPermanent) {
			t.Errorf("%s: got %v, want a DecodeError of invoice 5 field %s", tc.props, err, tc.field)
		}
	}
}

// TestSimInvoiceProperties reads the remaining properties from the
// simulator: every closed invoice has its documents generated, every paid
// one its payment, and the exchange rate of a USD account is 1.
func TestSimInvoiceProperties(t *testing.T) {
	srv := startSim(t, slsim.Options{HeavyInvoiceItems: -1})
	c := simClient(t, srv, nil)
	n, paid := 0, 0
	for inv, err := range c.Invoices(context.Background(), InvoiceQuery{Window: simWindow(4)}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		closed := inv.StatusCode != "OPEN"
		if inv.DocumentsGeneratedFlag == nil || *inv.DocumentsGeneratedFlag != closed {
			t.Errorf("invoice %d (%s): documentsGeneratedFlag %v", inv.ID, inv.StatusCode, inv.DocumentsGeneratedFlag)
		}
		if inv.ExchangeRate == nil || inv.ExchangeRate.String() != "1" || inv.LocalCurrency == nil || *inv.LocalCurrency != "USD" {
			t.Errorf("invoice %d: exchange rate %v %v, want 1 USD", inv.ID, inv.ExchangeRate, inv.LocalCurrency)
		}
		if inv.TaxType == nil || *inv.TaxType != "SALES_TAX" || inv.Amount == nil || inv.PaymentCount == nil {
			t.Errorf("invoice %d: tax type %v amount %v payment count %v", inv.ID, inv.TaxType, inv.Amount, inv.PaymentCount)
		}
		if int64(len(inv.Payments)) != *inv.PaymentCount {
			t.Errorf("invoice %d: %d payments, paymentCount %d", inv.ID, len(inv.Payments), *inv.PaymentCount)
		}
		var sum schemas.Sum
		for _, p := range inv.Payments {
			paid++
			sum.Add(*p.Amount)
			if p.CreateDate == nil || p.TypeCode != "CREDIT_CARD" {
				t.Errorf("invoice %d: payment %+v", inv.ID, p)
			}
		}
		if inv.Payment == nil || !sum.Equal(*inv.Payment) {
			t.Errorf("invoice %d: payments add up to %s, payment is %v", inv.ID, sum.String(), inv.Payment)
		}
	}
	if n == 0 || paid == 0 {
		t.Fatalf("got %d invoices and %d payments, want some of each", n, paid)
	}
}
